package history

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Prune deletes the oldest entries until at most MaxEntries remain and none
// is older than MaxAge. It works in transactions of at most PruneBatch
// entries, so appends wait for one small transaction at a time, and returns
// how many entries it removed. It stops early when ctx is done. Entries
// still on their way from the journal are waited for, so they count.
func (h *History) Prune(ctx context.Context) (int, error) {
	h.settle()
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n, more, err := h.pruneBatch()
		total += n
		if err != nil {
			return total, fmt.Errorf("pruning history: %w", err)
		}
		if !more {
			return total, nil
		}
	}
}

// victim is an entry chosen for deletion with the index keys it owns.
type victim struct {
	key    []byte
	rids   []string
	status int
	known  bool // summary decoded; status and rids are valid
}

// pruneBatch deletes up to PruneBatch entries in one transaction. more
// reports whether the batch was full (there may be more to delete).
func (h *History) pruneBatch() (removed int, more bool, err error) {
	var cutoff uint64 // ids below this are too old
	if h.cfg.MaxAge > 0 {
		cutoff = timeID(h.cfg.Now().Add(-h.cfg.MaxAge))
	}
	var left uint64
	err = h.db.Update(func(tx *bolt.Tx) error {
		state := tx.Bucket(bucketState)
		count := getUint(state, keyCount)
		entries := tx.Bucket(bucketEntries)
		var victims []victim
		c := entries.Cursor()
		for k, v := c.First(); k != nil && len(victims) < h.cfg.PruneBatch; k, v = c.Next() {
			id := binary.BigEndian.Uint64(k)
			if count-uint64(len(victims)) <= uint64(h.cfg.MaxEntries) && id >= cutoff {
				break
			}
			vc := victim{key: append([]byte(nil), k...)}
			if status, rids, err := decodeKeys(v); err == nil {
				vc.known, vc.status, vc.rids = true, status, rids
			}
			victims = append(victims, vc)
		}
		if len(victims) == 0 {
			left = count
			return nil
		}
		bodies, rids := tx.Bucket(bucketBodies), tx.Bucket(bucketRID)
		class, errs := tx.Bucket(bucketClass), tx.Bucket(bucketErrors)
		for _, vc := range victims {
			id := binary.BigEndian.Uint64(vc.key)
			for _, del := range []struct {
				b *bolt.Bucket
				k []byte
			}{{entries, vc.key}, {bodies, vc.key}, {errs, vc.key}} {
				if err := del.b.Delete(del.k); err != nil {
					return err
				}
			}
			if vc.known {
				if err := class.Delete(classKey(vc.status/100, id)); err != nil {
					return err
				}
				for _, rid := range vc.rids {
					if validRID(rid) {
						if err := rids.Delete(ridKey(rid, id)); err != nil {
							return err
						}
					}
				}
			} else {
				// Undecodable summary: its rid keys stay behind as
				// orphans, which lookups skip.
				for cl := 0; cl <= 9; cl++ {
					if err := class.Delete(classKey(cl, id)); err != nil {
						return err
					}
				}
			}
		}
		left = count - min(count, uint64(len(victims)))
		removed = len(victims)
		more = len(victims) == h.cfg.PruneBatch
		return putUint(state, keyCount, left)
	})
	if err != nil {
		return 0, false, err
	}
	h.count.Store(int64(left))
	return removed, more, nil
}

// pruneLoop prunes every PruneInterval and whenever woken, until ctx ends.
func (h *History) pruneLoop(ctx context.Context) {
	defer close(h.done)
	t := time.NewTicker(h.cfg.PruneInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-h.kick:
		}
		n, err := h.Prune(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			h.log.Warn("history: pruning failed", "removed", n, "err", err)
		case n > 0:
			h.log.Debug("history: pruned", "removed", n)
		}
	}
}
