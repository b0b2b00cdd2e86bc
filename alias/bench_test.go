package alias

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// benchBody is a catalog item of realistic size (about 1 KiB).
var benchBody = `{"catalog_item":{"catalog_id":"dunk-low-black-white-dd1391-100","name":"Dunk Low 'Black White'","sku":"DD1391 100","brand":"Nike","gender":"men","release_date":"2021-03-10T23:59:59.999Z","product_category":"PRODUCT_CATEGORY_SHOES","product_category_v2":"shoes","product_type":"sneakers","size_unit":"SIZE_UNIT_US","allowed_sizes":[` +
	strings.Repeat(`{"display_name":"10.5","value":10.5,"us_size_equivalent":10.5},`, 8) +
	`{"display_name":"11","value":11,"us_size_equivalent":11}],"minimum_listing_price_cents":"2500","maximum_listing_price_cents":"200000","retail_price_cents":"11000","colorway":"White/Black","resellable":true}}`

func benchServer(b *testing.B) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "0b0c7f7e-58a5-4f55-9d3c-3f3b7a0a2c11")
		io.WriteString(w, benchBody)
	}))
	b.Cleanup(s.Close)
	return s
}

// BenchmarkClientGet is one GET through the whole client: validation,
// catalog match, token source, governor, auth transport, capped read,
// request-ID capture, redaction and diagnosis.
func BenchmarkClientGet(b *testing.B) {
	s := benchServer(b)
	c, err := New(Config{
		BaseURL:  s.URL + PathPrefix,
		Tokens:   StaticToken{Profile: "bench", Secret: fakeToken(b), Fingerprint: "fp-bench"},
		Governor: GovernorConfig{Rate: 1e9, Burst: 1 << 30}, // on, never limiting
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		r, err := c.Do(ctx, Call{Method: "GET", Path: "/catalog/dunk-low-black-white-dd1391-100"})
		if err != nil || r.Status != 200 || len(r.Body) != len(benchBody) {
			b.Fatalf("Do = %v, %v", r, err)
		}
	}
}

// BenchmarkBareHTTPGet is the baseline: a plain net/http GET of the same
// loopback server with the same header and a full body read.
func BenchmarkBareHTTPGet(b *testing.B) {
	s := benchServer(b)
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	url := s.URL + "/api/v1/catalog/dunk-low-black-white-dd1391-100"
	auth := "Bearer " + fakeToken(b)
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", auth)
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || len(body) != len(benchBody) || resp.Header.Get("X-Request-Id") == "" {
			b.Fatalf("GET = %d %d %v", resp.StatusCode, len(body), err)
		}
	}
}
