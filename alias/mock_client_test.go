package alias_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliasd/aliasd/alias"
	"github.com/aliasd/aliasd/alias/mock"
)

func randomToken(t *testing.T) string {
	b := make([]byte, 15)
	rand.Read(b)
	return fmt.Sprintf("goatapi_%x", b)
}

// profiles is a TokenSource over named tokens; "" is "main".
type profiles struct {
	mu sync.Mutex // guards m
	m  map[string]string
}

func (p *profiles) set(name, tok string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.m[name] = tok
}

func (p *profiles) Credential(_ context.Context, name string) (alias.Credential, error) {
	if name == "" {
		name = "main"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	tok, ok := p.m[name]
	if !ok {
		return alias.Credential{}, errors.New("no token named " + name)
	}
	return alias.Credential{Profile: name, Secret: tok, Fingerprint: "fp-" + name}, nil
}

type mockEnv struct {
	srv    *mock.Server
	c      *alias.Client
	tokens *profiles
	logs   *bytes.Buffer
	secret string
}

func startMock(t *testing.T, scoped []alias.Scope, mod func(*alias.Config)) *mockEnv {
	t.Helper()
	main, limited := randomToken(t), randomToken(t)
	specs := []mock.TokenSpec{{Token: main}}
	if scoped != nil {
		specs = append(specs, mock.TokenSpec{Token: limited, Scopes: scoped})
	}
	srv, base := mock.StartTest(t, mock.Config{Tokens: specs, Seed: 1})
	env := &mockEnv{srv: srv, tokens: &profiles{m: map[string]string{"main": main, "limited": limited}}, logs: &bytes.Buffer{}, secret: main}
	var mu sync.Mutex
	cfg := alias.Config{
		BaseURL:  base,
		Tokens:   env.tokens,
		Retry:    alias.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond, MaxRetryAfter: 20 * time.Millisecond},
		Governor: alias.GovernorConfig{Rate: 10000, Burst: 10000},
		Logger:   slog.New(slog.NewTextHandler(lockedWriter{&mu, env.logs}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mod != nil {
		mod(&cfg)
	}
	var err error
	env.c, err = alias.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, tok := range []string{main, limited} {
			if strings.Contains(env.logs.String(), tok) {
				t.Errorf("a token reached the client log")
			}
		}
	})
	return env
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (e *mockEnv) do(t *testing.T, c alias.Call) *alias.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := e.c.Do(ctx, c)
	if err != nil {
		t.Fatalf("Do(%s %s) = %v", c.Method, c.Path, err)
	}
	raw, _ := json.Marshal(r.RequestResult())
	if bytes.Contains(raw, []byte(e.secret)) || strings.Contains(fmt.Sprintf("%+v", *r), e.secret) {
		t.Errorf("the token appears in the response of %s %s", c.Method, c.Path)
	}
	return r
}

// wantClass is the diagnosis a documented failure status gets.
var wantClass = map[int][]string{
	400: {alias.DiagMissingParameter, alias.DiagBadRequest, alias.DiagBadEnum, alias.DiagWholeDollars},
	401: {alias.DiagUnauthorized},
	402: {alias.DiagBusinessRule},
	403: {alias.DiagScope},
	404: {alias.DiagNotFound},
	409: {alias.DiagConflict},
	429: {alias.DiagRateLimited},
}

// TestEveryEndpointAgainstMock walks the whole catalog and calls every
// endpoint through the client against the in-process mock: the example
// call succeeds, the failing call gets its documented error and diagnosis.
func TestEveryEndpointAgainstMock(t *testing.T) {
	env := startMock(t, nil, nil)
	for _, e := range alias.Endpoints {
		t.Run(e.Name, func(t *testing.T) {
			ex := env.srv.Example(e)
			r := env.do(t, alias.Call{Method: ex.Method, Path: ex.Path, Query: ex.Query, Body: ex.Body})
			if !r.OK() || r.Status >= 300 {
				t.Fatalf("example %s %s?%s = %d %+v %+v", ex.Method, ex.Path, ex.Query.Encode(), r.Status, r.Error, r.Diagnostic)
			}
			if r.Endpoint != e || r.RequestID == "" || r.Diagnostic != nil || r.Attempts != 1 {
				t.Errorf("example: endpoint %v id %q diag %+v attempts %d; want %s, an id, no diagnosis, 1 attempt", r.Endpoint, r.RequestID, r.Diagnostic, r.Attempts, e.Name)
			}
			if !json.Valid(r.Body) {
				t.Errorf("example body is not JSON: %.200s", r.Body)
			}

			fc, info := env.srv.Failing(e)
			profile := ""
			if fc.Token != "" {
				env.tokens.set("unregistered", fc.Token)
				profile = "unregistered"
			}
			r = env.do(t, alias.Call{Method: fc.Method, Path: fc.Path, Query: fc.Query, Body: fc.Body, Profile: profile})
			if r.Status != info.Status || r.Error == nil || r.Error.Code != info.Code || !strings.Contains(r.Error.Message, info.Message) {
				t.Fatalf("failing %s %s?%s = %d %+v, want %d code %d %q", fc.Method, fc.Path, fc.Query.Encode(), r.Status, r.Error, info.Status, info.Code, info.Message)
			}
			if r.Error.CodeName == "" || r.RequestID == "" {
				t.Errorf("failure: codeName %q id %q, want both", r.Error.CodeName, r.RequestID)
			}
			if r.Diagnostic == nil || !contains(wantClass[info.Status], r.Diagnostic.Class) {
				t.Errorf("failure %d %q: diagnostic %+v, want one of %v", r.Status, r.Error.Message, r.Diagnostic, wantClass[info.Status])
			}
			if strings.HasPrefix(info.Message, "Missing parameter: input.") {
				param := alias.SnakeCase(strings.TrimPrefix(info.Message, "Missing parameter: input."))
				if !strings.Contains(r.Diagnostic.Title, param) {
					t.Errorf("missing-parameter diagnostic %q does not name %s", r.Diagnostic.Title, param)
				}
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestMockFaultsDiagnose drives each failure class through the mock's
// fault headers and checks the diagnosis the client attaches.
func TestMockFaultsDiagnose(t *testing.T) {
	env := startMock(t, []alias.Scope{alias.ScopeCatalog}, nil)
	catalogItem := env.srv.Example(alias.ByName("GetCatalogItem"))
	tests := []struct {
		name    string
		call    alias.Call
		status  int
		class   string
		check   func(t *testing.T, r *alias.Response)
		profile string
	}{
		{"unavailable, retried", alias.Call{Method: "GET", Path: "/test", Header: http.Header{"X-Mock-Status": {"503"}}}, 503, alias.DiagUnavailable,
			func(t *testing.T, r *alias.Response) {
				if r.Attempts != 4 || len(r.RequestIDs) != 4 {
					t.Errorf("attempts %d ids %v, want 4", r.Attempts, r.RequestIDs)
				}
			}, ""},
		{"rate limited", alias.Call{Method: "GET", Path: "/test", Header: http.Header{"X-Mock-Rate-Limit": {"1"}}}, 429, alias.DiagRateLimited,
			func(t *testing.T, r *alias.Response) {
				if !strings.Contains(r.GovernorNote, "slowed to 5000 req/s") {
					t.Errorf("GovernorNote = %q", r.GovernorNote)
				}
			}, ""},
		{"truncated", alias.Call{Method: "GET", Path: catalogItem.Path, Header: http.Header{"X-Mock-Truncate": {"1"}}}, 0, alias.DiagNetTruncated, nil, ""},
		{"HTML 502", alias.Call{Method: "GET", Path: "/test", Header: http.Header{"X-Mock-HTML": {"1"}}}, 502, alias.DiagUnavailable,
			func(t *testing.T, r *alias.Response) {
				if !r.ErrorSynthesized || r.Error.Code != 14 {
					t.Errorf("error %+v synthesized %v", r.Error, r.ErrorSynthesized)
				}
			}, ""},
		{"echoed token", alias.Call{Method: "GET", Path: "/test", Header: http.Header{"X-Mock-Echo-Token": {"1"}}}, 401, alias.DiagUnauthorized,
			func(t *testing.T, r *alias.Response) {
				if !strings.Contains(r.Error.Message, "[REDACTED]") {
					t.Errorf("message %q, want the echoed token redacted", r.Error.Message)
				}
			}, ""},
		{"no request id", alias.Call{Method: "GET", Path: "/test", Header: http.Header{"X-Mock-No-Request-Id": {"1"}, "X-Mock-Status": {"500"}}}, 500, alias.DiagServer,
			func(t *testing.T, r *alias.Response) {
				if r.RequestID != "" || !strings.Contains(r.Diagnostic.Hint, "no x-request-id") {
					t.Errorf("id %q hint %q", r.RequestID, r.Diagnostic.Hint)
				}
			}, ""},
		{"reset", alias.Call{Method: "GET", Path: "/test", Header: http.Header{"X-Mock-Reset": {"1"}}}, 0, alias.DiagNetReset, nil, ""},
		{"unknown route", alias.Call{Method: "GET", Path: "/regions"}, 415, alias.DiagNoSuchEndpoint, nil, ""},
		{"missing scope", alias.Call{Method: "GET", Path: "/orders"}, 403, alias.DiagScope,
			func(t *testing.T, r *alias.Response) {
				if !strings.Contains(r.Diagnostic.Title, "orders") {
					t.Errorf("title %q, want the orders group", r.Diagnostic.Title)
				}
			}, "limited"},
		{"missing parameter", alias.Call{Method: "GET", Path: "/pricing_insights/recent_sales", Query: url.Values{"catalog_id": catalogItem.Query["catalog_id"]}}, 400, alias.DiagMissingParameter, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.call.Profile = tt.profile
			r := env.do(t, tt.call)
			if r.Status != tt.status || r.Diagnostic == nil || r.Diagnostic.Class != tt.class {
				t.Fatalf("%s: status %d (%v) diag %+v, want %d %s", tt.name, r.Status, r.NetErr, r.Diagnostic, tt.status, tt.class)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

func TestMockLatencyTimesOut(t *testing.T) {
	env := startMock(t, nil, func(c *alias.Config) { c.RequestTimeout = time.Second })
	r := env.do(t, alias.Call{Method: "GET", Path: "/test", Header: http.Header{"X-Mock-Latency": {"1m"}}})
	if r.Status != 0 || r.NetClass != alias.NetTimeout || r.Diagnostic == nil || r.Diagnostic.Class != alias.DiagNetTimeout || r.Attempts != 1 {
		t.Fatalf("latency past the timeout: status %d class %q diag %+v attempts %d", r.Status, r.NetClass, r.Diagnostic, r.Attempts)
	}
}

func TestWalkAgainstMock(t *testing.T) {
	env := startMock(t, nil, nil)
	for _, tt := range []struct {
		path string
		want int
	}{
		{"/listings", 120},
		{"/orders", 60},
		{"/listings/batch", 24},
	} {
		t.Run(tt.path, func(t *testing.T) {
			res, err := alias.Walk(context.Background(), alias.WalkOptions{Path: tt.path, Fetch: env.c.Do})
			if err != nil || res.Truncated || len(res.Items) < tt.want || res.Status != 200 {
				t.Fatalf("Walk(%s) = %d items, %d pages, truncated %v, status %d, %v; want at least %d", tt.path, len(res.Items), res.Pages, res.Truncated, res.Status, err, tt.want)
			}
			ids := map[string]bool{}
			for _, it := range res.Items {
				var v struct{ ID string }
				json.Unmarshal(it, &v)
				if ids[v.ID] {
					t.Fatalf("item %s returned twice", v.ID)
				}
				ids[v.ID] = true
			}
			if len(res.RequestIDs) != res.Pages {
				t.Errorf("%d request IDs for %d pages", len(res.RequestIDs), res.Pages)
			}
		})
	}
	res, err := alias.Walk(context.Background(), alias.WalkOptions{Path: "/catalog", Query: url.Values{"query": {"nike"}}, Fetch: env.c.Do, MaxItems: 5})
	if err != nil || len(res.Items) != 5 {
		t.Fatalf("catalog walk with MaxItems 5 = %+v, %v", res, err)
	}
}

// BenchmarkClientGetMock and BenchmarkBareHTTPGetMock compare one
// GetCatalogItem through the client with a bare net/http GET of the same
// in-process mock.
func BenchmarkClientGetMock(b *testing.B) {
	srv, base, tok := benchMock(b)
	ex := srv.Example(alias.ByName("GetCatalogItem"))
	c, err := alias.New(alias.Config{BaseURL: base, Tokens: alias.StaticToken{Secret: tok},
		Governor: alias.GovernorConfig{Rate: 1e9, Burst: 1 << 30}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		r, err := c.Do(ctx, alias.Call{Method: "GET", Path: ex.Path})
		if err != nil || r.Status != 200 {
			b.Fatalf("Do = %+v, %v", r, err)
		}
	}
}

func BenchmarkBareHTTPGetMock(b *testing.B) {
	srv, base, tok := benchMock(b)
	ex := srv.Example(alias.ByName("GetCatalogItem"))
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	u := ex.URL(base)
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("GET = %d %v", resp.StatusCode, err)
		}
	}
}

func benchMock(b *testing.B) (*mock.Server, string, string) {
	tok := "goatapi_" + strings.Repeat("b", 30)
	srv, base := mock.StartTest(b, mock.Config{Tokens: []mock.TokenSpec{{Token: tok}}, Seed: 1})
	return srv, base, tok
}
