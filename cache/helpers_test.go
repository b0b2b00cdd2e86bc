package cache

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/aliasd/aliasd/alias"
	"github.com/aliasd/aliasd/internal/testutil"
	"github.com/aliasd/aliasd/rpc"
	"github.com/aliasd/aliasd/store"
)

// env is a cache on a real bbolt file in a temp dir.
type env struct {
	t     testing.TB
	path  string
	st    *store.Store
	c     *Cache
	clock *testutil.Clock
}

// newEnv opens a store and a cache; cfg (may be nil) adjusts the config.
// The cleanup closes the cache and ends with the store's integrity check.
func newEnv(t testing.TB, cfg func(*Config)) *env {
	t.Helper()
	e := &env{t: t, path: filepath.Join(t.TempDir(), "aliasd.db"), clock: testutil.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))}
	e.open(cfg)
	t.Cleanup(func() { e.close() })
	return e
}

func (e *env) open(cfg func(*Config)) {
	e.t.Helper()
	st, err := store.Open(store.Options{Path: e.path})
	if err != nil {
		e.t.Fatalf("store.Open = %v", err)
	}
	conf := Config{Store: st, Now: e.clock.Now}
	if cfg != nil {
		cfg(&conf)
	}
	c, err := New(conf)
	if err != nil {
		st.Close()
		e.t.Fatalf("New = %v", err)
	}
	e.st, e.c = st, c
}

// close closes the cache, checks the file and closes the store.
func (e *env) close() {
	e.t.Helper()
	if e.st == nil {
		return
	}
	if err := e.c.Close(); err != nil {
		e.t.Errorf("Cache.Close = %v", err)
	}
	e.checkConsistent()
	if err := e.st.Check(); err != nil {
		e.t.Errorf("Store.Check = %v", err)
	}
	if err := e.st.Close(); err != nil {
		e.t.Errorf("Store.Close = %v", err)
	}
	e.st, e.c = nil, nil
}

// checkConsistent compares the persisted totals with the buckets.
func (e *env) checkConsistent() {
	e.t.Helper()
	err := e.st.View(func(tx *bbolt.Tx) error {
		b, err := open(tx)
		if err != nil {
			return err
		}
		var n, size int64
		b.entries.ForEach(func(k, v []byte) error {
			n++
			size += int64(len(k) + len(v))
			if b.atime.Get(k) == nil {
				e.t.Errorf("entry %q has no access time", k)
			}
			return nil
		})
		if got := int64(b.lru.Stats().KeyN); got != n {
			e.t.Errorf("lru index has %d keys, want %d", got, n)
		}
		if got := b.counter(statEntries); got != n {
			e.t.Errorf("entries counter = %d, want %d", got, n)
		}
		if got := b.counter(statBytes); got != size {
			e.t.Errorf("bytes counter = %d, want %d", got, size)
		}
		return nil
	})
	if err != nil {
		e.t.Errorf("consistency check: %v", err)
	}
}

// fakeToken builds an obviously fake token at run time.
func fakeToken() string {
	var b [15]byte
	rand.Read(b[:])
	return "goatapi_" + hex.EncodeToString(b[:])
}

func fingerprint(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "sha256:" + hex.EncodeToString(sum[:8])
}

// resource is what the upstream serves at one path.
type resource struct {
	status  int
	body    string
	etag    string
	lastMod string
	header  http.Header   // extra response headers
	drop    bool          // close the connection without an answer
	block   chan struct{} // when set, wait for it (or the request's end) first
}

// upstream is a loopback HTTP server that serves resources with ETag and
// Last-Modified validators and honours If-None-Match / If-Modified-Since.
type upstream struct {
	srv *httptest.Server

	mu        sync.Mutex // guards resources, lastReq
	resources map[string]*resource
	lastReq   http.Header

	calls    atomic.Int64 // requests received
	canceled atomic.Int64 // requests whose context ended while blocked
}

func newUpstream(t testing.TB) *upstream {
	u := &upstream{resources: make(map[string]*resource)}
	u.srv = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *upstream) set(path string, r resource) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if r.status == 0 {
		r.status = http.StatusOK
	}
	u.resources[path] = &r
}

func (u *upstream) lastHeader() http.Header {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.lastReq.Clone()
}

func (u *upstream) serve(w http.ResponseWriter, r *http.Request) {
	u.calls.Add(1)
	u.mu.Lock()
	u.lastReq = r.Header.Clone()
	res, ok := u.resources[r.URL.Path]
	var cp resource
	if ok {
		cp = *res
	}
	u.mu.Unlock()
	if cp.block != nil {
		select {
		case <-cp.block:
		case <-r.Context().Done():
			u.canceled.Add(1)
			return
		}
	}
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"code":5,"message":"not found","details":[]}`)
		return
	}
	if cp.drop {
		hj, _ := w.(http.Hijacker)
		conn, _, err := hj.Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Request-Id", fmt.Sprintf("req-%d", u.calls.Load()))
	for k, v := range cp.header {
		h[k] = v
	}
	if cp.etag != "" {
		h.Set("ETag", cp.etag)
	}
	if cp.lastMod != "" {
		h.Set("Last-Modified", cp.lastMod)
	}
	if cp.status == http.StatusOK {
		if inm := r.Header.Get("If-None-Match"); inm != "" && inm == cp.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if ims := r.Header.Get("If-Modified-Since"); ims != "" && cp.etag == "" && ims == cp.lastMod {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.WriteHeader(cp.status)
	io.WriteString(w, cp.body)
}

// fetch returns a Fetch that GETs path (with query) from the upstream with
// the token, the way the daemon's API client would.
func (u *upstream) fetch(path, query, token string) Fetch {
	return func(ctx context.Context, cond http.Header) (*Response, error) {
		url := u.srv.URL + alias.NormalizePath(path)
		if query != "" {
			url += "?" + query
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Accept", "application/json")
		for k, v := range cond {
			req.Header[k] = v
		}
		resp, err := u.srv.Client().Do(req)
		if err != nil {
			return &Response{NetErr: true, Err: err}, nil
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return &Response{NetErr: true, Err: err}, nil
		}
		return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
	}
}

// request builds a default-mode GET request for path with the token's
// fingerprint.
func request(path, query, token string, class alias.CacheClass) Request {
	k := Key{Method: http.MethodGet, Path: path, Accept: "application/json", Fingerprint: fingerprint(token)}
	if query != "" {
		k.Query = mustQuery(query)
	}
	return Request{Key: k, Class: class, Mode: rpc.CacheDefault, AllowStale: true}
}

// do runs Do and fails the test on error.
func (e *env) do(req Request, f Fetch) *Result {
	e.t.Helper()
	res, err := e.c.Do(context.Background(), req, f)
	if err != nil {
		e.t.Fatalf("Do(%s) = %v", req.Key.Path, err)
	}
	return res
}

// expect checks a result's provenance and body.
func expect(t *testing.T, res *Result, provenance, body string) {
	t.Helper()
	if res.Provenance != provenance {
		t.Errorf("Do provenance = %q, want %q", res.Provenance, provenance)
	}
	if res.Response == nil {
		t.Fatalf("Do response = nil, want body %q", body)
	}
	if got := string(res.Response.Body); got != body {
		t.Errorf("Do body = %q, want %q", got, body)
	}
}

func (e *env) stats(prefix string) rpc.CacheStatsResult {
	e.t.Helper()
	s, err := e.c.Stats(prefix)
	if err != nil {
		e.t.Fatalf("Stats(%q) = %v", prefix, err)
	}
	return s
}

// noFetch is a Fetch that must not run.
func noFetch(t *testing.T) Fetch {
	return func(context.Context, http.Header) (*Response, error) {
		t.Errorf("Fetch called, want no upstream call")
		return nil, fmt.Errorf("unexpected fetch")
	}
}

// staticFetch answers with a fixed response and counts calls.
func staticFetch(resp *Response, calls *atomic.Int64) Fetch {
	return func(context.Context, http.Header) (*Response, error) {
		calls.Add(1)
		cp := *resp
		cp.Header = resp.Header.Clone()
		cp.Body = bytes.Clone(resp.Body)
		return &cp, nil
	}
}

func jsonBody(n int) string {
	var b strings.Builder
	b.WriteString(`{"variants":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"size":%d.5,"availability":{"lowest_listing_price_cents":"%d00"}}`, i%20, i)
	}
	b.WriteString("]}")
	return b.String()
}
