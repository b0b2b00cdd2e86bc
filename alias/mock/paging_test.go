package mock

import (
	"net/url"
	"testing"
)

// walk follows one resource's pages until its end signal and returns the
// ids of every item seen, failing on a repeated token or too many pages.
func walk(t *testing.T, ts *testServer, path string, q url.Values, items string, next func(map[string]any) (string, bool), id func(map[string]any) string) []string {
	t.Helper()
	var ids []string
	seenTokens := map[string]bool{}
	for page := 0; ; page++ {
		if page > 100 {
			t.Fatalf("%s: more than 100 pages", path)
		}
		a := ts.get(t, path+"?"+q.Encode())
		if a.status != 200 {
			t.Fatalf("%s page %d = %d %s", path, page, a.status, a.body)
		}
		body := a.json(t)
		for _, it := range body[items].([]any) {
			ids = append(ids, id(it.(map[string]any)))
		}
		tok, more := next(body)
		if !more {
			if tok != "" {
				t.Errorf("%s: last page has token %q, want empty", path, tok)
			}
			return ids
		}
		if tok == "" || seenTokens[tok] {
			t.Fatalf("%s: page %d says more with token %q (seen before: %v)", path, page, tok, seenTokens[tok])
		}
		seenTokens[tok] = true
		q.Set("pagination_token", tok)
	}
}

func field(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		v = v.(map[string]any)[p]
	}
	return v
}

func byID(key string) func(map[string]any) string {
	return func(m map[string]any) string { return m[key].(string) }
}

func checkOnce(t *testing.T, ids []string, want int) {
	t.Helper()
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("item %s seen twice", id)
		}
		seen[id] = true
	}
	if len(ids) != want {
		t.Errorf("walk collected %d items, want %d", len(ids), want)
	}
}

func TestPaginationWalks(t *testing.T) {
	ts := startServer(t, Config{Seed: 11})
	batch := ts.Example(byName(t, "GetBatchOperations")).Path[len("/api/v1/listings/batch_operations/"):]

	t.Run("catalog", func(t *testing.T) {
		q := url.Values{"query": {"nike"}, "limit": {"4"}}
		all := ts.get(t, "/catalog?query=nike").json(t)["catalog_items"].([]any)
		ids := walk(t, ts, "/catalog", q, "catalog_items", func(b map[string]any) (string, bool) {
			return b["next_pagination_token"].(string), b["has_more"].(bool)
		}, byID("catalog_id"))
		checkOnce(t, ids, len(all))
		if len(all) <= 4 {
			t.Fatalf("query matched %d items; the walk must span pages", len(all))
		}
	})
	t.Run("listings", func(t *testing.T) {
		var total string
		ids := walk(t, ts, "/listings", url.Values{"page_size": {"50"}}, "listings", func(b map[string]any) (string, bool) {
			total = field(b, "pagination", "total_count").(string)
			return field(b, "pagination", "pagination_token").(string), field(b, "pagination", "has_more").(bool)
		}, byID("id"))
		checkOnce(t, ids, seedListings)
		if total != "120" {
			t.Errorf("total_count = %q, want \"120\"", total)
		}
	})
	t.Run("listings filtered and sorted", func(t *testing.T) {
		q := url.Values{"page_size": {"7"}, "facet_filters": {"status: active"}, "order.sort_by": {"SEARCH_LISTING_REQUEST_ORDER_SORT_BY_PRICE"}}
		first := ts.get(t, "/listings?"+q.Encode()).json(t)
		want := field(first, "pagination", "total_count").(string)
		var prices []string
		ids := walk(t, ts, "/listings", q, "listings", func(b map[string]any) (string, bool) {
			for _, l := range b["listings"].([]any) {
				if st := l.(map[string]any)["status"]; st != "LISTING_STATUS_ACTIVE" {
					t.Errorf("status facet let %v through", st)
				}
				prices = append(prices, l.(map[string]any)["price_cents"].(string))
			}
			return field(b, "pagination", "pagination_token").(string), field(b, "pagination", "has_more").(bool)
		}, byID("id"))
		checkOnce(t, ids, atoi(t, want))
		for i := 1; i < len(prices); i++ {
			if atoi(t, prices[i]) < atoi(t, prices[i-1]) {
				t.Fatalf("prices not ascending: %s after %s", prices[i], prices[i-1])
			}
		}
	})
	t.Run("orders", func(t *testing.T) {
		ids := walk(t, ts, "/orders", url.Values{"page_size": {"25"}}, "results", func(b map[string]any) (string, bool) {
			tok := field(b, "pagination", "next_page_token").(string)
			return tok, tok != ""
		}, byID("id"))
		checkOnce(t, ids, seedOrders)
	})
	t.Run("batches", func(t *testing.T) {
		ids := walk(t, ts, "/listings/batch", url.Values{}, "batches", func(b map[string]any) (string, bool) {
			return b["next_pagination_token"].(string), b["has_more"].(bool)
		}, byID("id"))
		checkOnce(t, ids, seedBatches)
	})
	t.Run("batch operations", func(t *testing.T) {
		n := 0
		walk(t, ts, "/listings/batch_operations/"+batch, url.Values{"limit": {"25"}}, "operations", func(b map[string]any) (string, bool) {
			tok := b["pagination_token"].(string)
			return tok, tok != ""
		}, func(m map[string]any) string {
			n++
			return m["create_listing_result"].(map[string]any)["listing"].(map[string]any)["id"].(string)
		})
		if n != bigBatchOps {
			t.Errorf("walk collected %d operations, want %d", n, bigBatchOps)
		}
	})
	t.Run("token bound to its query", func(t *testing.T) {
		b := ts.get(t, "/listings?page_size=5").json(t)
		tok := field(b, "pagination", "pagination_token").(string)
		checkError(t, ts.get(t, "/listings?page_size=5&search_term=dunk&pagination_token="+tok), 400, 3, "pagination token")
		checkError(t, ts.get(t, "/orders?pagination_token="+tok), 400, 3, "pagination token")
	})
}
