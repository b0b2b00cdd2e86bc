package history

import (
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Group commit. Appends are prepared (redaction, caps, encoding of the
// bodies) in the caller's goroutine, given their id and queued in one step
// (so queue order is id order, and a retried transaction reuses the ids).
// Then the caller waits for whichever comes first: its entry written by
// another appender, or the writer slot (h.writer, one holder at a time).
// Holding the slot, it takes everything queued, writes the group in one
// bbolt Update (one fsync pair) or one journal write (one sync), answers
// each caller, and repeats until its own entry is written.
//
// While a group is on disk the next one gathers in the queue, so the group
// grows with the load, and an idle append waits for nothing but its own
// sync: it writes in its own goroutine, with no hand-off to a committer
// goroutine and back. Waiting on both at once matters: with a mutex
// instead of the slot, every appender of a group would take and release it
// in turn after the group was written, a chain of wake-ups before the next
// group can start (BenchmarkAppend64 through the journal: a third fewer
// appends/s with 64 writers). bbolt's db.Batch gives the same sharing but
// waits up to MaxBatchDelay (10 ms by default, a DB-wide setting the store
// owns) for a batch to fill; BenchmarkAppend64 measures both.

// maxGroup bounds the entries written by one transaction.
const maxGroup = 1000

// commitMode selects how Append commits; only benchmarks change it.
type commitMode int

const (
	commitGroup  commitMode = iota // group commit by the appenders (default)
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
	p := h.enqueue(rec)
	select {
	case err := <-p.done: // another appender wrote it
		return err
	case h.writer <- struct{}{}:
	}
	defer func() { <-h.writer }()
	for {
		select {
		case err := <-p.done:
			return err
		default:
		}
		h.write(h.take())
	}
}

// write commits a group taken from the queue and answers its appenders.
// A panic while writing answers every appender of the group with an error
// before it goes on up the caller's stack (the RPC layer recovers it), so
// no other appender waits forever for an answer.
func (h *History) write(group []*pending) {
	defer func() {
		if r := recover(); r != nil {
			err := fmt.Errorf("writing the history panicked: %v", r)
			for _, p := range group {
				select {
				case p.done <- err:
				default: // already answered
				}
			}
			panic(r)
		}
	}()
	if h.jr != nil {
		h.journalGroup(group)
	} else {
		h.commitGroup(group)
	}
}

// enqueue gives rec its id and queues it. Groups are taken from the front
// of the queue, so a reader never sees an id appear below one it has
// already seen (barring an entry whose own write failed and was retried
// alone).
func (h *History) enqueue(rec *record) *pending {
	p := &pending{rec: rec, done: make(chan error, 1)}
	h.enqMu.Lock()
	defer h.enqMu.Unlock()
	rec.assign(h.ids.next(h.cfg.Now()))
	h.queue = append(h.queue, p)
	return p
}

// take removes the next group, at most maxGroup appends, from the queue.
func (h *History) take() []*pending {
	h.enqMu.Lock()
	defer h.enqMu.Unlock()
	n := min(len(h.queue), maxGroup)
	group := slices.Clone(h.queue[:n])
	h.queue = append(h.queue[:0], h.queue[n:]...)
	return group
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
