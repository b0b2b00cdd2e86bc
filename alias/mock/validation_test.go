package mock

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aliasd/aliasd/alias"
)

const dunk = flagshipID

func TestRoutingCaveat(t *testing.T) {
	ts := startServer(t, Config{Seed: 1})
	tests := []struct {
		path    string
		wantKey string
	}{
		{"/listings/batch", "batches"},
		{"/listings/batch_operation/quota", "max_operation_quota"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			a := ts.get(t, tt.path)
			if a.status != 200 {
				t.Fatalf("GET %s = %d %s, want 200", tt.path, a.status, a.body)
			}
			if _, ok := a.json(t)[tt.wantKey]; !ok {
				t.Errorf("GET %s body %s lacks %q: routed as a listing id?", tt.path, a.body, tt.wantKey)
			}
		})
	}
	// An unknown batch id is a missing batch, not a missing listing.
	checkError(t, ts.get(t, "/listings/batch/nope"), 404, 5, "batch")
	checkError(t, ts.get(t, "/listings/batch_operations/nope"), 404, 5, "batch")
}

func TestUnknownRoute415(t *testing.T) {
	ts := startServer(t, Config{Seed: 1})
	tests := []struct {
		name, method, path, contentType string
	}{
		{"regions", "GET", "/api/v1/regions", ""},
		{"listing histogram", "GET", "/api/v1/pricing_insights/listing_histogram", ""},
		{"patch listing", "PATCH", "/api/v1/listings/abc", "application/json"},
		{"outside api", "GET", "/v2/catalog", ""},
		{"no token", "GET", "/api/v1/payouts", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, strings.TrimSuffix(ts.base, alias.PathPrefix)+tt.path, nil)
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			if tt.name != "no token" {
				req.Header.Set("Authorization", "Bearer "+ts.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(t, resp)
			if resp.StatusCode != 415 {
				t.Fatalf("%s %s = %d, want 415", tt.method, tt.path, resp.StatusCode)
			}
			want := fmt.Sprintf("invalid gRPC request content-type %q\n", tt.contentType)
			if string(body) != want {
				t.Errorf("body = %q, want %q", body, want)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("Content-Type = %q, want text/plain", ct)
			}
			checkRequestID(t, answer{header: resp.Header})
		})
	}
}

func TestAuth(t *testing.T) {
	full := fakeToken(t)
	catalogOnly := fakeToken(t)
	ts := startServer(t, Config{Seed: 1, Tokens: []TokenSpec{
		{Token: full},
		{Token: catalogOnly, Scopes: []alias.Scope{alias.ScopeCatalog, alias.ScopeTest}},
	}})
	call := Call{Method: "GET", Path: "/api/v1/test"}
	t.Run("no token", func(t *testing.T) {
		a, err := ts.try(call, "")
		if err != nil {
			t.Fatal(err)
		}
		checkError(t, a, 401, 16, "missing bearer token")
	})
	t.Run("unknown token", func(t *testing.T) {
		other := fakeToken(t)
		a, err := ts.try(call, other)
		if err != nil {
			t.Fatal(err)
		}
		checkError(t, a, 401, 16, "invalid or unknown")
		if strings.Contains(string(a.body), other) {
			t.Error("the 401 echoes the token")
		}
	})
	t.Run("basic scheme", func(t *testing.T) {
		a, err := ts.try(call, "", "Authorization", "Basic "+ts.token)
		if err != nil {
			t.Fatal(err)
		}
		checkError(t, a, 401, 16, "invalid or unknown")
	})
	// Each scope group: the full token passes, the catalog-only token gets
	// 403 code 7 everywhere but catalog and test.
	for _, e := range alias.Endpoints {
		t.Run(string(e.Scope)+"/"+e.Name, func(t *testing.T) {
			c := ts.Example(e)
			a, err := ts.try(c, catalogOnly)
			if err != nil {
				t.Fatal(err)
			}
			if e.Scope == alias.ScopeCatalog || e.Scope == alias.ScopeTest {
				if a.status != 200 {
					t.Fatalf("catalog-only token on %s = %d %s, want 200", e.Name, a.status, a.body)
				}
				return
			}
			checkError(t, a, 403, 7, string(e.Scope))
			if strings.Contains(string(a.body), catalogOnly) {
				t.Error("the 403 names the token")
			}
		})
	}
}

func TestValidation(t *testing.T) {
	ts := startServer(t, Config{Seed: 1})
	variant := "catalog_id=" + dunk + "&size=10&product_condition=%s&packaging_condition=%s"
	tests := []struct {
		name, method, path string
		status, code       int
		msg                string
	}{
		{"enum by number", "GET", "/pricing_insights/availability?" + fmt.Sprintf(variant, "1", "1"), 200, 0, ""},
		{"enum mixed", "GET", "/pricing_insights/availability?" + fmt.Sprintf(variant, "PRODUCT_CONDITION_USED", "4"), 200, 0, ""},
		{"enum zero", "GET", "/pricing_insights/availability?" + fmt.Sprintf(variant, "0", "1"), 400, 3, "Missing parameter: input.ProductCondition"},
		{"enum INVALID name", "GET", "/pricing_insights/availability?" + fmt.Sprintf(variant, "1", "PACKAGING_CONDITION_INVALID"), 400, 3, "Missing parameter: input.PackagingCondition"},
		{"enum unknown", "GET", "/pricing_insights/availability?" + fmt.Sprintf(variant, "PRODUCT_CONDITION_MINT", "1"), 400, 3, "input.ProductCondition"},
		{"enum out of range", "GET", "/pricing_insights/availability?" + fmt.Sprintf(variant, "9", "1"), 400, 3, "input.ProductCondition"},
		{"listing enum prefix differs", "POST", "/listings?catalog_id=" + dunk + "&price_cents=15000&condition=PRODUCT_CONDITION_NEW&packaging_condition=1&size=10&size_unit=1", 400, 3, "input.Condition"},
		{"optional enum INVALID", "GET", "/listings/batch?status=BATCH_STATUS_INVALID", 400, 3, "input.Status"},
		{"size not a number", "GET", "/pricing_insights/availability?" + strings.Replace(fmt.Sprintf(variant, "1", "1"), "size=10", "size=ten", 1), 400, 3, "type mismatch, parameter: size"},
		{"missing catalog id", "GET", "/pricing_insights/availability?size=10", 400, 3, "Missing parameter: input.CatalogId"},
		{"unknown region", "GET", "/pricing_insights/availability?" + fmt.Sprintf(variant, "1", "1") + "&region_id=99", 400, 3, "input.RegionId"},
		{"region 3", "GET", "/pricing_insights/availability?" + fmt.Sprintf(variant, "1", "1") + "&region_id=3", 200, 0, ""},
		{"whole dollars ok", "POST", "/listings?catalog_id=" + dunk + "&price_cents=15000&condition=CONDITION_NEW&packaging_condition=1&size=10&size_unit=SIZE_UNIT_US", 200, 0, ""},
		{"cents rejected", "POST", "/listings?catalog_id=" + dunk + "&price_cents=15099&condition=CONDITION_NEW&packaging_condition=1&size=10&size_unit=SIZE_UNIT_US", 400, 3, "whole dollars"},
		{"below minimum", "POST", "/listings?catalog_id=" + dunk + "&price_cents=2000&condition=CONDITION_NEW&packaging_condition=1&size=10&size_unit=SIZE_UNIT_US", 400, 3, "outside the allowed range"},
		{"size not allowed", "POST", "/listings?catalog_id=" + dunk + "&price_cents=15000&condition=CONDITION_NEW&packaging_condition=1&size=10.25&size_unit=SIZE_UNIT_US", 400, 3, "input.Size"},
		{"wrong size unit", "POST", "/listings?catalog_id=" + dunk + "&price_cents=15000&condition=CONDITION_NEW&packaging_condition=1&size=10&size_unit=SIZE_UNIT_EU", 400, 3, "input.SizeUnit"},
		{"create missing size unit", "POST", "/listings?catalog_id=" + dunk + "&price_cents=15000&condition=CONDITION_NEW&packaging_condition=1&size=10", 400, 3, "Missing parameter: input.SizeUnit"},
		{"unknown catalog item", "POST", "/listings?catalog_id=nope&price_cents=15000&condition=CONDITION_NEW&packaging_condition=1&size=10&size_unit=SIZE_UNIT_US", 404, 5, "nope"},
		{"not resellable", "POST", "/listings?catalog_id=travis-scott-x-air-jordan-1-low-og-reverse-mocha-dm7866-162&price_cents=90000&condition=CONDITION_NEW&packaging_condition=1&size=10&size_unit=SIZE_UNIT_US", 402, 9, "resellable"},
		{"listings page max", "GET", "/listings?page_size=50", 200, 0, ""},
		{"listings page over max", "GET", "/listings?page_size=51", 400, 3, "at most 50"},
		{"orders page over max", "GET", "/orders?page_size=51", 400, 3, "at most 50"},
		{"batch ops page max", "GET", "/listings/batch_operations/%BATCH%?limit=500", 200, 0, ""},
		{"batch ops page over max", "GET", "/listings/batch_operations/%BATCH%?limit=501", 400, 3, "at most 500"},
		{"negative page", "GET", "/listings?page_size=-1", 400, 3, "input.PageSize"},
		{"catalog limit clamped", "GET", "/catalog?query=nike&limit=500", 200, 0, ""},
		{"catalog missing query", "GET", "/catalog", 400, 3, "Missing parameter: input.Query"},
		{"recent sales without size", "GET", "/pricing_insights/recent_sales?catalog_id=" + dunk + "&consigned=true", 400, 3, "Missing parameter: input.Size"},
		{"recent sales bad limit", "GET", "/pricing_insights/recent_sales?catalog_id=" + dunk + "&size=10&limit=-5", 400, 3, "input.Limit"},
		{"bad facet", "GET", "/listings?facet_filters=colour:red", 400, 3, "unknown facet"},
		{"bad numeric filter", "GET", "/listings?numeric_filters=price_cents~5", 400, 3, "input.NumericFilters"},
		{"bad token", "GET", "/listings?pagination_token=garbage", 400, 3, "pagination token"},
		{"batch ids over 1000", "POST", "/listings/batch_activate?" + strings.Repeat("ids=x&", 1001), 400, 3, "at most 1000"},
		{"batch ids exactly 1000", "POST", "/listings/batch_activate?" + strings.Repeat("ids=x&", 1000), 200, 0, ""},
		{"batch_create without body", "POST", "/listings/batch_create", 400, 3, "Missing parameter: input.Items"},
		{"picture order for extra", "POST", "/pictures?listing_id=x&type=PICTURE_TYPE_EXTRA&url=https://example.com/a.jpg", 400, 3, "input.Order"},
		{"picture not an image", "POST", "/pictures?listing_id=x&type=PICTURE_TYPE_OUTER&base64_data=aGVsbG8=", 400, 3, "PNG or a JPEG"},
		{"label type unknown", "POST", "/orders/x/generate_label?label_type=LABEL_TYPE_PIGEON", 400, 3, "input.LabelType"},
	}
	batchID := ts.Example(alias.ByName("GetBatch")).Path[len("/api/v1/listings/batch/"):]
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := strings.ReplaceAll(tt.path, "%BATCH%", batchID)
			a := ts.send(t, tt.method, path, nil)
			if tt.status == 200 {
				if a.status != 200 {
					t.Fatalf("%s %s = %d %s, want 200", tt.method, path, a.status, a.body)
				}
				return
			}
			checkError(t, a, tt.status, tt.code, tt.msg)
		})
	}
}

func TestBatchBodies(t *testing.T) {
	ts := startServer(t, Config{Seed: 1})
	tests := []struct {
		name, path, body string
		status           int
		msg              string
	}{
		{"not json", "batch_create", `{"items":[`, 400, "invalid JSON body"},
		{"unknown field", "batch_create", `{"itemz":[]}`, 400, "invalid JSON body"},
		{"empty items", "batch_create", `{"items":[]}`, 400, "Missing parameter: input.Items"},
		{"item without catalog", "batch_create", `{"items":[{"size_unit":"SIZE_UNIT_US","condition":"CONDITION_NEW","packaging_condition":1,"price_cents":15000,"size":10,"quantity":1}]}`, 400, "Missing parameter: input.Items[0].CatalogId"},
		{"cents", "batch_create", `{"items":[{"catalog_id":"x","size_unit":"SIZE_UNIT_US","condition":"CONDITION_NEW","packaging_condition":1,"price_cents":15001,"size":10,"quantity":1}]}`, 400, "whole dollars"},
		{"over 1000", "batch_create", `{"items":[{"catalog_id":"x","size_unit":1,"condition":1,"packaging_condition":1,"price_cents":"15000","size":10,"quantity":1001}]}`, 400, "at most 1000"},
		{"numbers accepted", "batch_create", `{"items":[{"catalog_id":"x","size_unit":1,"condition":1,"packaging_condition":1,"price_cents":15000,"size":"10","quantity":1}]}`, 200, ""},
		{"update without id", "batch_update", `{"items":[{"size_change":{"new_value":10}}]}`, 400, "Missing parameter: input.Items[0].Id"},
		{"update without change", "batch_update", `{"items":[{"id":"x"}]}`, 400, "no change given"},
		{"conditional needs operator", "batch_update", `{"items":[{"id":"x","price_cents_change":{"new_value":"3000","conditional_value":"2500"}}]}`, 400, "ConditionOperator"},
		{"conditional with EQ", "batch_update", `{"items":[{"id":"x","price_cents_change":{"new_value":3000,"conditional_value":2500,"condition_operator":"CONDITION_OPERATOR_EQ"}}]}`, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := ts.send(t, "POST", "/listings/"+tt.path, []byte(tt.body))
			if tt.status == 200 {
				if a.status != 200 {
					t.Fatalf("POST %s %s = %d %s, want 200", tt.path, tt.body, a.status, a.body)
				}
				return
			}
			checkError(t, a, tt.status, 3, tt.msg)
		})
	}
}

func TestRecentSalesLimit(t *testing.T) {
	ts := startServer(t, Config{Seed: 1})
	full := "/pricing_insights/recent_sales?catalog_id=" + dunk + "&size=10&product_condition=1&packaging_condition=1"
	tests := []struct {
		query string
		want  int
	}{
		{full, 10},
		{full + "&limit=150", 150},
		{full + "&limit=5000", 200},
		{"/pricing_insights/recent_sales?catalog_id=" + dunk + "&size=10&limit=150", 10}, // capped without both conditions
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			a := ts.get(t, tt.query)
			if a.status != 200 {
				t.Fatalf("status %d %s", a.status, a.body)
			}
			sales := a.json(t)["recent_sales"].([]any)
			if len(sales) != tt.want {
				t.Fatalf("len(recent_sales) = %d, want %d", len(sales), tt.want)
			}
			prev := ""
			for _, s := range sales {
				at := s.(map[string]any)["purchased_at"].(string)
				if prev != "" && at > prev {
					t.Fatalf("sales not newest first: %s after %s", at, prev)
				}
				prev = at
			}
		})
	}
}

func TestLenientJSONBody(t *testing.T) {
	ts := startServer(t, Config{Seed: 1})
	body := `{"catalog_id":"` + dunk + `","price_cents":15000,"condition":"CONDITION_NEW","packaging_condition":1,` +
		`"size":10.5,"size_unit":"SIZE_UNIT_US","metadata":{"ref":"json-body"},"defects":["LISTING_DEFECT_HAS_ODOR"]}`
	a := ts.send(t, "POST", "/listings", []byte(body))
	if a.status != 200 {
		t.Fatalf("create with JSON body = %d %s, want 200", a.status, a.body)
	}
	l := a.json(t)["listing"].(map[string]any)
	if l["price_cents"] != "15000" || l["size"] != 10.5 || l["metadata"].(map[string]any)["ref"] != "json-body" {
		t.Errorf("listing = %v, want the body's fields", l)
	}
	// The query wins over the body.
	id := l["id"].(string)
	a = ts.send(t, "POST", "/listings/"+id+"?price_cents=16000", []byte(`{"price_cents":17000}`))
	if got := a.json(t)["listing"].(map[string]any)["price_cents"]; got != "16000" {
		t.Errorf("price after update = %v, want 16000 from the query", got)
	}
	checkError(t, ts.send(t, "POST", "/listings/"+id, []byte(`{"price_cents":`)), 400, 3, "invalid JSON body")
}
