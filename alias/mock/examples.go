package mock

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/aliasd/aliasd/alias"
)

// Call is one concrete API call, ready to send.
type Call struct {
	Method string
	// Path is the concrete path including /api/v1, e.g.
	// /api/v1/listings/4f1c…/activate.
	Path  string
	Query url.Values
	// Body is the JSON body of batch_create and batch_update, else nil.
	Body []byte
	// Token, when not empty, is the bearer token to send instead of a
	// configured one: a few failures need an unknown token (Test and
	// GetBatchOperationQuota have no parameter to get wrong).
	Token string
}

// URL joins the call onto a base URL such as Start's
// http://127.0.0.1:PORT/api/v1 (the base's own path is replaced).
func (c Call) URL(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base + strings.TrimPrefix(c.Path, alias.PathPrefix)
	}
	u.Path, u.RawQuery = c.Path, c.Query.Encode()
	return u.String()
}

// Request builds the HTTP request with a bearer token (c.Token wins over
// token) and a JSON content type when there is a body.
func (c Call) Request(ctx context.Context, base, token string) (*http.Request, error) {
	var body io.Reader
	if c.Body != nil {
		body = bytes.NewReader(c.Body)
	}
	req, err := http.NewRequestWithContext(ctx, c.Method, c.URL(base), body)
	if err != nil {
		return nil, fmt.Errorf("building %s %s: %w", c.Method, c.Path, err)
	}
	if c.Token != "" {
		token = c.Token
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if c.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// FailureInfo is the documented error a Failing call gets.
type FailureInfo struct {
	Status int // HTTP status
	Code   int // gRPC code in the error body
	// Message is a substring of the error message.
	Message string
}

// unknownID is an id no seeded or created resource has (ids come from a
// seeded generator that never yields the all-zero UUID).
const unknownID = "00000000-0000-4000-8000-000000000000"

// unknownToken returns a bearer token that is not configured.
func (s *Server) unknownToken() string {
	tok := "mock_unregistered_" + strings.Repeat("0", 24)
	for {
		if _, taken := s.tokens[tok]; !taken {
			return tok
		}
		tok += "0"
	}
}

func (s *Server) flagship() *catalogItem { return s.st.catalogByID[flagshipID] }

// firstListing returns the oldest listing satisfying ok (last when
// fromEnd), or nil.
func (s *Server) firstListing(fromEnd bool, ok func(*listing) bool) *listing {
	ls := s.listingsSorted()
	if fromEnd {
		for i, j := 0, len(ls)-1; i < j; i, j = i+1, j-1 {
			ls[i], ls[j] = ls[j], ls[i]
		}
	}
	for _, l := range ls {
		if ok(l) {
			return l
		}
	}
	return nil
}

func (s *Server) firstOrder(fromEnd bool, statuses ...string) *order {
	os := s.ordersSorted()
	if fromEnd {
		for i, j := 0, len(os)-1; i < j; i, j = i+1, j-1 {
			os[i], os[j] = os[j], os[i]
		}
	}
	for _, st := range statuses {
		for _, o := range os {
			if o.Status == st {
				return o
			}
		}
	}
	return nil
}

func notSold(l *listing) bool { return l.Status != listingSold }

func idOf[T interface{ *listing | *order }](x T) string {
	switch v := any(x).(type) {
	case *listing:
		if v != nil {
			return v.ID
		}
	case *order:
		if v != nil {
			return v.ID
		}
	}
	return unknownID
}

func (s *Server) oldestBatch() *batch {
	var best *batch
	for _, b := range s.st.batches {
		if best == nil || b.seq < best.seq {
			best = b
		}
	}
	return best
}

// Example returns a call to e that succeeds against the server's current
// state (seeded plus whatever happened since). Write examples consume
// state: ConfirmOrder needs an unconfirmed order, DeleteListing a listing,
// DeletePicture a picture; the seed has enough for dozens of calls each.
// It panics for an endpoint the catalog does not have.
func (s *Server) Example(e *alias.Endpoint) Call {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := Call{Method: e.Method, Query: url.Values{}}
	path := map[string]string{}
	fl := s.flagship()
	variant := func() {
		c.Query.Set("catalog_id", fl.CatalogID)
		c.Query.Set("size", "10")
		c.Query.Set("product_condition", "PRODUCT_CONDITION_NEW")
		c.Query.Set("packaging_condition", "PACKAGING_CONDITION_GOOD_CONDITION")
	}
	switch e.Name {
	case "Test", "ListBatches", "GetBatchOperationQuota":
	case "SearchCatalog":
		c.Query.Set("query", "dunk low")
	case "GetCatalogItem":
		path["id"] = fl.CatalogID
	case "ListAvailabilities":
		path["catalog_id"] = fl.CatalogID
	case "GetAvailability", "GetOfferHistogram":
		variant()
	case "ListRecentSales":
		variant()
		c.Query.Set("limit", "20")
	case "SearchListings", "SearchOrders":
		c.Query.Set("page_size", "10")
	case "CreateListing":
		c.Query.Set("catalog_id", fl.CatalogID)
		c.Query.Set("price_cents", "15000")
		c.Query.Set("condition", "CONDITION_NEW")
		c.Query.Set("packaging_condition", "PACKAGING_CONDITION_GOOD_CONDITION")
		c.Query.Set("size", "10")
		c.Query.Set("size_unit", "SIZE_UNIT_US")
		c.Query.Set("activate", "true")
		c.Query.Set("metadata[source]", "example")
	case "GetListing":
		path["id"] = idOf(s.firstListing(false, func(*listing) bool { return true }))
	case "UpdateListing":
		l := s.firstListing(false, func(l *listing) bool {
			return notSold(l) && l.PriceCents+1000 <= s.st.catalogByID[l.CatalogID].MaximumListingPriceCents
		})
		path["id"] = idOf(l)
		if l != nil {
			c.Query.Set("price_cents", strconv.FormatInt(l.PriceCents+1000, 10))
		}
	case "DeleteListing":
		path["id"] = idOf(s.firstListing(true, notSold))
	case "ActivateListing":
		l := s.firstListing(false, func(l *listing) bool {
			return l.Status != listingSold && l.Status != listingActive && len(s.missingPictures(l)) == 0
		})
		if l == nil {
			l = s.firstListing(false, func(l *listing) bool { return l.Status == listingActive })
		}
		path["id"] = idOf(l)
	case "DeactivateListing":
		path["id"] = idOf(s.firstListing(false, func(l *listing) bool { return l.Status == listingActive }))
	case "CreateListingMetadata":
		path["listing_id"] = idOf(s.firstListing(false, notSold))
		c.Query.Set("metadata[example_key]", "example value")
	case "DeleteListingMetadata":
		l := s.firstListing(false, func(l *listing) bool { return len(l.Metadata) > 0 })
		key := "example_key"
		if l != nil {
			keys := make([]string, 0, len(l.Metadata))
			for k := range l.Metadata {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			key = keys[0]
		} else {
			l = s.firstListing(false, notSold)
		}
		path["listing_id"] = idOf(l)
		c.Query.Set("keys", key)
	case "CreatePicture":
		c.Query.Set("listing_id", idOf(s.firstListing(false, notSold)))
		c.Query.Set("type", "PICTURE_TYPE_OUTER")
		c.Query.Set("url", "https://example.com/pictures/outer.jpg")
	case "DeletePicture":
		ids := make([]string, 0, len(s.st.pictures))
		for id := range s.st.pictures {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		path["id"] = unknownID
		if len(ids) > 0 {
			path["id"] = ids[0]
		}
	case "GetOrder":
		path["id"] = idOf(s.firstOrder(false, orderNew, orderConfirmed, orderLabel, orderInTransit, orderCompleted, orderCanceled))
	case "CancelOrder":
		path["id"] = idOf(s.firstOrder(true, orderNew, orderConfirmed, orderLabel))
	case "ConfirmOrder":
		path["id"] = idOf(s.firstOrder(false, orderNew))
	case "GenerateLabel":
		path["id"] = idOf(s.firstOrder(false, orderConfirmed))
		c.Query.Set("label_type", "LABEL_TYPE_SHIPPING")
	case "RegenerateLabel":
		path["id"] = idOf(s.firstOrder(false, orderLabel))
		c.Query.Set("label_type", "LABEL_TYPE_DROPOFF")
	case "ShipOrder":
		path["id"] = idOf(s.firstOrder(true, orderLabel))
	case "GetBatch":
		path["id"] = s.oldestBatch().ID
	case "GetBatchOperations":
		path["id"] = s.oldestBatch().ID
		c.Query.Set("limit", "25")
	case "BatchActivateListings", "BatchDeactivateListings":
		for _, l := range s.listingsSorted() {
			if notSold(l) && len(s.missingPictures(l)) == 0 && len(c.Query["ids"]) < 3 {
				c.Query.Add("ids", l.ID)
			}
		}
	case "BatchDeleteListings":
		c.Query.Add("ids", idOf(s.firstListing(true, notSold)))
	case "BatchCreateListings":
		c.Body = []byte(`{"items":[{"catalog_id":"` + fl.CatalogID + `","activate":true,"size_unit":"SIZE_UNIT_US",` +
			`"condition":"CONDITION_NEW","packaging_condition":"PACKAGING_CONDITION_GOOD_CONDITION",` +
			`"metadata_list":[{"bin":"A1"},{"bin":"A2"}],"price_cents":"15000","size":10.5,"quantity":"2"}]}`)
	case "BatchUpdateListings":
		l := s.firstListing(false, func(l *listing) bool {
			return notSold(l) && l.PriceCents+1000 <= s.st.catalogByID[l.CatalogID].MaximumListingPriceCents
		})
		price := int64(20000)
		if l != nil {
			price = l.PriceCents + 1000
		}
		c.Body = []byte(fmt.Sprintf(`{"items":[{"id":%q,"price_cents_change":{"new_value":"%d","condition_operator":"CONDITION_OPERATOR_EQ"}}]}`, idOf(l), price))
	default:
		panic("mock: Example: unknown endpoint " + e.Name)
	}
	c.Path = e.Expand(path)
	return c
}

// Failing returns a call to e that fails with a documented error, and
// that error: a missing required parameter (400 code 3 "Missing
// parameter: input.…"), an unknown id (404 code 5), a business-rule
// refusal (402 code 9, e.g. activating a listing whose required pictures
// are missing), a page size over the maximum (400), or, for endpoints
// without parameters, an unknown token (401 code 16). Failing calls change
// no state except ActivateListing's, which reverts the listing to
// inactive as the API does. It panics for an endpoint the catalog does
// not have.
func (s *Server) Failing(e *alias.Endpoint) (Call, FailureInfo) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := Call{Method: e.Method, Query: url.Values{}}
	path := map[string]string{}
	missing := func(param string) FailureInfo {
		return FailureInfo{Status: 400, Code: codeInvalidArgument, Message: "Missing parameter: input." + goFieldName(param)}
	}
	notFound := FailureInfo{Status: 404, Code: codeNotFound, Message: "not found"}
	refused := FailureInfo{Status: 402, Code: codeFailedPrecondition, Message: "cannot be"}
	invalid := func(msg string) FailureInfo { return FailureInfo{Status: 400, Code: codeInvalidArgument, Message: msg} }
	fl := s.flagship()
	completed := idOf(s.firstOrder(false, orderCompleted))
	var info FailureInfo
	switch e.Name {
	case "Test", "GetBatchOperationQuota":
		c.Token = s.unknownToken()
		info = FailureInfo{Status: 401, Code: codeUnauthenticated, Message: "invalid or unknown personal access token"}
	case "SearchCatalog":
		info = missing("query")
	case "GetCatalogItem":
		path["id"] = "no-such-sneaker-xx0000-000"
		info = notFound
	case "ListAvailabilities":
		path["catalog_id"] = "no-such-sneaker-xx0000-000"
		info = notFound
	case "GetAvailability":
		c.Query.Set("catalog_id", fl.CatalogID)
		c.Query.Set("product_condition", "PRODUCT_CONDITION_NEW")
		c.Query.Set("packaging_condition", "PACKAGING_CONDITION_GOOD_CONDITION")
		info = missing("size")
	case "GetOfferHistogram":
		c.Query.Set("catalog_id", fl.CatalogID)
		c.Query.Set("size", "10")
		c.Query.Set("product_condition", "PRODUCT_CONDITION_INVALID")
		c.Query.Set("packaging_condition", "PACKAGING_CONDITION_GOOD_CONDITION")
		info = missing("product_condition")
	case "ListRecentSales":
		c.Query.Set("catalog_id", fl.CatalogID)
		c.Query.Set("consigned", "false")
		info = missing("size") // the observed answer to the catalog-wide mode
	case "SearchListings":
		c.Query.Set("page_size", "51")
		info = invalid("at most 50")
	case "CreateListing":
		c.Query.Set("catalog_id", fl.CatalogID)
		c.Query.Set("price_cents", "15050")
		c.Query.Set("condition", "CONDITION_NEW")
		c.Query.Set("packaging_condition", "PACKAGING_CONDITION_GOOD_CONDITION")
		c.Query.Set("size", "10")
		c.Query.Set("size_unit", "SIZE_UNIT_US")
		info = invalid("whole dollars")
	case "GetListing", "DeleteListing", "DeactivateListing":
		path["id"] = unknownID
		info = notFound
	case "UpdateListing":
		path["id"] = idOf(s.firstListing(false, notSold))
		c.Query.Set("price_cents", "12345")
		info = invalid("whole dollars")
	case "ActivateListing":
		path["id"] = idOf(s.firstListing(false, func(l *listing) bool { return notSold(l) && len(s.missingPictures(l)) > 0 }))
		info = refused
		info.Message = "required pictures missing"
	case "CreateListingMetadata":
		path["listing_id"] = idOf(s.firstListing(false, notSold))
		info = missing("metadata")
	case "DeleteListingMetadata":
		path["listing_id"] = idOf(s.firstListing(false, notSold))
		info = missing("keys")
	case "CreatePicture":
		c.Query.Set("listing_id", idOf(s.firstListing(false, notSold)))
		c.Query.Set("type", "PICTURE_TYPE_OUTER")
		c.Query.Set("url", "https://example.com/pictures/outer.jpg")
		c.Query.Set("base64_data", "iVBORw0KGgo=")
		info = invalid("exactly one of")
	case "DeletePicture", "GetOrder", "GetBatch":
		path["id"] = unknownID
		info = notFound
	case "SearchOrders":
		c.Query.Add("facet_filters", "status:ORDER_STATUS_CONFIRMED")
		c.Query.Add("facet_filters", "fulfillment_status:FULFILLMENT_STATUS_DELIVERED")
		info = invalid("only one facet type")
	case "CancelOrder", "ConfirmOrder", "GenerateLabel", "RegenerateLabel", "ShipOrder":
		path["id"] = completed
		info = refused
	case "ListBatches":
		c.Query.Set("status", "BATCH_STATUS_INVALID")
		info = invalid("not an allowed value")
	case "BatchActivateListings", "BatchDeleteListings":
		info = missing("ids")
	case "BatchDeactivateListings":
		for i := 0; i <= maxBatchItems; i++ {
			c.Query.Add("ids", fmt.Sprintf("listing-%04d", i))
		}
		info = invalid("at most 1000")
	case "BatchCreateListings":
		info = missing("items")
	case "BatchUpdateListings":
		c.Body = []byte(`{"items":[{"price_cents_change":{"new_value":"20000"}}]}`)
		info = missing("items[0].id")
	case "GetBatchOperations":
		path["id"] = s.oldestBatch().ID
		c.Query.Set("limit", "501")
		info = invalid("at most 500")
	default:
		panic("mock: Failing: unknown endpoint " + e.Name)
	}
	c.Path = e.Expand(path)
	return c, info
}
