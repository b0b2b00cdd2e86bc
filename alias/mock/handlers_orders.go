package mock

import (
	"sort"
	"strings"
	"time"

	"github.com/aliasd/aliasd/alias"
)

// orderStatuses are the statuses the mock uses: the published five plus
// its stand-in for an order awaiting confirmation.
var orderStatuses = append([]string{orderNew}, alias.OrderStatuses...)

func (s *Server) findOrder(id string) (*order, *apiError) {
	o, ok := s.st.orders[id]
	if !ok {
		return nil, errNotFound("order", id)
	}
	return o, nil
}

func orderReply(o *order) any { return map[string]any{"order": o} }

func (s *Server) handleSearchOrders(c *call) (any, *apiError) {
	in := c.in
	size, aerr := in.pageSize("page_size", alias.PagerOrders.DefaultSize, alias.PagerOrders.MaxSize, false)
	if aerr != nil {
		return nil, aerr
	}
	facetKind := ""
	want := map[string]bool{}
	for _, f := range in.vals["facet_filters"] {
		key, val, ok := strings.Cut(f, ":")
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		var values []string
		switch key {
		case "status":
			values = orderStatuses
		case "fulfillment_status":
			values = alias.FulfillmentStatuses
		}
		if !ok || values == nil {
			return nil, errInvalid("facet_filters", "%q: want status:ORDER_STATUS_… or fulfillment_status:FULFILLMENT_STATUS_…", f)
		}
		if facetKind != "" && facetKind != key {
			return nil, errInvalid("facet_filters", "only one facet type per request (got %s and %s)", facetKind, key)
		}
		facetKind = key
		name, aerr := enum("facet_filters", val, values, true)
		if aerr != nil {
			return nil, errInvalid("facet_filters", "%q: unknown %s", f, key)
		}
		want[name] = true
	}
	query := strings.ToLower(strings.TrimSpace(in.str("query")))
	fp := fingerprint(query, strings.Join(in.vals["facet_filters"], "\x01"))
	offset, aerr := pageOffset("orders", in.str("pagination_token"), fp)
	if aerr != nil {
		return nil, aerr
	}
	matches := []*order{}
	for _, o := range s.ordersSorted() {
		if query != "" {
			hay := strings.ToLower(strings.Join([]string{o.ID, o.CatalogID, o.CatalogName, o.CatalogBrand, o.CatalogSKU,
				strings.ReplaceAll(o.CatalogSKU, " ", "-"), o.PurchaseOrderNumber, o.ListingID}, " "))
			if !strings.Contains(hay, query) {
				continue
			}
		}
		switch facetKind {
		case "status":
			if !want[o.Status] {
				continue
			}
		case "fulfillment_status":
			if !want[o.FulfillmentStatus] {
				continue
			}
		}
		matches = append(matches, o)
	}
	lo, hi, more := window(len(matches), offset, size)
	next := ""
	if more {
		next = pageToken("orders", hi, fp)
	}
	return struct {
		Results    []*order `json:"results"`
		Pagination struct {
			NextPageToken string `json:"next_page_token"`
		} `json:"pagination"`
	}{Results: matches[lo:hi], Pagination: struct {
		NextPageToken string `json:"next_page_token"`
	}{next}}, nil
}

// ordersSorted returns orders newest sale first, id as the tie-break.
func (s *Server) ordersSorted() []*order {
	out := make([]*order, 0, len(s.st.orders))
	for _, o := range s.st.orders {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].SoldAt.Equal(out[j].SoldAt.Time) {
			return out[i].SoldAt.After(out[j].SoldAt.Time)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

func (s *Server) handleGetOrder(c *call) (any, *apiError) {
	o, aerr := s.findOrder(c.path["id"])
	if aerr != nil {
		return nil, aerr
	}
	return orderReply(o), nil
}

// Order transitions (alias-api.md §4), refusals as 402 code 9:
//
//	NEW -> CONFIRMED -> LABEL_GENERATED -> IN_TRANSIT (ship)
//	cancel: from NEW, CONFIRMED or LABEL_GENERATED
//	regenerate_label: LABEL_GENERATED only
func (s *Server) transition(c *call, allowed []string, verb string, apply func(o *order, now time.Time) *apiError) (any, *apiError) {
	o, aerr := s.findOrder(c.path["id"])
	if aerr != nil {
		return nil, aerr
	}
	ok := false
	for _, st := range allowed {
		ok = ok || o.Status == st
	}
	if !ok {
		return nil, errRefused("order %s is %s and cannot be %s", o.ID, o.Status, verb)
	}
	now := s.now()
	if aerr := apply(o, now); aerr != nil {
		return nil, aerr
	}
	o.UpdatedAt = at(now)
	return orderReply(o), nil
}

func (s *Server) handleCancelOrder(c *call) (any, *apiError) {
	return s.transition(c, []string{orderNew, orderConfirmed, orderLabel}, "canceled", func(o *order, _ time.Time) *apiError {
		o.Status = orderCanceled
		return nil
	})
}

func (s *Server) handleConfirmOrder(c *call) (any, *apiError) {
	return s.transition(c, []string{orderNew}, "confirmed", func(o *order, _ time.Time) *apiError {
		o.Status = orderConfirmed
		return nil
	})
}

func (s *Server) handleGenerateLabel(c *call) (any, *apiError) {
	lt, aerr := c.in.enum("label_type", alias.LabelTypes, false)
	if aerr != nil {
		return nil, aerr
	}
	if lt == "" {
		lt = labelTypeShipping
	}
	return s.transition(c, []string{orderConfirmed}, "given a label", func(o *order, now time.Time) *apiError {
		s.giveLabel(o, lt, now)
		return nil
	})
}

func (s *Server) handleRegenerateLabel(c *call) (any, *apiError) {
	lt, aerr := c.in.enum("label_type", alias.LabelTypes, false)
	if aerr != nil {
		return nil, aerr
	}
	return s.transition(c, []string{orderLabel}, "given a new label (it has none)", func(o *order, now time.Time) *apiError {
		if lt == "" {
			lt = o.LabelType
		}
		s.giveLabel(o, lt, now)
		return nil
	})
}

func (s *Server) handleShipOrder(c *call) (any, *apiError) {
	return s.transition(c, []string{orderLabel}, "shipped (generate a label first)", func(o *order, now time.Time) *apiError {
		o.Status, o.FulfillmentStatus, o.InTransitAt = orderInTransit, fulfillShipped, at(now)
		return nil
	})
}
