package cache

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/aliasd/aliasd/alias"
	"github.com/aliasd/aliasd/alias/mock"
	"github.com/aliasd/aliasd/rpc"
)

// mockUpstream is the project's alias API mock on loopback.
type mockUpstream struct {
	srv  *mock.Server
	base string
	tok  string
}

func newMock(t *testing.T) *mockUpstream {
	t.Helper()
	tok := fakeToken()
	srv, base := mock.StartTest(t, mock.Config{Tokens: []mock.TokenSpec{{Token: tok}}, Seed: 7})
	return &mockUpstream{srv: srv, base: base, tok: tok}
}

// fetch sends call the way the daemon's client would, adding the cache's
// conditional headers.
func (m *mockUpstream) fetch(call mock.Call) Fetch {
	return func(ctx context.Context, cond http.Header) (*Response, error) {
		req, err := call.Request(ctx, m.base, m.tok)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/json")
		for k, v := range cond {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return &Response{NetErr: true, Err: err}, nil
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return &Response{NetErr: true, Err: err, Status: resp.StatusCode}, nil
		}
		return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
	}
}

// request is the cache request for call.
func (m *mockUpstream) request(t *testing.T, call mock.Call) Request {
	t.Helper()
	ep, _, ok := alias.Match(call.Method, call.Path)
	if !ok {
		t.Fatalf("alias.Match(%s %s) found no endpoint", call.Method, call.Path)
	}
	return Request{
		Key:        Key{Method: call.Method, Path: call.Path, Query: call.Query, Accept: "application/json", Fingerprint: fingerprint(m.tok)},
		Class:      ep.Cache,
		Mode:       rpc.CacheDefault,
		AllowStale: true,
	}
}

func TestMockCatalogItemHitAndRevalidation(t *testing.T) {
	e := newEnv(t, nil)
	m := newMock(t)
	call := m.srv.Example(alias.ByName("GetCatalogItem"))
	req := m.request(t, call)
	f := m.fetch(call)

	first := e.do(req, f)
	if first.Provenance != rpc.CacheMiss || first.Response.Status != 200 || first.Response.Header.Get("Etag") == "" {
		t.Fatalf("first Do = %s %d etag %q, want a 200 miss with an ETag", first.Provenance, first.Response.Status, first.Response.Header.Get("Etag"))
	}
	expect(t, e.do(req, f), rpc.CacheHit, string(first.Response.Body))
	req.Mode = rpc.CacheNoCache
	expect(t, e.do(req, f), rpc.CacheRevalidated, string(first.Response.Body))
	if got := m.srv.RequestsTo(call.Path); got != 2 {
		t.Errorf("mock requests to %s = %d, want 2 (fill + revalidation)", call.Path, got)
	}
}

func TestMockOutageServesStale(t *testing.T) {
	e := newEnv(t, nil)
	m := newMock(t)
	call := m.srv.Example(alias.ByName("ListAvailabilities"))
	req := m.request(t, call)
	f := m.fetch(call)
	first := e.do(req, f)
	if first.Response.Status != 200 {
		t.Fatalf("fill = %d, want 200", first.Response.Status)
	}
	e.clock.Advance(2 * time.Minute) // past the 60s pricing TTL
	for _, fault := range []mock.Fault{
		{PathPrefix: call.Path, Status: 503},
		{PathPrefix: call.Path, ResetConnection: true},
	} {
		if err := m.srv.AddFault(fault); err != nil {
			t.Fatal(err)
		}
		res := e.do(req, f)
		expect(t, res, rpc.CacheStale, string(first.Response.Body))
		if res.Upstream == nil || res.Stale == "" {
			t.Errorf("stale serve under %+v: upstream %v, reason %q; want the failed answer and a reason", fault, res.Upstream, res.Stale)
		}
		m.srv.ClearFaults()
	}
}

func TestMockWriteInvalidatesListing(t *testing.T) {
	e := newEnv(t, nil)
	m := newMock(t)
	get := m.srv.Example(alias.ByName("GetListing"))
	req := m.request(t, get)
	before := e.do(req, m.fetch(get))
	if before.Response.Status != 200 {
		t.Fatalf("GetListing = %d, want 200", before.Response.Status)
	}

	// UpdateListing on the same listing, through the cache (a bypass),
	// then the invalidation the daemon performs after a successful write.
	id := get.Path[len(alias.PathPrefix+"/listings/"):]
	price := listingPrice(t, before.Response.Body) + 100
	upd := mock.Call{Method: http.MethodPost, Path: get.Path, Query: map[string][]string{"price_cents": {strconv.Itoa(price)}}}
	w := e.do(m.request(t, upd), m.fetch(upd))
	if w.Provenance != rpc.CacheBypass || w.Response.Status != 200 {
		t.Fatalf("UpdateListing = %s %d %s, want a 200 bypass", w.Provenance, w.Response.Status, w.Response.Body)
	}
	ep, params, _ := alias.Match(upd.Method, upd.Path)
	if n, err := e.c.Invalidate(ep.Invalidated(params)); err != nil || n != 1 {
		t.Fatalf("Invalidate after UpdateListing(%s) = %d, %v; want 1, nil", id, n, err)
	}
	after := e.do(req, m.fetch(get))
	if after.Provenance != rpc.CacheMiss || listingPrice(t, after.Response.Body) != price {
		t.Errorf("GetListing after the write = %s, price %d; want a miss with price %d", after.Provenance, listingPrice(t, after.Response.Body), price)
	}
}

func listingPrice(t *testing.T, body []byte) int {
	t.Helper()
	var v struct {
		Listing struct {
			PriceCents string `json:"price_cents"`
		} `json:"listing"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("listing body %q: %v", body, err)
	}
	n, err := strconv.Atoi(v.Listing.PriceCents)
	if err != nil {
		t.Fatalf("price_cents %q: %v", v.Listing.PriceCents, err)
	}
	return n
}

func TestMockEchoedTokenIsNeverStored(t *testing.T) {
	e := newEnv(t, nil)
	m := newMock(t)
	call := m.srv.Example(alias.ByName("GetCatalogItem"))
	req := m.request(t, call)
	if err := m.srv.AddFault(mock.Fault{PathPrefix: call.Path, EchoToken: true, Count: 1}); err != nil {
		t.Fatal(err)
	}
	res := e.do(req, m.fetch(call))
	if res.Response.Status != 401 || !bytes.Contains(res.Response.Body, []byte(m.tok)) {
		t.Fatalf("echo fault = %d %q, want a 401 that echoes the token", res.Response.Status, res.Response.Body)
	}
	e.do(req, m.fetch(call)) // a normal 200, stored
	if err := e.c.Flush(); err != nil {
		t.Fatal(err)
	}
	if s := e.stats(""); s.Entries != 1 {
		t.Fatalf("entries = %d, want 1", s.Entries)
	}
	raw, err := os.ReadFile(e.path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(m.tok)) {
		t.Errorf("database file holds the token, want it nowhere")
	}
}
