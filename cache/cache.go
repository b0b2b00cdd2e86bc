package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/aliasd/aliasd/alias"
	"github.com/aliasd/aliasd/rpc"
	"github.com/aliasd/aliasd/store"
)

// Defaults for Config.
const (
	DefaultMaxBytes      int64 = 256 << 20
	DefaultCompressAbove       = 4 << 10
	// defaultMaxEntryBytes caps one entry unless Config.MaxEntryBytes says
	// otherwise (and never more than MaxBytes).
	defaultMaxEntryBytes int64 = 16 << 20
)

// DefaultTTL returns the default freshness lifetime of each cacheable
// endpoint class. A TTL of 0 means "always revalidate; keep the entry for
// revalidation and offline use". CacheNone and CacheTest are never cached.
func DefaultTTL() map[alias.CacheClass]time.Duration {
	return map[alias.CacheClass]time.Duration{
		alias.CacheCatalogItem:   24 * time.Hour,
		alias.CacheCatalogSearch: 10 * time.Minute,
		alias.CachePricing:       60 * time.Second,
		alias.CacheListings:      0,
		alias.CacheOrders:        0,
		alias.CacheBatch:         0,
	}
}

// ErrNotCached answers an only-if-cached request that has no entry. Like
// HTTP's only-if-cached, the daemon reports it as status 504
// (NotCachedStatus) without calling the API.
var ErrNotCached = errors.New("not in cache (only-if-cached)")

// NotCachedStatus is the HTTP-like status that goes with ErrNotCached.
const NotCachedStatus = http.StatusGatewayTimeout

// Config configures New. Store is required; every other field has a
// default.
type Config struct {
	// Store is the opened aliasd.db. Required.
	Store *store.Store
	// TTL overrides DefaultTTL per class; classes absent here keep their
	// default. A negative TTL turns caching off for the class. TTLs for
	// CacheNone and CacheTest are ignored: those are never cached.
	TTL map[alias.CacheClass]time.Duration
	// MaxBytes caps the sum of keys and encoded records (default
	// DefaultMaxBytes); least recently used entries go first.
	MaxBytes int64
	// MaxEntryBytes caps one response body (default 16 MiB, at most
	// MaxBytes); bigger ones are not stored.
	MaxEntryBytes int64
	// CompressAbove gzips bodies longer than this many bytes (default
	// DefaultCompressAbove; negative turns compression off).
	CompressAbove int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives store failures; nil discards.
	Logger *slog.Logger
}

// Request is one call as the cache sees it.
type Request struct {
	Key   Key
	Class alias.CacheClass
	// Mode is rpc.CacheDefault (or ""), rpc.CacheNoCache or
	// rpc.CacheOnlyIfCached.
	Mode string
	// AllowStale lets Do answer from a stale entry when upstream gives no
	// HTTP answer or a 5xx. The daemon's default is true.
	AllowStale bool
}

// Response is an HTTP answer: from upstream (Fetch) or from an entry.
// Callers must not modify Body: callers sharing one Fetch get copies of the
// header but may share the body's bytes.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// Truncated: the client cut the body at its cap. Never stored.
	Truncated bool
	// NetErr: no HTTP answer arrived (Status 0); Err says why.
	NetErr bool
	Err    error
	// Extra is opaque to the cache: whatever the Fetch wants to hand back
	// to its callers (request IDs, attempts, ...). It is never stored.
	Extra any
}

// Fetch makes the real upstream call. conditional holds If-None-Match and
// If-Modified-Since when the cache revalidates an entry; Fetch adds them
// to its request. A Fetch may return an error instead of a Response with
// NetErr; both count as "no HTTP answer".
type Fetch func(ctx context.Context, conditional http.Header) (*Response, error)

// Result is Do's answer.
type Result struct {
	Response *Response
	// Provenance is rpc.CacheHit, CacheMiss, CacheRevalidated, CacheStale
	// or CacheBypass.
	Provenance string
	// Age is how long ago upstream last confirmed the answer (0 for one
	// that just came from upstream).
	Age time.Duration
	// Fetched: this caller's Fetch ran (false for a hit and for callers
	// that shared another caller's Fetch).
	Fetched bool
	// Stale says why a stale entry was served; "" otherwise.
	Stale string
	// Upstream is the upstream answer when Response is not it: the 304 of
	// a revalidation, the 5xx or network failure behind a stale serve.
	Upstream *Response
}

// Cache is the response cache. Its methods are safe for concurrent use.
type Cache struct {
	st            *store.Store
	ttl           map[alias.CacheClass]time.Duration // read-only after New
	maxBytes      int64
	maxEntry      int64
	compressAbove int
	now           func() time.Time
	log           *slog.Logger

	group    singleflight.Group
	flightMu sync.Mutex         // guards flights
	flights  map[string]*flight // in-progress shared fetches by flight key

	// Write-behind queue (writer.go). putMu guards gen, queue,
	// queueBytes, seq, committed and stopped; putCond (on putMu) signals
	// commits.
	putMu      sync.Mutex
	putCond    *sync.Cond
	gen        uint64         // invalidations so far; a fetch started under an older value does not store
	queue      map[string]*op // latest uncommitted write per canonical key
	queueBytes int            // encoded bytes in queue
	maxQueue   int            // cap on queueBytes (read-only after New)
	seq        uint64         // ops queued so far
	committed  uint64         // ops whose fate is settled (written, skipped or failed)
	stopped    bool           // the writer has exited

	kick       chan struct{} // wakes the writer (buffered, 1)
	stopWriter chan struct{} // closed by Close
	writerDone chan struct{} // closed when the writer exits
	stopOnce   sync.Once

	accessMu  sync.Mutex       // guards pending, lastFlush
	pending   map[string]int64 // canonical key -> unflushed last access (unix ns)
	lastFlush time.Time

	base    counters // persisted totals when the cache opened; read-only after New
	session counters // counted since New (atomic fields)
}

// counters are the running statistics. In session they are updated
// atomically; the persisted totals are base + session.
type counters struct {
	hits, misses, revalidations, staleServes, evictions atomic.Int64
}

// New opens the cache on cfg.Store, running its schema migrations.
func New(cfg Config) (*Cache, error) {
	if cfg.Store == nil {
		return nil, errors.New("cache: Config.Store is required")
	}
	ttl := DefaultTTL()
	for class, d := range cfg.TTL {
		ttl[class] = d
	}
	delete(ttl, alias.CacheNone)
	delete(ttl, alias.CacheTest)
	c := &Cache{
		st:            cfg.Store,
		ttl:           ttl,
		maxBytes:      cfg.MaxBytes,
		maxEntry:      cfg.MaxEntryBytes,
		compressAbove: cfg.CompressAbove,
		now:           cfg.Now,
		log:           cfg.Logger,
		flights:       make(map[string]*flight),
		pending:       make(map[string]int64),
		queue:         make(map[string]*op),
		maxQueue:      defaultMaxQueueBytes,
		kick:          make(chan struct{}, 1),
		stopWriter:    make(chan struct{}),
		writerDone:    make(chan struct{}),
	}
	c.putCond = sync.NewCond(&c.putMu)
	switch {
	case c.maxBytes < 0:
		return nil, fmt.Errorf("cache: MaxBytes %d is negative", c.maxBytes)
	case c.maxBytes == 0:
		c.maxBytes = DefaultMaxBytes
	}
	switch {
	case c.maxEntry < 0:
		return nil, fmt.Errorf("cache: MaxEntryBytes %d is negative", c.maxEntry)
	case c.maxEntry == 0:
		c.maxEntry = defaultMaxEntryBytes
	}
	c.maxEntry = min(c.maxEntry, c.maxBytes)
	if c.compressAbove == 0 {
		c.compressAbove = DefaultCompressAbove
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Store.Migrate(component, migrations); err != nil {
		return nil, fmt.Errorf("opening cache: %w", err)
	}
	if err := c.loadCounters(); err != nil {
		return nil, fmt.Errorf("opening cache: %w", err)
	}
	c.lastFlush = c.now()
	go c.writeLoop()
	return c, nil
}

// classTTL returns the class's lifetime and whether it is cached at all.
func (c *Cache) classTTL(class alias.CacheClass) (time.Duration, bool) {
	d, ok := c.ttl[class]
	return d, ok && d >= 0
}

// ErrBadMode is returned for a Request.Mode Do does not know.
var ErrBadMode = errors.New("unknown cache mode")

// Do answers req from the cache or through fetch, following the rules in
// the package doc. Errors: ErrNotCached (only-if-cached without an entry),
// ErrBadKey and ErrBadMode (bad input), the caller's context error, and
// whatever Fetch returned when no entry could stand in for it.
func (c *Cache) Do(ctx context.Context, req Request, fetch Fetch) (*Result, error) {
	if fetch == nil {
		return nil, errors.New("cache: nil Fetch")
	}
	mode := req.Mode
	switch mode {
	case "", rpc.CacheDefault:
		mode = rpc.CacheDefault
	case rpc.CacheNoCache, rpc.CacheOnlyIfCached:
	default:
		return nil, fmt.Errorf("%w %q (want %q, %q or %q)", ErrBadMode, req.Mode, rpc.CacheDefault, rpc.CacheNoCache, rpc.CacheOnlyIfCached)
	}
	req.Mode = mode
	ttl, cacheable := c.classTTL(req.Class)
	if !cacheable || !cacheableMethod(req.Key.Method) {
		if mode == rpc.CacheOnlyIfCached {
			return nil, ErrNotCached
		}
		resp, err := fetch(ctx, nil)
		if err != nil {
			return nil, err
		}
		return &Result{Response: resp, Provenance: rpc.CacheBypass, Fetched: true}, nil
	}
	ck, err := req.Key.Canonical()
	if err != nil {
		return nil, err
	}
	ent := c.load(ck)
	now := c.now()
	switch {
	case ent == nil && mode == rpc.CacheOnlyIfCached:
		return nil, ErrNotCached
	case ent != nil && mode == rpc.CacheOnlyIfCached:
		res := &Result{Response: ent.response(), Provenance: rpc.CacheHit, Age: ent.age(now)}
		if !ent.fresh(now) {
			res.Provenance = rpc.CacheStale
			res.Stale = fmt.Sprintf("only-if-cached: the entry expired %s ago", (res.Age - ent.lifetime).Round(time.Second))
		}
		c.touch(ck, now)
		c.count(res.Provenance)
		return res, nil
	case ent != nil && mode == rpc.CacheDefault && ent.fresh(now):
		c.touch(ck, now)
		c.count(rpc.CacheHit)
		return &Result{Response: ent.response(), Provenance: rpc.CacheHit, Age: ent.age(now)}, nil
	}
	return c.upstream(ctx, ck, req, ttl, fetch)
}

// outcome is what one shared upstream round produced.
type outcome struct {
	resp       *Response
	provenance string
	age        time.Duration
	stale      string
	upstream   *Response
	fetched    bool // Fetch ran (false when the entry turned fresh meanwhile)
}

// upstream runs (or joins) the shared fetch for ck.
func (c *Cache) upstream(ctx context.Context, ck string, req Request, ttl time.Duration, fetch Fetch) (*Result, error) {
	fkey := fmt.Sprintf("%s\x00%s\x00%t", ck, req.Mode, req.AllowStale)
	ran := false
	out, shared, err := c.join(ctx, fkey, func(fctx context.Context) (*outcome, error) {
		ran = true
		return c.fetchAndStore(fctx, ck, req, ttl, fetch)
	})
	if err != nil {
		return nil, err
	}
	res := &Result{
		Response:   out.resp,
		Provenance: out.provenance,
		Age:        out.age,
		Fetched:    ran && out.fetched,
		Stale:      out.stale,
		Upstream:   out.upstream,
	}
	if shared {
		res.Response = out.resp.clone()
		res.Upstream = out.upstream.clone()
	}
	c.count(res.Provenance)
	return res, nil
}

func (r *Response) clone() *Response {
	if r == nil {
		return nil
	}
	cp := *r
	cp.Header = r.Header.Clone()
	return &cp
}

// fetchAndStore is the body of a shared fetch: look again (another flight
// may have just refreshed the entry), ask upstream, apply the answer.
func (c *Cache) fetchAndStore(ctx context.Context, ck string, req Request, ttl time.Duration, fetch Fetch) (*outcome, error) {
	ent := c.load(ck)
	now := c.now()
	if ent != nil && req.Mode == rpc.CacheDefault && ent.fresh(now) {
		c.touch(ck, now)
		return &outcome{resp: ent.response(), provenance: rpc.CacheHit, age: ent.age(now)}, nil
	}
	gen := c.generation()
	var cond http.Header
	if ent != nil {
		cond = make(http.Header)
		if v := ent.header.Get("Etag"); v != "" {
			cond.Set("If-None-Match", v)
		}
		if v := ent.header.Get("Last-Modified"); v != "" {
			cond.Set("If-Modified-Since", v)
		}
		if len(cond) == 0 {
			cond = nil
		}
	}
	resp, ferr := fetch(ctx, cond)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	now = c.now()

	if ferr != nil || resp == nil || resp.NetErr || resp.Status >= 500 {
		if ent != nil && req.AllowStale && req.Mode != rpc.CacheNoCache && !ent.noStale {
			c.touch(ck, now)
			return &outcome{
				resp: ent.response(), provenance: rpc.CacheStale, age: ent.age(now),
				stale: staleReason(resp, ferr), upstream: resp, fetched: true,
			}, nil
		}
		if ferr != nil {
			return nil, ferr
		}
		if resp == nil {
			return nil, errors.New("cache: Fetch returned neither a response nor an error")
		}
		return &outcome{resp: resp, provenance: rpc.CacheMiss, fetched: true}, nil
	}

	if resp.Status == http.StatusNotModified && ent != nil && cond != nil {
		ent.merge304(resp.Header)
		pol := responsePolicy(ent.header, ttl, now)
		ent.validatedAt, ent.lifetime, ent.noStale = now, pol.lifetime, pol.noStale
		if pol.store {
			c.enqueuePut(ck, ent, gen)
		} else {
			c.enqueueDelete(ck)
		}
		return &outcome{resp: ent.response(), provenance: rpc.CacheRevalidated, upstream: resp, fetched: true}, nil
	}

	switch c.decide(resp, ttl, now) {
	case doStore:
		pol := responsePolicy(resp.Header, ttl, now)
		c.enqueuePut(ck, &entry{
			status: resp.Status, header: storableHeader(resp.Header), body: resp.Body,
			storedAt: now, validatedAt: now, lifetime: pol.lifetime, noStale: pol.noStale,
		}, gen)
	case drop:
		if ent != nil {
			c.enqueueDelete(ck)
		}
	}
	return &outcome{resp: resp, provenance: rpc.CacheMiss, fetched: true}, nil
}

type decision int

const (
	keep    decision = iota // leave any existing entry alone
	doStore                 // store the response
	drop                    // remove any existing entry
)

// decide applies the storage rules to an upstream answer.
func (c *Cache) decide(resp *Response, ttl time.Duration, now time.Time) decision {
	switch {
	case resp.Status == http.StatusNotFound || resp.Status == http.StatusGone:
		return drop
	case resp.Status < 200 || resp.Status > 299:
		return keep // 401, 403, 429, other 4xx, a stray 304: never stored
	case resp.Status != http.StatusOK, resp.Truncated, int64(len(resp.Body)) > c.maxEntry:
		return drop // a newer answer that cannot be stored outdates the entry
	case !responsePolicy(resp.Header, ttl, now).store:
		return drop
	}
	return doStore
}

func staleReason(resp *Response, err error) string {
	switch {
	case err != nil:
		return "upstream unreachable: " + err.Error()
	case resp == nil:
		return "upstream gave no answer"
	case resp.NetErr && resp.Err != nil:
		return "upstream unreachable: " + resp.Err.Error()
	case resp.NetErr:
		return "upstream unreachable"
	default:
		return fmt.Sprintf("upstream answered %d", resp.Status)
	}
}

// count adds one answer to the statistics.
func (c *Cache) count(provenance string) {
	switch provenance {
	case rpc.CacheHit:
		c.session.hits.Add(1)
	case rpc.CacheMiss:
		c.session.misses.Add(1)
	case rpc.CacheRevalidated:
		c.session.revalidations.Add(1)
	case rpc.CacheStale:
		c.session.staleServes.Add(1)
	}
}
