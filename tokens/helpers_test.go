package tokens

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliasd/aliasd/internal/redact"
	"github.com/aliasd/aliasd/internal/testutil"
)

// fakePAT returns an obviously fake PAT-shaped token made at run time.
func fakePAT() string { return PATPrefix + "FAKE" + rand.Text() }

// hangingKeyring blocks every call until release is closed, like a locked
// Secret Service waiting for an unlock prompt.
type hangingKeyring struct {
	release chan struct{}
	calls   atomic.Int32
	once    sync.Once
}

func newHangingKeyring(t *testing.T) *hangingKeyring {
	h := &hangingKeyring{release: make(chan struct{})}
	t.Cleanup(h.unblock)
	return h
}

func (h *hangingKeyring) unblock() { h.once.Do(func() { close(h.release) }) }

func (h *hangingKeyring) Get(service, user string) (string, error) {
	h.calls.Add(1)
	<-h.release
	return "", ErrNotFound
}

func (h *hangingKeyring) Set(service, user, password string) error {
	h.calls.Add(1)
	<-h.release
	return nil
}

func (h *hangingKeyring) Delete(service, user string) error {
	h.calls.Add(1)
	<-h.release
	return nil
}

// failingKeyring answers every call with err, like a missing Secret Service.
// Its error echoes the password when echo is set, to prove redaction.
type failingKeyring struct {
	err  error
	echo bool
}

func (f failingKeyring) Get(service, user string) (string, error) { return "", f.err }
func (f failingKeyring) Set(service, user, password string) error {
	if f.echo {
		return fmt.Errorf("%w: rejected item %s", f.err, password)
	}
	return f.err
}
func (f failingKeyring) Delete(service, user string) error { return f.err }

var errNoService = errors.New("org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided by any .service files")

// testVault opens a vault in a fresh directory with a captured debug log.
type testVault struct {
	*Vault
	dir string
	log *testutil.SyncBuffer
	red *redact.Redactor
}

func openTest(t *testing.T, cfg Config) *testVault {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = filepath.Join(t.TempDir(), "config")
	}
	sb := &testutil.SyncBuffer{}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(sb, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if cfg.Redactor == nil {
		cfg.Redactor = redact.New()
	}
	if cfg.KeyringTimeout == 0 {
		cfg.KeyringTimeout = 5 * time.Second
	}
	v, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open(%+v) = %v", cfg, err)
	}
	return &testVault{Vault: v, dir: cfg.Dir, log: sb, red: cfg.Redactor}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// dirBytes returns every file under dir by path.
func dirBytes(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		out[p] = b
		return err
	})
	if err != nil {
		t.Fatalf("walking %s: %v", dir, err)
	}
	return out
}

func mustAdd(t *testing.T, v *Vault, name, secret string) Info {
	t.Helper()
	info, _, err := v.Add(ctxT(t), name, secret)
	if err != nil {
		t.Fatalf("Add(%q) = %v", name, err)
	}
	return info
}
