package alias

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseBaseURL(t *testing.T) {
	tests := []struct {
		in, want string // want "" = refused
		field    string
	}{
		{"https://api.alias.org", "https://api.alias.org/api/v1", ""},
		{"https://api.alias.org/api/v1", "https://api.alias.org/api/v1", ""},
		{"https://api.alias.org/api/v1/", "https://api.alias.org/api/v1", ""},
		{"https://API.alias.org:443", "https://api.alias.org/api/v1", ""},
		{"http://127.0.0.1:8080/api/v1", "http://127.0.0.1:8080/api/v1", ""},
		{"http://127.9.9.9:1", "http://127.9.9.9:1/api/v1", ""},
		{"http://localhost:9/api/v1", "http://localhost:9/api/v1", ""},
		{"http://[::1]:9", "http://[::1]:9/api/v1", ""},
		{"https://proxy.example/alias/api/v1", "https://proxy.example/alias/api/v1", ""},
		{"http://api.alias.org", "", "BaseURL"},
		{"http://10.0.0.1/api/v1", "", "BaseURL"},
		{"http://localhost.evil.example/api/v1", "", "BaseURL"},
		{"ftp://api.alias.org", "", "BaseURL"},
		{"https://user:pw@api.alias.org", "", "BaseURL"},
		{"https://api.alias.org/api/v1?x=1", "", "BaseURL"},
		{"https://api.alias.org/#frag", "", "BaseURL"},
		{"", "", "BaseURL"},
		{"api.alias.org", "", "BaseURL"},
		{"https://api.alias.org:99999", "", "BaseURL"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			b, err := parseBaseURL(tt.in)
			if tt.want == "" {
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Field != tt.field {
					t.Fatalf("parseBaseURL(%q) = %v, %v; want a FieldError on %s", tt.in, b, err, tt.field)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseBaseURL(%q) error = %v", tt.in, err)
			}
			if got := b.String(); got != tt.want {
				t.Errorf("parseBaseURL(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestNewRequiresTokens(t *testing.T) {
	_, err := New(Config{BaseURL: DefaultBaseURL})
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "Tokens" {
		t.Fatalf("New(no Tokens) = %v, want a FieldError on Tokens", err)
	}
}

func TestBadCalls(t *testing.T) {
	env := newEnv(t, "http://127.0.0.1:9/api/v1", nil) // never dialled
	tests := []struct {
		name  string
		call  Call
		field string
	}{
		{"empty method", Call{Path: "/test"}, "method"},
		{"unknown method", Call{Method: "FETCH", Path: "/test"}, "method"},
		{"empty path", Call{Method: "GET"}, "path"},
		{"dot dot", Call{Method: "GET", Path: "/catalog/../test"}, "path"},
		{"escaped dot dot", Call{Method: "GET", Path: "/catalog/%2e%2e/test"}, "path"},
		{"dot", Call{Method: "GET", Path: "/./test"}, "path"},
		{"absolute URL", Call{Method: "GET", Path: "https://evil.example/api/v1/test"}, "path"},
		{"scheme-relative", Call{Method: "GET", Path: "//evil.example/test"}, "path"},
		{"fragment", Call{Method: "GET", Path: "/test#x"}, "path"},
		{"control char", Call{Method: "GET", Path: "/te\x01st"}, "path"},
		{"bad escape", Call{Method: "GET", Path: "/catalog/%zz"}, "path"},
		{"bad query in path", Call{Method: "GET", Path: "/catalog?a=%zz"}, "path"},
		{"body on GET", Call{Method: "GET", Path: "/test", Body: []byte(`{}`)}, "body"},
		{"body on HEAD", Call{Method: "HEAD", Path: "/test", Body: []byte(`{}`)}, "body"},
		{"body not JSON", Call{Method: "POST", Path: "/listings/batch_create", Body: []byte(`{items:`)}, "body"},
		{"authorization header", Call{Method: "GET", Path: "/test", Header: http.Header{"Authorization": {"Bearer x"}}}, "header.Authorization"},
		{"cookie header", Call{Method: "GET", Path: "/test", Header: http.Header{"cookie": {"a=b"}}}, "header.Cookie"},
		{"accept-encoding", Call{Method: "GET", Path: "/test", Header: http.Header{"Accept-Encoding": {"br"}}}, "header.Accept-Encoding"},
		{"header newline", Call{Method: "GET", Path: "/test", Header: http.Header{"If-None-Match": {"a\r\nX: y"}}}, "header.If-None-Match"},
		{"header name", Call{Method: "GET", Path: "/test", Header: http.Header{"Bad Name": {"x"}}}, "header"},
		{"empty query key", Call{Method: "GET", Path: "/test", Query: url.Values{"": {"x"}}}, "query"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := env.c.Do(context.Background(), tt.call)
			var fe *FieldError
			if !errors.As(err, &fe) || !errors.Is(err, ErrInvalidCall) {
				t.Fatalf("Do(%s) = %v, %v; want a FieldError", tt.name, r, err)
			}
			if fe.Field != tt.field {
				t.Errorf("Do(%s) field = %q, want %q (%v)", tt.name, fe.Field, tt.field, err)
			}
		})
	}
}

func TestCredentialErrors(t *testing.T) {
	secret := fakeToken(t)
	tests := []struct {
		name    string
		src     TokenSource
		profile string
	}{
		{"unknown profile", StaticToken{Profile: "a", Secret: secret}, "b"},
		{"empty secret", StaticToken{Profile: "a"}, ""},
		{"secret with newline", StaticToken{Profile: "a", Secret: secret + "\nX-Evil: 1"}, ""},
		{"source error echoing the token", errSource{secret}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(Config{BaseURL: "http://127.0.0.1:9", Tokens: tt.src})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Do(context.Background(), Call{Method: "GET", Path: "/test", Profile: tt.profile})
			var ce *CredentialError
			if !errors.As(err, &ce) || !errors.Is(err, ErrNoCredential) {
				t.Fatalf("Do = %v, want a CredentialError", err)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error text contains the token: %v", err)
			}
		})
	}
}

type errSource struct{ secret string }

func (e errSource) Credential(context.Context, string) (Credential, error) {
	return Credential{}, errors.New("vault refused token " + e.secret)
}

func TestQueryValues(t *testing.T) {
	var n json.Number = "10.5"
	good := []struct {
		name string
		in   map[string]any
		want string
	}{
		{"scalars", map[string]any{"query": "dunk low", "limit": float64(50), "consigned": true, "size": n}, "consigned=true&limit=50&query=dunk+low&size=10.5"},
		{"big integer", map[string]any{"price_cents": float64(1e15)}, "price_cents=1000000000000000"},
		{"array repeats", map[string]any{"ids": []any{"a", "b", float64(3)}}, "ids=a&ids=b&ids=3"},
		{"object", map[string]any{"metadata": map[string]any{"sku": "x", "n": float64(1)}}, "metadata%5Bn%5D=1&metadata%5Bsku%5D=x"},
		{"empty array", map[string]any{"ids": []any{}}, ""},
	}
	for _, tt := range good {
		t.Run(tt.name, func(t *testing.T) {
			v, err := QueryValues(tt.in)
			if err != nil {
				t.Fatalf("QueryValues(%v) error = %v", tt.in, err)
			}
			if got := v.Encode(); got != tt.want {
				t.Errorf("QueryValues(%v) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
	bad := []struct {
		name  string
		in    map[string]any
		field string
	}{
		{"null", map[string]any{"size": nil}, "query.size"},
		{"nested array", map[string]any{"ids": []any{"a", []any{"b"}}}, "query.ids[1]"},
		{"object in array", map[string]any{"ids": []any{map[string]any{}}}, "query.ids[0]"},
		{"nested object", map[string]any{"metadata": map[string]any{"a": map[string]any{}}}, "query.metadata.a"},
		{"empty key", map[string]any{"": "x"}, "query"},
		{"empty object key", map[string]any{"metadata": map[string]any{"": "x"}}, "query.metadata"},
		{"bad number", map[string]any{"size": json.Number("ten")}, "query.size"},
		{"unsupported", map[string]any{"size": struct{}{}}, "query.size"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := QueryValues(tt.in)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("QueryValues(%v) = %v, want FieldError on %s", tt.in, err, tt.field)
			}
		})
	}
}

func TestDoSuccess(t *testing.T) {
	var got struct {
		sync.Mutex
		auth, ua, path, query, accept string
	}
	_, base := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		got.Lock()
		got.auth, got.ua, got.path, got.query, got.accept = r.Header.Get("Authorization"), r.UserAgent(), r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("Accept")
		got.Unlock()
		writeJSON(w, "11111111-2222-3333-4444-555555555555", map[string]any{"catalog_items": []any{}, "has_more": false, "next_pagination_token": ""})
	})
	env := newEnv(t, base, func(c *Config) { c.UserAgent = "aliasd/1.2.3" })
	r := env.do(t, Call{Method: "get", Path: "catalog?query=dunk", Query: url.Values{"limit": {"5"}}})
	if r.Status != 200 || !r.OK() {
		t.Fatalf("status = %d (%v), want 200", r.Status, r.NetErr)
	}
	if r.RequestID != "11111111-2222-3333-4444-555555555555" || len(r.RequestIDs) != 1 {
		t.Errorf("RequestID = %q %v, want the header's", r.RequestID, r.RequestIDs)
	}
	if r.Endpoint == nil || r.Endpoint.Name != "SearchCatalog" {
		t.Errorf("Endpoint = %v, want SearchCatalog", r.Endpoint)
	}
	if r.Diagnostic != nil {
		t.Errorf("Diagnostic = %+v, want nil for a plain 200", r.Diagnostic)
	}
	got.Lock()
	defer got.Unlock()
	if got.auth != "Bearer "+env.secret {
		t.Errorf("server saw Authorization %q, want the bearer", got.auth)
	}
	if got.ua != "aliasd/1.2.3" || got.accept != "application/json" {
		t.Errorf("User-Agent, Accept = %q, %q", got.ua, got.accept)
	}
	if got.path != "/api/v1/catalog" || got.query != "limit=5&query=dunk" {
		t.Errorf("server saw %s?%s, want /api/v1/catalog?limit=5&query=dunk", got.path, got.query)
	}
	if r.RequestHeader.Get("Authorization") != "Bearer [REDACTED]" {
		t.Errorf("RequestHeader Authorization = %q, want redacted", r.RequestHeader.Get("Authorization"))
	}
	if r.Profile != "test" || r.Fingerprint != "fp-test" {
		t.Errorf("Profile, Fingerprint = %q, %q", r.Profile, r.Fingerprint)
	}
}

func TestNotModifiedKeepsRequestID(t *testing.T) {
	_, base := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "rid-304")
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		writeJSON(w, "", map[string]any{"ok": true})
	})
	env := newEnv(t, base, nil)
	r := env.do(t, Call{Method: "GET", Path: "/test", Header: http.Header{"If-None-Match": {`"v1"`}}})
	if r.Status != 304 || r.RequestID != "rid-304" || Diagnose(r) != nil {
		t.Fatalf("304: status %d id %q diag %+v, want 304 rid-304 nil", r.Status, r.RequestID, Diagnose(r))
	}
}

func TestRequestResultBody(t *testing.T) {
	tests := []struct {
		body []byte
		want string
	}{
		{[]byte(`{"ok":true}`), `{"ok":true}`},
		{[]byte("<html>oops</html>"), `"\u003chtml\u003eoops\u003c/html\u003e"`},
		{nil, "null"},
	}
	for _, tt := range tests {
		rr := (&Response{Status: 200, Body: tt.body}).RequestResult()
		b, _ := json.Marshal(rr.Body)
		if string(b) != tt.want {
			t.Errorf("RequestResult(%q).Body = %s, want %s", tt.body, b, tt.want)
		}
	}
}

func TestSetBaseURLConcurrent(t *testing.T) {
	_, baseA := apiServer(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, "A", map[string]any{"ok": true}) })
	_, baseB := apiServer(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, "B", map[string]any{"ok": true}) })
	env := newEnv(t, baseA, nil)
	if err := env.c.SetBaseURL("http://192.0.2.1/api/v1"); err == nil {
		t.Fatal("SetBaseURL(plain http, not loopback) = nil, want an error")
	}
	if env.c.BaseURL() != baseA {
		t.Fatalf("BaseURL after a refused switch = %s, want %s", env.c.BaseURL(), baseA)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			b := baseA
			if i%2 == 1 {
				b = baseB
			}
			if err := env.c.SetBaseURL(b); err != nil {
				t.Error(err)
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				r, err := env.c.Do(context.Background(), Call{Method: "GET", Path: "/test"})
				if err != nil || (r.RequestID != "A" && r.RequestID != "B") {
					t.Errorf("Do during SetBaseURL = %v, %v", r, err)
					return
				}
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	close(stop)
	wg.Wait()
}
