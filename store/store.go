package store

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// DefaultTimeout is how long Open waits for another owner to let go of the
// file when Options.Timeout is zero.
const DefaultTimeout = time.Second

// fileMode is the mode of aliasd.db and its companions; dirMode is the mode
// of a data directory Open has to create.
const (
	fileMode = 0o600
	dirMode  = 0o700
)

// MetaBucket is the top-level bucket holding per-component schema versions.
var MetaBucket = []byte("meta")

// Sentinel errors.
var (
	// ErrLocked means another process owns the file. Open returns it as a
	// *LockedError, which names the owner's pid when known.
	ErrLocked = errors.New("store in use by another process")
	// ErrClosed is returned by methods called after Close.
	ErrClosed = errors.New("store closed")
	// ErrDamaged wraps a panic or memory fault raised by bbolt while
	// reading the file: a damaged page. The next Open runs a full check.
	ErrDamaged = errors.New("store damaged")
	// ErrSchemaTooNew means the file was written by a newer aliasd.
	ErrSchemaTooNew = errors.New("schema newer than this aliasd")
)

// LockedError says that another process holds the file.
type LockedError struct {
	Path string
	PID  int // 0 when the owner did not say
}

func (e *LockedError) Error() string {
	name := filepath.Base(e.Path)
	if e.PID > 0 {
		return fmt.Sprintf("%s is in use by another aliasd process (pid %d); stop it, or talk to it through its socket", name, e.PID)
	}
	return fmt.Sprintf("%s is in use by another process; stop it, or talk to it through its socket", name)
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Options configures Open. Path is required; every other field has a
// default.
type Options struct {
	// Path is the database file, e.g. <data dir>/aliasd.db. Required.
	Path string
	// Timeout bounds the wait for the file lock (default DefaultTimeout).
	Timeout time.Duration
	// AlwaysCheck runs the full integrity check on every open instead of
	// only after an unclean shutdown.
	AlwaysCheck bool
	// Logger receives notices about damage and recovery; nil discards.
	Logger *slog.Logger
}

// Store owns the bbolt file. Its methods are safe for concurrent use.
type Store struct {
	db       *bbolt.DB
	path     string
	log      *slog.Logger
	lock     *os.File // flock'ed aliasd.db.lock, held until Close
	warnings []string // written by Open only, read-only afterwards

	// damaged is set when a panic from bbolt was recovered during the
	// session; Close then leaves the lock file in a state that makes the
	// next Open run a full check.
	damaged atomic.Bool

	closeOnce sync.Once
	closeErr  error
}

// testHookOpened, when set by tests, runs right after bbolt has opened the
// file, inside the region where panics count as damage.
var testHookOpened func(path string)

// testHookChecking, when set by tests, runs when Open starts a full check.
var testHookChecking func(path string)

// Open opens or creates the store at opts.Path, quarantining a damaged file
// and starting afresh (see the package doc). It fails with a *LockedError
// when another process keeps the file past opts.Timeout.
func Open(opts Options) (*Store, error) {
	if opts.Path == "" {
		return nil, errors.New("opening store: no path given")
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	path, err := filepath.Abs(opts.Path)
	if err != nil {
		return nil, fmt.Errorf("opening store: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), dirMode); err != nil {
		return nil, fmt.Errorf("opening store: %w", err)
	}

	lock, prev, err := acquireLock(path, timeout)
	if err != nil {
		return nil, err
	}
	s := &Store{path: path, log: log, lock: lock}
	ok := false
	defer func() {
		if !ok {
			releaseLock(lock)
		}
	}()

	if _, err := os.Stat(markerPath(path)); err == nil {
		if err := s.quarantine("the previous open of this file crashed the process (crash marker " +
			filepath.Base(markerPath(path)) + " was left behind)"); err != nil {
			return nil, err
		}
	}

	check := opts.AlwaysCheck || prev.state != stateClosed
	db, err := s.open(check, timeout)
	var dmg *damageError
	if errors.As(err, &dmg) {
		if qerr := s.quarantine(dmg.reason); qerr != nil {
			return nil, qerr
		}
		db, err = s.open(false, timeout)
	}
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, &LockedError{Path: path}
		}
		return nil, fmt.Errorf("opening %s: %w", filepath.Base(path), err)
	}
	s.db = db
	if err := writeLockState(lock, stateOpen); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opening store: writing lock file: %w", err)
	}
	if check && prev.state != "" && prev.state != stateClosed {
		log.Info("store checked after unclean shutdown", "path", path, "previous_state", prev.state)
	}
	ok = true
	return s, nil
}

// damageError marks an open failure caused by the file's contents.
type damageError struct{ reason string }

func (e *damageError) Error() string { return "damaged file: " + e.reason }

// open opens the file with bbolt, verifies its size against its
// high-water mark and, when check is set, runs the full check. The crash
// marker exists for exactly the duration of this work. Errors caused by the
// file's contents (including panics and memory faults in bbolt) come back
// as *damageError; the rest (permissions, lock timeout) are returned as is.
func (s *Store) open(check bool, timeout time.Duration) (db *bbolt.DB, err error) {
	if info, serr := os.Stat(s.path); serr == nil && info.Size() == 0 {
		return nil, &damageError{reason: "the file is empty (zero length)"}
	}
	if err := writeMarker(s.path); err != nil {
		return nil, fmt.Errorf("writing crash marker: %w", err)
	}

	var file *os.File // bbolt's handle, closed by hand if Open panics
	bopts := &bbolt.Options{
		Timeout: timeout,
		OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
			f, err := os.OpenFile(name, flag, perm)
			file = f
			return f, err
		},
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			closeQuietly(db, file)
			db = nil
			err = &damageError{reason: fmt.Sprintf("bbolt panicked while opening or checking: %v", r)}
		}
		if err != nil {
			// The marker guards against crashes, not failures we saw.
			_ = os.Remove(markerPath(s.path))
		}
	}()

	db, err = bbolt.Open(s.path, fileMode, bopts)
	if err != nil {
		if isDamage(err) {
			return nil, &damageError{reason: err.Error()}
		}
		return nil, err
	}
	if testHookOpened != nil {
		testHookOpened(s.path)
	}
	fail := func(reason string) (*bbolt.DB, error) {
		closeQuietly(db, nil)
		return nil, &damageError{reason: reason}
	}
	if reason := sizeProblem(db, s.path); reason != "" {
		return fail(reason)
	}
	if check {
		if testHookChecking != nil {
			testHookChecking(s.path)
		}
		if cerr := checkDB(db); cerr != nil {
			return fail("integrity check failed: " + cerr.Error())
		}
	}
	if err := db.Update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(MetaBucket)
		return err
	}); err != nil {
		closeQuietly(db, nil)
		return nil, fmt.Errorf("creating meta bucket: %w", err)
	}
	if info, serr := os.Stat(s.path); serr == nil && info.Mode().Perm() != fileMode {
		if cerr := os.Chmod(s.path, fileMode); cerr != nil {
			s.log.Warn("cannot restrict store file mode", "path", s.path, "err", cerr)
		}
	}
	if err := os.Remove(markerPath(s.path)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		closeQuietly(db, nil)
		return nil, fmt.Errorf("removing crash marker: %w", err)
	}
	return db, nil
}

// isDamage reports whether an error from bbolt.Open comes from the file's
// contents rather than from the environment. bbolt reports a file shorter
// than two pages with an unexported error; its text is matched (the test
// matrix's "truncated to one page" case pins it for the bbolt version in
// go.mod).
func isDamage(err error) bool {
	return errors.Is(err, berrors.ErrInvalid) ||
		errors.Is(err, berrors.ErrChecksum) ||
		errors.Is(err, berrors.ErrVersionMismatch) ||
		strings.Contains(err.Error(), "file size too small")
}

// sizeProblem compares the file's length with the high-water mark recorded
// in its meta page. A shorter file was truncated, and reading the missing
// pages through the memory map would fault.
func sizeProblem(db *bbolt.DB, path string) string {
	info, err := os.Stat(path)
	if err != nil {
		return ""
	}
	var want int64
	_ = db.View(func(tx *bbolt.Tx) error {
		want = tx.Size()
		return nil
	})
	if info.Size() < want {
		return fmt.Sprintf("the file is %d bytes but its pages need %d (truncated)", info.Size(), want)
	}
	return ""
}

func closeQuietly(db *bbolt.DB, file *os.File) {
	defer func() { _ = recover() }()
	if db != nil {
		_ = db.Close()
		return
	}
	if file != nil {
		_ = file.Close()
	}
}

// quarantine moves a damaged file aside and records a warning. The crash
// marker, which belongs to the failed attempt, is removed.
func (s *Store) quarantine(reason string) error {
	defer os.Remove(markerPath(s.path))
	if _, err := os.Stat(s.path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	dst := quarantineName(s.path, time.Now())
	if err := os.Rename(s.path, dst); err != nil {
		return fmt.Errorf("moving damaged %s aside: %w", filepath.Base(s.path), err)
	}
	syncDir(filepath.Dir(s.path))
	msg := fmt.Sprintf("%s was damaged (%s); it was moved to %s and an empty store was started (earlier cache and history are in the moved file)",
		filepath.Base(s.path), reason, dst)
	s.warnings = append(s.warnings, msg)
	s.log.Warn("quarantined damaged store", "path", s.path, "moved_to", dst, "reason", reason)
	return nil
}

// quarantineName returns path.corrupt-<UTC time>, with a counter when a
// file of that name exists already.
func quarantineName(path string, now time.Time) string {
	base := path + ".corrupt-" + now.UTC().Format("20060102T150405Z")
	name := base
	for i := 1; ; i++ {
		if _, err := os.Lstat(name); errors.Is(err, fs.ErrNotExist) {
			return name
		}
		name = fmt.Sprintf("%s-%d", base, i)
	}
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

func markerPath(path string) string { return path + ".opening" }

// writeMarker records that an open is in progress. It needs no fsync: it
// guards against process crashes, after which the page cache survives.
func writeMarker(path string) error {
	content := fmt.Sprintf("pid %d\nsince %s\n", os.Getpid(), time.Now().UTC().Format(time.RFC3339))
	return os.WriteFile(markerPath(path), []byte(content), fileMode)
}

// DB returns the bbolt handle. Callers keep transactions short, copy bytes
// out before a transaction ends, and prefer View and Update, which turn
// bbolt panics into errors.
func (s *Store) DB() *bbolt.DB { return s.db }

// Path returns the absolute path of the database file.
func (s *Store) Path() string { return s.path }

// Warnings returns what Open had to do to a damaged file, for the daemon
// to forward to its clients. It is empty after a normal open.
func (s *Store) Warnings() []string { return append([]string(nil), s.warnings...) }

// FileSize returns the size of the database file in bytes.
func (s *Store) FileSize() (int64, error) {
	info, err := os.Stat(s.path)
	if err != nil {
		return 0, err
	}
	return info.Size(), nil
}

// View runs fn in a read-only transaction. A panic or memory fault inside
// bbolt (a damaged page) comes back as an error wrapping ErrDamaged.
func (s *Store) View(fn func(*bbolt.Tx) error) error {
	return s.guard("reading", func() error { return s.db.View(fn) })
}

// Update runs fn in a read-write transaction, like View. bbolt rolls the
// transaction back when fn panics.
func (s *Store) Update(fn func(*bbolt.Tx) error) error {
	return s.guard("writing", func() error { return s.db.Update(fn) })
}

// Check runs bbolt's full consistency check and returns every problem it
// reports, joined. It reads every page and costs time in proportion to the
// file. It runs in a read-write transaction that it rolls back: bbolt's
// check reads the shared freelist, which is only safe while no other
// writer runs, so writers wait for it.
func (s *Store) Check() error {
	return s.guard("checking", func() error {
		tx, err := s.db.Begin(true)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		return checkTx(tx)
	})
}

func (s *Store) guard(what string, fn func() error) (err error) {
	if s.db == nil {
		return ErrClosed
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			s.damaged.Store(true)
			s.log.Error("bbolt panicked", "op", what, "panic", fmt.Sprint(r))
			err = fmt.Errorf("%s %s: %w: %v", what, filepath.Base(s.path), ErrDamaged, r)
		}
	}()
	err = fn()
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

// checkDB checks the file while nothing else uses it (during Open). Like
// Check, it walks every bucket and value in the calling goroutine first, so
// that a damaged page panics where it can be recovered (bbolt runs its own
// check in a goroutine of its own), then collects every error tx.Check
// reports.
func checkDB(db *bbolt.DB) error {
	return db.View(checkTx)
}

func checkTx(tx *bbolt.Tx) error {
	if err := tx.ForEach(func(_ []byte, b *bbolt.Bucket) error {
		walkBucket(b)
		return nil
	}); err != nil {
		return err
	}
	var errs []error
	for err := range tx.Check() {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// sink keeps the compiler from dropping the reads in walkBucket.
var sink atomic.Uint32

func walkBucket(b *bbolt.Bucket) {
	var acc byte
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v == nil {
			if child := b.Bucket(k); child != nil {
				walkBucket(child)
			}
			continue
		}
		if len(v) > 0 {
			acc ^= v[0] ^ v[len(v)-1]
		}
	}
	sink.Add(uint32(acc))
}

// Close closes the database and releases the lock, recording a clean
// shutdown unless a bbolt panic was seen during the session. It is safe to
// call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.db == nil {
			return
		}
		err := s.db.Close()
		state := stateClosed
		if err != nil || s.damaged.Load() {
			state = stateDamaged
		}
		if werr := writeLockState(s.lock, state); werr != nil && err == nil {
			err = fmt.Errorf("writing lock file: %w", werr)
		}
		releaseLock(s.lock)
		if err != nil {
			s.closeErr = fmt.Errorf("closing %s: %w", filepath.Base(s.path), err)
		}
	})
	return s.closeErr
}
