package cache

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/aliasd/aliasd/alias"
	"github.com/aliasd/aliasd/internal/testutil"
	"github.com/aliasd/aliasd/rpc"
)

// waiters returns how many callers wait on flights for any key.
func (c *Cache) waitersForTest() int {
	c.flightMu.Lock()
	defer c.flightMu.Unlock()
	n := 0
	for _, f := range c.flights {
		n += f.waiters
	}
	return n
}

func TestConcurrentMissesShareOneFetch(t *testing.T) {
	e := newEnv(t, nil)
	u := newUpstream(t)
	tok := fakeToken()
	release := make(chan struct{})
	u.set(itemPath, resource{body: `{"shared":true}`, etag: `"s"`, block: release})
	req := request(itemPath, "", tok, alias.CacheCatalogItem)

	const n = 8
	results := make([]*Result, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = e.c.Do(context.Background(), req, u.fetch(itemPath, "", tok))
		}()
	}
	testutil.WaitFor(t, "all callers to wait on the shared fetch", func() bool { return e.c.waitersForTest() == n })
	close(release)
	wg.Wait()

	fetched := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("caller %d: Do = %v", i, errs[i])
		}
		expect(t, results[i], rpc.CacheMiss, `{"shared":true}`)
		if results[i].Fetched {
			fetched++
		}
	}
	if got := u.calls.Load(); got != 1 {
		t.Errorf("upstream calls = %d, want 1", got)
	}
	if fetched != 1 {
		t.Errorf("callers with Fetched = %d, want 1", fetched)
	}
	// Each caller owns its header map.
	results[0].Response.Header.Set("X-Mine", "1")
	if results[1].Response.Header.Get("X-Mine") != "" {
		t.Errorf("callers share one header map, want copies")
	}
}

func TestCancelledWaiterLeavesOthersWaiting(t *testing.T) {
	e := newEnv(t, nil)
	u := newUpstream(t)
	tok := fakeToken()
	release := make(chan struct{})
	u.set(itemPath, resource{body: `{"ok":1}`, block: release})
	req := request(itemPath, "", tok, alias.CacheCatalogItem)
	f := u.fetch(itemPath, "", tok)

	ctx1, cancel1 := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := e.c.Do(ctx1, req, f)
		errc <- err
	}()
	resc := make(chan *Result, 1)
	go func() {
		res, err := e.c.Do(context.Background(), req, f)
		if err != nil {
			t.Errorf("second caller: Do = %v", err)
		}
		resc <- res
	}()
	testutil.WaitFor(t, "two waiters", func() bool { return e.c.waitersForTest() == 2 })
	cancel1()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: Do = %v, want context.Canceled", err)
	}
	close(release)
	res := <-resc
	if res == nil {
		t.Fatal("second caller got no result")
	}
	expect(t, res, rpc.CacheMiss, `{"ok":1}`)
	if got := u.canceled.Load(); got != 0 {
		t.Errorf("upstream requests cancelled = %d, want 0", got)
	}
}

func TestLastWaiterLeavingCancelsFetch(t *testing.T) {
	e := newEnv(t, nil)
	u := newUpstream(t)
	tok := fakeToken()
	u.set(itemPath, resource{body: `{}`, block: make(chan struct{})}) // never released
	req := request(itemPath, "", tok, alias.CacheCatalogItem)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := e.c.Do(ctx, req, u.fetch(itemPath, "", tok))
		errc <- err
	}()
	testutil.WaitFor(t, "the request to reach upstream", func() bool { return u.calls.Load() == 1 })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("Do after cancel = %v, want context.Canceled", err)
	}
	testutil.WaitFor(t, "upstream to see the request cancelled", func() bool { return u.canceled.Load() == 1 })
	if s := e.stats(""); s.Entries != 0 {
		t.Errorf("entries = %d, want 0", s.Entries)
	}
}

func TestInvalidateAfterWrite(t *testing.T) {
	e := newEnv(t, nil)
	u := newUpstream(t)
	tokA, tokB := fakeToken(), fakeToken()
	type get struct{ path, query, tok string }
	gets := []get{
		{"/api/v1/listings/L1", "", tokA},
		{"/api/v1/listings/L1", "", tokB},
		{"/api/v1/listings", "page_size=10", tokA},
		{"/api/v1/listings", "page_size=10&pagination_token=t2", tokB},
		{"/api/v1/listings/L2", "", tokA},
		{"/api/v1/catalog/dunk-low", "", tokA},
	}
	fill := func() {
		for _, g := range gets {
			u.set(g.path, resource{body: `{}`, etag: `"e"`})
			e.do(request(g.path, g.query, g.tok, classOf(t, g.path)), u.fetch(g.path, g.query, g.tok))
		}
	}
	fill()

	// A successful POST /listings/L1 (UpdateListing) evicts that listing
	// and the listing lists, for every token.
	ep, params, ok := alias.Match(http.MethodPost, "/api/v1/listings/L1")
	if !ok {
		t.Fatal("alias.Match(POST /listings/L1) found no endpoint")
	}
	n, err := e.c.Invalidate(ep.Invalidated(params))
	if err != nil || n != 4 {
		t.Fatalf("Invalidate(%v) = %d, %v; want 4, nil", ep.Invalidated(params), n, err)
	}
	if s := e.stats("/listings/L2"); s.Entries != 1 {
		t.Errorf("entries under /listings/L2 = %d, want 1 (untouched)", s.Entries)
	}
	if s := e.stats(""); s.Entries != 2 {
		t.Errorf("entries left = %d, want 2", s.Entries)
	}

	// DeletePicture evicts every listing path (a prefix pattern).
	fill()
	ep = alias.ByName("DeletePicture")
	n, err = e.c.Invalidate(ep.Invalidated(map[string]string{"id": "P1"}))
	if err != nil || n != 5 {
		t.Fatalf("Invalidate(listings*) = %d, %v; want 5, nil", n, err)
	}
	if s := e.stats(""); s.Entries != 1 {
		t.Errorf("entries left = %d, want 1 (the catalog item)", s.Entries)
	}
}

func classOf(t *testing.T, path string) alias.CacheClass {
	t.Helper()
	ep, _, ok := alias.Match(http.MethodGet, path)
	if !ok {
		t.Fatalf("alias.Match(GET %s) found no endpoint", path)
	}
	return ep.Cache
}

func TestFetchRacingInvalidationIsNotStored(t *testing.T) {
	e := newEnv(t, nil)
	u := newUpstream(t)
	tok := fakeToken()
	const path = "/api/v1/listings"
	release := make(chan struct{})
	u.set(path, resource{body: `{"listings":["old"]}`, block: release})
	req := request(path, "", tok, alias.CacheListings)
	resc := make(chan *Result, 1)
	go func() {
		res, err := e.c.Do(context.Background(), req, u.fetch(path, "", tok))
		if err != nil {
			t.Errorf("Do = %v", err)
		}
		resc <- res
	}()
	testutil.WaitFor(t, "the list request to reach upstream", func() bool { return u.calls.Load() == 1 })
	if _, err := e.c.Invalidate([]string{path}); err != nil {
		t.Fatal(err)
	}
	close(release)
	expect(t, <-resc, rpc.CacheMiss, `{"listings":["old"]}`)
	if s := e.stats(""); s.Entries != 0 {
		t.Errorf("entries = %d, want 0: an answer fetched before a write must not be stored after it", s.Entries)
	}
}
