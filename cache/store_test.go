package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/aliasd/aliasd/alias"
	"github.com/aliasd/aliasd/rpc"
	"github.com/aliasd/aliasd/store"
)

func TestLRUEvictionKeepsRecentlyUsed(t *testing.T) {
	body := strings.Repeat("b", 1000)
	// Room for three entries of ~1.1 KB, not four.
	e := newEnv(t, func(c *Config) { c.MaxBytes = 3600; c.CompressAbove = -1 })
	var calls atomic.Int64
	f := staticFetch(&Response{Status: 200, Body: []byte(body)}, &calls)
	tok := fakeToken()
	req := func(id string) Request { return request("/api/v1/catalog/"+id, "", tok, alias.CacheCatalogItem) }

	for _, id := range []string{"a", "b", "c"} {
		e.do(req(id), f)
		e.clock.Advance(time.Second)
	}
	// A hit on "a" makes "b" the least recently used. The hit writes
	// nothing itself; its access time rides on the next write.
	expect(t, e.do(req("a"), noFetch(t)), rpc.CacheHit, body)
	e.clock.Advance(time.Second)
	e.do(req("d"), f)

	s := e.stats("")
	if s.Entries != 3 || s.Evictions != 1 || s.Bytes > 3600 {
		t.Fatalf("Stats = %+v, want 3 entries, 1 eviction, at most 3600 bytes", s)
	}
	for id, want := range map[string]int{"a": 1, "b": 0, "c": 1, "d": 1} {
		if got := e.stats("/catalog/" + id).Entries; got != want {
			t.Errorf("entries for %s = %d, want %d", id, got, want)
		}
	}
}

func TestHitsDoNotWriteUntilFlush(t *testing.T) {
	e := newEnv(t, nil)
	var calls atomic.Int64
	f := staticFetch(&Response{Status: 200, Body: []byte(`{}`)}, &calls)
	req := request(itemPath, "", fakeToken(), alias.CacheCatalogItem)
	e.do(req, f)
	if err := e.c.Flush(); err != nil { // commit the queued entry
		t.Fatal(err)
	}
	txid := func() int {
		var id int
		e.st.View(func(tx *bbolt.Tx) error { id = tx.ID(); return nil })
		return id
	}
	before := txid()
	for range 10 {
		e.clock.Advance(time.Millisecond)
		e.do(req, noFetch(t))
	}
	if after := txid(); after != before {
		t.Errorf("committed write transactions during 10 hits = %d, want 0", after-before)
	}
	if err := e.c.Flush(); err != nil {
		t.Fatal(err)
	}
	ck, _ := req.Key.Canonical()
	var at int64
	e.st.View(func(tx *bbolt.Tx) error {
		b, _ := open(tx)
		at = u64(b.atime.Get([]byte(ck)))
		return nil
	})
	if want := e.clock.Now().UnixNano(); at != want {
		t.Errorf("access time after Flush = %d, want %d (the last hit)", at, want)
	}
}

func TestLargeBodiesAreCompressed(t *testing.T) {
	body := jsonBody(400) // ~30 KB of repetitive JSON
	cases := []struct {
		name          string
		compressAbove int
		wantSmaller   bool
	}{
		{"default threshold", 0, true},
		{"compression off", -1, false},
		{"threshold above body", len(body) + 1, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, func(cfg *Config) { cfg.CompressAbove = c.compressAbove })
			var calls atomic.Int64
			req := request("/api/v1/pricing_insights/availabilities/x", "", fakeToken(), alias.CachePricing)
			e.do(req, staticFetch(&Response{Status: 200, Body: []byte(body)}, &calls))
			stored := e.stats("").Bytes
			if smaller := stored < int64(len(body))/4; smaller != c.wantSmaller {
				t.Errorf("stored bytes = %d for a %d-byte body; compressed = %v, want %v", stored, len(body), smaller, c.wantSmaller)
			}
			expect(t, e.do(req, noFetch(t)), rpc.CacheHit, body)
		})
	}
}

func TestStatsClearAndPersistence(t *testing.T) {
	e := newEnv(t, nil)
	u := newUpstream(t)
	tok := fakeToken()
	paths := []string{"/api/v1/catalog/a", "/api/v1/catalog/b", "/api/v1/listings/L1", "/api/v1/orders"}
	for _, p := range paths {
		u.set(p, resource{body: `{"p":"` + p + `"}`, etag: `"1"`})
		e.do(request(p, "", tok, classOf(t, p)), u.fetch(p, "", tok))
	}
	e.do(request(paths[0], "", tok, alias.CacheCatalogItem), noFetch(t))              // hit
	e.do(request(paths[2], "", tok, alias.CacheListings), u.fetch(paths[2], "", tok)) // revalidated

	cases := []struct {
		prefix string
		want   int
	}{{"", 4}, {"/catalog", 2}, {"/api/v1/catalog", 2}, {"/catalog/a", 1}, {"/listings", 1}, {"/pricing_insights", 0}}
	for _, c := range cases {
		if got := e.stats(c.prefix).Entries; got != c.want {
			t.Errorf("Stats(%q).Entries = %d, want %d", c.prefix, got, c.want)
		}
	}
	s := e.stats("")
	if s.Hits != 1 || s.Misses != 4 || s.Revalidations != 1 || s.MaxBytes != DefaultMaxBytes || s.FileBytes == 0 || s.Bytes == 0 {
		t.Errorf("Stats = %+v, want 1 hit, 4 misses, 1 revalidation, default cap, file and entry bytes", s)
	}

	// Counters survive a restart.
	e.close()
	e.open(nil)
	if got := e.stats(""); got.Hits != s.Hits || got.Misses != s.Misses || got.Revalidations != s.Revalidations || got.Entries != 4 {
		t.Errorf("Stats after reopen = %+v, want counters %+v and 4 entries", got, s)
	}

	if n, err := e.c.Clear("/catalog"); err != nil || n != 2 {
		t.Errorf("Clear(/catalog) = %d, %v; want 2, nil", n, err)
	}
	if n, err := e.c.Clear(""); err != nil || n != 2 {
		t.Errorf("Clear(\"\") = %d, %v; want 2, nil", n, err)
	}
	if s := e.stats(""); s.Entries != 0 || s.Bytes != 0 {
		t.Errorf("Stats after Clear = %+v, want empty", s)
	}
	// The cache keeps working after a full clear.
	e.do(request(paths[0], "", tok, alias.CacheCatalogItem), u.fetch(paths[0], "", tok))
	if s := e.stats(""); s.Entries != 1 {
		t.Errorf("entries after refill = %d, want 1", s.Entries)
	}
}

func TestTokenNeverInDatabaseFile(t *testing.T) {
	e := newEnv(t, nil)
	u := newUpstream(t)
	tok := fakeToken()
	// A careless server echoes credentials back in headers.
	echo := http.Header{
		"Authorization":    {"Bearer " + tok},
		"Set-Cookie":       {"session=" + tok},
		"Www-Authenticate": {`Bearer realm="` + tok + `"`},
	}
	for i, p := range []string{"/api/v1/catalog/a", "/api/v1/listings", "/api/v1/pricing_insights/recent_sales"} {
		u.set(p, resource{body: jsonBody(50 * (i + 1)), etag: fmt.Sprintf(`"%d"`, i), header: echo})
		req := request(p, "limit=10", tok, classOf(t, p))
		e.do(req, u.fetch(p, "limit=10", tok))
		e.do(req, u.fetch(p, "limit=10", tok))
	}
	if got := u.lastHeader().Get("Authorization"); got != "Bearer "+tok {
		t.Fatalf("upstream saw Authorization %q, want the bearer token (the test must send it)", got)
	}
	if err := e.c.Flush(); err != nil {
		t.Fatal(err)
	}
	if s := e.stats(""); s.Entries != 3 {
		t.Fatalf("entries = %d, want 3", s.Entries)
	}
	raw, err := os.ReadFile(e.path)
	if err != nil {
		t.Fatal(err)
	}
	secret := tok[len("goatapi_"):]
	if n := bytes.Count(raw, []byte(secret)); n != 0 {
		t.Errorf("database file holds the token %d times, want 0", n)
	}
	if !bytes.Contains(raw, []byte(strings.TrimPrefix(fingerprint(tok), "sha256:"))) {
		t.Errorf("database file lacks the token fingerprint; the test is not looking at the right file")
	}
}

func TestCorruptRecordIsAMiss(t *testing.T) {
	e := newEnv(t, nil)
	var calls atomic.Int64
	f := staticFetch(&Response{Status: 200, Body: []byte(`{"good":1}`)}, &calls)
	req := request(itemPath, "", fakeToken(), alias.CacheCatalogItem)
	e.do(req, f)
	if err := e.c.Flush(); err != nil {
		t.Fatal(err)
	}
	ck, _ := req.Key.Canonical()
	garbage := []byte{recordFormat, 0, 0xff, 0xff}
	if err := e.st.Update(func(tx *bbolt.Tx) error {
		b, _ := open(tx)
		old := b.entries.Get([]byte(ck))
		if err := b.addCounter(statBytes, int64(len(garbage)-len(old))); err != nil {
			return err
		}
		return b.entries.Put([]byte(ck), garbage)
	}); err != nil {
		t.Fatal(err)
	}
	expect(t, e.do(req, f), rpc.CacheMiss, `{"good":1}`)
	expect(t, e.do(req, noFetch(t)), rpc.CacheHit, `{"good":1}`)
}

func TestBadInput(t *testing.T) {
	e := newEnv(t, nil)
	var calls atomic.Int64
	f := staticFetch(&Response{Status: 200, Body: []byte(`{}`)}, &calls)
	tok := fakeToken()
	good := request(itemPath, "", tok, alias.CacheCatalogItem)
	e.do(good, f)

	badMode := good
	badMode.Mode = "sometimes"
	badPath := good
	badPath.Key.Path = "/api/v1/catalog/../listings"
	badFP := good
	badFP.Key.Fingerprint = tok
	cases := []struct {
		name  string
		req   Request
		fetch Fetch
		want  error
		text  string
	}{
		{"unknown mode", badMode, f, ErrBadMode, "sometimes"},
		{"dot segment", badPath, f, ErrBadKey, "dot segment"},
		{"token as fingerprint", badFP, f, ErrBadKey, "looks like a token"},
		{"nil fetch", good, nil, nil, "nil Fetch"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.c.Do(context.Background(), c.req, c.fetch)
			if err == nil || (c.want != nil && !errors.Is(err, c.want)) || !strings.Contains(err.Error(), c.text) {
				t.Errorf("Do = %v, want an error (%v) mentioning %q", err, c.want, c.text)
			}
			if strings.Contains(fmt.Sprint(err), tok) {
				t.Errorf("error %q repeats the token", err)
			}
		})
	}
	for _, p := range []string{"/listings/a/../b", "/listings?x=1"} {
		if _, err := e.c.Invalidate([]string{p}); !errors.Is(err, ErrBadKey) {
			t.Errorf("Invalidate(%q) = %v, want ErrBadKey", p, err)
		}
		if _, err := e.c.Clear(p); !errors.Is(err, ErrBadKey) {
			t.Errorf("Clear(%q) = %v, want ErrBadKey", p, err)
		}
		if _, err := e.c.Stats(p); !errors.Is(err, ErrBadKey) {
			t.Errorf("Stats(%q) = %v, want ErrBadKey", p, err)
		}
	}
	if n, err := e.c.Invalidate([]string{"", "  "}); n != 0 || err != nil {
		t.Errorf("Invalidate(blank patterns) = %d, %v; want 0, nil (never everything)", n, err)
	}
	// Nothing was lost along the way.
	if s := e.stats(""); s.Entries != 1 {
		t.Errorf("entries after bad input = %d, want 1", s.Entries)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	st, err := store.Open(store.Options{Path: filepath.Join(t.TempDir(), "aliasd.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cases := []struct {
		name string
		cfg  Config
		text string
	}{
		{"no store", Config{}, "Store is required"},
		{"negative MaxBytes", Config{Store: st, MaxBytes: -1}, "MaxBytes"},
		{"negative MaxEntryBytes", Config{Store: st, MaxEntryBytes: -1}, "MaxEntryBytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := New(c.cfg); err == nil || !strings.Contains(err.Error(), c.text) {
				t.Errorf("New = %v, want an error mentioning %q", err, c.text)
			}
		})
	}
	t.Run("schema from a newer aliasd", func(t *testing.T) {
		if err := st.Update(func(tx *bbolt.Tx) error {
			return tx.Bucket(store.MetaBucket).Put([]byte("schema/"+component), store.SeqKey(99))
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := New(Config{Store: st}); !errors.Is(err, store.ErrSchemaTooNew) {
			t.Errorf("New on a newer schema = %v, want ErrSchemaTooNew", err)
		}
		if v, _ := st.SchemaVersion(component); v != 99 {
			t.Errorf("schema version after refusal = %d, want 99 (kept)", v)
		}
	})
	if err := st.Check(); err != nil {
		t.Errorf("Store.Check = %v", err)
	}
}

func TestTTLConfig(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.TTL = map[alias.CacheClass]time.Duration{
			alias.CachePricing:  -1,             // caching off
			alias.CacheListings: time.Hour,      // override
			alias.CacheTest:     24 * time.Hour, // ignored: never cached
		}
	})
	var calls atomic.Int64
	f := staticFetch(&Response{Status: 200, Body: []byte(`{}`)}, &calls)
	tok := fakeToken()
	cases := []struct {
		class  alias.CacheClass
		second string
	}{
		{alias.CachePricing, rpc.CacheBypass},
		{alias.CacheListings, rpc.CacheHit},
		{alias.CacheTest, rpc.CacheBypass},
		{alias.CacheCatalogSearch, rpc.CacheHit}, // default kept
	}
	for _, c := range cases {
		t.Run(string(c.class), func(t *testing.T) {
			req := request("/api/v1/x/"+string(c.class), "", tok, c.class)
			e.do(req, f)
			e.clock.Advance(time.Minute)
			if got := e.do(req, f).Provenance; got != c.second {
				t.Errorf("second Do for %s = %s, want %s", c.class, got, c.second)
			}
		})
	}
}

func TestQueuedWritesAreServedAndBounded(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.CompressAbove = -1 })
	e.c.maxQueue = 3000
	// Hold bbolt's writer lock so that nothing queued can be committed.
	tx, err := e.st.DB().Begin(true)
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	small := staticFetch(&Response{Status: 200, Body: []byte(strings.Repeat("s", 1000))}, &calls)
	big := staticFetch(&Response{Status: 200, Body: []byte(strings.Repeat("b", 2500))}, &calls)
	tok := fakeToken()
	a := request("/api/v1/catalog/a", "", tok, alias.CacheCatalogItem)
	b := request("/api/v1/catalog/b", "", tok, alias.CacheCatalogItem)

	e.do(a, small)
	// Not yet in the file, but answered from the queue.
	expect(t, e.do(a, noFetch(t)), rpc.CacheHit, strings.Repeat("s", 1000))
	// The queue is full: b is answered but not kept.
	e.do(b, big)
	if res := e.do(b, big); res.Provenance != rpc.CacheMiss {
		t.Errorf("second Do(b) with a full queue = %s, want miss", res.Provenance)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if s := e.stats(""); s.Entries != 1 {
		t.Errorf("entries after the writer caught up = %d, want 1", s.Entries)
	}
	if got := calls.Load(); got != 3 {
		t.Errorf("fetches = %d, want 3", got)
	}
}
