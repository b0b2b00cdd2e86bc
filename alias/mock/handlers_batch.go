package mock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aliasd/aliasd/alias"
)

// batchPageSize is ListBatches' page size: the API documents no size
// parameter, so the mock picks one small enough that the seeded batches
// span several pages.
const batchPageSize = 10

// opsPerStep is how many operations a batch processes per BatchStep.
const opsPerStep = 250

// maxBatchItems is the documented cap on ids or created listings.
const maxBatchItems = 1000

func (s *Server) findBatch(id string) (*batch, *apiError) {
	b, ok := s.st.batches[id]
	if !ok {
		return nil, errNotFound("batch", id)
	}
	return b, nil
}

func (s *Server) handleListBatches(c *call) (any, *apiError) {
	status, aerr := c.in.enum("status", alias.BatchStatuses, false)
	if aerr != nil {
		return nil, aerr
	}
	fp := fingerprint(status)
	offset, aerr := pageOffset("batches", c.in.str("pagination_token"), fp)
	if aerr != nil {
		return nil, aerr
	}
	all := make([]*batch, 0, len(s.st.batches))
	for _, b := range s.st.batches {
		if status == "" || b.Status == status {
			all = append(all, b)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].seq > all[j].seq }) // newest first
	lo, hi, more := window(len(all), offset, batchPageSize)
	page := make([]batchSummary, 0, hi-lo)
	for _, b := range all[lo:hi] {
		page = append(page, b.batchSummary)
	}
	next := ""
	if more {
		next = pageToken("batches", hi, fp)
	}
	return struct {
		Batches             []batchSummary `json:"batches"`
		NextPaginationToken string         `json:"next_pagination_token"`
		HasMore             bool           `json:"has_more"`
	}{page, next, more}, nil
}

// handleGetBatch answers the batch itself, not wrapped in an object.
func (s *Server) handleGetBatch(c *call) (any, *apiError) {
	return s.findBatch(c.path["id"])
}

func (s *Server) handleGetBatchOperations(c *call) (any, *apiError) {
	status, aerr := c.in.enum("status", alias.BatchOpStatuses, false)
	if aerr != nil {
		return nil, aerr
	}
	limit, aerr := c.in.pageSize("limit", alias.PagerBatchOperations.DefaultSize, alias.PagerBatchOperations.MaxSize, false)
	if aerr != nil {
		return nil, aerr
	}
	id := c.path["id"]
	fp := fingerprint(id, status)
	offset, aerr := pageOffset("batch_operations", c.in.str("pagination_token"), fp)
	if aerr != nil {
		return nil, aerr
	}
	b, aerr := s.findBatch(id)
	if aerr != nil {
		return nil, aerr
	}
	ops := []*batchOp{}
	for _, op := range b.ops {
		if status == "" || op.Status == status {
			ops = append(ops, op)
		}
	}
	lo, hi, more := window(len(ops), offset, limit)
	next := ""
	if more {
		next = pageToken("batch_operations", hi, fp)
	}
	return struct {
		ID              string     `json:"id"`
		Operations      []*batchOp `json:"operations"`
		PaginationToken string     `json:"pagination_token"`
	}{b.ID, ops[lo:hi], next}, nil
}

// usedQuota counts operations not yet processed in running batches.
func (s *Server) usedQuota() int64 {
	var n int64
	for _, b := range s.st.batches {
		if b.Status != batchCompleted {
			n += b.Queued - b.Processed
		}
	}
	return n
}

func (s *Server) handleQuota(*call) (any, *apiError) {
	return struct {
		Used int64 `json:"used_operation_quota,string"`
		Max  int64 `json:"max_operation_quota,string"`
	}{s.usedQuota(), int64(s.cfg.MaxOperationQuota)}, nil
}

// submit queues a new batch after the quota check and starts the worker.
func (s *Server) submit(typ string, ops []*batchOp) (any, *apiError) {
	used, limit := s.usedQuota(), int64(s.cfg.MaxOperationQuota)
	if used+int64(len(ops)) > limit {
		return nil, newError(codeResourceExhausted,
			"batch operation quota exceeded: %d operations running, %d requested, at most %d; wait for running batches to finish and retry",
			used, len(ops), limit)
	}
	now := s.now()
	b := &batch{batchSummary: batchSummary{ID: s.st.newID(), Status: batchPending, Type: typ, Queued: int64(len(ops))}, CreatedAt: at(now), ops: ops}
	for _, op := range ops {
		op.Type, op.Status, op.CreatedAt, op.Errors = typ, opPending, at(now), []string{}
	}
	s.st.batchSeq++
	b.seq = s.st.batchSeq
	s.st.batches[b.ID] = b
	s.ensureWorker()
	return struct {
		BatchID string `json:"batch_id"`
		Status  string `json:"status"`
	}{b.ID, b.Status}, nil
}

// batchIDs validates the ids[] of the activate/deactivate/delete batches.
func batchIDs(c *call) ([]string, *apiError) {
	ids := nonEmpty(c.in.vals["ids"])
	if len(ids) == 0 {
		return nil, errMissing("ids")
	}
	if len(ids) > maxBatchItems {
		return nil, errInvalid("ids", "at most %d ids per batch, got %d", maxBatchItems, len(ids))
	}
	return ids, nil
}

func (s *Server) idBatch(c *call, typ string, set func(op *batchOp, id string)) (any, *apiError) {
	ids, aerr := batchIDs(c)
	if aerr != nil {
		return nil, aerr
	}
	ops := make([]*batchOp, len(ids))
	for i, id := range ids {
		ops[i] = &batchOp{}
		set(ops[i], id)
	}
	return s.submit(typ, ops)
}

func (s *Server) handleBatchActivate(c *call) (any, *apiError) {
	return s.idBatch(c, batchTypeActivate, func(op *batchOp, id string) { op.ActivateListingRequest = &idOnly{id} })
}

func (s *Server) handleBatchDeactivate(c *call) (any, *apiError) {
	return s.idBatch(c, batchTypeDeactivate, func(op *batchOp, id string) { op.DeactivateListingRequest = &idOnly{id} })
}

func (s *Server) handleBatchDelete(c *call) (any, *apiError) {
	return s.idBatch(c, batchTypeDelete, func(op *batchOp, id string) { op.DeleteListingRequest = &idOnly{id} })
}

// decodeBody reads the JSON body of batch_create / batch_update.
func decodeBody(c *call, v any) *apiError {
	if len(bytes.TrimSpace(c.body)) == 0 {
		return errMissing("items")
	}
	dec := json.NewDecoder(bytes.NewReader(c.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return newError(codeInvalidArgument, "invalid JSON body: %v", err)
	}
	return nil
}

func (s *Server) handleBatchCreate(c *call) (any, *apiError) {
	var req struct {
		Items []createItem `json:"items"`
	}
	if aerr := decodeBody(c, &req); aerr != nil {
		return nil, aerr
	}
	if len(req.Items) == 0 {
		return nil, errMissing("items")
	}
	var ops []*batchOp
	total := int64(0)
	for i := range req.Items {
		it := req.Items[i]
		field := func(name string) string { return fmt.Sprintf("items[%d].%s", i, name) }
		if strings.TrimSpace(it.CatalogID) == "" {
			return nil, errMissing(field("catalog_id"))
		}
		var aerr *apiError
		var cond, pack, unit string
		if cond, aerr = enum(field("condition"), string(it.Condition), alias.ListingConditions, true); aerr != nil {
			return nil, aerr
		}
		if pack, aerr = enum(field("packaging_condition"), string(it.PackagingCondition), alias.PackagingConditions, true); aerr != nil {
			return nil, aerr
		}
		if unit, aerr = enum(field("size_unit"), string(it.SizeUnit), alias.SizeUnits, true); aerr != nil {
			return nil, aerr
		}
		if it.PriceCents == 0 {
			return nil, errMissing(field("price_cents"))
		}
		if aerr := wholeDollarPrice(field("price_cents"), int64(it.PriceCents), nil); aerr != nil {
			return nil, aerr
		}
		if it.Size == 0 {
			return nil, errMissing(field("size"))
		}
		if it.Quantity <= 0 {
			return nil, errMissing(field("quantity"))
		}
		if int64(len(it.MetadataList)) > int64(it.Quantity) {
			return nil, errInvalid(field("metadata_list"), "has %d entries for quantity %d", len(it.MetadataList), it.Quantity)
		}
		total += int64(it.Quantity)
		if total > maxBatchItems {
			return nil, errInvalid("items", "at most %d listings per batch (sum of quantities)", maxBatchItems)
		}
		it.Condition, it.PackagingCondition, it.SizeUnit = enumVal(cond), enumVal(pack), enumVal(unit)
		if it.MetadataList == nil {
			it.MetadataList = []map[string]string{}
		}
		for k := int64(0); k < int64(it.Quantity); k++ {
			req := it
			op := &batchOp{CreateListingRequest: &req}
			if k < int64(len(it.MetadataList)) {
				op.metadata = it.MetadataList[k]
			}
			ops = append(ops, op)
		}
	}
	return s.submit(batchTypeCreate, ops)
}

func (s *Server) handleBatchUpdate(c *call) (any, *apiError) {
	var req struct {
		Items []updateItem `json:"items"`
	}
	if aerr := decodeBody(c, &req); aerr != nil {
		return nil, aerr
	}
	if len(req.Items) == 0 {
		return nil, errMissing("items")
	}
	if len(req.Items) > maxBatchItems {
		return nil, errInvalid("items", "at most %d items per batch, got %d", maxBatchItems, len(req.Items))
	}
	ops := make([]*batchOp, 0, len(req.Items))
	for i := range req.Items {
		it := req.Items[i]
		field := func(name string) string { return fmt.Sprintf("items[%d].%s", i, name) }
		if strings.TrimSpace(it.ID) == "" {
			return nil, errMissing(field("id"))
		}
		if it.PriceCentsChange == nil && it.SizeChange == nil && it.CatalogIDChange == nil {
			return nil, errInvalid(field("id"), "no change given (price_cents_change, size_change or catalog_id_change)")
		}
		if ch := it.PriceCentsChange; ch != nil {
			if aerr := wholeDollarPrice(field("price_cents_change.new_value"), int64(ch.NewValue), nil); aerr != nil {
				return nil, aerr
			}
			op, aerr := conditionOperator(field("price_cents_change.condition_operator"), ch.ConditionOperator, ch.ConditionalValue != nil)
			if aerr != nil {
				return nil, aerr
			}
			ch.ConditionOperator = op
		}
		if ch := it.SizeChange; ch != nil {
			if ch.NewValue <= 0 {
				return nil, errMissing(field("size_change.new_value"))
			}
			op, aerr := conditionOperator(field("size_change.condition_operator"), ch.ConditionOperator, ch.ConditionalValue != nil)
			if aerr != nil {
				return nil, aerr
			}
			ch.ConditionOperator = op
		}
		if ch := it.CatalogIDChange; ch != nil {
			if strings.TrimSpace(ch.NewValue) == "" {
				return nil, errMissing(field("catalog_id_change.new_value"))
			}
			op, aerr := conditionOperator(field("catalog_id_change.condition_operator"), ch.ConditionOperator, ch.ConditionalValue != nil)
			if aerr != nil {
				return nil, aerr
			}
			ch.ConditionOperator = op
		}
		ops = append(ops, &batchOp{UpdateListingRequest: &it})
	}
	return s.submit(batchTypeUpdate, ops)
}

// conditionOperator validates a change's operator. Only EQ is published;
// it is required when a conditional_value is given.
func conditionOperator(name string, v enumVal, conditional bool) (enumVal, *apiError) {
	op, aerr := enum(name, string(v), []string{conditionOpEQ}, conditional)
	if aerr != nil {
		return "", aerr
	}
	if op == "" {
		op = conditionOpInvalid
	}
	return enumVal(op), nil
}

// ensureWorker starts the batch worker if it is not running. Callers hold
// mu (lock order: mu, then workerMu).
func (s *Server) ensureWorker() {
	s.workerMu.Lock()
	defer s.workerMu.Unlock()
	if s.working || s.closed {
		return
	}
	s.working = true
	s.workerWG.Add(1)
	go s.runBatches()
}

// runBatches advances running batches every BatchStep and exits when none
// is left (or on Close).
func (s *Server) runBatches() {
	defer s.workerWG.Done()
	t := time.NewTicker(s.cfg.BatchStep)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			s.workerMu.Lock()
			s.working = false
			s.workerMu.Unlock()
			return
		case <-t.C:
		}
		s.mu.Lock()
		active := s.stepBatchesLocked()
		if !active {
			s.workerMu.Lock()
			s.working = false
			s.workerMu.Unlock()
		}
		s.mu.Unlock()
		if !active {
			return
		}
	}
}

// stepBatchesLocked moves every running batch one step and reports
// whether any is still running. Callers hold mu.
func (s *Server) stepBatchesLocked() bool {
	bs := make([]*batch, 0)
	for _, b := range s.st.batches {
		if b.Status != batchCompleted {
			bs = append(bs, b)
		}
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].seq < bs[j].seq })
	now := s.now()
	active := false
	for _, b := range bs {
		switch b.Status {
		case batchPending:
			b.Status, b.ProcessedAt = batchInProgress, at(now)
			active = true
		case batchInProgress:
			done := 0
			for _, op := range b.ops {
				if op.Status != opPending && op.Status != opInProgress {
					continue
				}
				if done == opsPerStep {
					break
				}
				s.runOp(op, now)
				done++
				b.Processed++
				if !op.Success {
					b.Failed++
				}
			}
			if b.Processed == b.Queued {
				b.Status, b.CompletedAt = batchCompleted, at(now)
			} else {
				active = true
			}
		}
	}
	return active
}

// runOp performs one operation against the listings.
func (s *Server) runOp(op *batchOp, now time.Time) {
	op.ProcessedAt = at(now)
	var aerr *apiError
	switch {
	case op.CreateListingRequest != nil:
		var l *listing
		l, aerr = s.batchCreate(op.CreateListingRequest, op.metadata)
		if aerr == nil {
			op.CreateListingResult = &createResult{Listing: l.clone()}
		}
	case op.UpdateListingRequest != nil:
		var to updateTo
		to, aerr = s.batchUpdate(op.UpdateListingRequest, now)
		if aerr == nil {
			op.UpdateListingResult = &updateResult{To: to, ID: op.UpdateListingRequest.ID}
		}
	case op.ActivateListingRequest != nil:
		id := op.ActivateListingRequest.ID
		var l *listing
		if l, aerr = s.findListing(id); aerr == nil {
			aerr = s.activate(l)
		}
		if aerr == nil {
			op.ActivateListingResult = &idOnly{id}
		}
	case op.DeactivateListingRequest != nil:
		id := op.DeactivateListingRequest.ID
		var l *listing
		if l, aerr = s.findListing(id); aerr == nil {
			aerr = s.deactivate(l)
		}
		if aerr == nil {
			op.DeactivateListingResult = &idOnly{id}
		}
	case op.DeleteListingRequest != nil:
		id := op.DeleteListingRequest.ID
		var l *listing
		if l, aerr = s.findListing(id); aerr == nil {
			aerr = s.deleteListing(l)
		}
		if aerr == nil {
			op.DeleteListingResult = &idOnly{id}
		}
	}
	op.CompletedAt = at(now)
	if aerr != nil {
		op.Status, op.Success, op.Errors = opFailed, false, []string{aerr.Message}
		return
	}
	op.Status, op.Success = opCompleted, true
}

func (s *Server) batchCreate(it *createItem, meta map[string]string) (*listing, *apiError) {
	item, aerr := s.catalogItem(it.CatalogID)
	if aerr != nil {
		return nil, aerr
	}
	if !item.Resellable {
		return nil, errRefused("catalog item %s cannot be listed by this seller at the moment", item.CatalogID)
	}
	if aerr := wholeDollarPrice("price_cents", int64(it.PriceCents), item); aerr != nil {
		return nil, aerr
	}
	if aerr := checkSize(item, float64(it.Size), string(it.SizeUnit)); aerr != nil {
		return nil, aerr
	}
	return s.newListing(listingFields{
		item: item, price: int64(it.PriceCents), cond: string(it.Condition), pack: string(it.PackagingCondition),
		sizeUnit: string(it.SizeUnit), size: float64(it.Size), activate: it.Activate, metadata: meta,
	}), nil
}

func (s *Server) batchUpdate(it *updateItem, now time.Time) (updateTo, *apiError) {
	l, aerr := s.findListing(it.ID)
	if aerr != nil {
		return updateTo{}, aerr
	}
	if l.Status == listingSold {
		return updateTo{}, errRefused("listing %s is sold and cannot be updated", l.ID)
	}
	to := updateTo{CatalogID: l.CatalogID, PriceCents: l.PriceCents, Size: l.Size}
	if ch := it.PriceCentsChange; ch != nil {
		if ch.ConditionalValue != nil && int64(*ch.ConditionalValue) != l.PriceCents {
			return updateTo{}, errRefused("condition not met: price_cents is %d, not %d", l.PriceCents, int64(*ch.ConditionalValue))
		}
		to.PriceCents = int64(ch.NewValue)
	}
	if ch := it.SizeChange; ch != nil {
		if ch.ConditionalValue != nil && float64(*ch.ConditionalValue) != l.Size {
			return updateTo{}, errRefused("condition not met: size is %v, not %v", l.Size, float64(*ch.ConditionalValue))
		}
		to.Size = float64(ch.NewValue)
	}
	if ch := it.CatalogIDChange; ch != nil {
		if ch.ConditionalValue != nil && *ch.ConditionalValue != l.CatalogID {
			return updateTo{}, errRefused("condition not met: catalog_id is %s, not %s", l.CatalogID, *ch.ConditionalValue)
		}
		to.CatalogID = ch.NewValue
	}
	item, aerr := s.catalogItem(to.CatalogID)
	if aerr != nil {
		return updateTo{}, aerr
	}
	if aerr := wholeDollarPrice("price_cents", to.PriceCents, item); aerr != nil {
		return updateTo{}, aerr
	}
	if aerr := checkSize(item, to.Size, l.SizeUnit); aerr != nil {
		return updateTo{}, aerr
	}
	l.CatalogID, l.SKU, l.PriceCents, l.Size, l.UpdatedAt = item.CatalogID, item.SKU, to.PriceCents, to.Size, at(now)
	return to, nil
}
