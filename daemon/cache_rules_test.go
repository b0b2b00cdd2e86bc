package daemon

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliasd/aliasd/alias"
	"github.com/aliasd/aliasd/alias/mock"
	"github.com/aliasd/aliasd/rpc"
)

// The cache rules of issue 5, one test each, through alias/request against
// the mock on loopback.

// newSession starts an env and a session whose active profile "main" holds
// the mock's first token.
func newSession(t *testing.T, opts envOptions) (*testEnv, *testSession) {
	t.Helper()
	e := newEnv(t, opts)
	s := e.connect("cache-test")
	s.addToken(t, "main", e.tokens[0])
	return e, s
}

// listingPrice reads price_cents from a GetListing body.
func listingPrice(t *testing.T, body json.RawMessage) int64 {
	t.Helper()
	var v struct {
		Listing struct {
			PriceCents string `json:"price_cents"`
		} `json:"listing"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("GetListing body %.200s: %v", body, err)
	}
	n, err := strconv.ParseInt(v.Listing.PriceCents, 10, 64)
	if err != nil {
		t.Fatalf("GetListing price_cents %q: %v", v.Listing.PriceCents, err)
	}
	return n
}

func TestCacheStoresOnlyGET(t *testing.T) {
	cases := []struct {
		name          string
		endpoint      string
		first, second string // provenance of the first and second call
		upstream      int    // requests the mock sees for the two calls
	}{
		{"GET is stored, then hit", "GetCatalogItem", rpc.CacheMiss, rpc.CacheHit, 1},
		{"POST bypasses", "UpdateListing", rpc.CacheBypass, rpc.CacheBypass, 2},
		{"DELETE bypasses", "DeleteListing", rpc.CacheBypass, rpc.CacheBypass, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, s := newSession(t, envOptions{})
			call := e.example(c.endpoint)
			first := s.request(t, params(call))
			if first.Status < 200 || first.Status > 299 {
				t.Fatalf("first %s: status %d, want 2xx (diagnostic %s)", c.endpoint, first.Status, mustJSON(first.Diagnostic))
			}
			wantCache(t, "first "+c.endpoint, first, c.first)
			second := s.request(t, params(call))
			wantCache(t, "second "+c.endpoint, second, c.second)
			if got := len(e.requestsTo(call.Path)); got != c.upstream {
				t.Errorf("mock requests to %s = %d, want %d", call.Path, got, c.upstream)
			}
			if st := s.stats(t, call.Path); c.first == rpc.CacheBypass && st.Entries != 0 {
				t.Errorf("cache entries under %s after %s = %d, want 0", call.Path, call.Method, st.Entries)
			}
			if h := s.historyEntry(t, second.HistoryID); h.Cache != c.second {
				t.Errorf("history entry cache = %q, want %q", h.Cache, c.second)
			}
		})
	}
}

func TestCacheKeyNeverMixesTokens(t *testing.T) {
	twoTokens := func(t *testing.T) (*testEnv, *testSession) {
		e := newEnv(t, envOptions{mockTokens: []mock.TokenSpec{{Token: fakeToken(t)}, {Token: fakeToken(t)}}})
		s := e.connect("cache-test")
		s.addToken(t, "a", e.tokens[0])
		s.addToken(t, "b", e.tokens[1])
		var list rpc.TokenListResult
		s.call(t, rpc.MethodTokenUse, rpc.TokenNameParams{Name: "a"}, &list)
		return e, s
	}

	t.Run("profile per request", func(t *testing.T) {
		e, s := twoTokens(t)
		call := e.example("GetCatalogItem")
		steps := []struct {
			profile, want string
		}{
			{"a", rpc.CacheMiss},
			{"b", rpc.CacheMiss}, // same URL, other token: not a's entry
			{"a", rpc.CacheHit},
			{"b", rpc.CacheHit},
		}
		fps := map[string]string{}
		for i, st := range steps {
			p := params(call)
			p.Profile = st.profile
			res := s.request(t, p)
			wantCache(t, "call "+strconv.Itoa(i+1)+" as "+st.profile, res, st.want)
			h := s.historyEntry(t, res.HistoryID)
			if h.Profile != st.profile {
				t.Errorf("call %d: history profile = %q, want %q", i+1, h.Profile, st.profile)
			}
			fps[st.profile] = h.Fingerprint
		}
		if fps["a"] == "" || fps["a"] == fps["b"] {
			t.Errorf("fingerprints a=%q b=%q, want two different ones", fps["a"], fps["b"])
		}
		recs := e.requestsTo(call.Path)
		if len(recs) != 2 || recs[0].TokenIndex != 0 || recs[1].TokenIndex != 1 {
			t.Fatalf("mock saw %d requests with token indexes %v, want 2: token 0 then token 1", len(recs), tokenIndexes(recs))
		}
		if st := s.stats(t, call.Path); st.Entries != 2 {
			t.Errorf("cache entries for %s = %d, want 2 (one per token)", call.Path, st.Entries)
		}
	})

	t.Run("token/use switch", func(t *testing.T) {
		e, s := twoTokens(t)
		call := e.example("GetCatalogItem")
		use := func(name string) {
			var list rpc.TokenListResult
			s.call(t, rpc.MethodTokenUse, rpc.TokenNameParams{Name: name}, &list)
		}
		wantCache(t, "first call as a", s.request(t, params(call)), rpc.CacheMiss)
		use("b")
		wantCache(t, "first call after switching to b", s.request(t, params(call)), rpc.CacheMiss)
		use("a")
		wantCache(t, "call after switching back to a", s.request(t, params(call)), rpc.CacheHit)
		use("b")
		wantCache(t, "call after switching back to b", s.request(t, params(call)), rpc.CacheHit)
		recs := e.requestsTo(call.Path)
		if len(recs) != 2 || recs[0].TokenIndex != 0 || recs[1].TokenIndex != 1 {
			t.Fatalf("mock saw %d requests with token indexes %v, want 2: token 0 then token 1", len(recs), tokenIndexes(recs))
		}
	})
}

func tokenIndexes(recs []mock.RequestRecord) []int {
	out := make([]int, len(recs))
	for i, r := range recs {
		out[i] = r.TokenIndex
	}
	return out
}

func TestCacheFreshnessPerClassFromConfig(t *testing.T) {
	// Defaults would make the search (10 min) and pricing (60 s) answers
	// hits after the wait below; the config makes them expire.
	e, s := newSession(t, envOptions{ttl: map[string]string{
		"catalog_item":   "1h",
		"catalog_search": "0s",
		"pricing":        "1s",
	}})
	cases := []struct {
		endpoint string
		class    alias.CacheClass
		want     string
	}{
		{"GetCatalogItem", alias.CacheCatalogItem, rpc.CacheHit},
		{"SearchCatalog", alias.CacheCatalogSearch, rpc.CacheRevalidated},
		{"GetAvailability", alias.CachePricing, rpc.CacheRevalidated},
		{"GetListing", alias.CacheListings, rpc.CacheRevalidated},
	}
	calls := make([]mock.Call, len(cases))
	first := make([]rpc.RequestResult, len(cases))
	for i, c := range cases {
		if ep := alias.ByName(c.endpoint); ep.Cache != c.class {
			t.Fatalf("%s cache class = %q, want %q", c.endpoint, ep.Cache, c.class)
		}
		calls[i] = e.example(c.endpoint)
		first[i] = s.request(t, params(calls[i]))
		wantStatus(t, "first "+c.endpoint, first[i], 200)
		wantCache(t, "first "+c.endpoint, first[i], rpc.CacheMiss)
	}
	// Past the 1 s pricing lifetime; the 1 h one is still fresh.
	time.Sleep(1500 * time.Millisecond)
	for i, c := range cases {
		t.Run(c.endpoint, func(t *testing.T) {
			res := s.request(t, params(calls[i]))
			wantCache(t, "second "+c.endpoint, res, c.want)
			recs := e.requestsTo(calls[i].Path)
			switch c.want {
			case rpc.CacheHit:
				if len(recs) != 1 {
					t.Errorf("mock requests to %s = %d, want 1", calls[i].Path, len(recs))
				}
				if res.AgeSeconds < 1 {
					t.Errorf("hit ageSeconds = %d, want >= 1 after the wait", res.AgeSeconds)
				}
			default:
				if len(recs) != 2 {
					t.Fatalf("mock requests to %s = %d, want 2", calls[i].Path, len(recs))
				}
				if got, want := recs[1].Header.Get("If-None-Match"), first[i].Headers["Etag"]; got == "" || got != want {
					t.Errorf("revalidation If-None-Match = %q, want the first answer's ETag %q", got, want)
				}
			}
		})
	}
}

func TestCacheRevalidation304(t *testing.T) {
	e, s := newSession(t, envOptions{})
	call := e.example("GetListing")
	first := s.request(t, params(call))
	wantStatus(t, "first GetListing", first, 200)
	wantCache(t, "first GetListing", first, rpc.CacheMiss)
	etag := first.Headers["Etag"]
	if etag == "" {
		t.Fatalf("first GetListing headers %v carry no ETag", first.Headers)
	}

	second := s.request(t, params(call))
	wantCache(t, "second GetListing (listings lifetime 0)", second, rpc.CacheRevalidated)
	wantStatus(t, "second GetListing", second, 200)
	if string(second.Body) != string(first.Body) {
		t.Errorf("revalidated body = %.100s, want the stored %.100s", second.Body, first.Body)
	}
	recs := e.requestsTo(call.Path)
	if len(recs) != 2 {
		t.Fatalf("mock requests to %s = %d, want 2", call.Path, len(recs))
	}
	if got := recs[1].Header.Get("If-None-Match"); got != etag {
		t.Errorf("mock saw If-None-Match %q, want %q", got, etag)
	}
	if recs[1].Status != http.StatusNotModified {
		t.Errorf("mock answered the revalidation %d, want 304", recs[1].Status)
	}
	if second.RequestID == first.RequestID || second.RequestID != recs[1].RequestID {
		t.Errorf("revalidated requestId = %q, want the 304's %q (first was %q)", second.RequestID, recs[1].RequestID, first.RequestID)
	}
	h := s.historyEntry(t, second.HistoryID)
	if h.Cache != rpc.CacheRevalidated || h.RequestID != recs[1].RequestID {
		t.Errorf("history entry cache %q request %q, want %q and %q", h.Cache, h.RequestID, rpc.CacheRevalidated, recs[1].RequestID)
	}
	if st := s.stats(t, ""); st.Revalidations != 1 {
		t.Errorf("stats revalidations = %d, want 1", st.Revalidations)
	}
}

func TestCacheServerCacheControlWins(t *testing.T) {
	cases := []struct {
		name     string
		endpoint string
		header   string
		wait     time.Duration
		want     string // provenance of the second call
		upstream int
		entries  int
	}{
		// listings are "always revalidate" by config; the server says an hour.
		{"max-age beats a lifetime of 0", "GetListing", "max-age=3600", 0, rpc.CacheHit, 1, 1},
		// a catalog item is fresh for 24 h by config; the server says 1 s.
		{"max-age beats a long lifetime", "GetCatalogItem", "max-age=1", 1500 * time.Millisecond, rpc.CacheRevalidated, 2, 1},
		{"no-store is never stored", "GetCatalogItem", "no-store", 0, rpc.CacheMiss, 2, 0},
		{"no-cache means revalidate", "GetCatalogItem", "no-cache", 0, rpc.CacheRevalidated, 2, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, s := newSession(t, envOptions{})
			call := e.example(c.endpoint)
			if err := e.srv.AddFault(mock.Fault{Method: "GET", PathPrefix: call.Path, CacheControl: c.header}); err != nil {
				t.Fatal(err)
			}
			first := s.request(t, params(call))
			wantCache(t, "first", first, rpc.CacheMiss)
			if got := first.Headers["Cache-Control"]; got != c.header {
				t.Fatalf("first answer Cache-Control = %q, want %q from the mock", got, c.header)
			}
			time.Sleep(c.wait)
			second := s.request(t, params(call))
			wantCache(t, "second", second, c.want)
			recs := e.requestsTo(call.Path)
			if len(recs) != c.upstream {
				t.Errorf("mock requests to %s = %d, want %d", call.Path, len(recs), c.upstream)
			}
			if c.entries == 0 && len(recs) == 2 && recs[1].Header.Get("If-None-Match") != "" {
				t.Errorf("second request sent If-None-Match %q, want none (nothing stored)", recs[1].Header.Get("If-None-Match"))
			}
			if st := s.stats(t, call.Path); st.Entries != c.entries {
				t.Errorf("cache entries under %s = %d, want %d", call.Path, st.Entries, c.entries)
			}
		})
	}
}

func TestCacheNeverStoresFailures(t *testing.T) {
	cases := []struct {
		name   string
		opts   envOptions
		fault  *mock.Fault // on the first request only
		setup  func(t *testing.T, e *testEnv, s *testSession, p *rpc.RequestParams)
		status int // of the first call
		again  int // status of the second call
		class  string
	}{
		{
			name: "401 unknown token",
			setup: func(t *testing.T, e *testEnv, s *testSession, p *rpc.RequestParams) {
				tok := fakeToken(t) // not one the mock knows
				e.extra = append(e.extra, tok)
				s.addToken(t, "stranger", tok)
				p.Profile = "stranger"
			},
			status: 401, again: 401,
		},
		{
			name:   "403 token without the scope",
			opts:   envOptions{mockTokens: []mock.TokenSpec{{Token: fakeToken(t), Scopes: []alias.Scope{alias.ScopeTest, alias.ScopePricing}}}},
			status: 403, again: 403,
		},
		{name: "429", fault: &mock.Fault{RateLimit: true}, status: 429, again: 200},
		{name: "500", fault: &mock.Fault{Status: 500}, status: 500, again: 200},
		{name: "503", fault: &mock.Fault{Status: 503}, status: 503, again: 200},
		{name: "truncated body", fault: &mock.Fault{Truncate: true}, status: 0, again: 200, class: alias.DiagNetTruncated},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, s := newSession(t, c.opts)
			call := e.example("GetCatalogItem") // fresh for 24 h once stored
			p := params(call)
			if c.setup != nil {
				c.setup(t, e, s, &p)
			}
			if c.fault != nil {
				f := *c.fault
				f.Method, f.PathPrefix, f.Count = "GET", call.Path, 1
				if err := e.srv.AddFault(f); err != nil {
					t.Fatal(err)
				}
			}
			first := s.request(t, p)
			wantStatus(t, "first call", first, c.status)
			wantCache(t, "first call", first, rpc.CacheMiss)
			if c.class != "" && (first.Diagnostic == nil || first.Diagnostic.Class != c.class) {
				t.Errorf("first call diagnostic = %s, want class %q", mustJSON(first.Diagnostic), c.class)
			}
			if st := s.stats(t, call.Path); st.Entries != 0 {
				t.Errorf("cache entries after a %d = %d, want 0", c.status, st.Entries)
			}
			second := s.request(t, p)
			wantStatus(t, "second call", second, c.again)
			wantCache(t, "second call (not a hit)", second, rpc.CacheMiss)
			recs := e.requestsTo(call.Path)
			if len(recs) != 2 {
				t.Fatalf("mock requests to %s = %d, want 2", call.Path, len(recs))
			}
			if inm := recs[1].Header.Get("If-None-Match"); inm != "" {
				t.Errorf("second request sent If-None-Match %q, want none (nothing stored)", inm)
			}
		})
	}
}

func TestCacheWriteInvalidates(t *testing.T) {
	// Listings fresh for an hour: without invalidation the reads after the
	// write would be hits with the old price.
	e := newEnv(t, envOptions{
		ttl:        map[string]string{"listings": "1h"},
		mockTokens: []mock.TokenSpec{{Token: fakeToken(t)}, {Token: fakeToken(t)}},
	})
	s := e.connect("cache-test")
	s.addToken(t, "main", e.tokens[0])
	s.addToken(t, "other", e.tokens[1])

	update := e.example("UpdateListing")
	id := update.Path[strings.LastIndex(update.Path, "/")+1:]
	newPrice, err := strconv.ParseInt(update.Query.Get("price_cents"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	item := rpc.RequestParams{Method: "GET", Path: update.Path}
	list := rpc.RequestParams{Method: "GET", Path: "/listings", Query: map[string]any{"search_term": id}}
	otherItem := item
	otherItem.Profile = "other"
	reads := []struct {
		name string
		p    rpc.RequestParams
	}{{"GET /listings/{id}", item}, {"GET /listings?search_term", list}, {"GET /listings/{id} as other", otherItem}}

	var oldPrice int64
	for _, r := range reads {
		wantCache(t, "first "+r.name, s.request(t, r.p), rpc.CacheMiss)
		res := s.request(t, r.p)
		wantCache(t, "second "+r.name, res, rpc.CacheHit)
		if r.p.Path == item.Path {
			oldPrice = listingPrice(t, res.Body)
		}
	}
	if oldPrice == newPrice {
		t.Fatalf("example update keeps the price %d", newPrice)
	}

	// A failed write evicts nothing.
	bad := params(update)
	bad.Query = map[string]any{"price_cents": "15050"} // not whole dollars: 400
	if res := s.request(t, bad); res.Status < 400 {
		t.Fatalf("update with price 15050: status %d, want a 4xx", res.Status)
	}
	wantCache(t, "GET after a failed write", s.request(t, item), rpc.CacheHit)

	before := len(e.requestsTo(update.Path))
	res := s.request(t, params(update))
	wantStatus(t, "UpdateListing", res, 200)
	wantCache(t, "UpdateListing", res, rpc.CacheBypass)

	got := s.request(t, item)
	wantCache(t, "GET /listings/{id} after the write", got, rpc.CacheMiss)
	if p := listingPrice(t, got.Body); p != newPrice {
		t.Errorf("price after the write = %d, want %d (old %d)", p, newPrice, oldPrice)
	}
	recs := e.requestsTo(update.Path)
	if len(recs) != before+2 {
		t.Fatalf("mock requests to %s = %d, want %d", update.Path, len(recs), before+2)
	}
	if last := recs[len(recs)-1]; last.Method != "GET" || last.Header.Get("If-None-Match") != "" {
		t.Errorf("GET after the write: mock saw %s with If-None-Match %q, want a plain GET (entry evicted)", last.Method, last.Header.Get("If-None-Match"))
	}
	lres := s.request(t, list)
	wantCache(t, "GET /listings?search_term after the write", lres, rpc.CacheMiss)
	if !strings.Contains(string(lres.Body), `"price_cents":"`+strconv.FormatInt(newPrice, 10)+`"`) {
		t.Errorf("listing search after the write = %.300s, want price_cents %d", lres.Body, newPrice)
	}
	wantCache(t, "GET /listings/{id} as other after the write", s.request(t, otherItem), rpc.CacheMiss)
}

func TestCacheOfflineServesStale(t *testing.T) {
	cases := []struct {
		name        string
		maxAttempts int
		breakIt     func(t *testing.T, e *testEnv, path string)
		// upstream is how many requests the mock sees for one offline
		// call; -1 means "at least one": net/http itself retries an
		// idempotent request once when a reused connection breaks before
		// any answer, below the client's own retry policy.
		upstream int
	}{
		{
			name: "mock stopped",
			breakIt: func(t *testing.T, e *testEnv, _ string) {
				if err := e.srv.Close(); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "connection reset",
			breakIt: func(t *testing.T, e *testEnv, path string) {
				e.srv.AddFault(mock.Fault{PathPrefix: path, ResetConnection: true})
			},
			upstream: -1,
		},
		{
			name:        "503 after retries",
			maxAttempts: 3,
			breakIt: func(t *testing.T, e *testEnv, path string) {
				e.srv.AddFault(mock.Fault{PathPrefix: path, Status: 503})
			},
			upstream: 3,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, s := newSession(t, envOptions{maxAttempts: c.maxAttempts})
			call := e.example("GetListing")
			first := s.request(t, params(call))
			wantCache(t, "first", first, rpc.CacheMiss)
			time.Sleep(1100 * time.Millisecond) // so that the age is at least 1 s
			c.breakIt(t, e, call.Path)
			before := len(e.requestsTo(call.Path))

			res := s.request(t, params(call))
			wantCache(t, "offline call", res, rpc.CacheStale)
			wantStatus(t, "offline call", res, 200)
			if string(res.Body) != string(first.Body) {
				t.Errorf("stale body = %.100s, want the stored %.100s", res.Body, first.Body)
			}
			if res.AgeSeconds < 1 {
				t.Errorf("stale ageSeconds = %d, want >= 1", res.AgeSeconds)
			}
			if d := res.Diagnostic; d == nil || d.Class != alias.DiagStale || !strings.Contains(d.Title, "Stale") {
				t.Errorf("stale diagnostic = %s, want class %q saying so", mustJSON(d), alias.DiagStale)
			}
			if got := len(e.requestsTo(call.Path)) - before; got != c.upstream && (c.upstream >= 0 || got < 1) {
				t.Errorf("mock requests for the offline call = %d, want %d", got, c.upstream)
			}
			if c.upstream > 1 && len(res.RequestIDs) != c.upstream {
				t.Errorf("stale answer requestIds = %q, want the %d attempts", res.RequestIDs, c.upstream)
			}
			h := s.historyEntry(t, res.HistoryID)
			// The history keeps severity, title, detail and hint (not the
			// class): the stale title is what it can show.
			if h.Cache != rpc.CacheStale || h.Diagnostic == nil || !strings.Contains(h.Diagnostic.Title, "Stale") {
				t.Errorf("history entry cache %q diagnostic %s, want stale with its diagnostic", h.Cache, mustJSON(h.Diagnostic))
			}

			no := false
			p := params(call)
			p.AllowStale = &no
			res = s.request(t, p)
			if res.Cache == rpc.CacheStale || res.Status == 200 {
				t.Errorf("allowStale false: cache %q status %d, want no stale answer", res.Cache, res.Status)
			}
			if res.Diagnostic == nil || res.Diagnostic.Severity != rpc.SeverityError {
				t.Errorf("allowStale false: diagnostic %s, want an error saying why", mustJSON(res.Diagnostic))
			}
			if st := s.stats(t, ""); st.StaleServes != 1 || st.Entries != 1 {
				t.Errorf("stats staleServes %d entries %d, want 1 and 1 (the entry is kept)", st.StaleServes, st.Entries)
			}
		})
	}
}

func TestCacheRequestModes(t *testing.T) {
	t.Run("no-cache asks upstream despite a fresh entry", func(t *testing.T) {
		e, s := newSession(t, envOptions{})
		call := e.example("GetCatalogItem")
		wantCache(t, "first", s.request(t, params(call)), rpc.CacheMiss)
		p := params(call)
		p.Cache = rpc.CacheNoCache
		wantCache(t, "no-cache", s.request(t, p), rpc.CacheRevalidated)
		recs := e.requestsTo(call.Path)
		if len(recs) != 2 || recs[1].Header.Get("If-None-Match") == "" {
			t.Fatalf("mock saw %d requests, want 2 with the second conditional", len(recs))
		}
		wantCache(t, "default after no-cache", s.request(t, params(call)), rpc.CacheHit)
	})
	t.Run("no-cache never answers stale", func(t *testing.T) {
		e, s := newSession(t, envOptions{})
		call := e.example("GetCatalogItem")
		wantCache(t, "first", s.request(t, params(call)), rpc.CacheMiss)
		e.srv.Close()
		p := params(call)
		p.Cache = rpc.CacheNoCache
		res := s.request(t, p)
		if res.Cache == rpc.CacheStale || res.Status != 0 {
			t.Errorf("no-cache offline: cache %q status %d, want no answer (status 0), not the entry", res.Cache, res.Status)
		}
	})
	t.Run("only-if-cached without an entry", func(t *testing.T) {
		e, s := newSession(t, envOptions{})
		call := e.example("GetCatalogItem")
		before := e.srv.Requests()
		p := params(call)
		p.Cache = rpc.CacheOnlyIfCached
		res := s.request(t, p)
		wantStatus(t, "only-if-cached", res, 504)
		if d := res.Diagnostic; d == nil || d.Class != "not_cached" || !strings.Contains(d.Detail, "not called") {
			t.Errorf("only-if-cached diagnostic = %s, want class not_cached saying the API was not called", mustJSON(d))
		}
		if got := e.srv.Requests() - before; got != 0 {
			t.Errorf("mock requests = %d, want 0", got)
		}
		if h := s.historyEntry(t, res.HistoryID); h.Status != 504 {
			t.Errorf("history entry status = %d, want 504", h.Status)
		}
	})
	t.Run("only-if-cached with an entry", func(t *testing.T) {
		e, s := newSession(t, envOptions{})
		call := e.example("GetListing") // lifetime 0: stale at once
		first := s.request(t, params(call))
		before := e.srv.Requests()
		p := params(call)
		p.Cache = rpc.CacheOnlyIfCached
		res := s.request(t, p)
		wantStatus(t, "only-if-cached", res, 200)
		if res.Cache != rpc.CacheStale && res.Cache != rpc.CacheHit {
			t.Errorf("only-if-cached cache = %q, want hit or stale", res.Cache)
		}
		if string(res.Body) != string(first.Body) {
			t.Errorf("only-if-cached body differs from the stored one")
		}
		if got := e.srv.Requests() - before; got != 0 {
			t.Errorf("mock requests = %d, want 0", got)
		}
	})
	t.Run("unknown mode", func(t *testing.T) {
		e, s := newSession(t, envOptions{})
		p := params(e.example("GetCatalogItem"))
		p.Cache = "reload"
		err := s.try(rpc.MethodRequest, p, nil)
		if rpcCode(err) != rpc.CodeInvalidParams || !strings.Contains(err.Error(), "cache") {
			t.Errorf("alias/request cache=reload = %v, want invalid params naming cache", err)
		}
		if n := e.srv.Requests(); n != 0 {
			t.Errorf("mock requests = %d, want 0", n)
		}
	})
}

func TestCacheConcurrentMissesShareOneCall(t *testing.T) {
	const n = 8
	// Each answer takes a second, so the n calls overlap on the wire.
	e, s := newSession(t, envOptions{latency: time.Second})
	call := e.example("GetCatalogItem")
	start := make(chan struct{})
	results := make([]rpc.RequestResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = s.try(rpc.MethodRequest, params(call), &results[i])
		}()
	}
	close(start)
	wg.Wait()
	provenance := map[string]int{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("call %d: %v", i, errs[i])
		}
		wantStatus(t, "concurrent call", results[i], 200)
		if string(results[i].Body) != string(results[0].Body) {
			t.Errorf("call %d body differs from call 0", i)
		}
		provenance[results[i].Cache]++
	}
	if got := len(e.requestsTo(call.Path)); got != 1 {
		t.Errorf("mock requests to %s for %d identical concurrent calls = %d, want 1", call.Path, n, got)
	}
	if provenance[rpc.CacheMiss]+provenance[rpc.CacheHit] != n {
		t.Errorf("provenance = %v, want only miss and hit", provenance)
	}
	t.Logf("provenance of %d concurrent calls: %v", n, provenance)
	var hist rpc.HistoryListResult
	s.call(t, rpc.MethodHistoryList, rpc.HistoryListParams{Path: call.Path}, &hist)
	if len(hist.Entries) != n {
		t.Errorf("history entries for %s = %d, want %d (one per call)", call.Path, len(hist.Entries), n)
	}
}

func TestCacheSizeCapEvictsLeastRecentlyUsed(t *testing.T) {
	e, s := newSession(t, envOptions{})
	// Four catalog items from a search.
	var search struct {
		Items []struct {
			ID string `json:"catalog_id"`
		} `json:"catalog_items"`
	}
	res := s.request(t, rpc.RequestParams{Method: "GET", Path: "/catalog", Query: map[string]any{"query": "a", "limit": 10}})
	if err := json.Unmarshal(res.Body, &search); err != nil || len(search.Items) < 4 {
		t.Fatalf("catalog search gave %d items (%v), want at least 4", len(search.Items), err)
	}
	paths := make([]string, 4)
	sizes := make([]int64, 4)
	for i := range paths {
		paths[i] = "/api/v1/catalog/" + search.Items[i].ID
		wantCache(t, "fill "+paths[i], s.request(t, rpc.RequestParams{Method: "GET", Path: paths[i]}), rpc.CacheMiss)
		sizes[i] = s.stats(t, paths[i]).Bytes
		if sizes[i] <= 0 {
			t.Fatalf("stats bytes for %s = %d, want > 0", paths[i], sizes[i])
		}
	}
	var cleared rpc.RemovedResult
	s.call(t, rpc.MethodCacheClear, rpc.CacheParams{PathPrefix: "/catalog"}, &cleared)
	if cleared.Removed != 5 { // the four items and the search
		t.Fatalf("cache/clear /catalog removed %d, want 5", cleared.Removed)
	}
	for i := range 3 {
		wantCache(t, "refill "+paths[i], s.request(t, rpc.RequestParams{Method: "GET", Path: paths[i]}), rpc.CacheMiss)
	}

	// Room for items 0, 2 and 3 plus half of item 1: storing item 3 must
	// evict exactly one entry, the least recently used.
	e.opts.maxBytes = sizes[0] + sizes[2] + sizes[3] + sizes[1]/2
	e.restart()
	s = e.connect("cache-test")
	if st := s.stats(t, ""); st.MaxBytes != e.opts.maxBytes || st.Entries != 3 {
		t.Fatalf("after restart: maxBytes %d entries %d, want %d and 3", st.MaxBytes, st.Entries, e.opts.maxBytes)
	}
	wantCache(t, "touch item 2", s.request(t, rpc.RequestParams{Method: "GET", Path: paths[2]}), rpc.CacheHit)
	wantCache(t, "touch item 0", s.request(t, rpc.RequestParams{Method: "GET", Path: paths[0]}), rpc.CacheHit)
	before := s.stats(t, "").Evictions
	wantCache(t, "store item 3", s.request(t, rpc.RequestParams{Method: "GET", Path: paths[3]}), rpc.CacheMiss)

	st := s.stats(t, "")
	if st.Evictions != before+1 {
		t.Errorf("evictions = %d, want %d", st.Evictions, before+1)
	}
	if st.Bytes > st.MaxBytes {
		t.Errorf("bytes %d over max_bytes %d", st.Bytes, st.MaxBytes)
	}
	for i, want := range []int{1, 0, 1, 1} {
		if got := s.stats(t, paths[i]).Entries; got != want {
			t.Errorf("entries for item %d = %d, want %d", i, got, want)
		}
	}
	wantCache(t, "item 1 again", s.request(t, rpc.RequestParams{Method: "GET", Path: paths[1]}), rpc.CacheMiss)
}

func TestCacheStatsAndClear(t *testing.T) {
	e, s := newSession(t, envOptions{})
	item := params(e.example("GetCatalogItem"))
	listing := params(e.example("GetListing"))
	search := params(e.example("SearchCatalog"))

	steps := []struct {
		p    rpc.RequestParams
		want string
	}{
		{item, rpc.CacheMiss},
		{item, rpc.CacheHit},
		{item, rpc.CacheHit},
		{listing, rpc.CacheMiss},
		{listing, rpc.CacheRevalidated},
		{search, rpc.CacheMiss},
	}
	for i, st := range steps {
		wantCache(t, "step "+strconv.Itoa(i+1), s.request(t, st.p), st.want)
	}
	e.srv.AddFault(mock.Fault{PathPrefix: listing.Path, Status: 503, Count: 1})
	wantCache(t, "listing during an outage", s.request(t, listing), rpc.CacheStale)

	st := s.stats(t, "")
	want := rpc.CacheStatsResult{Entries: 3, Hits: 2, Misses: 3, Revalidations: 1, StaleServes: 1, Evictions: 0}
	if st.Entries != want.Entries || st.Hits != want.Hits || st.Misses != want.Misses || st.Revalidations != want.Revalidations || st.StaleServes != want.StaleServes || st.Evictions != want.Evictions {
		t.Errorf("alias/cache/stats = %s, want counters %s", mustJSON(st), mustJSON(want))
	}
	if st.Bytes <= 0 || st.FileBytes <= 0 || st.MaxBytes != 256<<20 {
		t.Errorf("stats bytes %d fileBytes %d maxBytes %d, want > 0, > 0 and the 256 MiB default", st.Bytes, st.FileBytes, st.MaxBytes)
	}
	if cat := s.stats(t, "/catalog"); cat.Entries != 2 {
		t.Errorf("stats /catalog entries = %d, want 2", cat.Entries)
	}

	var rm rpc.RemovedResult
	s.call(t, rpc.MethodCacheClear, rpc.CacheParams{PathPrefix: "/listings"}, &rm)
	if rm.Removed != 1 {
		t.Errorf("cache/clear /listings removed %d, want 1", rm.Removed)
	}
	if got := s.stats(t, ""); got.Entries != 2 {
		t.Errorf("entries after clearing /listings = %d, want 2", got.Entries)
	}
	wantCache(t, "item after clearing /listings", s.request(t, item), rpc.CacheHit)
	wantCache(t, "listing after clearing /listings", s.request(t, listing), rpc.CacheMiss)

	s.call(t, rpc.MethodCacheClear, rpc.CacheParams{}, &rm)
	if rm.Removed != 3 {
		t.Errorf("cache/clear everything removed %d, want 3", rm.Removed)
	}
	if got := s.stats(t, ""); got.Entries != 0 || got.Bytes != 0 {
		t.Errorf("after clearing everything: entries %d bytes %d, want 0 and 0", got.Entries, got.Bytes)
	}
	wantCache(t, "item after clearing everything", s.request(t, item), rpc.CacheMiss)

	// Counters persist across a restart.
	before := s.stats(t, "")
	e.restart()
	s = e.connect("cache-test")
	after := s.stats(t, "")
	if after.Hits != before.Hits || after.Misses != before.Misses || after.StaleServes != before.StaleServes {
		t.Errorf("stats after restart = %s, want the counters of %s", mustJSON(after), mustJSON(before))
	}
}
