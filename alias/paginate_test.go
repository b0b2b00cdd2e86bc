package alias

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// pagedServer serves the five paging resources with each one's own shape
// (alias-api.md §8). Test switches travel in the query: loop=1 repeats the
// token, fail=N answers page N with a 400, bad=1 sends a malformed page,
// lie=1 claims has_more without a token.
type pagedServer struct {
	total   map[string]int
	mu      sync.Mutex // guards queries
	queries map[string][]url.Values
}

func newPagedServer(t *testing.T) (*pagedServer, string) {
	ps := &pagedServer{
		total: map[string]int{
			"/api/v1/catalog":                      7,
			"/api/v1/listings":                     120,
			"/api/v1/orders":                       61,
			"/api/v1/listings/batch":               5,
			"/api/v1/listings/batch_operations/b1": 1100,
		},
		queries: map[string][]url.Values{},
	}
	_, base := apiServer(t, ps.serve)
	return ps, base
}

func (ps *pagedServer) seen(path string) []url.Values {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.queries[path]
}

func (ps *pagedServer) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ps.mu.Lock()
	ps.queries[r.URL.Path] = append(ps.queries[r.URL.Path], q)
	page := len(ps.queries[r.URL.Path])
	ps.mu.Unlock()
	total, ok := ps.total[r.URL.Path]
	if !ok {
		writeAPIError(w, 404, 5, "not found")
		return
	}
	if q.Get("fail") == strconv.Itoa(page) {
		writeAPIError(w, 400, 3, "Missing parameter: input.Query")
		return
	}
	size := map[string]int{"/api/v1/catalog": 3, "/api/v1/listings/batch": 2}[r.URL.Path]
	for _, p := range []string{"limit", "page_size"} {
		if v := q.Get(p); v != "" {
			size, _ = strconv.Atoi(v)
		}
	}
	if size == 0 {
		size = 25
	}
	off := 0
	if tok := q.Get("pagination_token"); tok != "" {
		off, _ = strconv.Atoi(strings.TrimPrefix(tok, "opaque-"))
	}
	end := min(off+size, total)
	prefix := strings.TrimPrefix(r.URL.Path, "/api/v1/")
	items := []map[string]any{}
	for i := off; i < end; i++ {
		items = append(items, map[string]any{"id": fmt.Sprintf("%s-%d", prefix, i)})
	}
	next, more := "", end < total
	if more {
		next = "opaque-" + strconv.Itoa(end)
	}
	if q.Get("loop") == "1" {
		next, more = "opaque-0", true
	}
	if q.Get("lie") == "1" {
		next, more = "", true
	}
	id := fmt.Sprintf("rid-%s-%d", prefix, page)
	var body map[string]any
	switch r.URL.Path {
	case "/api/v1/catalog":
		body = map[string]any{"catalog_items": items, "next_pagination_token": next, "has_more": more}
	case "/api/v1/listings":
		body = map[string]any{"listings": items, "pagination": map[string]any{"pagination_token": next, "has_more": more, "total_count": strconv.Itoa(total)}}
	case "/api/v1/orders":
		pg := map[string]any{}
		if next != "" {
			pg["next_page_token"] = next
		}
		body = map[string]any{"results": items, "pagination": pg}
	case "/api/v1/listings/batch":
		body = map[string]any{"batches": items, "next_pagination_token": next, "has_more": more}
	default:
		body = map[string]any{"id": "b1", "operations": items, "pagination_token": next}
	}
	if q.Get("bad") == "1" {
		for k, v := range body {
			if _, isList := v.([]map[string]any); isList {
				body[k] = "not a list"
			}
		}
	}
	writeJSON(w, id, body)
}

func walkEnv(t *testing.T) (*pagedServer, *testEnv) {
	ps, base := newPagedServer(t)
	return ps, newEnv(t, base, nil)
}

func TestWalkPerResource(t *testing.T) {
	tests := []struct {
		name, path string
		total      int
		pages      int
		sizeParam  string
		sizeSent   string // "" = none sent
	}{
		{"catalog", "/catalog?query=dunk", 7, 3, "limit", ""},
		{"listings", "/listings", 120, 3, "page_size", "50"},
		{"orders", "/orders", 61, 2, "page_size", "50"},
		{"batches", "/listings/batch", 5, 3, "", ""},
		{"batch operations", "/api/v1/listings/batch_operations/b1", 1100, 3, "limit", "500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, env := walkEnv(t)
			var progress []PageProgress
			res, err := Walk(context.Background(), WalkOptions{Path: tt.path, Fetch: env.c.Do,
				OnPage: func(p PageProgress) { progress = append(progress, p) }})
			if err != nil {
				t.Fatalf("Walk(%s) error = %v", tt.path, err)
			}
			if len(res.Items) != tt.total || res.Pages != tt.pages || res.Truncated || res.Status != 200 || res.Reason != StopComplete {
				t.Fatalf("Walk(%s) = %d items %d pages truncated %v status %d reason %q; want %d items %d pages",
					tt.path, len(res.Items), res.Pages, res.Truncated, res.Status, res.Reason, tt.total, tt.pages)
			}
			prefix := strings.TrimPrefix(NormalizePath(strings.Split(tt.path, "?")[0]), "/api/v1/")
			for i, it := range res.Items {
				var v struct{ ID string }
				json.Unmarshal(it, &v)
				if want := fmt.Sprintf("%s-%d", prefix, i); v.ID != want {
					t.Fatalf("item %d = %s, want id %s", i, it, want)
				}
			}
			if len(res.RequestIDs) != tt.pages || res.RequestIDs[0] != "rid-"+prefix+"-1" {
				t.Errorf("RequestIDs = %v, want one per page", res.RequestIDs)
			}
			if len(progress) != tt.pages || progress[len(progress)-1].Items != tt.total || progress[len(progress)-1].HasMore || !progress[0].HasMore {
				t.Errorf("progress = %+v, want one report per page", progress)
			}
			qs := ps.seen(NormalizePath(strings.Split(tt.path, "?")[0]))
			for i, q := range qs {
				if tt.sizeParam != "" && q.Get(tt.sizeParam) != tt.sizeSent {
					t.Errorf("page %d sent %s=%q, want %q", i+1, tt.sizeParam, q.Get(tt.sizeParam), tt.sizeSent)
				}
				if i > 0 && q.Get("pagination_token") == "" {
					t.Errorf("page %d sent no pagination_token", i+1)
				}
				if strings.Contains(tt.path, "query=dunk") && q.Get("query") != "dunk" {
					t.Errorf("page %d lost the filter: %v", i+1, q)
				}
			}
		})
	}
}

func TestWalkStops(t *testing.T) {
	tests := []struct {
		name     string
		opts     WalkOptions
		items    int
		pages    int
		trunc    bool
		reason   string
		diag     string
		status   int
		callerSz string
	}{
		{"caller page size kept", WalkOptions{Path: "/listings", Query: url.Values{"page_size": {"10"}}}, 120, 12, false, "", "", 200, "10"},
		{"max items mid page", WalkOptions{Path: "/listings", MaxItems: 60}, 60, 2, true, StopMaxItems, "", 200, "50"},
		{"max items equal to all", WalkOptions{Path: "/listings", MaxItems: 120}, 120, 3, false, "", "", 200, "50"},
		{"max pages", WalkOptions{Path: "/orders", MaxPages: 1}, 50, 1, true, StopMaxPages, DiagPageCap, 200, "50"},
		{"repeated token", WalkOptions{Path: "/listings", Query: url.Values{"loop": {"1"}}}, 100, 2, true, StopRepeatedToken, DiagRepeatedToken, 200, "50"},
		{"failed page", WalkOptions{Path: "/catalog", Query: url.Values{"query": {"x"}, "fail": {"2"}}}, 3, 2, true, StopError, DiagMissingParameter, 400, ""},
		{"malformed page", WalkOptions{Path: "/listings/batch", Query: url.Values{"bad": {"1"}}}, 0, 1, true, StopBadPage, DiagBadPage, 200, ""},
		{"has_more without token", WalkOptions{Path: "/listings/batch", Query: url.Values{"lie": {"1"}}}, 2, 1, true, StopBadPage, DiagBadPage, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, env := walkEnv(t)
			tt.opts.Fetch = env.c.Do
			res, err := Walk(context.Background(), tt.opts)
			if err != nil {
				t.Fatalf("Walk error = %v", err)
			}
			if len(res.Items) != tt.items || res.Pages != tt.pages || res.Truncated != tt.trunc || res.Reason != tt.reason || res.Status != tt.status {
				t.Fatalf("Walk = %d items %d pages truncated %v reason %q status %d; want %d %d %v %q %d",
					len(res.Items), res.Pages, res.Truncated, res.Reason, res.Status, tt.items, tt.pages, tt.trunc, tt.reason, tt.status)
			}
			gotDiag := ""
			if res.Diagnostic != nil {
				gotDiag = res.Diagnostic.Class
			}
			if gotDiag != tt.diag {
				t.Errorf("diagnostic = %+v, want class %q", res.Diagnostic, tt.diag)
			}
			if tt.status >= 400 && (res.Error == nil || res.Error.Code != 3) {
				t.Errorf("error = %+v, want the page's API error", res.Error)
			}
			if qs := ps.seen(NormalizePath(tt.opts.Path)); tt.callerSz != "" && qs[0].Get("page_size") != tt.callerSz && qs[0].Get("limit") != tt.callerSz {
				t.Errorf("size sent = %v, want %s", qs[0], tt.callerSz)
			}
			pr := res.PaginateResult()
			if pr.Items == nil || pr.RequestIDs == nil || pr.Pages != res.Pages || pr.Truncated != res.Truncated {
				t.Errorf("PaginateResult = %+v", pr)
			}
		})
	}
}

func TestWalkCancel(t *testing.T) {
	_, env := walkEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := Walk(ctx, WalkOptions{Path: "/listings", Fetch: env.c.Do, OnPage: func(PageProgress) { cancel() }})
	if !errors.Is(err, context.Canceled) || res == nil || len(res.Items) != 50 || !res.Truncated || res.Reason != StopCanceled {
		t.Fatalf("Walk cancelled after page 1 = %+v, %v; want 50 items, truncated, context.Canceled", res, err)
	}
}

func TestWalkBadOptions(t *testing.T) {
	_, env := walkEnv(t)
	tests := []struct {
		name string
		opts WalkOptions
		want error
	}{
		{"no fetch", WalkOptions{Path: "/listings"}, ErrInvalidCall},
		{"negative max pages", WalkOptions{Path: "/listings", Fetch: env.c.Do, MaxPages: -1}, ErrInvalidCall},
		{"negative max items", WalkOptions{Path: "/listings", Fetch: env.c.Do, MaxItems: -1}, ErrInvalidCall},
		{"bad path", WalkOptions{Path: "/listings/../orders", Fetch: env.c.Do}, ErrInvalidCall},
		{"single page endpoint", WalkOptions{Path: "/pricing_insights/recent_sales", Fetch: env.c.Do}, ErrNotPaginated},
		{"unknown path", WalkOptions{Path: "/regions", Fetch: env.c.Do}, ErrNotPaginated},
		{"one item", WalkOptions{Path: "/catalog/x", Fetch: env.c.Do}, ErrNotPaginated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Walk(context.Background(), tt.opts)
			if !errors.Is(err, tt.want) || !errors.Is(err, ErrInvalidCall) {
				t.Fatalf("Walk(%+v) = %v, want %v", tt.opts.Path, err, tt.want)
			}
			if tt.want == ErrNotPaginated && !strings.Contains(err.Error(), "/listings/batch_operations/{id}") {
				t.Errorf("error %q should list the paginated paths", err)
			}
		})
	}
}
