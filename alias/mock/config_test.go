package mock

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aliasd/aliasd/alias"
	"github.com/aliasd/aliasd/internal/testutil"
)

func TestParseTokenSpec(t *testing.T) {
	tok := "goatapi_" + strings.Repeat("x", 30)
	tests := []struct {
		in      string
		want    []alias.Scope
		wantErr string
	}{
		{tok, nil, ""},
		{tok + ":catalog", []alias.Scope{alias.ScopeCatalog}, ""},
		{tok + ":test, Pricing,listings,orders,batch,catalog,catalog", []alias.Scope{"test", "pricing", "listings", "orders", "batch", "catalog"}, ""},
		{tok + ":payouts", nil, `unknown scope group "payouts"`},
		{tok + ":", nil, "empty scope list"},
		{":catalog", nil, "empty token"},
		{"", nil, "empty token"},
		{"two words:catalog", nil, "whitespace"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTokenSpec(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrBadTokenSpec) {
					t.Fatalf("ParseTokenSpec(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), tok) {
					t.Errorf("error %q contains the token", err)
				}
				return
			}
			if err != nil || got.Token != tok || !reflect.DeepEqual(got.Scopes, tt.want) {
				t.Fatalf("ParseTokenSpec(%q) = %+v, %v, want scopes %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tok := fakeToken(t)
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no tokens", Config{}, "at least one token"},
		{"duplicate", Config{Tokens: []TokenSpec{{Token: tok}, {Token: tok}}}, "duplicate"},
		{"bad scope", Config{Tokens: []TokenSpec{{Token: tok, Scopes: []alias.Scope{"admin"}}}}, `unknown scope group "admin"`},
		{"spaces", Config{Tokens: []TokenSpec{{Token: tok + " x"}}}, "whitespace"},
		{"error rate", Config{Tokens: []TokenSpec{{Token: tok}}, ErrorRate: 1.5}, "error rate"},
		{"negative latency", Config{Tokens: []TokenSpec{{Token: tok}}, Latency: -time.Second}, "negative"},
		{"bad fault", Config{Tokens: []TokenSpec{{Token: tok}}, Faults: []Fault{{Status: 302}}}, "status 302"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want an error containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), tok) {
				t.Errorf("error %q contains the token", err)
			}
		})
	}
}

func TestParseFault(t *testing.T) {
	tests := []struct {
		in      string
		want    Fault
		wantErr bool
	}{
		{"status=503", Fault{Status: 503}, false},
		{"status=503,path=/catalog,method=get,count=2,retry_after=2", Fault{Status: 503, PathPrefix: "/catalog", Method: "GET", Count: 2, RetryAfter: 2 * time.Second}, false},
		{"rate_limit,retry_after=1500ms", Fault{RateLimit: true, RetryAfter: 1500 * time.Millisecond}, false},
		{"truncate,html,echo_token,reset,no_request_id,latency=300ms", Fault{Truncate: true, HTML: true, EchoToken: true, ResetConnection: true, NoRequestID: true, Latency: 300 * time.Millisecond}, false},
		{"path=/orders,cache_control=max-age=5, must-revalidate", Fault{PathPrefix: "/orders", CacheControl: "max-age=5, must-revalidate"}, false},
		{"", Fault{}, true},
		{"status=abc", Fault{}, true},
		{"status=200", Fault{}, true},
		{"colour=red", Fault{}, true},
		{"truncate=yes", Fault{}, true},
		{"latency", Fault{}, true},
		{"count=-1,status=500", Fault{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseFault(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrBadFault) {
					t.Fatalf("ParseFault(%q) = %+v, %v, want ErrBadFault", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseFault(%q) = %+v, %v, want %+v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestFaultJSONRoundTrip(t *testing.T) {
	f := Fault{Method: "POST", PathPrefix: "/listings", Count: 3, Status: 503, RetryAfter: 2 * time.Second, Latency: 250 * time.Millisecond, CacheControl: "no-store"}
	b, err := f.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Fault
	if err := back.UnmarshalJSON(b); err != nil || back != f {
		t.Fatalf("round trip of %s = %+v, %v, want %+v", b, back, err, f)
	}
}

func TestLifecycle(t *testing.T) {
	s, err := New(Config{Tokens: []TokenSpec{{Token: fakeToken(t)}}})
	if err != nil {
		t.Fatal(err)
	}
	if s.URL() != "" {
		t.Errorf("URL before Start = %q", s.URL())
	}
	base, err := s.Start("")
	if err != nil || !strings.HasPrefix(base, "http://127.0.0.1:") || !strings.HasSuffix(base, "/api/v1") || s.URL() != base {
		t.Fatalf("Start = %q, %v; URL %q", base, err, s.URL())
	}
	if _, err := s.Start(""); err == nil {
		t.Error("second Start succeeded")
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := http.Get(base + "/test"); err == nil {
		t.Error("server still answers after Close")
	}
	if _, err := s.Start(""); err == nil {
		t.Error("Start after Close succeeded")
	}
}

// TestServeHTTPDirect: the handler works without Start (httptest), and a
// submitted batch still completes; Close stops its worker.
func TestServeHTTPDirect(t *testing.T) {
	tok := fakeToken(t)
	s, err := New(Config{Tokens: []TokenSpec{{Token: tok}}, BatchStep: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	srv := httptest.NewServer(s)
	defer srv.Close()
	ts := &testServer{Server: s, base: srv.URL + "/api/v1", token: tok}
	id := ts.do(t, ts.Example(byName(t, "BatchActivateListings"))).json(t)["batch_id"].(string)
	testutil.WaitFor(t, "batch", func() bool { return ts.get(t, "/listings/batch/"+id).json(t)["status"] == "BATCH_STATUS_COMPLETED" })
}
