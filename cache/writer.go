package cache

import "strings"

// Writes are queued and committed by one writer goroutine, so that a miss
// answers without waiting for bbolt's fsync and concurrent misses share
// one transaction. Until an entry is committed, load finds it in the
// queue, so a request right after a miss is still a hit. Invalidate, Clear,
// Stats, Flush and Close wait for the queue first (drain). A crash loses
// at most the queued entries, which only costs upstream calls later.

// defaultMaxQueueBytes bounds the records waiting for the writer; past it
// new answers are not stored (the disk is not keeping up).
const defaultMaxQueueBytes = 64 << 20

// op is one queued write: a put (rec set) or a delete.
type op struct {
	ck  string
	ent *entry // the decoded entry, served by load while queued
	rec []byte // encoded record; nil for a delete
	seq uint64
}

// generation returns the invalidation count a fetch starts under.
func (c *Cache) generation() uint64 {
	c.putMu.Lock()
	defer c.putMu.Unlock()
	return c.gen
}

// enqueuePut queues e for storage unless an invalidation happened since
// gen was read (the answer may predate a write) or the cache is closed.
func (c *Cache) enqueuePut(ck string, e *entry, gen uint64) {
	rec := encode(e, c.compressAbove) // outside any lock
	c.putMu.Lock()
	if c.gen != gen || c.stopped {
		c.putMu.Unlock()
		return
	}
	if c.queueBytes+len(rec) > c.maxQueue {
		c.putMu.Unlock()
		c.log.Warn("cache write queue full; answer not stored", "path", keyPath(ck))
		c.kickWriter()
		return
	}
	c.seq++
	c.setQueuedLocked(&op{ck: ck, ent: e, rec: rec, seq: c.seq})
	c.putMu.Unlock()
	c.kickWriter()
}

// setQueuedLocked queues o, replacing an older op for the same key.
func (c *Cache) setQueuedLocked(o *op) {
	if old := c.queue[o.ck]; old != nil {
		c.queueBytes -= len(old.rec)
	}
	c.queue[o.ck] = o
	c.queueBytes += len(o.rec)
}

// unqueueLocked removes the op queued for ck.
func (c *Cache) unqueueLocked(ck string) {
	if old := c.queue[ck]; old != nil {
		c.queueBytes -= len(old.rec)
		delete(c.queue, ck)
	}
}

// enqueueDelete queues the removal of ck's entry.
func (c *Cache) enqueueDelete(ck string) {
	c.putMu.Lock()
	if c.stopped {
		c.putMu.Unlock()
		return
	}
	c.seq++
	c.setQueuedLocked(&op{ck: ck, seq: c.seq})
	c.putMu.Unlock()
	c.kickWriter()
}

// queued returns the entry a queued write holds for ck: (entry, true) for
// a put, (nil, true) for a delete, (nil, false) when nothing is queued.
func (c *Cache) queued(ck string) (*entry, bool) {
	c.putMu.Lock()
	o, ok := c.queue[ck]
	c.putMu.Unlock()
	if !ok {
		return nil, false
	}
	if o.rec == nil {
		return nil, true
	}
	cp := *o.ent
	cp.header = o.ent.header.Clone() // callers may merge a 304 into it
	return &cp, true
}

// dropQueued removes queued writes under the scopes and counts a new
// generation, so that fetches already running do not queue their answers.
// It returns the keys of the dropped puts. The caller drains afterwards: a
// batch being committed right now may hold matching entries, which its own
// transaction then deletes.
func (c *Cache) dropQueued(scopes []scope) []string {
	c.putMu.Lock()
	defer c.putMu.Unlock()
	c.gen++
	var puts []string
	for ck, o := range c.queue {
		for _, sc := range scopes {
			if sc.all || strings.HasPrefix(ck, string(sc.prefix)) {
				c.unqueueLocked(ck)
				if o.rec != nil {
					puts = append(puts, ck)
				}
				break
			}
		}
	}
	return puts
}

func (c *Cache) kickWriter() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// drain waits until every op queued before the call is settled.
func (c *Cache) drain() {
	c.putMu.Lock()
	defer c.putMu.Unlock()
	target := c.seq
	for c.committed < target && !c.stopped {
		c.kickWriter()
		c.putCond.Wait()
	}
}

func (c *Cache) writeLoop() {
	defer close(c.writerDone)
	for {
		select {
		case <-c.kick:
			c.writeBatch()
		case <-c.stopWriter:
			c.writeBatch()
			c.putMu.Lock()
			c.stopped = true
			c.putCond.Broadcast()
			c.putMu.Unlock()
			return
		}
	}
}

// writeBatch commits everything queued in one transaction, together with
// pending access times and counters, evicting down to MaxBytes.
func (c *Cache) writeBatch() {
	c.putMu.Lock()
	ops := make([]*op, 0, len(c.queue))
	for _, o := range c.queue {
		ops = append(ops, o)
	}
	target := c.seq
	c.putMu.Unlock()

	if len(ops) > 0 || c.hasPending() {
		if err := c.update(func(b buckets) error { return applyLocked(b, ops) }); err != nil {
			c.log.Warn("cache write failed", "entries", len(ops), "err", err)
		}
	}

	c.putMu.Lock()
	for _, o := range ops {
		if c.queue[o.ck] == o {
			c.unqueueLocked(o.ck)
		}
	}
	c.committed = max(c.committed, target)
	c.putCond.Broadcast()
	c.putMu.Unlock()
}

// applyLocked writes ops inside a transaction. A put's access time is the
// time upstream answered (validatedAt), not the time of the batch.
func applyLocked(b buckets, ops []*op) error {
	for _, o := range ops {
		key := []byte(o.ck)
		if err := b.removeLocked(key); err != nil {
			return err
		}
		if o.rec == nil {
			continue
		}
		if err := b.entries.Put(key, o.rec); err != nil {
			return err
		}
		if err := b.setAtime(key, o.ent.validatedAt.UnixNano()); err != nil {
			return err
		}
		if err := b.addCounter(statEntries, 1); err != nil {
			return err
		}
		if err := b.addCounter(statBytes, int64(len(key)+len(o.rec))); err != nil {
			return err
		}
	}
	return nil
}
