package mock

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// Market data is not stored: it is a pure function of the seed and the
// variant, so hundreds of variants per item cost nothing and every server
// with the same seed agrees.

// variantRand returns a generator determined by the seed and the parts.
func (s *Server) variantRand(parts ...string) *rand.Rand {
	h := fnv.New64a()
	var b [8]byte
	for i := range b {
		b[i] = byte(uint64(s.cfg.Seed) >> (8 * i))
	}
	h.Write(b[:])
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	sum := h.Sum64()
	return rand.New(rand.NewPCG(sum, sum^0x9e3779b97f4a7c15))
}

// availability is the API's Availability: four int64-as-string prices,
// "0" meaning no data.
type availability struct {
	LowestListingPriceCents   int64 `json:"lowest_listing_price_cents,string"`
	HighestOfferPriceCents    int64 `json:"highest_offer_price_cents,string"`
	LastSoldListingPriceCents int64 `json:"last_sold_listing_price_cents,string"`
	GlobalIndicatorPriceCents int64 `json:"global_indicator_price_cents,string"`
}

var conditionFactor = map[string]float64{
	"PRODUCT_CONDITION_NEW": 1, "PRODUCT_CONDITION_NEW_WITH_DEFECTS": 0.8, "PRODUCT_CONDITION_USED": 0.6,
}

var packagingFactor = map[string]float64{
	"PACKAGING_CONDITION_GOOD_CONDITION": 1, "PACKAGING_CONDITION_MISSING_LID": 0.95,
	"PACKAGING_CONDITION_BADLY_DAMAGED": 0.9, "PACKAGING_CONDITION_NO_ORIGINAL_BOX": 0.85,
}

// regions are the ids used in practice (alias-api.md §5); "" is global.
var regions = map[string]struct {
	factor, sparse float64
}{
	"": {1, 0}, "1": {1, 0}, "2": {1.08, 0.1}, "3": {1.15, 0.15}, "4": {1.2, 0.3}, "5": {1.1, 0.5}, "6": {1.25, 0.55},
}

// marketBase is the typical new-in-box price of one size, in cents.
func (s *Server) marketBase(item *catalogItem, usSize float64) float64 {
	r := s.variantRand("size", item.CatalogID, fmtSize(usSize))
	// Small and very large sizes are scarcer.
	dist := math.Abs(usSize - 9.5)
	sizeFactor := 1 + 0.04*math.Max(0, dist-2) + 0.1*r.Float64()
	return float64(item.RetailPriceCents) * item.hype * sizeFactor
}

func wholeDollars(c float64) int64 {
	d := int64(math.Round(c / 100))
	return max(d, 25) * 100
}

// availabilityFor computes one variant's market data. consigned is nil
// when the filter was not sent.
func (s *Server) availabilityFor(item *catalogItem, usSize float64, cond, pack, region string, consigned *bool) availability {
	if _, ok := item.sizeByUS(usSize); !ok || cond == "" || pack == "" {
		return availability{}
	}
	cons := "any"
	if consigned != nil {
		cons = strconv.FormatBool(*consigned)
	}
	r := s.variantRand("avail", item.CatalogID, fmtSize(usSize), cond, pack, region, cons)
	reg := regions[region]
	sparse := reg.sparse
	if cond != "PRODUCT_CONDITION_NEW" || pack != "PACKAGING_CONDITION_GOOD_CONDITION" {
		sparse += 0.45
	}
	if consigned != nil && *consigned {
		sparse += 0.2
	}
	base := s.marketBase(item, usSize) * conditionFactor[cond] * packagingFactor[pack] * reg.factor
	if consigned != nil && *consigned {
		base *= 1.05
	}
	pick := func(v float64) int64 {
		if r.Float64() < sparse {
			return 0
		}
		return wholeDollars(v)
	}
	a := availability{
		LowestListingPriceCents:   pick(base * (1 + 0.15*r.Float64())),
		HighestOfferPriceCents:    pick(base * (0.75 + 0.2*r.Float64())),
		LastSoldListingPriceCents: pick(base * (0.9 + 0.15*r.Float64())),
	}
	if a.LowestListingPriceCents != 0 || a.HighestOfferPriceCents != 0 {
		a.GlobalIndicatorPriceCents = wholeDollars(base * 0.97)
	}
	return a
}

type histogramBin struct {
	OfferPriceCents int64 `json:"offer_price_cents,string"`
	Count           int64 `json:"count,string"`
}

// offerHistogram builds bins from the highest offer down, high to low.
func (s *Server) offerHistogram(item *catalogItem, usSize float64, cond, pack, region string) []histogramBin {
	top := s.availabilityFor(item, usSize, cond, pack, region, nil).HighestOfferPriceCents
	bins := []histogramBin{}
	if top == 0 {
		return bins
	}
	r := s.variantRand("hist", item.CatalogID, fmtSize(usSize), cond, pack, region)
	n := 3 + r.IntN(10)
	step := int64(500 + 500*r.IntN(2))
	for i := 0; i < n && top-int64(i)*step >= 2500; i++ {
		bins = append(bins, histogramBin{OfferPriceCents: top - int64(i)*step, Count: int64(1 + r.IntN(6+2*i))})
	}
	return bins
}

type recentSale struct {
	PurchasedAt ts      `json:"purchased_at"`
	PriceCents  int64   `json:"price_cents,string"`
	Size        float64 `json:"size"`
	Consigned   bool    `json:"consigned"`
	CatalogID   string  `json:"catalog_id"`
}

// recentSales lists up to limit sales of one size, newest first.
func (s *Server) recentSales(item *catalogItem, usSize float64, cond, pack, region string, consigned *bool, limit int) []recentSale {
	out := []recentSale{}
	if _, ok := item.sizeByUS(usSize); !ok {
		return out
	}
	cons := "any"
	if consigned != nil {
		cons = strconv.FormatBool(*consigned)
	}
	r := s.variantRand("sales", item.CatalogID, fmtSize(usSize), cond, pack, region, cons)
	base := s.marketBase(item, usSize) * regions[region].factor
	if f, ok := conditionFactor[cond]; ok {
		base *= f
	}
	if f, ok := packagingFactor[pack]; ok {
		base *= f
	}
	// Popular variants sell often; others rarely, and some never.
	total := 200
	if cond != "" && cond != "PRODUCT_CONDITION_NEW" {
		total = r.IntN(15)
	}
	when := seedEpoch
	for i := 0; i < min(limit, total); i++ {
		when = when.Add(-time.Duration(1+r.IntN(60*36)) * time.Minute).Add(-time.Duration(r.IntN(60000)) * time.Millisecond)
		c := r.IntN(5) == 0
		if consigned != nil {
			c = *consigned
		}
		out = append(out, recentSale{
			PurchasedAt: at(when), PriceCents: wholeDollars(base * (0.88 + 0.2*r.Float64())),
			Size: usSize, Consigned: c, CatalogID: item.CatalogID,
		})
	}
	return out
}

func fmtSize(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
