package cache

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliasd/aliasd/alias"
	"github.com/aliasd/aliasd/rpc"
)

func mustQuery(q string) url.Values {
	v, err := url.ParseQuery(q)
	if err != nil {
		panic(err)
	}
	return v
}

const itemPath = "/api/v1/catalog/dunk-low"

func TestFreshEntryIsHitWithoutFetch(t *testing.T) {
	e := newEnv(t, nil)
	u := newUpstream(t)
	tok := fakeToken()
	u.set(itemPath, resource{body: `{"catalog_item":{}}`, etag: `"v1"`})
	req := request(itemPath, "", tok, alias.CacheCatalogItem)

	first := e.do(req, u.fetch(itemPath, "", tok))
	expect(t, first, rpc.CacheMiss, `{"catalog_item":{}}`)
	if !first.Fetched {
		t.Errorf("first Do Fetched = false, want true")
	}
	e.clock.Advance(time.Hour)
	second := e.do(req, noFetch(t))
	expect(t, second, rpc.CacheHit, `{"catalog_item":{}}`)
	if second.Fetched || second.Age != time.Hour {
		t.Errorf("hit Fetched, Age = %v, %v; want false, 1h", second.Fetched, second.Age)
	}
	if got := second.Response.Header.Get("Etag"); got != `"v1"` {
		t.Errorf("hit ETag header = %q, want %q", got, `"v1"`)
	}
	if n := u.calls.Load(); n != 1 {
		t.Errorf("upstream calls = %d, want 1", n)
	}
	if s := e.stats(""); s.Hits != 1 || s.Misses != 1 || s.Entries != 1 {
		t.Errorf("Stats = %+v, want 1 hit, 1 miss, 1 entry", s)
	}
}

func TestExpiredEntryRevalidatesWithETag(t *testing.T) {
	e := newEnv(t, nil)
	u := newUpstream(t)
	tok := fakeToken()
	const path = "/api/v1/pricing_insights/availabilities/dunk-low"
	u.set(path, resource{body: `{"variants":[]}`, etag: `"p1"`})
	req := request(path, "region_id=1", tok, alias.CachePricing)
	f := u.fetch(path, "region_id=1", tok)

	expect(t, e.do(req, f), rpc.CacheMiss, `{"variants":[]}`)
	e.clock.Advance(61 * time.Second) // pricing TTL is 60s
	res := e.do(req, f)
	expect(t, res, rpc.CacheRevalidated, `{"variants":[]}`)
	if got := u.lastHeader().Get("If-None-Match"); got != `"p1"` {
		t.Errorf("revalidation If-None-Match = %q, want %q", got, `"p1"`)
	}
	if res.Upstream == nil || res.Upstream.Status != http.StatusNotModified || res.Age != 0 {
		t.Errorf("revalidated Upstream, Age = %+v, %v; want the 304, 0", res.Upstream, res.Age)
	}
	// The 304 refreshed the entry: fresh again for another 60s.
	e.clock.Advance(30 * time.Second)
	expect(t, e.do(req, noFetch(t)), rpc.CacheHit, `{"variants":[]}`)
	if n := u.calls.Load(); n != 2 {
		t.Errorf("upstream calls = %d, want 2", n)
	}
	if s := e.stats(""); s.Revalidations != 1 {
		t.Errorf("Stats.Revalidations = %d, want 1", s.Revalidations)
	}
}

func TestZeroTTLAlwaysRevalidates(t *testing.T) {
	e := newEnv(t, nil)
	u := newUpstream(t)
	tok := fakeToken()
	const path = "/api/v1/listings/L1"
	u.set(path, resource{body: `{"listing":{"id":"L1"}}`, etag: `"l1"`})
	req := request(path, "", tok, alias.CacheListings)
	f := u.fetch(path, "", tok)

	expect(t, e.do(req, f), rpc.CacheMiss, `{"listing":{"id":"L1"}}`)
	for i := range 3 {
		res := e.do(req, f)
		expect(t, res, rpc.CacheRevalidated, `{"listing":{"id":"L1"}}`)
		if want := int64(i + 2); u.calls.Load() != want {
			t.Errorf("upstream calls after revalidation %d = %d, want %d", i, u.calls.Load(), want)
		}
	}
}

func TestRevalidatesWithLastModified(t *testing.T) {
	e := newEnv(t, nil)
	u := newUpstream(t)
	tok := fakeToken()
	const path = "/api/v1/orders"
	lm := "Tue, 03 Mar 2026 10:00:00 GMT"
	u.set(path, resource{body: `{"results":[]}`, lastMod: lm})
	req := request(path, "page_size=10", tok, alias.CacheOrders)
	f := u.fetch(path, "page_size=10", tok)
	e.do(req, f)
	expect(t, e.do(req, f), rpc.CacheRevalidated, `{"results":[]}`)
	h := u.lastHeader()
	if got := h.Get("If-Modified-Since"); got != lm {
		t.Errorf("If-Modified-Since = %q, want %q", got, lm)
	}
	if got := h.Get("If-None-Match"); got != "" {
		t.Errorf("If-None-Match = %q, want none (no ETag stored)", got)
	}
}

func TestChangedResourceReplacesEntry(t *testing.T) {
	e := newEnv(t, nil)
	u := newUpstream(t)
	tok := fakeToken()
	const path = "/api/v1/listings/L2"
	u.set(path, resource{body: `{"v":1}`, etag: `"1"`})
	req := request(path, "", tok, alias.CacheListings)
	f := u.fetch(path, "", tok)
	e.do(req, f)
	u.set(path, resource{body: `{"v":2}`, etag: `"2"`})
	expect(t, e.do(req, f), rpc.CacheMiss, `{"v":2}`)
	expect(t, e.do(req, f), rpc.CacheRevalidated, `{"v":2}`)
	if got := u.lastHeader().Get("If-None-Match"); got != `"2"` {
		t.Errorf("If-None-Match after replacement = %q, want %q", got, `"2"`)
	}
	if s := e.stats(""); s.Entries != 1 {
		t.Errorf("Stats.Entries = %d, want 1", s.Entries)
	}
}

func TestServerNoStoreIsNotStored(t *testing.T) {
	e := newEnv(t, nil)
	u := newUpstream(t)
	tok := fakeToken()
	req := request(itemPath, "", tok, alias.CacheCatalogItem)
	f := u.fetch(itemPath, "", tok)
	u.set(itemPath, resource{body: `{"a":1}`, etag: `"a"`})
	e.do(req, f)
	if s := e.stats(""); s.Entries != 1 {
		t.Fatalf("Stats.Entries = %d, want 1", s.Entries)
	}
	e.clock.Advance(25 * time.Hour)
	// The new answer says no-store: not stored, and the old entry goes.
	u.set(itemPath, resource{body: `{"a":2}`, header: http.Header{"Cache-Control": {"private, no-store"}}})
	expect(t, e.do(req, f), rpc.CacheMiss, `{"a":2}`)
	expect(t, e.do(req, f), rpc.CacheMiss, `{"a":2}`)
	if n, s := u.calls.Load(), e.stats(""); n != 3 || s.Entries != 0 {
		t.Errorf("upstream calls, entries = %d, %d; want 3, 0", n, s.Entries)
	}
}

func TestServerMaxAgeOverridesClassTTL(t *testing.T) {
	cases := []struct {
		name   string
		class  alias.CacheClass
		cc     string
		wait   time.Duration
		second string
	}{
		{"shorter than class", alias.CacheCatalogItem, "max-age=5", 6 * time.Second, rpc.CacheRevalidated},
		{"longer than class", alias.CacheListings, "max-age=3600", 30 * time.Minute, rpc.CacheHit},
		{"no-cache means revalidate", alias.CacheCatalogItem, "no-cache", time.Second, rpc.CacheRevalidated},
		{"quoted max-age", alias.CacheListings, `max-age="120"`, time.Minute, rpc.CacheHit},
		{"expires", alias.CacheListings, "", 30 * time.Second, rpc.CacheHit},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, nil)
			u := newUpstream(t)
			tok := fakeToken()
			h := http.Header{}
			if c.cc != "" {
				h.Set("Cache-Control", c.cc)
			} else {
				h.Set("Expires", e.clock.Now().Add(time.Minute).Format(http.TimeFormat))
				h.Set("Date", e.clock.Now().Format(http.TimeFormat))
			}
			u.set(itemPath, resource{body: `{}`, etag: `"e"`, header: h})
			req := request(itemPath, "", tok, c.class)
			f := u.fetch(itemPath, "", tok)
			e.do(req, f)
			e.clock.Advance(c.wait)
			expect(t, e.do(req, f), c.second, `{}`)
		})
	}
}

func TestNeverStored(t *testing.T) {
	big := strings.Repeat("x", 2048)
	cases := []struct {
		name   string
		resp   Response
		method string
		class  alias.CacheClass
		want   string // provenance of each answer
	}{
		{"401", Response{Status: 401, Body: []byte(`{"code":16}`)}, "GET", alias.CacheCatalogItem, rpc.CacheMiss},
		{"403", Response{Status: 403, Body: []byte(`{"code":7}`)}, "GET", alias.CacheCatalogItem, rpc.CacheMiss},
		{"429", Response{Status: 429, Body: []byte(`{"code":8}`)}, "GET", alias.CacheCatalogItem, rpc.CacheMiss},
		{"500", Response{Status: 500, Body: []byte(`{"code":13}`)}, "GET", alias.CacheCatalogItem, rpc.CacheMiss},
		{"503", Response{Status: 503, Body: []byte(`{"code":14}`)}, "GET", alias.CacheCatalogItem, rpc.CacheMiss},
		{"400", Response{Status: 400, Body: []byte(`{"code":3}`)}, "GET", alias.CacheCatalogItem, rpc.CacheMiss},
		{"truncated", Response{Status: 200, Body: []byte(big[:100]), Truncated: true}, "GET", alias.CacheCatalogItem, rpc.CacheMiss},
		{"over the entry cap", Response{Status: 200, Body: []byte(big)}, "GET", alias.CacheCatalogItem, rpc.CacheMiss},
		{"vary star", Response{Status: 200, Body: []byte(`{}`), Header: http.Header{"Vary": {"*"}}}, "GET", alias.CacheCatalogItem, rpc.CacheMiss},
		{"POST", Response{Status: 200, Body: []byte(`{}`)}, "POST", alias.CacheCatalogItem, rpc.CacheBypass},
		{"HEAD", Response{Status: 200}, "HEAD", alias.CacheCatalogItem, rpc.CacheBypass},
		{"test class", Response{Status: 200, Body: []byte(`{"ok":true}`)}, "GET", alias.CacheTest, rpc.CacheBypass},
		{"no class", Response{Status: 200, Body: []byte(`{}`)}, "GET", alias.CacheNone, rpc.CacheBypass},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, func(cfg *Config) { cfg.MaxEntryBytes = 1024 })
			var calls atomic.Int64
			f := staticFetch(&c.resp, &calls)
			req := request(itemPath, "", fakeToken(), c.class)
			req.Key.Method = c.method
			for i := range 2 {
				res := e.do(req, f)
				if res.Provenance != c.want || !res.Fetched || res.Response.Status != c.resp.Status {
					t.Errorf("Do #%d = %s, fetched %v, status %d; want %s, fetched, status %d",
						i, res.Provenance, res.Fetched, res.Response.Status, c.want, c.resp.Status)
				}
			}
			if n, s := calls.Load(), e.stats(""); n != 2 || s.Entries != 0 {
				t.Errorf("fetches, entries = %d, %d; want 2, 0", n, s.Entries)
			}
		})
	}
}

func TestErrorKeepsOrDropsEntry(t *testing.T) {
	cases := []struct {
		status  int
		entries int
	}{{401, 1}, {403, 1}, {429, 1}, {404, 0}, {410, 0}}
	for _, c := range cases {
		t.Run(http.StatusText(c.status), func(t *testing.T) {
			e := newEnv(t, nil)
			u := newUpstream(t)
			tok := fakeToken()
			const path = "/api/v1/listings/L9"
			req := request(path, "", tok, alias.CacheListings)
			f := u.fetch(path, "", tok)
			u.set(path, resource{body: `{"ok":1}`, etag: `"x"`})
			e.do(req, f)
			u.set(path, resource{status: c.status, body: `{"code":1}`})
			res := e.do(req, f)
			if res.Provenance != rpc.CacheMiss || res.Response.Status != c.status {
				t.Errorf("Do = %s %d, want miss %d", res.Provenance, res.Response.Status, c.status)
			}
			if s := e.stats(""); s.Entries != c.entries {
				t.Errorf("entries after %d = %d, want %d", c.status, s.Entries, c.entries)
			}
		})
	}
}

func TestNoCacheModeAlwaysAsksUpstream(t *testing.T) {
	e := newEnv(t, nil)
	u := newUpstream(t)
	tok := fakeToken()
	u.set(itemPath, resource{body: `{"v":1}`, etag: `"1"`})
	req := request(itemPath, "", tok, alias.CacheCatalogItem)
	f := u.fetch(itemPath, "", tok)
	e.do(req, f)

	req.Mode = rpc.CacheNoCache
	res := e.do(req, f)
	expect(t, res, rpc.CacheRevalidated, `{"v":1}`)
	if !res.Fetched {
		t.Errorf("no-cache Fetched = false, want true")
	}
	u.set(itemPath, resource{body: `{"v":2}`, etag: `"2"`})
	expect(t, e.do(req, f), rpc.CacheMiss, `{"v":2}`)
	// Without an entry no-cache is a plain miss.
	req2 := request(itemPath+"-other", "", tok, alias.CacheCatalogItem)
	req2.Mode = rpc.CacheNoCache
	u.set(itemPath+"-other", resource{body: `{"o":1}`})
	expect(t, e.do(req2, u.fetch(itemPath+"-other", "", tok)), rpc.CacheMiss, `{"o":1}`)
	if n := u.calls.Load(); n != 4 {
		t.Errorf("upstream calls = %d, want 4", n)
	}
}

func TestOnlyIfCached(t *testing.T) {
	e := newEnv(t, nil)
	u := newUpstream(t)
	tok := fakeToken()
	u.set(itemPath, resource{body: `{"v":1}`, etag: `"1"`})
	req := request(itemPath, "", tok, alias.CacheCatalogItem)
	req.Mode = rpc.CacheOnlyIfCached

	t.Run("absent", func(t *testing.T) {
		res, err := e.c.Do(context.Background(), req, noFetch(t))
		if !errors.Is(err, ErrNotCached) || res != nil {
			t.Errorf("Do(only-if-cached, absent) = %v, %v; want nil, ErrNotCached", res, err)
		}
		bypass := req
		bypass.Class = alias.CacheTest
		if _, err := e.c.Do(context.Background(), bypass, noFetch(t)); !errors.Is(err, ErrNotCached) {
			t.Errorf("Do(only-if-cached, uncacheable class) = %v, want ErrNotCached", err)
		}
	})
	def := req
	def.Mode = rpc.CacheDefault
	e.do(def, u.fetch(itemPath, "", tok))
	t.Run("fresh", func(t *testing.T) {
		expect(t, e.do(req, noFetch(t)), rpc.CacheHit, `{"v":1}`)
	})
	t.Run("expired", func(t *testing.T) {
		e.clock.Advance(48 * time.Hour)
		res := e.do(req, noFetch(t))
		expect(t, res, rpc.CacheStale, `{"v":1}`)
		if res.Age != 48*time.Hour || !strings.Contains(res.Stale, "only-if-cached") || res.Fetched {
			t.Errorf("stale Age, Stale, Fetched = %v, %q, %v; want 48h, only-if-cached reason, false", res.Age, res.Stale, res.Fetched)
		}
	})
	if n := u.calls.Load(); n != 1 {
		t.Errorf("upstream calls = %d, want 1 (the default-mode fill)", n)
	}
}

func TestOfflineServesStale(t *testing.T) {
	const path = "/api/v1/pricing_insights/offer_histogram"
	cases := []struct {
		name       string
		outage     resource
		allowStale bool
		mode       string
		mustReval  bool
		want       string // provenance
		wantStatus int    // status of the answer
		wantErr    bool
	}{
		{"connection dropped", resource{drop: true}, true, rpc.CacheDefault, false, rpc.CacheStale, 200, false},
		{"503", resource{status: 503, body: `{"code":14}`}, true, rpc.CacheDefault, false, rpc.CacheStale, 200, false},
		{"500", resource{status: 500, body: `{"code":13}`}, true, rpc.CacheDefault, false, rpc.CacheStale, 200, false},
		{"503 stale forbidden", resource{status: 503, body: `{"code":14}`}, false, rpc.CacheDefault, false, rpc.CacheMiss, 503, false},
		{"dropped stale forbidden", resource{drop: true}, false, rpc.CacheDefault, false, rpc.CacheMiss, 0, false},
		{"503 no-cache mode", resource{status: 503, body: `{"code":14}`}, true, rpc.CacheNoCache, false, rpc.CacheMiss, 503, false},
		{"503 must-revalidate", resource{status: 503, body: `{"code":14}`}, true, rpc.CacheDefault, true, rpc.CacheMiss, 503, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, nil)
			u := newUpstream(t)
			tok := fakeToken()
			h := http.Header{}
			if c.mustReval {
				h.Set("Cache-Control", "must-revalidate")
			}
			u.set(path, resource{body: `{"bins":[]}`, etag: `"h"`, header: h})
			req := request(path, "catalog_id=x&size=10", tok, alias.CachePricing)
			f := u.fetch(path, "catalog_id=x&size=10", tok)
			e.do(req, f)
			e.clock.Advance(5 * time.Minute)
			u.set(path, c.outage)
			req.AllowStale, req.Mode = c.allowStale, c.mode
			res := e.do(req, f)
			if res.Provenance != c.want || res.Response.Status != c.wantStatus {
				t.Fatalf("Do during outage = %s %d, want %s %d", res.Provenance, res.Response.Status, c.want, c.wantStatus)
			}
			if c.want == rpc.CacheStale {
				if string(res.Response.Body) != `{"bins":[]}` || res.Age != 5*time.Minute || res.Stale == "" || res.Upstream == nil {
					t.Errorf("stale answer body %q, age %v, reason %q, upstream %v; want stored body, 5m, a reason, the failed answer",
						res.Response.Body, res.Age, res.Stale, res.Upstream)
				}
				if s := e.stats(""); s.StaleServes != 1 {
					t.Errorf("Stats.StaleServes = %d, want 1", s.StaleServes)
				}
			}
			if s := e.stats(""); s.Entries != 1 {
				t.Errorf("entries after outage = %d, want 1 (kept)", s.Entries)
			}
		})
	}
}

func TestFetchErrorWithoutEntry(t *testing.T) {
	e := newEnv(t, nil)
	boom := errors.New("dial tcp: connection refused")
	f := func(context.Context, http.Header) (*Response, error) { return nil, boom }
	_, err := e.c.Do(context.Background(), request(itemPath, "", fakeToken(), alias.CacheCatalogItem), f)
	if !errors.Is(err, boom) {
		t.Errorf("Do(failing fetch, no entry) = %v, want the fetch error", err)
	}
}
