package alias

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// failThen answers the first n requests with status (and Retry-After ra
// when set), then 200. Every response has a numbered request ID.
func failThen(n int, status int, ra string, seen *atomic.Int32) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		i := int(seen.Add(1))
		id := fmt.Sprintf("rid-%d", i)
		if i <= n {
			if ra != "" {
				w.Header().Set("Retry-After", ra)
			}
			writeAPIErrorID(w, status, id)
			return
		}
		writeJSON(w, id, map[string]any{"ok": true})
	}
}

func writeAPIErrorID(w http.ResponseWriter, status int, id string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", id)
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"code":%d,"message":"%s","details":[]}`, codeForStatus(status), http.StatusText(status))
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name         string
		fails        int
		status       int
		retryAfter   string
		wantStatus   int
		wantAttempts int
	}{
		{"429 without Retry-After", 2, 429, "", 200, 3},
		{"429 with Retry-After seconds", 1, 429, "0", 200, 2},
		{"429 with Retry-After date", 1, 429, time.Now().Add(-time.Second).UTC().Format(http.TimeFormat), 200, 2},
		{"429 with huge Retry-After is capped", 1, 429, "999999999", 200, 2},
		{"429 with garbage Retry-After", 1, 429, "soon", 200, 2},
		{"502", 1, 502, "", 200, 2},
		{"503 huge Retry-After", 3, 503, "86400", 200, 4},
		{"504", 1, 504, "", 200, 2},
		{"always 503", 9, 503, "", 503, 4},
		{"500 not retried", 1, 500, "", 500, 1},
		{"400 not retried", 1, 400, "", 400, 1},
		{"401 not retried", 1, 401, "", 401, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen atomic.Int32
			_, base := apiServer(t, failThen(tt.fails, tt.status, tt.retryAfter, &seen))
			env := newEnv(t, base, nil) // MaxRetryAfter 20ms keeps the huge ones short
			r := env.do(t, Call{Method: "GET", Path: "/catalog/x"})
			if r.Status != tt.wantStatus || r.Attempts != tt.wantAttempts || int(seen.Load()) != tt.wantAttempts {
				t.Fatalf("status %d attempts %d server saw %d, want %d %d", r.Status, r.Attempts, seen.Load(), tt.wantStatus, tt.wantAttempts)
			}
			var want []string
			for i := 1; i <= tt.wantAttempts; i++ {
				want = append(want, fmt.Sprintf("rid-%d", i))
			}
			if strings.Join(r.RequestIDs, ",") != strings.Join(want, ",") || r.RequestID != want[len(want)-1] {
				t.Errorf("RequestIDs = %v (last %q), want %v", r.RequestIDs, r.RequestID, want)
			}
			if len(r.AttemptStatuses) != tt.wantAttempts {
				t.Errorf("AttemptStatuses = %v, want %d entries", r.AttemptStatuses, tt.wantAttempts)
			}
			if tt.wantStatus == 200 && tt.wantAttempts > 1 && (r.Diagnostic == nil || r.Diagnostic.Class != DiagRetried) {
				t.Errorf("diagnostic = %+v, want %s", r.Diagnostic, DiagRetried)
			}
		})
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"7", 7 * time.Second, true},
		{" 7 ", 7 * time.Second, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{"99999999999999999999", 0, false},
		{"9999999999999", time.Duration(1 << 62), true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBackoffBounded(t *testing.T) {
	p := RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}.withDefaults()
	for n := 1; n <= 10; n++ {
		ceil := min(time.Second, 100*time.Millisecond<<(n-1))
		for i := 0; i < 200; i++ {
			if d := p.backoff(n); d < 0 || d > ceil {
				t.Fatalf("backoff(%d) = %v, want within [0, %v]", n, d, ceil)
			}
		}
	}
}

func TestWritesNeverRetried(t *testing.T) {
	for _, tt := range []struct{ method, path string }{
		{"POST", "/listings"},
		{"POST", "/listings/batch_create"},
		{"DELETE", "/listings/L1"},
		{"POST", "/no/such/write"},
		{"PUT", "/listings/L1"},
	} {
		for _, status := range []int{429, 502, 503, 504} {
			t.Run(fmt.Sprintf("%s %s %d", tt.method, tt.path, status), func(t *testing.T) {
				var seen atomic.Int32
				_, base := apiServer(t, failThen(10, status, "0", &seen))
				env := newEnv(t, base, nil)
				var body []byte
				if strings.HasSuffix(tt.path, "batch_create") {
					body = []byte(`{"items":[]}`)
				}
				r := env.do(t, Call{Method: tt.method, Path: tt.path, Body: body, Query: url.Values{"catalog_id": {"x"}}})
				if r.Status != status || r.Attempts != 1 || seen.Load() != 1 {
					t.Fatalf("status %d attempts %d server saw %d; want %d, exactly one request", r.Status, r.Attempts, seen.Load(), status)
				}
			})
		}
	}
}

func TestRetryTotalWaitBudget(t *testing.T) {
	var seen atomic.Int32
	_, base := apiServer(t, failThen(10, 503, "5", &seen))
	env := newEnv(t, base, func(c *Config) {
		c.Retry.MaxRetryAfter = time.Hour
		c.Retry.MaxTotalWait = time.Second // less than the 5s asked
	})
	r := env.do(t, Call{Method: "GET", Path: "/test"})
	if r.Attempts != 1 || seen.Load() != 1 || r.Status != 503 || r.RetryAfter != 5*time.Second {
		t.Fatalf("attempts %d seen %d status %d retry-after %v; want one attempt (the wait would pass the budget)", r.Attempts, seen.Load(), r.Status, r.RetryAfter)
	}
}

func TestCancelStopsRetryWait(t *testing.T) {
	var seen atomic.Int32
	_, base := apiServer(t, failThen(10, 503, "3600", &seen))
	got := make(chan struct{}, 1) // the client logs "alias retry" right before it waits
	env := newEnv(t, base, func(c *Config) {
		c.Retry.MaxRetryAfter = 2 * time.Hour
		c.Retry.MaxTotalWait = 3 * time.Hour
		c.Logger = slog.New(signalHandler{c.Logger.Handler(), "alias retry", got})
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *Response, 1)
	go func() {
		r, _ := env.c.Do(ctx, Call{Method: "GET", Path: "/test"})
		done <- r
	}()
	<-got
	cancel()
	select {
	case r := <-done:
		if r.Attempts != 1 || seen.Load() != 1 || r.Status != 503 || r.RequestID != "rid-1" {
			t.Fatalf("after cancel: attempts %d seen %d status %d id %q; want the one 503", r.Attempts, seen.Load(), r.Status, r.RequestID)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Do kept waiting for Retry-After after its context was cancelled")
	}
}

func TestCancelBeforeResponse(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	arrived := make(chan struct{}, 1)
	_, base := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	env := newEnv(t, base, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *Response, 1)
	go func() {
		r, _ := env.c.Do(ctx, Call{Method: "GET", Path: "/test"})
		done <- r
	}()
	<-arrived
	cancel()
	select {
	case r := <-done:
		if r.Status != 0 || r.NetClass != NetCanceled || r.Diagnostic == nil || r.Diagnostic.Class != DiagNetCanceled {
			t.Fatalf("cancelled: status %d class %q diag %+v", r.Status, r.NetClass, r.Diagnostic)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Do did not return after cancel")
	}
}

// signalHandler signals ch when a record with message msg is logged.
type signalHandler struct {
	slog.Handler
	msg string
	ch  chan struct{}
}

func (h signalHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == h.msg {
		select {
		case h.ch <- struct{}{}:
		default:
		}
	}
	return h.Handler.Handle(ctx, r)
}

func TestUnknownPathReadsRetried(t *testing.T) {
	for _, method := range []string{"GET", "HEAD"} {
		t.Run(method, func(t *testing.T) {
			var seen atomic.Int32
			_, base := apiServer(t, failThen(1, 503, "", &seen))
			env := newEnv(t, base, nil)
			r := env.do(t, Call{Method: method, Path: "/not/in/the/catalog"})
			if r.Endpoint != nil || r.Status != 200 || r.Attempts != 2 || seen.Load() != 2 {
				t.Fatalf("%s unknown path: endpoint %v status %d attempts %d seen %d; want a retried read", method, r.Endpoint, r.Status, r.Attempts, seen.Load())
			}
		})
	}
}
