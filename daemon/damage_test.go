package daemon

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aliasd/aliasd/internal/testutil"
	"github.com/aliasd/aliasd/rpc"
	"github.com/aliasd/aliasd/store"
)

// The damaged-file matrix at the daemon level: each damaged aliasd.db ends
// with a working daemon, the file moved aside as aliasd.db.corrupt-*, a
// warning the client sees, and no second quarantine at the next start.
//
// The store's own injected-panic case (a hook inside store.Open) is not
// reachable from this package: the hook is unexported. The "panic" row
// here is a real one: garbage data pages behind valid meta pages after an
// unclean shutdown make bbolt panic inside store.Open's check.

func TestDamagedDatabaseQuarantinedAtStart(t *testing.T) {
	cases := []struct {
		name string
		// damage breaks the closed file; lockWhileOpen is the lock file's
		// content captured while the daemon ran (what a killed process
		// leaves behind).
		damage func(t *testing.T, path string, lockWhileOpen []byte)
		reason string // in the warning
	}{
		{
			name:   "both meta pages bad",
			damage: func(t *testing.T, path string, _ []byte) { testutil.DamageMetas(t, path) },
			reason: "checksum",
		},
		{
			name:   "random bytes",
			damage: func(t *testing.T, path string, _ []byte) { testutil.DamageAll(t, path) },
			reason: "invalid",
		},
		{
			name:   "truncated to one page",
			damage: func(t *testing.T, path string, _ []byte) { testutil.Truncate(t, path, testutil.PageSize) },
			reason: "too small",
		},
		{
			name:   "truncated to half",
			damage: func(t *testing.T, path string, _ []byte) { testutil.Truncate(t, path, testutil.FileSize(t, path)/2) },
			reason: "truncated",
		},
		{
			name:   "zero length",
			damage: func(t *testing.T, path string, _ []byte) { testutil.Truncate(t, path, 0) },
			reason: "zero length",
		},
		{
			name: "leftover crash marker",
			damage: func(t *testing.T, path string, _ []byte) {
				if err := os.WriteFile(path+".opening", []byte("pid 1\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			},
			reason: "crashed the process",
		},
		{
			name: "panic during open: garbage data pages after an unclean shutdown",
			damage: func(t *testing.T, path string, lockWhileOpen []byte) {
				testutil.DamageDataPages(t, path)
				if err := os.WriteFile(path+".lock", lockWhileOpen, 0o600); err != nil {
					t.Fatal(err)
				}
			},
			reason: "panicked",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, s := newSession(t, envOptions{})
			db := e.paths.DBFile()
			// Fill the file: cache entries and history with bodies.
			var search struct {
				Items []struct {
					ID string `json:"catalog_id"`
				} `json:"catalog_items"`
			}
			res := s.request(t, rpc.RequestParams{Method: "GET", Path: "/catalog", Query: map[string]any{"query": "a"}})
			if err := json.Unmarshal(res.Body, &search); err != nil || len(search.Items) == 0 {
				t.Fatalf("catalog search: %d items, %v", len(search.Items), err)
			}
			for _, it := range search.Items {
				s.request(t, rpc.RequestParams{Method: "GET", Path: "/catalog/" + it.ID})
			}
			lockWhileOpen, err := os.ReadFile(db + ".lock")
			if err != nil {
				t.Fatal(err)
			}
			e.close() // checks the healthy file
			c.damage(t, db, lockWhileOpen)

			// First start: quarantine, warn, work.
			e.start()
			s = e.connect("damage-test")
			msg := s.waitMessage(t, "corrupt-")
			if !strings.Contains(msg, c.reason) {
				t.Errorf("window/showMessage %q, want the reason %q", msg, c.reason)
			}
			moved := corruptFiles(t, db)
			if len(moved) != 1 {
				t.Fatalf("quarantined files = %q, want exactly one", moved)
			}
			if !strings.Contains(msg, filepath.Base(moved[0])) && !strings.Contains(msg, moved[0]) {
				t.Errorf("window/showMessage %q does not name %s", msg, moved[0])
			}
			st := s.status(t)
			if !containsSub(st.Warnings, filepath.Base(moved[0])) {
				t.Errorf("alias/status warnings = %q, want one naming %s", st.Warnings, filepath.Base(moved[0]))
			}
			call := e.example("GetCatalogItem")
			res = s.request(t, params(call))
			wantStatus(t, "request after quarantine", res, 200)
			wantCache(t, "request after quarantine (empty cache)", res, rpc.CacheMiss)
			h := s.historyEntry(t, res.HistoryID)
			if h.RequestID != res.RequestID {
				t.Errorf("history entry request id %q, want %q", h.RequestID, res.RequestID)
			}
			wantCache(t, "second request", s.request(t, params(call)), rpc.CacheHit)
			e.close()

			// Second start: the fresh file is healthy; nothing moves again.
			e.start()
			s = e.connect("damage-test")
			if st := s.status(t); containsSub(st.Warnings, "damaged") || containsSub(st.Warnings, "corrupt-") {
				t.Errorf("alias/status warnings on restart = %q, want no damage warning", st.Warnings)
			}
			if m := corruptFiles(t, db); len(m) != 1 {
				t.Errorf("quarantined files after restart = %q, want still one", m)
			}
			if _, err := os.Stat(db + ".opening"); !os.IsNotExist(err) {
				t.Errorf("crash marker after restart: stat = %v, want not exist", err)
			}
			s.historyEntry(t, res.HistoryID) // the post-quarantine history survived
			wantCache(t, "request after restart", s.request(t, params(call)), rpc.CacheHit)
			for _, m := range s.messages() {
				if strings.Contains(m, "corrupt-") {
					t.Errorf("window/showMessage on restart %q, want no damage warning", m)
				}
			}
		})
	}
}

func containsSub(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func TestSecondDaemonOnSameDataGetsClearError(t *testing.T) {
	e, s := newSession(t, envOptions{})
	wantCache(t, "first daemon's request", s.request(t, params(e.example("GetCatalogItem"))), rpc.CacheMiss)

	type result struct {
		d   *Daemon
		err error
	}
	done := make(chan result, 1)
	go func() {
		d, err := New(Config{Paths: e.paths, Env: e.d.cfg.Env, Keyring: e.keyring})
		done <- result{d, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(waitLong):
		t.Fatalf("second New on the same data dir still waiting after %v, want a clear error", waitLong)
	}
	if r.err == nil {
		r.d.Close()
		t.Fatal("second New on the same data dir = a daemon, want an error")
	}
	if !errors.Is(r.err, store.ErrLocked) || !strings.Contains(r.err.Error(), "in use") {
		t.Errorf("second New = %v, want store.ErrLocked saying the file is in use", r.err)
	}
	if m := corruptFiles(t, e.paths.DBFile()); len(m) != 0 {
		t.Errorf("quarantined files = %q, want none (a locked file is not damage)", m)
	}
	// The first daemon is unaffected.
	wantCache(t, "first daemon after the refused second", s.request(t, params(e.example("GetCatalogItem"))), rpc.CacheHit)
}
