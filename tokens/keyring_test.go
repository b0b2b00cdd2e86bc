package tokens

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aliasd/aliasd/internal/testutil"
)

func pending(v *Vault) int {
	v.kr.mu.Lock()
	defer v.kr.mu.Unlock()
	return v.kr.pending
}

func TestKeyringHangsAutoFallsBackToFile(t *testing.T) {
	hk := newHangingKeyring(t)
	v := openTest(t, Config{Storage: StorageAuto, Keyring: hk, KeyringTimeout: 50 * time.Millisecond})
	ctx := ctxT(t)
	secret := fakePAT()

	info, warns, err := v.Add(ctx, "work", secret)
	if err != nil {
		t.Fatalf("Add with a hanging keyring (auto) = %v, want a fallback to the file", err)
	}
	if info.Storage != StorageFile {
		t.Errorf("Add(...).Storage = %q, want file", info.Storage)
	}
	w := strings.Join(warns, "\n")
	for _, want := range []string{"plain file", filepath.Join(v.dir, SecretFile), "no answer within 50ms", `token_storage = "keyring"`} {
		if !strings.Contains(w, want) {
			t.Errorf("Add warnings = %q, want them to contain %q", w, want)
		}
	}
	if c, err := v.Credential(ctx, ""); err != nil || c.Secret != secret || c.Storage != StorageFile {
		t.Errorf("Credential after fallback = %+v, %v; want the token from the file", c.Storage, err)
	}
	if got := v.Storage(); got != StorageFile {
		t.Errorf("Storage() = %q, want file", got)
	}
	if got := strings.Join(v.Warnings(), "\n"); !strings.Contains(got, "tokens are stored in a plain file") || !strings.Contains(got, "profiles work") {
		t.Errorf("Warnings() = %q, want the plain file reported", got)
	}

	// While the first call is still stuck, the next fails at once instead of
	// starting another goroutine behind the hung keyring.
	info2, warns2, err := v.Add(ctx, "second", fakePAT())
	if err != nil || info2.Storage != StorageFile || !strings.Contains(strings.Join(warns2, "\n"), "has not returned yet") {
		t.Errorf("second Add = %+v, %q, %v; want file storage, warning about the stuck call", info2.Storage, warns2, err)
	}
	if n := hk.calls.Load(); n != 1 {
		t.Errorf("keyring calls while hung = %d, want 1", n)
	}
	if n := pending(v.Vault); n != 1 {
		t.Errorf("pending keyring calls = %d, want 1", n)
	}

	// Once the keyring answers again the vault uses it.
	hk.unblock()
	testutil.WaitFor(t, "the stuck keyring call to return", func() bool { return pending(v.Vault) == 0 })
	if err := v.CheckKeyring(ctx); err != nil {
		t.Fatalf("CheckKeyring after recovery = %v", err)
	}
	info3, warns3, err := v.Add(ctx, "third", fakePAT())
	if err != nil || info3.Storage != StorageKeyring || len(warns3) != 0 {
		t.Errorf("Add after recovery = %+v, %q, %v; want keyring storage, no warnings", info3.Storage, warns3, err)
	}
}

func TestKeyringHangsKeyringModeFailsClosed(t *testing.T) {
	hk := newHangingKeyring(t)
	v := openTest(t, Config{Storage: StorageKeyring, Keyring: hk, KeyringTimeout: 50 * time.Millisecond})
	ctx := ctxT(t)
	secret := fakePAT()
	_, _, err := v.Add(ctx, "work", secret)
	var ke *KeyringError
	if !errors.Is(err, ErrKeyringUnavailable) || !errors.As(err, &ke) || ke.Timeout != 50*time.Millisecond {
		t.Fatalf("Add with a hanging keyring (keyring mode) = %v, want a timed-out *KeyringError", err)
	}
	for _, want := range []string{"no answer within 50ms", `token_storage = "keyring" does not fall back`, "Secret Service", `token_storage = "file"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q, want it to contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error contains the token")
	}
	if list, _ := v.List(ctx); len(list) != 0 {
		t.Errorf("List() after a failed Add = %+v, want empty", list)
	}
	for p, b := range dirBytes(t, v.dir) {
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s holds the token after a fail-closed Add", p)
		}
	}
	if _, err := os.Stat(filepath.Join(v.dir, SecretFile)); !os.IsNotExist(err) {
		t.Errorf("secret file exists after a fail-closed Add: %v", err)
	}
}

func TestKeyringHangsOnRead(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cfg")
	kr := NewMemoryKeyring()
	ctx := ctxT(t)
	openTest(t, Config{Dir: dir, Storage: StorageKeyring, Keyring: kr}).Add(ctx, "work", fakePAT())
	// A new process (empty cache) meets a hung keyring.
	hk := newHangingKeyring(t)
	v := openTest(t, Config{Dir: dir, Storage: StorageAuto, Keyring: hk, KeyringTimeout: 50 * time.Millisecond})
	_, err := v.Credential(ctx, "")
	if !errors.Is(err, ErrKeyringUnavailable) || !strings.Contains(err.Error(), `reading token "work"`) {
		t.Fatalf("Credential with a hung keyring = %v, want ErrKeyringUnavailable", err)
	}
	// A profile whose secret is in the keyring cannot be removed while the
	// keyring does not answer: the profile is kept and the error says so.
	if _, err := v.Remove(ctx, "work"); !errors.Is(err, ErrKeyringUnavailable) || !strings.Contains(err.Error(), "the profile is kept") {
		t.Errorf("Remove with a hung keyring = %v, want ErrKeyringUnavailable, profile kept", err)
	}
	if got := v.Active(); got != "work" {
		t.Errorf("Active() after a failed Remove = %q, want work", got)
	}
	// Cancelling the caller's context returns the context's error.
	ctx2, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := v.Credential(ctx2, ""); !errors.Is(err, context.Canceled) {
		t.Errorf("Credential(cancelled ctx) = %v, want context.Canceled", err)
	}
}

func TestKeyringContextCancelDuringCall(t *testing.T) {
	hk := newHangingKeyring(t)
	v := openTest(t, Config{Storage: StorageAuto, Keyring: hk, KeyringTimeout: time.Hour})
	ctx, cancel := context.WithCancel(ctxT(t))
	go func() {
		testutil.WaitFor(t, "the keyring call to start", func() bool { return hk.calls.Load() == 1 })
		cancel()
	}()
	_, _, err := v.Add(ctx, "work", fakePAT())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Add with the context cancelled during a keyring call = %v, want context.Canceled", err)
	}
	if list, _ := v.List(ctxT(t)); len(list) != 0 {
		t.Errorf("List() = %+v, want nothing stored after a cancelled Add", list)
	}
}

func TestKeyringFails(t *testing.T) {
	secret := fakePAT()
	t.Run("auto", func(t *testing.T) {
		v := openTest(t, Config{Storage: StorageAuto, Keyring: failingKeyring{err: errNoService, echo: true}})
		info, warns, err := v.Add(ctxT(t), "work", secret)
		if err != nil || info.Storage != StorageFile {
			t.Fatalf("Add with a failing keyring (auto) = %+v, %v; want file", info, err)
		}
		w := strings.Join(warns, "\n")
		if !strings.Contains(w, "ServiceUnknown") || !strings.Contains(w, "plain file") {
			t.Errorf("warnings = %q, want the cause and the plain file", w)
		}
		if strings.Contains(w, secret) {
			t.Errorf("warnings contain the token the keyring echoed")
		}
		if got := v.Storage(); got != StorageFile {
			t.Errorf("Storage() = %q, want file", got)
		}
	})
	t.Run("keyring", func(t *testing.T) {
		v := openTest(t, Config{Storage: StorageKeyring, Keyring: failingKeyring{err: errNoService, echo: true}})
		_, _, err := v.Add(ctxT(t), "work", secret)
		var ke *KeyringError
		if !errors.Is(err, ErrKeyringUnavailable) || !errors.As(err, &ke) || ke.Timeout != 0 {
			t.Fatalf("Add with a failing keyring (keyring mode) = %v, want *KeyringError", err)
		}
		if !errors.Is(err, errNoService) {
			t.Errorf("error %v does not wrap the backend's error", err)
		}
		for _, want := range []string{"ServiceUnknown", `token_storage = "file"`} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q, want it to contain %q", err, want)
			}
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q contains the token the keyring echoed", err)
		}
		if got := v.Storage(); got != StorageKeyring {
			t.Errorf("Storage() = %q, want keyring", got)
		}
	})
	t.Run("file mode ignores it", func(t *testing.T) {
		v := openTest(t, Config{Storage: StorageFile, Keyring: failingKeyring{err: errNoService}})
		if info, warns, err := v.Add(ctxT(t), "work", secret); err != nil || info.Storage != StorageFile || len(warns) != 0 {
			t.Fatalf("Add (file mode) = %+v, %q, %v; want file, no warnings", info, warns, err)
		}
		if w := strings.Join(v.Warnings(), "\n"); !strings.Contains(w, `token_storage = "file"`) {
			t.Errorf("Warnings() = %q, want the plain file and its reason", w)
		}
	})
}

func TestKeyringSecretMissing(t *testing.T) {
	kr := NewMemoryKeyring()
	dir := filepath.Join(t.TempDir(), "cfg")
	ctx := ctxT(t)
	mustAdd(t, openTest(t, Config{Dir: dir, Keyring: kr}).Vault, "work", fakePAT())
	kr.Delete(KeyringService, "work") // another program removes it
	v := openTest(t, Config{Dir: dir, Keyring: kr})
	_, err := v.Credential(ctx, "work")
	if !errors.Is(err, ErrSecretMissing) || !strings.Contains(err.Error(), "aliasd token add work") {
		t.Errorf("Credential with the keyring item gone = %v, want ErrSecretMissing and how to fix", err)
	}
	// Remove still works (nothing to delete).
	if _, err := v.Remove(ctx, "work"); err != nil {
		t.Errorf("Remove with the keyring item gone = %v", err)
	}
}
