package mock

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aliasd/aliasd/alias"
)

// seedEpoch is "now" for seeded data, so bodies do not depend on the day
// the mock starts.
var seedEpoch = time.Date(2025, 12, 9, 18, 24, 8, 701e6, time.UTC)

// Seeded state sizes.
const (
	seedListings = 120
	seedOrders   = 60
	seedBatches  = 24
	bigBatchOps  = 60 // operations of the first seeded batch (pages at limit 25)
)

// state is the mock's mutable world. Server.mu guards all of it; the
// catalog itself never changes after seeding.
type state struct {
	catalog     []*catalogItem
	catalogByID map[string]*catalogItem
	listings    map[string]*listing
	listingSeq  int
	pictures    map[string]*picture
	orders      map[string]*order
	batches     map[string]*batch
	batchSeq    int
	ids         *rand.Rand // id generator, seeded: same writes, same ids
}

func (st *state) newID() string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := st.ids.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (s *Server) seed() {
	seed := uint64(s.cfg.Seed)
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	st := &state{
		catalogByID: map[string]*catalogItem{},
		listings:    map[string]*listing{},
		pictures:    map[string]*picture{},
		orders:      map[string]*order{},
		batches:     map[string]*batch{},
		ids:         rand.New(rand.NewPCG(seed, 0x1d5)),
	}
	st.catalog = buildCatalog()
	for _, c := range st.catalog {
		c.hype = 0.7 + 2.3*s.variantRand("hype", c.CatalogID).Float64()*s.variantRand("hype2", c.CatalogID).Float64()
		st.catalogByID[c.CatalogID] = c
	}
	s.st = st
	s.seedListings(r)
	s.seedOrders(r)
	s.seedBatches(r)
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func (s *Server) seedListings(r *rand.Rand) {
	st := s.st
	var sellable, needPics []*catalogItem
	for _, c := range st.catalog {
		if c.Resellable {
			sellable = append(sellable, c)
			if c.RequiresListingPictures {
				needPics = append(needPics, c)
			}
		}
	}
	for i := 0; i < seedListings; i++ {
		item := pick(r, sellable)
		status := listingActive
		switch x := r.IntN(20); {
		case x < 3:
			status = listingInactive
		case x < 6:
			status = listingPending
		case x < 8:
			status = listingSold
		}
		if i%9 == 4 {
			// Guaranteed picture-less drafts on picture-required items:
			// activating them is the documented 402.
			item, status = needPics[(i/9)%len(needPics)], listingPending
		}
		size := pick(r, item.AllowedSizes)
		cond := "CONDITION_NEW"
		var defects []string
		additional := ""
		switch x := r.IntN(10); {
		case x == 0:
			cond = "CONDITION_USED"
			defects = []string{pick(r, alias.ListingDefects[:5])}
			additional = "light creasing on toe box"
		case x == 1:
			cond = "CONDITION_NEW_WITH_DEFECTS"
			defects = []string{"LISTING_DEFECT_B_GRADE"}
		}
		pack := "PACKAGING_CONDITION_GOOD_CONDITION"
		if r.IntN(8) == 0 {
			pack = pick(r, alias.PackagingConditions[1:])
		}
		created := seedEpoch.Add(-time.Duration(r.IntN(120*24*60)) * time.Minute).Add(-time.Duration(r.IntN(60000)) * time.Millisecond)
		updated := notAfterEpoch(created.Add(time.Duration(r.IntN(72*60)) * time.Minute))
		price := wholeDollars(s.marketBase(item, size.USSizeEquivalent) * (0.95 + 0.3*r.Float64()))
		price = min(max(price, item.MinimumListingPriceCents), item.MaximumListingPriceCents)
		l := &listing{
			ID: st.newID(), CatalogID: item.CatalogID, Condition: cond, PackagingCondition: pack,
			Size: size.Value, SizeUnit: item.SizeUnit, SKU: item.SKU, Consigned: r.IntN(5) == 0,
			CreatedAt: at(created), UpdatedAt: at(updated), Status: status, PriceCents: price,
			Metadata: map[string]string{}, Defects: defects, AdditionalDefects: additional,
		}
		if l.Defects == nil {
			l.Defects = []string{}
		}
		if r.IntN(3) == 0 {
			l.Metadata["inventory_ref"] = fmt.Sprintf("INV-%04d", i+1)
		}
		if r.IntN(6) == 0 {
			l.Metadata["bin"] = pick(r, []string{"A1", "A2", "B1", "C3"})
		}
		if status == listingActive || status == listingSold {
			l.ActivatedAt = at(updated)
			if item.RequiresListingPictures {
				s.seedPictures(l, item)
			}
		}
		st.listingSeq++
		l.seq = st.listingSeq
		st.listings[l.ID] = l
	}
}

// seedPictures uploads every picture item requests for l.
func (s *Server) seedPictures(l *listing, item *catalogItem) {
	for _, rp := range item.RequestedPictures {
		for n := int64(1); n <= rp.Quantity; n++ {
			p := &picture{ID: s.st.newID(), ListingID: l.ID, Type: rp.Type, Order: n}
			p.URL = "https://image.goat.com/listing_pictures/" + p.ID + ".jpg"
			s.st.pictures[p.ID] = p
		}
	}
}

func (s *Server) seedOrders(r *rand.Rand) {
	st := s.st
	statuses := []string{}
	for status, n := range map[string]int{orderNew: 10, orderConfirmed: 10, orderLabel: 10, orderInTransit: 10, orderCompleted: 14, orderCanceled: 6} {
		for i := 0; i < n; i++ {
			statuses = append(statuses, status)
		}
	}
	// Map order is random; sort for determinism, then shuffle with r.
	sortStrings(statuses)
	r.Shuffle(len(statuses), func(i, j int) { statuses[i], statuses[j] = statuses[j], statuses[i] })
	var sellable []*catalogItem
	for _, c := range st.catalog {
		if c.Resellable {
			sellable = append(sellable, c)
		}
	}
	for i := 0; i < seedOrders; i++ {
		item := pick(r, sellable)
		size := pick(r, item.AllowedSizes)
		sold := seedEpoch.Add(-time.Duration(r.IntN(60*24*60)) * time.Minute).Add(-time.Duration(r.IntN(60000)) * time.Millisecond)
		price := wholeDollars(s.marketBase(item, size.USSizeEquivalent) * (0.95 + 0.2*r.Float64()))
		o := &order{
			ID: st.newID(), Status: statuses[i], CatalogID: item.CatalogID, CatalogName: item.Name,
			CatalogBrand: item.Brand, CatalogSKU: item.SKU, Size: size.Value, PriceCents: price,
			PriceCentsAfterTake: afterTake(price), SalesChannel: pick(r, []string{"GOAT", "GOAT", "Alias"}),
			PurchaseOrderNumber: fmt.Sprintf("PO-%06d", 400000+r.IntN(600000)), ListingID: st.newID(),
			LabelType: labelTypeInvalid, SoldAt: at(sold), UpdatedAt: at(sold), CancelsAt: at(sold.Add(72 * time.Hour)),
		}
		if r.IntN(5) == 0 {
			o.CustomsDeclaration = &customsDeclaration{
				CommercialInvoiceURL:      "https://documents.alias.org/invoices/" + o.ID + ".pdf",
				DeclaredCustomsValueCents: price,
			}
		}
		step := sold
		advance := func() time.Time {
			step = notAfterEpoch(step.Add(time.Duration(2+r.IntN(30)) * time.Hour))
			return step
		}
		switch o.Status {
		case orderConfirmed:
			o.UpdatedAt = at(advance())
		case orderLabel, orderInTransit, orderCompleted:
			final := o.Status
			advance()
			s.giveLabel(o, labelTypeShipping, advance())
			o.Status = final
			if o.Status != orderLabel {
				o.InTransitAt = at(advance())
				o.FulfillmentStatus = fulfillShipped
				if r.IntN(2) == 0 {
					o.FulfillmentStatus = fulfillInTransit
				}
				o.UpdatedAt = o.InTransitAt
			}
			if o.Status == orderCompleted {
				o.FulfillmentStatus = fulfillDelivered
				o.UpdatedAt = at(advance())
			}
		case orderCanceled:
			o.UpdatedAt = at(advance())
		}
		st.orders[o.ID] = o
	}
}

// notAfterEpoch keeps seeded timestamps in the seeded past.
func notAfterEpoch(t time.Time) time.Time {
	if t.After(seedEpoch) {
		return seedEpoch
	}
	return t
}

// afterTake is the seller's payout: a 9.5% commission and a $5 fee.
func afterTake(price int64) int64 { return price - price*95/1000 - 500 }

// giveLabel attaches a (new) shipping label to o.
func (s *Server) giveLabel(o *order, labelType string, when time.Time) {
	o.Status = orderLabel
	o.LabelType = labelType
	courier := "UPS"
	tracking := fmt.Sprintf("1Z%03dAA1%010d", s.st.ids.IntN(1000), s.st.ids.Int64N(1e10))
	if labelType == "LABEL_TYPE_DROPOFF" {
		courier = "FedEx"
		tracking = fmt.Sprintf("%012d", s.st.ids.Int64N(1e12))
	}
	o.LabelCourier = courier
	o.LabelTrackingNumber = tracking
	o.LabelURL = "https://documents.alias.org/labels/" + o.ID + "-" + tracking + ".pdf"
	o.LabelGeneratedAt = at(when)
	o.UpdatedAt = at(when)
}

func (s *Server) seedBatches(r *rand.Rand) {
	st := s.st
	all := s.listingsSorted()
	for i := 0; i < seedBatches; i++ {
		created := seedEpoch.Add(-time.Duration(seedBatches-i) * 26 * time.Hour).Add(-time.Duration(r.IntN(3600000)) * time.Millisecond)
		b := &batch{batchSummary: batchSummary{ID: st.newID(), Status: batchCompleted}, CreatedAt: at(created)}
		n := 1 + r.IntN(6)
		typ := pick(r, []string{batchTypeActivate, batchTypeDeactivate, batchTypeUpdate, batchTypeDelete, batchTypeCreate})
		if i == 0 {
			typ, n = batchTypeCreate, bigBatchOps
		}
		b.Type = typ
		start := created.Add(time.Duration(1+r.IntN(20)) * time.Second)
		for k := 0; k < n; k++ {
			l := all[(i*7+k)%len(all)]
			op := &batchOp{Type: typ, Errors: []string{}, CreatedAt: at(created), Status: opCompleted, Success: true}
			op.ProcessedAt = at(start.Add(time.Duration(k*40) * time.Millisecond))
			op.CompletedAt = at(start.Add(time.Duration(k*40+25) * time.Millisecond))
			switch typ {
			case batchTypeCreate:
				item := st.catalogByID[l.CatalogID]
				op.CreateListingRequest = &createItem{
					CatalogID: l.CatalogID, Activate: l.ActivatedAt.IsZero() == false, SizeUnit: enumVal(item.SizeUnit),
					Condition: enumVal(l.Condition), PackagingCondition: enumVal(l.PackagingCondition),
					MetadataList: []map[string]string{}, PriceCents: i64(l.PriceCents), Size: f64(l.Size), Quantity: 1,
				}
				op.CreateListingResult = &createResult{Listing: l.clone()}
			case batchTypeUpdate:
				newPrice := l.PriceCents + 1000
				op.UpdateListingRequest = &updateItem{ID: l.ID, PriceCentsChange: &int64Change{NewValue: i64(newPrice), ConditionOperator: conditionOpEQ}}
				op.UpdateListingResult = &updateResult{ID: l.ID, To: updateTo{CatalogID: l.CatalogID, PriceCents: newPrice, Size: l.Size}}
			case batchTypeActivate:
				op.ActivateListingRequest = &idOnly{l.ID}
				op.ActivateListingResult = &idOnly{l.ID}
			case batchTypeDeactivate:
				op.DeactivateListingRequest = &idOnly{l.ID}
				op.DeactivateListingResult = &idOnly{l.ID}
			case batchTypeDelete:
				gone := st.newID() // deleted long ago
				op.DeleteListingRequest = &idOnly{gone}
				op.DeleteListingResult = &idOnly{gone}
			}
			if typ != batchTypeCreate && r.IntN(8) == 0 {
				op.Success, op.Status = false, opFailed
				op.Errors = []string{"listing is not in a state that allows this operation"}
				op.ActivateListingResult, op.DeactivateListingResult, op.UpdateListingResult, op.DeleteListingResult = nil, nil, nil, nil
				b.Failed++
			}
			b.Queued++
			b.Processed++
			b.ops = append(b.ops, op)
		}
		b.ProcessedAt = at(start)
		b.CompletedAt = at(start.Add(time.Duration(n*40+500) * time.Millisecond))
		st.batchSeq++
		b.seq = st.batchSeq
		st.batches[b.ID] = b
	}
}
