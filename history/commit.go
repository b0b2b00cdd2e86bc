package history

import (
	bolt "go.etcd.io/bbolt"
)

// Group commit. Appends are prepared (redaction, caps, encoding of the
// bodies) in the caller's goroutine, given their id and queued in one step
// (so queue order is id order, and a retried transaction reuses the ids);
// one committer goroutine takes everything queued, writes the group in one
// bbolt Update (one fsync pair) and answers each caller. While a commit is
// on disk the next group gathers, so the group
// grows with the load and an idle append waits for nothing but its own
// fsync. bbolt's db.Batch gives the same sharing but waits up to
// MaxBatchDelay (10 ms by default, a DB-wide setting the store owns) for a
// batch to fill; BenchmarkAppend64 measures both.

// maxGroup bounds the entries written by one transaction.
const maxGroup = 1000

// commitMode selects how Append commits; only benchmarks change it.
type commitMode int

const (
	commitGroup  commitMode = iota // the committer goroutine (default)
	commitBatch                    // bbolt's db.Batch
	commitUpdate                   // one db.Update per entry (baseline)
)

// pending is an append waiting for its commit.
type pending struct {
	rec  *record
	done chan error // buffered; receives the commit's result once
}

// commit assigns rec its id, stores it and returns once it is durable.
func (h *History) commit(rec *record) error {
	switch h.mode {
	case commitBatch:
		rec.assign(h.ids.next(h.cfg.Now()))
		return h.db.Batch(h.putFunc(rec))
	case commitUpdate:
		rec.assign(h.ids.next(h.cfg.Now()))
		return h.db.Update(h.putFunc(rec))
	}
	return <-h.enqueue(rec).done
}

// enqueue gives rec its id and queues it for the committer. Commits follow
// the queue, so a reader never sees an id appear below one it has already
// seen (barring an entry whose own write failed and was retried alone).
func (h *History) enqueue(rec *record) *pending {
	p := &pending{rec: rec, done: make(chan error, 1)}
	h.enqMu.Lock()
	defer h.enqMu.Unlock()
	rec.assign(h.ids.next(h.cfg.Now()))
	h.queue <- p
	return p
}

// commitLoop runs until Close closes the queue.
func (h *History) commitLoop() {
	defer close(h.commits)
	if h.folds != nil {
		defer close(h.folds)
	}
	group := make([]*pending, 0, maxGroup)
	for p := range h.queue {
		group = append(group[:0], p)
	gather:
		for len(group) < maxGroup {
			select {
			case q, ok := <-h.queue:
				if !ok {
					break gather
				}
				group = append(group, q)
			default:
				break gather
			}
		}
		if h.jr != nil {
			h.journalGroup(group)
		} else {
			h.commitGroup(group)
		}
	}
}

// journalGroup writes a group to the journal, answers its callers and hands
// it to the folder. If the journal cannot be written the group is
// committed to bbolt directly, so no append fails because of the journal.
func (h *History) journalGroup(group []*pending) {
	if h.jr.dead {
		h.commitGroup(group)
		return
	}
	if h.jr.size > journalTrim {
		if _, ok := h.waitFolded(h.journaled, settleLimit); ok {
			if err := h.jr.trim(); err != nil {
				h.log.Warn("history: emptying the journal", "err", err)
			}
		}
	}
	if err := h.jr.write(group); err != nil {
		h.log.Error("history: journal write failed; committing to the database directly", "err", err)
		h.commitGroup(group)
		return
	}
	recs := make([]*record, len(group))
	for i, p := range group {
		recs[i] = p.rec
	}
	h.journaled = recs[len(recs)-1].id
	h.acked.Store(h.journaled)
	for _, p := range group {
		p.done <- nil
	}
	h.folds <- recs
}

// commitGroup writes a group in one transaction. As with bbolt's Batch,
// when one entry's function fails the transaction is rolled back, that
// entry is retried alone (its error, if any, goes to its caller only) and
// the rest of the group is written again.
func (h *History) commitGroup(group []*pending) {
	for len(group) > 0 {
		failed := -1
		err := h.db.Update(func(tx *bolt.Tx) error {
			for i, p := range group {
				if err := h.putFunc(p.rec)(tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed < 0 {
			for _, p := range group {
				p.done <- err
			}
			return
		}
		p := group[failed]
		group = append(group[:failed], group[failed+1:]...)
		p.done <- h.db.Update(h.putFunc(p.rec))
	}
}
