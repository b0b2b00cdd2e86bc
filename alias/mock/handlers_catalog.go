package mock

import (
	"strings"

	"github.com/aliasd/aliasd/alias"
)

// catalogMaxLimit is the catalog search page maximum. The real maximum is
// unpublished ("default = the maximum"); the mock clamps larger limits to
// it rather than failing.
const catalogMaxLimit = 50

func (s *Server) handleTest(*call) (any, *apiError) {
	return map[string]bool{"ok": true}, nil
}

func (s *Server) handleSearchCatalog(c *call) (any, *apiError) {
	query, aerr := c.in.required("query")
	if aerr != nil {
		return nil, aerr
	}
	limit, aerr := c.in.pageSize("limit", catalogMaxLimit, catalogMaxLimit, true)
	if aerr != nil {
		return nil, aerr
	}
	fp := fingerprint(strings.ToLower(query))
	offset, aerr := pageOffset("catalog", c.in.str("pagination_token"), fp)
	if aerr != nil {
		return nil, aerr
	}
	words := strings.Fields(strings.ToLower(query))
	matches := []*catalogItem{}
	for _, item := range s.st.catalog {
		hay := strings.ToLower(strings.Join([]string{item.Brand, item.Name, item.SKU, strings.ReplaceAll(item.SKU, " ", "-"),
			item.CatalogID, item.Colorway, item.Nickname}, " "))
		hit := true
		for _, w := range words {
			if !strings.Contains(hay, w) && !strings.Contains(hay, strings.ReplaceAll(w, "-", " ")) {
				hit = false
				break
			}
		}
		if hit {
			matches = append(matches, item)
		}
	}
	lo, hi, more := window(len(matches), offset, limit)
	next := ""
	if more {
		next = pageToken("catalog", hi, fp)
	}
	return struct {
		CatalogItems        []*catalogItem `json:"catalog_items"`
		NextPaginationToken string         `json:"next_pagination_token"`
		HasMore             bool           `json:"has_more"`
	}{matches[lo:hi], next, more}, nil
}

func (s *Server) catalogItem(id string) (*catalogItem, *apiError) {
	item, ok := s.st.catalogByID[id]
	if !ok {
		return nil, errNotFound("catalog item", id)
	}
	return item, nil
}

func (s *Server) handleGetCatalogItem(c *call) (any, *apiError) {
	item, aerr := s.catalogItem(c.path["id"])
	if aerr != nil {
		return nil, aerr
	}
	return map[string]any{"catalog_item": item}, nil
}

type variant struct {
	Size               float64      `json:"size"`
	ProductCondition   string       `json:"product_condition"`
	PackagingCondition string       `json:"packaging_condition"`
	Consigned          *bool        `json:"consigned,omitempty"`
	Availability       availability `json:"availability"`
}

func (s *Server) handleListAvailabilities(c *call) (any, *apiError) {
	region, aerr := c.in.region()
	if aerr != nil {
		return nil, aerr
	}
	consigned, aerr := c.in.boolean("consigned")
	if aerr != nil {
		return nil, aerr
	}
	item, aerr := s.catalogItem(c.path["catalog_id"])
	if aerr != nil {
		return nil, aerr
	}
	// The observed response starts with a size-0 row of *_INVALID
	// conditions and no data, then every size x condition x packaging.
	out := []variant{{ProductCondition: "PRODUCT_CONDITION_INVALID", PackagingCondition: "PACKAGING_CONDITION_INVALID", Consigned: consigned}}
	for _, size := range item.AllowedSizes {
		for _, cond := range alias.ProductConditions {
			for _, pack := range alias.PackagingConditions {
				out = append(out, variant{
					Size: size.USSizeEquivalent, ProductCondition: cond, PackagingCondition: pack, Consigned: consigned,
					Availability: s.availabilityFor(item, size.USSizeEquivalent, cond, pack, region, consigned),
				})
			}
		}
	}
	return map[string]any{"variants": out}, nil
}

// variantQuery is the catalog_id/size/conditions quartet of the pricing
// endpoints, validated in declaration order.
type variantQuery struct {
	item       *catalogItem
	size       float64
	cond, pack string
	region     string
}

func (s *Server) variantParams(c *call, requireConditions bool) (variantQuery, *apiError) {
	var q variantQuery
	id, aerr := c.in.required("catalog_id")
	if aerr != nil {
		return q, aerr
	}
	if q.size, aerr = c.in.requiredDouble("size"); aerr != nil {
		return q, aerr
	}
	if q.cond, aerr = c.in.enum("product_condition", alias.ProductConditions, requireConditions); aerr != nil {
		return q, aerr
	}
	if q.pack, aerr = c.in.enum("packaging_condition", alias.PackagingConditions, requireConditions); aerr != nil {
		return q, aerr
	}
	if q.region, aerr = c.in.region(); aerr != nil {
		return q, aerr
	}
	if q.item, aerr = s.catalogItem(id); aerr != nil {
		return q, aerr
	}
	return q, nil
}

func (s *Server) handleGetAvailability(c *call) (any, *apiError) {
	q, aerr := s.variantParams(c, true)
	if aerr != nil {
		return nil, aerr
	}
	consigned, aerr := c.in.boolean("consigned")
	if aerr != nil {
		return nil, aerr
	}
	return map[string]any{"availability": s.availabilityFor(q.item, q.size, q.cond, q.pack, q.region, consigned)}, nil
}

func (s *Server) handleGetOfferHistogram(c *call) (any, *apiError) {
	q, aerr := s.variantParams(c, true)
	if aerr != nil {
		return nil, aerr
	}
	return map[string]any{"offer_histogram": map[string]any{"bins": s.offerHistogram(q.item, q.size, q.cond, q.pack, q.region)}}, nil
}

// handleListRecentSales follows observed behaviour: the documented
// catalog-wide mode (no size) answers 400 "Missing parameter: input.Size".
func (s *Server) handleListRecentSales(c *call) (any, *apiError) {
	q, aerr := s.variantParams(c, false)
	if aerr != nil {
		return nil, aerr
	}
	consigned, aerr := c.in.boolean("consigned")
	if aerr != nil {
		return nil, aerr
	}
	limit, ok, aerr := c.in.int64("limit")
	if aerr != nil {
		return nil, aerr
	}
	if ok && limit < 0 {
		return nil, errInvalid("limit", "must not be negative, got %d", limit)
	}
	if !ok || limit == 0 {
		limit = 10
	}
	ceiling := int64(10)
	if q.cond != "" && q.pack != "" {
		ceiling = 200 // the full filter set lifts the cap
	}
	limit = min(limit, ceiling)
	return map[string]any{"recent_sales": s.recentSales(q.item, q.size, q.cond, q.pack, q.region, consigned, int(limit))}, nil
}
