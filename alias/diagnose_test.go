package alias

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aliasd/aliasd/rpc"
)

func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{
		"Size":         "size",
		"CatalogId":    "catalog_id",
		"ListingID":    "listing_id",
		"PriceCents":   "price_cents",
		"Order.SortBy": "order.sort_by",
		"HTTPStatus":   "http_status",
		"catalog_id":   "catalog_id",
		"Size2Unit":    "size2_unit",
		"Items[0].Id":  "items[0].id",
	} {
		if got := SnakeCase(in); got != want {
			t.Errorf("SnakeCase(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDiagnoseHTTP runs one call per diagnosis class against a loopback
// server answering what the API (or a gateway) answers in that case.
func TestDiagnoseHTTP(t *testing.T) {
	type answer struct {
		status      int
		ctype, body string
		header      map[string]string
	}
	apiErr := func(status, code int, msg string) answer {
		return answer{status: status, ctype: "application/json", body: `{"code":` + itoa(code) + `,"message":"` + msg + `","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo"}]}`}
	}
	tests := []struct {
		name     string
		call     Call
		ans      answer
		class    string
		severity string
		contains []string // in title, detail or hint
	}{
		{"missing size on recent sales", Call{Method: "GET", Path: "/pricing_insights/recent_sales", Query: url.Values{"catalog_id": {"x"}, "consigned": {"true"}}},
			apiErr(400, 3, "Missing parameter: input.Size"), DiagMissingParameter, rpc.SeverityError,
			[]string{"Missing parameter: size", "size=10.5", "per variant"}},
		{"missing catalog_id", Call{Method: "GET", Path: "/pricing_insights/availability"},
			apiErr(400, 3, "Missing parameter: input.CatalogId"), DiagMissingParameter, rpc.SeverityError,
			[]string{"Missing parameter: catalog_id", "catalog_id=…", "input.CatalogId"}},
		{"missing body field", Call{Method: "POST", Path: "/listings/batch_create", Body: []byte(`{}`)},
			apiErr(400, 3, "Missing parameter: input.Items"), DiagMissingParameter, rpc.SeverityError,
			[]string{`Add "items" to the JSON body`}},
		{"missing nested body field", Call{Method: "POST", Path: "/listings/batch_update", Body: []byte(`{"items":[{}]}`)},
			apiErr(400, 3, "Missing parameter: input.Items[0].Id"), DiagMissingParameter, rpc.SeverityError,
			[]string{"Missing parameter: items[0].id", "Set items[0].id in the JSON body"}},
		{"whole dollars", Call{Method: "POST", Path: "/listings", Query: url.Values{"price_cents": {"25050"}}},
			apiErr(400, 3, "price_cents must be a whole dollar amount"), DiagWholeDollars, rpc.SeverityError,
			[]string{"price_cents=25000 or 25100"}},
		{"bad enum", Call{Method: "GET", Path: "/pricing_insights/availability", Query: url.Values{"product_condition": {"PRODUCT_CONDITION_INVALID"}}},
			apiErr(400, 3, "invalid value for enum field product_condition"), DiagBadEnum, rpc.SeverityError,
			[]string{"Valid values for product_condition: PRODUCT_CONDITION_NEW"}},
		{"listing condition prefix", Call{Method: "POST", Path: "/listings", Query: url.Values{"condition": {"PRODUCT_CONDITION_NEW"}}},
			apiErr(400, 3, "unknown value PRODUCT_CONDITION_NEW"), DiagBadEnum, rpc.SeverityError,
			[]string{"Valid values for condition: CONDITION_NEW", "Listing endpoints use CONDITION_*"}},
		{"other bad request", Call{Method: "GET", Path: "/catalog", Query: url.Values{"query": {"x"}, "limit": {"-1"}}},
			apiErr(400, 3, "limit must be positive"), DiagBadRequest, rpc.SeverityError,
			[]string{"SearchCatalog requires query", "limit must be positive"}},
		{"token rejected", Call{Method: "GET", Path: "/test"},
			apiErr(401, 16, "unauthenticated"), DiagUnauthorized, rpc.SeverityError,
			[]string{"token rejected: revoked, or not a personal access token", "aliasd token add", `profile "test" (fp-test)`}},
		{"business rule", Call{Method: "POST", Path: "/listings/L1/activate"},
			apiErr(402, 9, "listing requires pictures"), DiagBusinessRule, rpc.SeverityError,
			[]string{"parameters of POST /api/v1/listings/L1/activate (ActivateListing) are valid", "required picture"}},
		{"scope", Call{Method: "GET", Path: "/orders"},
			apiErr(403, 7, "permission denied"), DiagScope, rpc.SeverityError,
			[]string{"Token lacks the orders scope", "the orders endpoints"}},
		{"not found", Call{Method: "GET", Path: "/catalog/no-such-shoe"},
			apiErr(404, 5, "catalog item not found"), DiagNotFound, rpc.SeverityError,
			[]string{`id="no-such-shoe"`, "GET /catalog"}},
		{"unknown route as 404", Call{Method: "GET", Path: "/pricing_insights/listing_histogram"},
			apiErr(404, 5, "Not Found"), DiagNoSuchEndpoint, rpc.SeverityError,
			[]string{"No such endpoint", "Did you mean GET /api/v1/pricing_insights/"}},
		{"unknown route as 415", Call{Method: "GET", Path: "/regions"},
			answer{status: 415, ctype: "text/plain", body: "invalid gRPC request content-type \"\""}, DiagNoSuchEndpoint, rpc.SeverityError,
			[]string{"HTTP 415", "Did you mean"}},
		{"wrong method", Call{Method: "PATCH", Path: "/listings/L1"},
			answer{status: 405, ctype: "text/plain", body: "Method Not Allowed"}, DiagMethod, rpc.SeverityError,
			[]string{"exists for GET, POST, DELETE"}},
		{"conflict", Call{Method: "POST", Path: "/listings/L1", Query: url.Values{"price_cents": {"30000"}}},
			apiErr(409, 10, "concurrent modification"), DiagConflict, rpc.SeverityError,
			[]string{"Re-fetch GET /listings/L1", "another process"}},
		{"already exists", Call{Method: "POST", Path: "/listings/L1/metadata"},
			apiErr(409, 6, "key exists"), DiagConflict, rpc.SeverityError,
			[]string{"Already exists"}},
		{"rate limited", Call{Method: "GET", Path: "/catalog", Query: url.Values{"query": {"x"}}},
			answer{status: 429, ctype: "application/json", body: `{"code":8,"message":"rate limited","details":[]}`, header: map[string]string{"Retry-After": "0"}}, DiagRateLimited, rpc.SeverityWarning,
			[]string{"Rate limited", "rate governor slowed to", "Tried 4 times", SupportAddress}},
		{"unavailable", Call{Method: "GET", Path: "/test"},
			apiErr(503, 14, "unavailable"), DiagUnavailable, rpc.SeverityError,
			[]string{"HTTP 503", "Tried 4 times", "quote request IDs rid-1, rid-2, rid-3, rid-4 to " + SupportAddress}},
		{"server error", Call{Method: "POST", Path: "/orders/o1/ship"},
			apiErr(500, 13, "internal"), DiagServer, rpc.SeverityError,
			[]string{"Server error (HTTP 500)", "quote request ID rid-1 to " + SupportAddress}},
		{"other client error", Call{Method: "GET", Path: "/test"},
			answer{status: 418, ctype: "text/plain", body: "teapot"}, DiagClientError, rpc.SeverityError,
			[]string{"HTTP 418", "teapot"}},
		{"redirect on a write", Call{Method: "POST", Path: "/orders/o1/confirm"},
			answer{status: 307, header: map[string]string{"Location": "/api/v2/orders/o1/confirm"}}, DiagNotFollowed, rpc.SeverityWarning,
			[]string{"HTTP 307", "/api/v2/orders/o1/confirm"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			_, base := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
				n++
				w.Header().Set("X-Request-Id", "rid-"+itoa(n))
				for k, v := range tt.ans.header {
					w.Header().Set(k, v)
				}
				if tt.ans.ctype != "" {
					w.Header().Set("Content-Type", tt.ans.ctype)
				}
				w.WriteHeader(tt.ans.status)
				io.WriteString(w, tt.ans.body)
			})
			env := newEnv(t, base, func(c *Config) { c.Governor = GovernorConfig{Rate: 1000, Burst: 100, MinRate: 1} })
			r := env.do(t, tt.call)
			d := r.Diagnostic
			if d == nil || d.Class != tt.class || d.Severity != tt.severity {
				t.Fatalf("%s %s → %d: diagnostic %+v, want class %s severity %s", tt.call.Method, tt.call.Path, r.Status, d, tt.class, tt.severity)
			}
			all := d.Title + "\n" + d.Detail + "\n" + d.Hint
			for _, want := range tt.contains {
				if !strings.Contains(strings.ToLower(all), strings.ToLower(want)) {
					t.Errorf("diagnostic lacks %q:\n%s", want, all)
				}
			}
			if r.Error == nil && tt.ans.status >= 400 {
				t.Errorf("no APIError for HTTP %d", tt.ans.status)
			}
		})
	}
}

// TestDiagnoseTransport checks the transport rows on responses shaped as
// the client builds them (the faults tests produce each one on the wire).
func TestDiagnoseTransport(t *testing.T) {
	base := Response{Method: "GET", Path: "/api/v1/test", URL: "https://api.alias.org/api/v1/test"}
	tests := []struct {
		class NetClass
		want  string
		text  string
	}{
		{NetRedirect, DiagNetRedirect, "Refused redirect to"},
		{NetBodyCap, DiagNetBodyCap, "cap"},
		{NetTruncated, DiagNetTruncated, "cut short"},
		{NetDNS, DiagNetDNS, "https://api.alias.org"},
		{NetRefused, DiagNetRefused, "aliasd mock"},
		{NetTimeout, DiagNetTimeout, "20–45 s"},
		{NetTLS, DiagNetTLS, "clock"},
		{NetReset, DiagNetReset, "writes are not"},
		{NetCanceled, DiagNetCanceled, "cancelled"},
		{NetOther, DiagNetOther, "Network error"},
	}
	for _, tt := range tests {
		t.Run(string(tt.class), func(t *testing.T) {
			r := base
			r.NetClass = tt.class
			r.NetErr = &NetError{Class: tt.class, Msg: "boom"}
			d := Diagnose(&r)
			if d == nil || d.Class != tt.want || !strings.Contains(d.Title+d.Detail+d.Hint, tt.text) {
				t.Fatalf("Diagnose(%s) = %+v, want class %s mentioning %q", tt.class, d, tt.want, tt.text)
			}
		})
	}
	ok := base
	ok.Status, ok.Attempts = 200, 1
	if d := Diagnose(&ok); d != nil {
		t.Errorf("Diagnose(plain 200) = %+v, want nil", d)
	}
	if Diagnose(nil) != nil {
		t.Error("Diagnose(nil) != nil")
	}
}

func TestStaleDiagnostic(t *testing.T) {
	d := StaleDiagnostic(90*time.Minute, "connection refused")
	if d.Class != DiagStale || d.Severity != rpc.SeverityWarning || !strings.Contains(d.Title, "1h") || !strings.Contains(d.Detail, "connection refused") {
		t.Fatalf("StaleDiagnostic = %+v", d)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
