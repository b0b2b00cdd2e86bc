package cache

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// component is the cache's name in the store's schema table.
const component = "cache"

// Bucket layout: one top-level bucket with four children.
//
//	cache/entries  canonical key -> record (see record.go)
//	cache/atime    canonical key -> last access, 8 bytes big-endian unix ns
//	cache/lru      last access (8 bytes) + canonical key -> empty; oldest first
//	cache/stats    counter name -> 8 bytes big-endian
var (
	bucketCache   = []byte("cache")
	bucketEntries = []byte("entries")
	bucketAtime   = []byte("atime")
	bucketLRU     = []byte("lru")
	bucketStats   = []byte("stats")
)

// Counter names in cache/stats.
var (
	statEntries       = []byte("entries")
	statBytes         = []byte("bytes")
	statHits          = []byte("hits")
	statMisses        = []byte("misses")
	statRevalidations = []byte("revalidations")
	statStaleServes   = []byte("stale_serves")
	statEvictions     = []byte("evictions")
)

// migrations are the cache's schema steps (store.Migrate).
var migrations = []func(*bbolt.Tx) error{
	// 1: the bucket layout above.
	func(tx *bbolt.Tx) error { return createBuckets(tx) },
}

func createBuckets(tx *bbolt.Tx) error {
	root, err := tx.CreateBucketIfNotExists(bucketCache)
	if err != nil {
		return err
	}
	for _, name := range [][]byte{bucketEntries, bucketAtime, bucketLRU, bucketStats} {
		if _, err := root.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	return nil
}

// buckets are the cache's buckets inside one transaction.
type buckets struct {
	entries, atime, lru, stats *bbolt.Bucket
}

func open(tx *bbolt.Tx) (buckets, error) {
	root := tx.Bucket(bucketCache)
	if root == nil {
		return buckets{}, errors.New("cache bucket missing")
	}
	b := buckets{
		entries: root.Bucket(bucketEntries),
		atime:   root.Bucket(bucketAtime),
		lru:     root.Bucket(bucketLRU),
		stats:   root.Bucket(bucketStats),
	}
	if b.entries == nil || b.atime == nil || b.lru == nil || b.stats == nil {
		return buckets{}, errors.New("cache buckets missing")
	}
	return b, nil
}

func u64(v []byte) int64 {
	if len(v) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}

func be64(n int64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 8), uint64(n)) }

func (b buckets) counter(name []byte) int64 { return u64(b.stats.Get(name)) }

func (b buckets) setCounter(name []byte, n int64) error { return b.stats.Put(name, be64(n)) }

func (b buckets) addCounter(name []byte, d int64) error {
	return b.setCounter(name, b.counter(name)+d)
}

func lruKey(atime int64, ck []byte) []byte {
	k := make([]byte, 0, 8+len(ck))
	k = binary.BigEndian.AppendUint64(k, uint64(atime))
	return append(k, ck...)
}

// loadCounters reads the persisted totals into c.base.
func (c *Cache) loadCounters() error {
	return c.st.View(func(tx *bbolt.Tx) error {
		b, err := open(tx)
		if err != nil {
			return err
		}
		c.base.hits.Store(b.counter(statHits))
		c.base.misses.Store(b.counter(statMisses))
		c.base.revalidations.Store(b.counter(statRevalidations))
		c.base.staleServes.Store(b.counter(statStaleServes))
		c.base.evictions.Store(b.counter(statEvictions))
		return nil
	})
}

// load reads and decodes the entry for ck. A missing, unreadable or
// malformed record is reported as nil (and logged): the request then goes
// upstream.
func (c *Cache) load(ck string) *entry {
	if e, queued := c.queued(ck); queued {
		return e
	}
	var raw []byte
	err := c.st.View(func(tx *bbolt.Tx) error {
		b, err := open(tx)
		if err != nil {
			return err
		}
		if v := b.entries.Get([]byte(ck)); v != nil {
			raw = bytes.Clone(v)
		}
		return nil
	})
	if err != nil {
		c.log.Warn("cache read failed", "path", keyPath(ck), "err", err)
		return nil
	}
	if raw == nil {
		return nil
	}
	e, err := decode(raw)
	if err != nil {
		c.log.Warn("dropping unreadable cache record", "path", keyPath(ck), "err", err)
		return nil
	}
	return e
}

// update runs fn in a write transaction, then writes the pending access
// times (after fn, so that hits on entries fn just stored count), evicts
// least recently used entries down to MaxBytes and writes the counters:
// all of that piggybacks on every write.
func (c *Cache) update(fn func(b buckets) error) error {
	pending := c.takePending()
	var evicted int64
	err := c.st.Update(func(tx *bbolt.Tx) error {
		evicted = 0
		b, err := open(tx)
		if err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
		for ck, at := range pending {
			if err := b.touchLocked([]byte(ck), at); err != nil {
				return err
			}
		}
		if evicted, err = c.evictLocked(b); err != nil {
			return err
		}
		return c.writeCounters(b)
	})
	if err != nil {
		c.restorePending(pending)
		return err
	}
	c.session.evictions.Add(evicted)
	return nil
}

// evictLocked removes least recently used entries while the total is over
// MaxBytes and returns how many went.
func (c *Cache) evictLocked(b buckets) (int64, error) {
	var n int64
	for b.counter(statBytes) > c.maxBytes {
		victim, _ := b.lru.Cursor().First()
		if victim == nil {
			break
		}
		if err := b.removeLocked(bytes.Clone(victim[8:])); err != nil {
			return n, err
		}
		n++
	}
	if n > 0 {
		return n, b.addCounter(statEvictions, n)
	}
	return 0, nil
}

// writeCounters stores base + session for the answer counters (evictions
// are added by the transaction that evicts).
func (c *Cache) writeCounters(b buckets) error {
	for _, kv := range []struct {
		name []byte
		n    int64
	}{
		{statHits, c.base.hits.Load() + c.session.hits.Load()},
		{statMisses, c.base.misses.Load() + c.session.misses.Load()},
		{statRevalidations, c.base.revalidations.Load() + c.session.revalidations.Load()},
		{statStaleServes, c.base.staleServes.Load() + c.session.staleServes.Load()},
	} {
		if err := b.setCounter(kv.name, kv.n); err != nil {
			return err
		}
	}
	return nil
}

// removeLocked deletes ck from all three buckets and the totals. It is a
// no-op when ck has no entry.
func (b buckets) removeLocked(ck []byte) error {
	v := b.entries.Get(ck)
	if v == nil {
		return nil
	}
	size := int64(len(ck) + len(v))
	if err := b.entries.Delete(ck); err != nil {
		return err
	}
	if at := b.atime.Get(ck); at != nil {
		if err := b.lru.Delete(lruKey(u64(at), ck)); err != nil {
			return err
		}
		if err := b.atime.Delete(ck); err != nil {
			return err
		}
	}
	if err := b.addCounter(statEntries, -1); err != nil {
		return err
	}
	return b.addCounter(statBytes, -size)
}

// setAtime records ck's last access, moving it in the LRU index.
func (b buckets) setAtime(ck []byte, at int64) error {
	if old := b.atime.Get(ck); old != nil {
		if u64(old) == at {
			return nil
		}
		if err := b.lru.Delete(lruKey(u64(old), ck)); err != nil {
			return err
		}
	}
	if err := b.atime.Put(ck, be64(at)); err != nil {
		return err
	}
	return b.lru.Put(lruKey(at, ck), nil)
}

// touchLocked applies a pending access to an entry that still exists.
func (b buckets) touchLocked(ck []byte, at int64) error {
	if b.entries.Get(ck) == nil {
		return nil
	}
	if old := b.atime.Get(ck); old != nil && u64(old) >= at {
		return nil
	}
	return b.setAtime(ck, at)
}

// Access-time batching.
const (
	flushBatch    = 256              // pending accesses that trigger a flush
	flushInterval = 30 * time.Second // age of the last flush that triggers one
)

// touch records an access in memory and wakes the writer when enough
// have piled up.
func (c *Cache) touch(ck string, now time.Time) {
	c.accessMu.Lock()
	if at := now.UnixNano(); at > c.pending[ck] {
		c.pending[ck] = at
	}
	due := len(c.pending) >= flushBatch || now.Sub(c.lastFlush) >= flushInterval
	if due {
		c.lastFlush = now
	}
	c.accessMu.Unlock()
	if due {
		c.kickWriter()
	}
}

func (c *Cache) hasPending() bool {
	c.accessMu.Lock()
	defer c.accessMu.Unlock()
	return len(c.pending) > 0
}

func (c *Cache) takePending() map[string]int64 {
	c.accessMu.Lock()
	defer c.accessMu.Unlock()
	if len(c.pending) == 0 {
		return nil
	}
	p := c.pending
	c.pending = make(map[string]int64, len(p))
	return p
}

// restorePending puts back accesses a failed transaction did not write.
func (c *Cache) restorePending(p map[string]int64) {
	if len(p) == 0 {
		return
	}
	c.accessMu.Lock()
	defer c.accessMu.Unlock()
	for ck, at := range p {
		if at > c.pending[ck] {
			c.pending[ck] = at
		}
	}
}

// Flush waits until every queued write is committed, then writes pending
// access times and counters.
func (c *Cache) Flush() error {
	c.drain()
	if err := c.update(func(buckets) error { return nil }); err != nil {
		return fmt.Errorf("flushing cache: %w", err)
	}
	return nil
}

// Close commits queued writes, access times and counters and stops the
// writer. It does not close the store; call it before Store.Close. The
// cache must not be used afterwards.
func (c *Cache) Close() error {
	c.stopOnce.Do(func() {
		c.drain()
		close(c.stopWriter)
		<-c.writerDone
	})
	return c.Flush()
}
