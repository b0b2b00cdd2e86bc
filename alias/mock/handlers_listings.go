package mock

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/aliasd/aliasd/alias"
)

func (s *Server) findListing(id string) (*listing, *apiError) {
	l, ok := s.st.listings[id]
	if !ok {
		return nil, errNotFound("listing", id)
	}
	return l, nil
}

func listingReply(l *listing) any { return map[string]any{"listing": l} }

// missingPictures lists what a picture-required listing still lacks.
func (s *Server) missingPictures(l *listing) []string {
	item := s.st.catalogByID[l.CatalogID]
	if item == nil || !item.RequiresListingPictures {
		return nil
	}
	have := map[string]int64{}
	for _, p := range s.st.pictures {
		if p.ListingID == l.ID {
			have[p.Type]++
		}
	}
	var missing []string
	for _, rp := range item.RequestedPictures {
		if have[rp.Type] < rp.Quantity {
			missing = append(missing, fmt.Sprintf("%s (need %d, have %d)", rp.Type, rp.Quantity, have[rp.Type]))
		}
	}
	return missing
}

// activate makes l live or explains why not; a picture-required listing
// without its pictures reverts to inactive (alias-api.md §4).
func (s *Server) activate(l *listing) *apiError {
	switch l.Status {
	case listingSold:
		return errRefused("listing %s is sold and cannot be activated", l.ID)
	case listingActive:
		return nil
	}
	now := s.now()
	if missing := s.missingPictures(l); len(missing) > 0 {
		l.Status, l.UpdatedAt = listingInactive, at(now)
		return errRefused("listing %s cannot be activated: required pictures missing: %s; upload them with POST /api/v1/pictures and retry",
			l.ID, strings.Join(missing, ", "))
	}
	l.Status, l.UpdatedAt, l.ActivatedAt = listingActive, at(now), at(now)
	return nil
}

// listingFields are CreateListing's parameters after validation.
type listingFields struct {
	item                 *catalogItem
	price                int64
	cond, pack, sizeUnit string
	size                 float64
	activate             bool
	metadata             map[string]string
	defects              []string
	additional           string
}

// checkSize validates a size value against the item's allowed sizes.
func checkSize(item *catalogItem, size float64, unit string) *apiError {
	if unit != item.SizeUnit {
		return errInvalid("size_unit", "%s does not match %s, which is sized in %s", unit, item.CatalogID, item.SizeUnit)
	}
	if _, ok := item.sizeByValue(size); !ok {
		return errInvalid("size", "%v is not an allowed size of %s (see allowed_sizes[].value)", size, item.CatalogID)
	}
	return nil
}

func (s *Server) newListing(f listingFields) *listing {
	now := s.now()
	l := &listing{
		ID: s.st.newID(), CatalogID: f.item.CatalogID, Condition: f.cond, PackagingCondition: f.pack,
		Size: f.size, SizeUnit: f.sizeUnit, SKU: f.item.SKU, CreatedAt: at(now), UpdatedAt: at(now),
		Status: listingPending, PriceCents: f.price, Metadata: map[string]string{}, Defects: []string{},
		AdditionalDefects: f.additional,
	}
	for k, v := range f.metadata {
		l.Metadata[k] = v
	}
	l.Defects = append(l.Defects, f.defects...)
	s.st.listingSeq++
	l.seq = s.st.listingSeq
	s.st.listings[l.ID] = l
	if f.activate {
		// A picture-required listing has no pictures yet: it ends up
		// inactive, and the create itself still succeeds.
		_ = s.activate(l)
	}
	return l
}

func (s *Server) handleCreateListing(c *call) (any, *apiError) {
	in := c.in
	var f listingFields
	id, aerr := in.required("catalog_id")
	if aerr != nil {
		return nil, aerr
	}
	price, ok, aerr := in.int64("price_cents")
	if aerr != nil {
		return nil, aerr
	}
	if !ok || price == 0 {
		return nil, errMissing("price_cents")
	}
	if f.cond, aerr = in.enum("condition", alias.ListingConditions, true); aerr != nil {
		return nil, aerr
	}
	if f.pack, aerr = in.enum("packaging_condition", alias.PackagingConditions, true); aerr != nil {
		return nil, aerr
	}
	if f.size, aerr = in.requiredDouble("size"); aerr != nil {
		return nil, aerr
	}
	if f.sizeUnit, aerr = in.enum("size_unit", alias.SizeUnits, true); aerr != nil {
		return nil, aerr
	}
	act, aerr := in.boolean("activate")
	if aerr != nil {
		return nil, aerr
	}
	f.activate = act != nil && *act
	for _, d := range in.vals["defects"] {
		name, aerr := enum("defects", d, alias.ListingDefects, false)
		if aerr != nil {
			return nil, aerr
		}
		f.defects = append(f.defects, name)
	}
	f.additional = in.str("additional_defects")
	f.metadata = in.meta
	if aerr := wholeDollarPrice("price_cents", price, nil); aerr != nil {
		return nil, aerr
	}
	if f.item, aerr = s.catalogItem(id); aerr != nil {
		return nil, aerr
	}
	if aerr := wholeDollarPrice("price_cents", price, f.item); aerr != nil {
		return nil, aerr
	}
	f.price = price
	if aerr := checkSize(f.item, f.size, f.sizeUnit); aerr != nil {
		return nil, aerr
	}
	if !f.item.Resellable {
		return nil, errRefused("catalog item %s cannot be listed by this seller at the moment (resellable is false)", f.item.CatalogID)
	}
	return listingReply(s.newListing(f)), nil
}

func (s *Server) handleGetListing(c *call) (any, *apiError) {
	l, aerr := s.findListing(c.path["id"])
	if aerr != nil {
		return nil, aerr
	}
	return listingReply(l), nil
}

func (s *Server) handleUpdateListing(c *call) (any, *apiError) {
	in := c.in
	price, hasPrice, aerr := in.int64("price_cents")
	if aerr != nil {
		return nil, aerr
	}
	size, hasSize, aerr := in.double("size")
	if aerr != nil {
		return nil, aerr
	}
	unit, aerr := in.enum("size_unit", alias.SizeUnits, false)
	if aerr != nil {
		return nil, aerr
	}
	if hasPrice {
		if aerr := wholeDollarPrice("price_cents", price, nil); aerr != nil {
			return nil, aerr
		}
	}
	l, aerr := s.findListing(c.path["id"])
	if aerr != nil {
		return nil, aerr
	}
	if l.Status == listingSold {
		return nil, errRefused("listing %s is sold and cannot be updated", l.ID)
	}
	item := s.st.catalogByID[l.CatalogID]
	if in.has("catalog_id") {
		if item, aerr = s.catalogItem(in.str("catalog_id")); aerr != nil {
			return nil, aerr
		}
		if !item.Resellable {
			return nil, errRefused("catalog item %s cannot be listed by this seller at the moment (resellable is false)", item.CatalogID)
		}
	}
	if !hasSize {
		size = l.Size
	}
	if unit == "" {
		unit = l.SizeUnit
	}
	if in.has("catalog_id") || hasSize || unit != l.SizeUnit {
		if aerr := checkSize(item, size, unit); aerr != nil {
			return nil, aerr
		}
	}
	if hasPrice {
		if aerr := wholeDollarPrice("price_cents", price, item); aerr != nil {
			return nil, aerr
		}
	} else {
		price = l.PriceCents
	}
	changed := item.CatalogID != l.CatalogID || size != l.Size || unit != l.SizeUnit || price != l.PriceCents
	l.CatalogID, l.SKU, l.Size, l.SizeUnit, l.PriceCents = item.CatalogID, item.SKU, size, unit, price
	if changed {
		l.UpdatedAt = at(s.now())
	}
	return listingReply(l), nil
}

func (s *Server) deleteListing(l *listing) *apiError {
	if l.Status == listingSold {
		return errRefused("listing %s is sold and cannot be deleted", l.ID)
	}
	delete(s.st.listings, l.ID)
	for id, p := range s.st.pictures {
		if p.ListingID == l.ID {
			delete(s.st.pictures, id)
		}
	}
	return nil
}

func (s *Server) handleDeleteListing(c *call) (any, *apiError) {
	l, aerr := s.findListing(c.path["id"])
	if aerr != nil {
		return nil, aerr
	}
	if aerr := s.deleteListing(l); aerr != nil {
		return nil, aerr
	}
	return idOnly{l.ID}, nil
}

func (s *Server) handleActivateListing(c *call) (any, *apiError) {
	l, aerr := s.findListing(c.path["id"])
	if aerr != nil {
		return nil, aerr
	}
	if aerr := s.activate(l); aerr != nil {
		return nil, aerr
	}
	return listingReply(l), nil
}

func (s *Server) deactivate(l *listing) *apiError {
	if l.Status == listingSold {
		return errRefused("listing %s is sold and cannot be deactivated", l.ID)
	}
	if l.Status != listingInactive {
		l.Status, l.UpdatedAt = listingInactive, at(s.now())
	}
	return nil
}

func (s *Server) handleDeactivateListing(c *call) (any, *apiError) {
	l, aerr := s.findListing(c.path["id"])
	if aerr != nil {
		return nil, aerr
	}
	if aerr := s.deactivate(l); aerr != nil {
		return nil, aerr
	}
	return listingReply(l), nil
}

func (s *Server) handleCreateListingMetadata(c *call) (any, *apiError) {
	if len(c.in.meta) == 0 {
		return nil, errMissing("metadata")
	}
	for k := range c.in.meta {
		if strings.TrimSpace(k) == "" {
			return nil, errInvalid("metadata", "keys must not be empty")
		}
	}
	l, aerr := s.findListing(c.path["listing_id"])
	if aerr != nil {
		return nil, aerr
	}
	for k, v := range c.in.meta {
		l.Metadata[k] = v
	}
	l.UpdatedAt = at(s.now())
	return listingReply(l), nil
}

func (s *Server) handleDeleteListingMetadata(c *call) (any, *apiError) {
	keys := nonEmpty(c.in.vals["keys"])
	if len(keys) == 0 {
		return nil, errMissing("keys")
	}
	l, aerr := s.findListing(c.path["listing_id"])
	if aerr != nil {
		return nil, aerr
	}
	for _, k := range keys {
		delete(l.Metadata, k)
	}
	l.UpdatedAt = at(s.now())
	return listingReply(l), nil
}

func nonEmpty(xs []string) []string {
	var out []string
	for _, x := range xs {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

var (
	pngMagic  = []byte("\x89PNG\r\n\x1a\n")
	jpegMagic = []byte{0xff, 0xd8, 0xff}
)

func (s *Server) handleCreatePicture(c *call) (any, *apiError) {
	in := c.in
	listingID, aerr := in.required("listing_id")
	if aerr != nil {
		return nil, aerr
	}
	typ, aerr := in.enum("type", alias.PictureTypes, true)
	if aerr != nil {
		return nil, aerr
	}
	ord, hasOrder, aerr := in.int64("order")
	if aerr != nil {
		return nil, aerr
	}
	if typ == "PICTURE_TYPE_EXTRA" {
		if !hasOrder || ord <= 0 {
			return nil, errInvalid("order", "must be greater than 0 for PICTURE_TYPE_EXTRA")
		}
	} else {
		if hasOrder && ord != 1 {
			return nil, errInvalid("order", "must be 1 for %s, got %d", typ, ord)
		}
		ord = 1
	}
	data, rawURL := in.str("base64_data"), in.str("url")
	if (data == "") == (rawURL == "") {
		return nil, newError(codeInvalidArgument, "Invalid parameter: exactly one of input.Base64Data and input.Url must be set")
	}
	if data != "" {
		img, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			img, err = base64.RawStdEncoding.DecodeString(data)
		}
		if err != nil {
			return nil, errInvalid("base64_data", "not valid base64: %v", err)
		}
		if !bytes.HasPrefix(img, pngMagic) && !bytes.HasPrefix(img, jpegMagic) {
			return nil, errInvalid("base64_data", "the image must be a PNG or a JPEG")
		}
	} else if u, err := url.Parse(rawURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errInvalid("url", "want an http(s) URL of a PNG or JPEG image")
	}
	l, aerr := s.findListing(listingID)
	if aerr != nil {
		return nil, aerr
	}
	p := &picture{ID: s.st.newID(), ListingID: l.ID, Type: typ, Order: ord}
	p.URL = "https://image.goat.com/listing_pictures/" + p.ID + ".jpg"
	s.st.pictures[p.ID] = p
	l.UpdatedAt = at(s.now())
	return map[string]any{"picture": p}, nil
}

func (s *Server) handleDeletePicture(c *call) (any, *apiError) {
	id := c.path["id"]
	p, ok := s.st.pictures[id]
	if !ok {
		return nil, errNotFound("picture", id)
	}
	delete(s.st.pictures, id)
	if l, ok := s.st.listings[p.ListingID]; ok {
		l.UpdatedAt = at(s.now())
	}
	return idOnly{id}, nil
}

// Listing search filters (alias-api.md §4): facet_filters "status:
// active", "consigned: true", "metadata: key = value"; numeric_filters
// "price_cents >= 1000", "size = 7.5".
var numericFilter = regexp.MustCompile(`^\s*(price_cents|size)\s*(>=|<=|!=|=|>|<)\s*(-?[0-9]+(?:\.[0-9]+)?)\s*$`)

type listingFilter func(*listing) bool

func parseListingFacet(f string) (listingFilter, *apiError) {
	key, val, ok := strings.Cut(f, ":")
	key, val = strings.TrimSpace(strings.ToLower(key)), strings.TrimSpace(val)
	if !ok || val == "" {
		return nil, errInvalid("facet_filters", "%q: want key:value (status, consigned or metadata)", f)
	}
	switch key {
	case "status":
		want := strings.ToUpper(val)
		if !strings.HasPrefix(want, "LISTING_STATUS_") {
			want = "LISTING_STATUS_" + want
		}
		name, aerr := enum("facet_filters", want, alias.ListingStatuses, false)
		if aerr != nil {
			return nil, errInvalid("facet_filters", "%q: unknown listing status", f)
		}
		return func(l *listing) bool { return l.Status == name }, nil
	case "consigned":
		b, err := strconv.ParseBool(val)
		if err != nil {
			return nil, errInvalid("facet_filters", "%q: consigned wants true or false", f)
		}
		return func(l *listing) bool { return l.Consigned == b }, nil
	case "metadata":
		mk, mv, ok := strings.Cut(val, "=")
		mk, mv = strings.TrimSpace(mk), strings.TrimSpace(mv)
		if !ok || mk == "" {
			return nil, errInvalid("facet_filters", "%q: want metadata:key=value", f)
		}
		return func(l *listing) bool { v, ok := l.Metadata[mk]; return ok && v == mv }, nil
	}
	return nil, errInvalid("facet_filters", "%q: unknown facet %q (want status, consigned or metadata)", f, key)
}

func parseNumericFilter(f string) (listingFilter, *apiError) {
	m := numericFilter.FindStringSubmatch(f)
	if m == nil {
		return nil, errInvalid("numeric_filters", "%q: want price_cents or size, an operator (= != < <= > >=) and a number", f)
	}
	want, _ := strconv.ParseFloat(m[3], 64)
	field := func(l *listing) float64 { return float64(l.PriceCents) }
	if m[1] == "size" {
		field = func(l *listing) float64 { return l.Size }
	}
	op := m[2]
	return func(l *listing) bool {
		v := field(l)
		switch op {
		case "=":
			return v == want
		case "!=":
			return v != want
		case "<":
			return v < want
		case "<=":
			return v <= want
		case ">":
			return v > want
		}
		return v >= want
	}, nil
}

func (s *Server) handleSearchListings(c *call) (any, *apiError) {
	in := c.in
	size, aerr := in.pageSize("page_size", alias.PagerListings.DefaultSize, alias.PagerListings.MaxSize, false)
	if aerr != nil {
		return nil, aerr
	}
	sortBy, aerr := in.enum("order.sort_by", alias.ListingSortBy, false)
	if aerr != nil {
		return nil, aerr
	}
	orderBy, aerr := in.enum("order.order_by", alias.ListingOrderBy, false)
	if aerr != nil {
		return nil, aerr
	}
	var filters []listingFilter
	for _, f := range in.vals["facet_filters"] {
		lf, aerr := parseListingFacet(f)
		if aerr != nil {
			return nil, aerr
		}
		filters = append(filters, lf)
	}
	for _, f := range in.vals["numeric_filters"] {
		lf, aerr := parseNumericFilter(f)
		if aerr != nil {
			return nil, aerr
		}
		filters = append(filters, lf)
	}
	term := strings.ToLower(strings.TrimSpace(in.str("search_term")))
	fp := fingerprint(term, strings.Join(in.vals["facet_filters"], "\x01"), strings.Join(in.vals["numeric_filters"], "\x01"), sortBy, orderBy)
	offset, aerr := pageOffset("listings", in.str("pagination_token"), fp)
	if aerr != nil {
		return nil, aerr
	}
	matches := []*listing{}
	for _, l := range s.listingsSorted() {
		if term != "" {
			item := s.st.catalogByID[l.CatalogID]
			hay := strings.ToLower(l.ID + " " + l.CatalogID + " " + l.SKU + " " + strings.ReplaceAll(l.SKU, " ", "-") + " " + item.Name + " " + item.Brand)
			if !strings.Contains(hay, term) {
				continue
			}
		}
		keep := true
		for _, f := range filters {
			if !f(l) {
				keep = false
				break
			}
		}
		if keep {
			matches = append(matches, l)
		}
	}
	sortListings(matches, sortBy, orderBy)
	lo, hi, more := window(len(matches), offset, size)
	next := ""
	if more {
		next = pageToken("listings", hi, fp)
	}
	type pagination struct {
		PaginationToken string `json:"pagination_token"`
		HasMore         bool   `json:"has_more"`
		TotalCount      int64  `json:"total_count,string"`
	}
	return struct {
		Listings   []*listing `json:"listings"`
		Pagination pagination `json:"pagination"`
	}{matches[lo:hi], pagination{next, more, int64(len(matches))}}, nil
}

// sortListings orders by the requested field (default: newest first),
// ties broken by creation order so pages are stable.
func sortListings(ls []*listing, sortBy, orderBy string) {
	key := func(l *listing) float64 { return float64(l.CreatedAt.UnixNano()) }
	desc := true
	switch sortBy {
	case "SEARCH_LISTING_REQUEST_ORDER_SORT_BY_SIZE":
		key, desc = func(l *listing) float64 { return l.Size }, false
	case "SEARCH_LISTING_REQUEST_ORDER_SORT_BY_PRICE":
		key, desc = func(l *listing) float64 { return float64(l.PriceCents) }, false
	case "SEARCH_LISTING_REQUEST_ORDER_SORT_BY_UPDATED_AT":
		key, desc = func(l *listing) float64 { return float64(l.UpdatedAt.UnixNano()) }, false
	case "SEARCH_LISTING_REQUEST_ORDER_SORT_BY_CREATED_AT":
		desc = false
	}
	switch orderBy {
	case "SEARCH_LISTING_REQUEST_ORDER_ORDER_BY_ASC":
		desc = false
	case "SEARCH_LISTING_REQUEST_ORDER_ORDER_BY_DESC":
		desc = true
	}
	sort.SliceStable(ls, func(i, j int) bool {
		a, b := key(ls[i]), key(ls[j])
		if a != b {
			return (a < b) != desc
		}
		return ls[i].seq < ls[j].seq
	})
}
