package tokens

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aliasd/aliasd/internal/redact"
)

// storageModes runs a test against each backend with a working store.
var storageModes = []struct {
	name    string
	cfg     func() Config
	storage string // what Info.Storage says
}{
	{"memory", func() Config { return Config{Storage: StorageMemory} }, StorageMemory},
	{"keyring", func() Config { return Config{Storage: StorageKeyring, Keyring: NewMemoryKeyring()} }, StorageKeyring},
	{"auto", func() Config { return Config{Storage: StorageAuto, Keyring: NewMemoryKeyring()} }, StorageKeyring},
	{"file", func() Config { return Config{Storage: StorageFile} }, StorageFile},
}

func TestProfileLifecycle(t *testing.T) {
	for _, mode := range storageModes {
		t.Run(mode.name, func(t *testing.T) {
			v := openTest(t, mode.cfg())
			ctx := ctxT(t)

			if _, err := v.Credential(ctx, ""); !errors.Is(err, ErrNoToken) || !strings.Contains(err.Error(), "aliasd token add NAME") {
				t.Fatalf("Credential(\"\") on an empty vault = %v, want ErrNoToken naming `aliasd token add NAME`", err)
			}
			if got := v.Active(); got != "" {
				t.Errorf("Active() on an empty vault = %q, want \"\"", got)
			}

			work, personal, ci := fakePAT(), fakePAT(), fakePAT()
			info := mustAdd(t, v.Vault, "work", work)
			if !info.Active || info.Storage != mode.storage || info.Fingerprint != Fingerprint(work) || info.Created.IsZero() {
				t.Errorf("Add(work) = %+v, want active, storage %q, fingerprint %q, created set", info, mode.storage, Fingerprint(work))
			}
			if info := mustAdd(t, v.Vault, "personal", personal); info.Active {
				t.Errorf("Add(personal) = %+v, want not active (work was first)", info)
			}
			mustAdd(t, v.Vault, "ci", ci)

			list, err := v.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, i := range list {
				names = append(names, fmt.Sprintf("%s:%v", i.Name, i.Active))
			}
			if got, want := strings.Join(names, " "), "ci:false personal:false work:true"; got != want {
				t.Errorf("List() = %s, want %s", got, want)
			}

			c, err := v.Credential(ctx, "")
			if err != nil || c.Profile != "work" || c.Secret != work || c.Fingerprint != Fingerprint(work) || c.Storage != mode.storage {
				t.Fatalf("Credential(\"\") = %+v, %v; want work's token from %s", c.Fingerprint, err, mode.storage)
			}
			// A switch applies to the next call, no reopen.
			if err := v.Use(ctx, "personal"); err != nil {
				t.Fatal(err)
			}
			if c, err := v.Credential(ctx, ""); err != nil || c.Secret != personal || c.Profile != "personal" {
				t.Fatalf("Credential(\"\") after Use(personal) = %q, %v; want personal", c.Profile, err)
			}
			if got := v.Active(); got != "personal" {
				t.Errorf("Active() = %q, want personal", got)
			}
			if c, err := v.Credential(ctx, "ci"); err != nil || c.Secret != ci {
				t.Errorf("Credential(ci) = %q, %v; want ci's token", c.Profile, err)
			}
			if got := v.Storage(); got != mode.storage {
				t.Errorf("Storage() = %q, want %q", got, mode.storage)
			}

			// Replace a profile's token.
			work2 := fakePAT()
			if info := mustAdd(t, v.Vault, "work", work2); info.Fingerprint != Fingerprint(work2) || info.Active {
				t.Errorf("Add(work, new) = %+v, want new fingerprint, not active", info)
			}
			if c, err := v.Credential(ctx, "work"); err != nil || c.Secret != work2 {
				t.Errorf("Credential(work) after replace = %v; want the new token", err)
			}

			// Unknown names.
			for _, op := range []struct {
				name string
				err  error
			}{
				{"Use", v.Use(ctx, "nope")},
				{"Remove", func() error { _, err := v.Remove(ctx, "nope"); return err }()},
				{"Credential", func() error { _, err := v.Credential(ctx, "nope"); return err }()},
			} {
				if !errors.Is(op.err, ErrNotFound) || !strings.Contains(op.err.Error(), "ci, personal, work") {
					t.Errorf("%s(nope) = %v, want ErrNotFound listing the profiles", op.name, op.err)
				}
			}

			// Removing the active one with two left: none is active.
			r, err := v.Remove(ctx, "personal")
			if err != nil || !r.Active || r.NewActive != "" || r.Name != "personal" {
				t.Fatalf("Remove(personal) = %+v, %v; want was active, none active now", r, err)
			}
			if _, err := v.Credential(ctx, ""); !errors.Is(err, ErrNoToken) {
				t.Errorf("Credential(\"\") with none active = %v, want ErrNoToken", err)
			}
			// Removing an inactive one leaves the choice to the user.
			if r, err := v.Remove(ctx, "ci"); err != nil || r.Active || r.NewActive != "" {
				t.Fatalf("Remove(ci) = %+v, %v; want not active, none active", r, err)
			}
			if err := v.Use(ctx, "work"); err != nil {
				t.Fatal(err)
			}
			mustAdd(t, v.Vault, "other", fakePAT())
			// Removing the active one with exactly one left: that one is active.
			if r, err := v.Remove(ctx, "work"); err != nil || r.NewActive != "other" {
				t.Fatalf("Remove(work) = %+v, %v; want other active", r, err)
			}
			if got := v.Active(); got != "other" {
				t.Errorf("Active() = %q, want other", got)
			}
			if _, err := v.Credential(ctx, "work"); !errors.Is(err, ErrNotFound) {
				t.Errorf("Credential(work) after Remove = %v, want ErrNotFound", err)
			}
			if mode.name == "file" {
				// Removing the last file token removes the secret file.
				if _, err := v.Remove(ctx, "other"); err != nil {
					t.Fatal(err)
				}
				if _, err := os.Stat(filepath.Join(v.dir, SecretFile)); !os.IsNotExist(err) {
					t.Errorf("secret file after removing the last file token: %v, want it gone", err)
				}
			}
		})
	}
}

func TestReopenKeepsProfiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cfg")
	kr := NewMemoryKeyring()
	ctx := ctxT(t)
	a, b := fakePAT(), fakePAT()
	v := openTest(t, Config{Dir: dir, Keyring: kr})
	mustAdd(t, v.Vault, "a", a)
	v2 := openTest(t, Config{Dir: dir, Storage: StorageFile, Keyring: kr})
	mustAdd(t, v2.Vault, "b", b)
	if err := v2.Use(ctx, "b"); err != nil {
		t.Fatal(err)
	}

	red := redact.New()
	v3 := openTest(t, Config{Dir: dir, Keyring: kr, Redactor: red})
	list, err := v3.List(ctx)
	if err != nil || len(list) != 2 || list[0].Storage != StorageKeyring || list[1].Storage != StorageFile || !list[1].Active {
		t.Fatalf("List() after reopen = %+v, %v; want a in keyring, b in file and active", list, err)
	}
	// File secrets are registered on Open; keyring ones when first read.
	if got := red.String(b); got != redact.Marker {
		t.Errorf("redactor after Open does not know the file token: %q", got)
	}
	for name, want := range map[string]string{"a": a, "b": b} {
		if c, err := v3.Credential(ctx, name); err != nil || c.Secret != want {
			t.Errorf("Credential(%s) after reopen = %v, want its token", name, err)
		}
	}
	if got := red.String(a); got != redact.Marker {
		t.Errorf("redactor after Credential does not know the keyring token: %q", got)
	}
	// The first vault sees the second's changes (state re-read on change).
	if got := v.Active(); got != "b" {
		t.Errorf("first vault's Active() = %q after another wrote, want b", got)
	}
}

func TestEnvOverride(t *testing.T) {
	env, stored := fakePAT(), fakePAT()
	for _, mode := range storageModes {
		t.Run(mode.name, func(t *testing.T) {
			cfg := mode.cfg()
			cfg.EnvToken = env + "\n"
			v := openTest(t, cfg)
			ctx := ctxT(t)
			c, err := v.Credential(ctx, "")
			if err != nil || c.Secret != env || c.Profile != EnvProfile || c.Storage != StorageEnv || c.Fingerprint != Fingerprint(env) {
				t.Fatalf("Credential(\"\") = %+v, %v; want the env token", c.Profile, err)
			}
			_, warns, err := v.Add(ctx, "work", stored)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.Join(warns, "\n"), "ALIASD_TOKEN is set") {
				t.Errorf("Add warnings = %q, want a note that ALIASD_TOKEN wins", warns)
			}
			if c, _ := v.Credential(ctx, ""); c.Secret != env {
				t.Errorf("Credential(\"\") after Add = %q, want env to win", c.Profile)
			}
			if c, err := v.Credential(ctx, "work"); err != nil || c.Secret != stored {
				t.Errorf("Credential(work) = %q, %v; want the named profile", c.Profile, err)
			}
			if c, err := v.Credential(ctx, EnvProfile); err != nil || c.Secret != env {
				t.Errorf("Credential(env) = %q, %v", c.Profile, err)
			}
			if got := v.Active(); got != EnvProfile {
				t.Errorf("Active() = %q, want env", got)
			}
			if got := v.Storage(); got != StorageEnv {
				t.Errorf("Storage() = %q, want env", got)
			}
			list, _ := v.List(ctx)
			if len(list) != 2 || list[0].Name != EnvProfile || !list[0].Active || list[1].Active {
				t.Errorf("List() = %+v, want env first and the only active", list)
			}
			if err := v.Use(ctx, EnvProfile); err != nil {
				t.Errorf("Use(env) = %v, want nil", err)
			}
			if _, err := v.Remove(ctx, EnvProfile); err == nil || !strings.Contains(err.Error(), "unset") {
				t.Errorf("Remove(env) = %v, want an error saying to unset ALIASD_TOKEN", err)
			}
			if _, _, err := v.Add(ctx, EnvProfile, stored); err == nil {
				t.Errorf("Add(env) = nil error, want the name rejected")
			}
			if w := strings.Join(v.Warnings(), "\n"); !strings.Contains(w, `instead of the active profile "work"`) {
				t.Errorf("Warnings() = %q, want the override reported", w)
			}
			// Never written anywhere.
			for p, b := range dirBytes(t, v.dir) {
				if bytes.Contains(b, []byte(env)) {
					t.Errorf("%s contains ALIASD_TOKEN's value", p)
				}
			}
		})
	}
}

func TestEnvTokenErrors(t *testing.T) {
	for _, tt := range []struct{ name, env, errHas string }{
		{"space", "goatapi_FAKE abc123456", "a space at character 13"},
		{"control", "goatapi_FAKE\x00abc123456", "control character"},
		{"bearer", "Bearer goatapi_FAKEabc123", "Bearer"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(Config{Dir: t.TempDir(), EnvToken: tt.env, Keyring: NewMemoryKeyring()})
			var inv *InvalidError
			if !errors.As(err, &inv) || inv.Field != "ALIASD_TOKEN" || !strings.Contains(err.Error(), tt.errHas) {
				t.Fatalf("Open(EnvToken %s) = %v, want invalid ALIASD_TOKEN containing %q", tt.name, err, tt.errHas)
			}
			if strings.Contains(err.Error(), "FAKE") {
				t.Errorf("Open error %q echoes the token", err)
			}
		})
	}
	v := openTest(t, Config{EnvToken: "web-session-FAKE-1234567890", Keyring: NewMemoryKeyring()})
	if w := strings.Join(v.Warnings(), "\n"); !strings.Contains(w, "ALIASD_TOKEN: the token does not start with goatapi_") {
		t.Errorf("Warnings() = %q, want the non-PAT env token reported", w)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(Config{}); err == nil || !strings.Contains(err.Error(), "Config.Dir is required") {
		t.Errorf("Open(no Dir) = %v, want Dir required", err)
	}
	_, err := Open(Config{Dir: t.TempDir(), Storage: "vault"})
	var inv *InvalidError
	if !errors.As(err, &inv) || inv.Field != "token_storage" || !strings.Contains(err.Error(), `"vault"`) {
		t.Errorf("Open(Storage vault) = %v, want invalid token_storage", err)
	}
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o600)
	if _, err := Open(Config{Dir: file}); !errors.Is(err, ErrInsecure) || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("Open(Dir is a file) = %v, want not a directory", err)
	}
}

func TestAddRejectsBadInputAndKeepsState(t *testing.T) {
	v := openTest(t, Config{Storage: StorageFile})
	ctx := ctxT(t)
	good := fakePAT()
	mustAdd(t, v.Vault, "work", good)
	before := dirBytes(t, v.dir)
	for _, tt := range []struct{ name, profile, secret string }{
		{"empty token", "work", ""},
		{"space in token", "work", "goatapi_FAKE 1234567"},
		{"NUL in token", "work", "goatapi_FAKE\x001234567"},
		{"bad name", "my work", fakePAT()},
		{"token as name", good, fakePAT()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := v.Add(ctx, tt.profile, tt.secret)
			var inv *InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("Add(%s) = %v, want *InvalidError", tt.name, err)
			}
			if strings.Contains(err.Error(), good) || strings.Contains(err.Error(), "FAKE") {
				t.Errorf("Add error %q echoes a token", err)
			}
		})
	}
	after := dirBytes(t, v.dir)
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Errorf("rejected Adds changed the files")
	}
	if c, err := v.Credential(ctx, ""); err != nil || c.Secret != good {
		t.Errorf("Credential after rejected Adds = %v, want the good token", err)
	}
}

func TestConcurrentUseAndCredential(t *testing.T) {
	v := openTest(t, Config{Storage: StorageMemory})
	ctx := ctxT(t)
	secrets := map[string]string{}
	for _, n := range []string{"a", "b", "c"} {
		secrets[n] = fakePAT()
		mustAdd(t, v.Vault, n, secrets[n])
	}
	var wg sync.WaitGroup
	errc := make(chan error, 64)
	for i := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for j := range 20 {
				if err := v.Use(ctx, []string{"a", "b", "c"}[(i+j)%3]); err != nil {
					errc <- err
				}
			}
		}()
		go func() {
			defer wg.Done()
			for range 50 {
				c, err := v.Credential(ctx, "")
				if err != nil {
					errc <- err
					continue
				}
				if secrets[c.Profile] != c.Secret {
					errc <- fmt.Errorf("Credential returned profile %q with another profile's token", c.Profile)
				}
				_ = v.Storage()
				_ = v.Warnings()
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}
