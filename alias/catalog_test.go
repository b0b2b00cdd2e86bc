package alias

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		method, path string
		want         string
		params       map[string]string
	}{
		{"GET", "/catalog", "SearchCatalog", nil},
		{"GET", "/api/v1/catalog/dunk-low", "GetCatalogItem", map[string]string{"id": "dunk-low"}},
		{"GET", "/listings/batch", "ListBatches", nil},
		{"GET", "/listings/batch/b1", "GetBatch", map[string]string{"id": "b1"}},
		{"GET", "/listings/batch_operation/quota", "GetBatchOperationQuota", nil},
		{"GET", "/listings/batch_operations/b1", "GetBatchOperations", map[string]string{"id": "b1"}},
		{"POST", "/listings/batch_activate", "BatchActivateListings", nil},
		{"DELETE", "/listings/batch_delete", "BatchDeleteListings", nil},
		{"POST", "/listings/batch_update", "BatchUpdateListings", nil},
		{"POST", "/listings/batch_create", "BatchCreateListings", nil},
		{"POST", "/listings/batch_deactivate", "BatchDeactivateListings", nil},
		{"GET", "/listings/L1", "GetListing", map[string]string{"id": "L1"}},
		{"POST", "/listings/L1", "UpdateListing", map[string]string{"id": "L1"}},
		{"POST", "/listings/L1/metadata", "CreateListingMetadata", map[string]string{"listing_id": "L1"}},
		{"GET", "/pricing_insights/availabilities/x", "ListAvailabilities", map[string]string{"catalog_id": "x"}},
		{"POST", "orders/o1/ship", "ShipOrder", map[string]string{"id": "o1"}},
		{"GET", "/test/", "Test", nil},
		{"GET", "/regions", "", nil},
		{"PATCH", "/listings/L1", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			e, params, ok := Match(tt.method, tt.path)
			if tt.want == "" {
				if ok {
					t.Fatalf("Match(%s %s) = %s, want no match", tt.method, tt.path, e.Name)
				}
				return
			}
			if !ok || e.Name != tt.want {
				t.Fatalf("Match(%s %s) = %v, want %s", tt.method, tt.path, e, tt.want)
			}
			for k, v := range tt.params {
				if params[k] != v {
					t.Errorf("param %s = %q, want %q", k, params[k], v)
				}
			}
		})
	}
}

func TestCatalogWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range Endpoints {
		key := e.Method + " " + e.Path
		if seen[key] {
			t.Errorf("duplicate endpoint %s", key)
		}
		seen[key] = true
		if !strings.HasPrefix(e.Path, PathPrefix+"/") {
			t.Errorf("%s: path %q lacks %s", e.Name, e.Path, PathPrefix)
		}
		if e.Summary == "" || e.Scope == "" {
			t.Errorf("%s: summary or scope missing", e.Name)
		}
		for _, seg := range strings.Split(e.Path, "/") {
			if name, ok := paramName(seg); ok {
				p := e.Param(name)
				if p == nil || p.In != InPath || !p.Required {
					t.Errorf("%s: path segment {%s} has no required path param", e.Name, name)
				}
			}
		}
		for _, p := range e.Params {
			if p.Type == TypeEnum && len(p.Enum) == 0 {
				t.Errorf("%s: enum param %s has no values", e.Name, p.Name)
			}
		}
		if e.Method != "GET" && e.Cache != CacheNone {
			t.Errorf("%s: a write has cache class %q", e.Name, e.Cache)
		}
		if e.Method != "GET" && len(e.Invalidates) == 0 {
			t.Errorf("%s: a write invalidates nothing", e.Name)
		}
	}
	if len(Endpoints) != 34 { // §4: 1 test, 2 catalog, 4 pricing, 11 listings, 7 orders, 9 batch
		t.Errorf("catalog has %d endpoints, want every documented one", len(Endpoints))
	}
}

func TestInvalidated(t *testing.T) {
	e := ByName("UpdateListing")
	got := e.Invalidated(map[string]string{"id": "L9"})
	want := []string{"/api/v1/listings/L9", "/api/v1/listings"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("Invalidated = %v, want %v", got, want)
	}
}

func TestNearest(t *testing.T) {
	for path, want := range map[string]string{
		"/catalogs":                     "/api/v1/catalog",
		"/pricing_insight/availability": "/api/v1/pricing_insights/availability",
		"/listing/abc":                  "/api/v1/listings/{id}",
	} {
		if got := Nearest(path); got == nil || got.Path != want {
			t.Errorf("Nearest(%q) = %v, want %s", path, got, want)
		}
	}
}
