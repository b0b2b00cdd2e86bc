package history

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/aliasd/aliasd/rpc"
)

// openDB opens a fresh bbolt file in t.TempDir(). At the end of the test
// the file is checked with tx.Check and closed.
func openDB(t testing.TB) (*bolt.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "aliasd.db")
	db := openPath(t, path)
	t.Cleanup(func() {
		checkDB(t, db)
		db.Close()
	})
	return db, path
}

func openPath(t testing.TB, path string) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("bolt.Open(%s) = %v", path, err)
	}
	return db
}

// checkDB runs bbolt's consistency check.
func checkDB(t testing.TB, db *bolt.DB) {
	t.Helper()
	err := db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("tx.Check: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Errorf("db.View for check: %v", err)
	}
}

// journalEnv, when set, makes newHistory open every History with a journal,
// so the whole suite runs in that mode too (make gotest does both).
const journalEnv = "ALIASD_TEST_JOURNAL"

// newHistory opens a History on db; the background pruner is off unless
// cfg says otherwise. It is closed at the end of the test.
func newHistory(t testing.TB, db *bolt.DB, cfg Config) *History {
	t.Helper()
	cfg.DB = db
	if cfg.Journal == "" && os.Getenv(journalEnv) != "" {
		cfg.Journal = filepath.Join(t.TempDir(), "history.journal")
	}
	if cfg.PruneInterval == 0 {
		cfg.PruneInterval = -1
	}
	h, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	t.Cleanup(h.Close)
	return h
}

// fakeToken returns an obviously fake, random alias-style token.
func fakeToken(t testing.TB) string {
	t.Helper()
	const alnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 30)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alnum))))
		if err != nil {
			t.Fatal(err)
		}
		b[i] = alnum[n.Int64()]
	}
	return "goatapi_" + "FAKE" + string(b)
}

// detail builds a plausible entry.
func detail(method, path string, status int, rid string) *rpc.HistoryDetail {
	d := &rpc.HistoryDetail{
		HistoryEntry: rpc.HistoryEntry{
			Method:     method,
			Path:       path,
			Status:     status,
			RequestID:  rid,
			DurationMs: 12.5,
			Attempts:   1,
			Cache:      rpc.CacheMiss,
			Profile:    "default",
			APIVersion: "1.3.6",
			Client:     "test",
		},
		Request: rpc.HTTPMessage{Headers: map[string]string{"Accept": "application/json"}},
		Response: rpc.HTTPMessage{
			Headers: map[string]string{"Content-Type": "application/json", "X-Request-Id": rid},
			Body:    `{"ok":true}`,
		},
	}
	if status == 0 || status >= 400 {
		d.Response.Body = fmt.Sprintf(`{"code":5,"message":"failed %d","details":[]}`, status)
		if status > 0 {
			d.Error = &rpc.APIError{Code: 5, CodeName: "NOT_FOUND", Message: fmt.Sprintf("failed %d", status)}
		}
	}
	return d
}

func mustAppend(t testing.TB, h *History, d *rpc.HistoryDetail) rpc.HistoryEntry {
	t.Helper()
	e, err := h.Append(context.Background(), d)
	if err != nil {
		t.Fatalf("Append(%s %s) = %v", d.Method, d.Path, err)
	}
	return e
}

// listAll pages through List with limit per page and returns every entry.
func listAll(t testing.TB, h *History, p rpc.HistoryListParams) []rpc.HistoryEntry {
	t.Helper()
	var out []rpc.HistoryEntry
	for i := 0; ; i++ {
		if i > 100000 {
			t.Fatal("listAll: too many pages")
		}
		res, err := h.List(p)
		if err != nil {
			t.Fatalf("List(%+v) = %v", p, err)
		}
		out = append(out, res.Entries...)
		if res.Next == "" {
			return out
		}
		p.Cursor = res.Next
	}
}
