//go:build linux

package tokens

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dbus "github.com/godbus/dbus/v5"
	gokeyring "github.com/zalando/go-keyring"
)

func filepathRunUserBus() string { return fmt.Sprintf("/run/user/%d/bus", os.Getuid()) }

func TestKeyringNoSessionBus(t *testing.T) {
	if _, err := os.Stat(filepathRunUserBus()); err == nil {
		t.Skip("a session bus socket exists under /run/user; cannot simulate its absence")
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	if _, err := SystemKeyring().Get(KeyringService, probeUser); !errors.Is(err, errNoSessionBus) {
		t.Fatalf("SystemKeyring().Get without a session bus = %v, want errNoSessionBus (and no autolaunch)", err)
	}
	v := openTest(t, Config{Storage: StorageAuto})
	info, warns, err := v.Add(ctxT(t), "work", fakePAT())
	if err != nil || info.Storage != StorageFile || !strings.Contains(strings.Join(warns, "\n"), "DBUS_SESSION_BUS_ADDRESS is not set") {
		t.Errorf("Add without a session bus = %+v, %q, %v; want file with the cause", info.Storage, warns, err)
	}
}

// TestKeyringReal runs the vault against a real Secret Service. It skips
// without a session bus or when no Secret Service answers, unless
// ALIASD_REQUIRE_KEYRING is set (tokens/testdata/run-keyring-tests.sh sets
// it), in which case it fails.
func TestKeyringReal(t *testing.T) {
	required := os.Getenv("ALIASD_REQUIRE_KEYRING") != ""
	skip := func(reason string) {
		t.Helper()
		if required {
			t.Fatalf("ALIASD_REQUIRE_KEYRING is set but %s", reason)
		}
		t.Skip(reason + "; run tokens/testdata/run-keyring-tests.sh for a private Secret Service")
	}
	if err := sessionBusCheck(); err != nil {
		skip("there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
	}
	waitForSecretService(t)

	ctx := ctxT(t)
	name := "aliasd-test-" + strings.ToLower(fakePAT()[len(PATPrefix)+4:][:10])
	t.Cleanup(func() { gokeyring.Delete(KeyringService, name) })
	dir := filepath.Join(t.TempDir(), "cfg")
	v := openTest(t, Config{Dir: dir, Storage: StorageKeyring, KeyringTimeout: 20 * time.Second})
	if err := v.CheckKeyring(ctx); err != nil {
		skip(fmt.Sprintf("the Secret Service does not answer: %v", err))
	}

	secret := fakePAT()
	info, warns, err := v.Add(ctx, name, secret)
	if err != nil || info.Storage != StorageKeyring || len(warns) != 0 {
		t.Fatalf("Add (real keyring) = %+v, %q, %v; want keyring storage, no warnings", info, warns, err)
	}
	if got, err := gokeyring.Get(KeyringService, name); err != nil || got != secret {
		t.Fatalf("the Secret Service holds %d bytes, %v for %s/%s; want the token", len(got), err, KeyringService, name)
	}
	// A fresh vault (no cache) reads it back through D-Bus.
	v2 := openTest(t, Config{Dir: dir, Storage: StorageAuto, KeyringTimeout: 20 * time.Second})
	if c, err := v2.Credential(ctx, name); err != nil || c.Secret != secret || c.Storage != StorageKeyring {
		t.Fatalf("Credential (real keyring, fresh vault) = %+v, %v", c.Storage, err)
	}
	if w := v2.Warnings(); len(w) != 0 {
		t.Errorf("Warnings() with a working keyring = %q, want none", w)
	}
	// Replace, then remove.
	secret2 := fakePAT()
	if _, _, err := v2.Add(ctx, name, secret2); err != nil {
		t.Fatal(err)
	}
	if got, _ := gokeyring.Get(KeyringService, name); got != secret2 {
		t.Errorf("the Secret Service still holds the old token after a replace")
	}
	for p, b := range dirBytes(t, dir) {
		for _, s := range []string{secret, secret2} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds a keyring token", p)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, SecretFile)); !os.IsNotExist(err) {
		t.Errorf("a secret file exists with a working keyring: %v", err)
	}
	if _, err := v2.Remove(ctx, name); err != nil {
		t.Fatal(err)
	}
	if _, err := gokeyring.Get(KeyringService, name); !errors.Is(err, gokeyring.ErrNotFound) {
		t.Errorf("Get after Remove = %v, want the item gone from the Secret Service", err)
	}
}

// waitForSecretService waits until org.freedesktop.secrets has an owner on
// the bus, without calling it: a call before the unlocked daemon registers
// would make D-Bus activate a second, locked one. In a desktop session the
// service may be activatable but not running; then the wait ends without it.
func waitForSecretService(t *testing.T) {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return // CheckKeyring reports it
	}
	defer conn.Close()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var owned bool
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, "org.freedesktop.secrets").Store(&owned)
		cancel()
		if err != nil || owned {
			return
		}
		if os.Getenv("ALIASD_REQUIRE_KEYRING") == "" {
			return // not our private session: do not wait for a daemon nobody starts
		}
		time.Sleep(50 * time.Millisecond)
	}
}
