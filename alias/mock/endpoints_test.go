package mock

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aliasd/aliasd/alias"
)

// topKeys are the documented top-level keys of each 200 body
// (alias-api.md §4).
var topKeys = map[string][]string{
	"Test":                    {"ok"},
	"SearchCatalog":           {"catalog_items", "next_pagination_token", "has_more"},
	"GetCatalogItem":          {"catalog_item"},
	"ListAvailabilities":      {"variants"},
	"GetAvailability":         {"availability"},
	"GetOfferHistogram":       {"offer_histogram"},
	"ListRecentSales":         {"recent_sales"},
	"SearchListings":          {"listings", "pagination"},
	"CreateListing":           {"listing"},
	"GetListing":              {"listing"},
	"UpdateListing":           {"listing"},
	"DeleteListing":           {"id"},
	"ActivateListing":         {"listing"},
	"DeactivateListing":       {"listing"},
	"CreateListingMetadata":   {"listing"},
	"DeleteListingMetadata":   {"listing"},
	"CreatePicture":           {"picture"},
	"DeletePicture":           {"id"},
	"SearchOrders":            {"results", "pagination"},
	"GetOrder":                {"order"},
	"CancelOrder":             {"order"},
	"ConfirmOrder":            {"order"},
	"GenerateLabel":           {"order"},
	"RegenerateLabel":         {"order"},
	"ShipOrder":               {"order"},
	"ListBatches":             {"batches", "next_pagination_token", "has_more"},
	"GetBatch":                {"id", "status", "type", "queued", "processed", "failed", "created_at", "processed_at", "completed_at"},
	"BatchActivateListings":   {"batch_id", "status"},
	"BatchCreateListings":     {"batch_id", "status"},
	"BatchDeactivateListings": {"batch_id", "status"},
	"BatchDeleteListings":     {"batch_id", "status"},
	"GetBatchOperationQuota":  {"used_operation_quota", "max_operation_quota"},
	"GetBatchOperations":      {"id", "operations", "pagination_token"},
	"BatchUpdateListings":     {"batch_id", "status"},
}

func TestHandlersCoverCatalog(t *testing.T) {
	for _, e := range alias.Endpoints {
		if handlers[e.Name] == nil {
			t.Errorf("endpoint %s has no handler", e.Name)
		}
		if topKeys[e.Name] == nil {
			t.Errorf("endpoint %s has no documented keys in the test table", e.Name)
		}
	}
	if len(handlers) != len(alias.Endpoints) {
		t.Errorf("%d handlers for %d endpoints", len(handlers), len(alias.Endpoints))
	}
}

// TestEveryEndpoint walks the catalog: each endpoint's Example succeeds
// with the documented shape, and its Failing call gets the documented
// error, with the error model and a request id.
func TestEveryEndpoint(t *testing.T) {
	ts := startServer(t, Config{Seed: 7})
	for _, e := range alias.Endpoints {
		t.Run(e.Name, func(t *testing.T) {
			c := ts.Example(e)
			if c.Method != e.Method || !strings.HasPrefix(c.Path, alias.PathPrefix+"/") || strings.Contains(c.Path, "{") {
				t.Fatalf("Example(%s) = %s %s, want a concrete %s path", e.Name, c.Method, c.Path, e.Method)
			}
			if m, _, ok := alias.Match(c.Method, c.Path); !ok || m != e {
				t.Fatalf("Example(%s) path %s routes to %v", e.Name, c.Path, m)
			}
			a := ts.do(t, c)
			if a.status != 200 {
				t.Fatalf("Example(%s) = %d %s, want 200", e.Name, a.status, a.body)
			}
			checkRequestID(t, a)
			got := keysOf(a.json(t))
			want := slices.Clone(topKeys[e.Name])
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("Example(%s) keys = %v, want %v", e.Name, got, want)
			}

			fc, info := ts.Failing(e)
			if m, _, ok := alias.Match(fc.Method, fc.Path); !ok || m != e {
				t.Fatalf("Failing(%s) path %s routes to %v", e.Name, fc.Path, m)
			}
			fa := ts.do(t, fc)
			checkError(t, fa, info.Status, info.Code, info.Message)
		})
	}
}

func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestExamplesRepeat: each Example can be called again after the state
// changed (write examples pick fresh targets).
func TestExamplesRepeat(t *testing.T) {
	ts := startServer(t, Config{Seed: 3})
	for round := 0; round < 3; round++ {
		for _, e := range alias.Endpoints {
			if a := ts.do(t, ts.Example(e)); a.status != 200 {
				t.Fatalf("round %d: Example(%s) = %d %s, want 200", round, e.Name, a.status, a.body)
			}
		}
	}
}

func TestFailingChangesNothing(t *testing.T) {
	ts := startServer(t, Config{Seed: 5})
	before := ts.get(t, "/listings?page_size=50").body
	orders := ts.get(t, "/orders?page_size=50").body
	for _, e := range alias.Endpoints {
		if e.Name == "ActivateListing" {
			continue // documented to revert the listing to inactive
		}
		c, _ := ts.Failing(e)
		ts.do(t, c)
	}
	if after := ts.get(t, "/listings?page_size=50").body; string(after) != string(before) {
		t.Error("failing calls changed the listings")
	}
	if after := ts.get(t, "/orders?page_size=50").body; string(after) != string(orders) {
		t.Error("failing calls changed the orders")
	}
}
