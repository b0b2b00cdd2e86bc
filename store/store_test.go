package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// childEnv selects a child-process role when the test binary re-executes
// itself.
const childEnv = "ALIASD_STORE_TEST_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "open":
		// Try to open the store named by argv and report the outcome.
		s, err := Open(Options{Path: os.Getenv("ALIASD_STORE_TEST_PATH"), Timeout: 300 * time.Millisecond})
		if err != nil {
			fmt.Printf("error: %v\nis-locked: %v\n", err, errors.Is(err, ErrLocked))
			os.Exit(3)
		}
		s.Close()
		fmt.Println("opened")
		os.Exit(0)
	default:
		fmt.Fprintln(os.Stderr, "unknown child role")
		os.Exit(2)
	}
}

// openT opens a store at path and registers its close.
func openT(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(Options{Path: path})
	if err != nil {
		t.Fatalf("Open(%s) = %v, want nil error", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// checkT runs the integrity check every bbolt test ends with.
func checkT(t *testing.T, s *Store) {
	t.Helper()
	if err := s.Check(); err != nil {
		t.Fatalf("Check() = %v, want nil", err)
	}
}

var testBucket = []byte("test")

// populate writes n keys of ~size bytes into testBucket.
func populate(t testing.TB, s *Store, n, size int) {
	t.Helper()
	const perTx = 1000
	for start := 0; start < n; start += perTx {
		err := s.Update(func(tx *bbolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists(testBucket)
			if err != nil {
				return err
			}
			for i := start; i < min(start+perTx, n); i++ {
				if err := b.Put(SeqKey(uint64(i)), bytes.Repeat([]byte{byte(i)}, size)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("populate: %v", err)
		}
	}
}

func putGet(t *testing.T, s *Store, key, val string) {
	t.Helper()
	if err := s.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(testBucket)
		if err != nil {
			return err
		}
		return b.Put([]byte(key), []byte(val))
	}); err != nil {
		t.Fatalf("Update(put %q) = %v", key, err)
	}
	if got := getValue(t, s, key); got != val {
		t.Fatalf("get(%q) = %q, want %q", key, got, val)
	}
}

func getValue(t *testing.T, s *Store, key string) string {
	t.Helper()
	var got string
	if err := s.View(func(tx *bbolt.Tx) error {
		if b := tx.Bucket(testBucket); b != nil {
			got = string(b.Get([]byte(key)))
		}
		return nil
	}); err != nil {
		t.Fatalf("View(get %q) = %v", key, err)
	}
	return got
}

func corruptFiles(t *testing.T, path string) []string {
	t.Helper()
	m, err := filepath.Glob(path + ".corrupt-*")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "aliasd")
	path := filepath.Join(dir, "aliasd.db")
	s := openT(t, path)
	for _, c := range []struct {
		name string
		want os.FileMode
	}{{dir, 0o700}, {path, 0o600}, {path + ".lock", 0o600}} {
		info, err := os.Stat(c.name)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != c.want {
			t.Errorf("mode(%s) = %o, want %o", c.name, got, c.want)
		}
	}
	if _, err := os.Stat(path + ".opening"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("crash marker after a good open: stat = %v, want not exist", err)
	}
	if w := s.Warnings(); len(w) != 0 {
		t.Errorf("Warnings() = %q, want none", w)
	}
	if s.Path() != path {
		t.Errorf("Path() = %q, want %q", s.Path(), path)
	}
	if err := s.View(func(tx *bbolt.Tx) error {
		if tx.Bucket(MetaBucket) == nil {
			return errors.New("meta bucket missing")
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
	checkT(t, s)
}

func TestOpenRestrictsExistingFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aliasd.db")
	s := openT(t, path)
	s.Close()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	s = openT(t, path)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o600 {
		t.Errorf("mode after reopen = %o, want 600", got)
	}
	checkT(t, s)
}

func TestOpenBadOptions(t *testing.T) {
	if _, err := Open(Options{}); err == nil || !strings.Contains(err.Error(), "no path") {
		t.Errorf("Open(no path) = %v, want error naming the missing path", err)
	}
	// A path whose parent is a regular file cannot be created: a clear
	// error, and the blocking file is left alone.
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(Options{Path: filepath.Join(blocker, "aliasd.db")}); err == nil {
		t.Errorf("Open(under a file) = nil error, want an error")
	}
	if b, _ := os.ReadFile(blocker); string(b) != "keep" {
		t.Errorf("blocking file = %q, want it untouched", b)
	}
}

func TestQuarantineNameIsUnique(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aliasd.db")
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	first := quarantineName(path, now)
	if want := path + ".corrupt-20260102T030405Z"; first != want {
		t.Fatalf("quarantineName = %q, want %q", first, want)
	}
	if err := os.WriteFile(first, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if second := quarantineName(path, now); second == first || !strings.HasPrefix(second, first) {
		t.Errorf("quarantineName with %s taken = %q, want a distinct name with that prefix", first, second)
	}
}

func TestCheckRunsOnlyAfterUncleanShutdown(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aliasd.db")
	checks := 0
	testHookChecking = func(string) { checks++ }
	t.Cleanup(func() { testHookChecking = nil })

	cases := []struct {
		name    string
		prepare func(t *testing.T)
		always  bool
		want    int
	}{
		{"new file", func(*testing.T) {}, false, 1},
		{"after clean close", func(*testing.T) {}, false, 0},
		{"after unclean shutdown", func(t *testing.T) { markUnclean(t, path) }, false, 1},
		{"lock file missing", func(t *testing.T) { os.Remove(path + ".lock") }, false, 1},
		{"always check", func(*testing.T) {}, true, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.prepare(t)
			checks = 0
			s, err := Open(Options{Path: path, AlwaysCheck: c.always})
			if err != nil {
				t.Fatal(err)
			}
			populate(t, s, 10, 10)
			checkT(t, s)
			s.Close()
			if checks != c.want {
				t.Errorf("full checks during Open = %d, want %d", checks, c.want)
			}
		})
	}
}

func TestPanicDuringSessionForcesCheckOnNextOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aliasd.db")
	s := openT(t, path)
	err := s.View(func(*bbolt.Tx) error { panic("damaged page") })
	if !errors.Is(err, ErrDamaged) {
		t.Fatalf("View(panicking fn) = %v, want ErrDamaged", err)
	}
	err = s.Update(func(*bbolt.Tx) error { panic("damaged page") })
	if !errors.Is(err, ErrDamaged) {
		t.Fatalf("Update(panicking fn) = %v, want ErrDamaged", err)
	}
	putGet(t, s, "still", "works")
	s.Close()
	if info := readLockFile(t, path); info.state != stateDamaged {
		t.Fatalf("lock state after a recovered panic = %q, want %q", info.state, stateDamaged)
	}
	checked := false
	testHookChecking = func(string) { checked = true }
	defer func() { testHookChecking = nil }()
	s = openT(t, path)
	if !checked {
		t.Errorf("Open after a recovered panic ran no full check, want one")
	}
	checkT(t, s)
}

func readLockFile(t *testing.T, path string) lockInfo {
	t.Helper()
	f, err := os.Open(path + ".lock")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return readLockInfo(f)
}

func TestClosedStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aliasd.db")
	s := openT(t, path)
	checkT(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close() = %v, want nil", err)
	}
	if err := s.Check(); !errors.Is(err, ErrClosed) {
		t.Errorf("Check after Close = %v, want ErrClosed", err)
	}
	if err := s.View(func(*bbolt.Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("View after Close = %v, want ErrClosed", err)
	}
	if info := readLockFile(t, path); info.state != stateClosed || info.pid != os.Getpid() {
		t.Errorf("lock file after Close = %+v, want state closed, pid %d", info, os.Getpid())
	}
}

func TestSecondOpenInSameProcessIsLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aliasd.db")
	s := openT(t, path)
	_, err := Open(Options{Path: path, Timeout: 50 * time.Millisecond})
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open = %v, want *LockedError", err)
	}
	if le.PID != os.Getpid() {
		t.Errorf("LockedError.PID = %d, want %d", le.PID, os.Getpid())
	}
	checkT(t, s)
}

func TestSecondProcessGetsErrLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aliasd.db")
	s := openT(t, path)
	populate(t, s, 10, 10)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=open", "ALIASD_STORE_TEST_PATH="+path)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("second process still waiting after 60s (a hang): %s", out)
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("second process = %v, output %q; want exit 3", err, out)
	}
	want := fmt.Sprintf("aliasd.db is in use by another aliasd process (pid %d)", os.Getpid())
	if !strings.Contains(string(out), want) || !strings.Contains(string(out), "is-locked: true") {
		t.Errorf("second process output = %q, want %q and is-locked: true", out, want)
	}
	checkT(t, s)

	// Once the owner closes, the same child opens the file.
	s.Close()
	cmd = exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=open", "ALIASD_STORE_TEST_PATH="+path)
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "opened") {
		t.Errorf("child open after Close = %v, %q; want opened", err, out)
	}
}

func TestMigrate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aliasd.db")
	s := openT(t, path)
	var ran []int
	step := func(n int) func(*bbolt.Tx) error {
		return func(tx *bbolt.Tx) error {
			ran = append(ran, n)
			_, err := tx.CreateBucketIfNotExists([]byte("b" + strconv.Itoa(n)))
			return err
		}
	}
	steps := []func(*bbolt.Tx) error{step(1), step(2)}

	t.Run("fresh runs every step", func(t *testing.T) {
		if err := s.Migrate("comp", steps); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(ran) != "[1 2]" {
			t.Errorf("steps run = %v, want [1 2]", ran)
		}
		if v, _ := s.SchemaVersion("comp"); v != 2 {
			t.Errorf("SchemaVersion = %d, want 2", v)
		}
	})
	t.Run("current runs nothing", func(t *testing.T) {
		ran = nil
		if err := s.Migrate("comp", steps); err != nil {
			t.Fatal(err)
		}
		if len(ran) != 0 {
			t.Errorf("steps run = %v, want none", ran)
		}
	})
	t.Run("failing step rolls back all pending steps", func(t *testing.T) {
		ran = nil
		bad := append(steps[:2:2], step(3), func(*bbolt.Tx) error { return errors.New("boom") })
		err := s.Migrate("comp", bad)
		if err == nil || !strings.Contains(err.Error(), "version 4") {
			t.Fatalf("Migrate(failing step) = %v, want an error naming version 4", err)
		}
		if v, _ := s.SchemaVersion("comp"); v != 2 {
			t.Errorf("SchemaVersion after failure = %d, want 2", v)
		}
		s.View(func(tx *bbolt.Tx) error {
			if tx.Bucket([]byte("b3")) != nil {
				t.Errorf("bucket b3 exists after a failed migration, want rolled back")
			}
			return nil
		})
	})
	t.Run("newer schema is refused and kept", func(t *testing.T) {
		ran = nil
		err := s.Migrate("comp", steps[:1])
		var se *SchemaError
		if !errors.As(err, &se) || !errors.Is(err, ErrSchemaTooNew) || se.Stored != 2 || se.Known != 1 {
			t.Fatalf("Migrate(older code) = %v, want SchemaError{Stored 2, Known 1}", err)
		}
		if v, _ := s.SchemaVersion("comp"); v != 2 {
			t.Errorf("SchemaVersion after refusal = %d, want 2 (not clobbered)", v)
		}
	})
	t.Run("components are independent", func(t *testing.T) {
		if err := s.Migrate("other", steps[:1]); err != nil {
			t.Fatal(err)
		}
		if v, _ := s.SchemaVersion("other"); v != 1 {
			t.Errorf("SchemaVersion(other) = %d, want 1", v)
		}
	})
	t.Run("no component name", func(t *testing.T) {
		if err := s.Migrate("", steps); err == nil {
			t.Errorf("Migrate(\"\") = nil, want an error")
		}
	})
	checkT(t, s)
}

func TestSeqKeys(t *testing.T) {
	nums := []uint64{0, 1, 255, 256, 1 << 32, 1<<64 - 1}
	for i, n := range nums {
		k := SeqKey(n)
		got, err := ParseSeqKey(k)
		if err != nil || got != n {
			t.Errorf("ParseSeqKey(SeqKey(%d)) = %d, %v; want %d", n, got, err, n)
		}
		if i > 0 && bytes.Compare(SeqKey(nums[i-1]), k) >= 0 {
			t.Errorf("SeqKey(%d) sorts at or after SeqKey(%d), want before", nums[i-1], n)
		}
	}
	if _, err := ParseSeqKey([]byte("short")); err == nil {
		t.Errorf("ParseSeqKey(5 bytes) = nil error, want one")
	}

	path := filepath.Join(t.TempDir(), "aliasd.db")
	s := openT(t, path)
	var keys [][]byte
	if err := s.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucket([]byte("seq"))
		if err != nil {
			return err
		}
		for i := 0; i < 300; i++ {
			k, err := NextSeqKey(b)
			if err != nil {
				return err
			}
			keys = append(keys, k)
			if err := b.Put(k, nil); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket([]byte("seq")).Cursor()
		i := 0
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if !bytes.Equal(k, keys[i]) {
				t.Fatalf("bucket key %d = %x, want %x (insertion order)", i, k, keys[i])
			}
			i++
		}
		return nil
	})
	checkT(t, s)
}

func TestSizeProblemSpotsTruncation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aliasd.db")
	s := openT(t, path)
	populate(t, s, 500, 100)
	if got := sizeProblem(s.DB(), path); got != "" {
		t.Fatalf("sizeProblem(healthy) = %q, want empty", got)
	}
	// A copy cut one page below the high-water mark: reading its pages
	// would fault, the size comparison alone must notice.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(t.TempDir(), "short.db")
	if err := os.WriteFile(short, data[:highWaterOf(s)-int64(os.Getpagesize())], 0o600); err != nil {
		t.Fatal(err)
	}
	if got := sizeProblem(s.DB(), short); !strings.Contains(got, "truncated") {
		t.Errorf("sizeProblem(truncated copy) = %q, want it to say truncated", got)
	}
	checkT(t, s)
}

func highWaterOf(s *Store) int64 {
	var size int64
	s.View(func(tx *bbolt.Tx) error {
		size = tx.Size()
		return nil
	})
	return size
}

func TestCheckWhileWriting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aliasd.db")
	s := openT(t, path)
	populate(t, s, 2000, 50)
	done := make(chan struct{})
	writes := make(chan error, 1)
	go func() {
		defer close(writes)
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			if err := s.Update(func(tx *bbolt.Tx) error {
				b, err := tx.CreateBucketIfNotExists([]byte("busy"))
				if err != nil {
					return err
				}
				return b.Put(SeqKey(uint64(i%500)), bytes.Repeat([]byte{1}, 200))
			}); err != nil {
				writes <- err
				return
			}
		}
	}()
	for range 5 {
		checkT(t, s)
	}
	close(done)
	if err := <-writes; err != nil {
		t.Errorf("concurrent Update = %v", err)
	}
	checkT(t, s)
}
