package history

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliasd/aliasd/internal/testutil"
	"github.com/aliasd/aliasd/rpc"
)

// filterFixture appends named entries one minute apart (entry n has Time
// T0+n min and is appended 30 s later) plus "m", a slow call that started at
// T0+90s and was appended last. It returns the history, T0 and a map from
// name to history id.
func filterFixture(t *testing.T) (*History, time.Time, map[string]string) {
	t.Helper()
	db, _ := openDB(t)
	t0 := time.Date(2031, 5, 6, 7, 0, 0, 0, time.UTC)
	clk := testutil.NewClock(t0)
	h := newHistory(t, db, Config{Now: clk.Now})
	diag := func(sev, title, detail string) *rpc.Diagnostic {
		return &rpc.Diagnostic{Severity: sev, Title: title, Detail: detail}
	}
	apiErr := func(code int, name, msg string) *rpc.APIError {
		return &rpc.APIError{Code: code, CodeName: name, Message: msg}
	}
	type spec struct {
		name, method, path string
		status             int
		rids               []string
		err                *rpc.APIError
		diag               *rpc.Diagnostic
	}
	specs := []spec{
		{"a", "GET", "/api/v1/catalog", 200, nil, nil, nil},
		{"b", "GET", "/api/v1/catalog/dunk-low", 404, nil, apiErr(5, "NOT_FOUND", "catalog item not found"), diag("error", "Not found", "no catalog item has this id")},
		{"c", "GET", "/api/v1/pricing_insights/availability", 400, nil, apiErr(3, "INVALID_ARGUMENT", "Missing parameter: input.Size"), diag("error", "Missing parameter size", "add size")},
		{"d", "POST", "/api/v1/listings", 201, nil, nil, nil},
		{"e", "GET", "/api/v1/listings", 429, nil, apiErr(8, "RESOURCE_EXHAUSTED", "slow down"), diag("warning", "Rate limited", "the governor waited")},
		{"f", "GET", "/api/v1/orders", 0, nil, nil, diag("error", "Connection refused", "is the API reachable?")},
		{"g", "GET", "/api/v1/catalog", 200, nil, nil, diag("error", "Unexpected body", "the response is not JSON")},
		{"h", "DELETE", "/api/v1/listings/abc", 503, nil, nil, diag("error", "Server error", "quote the request ID")},
		{"i", "GET", "/api/v1/catalog/dunk-high", 200, nil, nil, nil},
		{"j", "GET", "/api/v1/regions", 415, nil, apiErr(0, "", `invalid gRPC request content-type "text/plain"`), diag("error", "No such endpoint", "nearest: /api/v1/catalog")},
		{"k", "GET", "/api/v1/test", 200, []string{"rid-k0", "rid-k"}, nil, nil},
	}
	ids := map[string]string{}
	for n, s := range specs {
		clk.Set(t0.Add(time.Duration(n)*time.Minute + 30*time.Second))
		rid := "rid-" + s.name
		if s.status == 0 {
			rid = ""
		}
		d := detail(s.method, s.path, s.status, rid)
		d.RequestIDs = s.rids
		d.Error, d.Diagnostic = s.err, s.diag
		d.Time = t0.Add(time.Duration(n) * time.Minute)
		ids[s.name] = mustAppend(t, h, d).ID
	}
	clk.Set(t0.Add(11 * time.Minute))
	m := detail("GET", "/api/v1/orders/slow", 200, "rid-m")
	m.Time = t0.Add(90 * time.Second)
	ids["m"] = mustAppend(t, h, m).ID
	return h, t0, ids
}

func TestListFilters(t *testing.T) {
	h, t0, ids := filterFixture(t)
	at := func(d time.Duration) string { return t0.Add(d).Format(time.RFC3339) }
	tests := []struct {
		name string
		p    rpc.HistoryListParams
		want string // names, newest first
	}{
		{"no filter", rpc.HistoryListParams{}, "m k j i h g f e d c b a"},
		{"status code", rpc.HistoryListParams{Status: "404"}, "b"},
		{"status class", rpc.HistoryListParams{Status: "4xx"}, "j e c b"},
		{"status class upper case", rpc.HistoryListParams{Status: "4XX"}, "j e c b"},
		{"status 5xx", rpc.HistoryListParams{Status: "5xx"}, "h"},
		{"status 2xx", rpc.HistoryListParams{Status: "2xx"}, "m k i g d a"},
		{"status 201", rpc.HistoryListParams{Status: "201"}, "d"},
		{"network failures", rpc.HistoryListParams{Status: "0"}, "f"},
		{"status with no match", rpc.HistoryListParams{Status: "302"}, ""},
		{"errors only", rpc.HistoryListParams{ErrorsOnly: true}, "j h g f e c b"},
		{"errors only in 2xx", rpc.HistoryListParams{ErrorsOnly: true, Status: "2xx"}, "g"},
		{"path without prefix", rpc.HistoryListParams{Path: "/catalog"}, "i g b a"},
		{"path with prefix", rpc.HistoryListParams{Path: "/api/v1/catalog"}, "i g b a"},
		{"path children only", rpc.HistoryListParams{Path: "catalog/"}, "i b"},
		{"path with query ignored", rpc.HistoryListParams{Path: "/listings?page_size=5"}, "h e d"},
		{"path orders", rpc.HistoryListParams{Path: "/orders"}, "m f"},
		{"request id", rpc.HistoryListParams{RequestID: "rid-b"}, "b"},
		{"earlier attempt id", rpc.HistoryListParams{RequestID: "rid-k0"}, "k"},
		{"unknown request id", rpc.HistoryListParams{RequestID: "rid-zz"}, ""},
		{"text in title and message, any case", rpc.HistoryListParams{Text: "NOT FOUND"}, "b"},
		{"text in error message", rpc.HistoryListParams{Text: "input.size"}, "c"},
		{"text in detail", rpc.HistoryListParams{Text: "nearest"}, "j"},
		{"text in path", rpc.HistoryListParams{Text: "dunk"}, "i b"},
		{"since", rpc.HistoryListParams{Since: at(3 * time.Minute)}, "k j i h g f e d"},
		{"until includes a slow late entry", rpc.HistoryListParams{Until: at(2 * time.Minute)}, "m c b a"},
		{"since and until", rpc.HistoryListParams{Since: at(2 * time.Minute), Until: at(4 * time.Minute)}, "e d c"},
		{"narrow range", rpc.HistoryListParams{Since: at(time.Minute), Until: at(2 * time.Minute)}, "m c b"},
		{"range before everything", rpc.HistoryListParams{Until: at(-time.Hour)}, ""},
		{"range after everything", rpc.HistoryListParams{Since: at(time.Hour)}, ""},
		{"errors, path, since", rpc.HistoryListParams{ErrorsOnly: true, Path: "/catalog", Since: at(time.Minute)}, "g b"},
		{"class and text", rpc.HistoryListParams{Status: "4xx", Text: "missing"}, "c"},
		{"request id and wrong class", rpc.HistoryListParams{RequestID: "rid-b", Status: "2xx"}, ""},
		{"request id and errors", rpc.HistoryListParams{RequestID: "rid-b", ErrorsOnly: true}, "b"},
		{"everything at once", rpc.HistoryListParams{Status: "4xx", ErrorsOnly: true, Path: "/listings", Text: "rate", Since: at(0), Until: at(5 * time.Minute), RequestID: "rid-e"}, "e"},
		{"limit", rpc.HistoryListParams{Limit: 3}, "m k j"},
	}
	names := map[string]string{}
	for n, id := range ids {
		names[id] = n
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := h.List(tt.p)
			if err != nil {
				t.Fatalf("List(%+v) = %v", tt.p, err)
			}
			var got []string
			for _, e := range res.Entries {
				got = append(got, names[e.ID])
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("List(%+v) = %q, want %q", tt.p, strings.Join(got, " "), tt.want)
			}
			if wantNext := tt.p.Limit != 0 && len(strings.Fields(tt.want)) == tt.p.Limit; (res.Next != "") != wantNext {
				t.Errorf("List(%+v).Next = %q, want set=%v", tt.p, res.Next, wantNext)
			}
		})
	}
}

func TestListBadParams(t *testing.T) {
	db, _ := openDB(t)
	h := newHistory(t, db, Config{})
	mustAppend(t, h, detail("GET", "/api/v1/test", 200, "x"))
	tests := []struct {
		name  string
		p     rpc.HistoryListParams
		field string
	}{
		{"negative limit", rpc.HistoryListParams{Limit: -1}, "limit"},
		{"limit too large", rpc.HistoryListParams{Limit: MaxListLimit + 1}, "limit"},
		{"cursor not base64", rpc.HistoryListParams{Cursor: "***"}, "cursor"},
		{"cursor wrong length", rpc.HistoryListParams{Cursor: "AQID"}, "cursor"},
		{"cursor zero", rpc.HistoryListParams{Cursor: encodeCursor(0)}, "cursor"},
		{"status word", rpc.HistoryListParams{Status: "abc"}, "status"},
		{"status class 6xx", rpc.HistoryListParams{Status: "6xx"}, "status"},
		{"status class 0xx", rpc.HistoryListParams{Status: "0xx"}, "status"},
		{"status two digits", rpc.HistoryListParams{Status: "99"}, "status"},
		{"status four digits", rpc.HistoryListParams{Status: "1000"}, "status"},
		{"status 4x", rpc.HistoryListParams{Status: "4x"}, "status"},
		{"since not a time", rpc.HistoryListParams{Since: "yesterday"}, "since"},
		{"until bad month", rpc.HistoryListParams{Until: "2024-13-01T00:00:00Z"}, "until"},
		{"until before since", rpc.HistoryListParams{Since: "2024-02-01T00:00:00Z", Until: "2024-01-01T00:00:00Z"}, "until"},
		{"request id with NUL", rpc.HistoryListParams{RequestID: "a\x00b"}, "requestId"},
		{"text too long", rpc.HistoryListParams{Text: strings.Repeat("x", 2000)}, "text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.List(tt.p)
			var pe *ParamError
			if !errors.As(err, &pe) || pe.Field != tt.field {
				t.Errorf("List(%+v) = %v, want a ParamError for %s", tt.p, err, tt.field)
			}
			if err != nil && !strings.Contains(err.Error(), tt.field) {
				t.Errorf("List(%+v) error %q does not name %s", tt.p, err, tt.field)
			}
		})
	}
	if n, _ := h.Count(); n != 1 {
		t.Errorf("Count after bad lists = %d, want 1", n)
	}
}

func TestListPaging(t *testing.T) {
	db, _ := openDB(t)
	h := newHistory(t, db, Config{})
	const total = 237
	all := map[string]bool{}
	errs := map[string]bool{}
	for i := 0; i < total; i++ {
		status := 200
		if i%4 == 0 {
			status = 500
		}
		e := mustAppend(t, h, detail("GET", fmt.Sprintf("/api/v1/catalog/%d", i), status, fmt.Sprint("p", i)))
		all[e.ID] = true
		if status == 500 {
			errs[e.ID] = true
		}
	}
	for _, tt := range []struct {
		name  string
		p     rpc.HistoryListParams
		want  map[string]bool
		pages int
	}{
		{"all by 10", rpc.HistoryListParams{Limit: 10}, all, 24},
		{"all by 1", rpc.HistoryListParams{Limit: 1}, all, total},
		{"all by 1000", rpc.HistoryListParams{Limit: 1000}, all, 1},
		{"errors by 7", rpc.HistoryListParams{Limit: 7, ErrorsOnly: true}, errs, 9},
		{"5xx by 60", rpc.HistoryListParams{Limit: 60, Status: "5xx"}, errs, 1},
		{"default limit", rpc.HistoryListParams{}, all, 5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[string]bool{}
			prev := ""
			pages := 0
			p := tt.p
			for {
				res, err := h.List(p)
				if err != nil {
					t.Fatalf("List(%+v) = %v", p, err)
				}
				pages++
				for _, e := range res.Entries {
					if seen[e.ID] {
						t.Errorf("page %d: duplicate %s", pages, e.ID)
					}
					if prev != "" && e.ID >= prev {
						t.Errorf("page %d: %s after %s, want newest first", pages, e.ID, prev)
					}
					seen[e.ID], prev = true, e.ID
				}
				if res.Next == "" {
					break
				}
				p.Cursor = res.Next
			}
			if len(seen) != len(tt.want) || pages != tt.pages {
				t.Errorf("paging %+v saw %d entries in %d pages, want %d in %d", tt.p, len(seen), pages, len(tt.want), tt.pages)
			}
			for id := range tt.want {
				if !seen[id] {
					t.Errorf("paging %+v missed %s", tt.p, id)
				}
			}
		})
	}
	t.Run("stable under concurrent appends", func(t *testing.T) {
		// Paging starts; then appenders run while the rest is read.
		// Every entry present at the start is seen once, and none
		// appended meanwhile shows up behind the cursor.
		first, err := h.List(rpc.HistoryListParams{Limit: 5, ErrorsOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		var appended atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := h.Append(context.Background(), detail("GET", "/api/v1/new", 500, fmt.Sprintf("new-%d-%d", w, i))); err != nil {
						t.Errorf("Append = %v", err)
						return
					}
					appended.Add(1)
				}
			}()
		}
		for deadline := time.Now().Add(30 * time.Second); appended.Load() == 0; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("no append landed in 30 s")
			}
		}
		before := map[string]bool{}
		for id := range errs {
			before[id] = true
		}
		seen := map[string]bool{}
		newest := first.Entries[0].ID
		for _, e := range first.Entries {
			seen[e.ID] = true
		}
		p := rpc.HistoryListParams{Limit: 5, ErrorsOnly: true, Cursor: first.Next}
		for p.Cursor != "" {
			res, err := h.List(p)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range res.Entries {
				if seen[e.ID] {
					t.Errorf("duplicate %s while appending", e.ID)
				}
				if e.ID > newest || !before[e.ID] {
					t.Errorf("entry %s, appended after paging began, appeared on a later page", e.ID)
				}
				seen[e.ID] = true
			}
			p.Cursor = res.Next
		}
		close(stop)
		wg.Wait()
		for id := range before {
			if !seen[id] {
				t.Errorf("missed %s while appending", id)
			}
		}
	})
}

func TestTextFilterUnicode(t *testing.T) {
	db, _ := openDB(t)
	h := newHistory(t, db, Config{})
	kelvin := detail("GET", "/api/v1/catalog/\u212a1", 200, "kelvin") // KELVIN SIGN folds to k
	umlaut := detail("GET", "/api/v1/test", 400, "umlaut")
	umlaut.Diagnostic = &rpc.Diagnostic{Severity: "error", Title: "Größe fehlt", Detail: "ÄRGER"}
	mustAppend(t, h, kelvin)
	mustAppend(t, h, umlaut)
	for _, tt := range []struct{ text, want string }{
		{"k1", "kelvin"}, {"größe", "umlaut"}, {"ärger", "umlaut"}, {"GRÖSSE", ""},
	} {
		res, err := h.List(rpc.HistoryListParams{Text: tt.text})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range res.Entries {
			got = append(got, e.RequestID)
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("List(text=%q) = %v, want %q", tt.text, got, tt.want)
		}
	}
}
