package mock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aliasd/aliasd/internal/testutil"
)

func TestFaultHeaders(t *testing.T) {
	ts := startServer(t, Config{Seed: 1})
	item := "/catalog/" + dunk
	tests := []struct {
		name   string
		hdr    []string
		status int
		code   int
		check  func(t *testing.T, a answer)
	}{
		{"status 503", []string{HeaderStatus, "503"}, 503, 14, nil},
		{"status 504", []string{HeaderStatus, "504"}, 504, 4, nil},
		{"status 500", []string{HeaderStatus, "500"}, 500, 13, nil},
		{"status 402", []string{HeaderStatus, "402"}, 402, 9, nil},
		{"status 409", []string{HeaderStatus, "409"}, 409, 10, nil},
		{"rate limit", []string{HeaderRateLimit, "1"}, 429, 8, func(t *testing.T, a answer) {
			if v, ok := a.header["Retry-After"]; ok {
				t.Errorf("Retry-After = %v, want none by default", v)
			}
		}},
		{"rate limit with retry-after", []string{HeaderRateLimit, "1", HeaderRetryAfter, "7"}, 429, 8, func(t *testing.T, a answer) {
			if a.header.Get("Retry-After") != "7" {
				t.Errorf("Retry-After = %q, want 7", a.header.Get("Retry-After"))
			}
		}},
		{"huge retry-after", []string{HeaderStatus, "503", HeaderRetryAfter, "86400000"}, 503, 14, func(t *testing.T, a answer) {
			if a.header.Get("Retry-After") != "86400000" {
				t.Errorf("Retry-After = %q", a.header.Get("Retry-After"))
			}
		}},
		{"retry-after date", []string{HeaderStatus, "503", HeaderRetryAfter, "Wed, 21 Oct 2037 07:28:00 GMT"}, 503, 14, func(t *testing.T, a answer) {
			if a.header.Get("Retry-After") != "Wed, 21 Oct 2037 07:28:00 GMT" {
				t.Errorf("Retry-After = %q", a.header.Get("Retry-After"))
			}
		}},
		{"cache control", []string{HeaderCacheControl, "max-age=5"}, 200, 0, func(t *testing.T, a answer) {
			if a.header.Get("Cache-Control") != "max-age=5" || a.header.Get("ETag") == "" {
				t.Errorf("Cache-Control %q ETag %q, want max-age=5 and an ETag", a.header.Get("Cache-Control"), a.header.Get("ETag"))
			}
		}},
		{"latency", []string{HeaderLatency, "30ms"}, 200, 0, nil},
		{"no request id", []string{HeaderNoRequestID, "1"}, 200, 0, func(t *testing.T, a answer) {
			if _, ok := a.header["X-Request-Id"]; ok {
				t.Errorf("x-request-id present: %v", a.header["X-Request-Id"])
			}
		}},
		{"no request id on errors", []string{HeaderNoRequestID, "1", HeaderStatus, "502"}, 502, 14, nil},
		{"html", []string{HeaderHTML, "1"}, 502, 0, func(t *testing.T, a answer) {
			if !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") || !bytes.Contains(a.body, []byte("<h1>502 Bad Gateway</h1>")) {
				t.Errorf("HTML fault = %s %q", a.header.Get("Content-Type"), a.body)
			}
			checkRequestID(t, a)
		}},
		{"html 504", []string{HeaderHTML, "1", HeaderStatus, "504"}, 504, 0, nil},
		{"bad status header", []string{HeaderStatus, "200"}, 400, 3, nil},
		{"bad latency header", []string{HeaderLatency, "soon"}, 400, 3, nil},
		{"bad flag header", []string{HeaderTruncate, "maybe"}, 400, 3, nil},
		{"bad retry-after header", []string{HeaderRetryAfter, "-1"}, 400, 3, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := ts.get(t, item, tt.hdr...)
			switch {
			case tt.code != 0 && tt.hdr[0] != HeaderNoRequestID:
				checkError(t, a, tt.status, tt.code, "")
			case a.status != tt.status:
				t.Fatalf("status = %d, want %d: %s", a.status, tt.status, a.body)
			}
			if tt.check != nil {
				tt.check(t, a)
			}
		})
	}
}

func TestTruncateFault(t *testing.T) {
	ts := startServer(t, Config{Seed: 1})
	full := ts.get(t, "/catalog/"+dunk)
	check := func(t *testing.T, hdr ...string) {
		t.Helper()
		a, err := ts.try(Call{Method: "GET", Path: "/api/v1/catalog/" + dunk}, ts.token, hdr...)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("reading a truncated body: err = %v, want io.ErrUnexpectedEOF", err)
		}
		if a.status != 200 || a.header.Get("Content-Length") != itoa(len(full.body)) {
			t.Errorf("status %d Content-Length %q, want 200 and %d", a.status, a.header.Get("Content-Length"), len(full.body))
		}
		if len(a.body) != len(full.body)/2 || !bytes.HasPrefix(full.body, a.body) {
			t.Errorf("got %d bytes, want the first %d", len(a.body), len(full.body)/2)
		}
		checkRequestID(t, a)
	}
	t.Run("header", func(t *testing.T) { check(t, HeaderTruncate, "1") })
	t.Run("rule", func(t *testing.T) {
		if err := ts.AddFault(Fault{PathPrefix: "/catalog/", Truncate: true, Count: 1}); err != nil {
			t.Fatal(err)
		}
		check(t)
		if a := ts.get(t, "/catalog/"+dunk); a.status != 200 || len(a.body) != len(full.body) {
			t.Errorf("after the one-shot rule: %d with %d bytes, want the whole body", a.status, len(a.body))
		}
	})
}

func TestResetFault(t *testing.T) {
	ts := startServer(t, Config{Seed: 1})
	check := func(t *testing.T, hdr ...string) {
		t.Helper()
		_, err := ts.try(Call{Method: "GET", Path: "/api/v1/test"}, ts.token, hdr...)
		if err == nil {
			t.Fatal("request over a reset connection succeeded")
		}
		if rec, _ := ts.LastRequest(); rec.Status != 0 || !strings.Contains(rec.Fault, "reset") {
			t.Errorf("last record = %+v, want status 0 and fault reset", rec)
		}
	}
	t.Run("header", func(t *testing.T) { check(t, HeaderReset, "1") })
	t.Run("rule", func(t *testing.T) {
		if err := ts.AddFault(Fault{Method: "GET", PathPrefix: "/test", ResetConnection: true, Count: 1}); err != nil {
			t.Fatal(err)
		}
		check(t)
		if a := ts.get(t, "/test"); a.status != 200 {
			t.Errorf("after the rule: %d, want 200", a.status)
		}
	})
}

func TestLatencyFault(t *testing.T) {
	ts := startServer(t, Config{Seed: 1})
	// A client that gives up long before the delay ends gets an error,
	// and the write it sent never happens.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	c := ts.Example(byName(t, "CreateListing"))
	req, _ := c.Request(ctx, ts.base, ts.token)
	req.Header.Set(HeaderLatency, "10m")
	before := ts.get(t, "/listings?page_size=1").json(t)["pagination"].(map[string]any)["total_count"]
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("a 10m delay answered within 50ms")
	}
	testutil.WaitFor(t, "the mock to notice the client left", func() bool {
		for _, r := range ts.RequestLog() {
			if r.Fault == "client-gone" {
				return true
			}
		}
		return false
	})
	after := ts.get(t, "/listings?page_size=1").json(t)["pagination"].(map[string]any)["total_count"]
	if before != after {
		t.Errorf("listing count %v -> %v: the abandoned create ran", before, after)
	}
}

func TestFaultRules(t *testing.T) {
	ts := startServer(t, Config{Seed: 1, Faults: []Fault{{Method: "POST", PathPrefix: "/api/v1/orders", Status: 409, Count: 1}}})
	confirm := ts.Example(byName(t, "ConfirmOrder"))
	checkError(t, ts.do(t, confirm), 409, 10, "injected 409")
	if a := ts.do(t, confirm); a.status != 200 {
		t.Fatalf("after the Config fault: %d %s, want 200", a.status, a.body)
	}
	if err := ts.AddFault(Fault{PathPrefix: "/catalog", Status: 503, Count: 2, RetryAfter: 1500 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if err := ts.AddFault(Fault{Method: "GET", PathPrefix: "/orders", RateLimit: true}); err != nil {
		t.Fatal(err)
	}
	a := ts.get(t, "/catalog/"+dunk)
	checkError(t, a, 503, 14, "injected")
	if a.header.Get("Retry-After") != "2" {
		t.Errorf("Retry-After = %q, want 2 (1.5s rounded up)", a.header.Get("Retry-After"))
	}
	if f := ts.Faults(); len(f) != 2 || f[0].Count != 1 {
		t.Errorf("Faults() = %+v, want the catalog rule with 1 left and the orders rule", f)
	}
	checkError(t, ts.get(t, "/catalog?query=dunk"), 503, 14, "injected")
	if a := ts.get(t, "/catalog/"+dunk); a.status != 200 {
		t.Errorf("third catalog call = %d, want 200 after Count 2", a.status)
	}
	if a := ts.get(t, "/test"); a.status != 200 {
		t.Errorf("/test = %d, want 200 (no rule matches)", a.status)
	}
	for i := 0; i < 3; i++ {
		checkError(t, ts.get(t, "/orders"), 429, 8, "rate limit")
	}
	if n := ts.ClearFaults(); n != 1 {
		t.Errorf("ClearFaults() = %d, want 1", n)
	}
	if a := ts.get(t, "/orders"); a.status != 200 {
		t.Errorf("after ClearFaults: %d", a.status)
	}
	if err := ts.AddFault(Fault{Status: 200}); !errors.Is(err, ErrBadFault) {
		t.Errorf("AddFault(status 200) = %v, want ErrBadFault", err)
	}
}

func TestAdminEndpoint(t *testing.T) {
	ts := startServer(t, Config{Seed: 1})
	origin := strings.TrimSuffix(ts.base, "/api/v1")
	admin := func(method, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, origin+"/_mock/faults", strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(readAll(t, resp), &m); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, m
	}
	status, m := admin("POST", `{"method":"GET","path_prefix":"/test","status":503,"count":1,"retry_after":"3s"}`)
	if status != 200 || len(m["faults"].([]any)) != 1 {
		t.Fatalf("POST one fault = %d %v", status, m)
	}
	a := ts.get(t, "/test")
	checkError(t, a, 503, 14, "")
	if a.header.Get("Retry-After") != "3" {
		t.Errorf("Retry-After = %q, want 3", a.header.Get("Retry-After"))
	}
	status, m = admin("POST", `[{"path_prefix":"/catalog","html":true},{"echo_token":true,"latency":0.01}]`)
	if status != 200 || len(m["faults"].([]any)) != 2 {
		t.Fatalf("POST a list = %d %v", status, m)
	}
	if a := ts.get(t, "/catalog/"+dunk); a.status != 502 || !bytes.Contains(a.body, []byte("<html>")) {
		t.Errorf("catalog after HTML rule = %d %s", a.status, a.body)
	}
	if status, m := admin("GET", ""); status != 200 || len(m["faults"].([]any)) != 2 {
		t.Errorf("GET = %d %v", status, m)
	}
	if status, m := admin("DELETE", ""); status != 200 || m["removed"] != 2.0 {
		t.Errorf("DELETE = %d %v, want removed 2", status, m)
	}
	for _, bad := range []string{`{"status":200}`, `{"colour":"red"}`, `{"latency":"soon"}`, `not json`, `{"count":-1}`} {
		if status, m := admin("POST", bad); status != 400 || m["message"] == "" {
			t.Errorf("POST %s = %d %v, want 400 with a message", bad, status, m)
		}
	}
	if len(ts.Faults()) != 0 {
		t.Errorf("bad posts installed faults: %v", ts.Faults())
	}
	resp, err := http.Get(origin + "/_mock/requests")
	if err != nil {
		t.Fatal(err)
	}
	var log struct {
		Total    int             `json:"total"`
		Requests []RequestRecord `json:"requests"`
	}
	if err := json.Unmarshal(readAll(t, resp), &log); err != nil || log.Total != 2 || len(log.Requests) != 2 || log.Requests[1].Endpoint != "GetCatalogItem" {
		t.Errorf("GET /_mock/requests = %+v (%v), want the 2 API requests", log, err)
	}
}

func TestRateLimit(t *testing.T) {
	a, b := fakeToken(t), fakeToken(t)
	ts := startServer(t, Config{Seed: 1, Tokens: []TokenSpec{{Token: a}, {Token: b}}, RateLimit: 0.001, RateBurst: 2})
	call := Call{Method: "GET", Path: "/api/v1/test"}
	for i := 0; i < 2; i++ {
		if r, _ := ts.try(call, a); r.status != 200 {
			t.Fatalf("request %d within the burst = %d", i, r.status)
		}
	}
	r, _ := ts.try(call, a)
	checkError(t, r, 429, 8, "rate limit")
	if _, ok := r.header["Retry-After"]; ok {
		t.Error("Retry-After sent without Config.RetryAfter")
	}
	if r, _ := ts.try(call, b); r.status != 200 {
		t.Errorf("another token = %d, want 200 (buckets are per token)", r.status)
	}

	ts2 := startServer(t, Config{Seed: 1, RateLimit: 0.001, RateBurst: 1, RetryAfter: 30 * time.Second})
	ts2.get(t, "/test")
	r = ts2.get(t, "/test")
	checkError(t, r, 429, 8, "rate limit")
	if r.header.Get("Retry-After") != "30" {
		t.Errorf("Retry-After = %q, want 30", r.header.Get("Retry-After"))
	}
}

func TestErrorRate(t *testing.T) {
	ts := startServer(t, Config{Seed: 1, ErrorRate: 1})
	seen := map[int]bool{}
	for i := 0; i < 40; i++ {
		a := ts.get(t, "/test")
		if a.status < 500 {
			t.Fatalf("ErrorRate 1 answered %d", a.status)
		}
		checkError(t, a, a.status, codeForHTTPStatus(a.status), "ErrorRate")
		seen[a.status] = true
	}
	if len(seen) < 2 {
		t.Errorf("40 random errors used only %v", seen)
	}
}

// TestTokenNeverLogged: the echo fault puts the token in a response body
// (on purpose), but no log line and no request record ever holds it.
func TestTokenNeverLogged(t *testing.T) {
	var logBuf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ts := startServer(t, Config{Seed: 1, Logger: logger})
	a := ts.get(t, "/test", HeaderEchoToken, "1")
	checkError(t, a, 401, 16, ts.token)
	b := ts.get(t, "/test", HeaderEchoToken, "1", HeaderStatus, "400")
	checkError(t, b, 400, 3, ts.token)
	if err := ts.AddFault(Fault{EchoToken: true, Count: 1}); err != nil {
		t.Fatal(err)
	}
	checkError(t, ts.get(t, "/catalog/"+dunk), 401, 16, ts.token)
	for _, e := range allEndpoints {
		ts.do(t, ts.Example(e))
	}
	recs, err := json.Marshal(ts.RequestLog())
	if err != nil {
		t.Fatal(err)
	}
	if logBuf.Len() == 0 {
		t.Fatal("nothing was logged")
	}
	for name, data := range map[string][]byte{"log": logBuf.Bytes(), "request records": recs} {
		if bytes.Contains(data, []byte(ts.token)) {
			t.Errorf("the token appears in the %s", name)
		}
	}
	rec, _ := ts.LastRequest()
	if rec.TokenIndex != 0 || rec.Header.Get("Authorization") != "" {
		t.Errorf("last record = %+v, want token index 0 and no Authorization", rec)
	}
}

func TestRequestCounters(t *testing.T) {
	ts := startServer(t, Config{Seed: 1})
	ts.get(t, "/test")
	ts.get(t, "/test", HeaderStatus, "503")
	ts.get(t, "/catalog/"+dunk)
	ts.get(t, "/regions")
	if ts.Requests() != 4 || ts.RequestsTo("/test") != 2 || ts.RequestsTo("/api/v1/catalog/"+dunk) != 1 || ts.RequestsTo("/regions") != 1 {
		t.Errorf("Requests %d, /test %d, catalog %d, /regions %d; want 4, 2, 1, 1",
			ts.Requests(), ts.RequestsTo("/test"), ts.RequestsTo("/catalog/"+dunk), ts.RequestsTo("/regions"))
	}
	log := ts.RequestLog()
	if len(log) != 4 || log[1].Fault != "status-503" || log[3].Status != 415 || log[2].Endpoint != "GetCatalogItem" {
		t.Errorf("log = %+v", log)
	}
	ts.ResetRequests()
	if ts.Requests() != 0 || len(ts.RequestLog()) != 0 {
		t.Error("ResetRequests left something")
	}
}

func itoa(n int) string { return fmtInt(n) }
