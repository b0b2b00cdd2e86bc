package tokens

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aliasd/aliasd/internal/redact"
	"github.com/aliasd/aliasd/internal/testutil"
)

// TestNoSecretLeaks drives every operation, good and bad, in every storage
// mode, then searches the bytes of every file the vault wrote, every log
// line, every error, warning and returned value (except Credential.Secret)
// for every token. The only place a token may be is tokens.secret.json, and
// only the tokens whose Storage is "file": that file is the documented
// plain-text fallback and must hold them.
func TestNoSecretLeaks(t *testing.T) {
	modes := []struct {
		name string
		cfg  Config
	}{
		{"memory", Config{Storage: StorageMemory}},
		{"keyring", Config{Storage: StorageKeyring, Keyring: NewMemoryKeyring()}},
		{"auto with a failing keyring that echoes", Config{Storage: StorageAuto, Keyring: failingKeyring{err: errNoService, echo: true}}},
		{"keyring failing", Config{Storage: StorageKeyring, Keyring: failingKeyring{err: errNoService, echo: true}}},
		{"auto with a hanging keyring", Config{Storage: StorageAuto, KeyringTimeout: 20 * time.Millisecond}},
		{"file", Config{Storage: StorageFile}},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			var logBuf testutil.SyncBuffer
			cfg := m.cfg
			cfg.Dir = filepath.Join(t.TempDir(), "cfg")
			cfg.Logger = slog.New(slog.NewJSONHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
			cfg.Redactor = redact.New()
			if m.name == "auto with a hanging keyring" {
				cfg.Keyring = newHangingKeyring(t)
			}
			env := fakePAT()
			cfg.EnvToken = env
			v, err := Open(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx := ctxT(t)
			var said []string // everything the vault returned, as text
			note := func(vals ...any) {
				for _, x := range vals {
					if x != nil {
						said = append(said, fmt.Sprintf("%+v", x))
					}
				}
			}
			secrets := []string{env}
			inFile := map[string]bool{}
			for _, name := range []string{"work", "personal", "work"} { // the last replaces
				s := fakePAT()
				secrets = append(secrets, s)
				info, warns, err := v.Add(ctx, name, s)
				note(info, warns, err)
				if err == nil && info.Storage == StorageFile {
					inFile[s] = true
				}
			}
			// Bad input of every kind, carrying a real token.
			tok := secrets[1]
			for _, call := range []func() (any, error){
				func() (any, error) { i, w, err := v.Add(ctx, "bad", tok+" trailing"); return fmt.Sprint(i, w), err },
				func() (any, error) { i, w, err := v.Add(ctx, "bad", tok+"\x00"); return fmt.Sprint(i, w), err },
				func() (any, error) { i, w, err := v.Add(ctx, "bad", "Bearer "+tok); return fmt.Sprint(i, w), err },
				func() (any, error) { i, w, err := v.Add(ctx, tok, fakePAT()); return fmt.Sprint(i, w), err },
				func() (any, error) { return nil, v.Use(ctx, tok) },
				func() (any, error) { return v.Remove(ctx, tok) },
				func() (any, error) { c, err := v.Credential(ctx, tok); return c.Profile, err },
				func() (any, error) { return v.List(ctx) },
				func() (any, error) { return nil, v.Use(ctx, "personal") },
				func() (any, error) {
					c, err := v.Credential(ctx, "")
					return c.Fingerprint + c.Profile + c.Storage, err
				},
				func() (any, error) {
					c, err := v.Credential(ctx, "work")
					return c.Fingerprint + c.Profile + c.Storage, err
				},
				func() (any, error) { return nil, v.CheckKeyring(ctx) },
				func() (any, error) { return v.Warnings(), nil },
				func() (any, error) { return v.Storage() + v.Active(), nil },
				func() (any, error) { return v.Remove(ctx, "personal") },
			} {
				res, err := call()
				note(res, err)
			}
			// The redactor knows every token.
			for i, s := range secrets {
				if got := v.Redactor().String("<" + s + ">"); got != "<"+redact.Marker+">" {
					t.Errorf("secret %d is not registered with the redactor", i)
				}
			}

			files := dirBytes(t, cfg.Dir)
			logs := logBuf.String()
			if m.name != "keyring failing" && !strings.Contains(logs, "token added") {
				t.Fatalf("log has no events; the leak check would be vacuous:\n%s", logs)
			}
			for i, s := range secrets {
				needle := []byte(s)
				for p, b := range files {
					has := bytes.Contains(b, needle)
					isStore := filepath.Base(p) == SecretFile
					switch {
					case has && !isStore:
						t.Errorf("secret %d found in %s", i, p)
					case has && isStore && !inFile[s]:
						t.Errorf("secret %d (not a file token) found in %s", i, p)
					}
				}
				if bytes.Contains([]byte(logs), needle) {
					t.Errorf("secret %d found in the log", i)
				}
				for _, x := range said {
					if strings.Contains(x, s) {
						t.Errorf("secret %d found in a returned value or error: %.80q", i, x)
					}
				}
			}
			// The file store must hold the file tokens still in use.
			if c, err := v.Credential(ctx, "work"); err == nil && c.Storage == StorageFile {
				if b := files[filepath.Join(cfg.Dir, SecretFile)]; !bytes.Contains(b, []byte(c.Secret)) {
					t.Errorf("tokens.secret.json does not hold the file token of work")
				}
			}
			if _, err := os.Stat(filepath.Join(cfg.Dir, SecretFile)); err == nil && len(inFile) == 0 {
				t.Errorf("tokens.secret.json exists although no token went to the file")
			}
		})
	}
}
