package store

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/aliasd/aliasd/internal/testutil"
)

// damage functions turn a healthy, cleanly closed store file into a
// damaged one.
type damage func(t testing.TB, path string)

// markUnclean makes the lock file say the last owner did not close.
func markUnclean(t testing.TB, path string) {
	t.Helper()
	if err := os.WriteFile(path+".lock", []byte("pid 1\nstate open\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// highWater returns the file length bbolt's meta page says is in use.
func highWater(t testing.TB, path string) int64 {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var size int64
	db.View(func(tx *bbolt.Tx) error {
		size = tx.Size()
		return nil
	})
	return size
}

// bucketRoot returns the page id of testBucket's root page.
func bucketRoot(t testing.TB, path string) int64 {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var root int64
	db.View(func(tx *bbolt.Tx) error {
		root = int64(tx.Bucket(testBucket).Root())
		return nil
	})
	if root < 2 {
		t.Fatalf("bucket root = %d, want a page of its own", root)
	}
	return root
}

func TestDamagedFileIsQuarantined(t *testing.T) {
	pageSize := testutil.PageSize
	cases := []struct {
		name   string
		damage damage
		hook   func(path string) // installed as testHookOpened for the first open only
		reason string            // expected in the warning
	}{
		{
			name:   "both meta pages bad",
			damage: testutil.DamageMetas,
			reason: "checksum",
		},
		{
			name:   "random bytes",
			damage: testutil.DamageAll,
			reason: "invalid database",
		},
		{
			name:   "truncated to one page",
			damage: func(t testing.TB, path string) { testutil.Truncate(t, path, pageSize) },
			reason: "too small",
		},
		{
			name:   "truncated to half",
			damage: func(t testing.TB, path string) { testutil.Truncate(t, path, testutil.FileSize(t, path)/2) },
			reason: "panicked|truncated",
		},
		{
			name: "truncated to three quarters",
			damage: func(t testing.TB, path string) {
				testutil.Truncate(t, path, testutil.FileSize(t, path)/4*3/pageSize*pageSize)
			},
			reason: "panicked|truncated",
		},
		{
			name:   "one page short of the high-water mark",
			damage: func(t testing.TB, path string) { testutil.Truncate(t, path, highWater(t, path)-pageSize) },
			reason: "panicked|truncated",
		},
		{
			name:   "zero length",
			damage: func(t testing.TB, path string) { testutil.Truncate(t, path, 0) },
			reason: "zero length",
		},
		{
			name: "data pages garbage behind valid metas",
			damage: func(t testing.TB, path string) {
				testutil.DamageDataPages(t, path)
				markUnclean(t, path)
			},
			reason: "panicked",
		},
		{
			name: "bucket root page zeroed after unclean shutdown",
			damage: func(t testing.TB, path string) {
				root := bucketRoot(t, path)
				testutil.Overwrite(t, path, root*pageSize, make([]byte, pageSize))
				markUnclean(t, path)
			},
			reason: "panicked",
		},
		{
			name:   "panic while opening",
			damage: func(testing.TB, string) {},
			hook:   panicOnce("injected open panic"),
			reason: "injected open panic",
		},
		{
			name: "leftover crash marker",
			damage: func(t testing.TB, path string) {
				if err := os.WriteFile(path+".opening", []byte("pid 1\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			},
			reason: "crashed the process",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "aliasd.db")
			s := openT(t, path)
			populate(t, s, 3000, 100)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			c.damage(t, path)

			testHookOpened = c.hook
			s, err := Open(Options{Path: path})
			testHookOpened = nil
			if err != nil {
				t.Fatalf("Open(damaged) = %v, want a fresh store", err)
			}
			moved := corruptFiles(t, path)
			if len(moved) != 1 {
				t.Fatalf("quarantined files = %q, want exactly one", moved)
			}
			w := s.Warnings()
			if len(w) != 1 || !strings.Contains(w[0], moved[0]) || !regexp.MustCompile(c.reason).MatchString(strings.SplitN(w[0], "; it was moved", 2)[0]) {
				t.Fatalf("Warnings() = %q, want one naming %s and %q", w, moved[0], c.reason)
			}
			if got := getValue(t, s, string(SeqKey(1))); got != "" {
				t.Errorf("fresh store has old data %q, want empty", got)
			}
			putGet(t, s, "after", "recovery")
			checkT(t, s)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}

			// Opening again finds a healthy file: no second quarantine.
			s = openT(t, path)
			if w := s.Warnings(); len(w) != 0 {
				t.Errorf("Warnings() on reopen = %q, want none", w)
			}
			if moved := corruptFiles(t, path); len(moved) != 1 {
				t.Errorf("quarantined files after reopen = %q, want still one", moved)
			}
			if got := getValue(t, s, "after"); got != "recovery" {
				t.Errorf("get(after) on reopen = %q, want %q", got, "recovery")
			}
			if _, err := os.Stat(path + ".opening"); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("crash marker after reopen: stat = %v, want not exist", err)
			}
			checkT(t, s)
		})
	}
}

// panicOnce returns an open hook that panics the first time only, like a
// fault in the damaged file that the fresh file no longer has.
func panicOnce(msg string) func(string) {
	done := false
	return func(string) {
		if !done {
			done = true
			panic(msg)
		}
	}
}
