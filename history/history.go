package history

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aliasd/aliasd/rpc"
	bolt "go.etcd.io/bbolt"
)

// Defaults for Config fields left zero.
const (
	DefaultMaxEntries    = 100000
	DefaultMaxAge        = 90 * 24 * time.Hour
	DefaultBodyCap       = 64 << 10
	DefaultPruneInterval = time.Minute
	DefaultPruneBatch    = 1000
	DefaultBaseURL       = "https://api.alias.org"
)

// Sentinel errors.
var (
	// ErrNotFound: no entry has that id or request ID.
	ErrNotFound = errors.New("history entry not found")
	// ErrClosed: the History was closed.
	ErrClosed = errors.New("history closed")
	// ErrSchemaTooNew: the file was written by a newer aliasd.
	ErrSchemaTooNew = errors.New("history schema is newer than this aliasd")
)

// ParamError reports a bad query parameter, export format or id. Field is
// the JSON name of the offending field; the daemon maps this error to
// JSON-RPC -32602.
type ParamError struct {
	Field  string
	Reason string
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("invalid %s: %s", e.Field, e.Reason)
}

// Migration is one step of the history's schema. Steps are applied in
// Version order, all pending ones in a single write transaction.
type Migration struct {
	Version int
	Name    string
	Apply   func(tx *bolt.Tx) error
}

// MigrateFunc applies the pending steps of a component's schema and records
// the new version. The store package's migrator can be plugged in here.
type MigrateFunc func(component string, steps []Migration) error

// Config configures a History. DB is required; every other field has a
// default.
type Config struct {
	// DB is the open bbolt file (required). History creates its own
	// buckets in it and never closes it.
	DB *bolt.DB
	// Journal, if set, is the path of a write-ahead log beside DB: an
	// append is answered once its record is synced there, and written
	// into DB right after (see journal.go). Empty commits straight to DB.
	// The caller must hold DB open (and so its lock) while the History
	// is open: the journal has no lock of its own.
	Journal string
	// MaxEntries caps the number of entries (default 100 000).
	MaxEntries int
	// MaxAge drops entries older than this (default 90 days).
	MaxAge time.Duration
	// BodyCap caps each stored request and response body, in bytes
	// (default 64 KiB). Longer bodies are cut and end with a marker.
	BodyCap int
	// PruneInterval is how often the background pruner runs (default one
	// minute). It also runs whenever an append takes the history over
	// MaxEntries. A negative value disables the background pruner.
	PruneInterval time.Duration
	// PruneBatch is how many entries one pruning transaction deletes at
	// most (default 1000), so pruning never holds the writer for long.
	PruneBatch int
	// Redact removes secrets from a string. It is applied to the path,
	// query, header values, bodies, error messages and diagnostics before
	// anything is written. Nil means DefaultRedact. Headers that carry
	// credentials (Authorization, Cookie, ...) are always replaced.
	Redact func(string) string
	// Migrate applies schema steps; nil keeps the version under
	// "history.schema" in the "meta" bucket.
	Migrate MigrateFunc
	// Version is aliasd's version, stamped on entries that carry none and
	// written as the HAR creator's version (default "dev").
	Version string
	// BaseURL prefixes paths in HAR exports (default
	// https://api.alias.org).
	BaseURL string
	// Logger receives pruning reports and background errors (nil
	// discards).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Bucket names. The shared "meta" bucket holds the schema version (default
// migrator); every other bucket is the history's own.
var (
	bucketMeta    = []byte("meta")
	bucketEntries = []byte("history.entries")    // id → summary (rpc.HistoryEntry)
	bucketBodies  = []byte("history.bodies")     // id → request and response
	bucketRID     = []byte("history.requestids") // request ID, 0x00, id → ""
	bucketClass   = []byte("history.status")     // status/100, id → status (uint16)
	bucketErrors  = []byte("history.errors")     // id → "" for error entries
	bucketState   = []byte("history.state")      // counters, see keyCount, keyMaxLag

	keySchema = []byte("history.schema")
	keyCount  = []byte("count")  // uint64: entries stored
	keyMaxLag = []byte("maxlag") // uint64 ns: the largest append time − entry time
)

var dataBuckets = [][]byte{bucketEntries, bucketBodies, bucketRID, bucketClass, bucketErrors, bucketState}

// schema is the history's migration list.
var schema = []Migration{
	{Version: 1, Name: "create history buckets", Apply: func(tx *bolt.Tx) error {
		for _, name := range dataBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("creating bucket %s: %w", name, err)
			}
		}
		return nil
	}},
}

// History is the request history. Its methods are safe for concurrent use.
type History struct {
	db      *bolt.DB
	cfg     Config
	log     *slog.Logger
	redact  func(string) string
	ids     idGen
	count   atomic.Int64  // approximate mirror of the stored count; only wakes the pruner
	maxLag  atomic.Int64  // ns, mirror of keyMaxLag
	kick    chan struct{} // wakes the pruner; buffered, never blocks
	stop    context.CancelFunc
	done    chan struct{} // closed when the pruner exits
	closeMu sync.Once

	// appendMu is held shared by each Append from its closed check until
	// its commit is answered, and exclusively by Close, so Close waits for
	// in-flight appends and none starts after it.
	appendMu sync.RWMutex
	closed   bool // guarded by appendMu
	// enqMu makes "take the next id, then queue" one step, so the queue —
	// and so the commit order — is id order.
	enqMu sync.Mutex
	queue []*pending // guarded by enqMu: appends waiting for a writer
	// writer holds a token while an append writes a group (commit.go).
	writer chan struct{}

	// The journal, when Config.Journal is set (see journal.go).
	jr         *journal
	journaled  uint64         // the writer's only: the newest journaled id
	acked      atomic.Uint64  // the newest id answered from the journal
	folds      chan []*record // journaled groups for the folder
	foldDone   chan struct{}  // closed when the folder exits
	foldNow    chan struct{}  // asks the folder to stop gathering; buffered
	foldMu     sync.Mutex
	folded     uint64        // guarded by foldMu: the newest folded id
	foldedCh   chan struct{} // guarded by foldMu: closed at the next fold
	stopping   atomic.Bool   // Close has begun: the folder stops retrying
	foldFailed bool          // folder only, read after foldDone

	// Test and benchmark hooks, set before use.
	afterPut func(rec *record) error // runs at the end of each put function
	onFold   func()                  // runs before the folder writes a group
	mode     commitMode              // how Append commits
}

// Open prepares the history's buckets in cfg.DB and starts the background
// pruner.
func Open(cfg Config) (*History, error) {
	if cfg.DB == nil {
		return nil, errors.New("opening history: Config.DB is required")
	}
	if cfg.MaxEntries < 0 || cfg.MaxAge < 0 || cfg.BodyCap < 0 || cfg.PruneBatch < 0 {
		return nil, errors.New("opening history: negative limit in Config")
	}
	if cfg.MaxEntries == 0 {
		cfg.MaxEntries = DefaultMaxEntries
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.BodyCap == 0 {
		cfg.BodyCap = DefaultBodyCap
	}
	if cfg.PruneInterval == 0 {
		cfg.PruneInterval = DefaultPruneInterval
	}
	if cfg.PruneBatch == 0 {
		cfg.PruneBatch = DefaultPruneBatch
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &History{
		db:     cfg.DB,
		cfg:    cfg,
		log:    cfg.Logger,
		redact: cfg.Redact,
		kick:   make(chan struct{}, 1),
		done:   make(chan struct{}),
		writer: make(chan struct{}, 1),
	}
	if h.log == nil {
		h.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if h.redact == nil {
		h.redact = DefaultRedact
	}
	if h.db.NoSync {
		h.log.Warn("history: bbolt NoSync is set; appended entries are not durable")
	}
	migrate := cfg.Migrate
	if migrate == nil {
		migrate = defaultMigrate(cfg.DB)
	}
	if err := migrate("history", schema); err != nil {
		return nil, fmt.Errorf("opening history: %w", err)
	}
	if err := h.load(); err != nil {
		return nil, fmt.Errorf("opening history: %w", err)
	}
	if cfg.Journal != "" {
		if err := h.openJournal(cfg.Journal); err != nil {
			return nil, fmt.Errorf("opening history: %w", err)
		}
		h.folds = make(chan []*record, 64)
		h.foldDone = make(chan struct{})
		h.foldNow = make(chan struct{}, 1)
		h.foldedCh = make(chan struct{})
		go h.foldLoop()
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.stop = cancel
	if cfg.PruneInterval > 0 {
		go h.pruneLoop(ctx)
		h.wake()
	} else {
		close(h.done)
	}
	return h, nil
}

// load reads the newest id and the counters.
func (h *History) load() error {
	return h.db.View(func(tx *bolt.Tx) error {
		for _, name := range dataBuckets {
			if tx.Bucket(name) == nil {
				return fmt.Errorf("bucket %s missing after migration", name)
			}
		}
		if k, _ := tx.Bucket(bucketEntries).Cursor().Last(); k != nil {
			if len(k) != 8 {
				return fmt.Errorf("malformed history key %x", k)
			}
			h.ids.observe(binary.BigEndian.Uint64(k))
		}
		st := tx.Bucket(bucketState)
		h.count.Store(int64(getUint(st, keyCount)))
		h.maxLag.Store(int64(getUint(st, keyMaxLag)))
		return nil
	})
}

// defaultMigrate keeps the schema version under meta/history.schema and
// applies all pending steps in one Update.
func defaultMigrate(db *bolt.DB) MigrateFunc {
	return func(component string, steps []Migration) error {
		latest := 0
		for _, s := range steps {
			latest = max(latest, s.Version)
		}
		var current int
		if err := db.View(func(tx *bolt.Tx) error {
			if m := tx.Bucket(bucketMeta); m != nil {
				current = int(getUint(m, keySchema))
			}
			return nil
		}); err != nil {
			return fmt.Errorf("reading %s schema version: %w", component, err)
		}
		if current > latest {
			return fmt.Errorf("%w: file has version %d, this aliasd knows %d", ErrSchemaTooNew, current, latest)
		}
		if current == latest {
			return nil
		}
		return db.Update(func(tx *bolt.Tx) error {
			m, err := tx.CreateBucketIfNotExists(bucketMeta)
			if err != nil {
				return fmt.Errorf("creating meta bucket: %w", err)
			}
			current = int(getUint(m, keySchema))
			for _, s := range steps {
				if s.Version <= current {
					continue
				}
				if err := s.Apply(tx); err != nil {
					return fmt.Errorf("migrating %s to version %d (%s): %w", component, s.Version, s.Name, err)
				}
			}
			return putUint(m, keySchema, uint64(latest))
		})
	}
}

// Close waits for appends in flight, then stops the folder and the
// background pruner. It does not close the DB. Appends after Close fail
// with ErrClosed.
func (h *History) Close() {
	h.closeMu.Do(func() {
		h.appendMu.Lock()
		h.closed = true
		h.appendMu.Unlock()
		if h.jr != nil {
			h.stopping.Store(true)
			close(h.folds)
			<-h.foldDone
			if !h.foldFailed {
				if err := h.jr.trim(); err != nil {
					h.log.Warn("history: emptying the journal", "err", err)
				}
			}
			h.jr.f.Close()
		}
		h.stop()
		<-h.done
	})
}

// Append redacts and caps d, stores it under a new id and returns its
// summary. It returns only after the entry is committed to disk
// (acknowledged ⇒ durable); concurrent appends share one commit (see
// commit.go). d is not modified. A Time of zero or later than now is set
// to now. ctx is checked before the append starts; once submitted, the
// append runs to completion.
func (h *History) Append(ctx context.Context, d *rpc.HistoryDetail) (rpc.HistoryEntry, error) {
	if d == nil {
		return rpc.HistoryEntry{}, errors.New("appending history entry: nil entry")
	}
	h.appendMu.RLock()
	defer h.appendMu.RUnlock()
	if h.closed {
		return rpc.HistoryEntry{}, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return rpc.HistoryEntry{}, fmt.Errorf("appending history entry: %w", err)
	}
	rec, err := h.prepare(d)
	if err != nil {
		return rpc.HistoryEntry{}, fmt.Errorf("appending history entry: %w", err)
	}
	if err := h.commit(rec); err != nil {
		return rpc.HistoryEntry{}, fmt.Errorf("appending history entry: %w", err)
	}
	h.appended(rec)
	return rec.entry, nil
}

// appended updates the counters after rec is committed.
func (h *History) appended(rec *record) {
	for {
		old := h.maxLag.Load()
		if rec.lag <= old || h.maxLag.CompareAndSwap(old, rec.lag) {
			break
		}
	}
	if h.count.Add(1) > int64(h.cfg.MaxEntries) {
		h.wake()
	}
}

// putFunc returns the transaction function that stores rec. It is
// idempotent: a group commit that fails is retried entry by entry (and
// bbolt's Batch likewise re-runs functions), and a second run in the same
// transaction finds the entry already there and changes nothing.
func (h *History) putFunc(rec *record) func(tx *bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		key := idKey(rec.id)
		entries := tx.Bucket(bucketEntries)
		if entries.Get(key) != nil {
			return nil
		}
		// Keys arrive in (nearly) increasing order: fill pages fully.
		entries.FillPercent = 0.95
		if err := entries.Put(key, rec.summary); err != nil {
			return fmt.Errorf("storing entry: %w", err)
		}
		bodies := tx.Bucket(bucketBodies)
		bodies.FillPercent = 0.95
		if err := bodies.Put(key, rec.bodies); err != nil {
			return fmt.Errorf("storing bodies: %w", err)
		}
		rids := tx.Bucket(bucketRID)
		for _, rid := range rec.rids {
			if err := rids.Put(ridKey(rid, rec.id), nil); err != nil {
				return fmt.Errorf("indexing request ID: %w", err)
			}
		}
		class := tx.Bucket(bucketClass)
		class.FillPercent = 0.9
		var st [2]byte
		binary.BigEndian.PutUint16(st[:], uint16(rec.entry.Status))
		if err := class.Put(classKey(rec.entry.Status/100, rec.id), st[:]); err != nil {
			return fmt.Errorf("indexing status: %w", err)
		}
		if rec.isError {
			errs := tx.Bucket(bucketErrors)
			errs.FillPercent = 0.95
			if err := errs.Put(key, nil); err != nil {
				return fmt.Errorf("indexing error: %w", err)
			}
		}
		state := tx.Bucket(bucketState)
		if err := putUint(state, keyCount, getUint(state, keyCount)+1); err != nil {
			return fmt.Errorf("counting: %w", err)
		}
		if uint64(rec.lag) > getUint(state, keyMaxLag) {
			if err := putUint(state, keyMaxLag, uint64(rec.lag)); err != nil {
				return fmt.Errorf("storing lag: %w", err)
			}
		}
		if h.afterPut != nil {
			return h.afterPut(rec)
		}
		return nil
	}
}

// Get returns the entry with history id id.
func (h *History) Get(id string) (*rpc.HistoryDetail, error) {
	v, err := parseID(strings.TrimSpace(id))
	if err != nil {
		return nil, &ParamError{Field: "id", Reason: err.Error()}
	}
	var d *rpc.HistoryDetail
	err = h.view(func(tx *bolt.Tx) error {
		var err error
		d, err = readDetail(tx, v)
		return err
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// GetByRequestID returns the newest entry that recorded request ID rid, for
// any of its attempts.
func (h *History) GetByRequestID(rid string) (*rpc.HistoryDetail, error) {
	rid = strings.TrimSpace(rid)
	if !validRID(rid) {
		return nil, &ParamError{Field: "requestId", Reason: "must be 1 to 512 characters without NUL"}
	}
	var d *rpc.HistoryDetail
	err := h.view(func(tx *bolt.Tx) error {
		prefix := ridPrefix(rid)
		c := tx.Bucket(bucketRID).Cursor()
		for k, _ := seekLE(c, ridKey(rid, ^uint64(0))); k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, _ = c.Prev() {
			var err error
			d, err = readDetail(tx, binary.BigEndian.Uint64(k[len(prefix):]))
			if !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		return ErrNotFound
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// Lookup finds an entry by history id or, failing that, by request ID.
func (h *History) Lookup(s string) (*rpc.HistoryDetail, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, &ParamError{Field: "id", Reason: "empty; give a history id or a request ID"}
	}
	if _, err := parseID(s); err == nil {
		d, err := h.Get(s)
		if !errors.Is(err, ErrNotFound) {
			return d, err
		}
	}
	return h.GetByRequestID(s)
}

// Count returns the number of stored entries.
func (h *History) Count() (int, error) {
	var n uint64
	err := h.view(func(tx *bolt.Tx) error {
		n = getUint(tx.Bucket(bucketState), keyCount)
		return nil
	})
	return int(n), err
}

// Clear removes every entry and returns how many there were. The file keeps
// its size; bbolt reuses the freed pages.
func (h *History) Clear() (int, error) {
	var n uint64
	h.settle()
	err := h.db.Update(func(tx *bolt.Tx) error {
		n = getUint(tx.Bucket(bucketState), keyCount)
		// The folded mark outlives a clear: records the journal still
		// holds must not come back at the next Open.
		folded := getUint(tx.Bucket(bucketState), keyFolded)
		for _, name := range dataBuckets {
			if err := tx.DeleteBucket(name); err != nil {
				return fmt.Errorf("deleting bucket %s: %w", name, err)
			}
			if _, err := tx.CreateBucket(name); err != nil {
				return fmt.Errorf("creating bucket %s: %w", name, err)
			}
		}
		if folded == 0 {
			return nil
		}
		return putUint(tx.Bucket(bucketState), keyFolded, folded)
	})
	if err != nil {
		return 0, fmt.Errorf("clearing history: %w", err)
	}
	h.count.Store(0)
	h.maxLag.Store(0)
	return int(n), nil
}

// readDetail decodes the entry and bodies stored under id. The result owns
// its memory.
func readDetail(tx *bolt.Tx, id uint64) (*rpc.HistoryDetail, error) {
	key := idKey(id)
	v := tx.Bucket(bucketEntries).Get(key)
	if v == nil {
		return nil, ErrNotFound
	}
	d := &rpc.HistoryDetail{}
	if err := decodeSummary(v, &d.HistoryEntry); err != nil {
		return nil, fmt.Errorf("history entry %s: %w", formatID(id), err)
	}
	if b := tx.Bucket(bucketBodies).Get(key); b != nil {
		if err := decodeBodies(b, d); err != nil {
			return nil, fmt.Errorf("history entry %s: %w", formatID(id), err)
		}
	}
	return d, nil
}

// seekLE positions c at the last key ≤ target and returns it.
func seekLE(c *bolt.Cursor, target []byte) ([]byte, []byte) {
	k, v := c.Seek(target)
	if k == nil {
		return c.Last()
	}
	if bytes.Equal(k, target) {
		return k, v
	}
	return c.Prev()
}

func ridPrefix(rid string) []byte {
	b := make([]byte, 0, len(rid)+1)
	b = append(b, rid...)
	return append(b, 0)
}

func ridKey(rid string, id uint64) []byte {
	return append(ridPrefix(rid), idKey(id)...)
}

func classKey(class int, id uint64) []byte {
	return append([]byte{byte(class)}, idKey(id)...)
}

// validRID reports whether rid can be indexed.
func validRID(rid string) bool {
	return rid != "" && len(rid) <= 512 && !strings.ContainsRune(rid, 0)
}

func getUint(b *bolt.Bucket, key []byte) uint64 {
	v := b.Get(key)
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func putUint(b *bolt.Bucket, key []byte, n uint64) error {
	return b.Put(key, idKey(n))
}

// wake asks the pruner to run soon.
func (h *History) wake() {
	select {
	case h.kick <- struct{}{}:
	default:
	}
}
