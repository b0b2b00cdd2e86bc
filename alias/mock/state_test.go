package mock

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliasd/aliasd/internal/testutil"
)

func TestETag(t *testing.T) {
	ts := startServer(t, Config{Seed: 1})
	listing := ts.Example(byName(t, "GetListing"))
	a := ts.do(t, listing)
	etag := a.header.Get("ETag")
	if !regexp.MustCompile(`^"[0-9a-f]{32}"$`).MatchString(etag) {
		t.Fatalf("ETag = %q, want a strong quoted hash", etag)
	}
	t.Run("304", func(t *testing.T) {
		for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
			b := ts.do(t, listing, "If-None-Match", inm)
			if b.status != 304 || len(b.body) != 0 {
				t.Fatalf("If-None-Match %s: %d with %d bytes, want 304 without body", inm, b.status, len(b.body))
			}
			if b.header.Get("ETag") != etag {
				t.Errorf("304 ETag = %q, want %q", b.header.Get("ETag"), etag)
			}
			checkRequestID(t, b)
		}
	})
	t.Run("stale tag", func(t *testing.T) {
		if b := ts.do(t, listing, "If-None-Match", `"nope"`); b.status != 200 || string(b.body) != string(a.body) {
			t.Fatalf("stale If-None-Match = %d, want 200 and the body", b.status)
		}
	})
	t.Run("changes after a write", func(t *testing.T) {
		id := strings.TrimPrefix(listing.Path, "/api/v1/listings/")
		if w := ts.send(t, "POST", "/listings/"+id+"/metadata?metadata[etag_test]=1", nil); w.status != 200 {
			t.Fatalf("metadata write = %d %s", w.status, w.body)
		}
		b := ts.do(t, listing, "If-None-Match", etag)
		if b.status != 200 || b.header.Get("ETag") == etag || b.header.Get("ETag") == "" {
			t.Fatalf("after a write: %d ETag %q, want 200 and a new ETag", b.status, b.header.Get("ETag"))
		}
	})
	t.Run("none on writes, errors and test", func(t *testing.T) {
		if e := ts.send(t, "POST", "/listings/"+unknownID+"/activate", nil); e.header.Get("ETag") != "" {
			t.Error("error answer has an ETag")
		}
		if e := ts.get(t, "/test"); e.header.Get("ETag") != "" {
			t.Error("/test has an ETag")
		}
	})
}

func TestBatchLifecycle(t *testing.T) {
	ts := startServer(t, Config{Seed: 2, BatchStep: 30 * time.Millisecond})
	create := ts.Example(byName(t, "BatchCreateListings"))
	a := ts.do(t, create)
	body := a.json(t)
	if body["status"] != "BATCH_STATUS_PENDING" {
		t.Fatalf("new batch status = %v, want BATCH_STATUS_PENDING", body["status"])
	}
	id := body["batch_id"].(string)
	if q := ts.get(t, "/listings/batch_operation/quota").json(t); q["used_operation_quota"] == "0" {
		// The worker may already have run; only a still-pending batch must show.
		if st := ts.get(t, "/listings/batch/"+id).json(t)["status"]; st == "BATCH_STATUS_PENDING" {
			t.Errorf("quota used = 0 while batch %s is pending", id)
		}
	}
	seen := map[string]bool{}
	testutil.WaitFor(t, "batch completion", func() bool {
		st := ts.get(t, "/listings/batch/"+id).json(t)["status"].(string)
		seen[st] = true
		return st == "BATCH_STATUS_COMPLETED"
	})
	b := ts.get(t, "/listings/batch/"+id).json(t)
	if b["queued"] != "2" || b["processed"] != "2" || b["failed"] != "0" || b["completed_at"] == nil {
		t.Errorf("completed batch = %v, want 2 queued, 2 processed, 0 failed, a completion time", b)
	}
	ops := ts.get(t, "/listings/batch_operations/"+id).json(t)["operations"].([]any)
	if len(ops) != 2 {
		t.Fatalf("%d operations, want 2", len(ops))
	}
	for i, op := range ops {
		m := op.(map[string]any)
		l := m["create_listing_result"].(map[string]any)["listing"].(map[string]any)
		if m["status"] != "BATCH_OPERATION_STATUS_COMPLETED" || m["success"] != true {
			t.Errorf("op %d = %v, want completed", i, m)
		}
		if want := []string{"A1", "A2"}[i]; l["metadata"].(map[string]any)["bin"] != want {
			t.Errorf("op %d metadata = %v, want bin %s (metadata_list one-to-one)", i, l["metadata"], want)
		}
		if g := ts.get(t, "/listings/"+l["id"].(string)); g.status != 200 {
			t.Errorf("created listing %v not readable: %d", l["id"], g.status)
		}
	}
	if q := ts.get(t, "/listings/batch_operation/quota").json(t); q["used_operation_quota"] != "0" {
		t.Errorf("quota after completion = %v, want 0", q)
	}

	// A batch over unknown ids completes with failed operations.
	a = ts.send(t, "POST", "/listings/batch_deactivate?ids=nope-1&ids=nope-2", nil)
	id = a.json(t)["batch_id"].(string)
	testutil.WaitFor(t, "failing batch", func() bool { return ts.get(t, "/listings/batch/"+id).json(t)["status"] == "BATCH_STATUS_COMPLETED" })
	if b := ts.get(t, "/listings/batch/"+id).json(t); b["failed"] != "2" {
		t.Errorf("batch over unknown ids = %v, want 2 failed", b)
	}
	failed := ts.get(t, "/listings/batch_operations/"+id+"?status=BATCH_OPERATION_STATUS_FAILED").json(t)["operations"].([]any)
	if len(failed) != 2 || len(failed[0].(map[string]any)["errors"].([]any)) != 1 {
		t.Errorf("failed operations = %v, want 2 with one error each", failed)
	}
}

func TestBatchQuota(t *testing.T) {
	// A long step keeps the batch pending while we look at the quota.
	ts := startServer(t, Config{Seed: 2, BatchStep: time.Hour, MaxOperationQuota: 5})
	a := ts.send(t, "POST", "/listings/batch_activate?ids=a&ids=b&ids=c", nil)
	if a.status != 200 {
		t.Fatalf("submit = %d %s", a.status, a.body)
	}
	q := ts.get(t, "/listings/batch_operation/quota").json(t)
	if q["used_operation_quota"] != "3" || q["max_operation_quota"] != "5" {
		t.Errorf("quota = %v, want 3 of 5", q)
	}
	checkError(t, ts.send(t, "DELETE", "/listings/batch_delete?ids=a&ids=b&ids=c", nil), 429, 8, "quota exceeded")
}

func TestBatchUpdateConditional(t *testing.T) {
	ts := startServer(t, Config{Seed: 4})
	l := ts.do(t, ts.Example(byName(t, "GetListing"))).json(t)["listing"].(map[string]any)
	id, price := l["id"].(string), l["price_cents"].(string)
	body := fmt.Sprintf(`{"items":[{"id":%q,"price_cents_change":{"new_value":"%d","conditional_value":"%s","condition_operator":"CONDITION_OPERATOR_EQ"}},`+
		`{"id":%q,"price_cents_change":{"new_value":"%d","conditional_value":"100","condition_operator":1}}]}`, id, atoi(t, price)+100, price, id, atoi(t, price)+200)
	bid := ts.send(t, "POST", "/listings/batch_update", []byte(body)).json(t)["batch_id"].(string)
	testutil.WaitFor(t, "update batch", func() bool { return ts.get(t, "/listings/batch/"+bid).json(t)["status"] == "BATCH_STATUS_COMPLETED" })
	if b := ts.get(t, "/listings/batch/"+bid).json(t); b["failed"] != "1" {
		t.Errorf("batch = %v, want the unmet condition to fail", b)
	}
	got := ts.get(t, "/listings/"+id).json(t)["listing"].(map[string]any)["price_cents"]
	if got != fmt.Sprint(atoi(t, price)+100) {
		t.Errorf("price = %v, want %d", got, atoi(t, price)+100)
	}
}

func TestActivationNeedsPictures(t *testing.T) {
	ts := startServer(t, Config{Seed: 6})
	fc, info := ts.Failing(byName(t, "ActivateListing"))
	checkError(t, ts.do(t, fc), info.Status, info.Code, "PICTURE_TYPE_OUTER")
	id := strings.TrimSuffix(strings.TrimPrefix(fc.Path, "/api/v1/listings/"), "/activate")
	if st := ts.get(t, "/listings/"+id).json(t)["listing"].(map[string]any)["status"]; st != "LISTING_STATUS_INACTIVE" {
		t.Errorf("after a refused activation status = %v, want LISTING_STATUS_INACTIVE", st)
	}
	png := base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\nrest-of-image"))
	for _, q := range []url.Values{
		{"type": {"PICTURE_TYPE_OUTER"}, "url": {"https://example.com/o.jpg"}},
		{"type": {"PICTURE_TYPE_SIZE_TAG"}, "base64_data": {png}},
		{"type": {"PICTURE_TYPE_EXTRA"}, "order": {"1"}, "url": {"https://example.com/e1.jpg"}},
		{"type": {"PICTURE_TYPE_EXTRA"}, "order": {"2"}, "url": {"https://example.com/e2.jpg"}},
	} {
		q.Set("listing_id", id)
		if a := ts.do(t, Call{Method: "POST", Path: "/api/v1/pictures", Query: q}); a.status != 200 {
			t.Fatalf("upload %v = %d %s", q, a.status, a.body)
		}
	}
	a := ts.do(t, fc)
	if a.status != 200 {
		t.Fatalf("activation with pictures = %d %s, want 200", a.status, a.body)
	}
	l := a.json(t)["listing"].(map[string]any)
	if l["status"] != "LISTING_STATUS_ACTIVE" || l["activated_at"] == nil {
		t.Errorf("listing = %v, want active with activated_at", l)
	}
}

func TestOrderTransitions(t *testing.T) {
	ts := startServer(t, Config{Seed: 8})
	id := strings.TrimSuffix(strings.TrimPrefix(ts.Example(byName(t, "ConfirmOrder")).Path, "/api/v1/orders/"), "/confirm")
	steps := []struct {
		action, wantStatus string
		wantHTTP           int
	}{
		{"ship", "", 402},
		{"generate_label", "", 402},
		{"confirm", "ORDER_STATUS_CONFIRMED", 200},
		{"confirm", "", 402},
		{"regenerate_label", "", 402},
		{"generate_label", "ORDER_STATUS_LABEL_GENERATED", 200},
		{"regenerate_label?label_type=LABEL_TYPE_DROPOFF", "ORDER_STATUS_LABEL_GENERATED", 200},
		{"ship", "ORDER_STATUS_IN_TRANSIT", 200},
		{"cancel", "", 402},
	}
	for i, st := range steps {
		a := ts.send(t, "POST", "/orders/"+id+"/"+st.action, nil)
		if st.wantHTTP != 200 {
			checkError(t, a, 402, 9, "cannot be")
			continue
		}
		if a.status != 200 {
			t.Fatalf("step %d %s = %d %s", i, st.action, a.status, a.body)
		}
		o := a.json(t)["order"].(map[string]any)
		if o["status"] != st.wantStatus {
			t.Fatalf("step %d %s: status %v, want %s", i, st.action, o["status"], st.wantStatus)
		}
		if strings.HasPrefix(st.action, "regenerate") && (o["label_type"] != "LABEL_TYPE_DROPOFF" || o["label_courier"] != "FedEx") {
			t.Errorf("regenerated label = %v %v, want a dropoff label", o["label_type"], o["label_courier"])
		}
		if st.action == "ship" && (o["fulfillment_status"] != "FULFILLMENT_STATUS_SELLER_SHIPPED" || o["in_transit_at"] == nil) {
			t.Errorf("shipped order = %v", o)
		}
	}
	// The status facet sees the change.
	found := false
	q := "/orders?page_size=50&facet_filters=status:ORDER_STATUS_IN_TRANSIT"
	for _, o := range ts.get(t, q).json(t)["results"].([]any) {
		found = found || o.(map[string]any)["id"] == id
	}
	if !found {
		t.Errorf("%s does not list the shipped order", q)
	}
}

func TestWireShapes(t *testing.T) {
	ts := startServer(t, Config{Seed: 1})
	stamp := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	item := ts.get(t, "/catalog/"+dunk).json(t)["catalog_item"].(map[string]any)
	for _, k := range []string{"minimum_listing_price_cents", "maximum_listing_price_cents", "retail_price_cents"} {
		if _, ok := item[k].(string); !ok {
			t.Errorf("catalog_item.%s = %#v, want an int64 string", k, item[k])
		}
	}
	if item["sku"] != "DD1391 100" || !stamp.MatchString(item["release_date"].(string)) {
		t.Errorf("sku %v release_date %v", item["sku"], item["release_date"])
	}
	size := item["allowed_sizes"].([]any)[0].(map[string]any)
	if _, ok := size["value"].(float64); !ok {
		t.Errorf("allowed_sizes[0].value = %#v, want a number", size["value"])
	}
	// The search by dashed style code finds the spaced SKU.
	if n := len(ts.get(t, "/catalog?query=DD1391-100").json(t)["catalog_items"].([]any)); n != 1 {
		t.Errorf("search DD1391-100 found %d items, want 1", n)
	}

	variants := ts.get(t, "/pricing_insights/availabilities/"+dunk).json(t)["variants"].([]any)
	if len(variants) != 241 {
		t.Errorf("flagship has %d variants, want the observed 241", len(variants))
	}
	first := variants[0].(map[string]any)
	if first["size"] != 0.0 || first["product_condition"] != "PRODUCT_CONDITION_INVALID" {
		t.Errorf("first variant = %v, want the size-0 row", first)
	}
	if _, ok := first["consigned"]; ok {
		t.Error("consigned present without the filter")
	}
	withFilter := ts.get(t, "/pricing_insights/availabilities/"+dunk+"?consigned=false").json(t)["variants"].([]any)
	if c, ok := withFilter[5].(map[string]any)["consigned"]; !ok || c != false {
		t.Errorf("consigned with filter false = %v (present %v), want false", c, ok)
	}
	av := variants[13].(map[string]any)["availability"].(map[string]any)
	if len(av) != 4 {
		t.Errorf("availability has %d fields, want exactly 4", len(av))
	}
	for k, v := range av {
		if _, ok := v.(string); !ok {
			t.Errorf("availability.%s = %#v, want a string", k, v)
		}
	}
	l := ts.get(t, "/listings?page_size=50&facet_filters=status:pending").json(t)["listings"].([]any)[0].(map[string]any)
	if l["activated_at"] != nil || l["additional_defects"] == nil || l["defects"] == nil || l["metadata"] == nil {
		t.Errorf("pending listing = %v, want null activated_at and present zero values", l)
	}
	if !stamp.MatchString(l["created_at"].(string)) {
		t.Errorf("created_at = %v", l["created_at"])
	}
	b := ts.do(t, ts.Example(byName(t, "GetBatch"))).json(t)
	if _, wrapped := b["batch"]; wrapped || b["queued"] != "60" {
		t.Errorf("GetBatch = %v, want the unwrapped batch with queued \"60\"", b)
	}
}

func TestDeterminism(t *testing.T) {
	a := startServer(t, Config{Seed: 42})
	b := startServer(t, Config{Seed: 42})
	c := startServer(t, Config{Seed: 43})
	paths := []string{
		"/catalog?query=jordan", "/listings?page_size=50", "/orders?page_size=50", "/listings/batch",
		"/pricing_insights/availabilities/" + dunk + "?region_id=2", "/pricing_insights/recent_sales?catalog_id=" + dunk + "&size=9&product_condition=1&packaging_condition=1&limit=50",
		"/pricing_insights/offer_histogram?catalog_id=" + dunk + "&size=9&product_condition=1&packaging_condition=1",
	}
	differs := false
	for _, p := range paths {
		ba, bb := a.get(t, p), b.get(t, p)
		if string(ba.body) != string(bb.body) || ba.header.Get("ETag") != bb.header.Get("ETag") {
			t.Errorf("GET %s differs between two servers with seed 42", p)
		}
		if ba.header.Get("x-request-id") == bb.header.Get("x-request-id") {
			t.Errorf("GET %s: request ids repeat", p)
		}
		differs = differs || string(ba.body) != string(c.get(t, p).body)
	}
	if !differs {
		t.Error("seed 43 gives the same bodies as seed 42")
	}
	// The same writes give the same ids.
	create := "/listings?catalog_id=" + dunk + "&price_cents=15000&condition=1&packaging_condition=1&size=10&size_unit=1"
	ia := a.send(t, "POST", create, nil).json(t)["listing"].(map[string]any)["id"]
	ib := b.send(t, "POST", create, nil).json(t)["listing"].(map[string]any)["id"]
	if ia != ib {
		t.Errorf("created ids %v and %v differ for the same seed", ia, ib)
	}
}

func TestConcurrentRequests(t *testing.T) {
	ts := startServer(t, Config{Seed: 9, BatchStep: 5 * time.Millisecond})
	var wg sync.WaitGroup
	errs := make(chan string, 200)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				e := allEndpoints[(g*10+i)%len(allEndpoints)]
				a, err := ts.try(ts.Example(e), ts.token)
				if err != nil {
					errs <- err.Error()
					continue
				}
				// Concurrent writers can race for the same target (two
				// confirms of one order); anything but 5xx is fine.
				if a.status >= 500 {
					errs <- fmt.Sprintf("%s: %d %s", e.Name, a.status, a.body)
				}
				if _, err := ts.try(ts.Example(byName(t, "SearchListings")), ts.token); err != nil {
					errs <- err.Error()
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if got := ts.Requests(); got != 160 {
		t.Errorf("Requests() = %d, want 160", got)
	}
}
