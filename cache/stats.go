package cache

import (
	"bytes"
	"fmt"
	"strings"

	"go.etcd.io/bbolt"

	"github.com/aliasd/aliasd/rpc"
)

// scope is the part of the key space a path pattern covers.
type scope struct {
	prefix []byte // canonical keys starting with this match
	all    bool
}

// parseScope turns a path pattern into a key prefix: an exact path
// ("/api/v1/listings/7", any query, any token) or, with a trailing "*", a
// path prefix. "" and "*" cover everything.
func parseScope(pattern string) (scope, error) {
	p := strings.TrimSpace(pattern)
	wild := strings.HasSuffix(p, "*")
	p = strings.TrimSuffix(p, "*")
	if p == "" || p == "/" {
		return scope{all: true}, nil
	}
	cp, err := canonicalPath(p)
	if err != nil {
		return scope{}, fmt.Errorf("path pattern %q: %w", pattern, err)
	}
	if wild {
		return scope{prefix: []byte(cp)}, nil
	}
	return scope{prefix: []byte(cp + "\x00")}, nil
}

// removeScope deletes every entry in sc and returns how many.
func (b buckets) removeScope(sc scope) (int, error) {
	var victims [][]byte
	c := b.entries.Cursor()
	for k, _ := c.Seek(sc.prefix); k != nil && bytes.HasPrefix(k, sc.prefix); k, _ = c.Next() {
		victims = append(victims, bytes.Clone(k))
	}
	for _, k := range victims {
		if err := b.removeLocked(k); err != nil {
			return 0, err
		}
	}
	return len(victims), nil
}

// missing counts the keys that have no stored entry: dropped queued puts
// that were not yet in the file count as removed too.
func (b buckets) missing(keys []string) int {
	n := 0
	for _, k := range keys {
		if b.entries.Get([]byte(k)) == nil {
			n++
		}
	}
	return n
}

// Invalidate removes, for every token fingerprint and query, the entries
// whose path matches one of patterns (alias.Endpoint.Invalidated: exact
// paths, or prefixes ending in "*"). Fetches already running when it is
// called do not store their answers. It returns how many entries went.
func (c *Cache) Invalidate(patterns []string) (int, error) {
	scopes := make([]scope, 0, len(patterns))
	for _, p := range patterns {
		if strings.TrimSpace(p) == "" {
			continue // an empty pattern must not mean "everything" here
		}
		sc, err := parseScope(p)
		if err != nil {
			return 0, fmt.Errorf("invalidating: %w", err)
		}
		scopes = append(scopes, sc)
	}
	if len(scopes) == 0 {
		return 0, nil
	}
	dropped := c.dropQueued(scopes)
	c.drain()
	removed := 0
	err := c.update(func(b buckets) error {
		removed = b.missing(dropped)
		for _, sc := range scopes {
			n, err := b.removeScope(sc)
			if err != nil {
				return err
			}
			removed += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("invalidating: %w", err)
	}
	return removed, nil
}

// Clear removes every entry under pathPrefix ("" for all) and returns how
// many. "/catalog" and "/api/v1/catalog" are the same prefix.
func (c *Cache) Clear(pathPrefix string) (int, error) {
	sc, err := parseScope(strings.TrimSuffix(strings.TrimSpace(pathPrefix), "*") + "*")
	if err != nil {
		return 0, fmt.Errorf("clearing cache: %w", err)
	}
	dropped := c.dropQueued([]scope{sc})
	c.drain()
	removed := 0
	err = c.update(func(b buckets) error {
		removed = b.missing(dropped)
		if !sc.all {
			n, err := b.removeScope(sc)
			removed += n
			return err
		}
		removed += int(b.counter(statEntries))
		root := b.entries.Tx().Bucket(bucketCache)
		for _, name := range [][]byte{bucketEntries, bucketAtime, bucketLRU} {
			if err := root.DeleteBucket(name); err != nil {
				return err
			}
			if _, err := root.CreateBucket(name); err != nil {
				return err
			}
		}
		if err := b.setCounter(statEntries, 0); err != nil {
			return err
		}
		return b.setCounter(statBytes, 0)
	})
	if err != nil {
		return 0, fmt.Errorf("clearing cache: %w", err)
	}
	return removed, nil
}

// Stats reports the cache. Entries and Bytes count the entries under
// pathPrefix ("" for all); the answer counters cover the whole cache since
// it was created (they persist across restarts).
func (c *Cache) Stats(pathPrefix string) (rpc.CacheStatsResult, error) {
	sc, err := parseScope(strings.TrimSuffix(strings.TrimSpace(pathPrefix), "*") + "*")
	if err != nil {
		return rpc.CacheStatsResult{}, fmt.Errorf("cache stats: %w", err)
	}
	c.drain()
	res := rpc.CacheStatsResult{
		MaxBytes:      c.maxBytes,
		Hits:          c.base.hits.Load() + c.session.hits.Load(),
		Misses:        c.base.misses.Load() + c.session.misses.Load(),
		Revalidations: c.base.revalidations.Load() + c.session.revalidations.Load(),
		StaleServes:   c.base.staleServes.Load() + c.session.staleServes.Load(),
		Evictions:     c.base.evictions.Load() + c.session.evictions.Load(),
	}
	err = c.st.View(func(tx *bbolt.Tx) error {
		b, err := open(tx)
		if err != nil {
			return err
		}
		if sc.all {
			res.Entries = int(b.counter(statEntries))
			res.Bytes = b.counter(statBytes)
			return nil
		}
		cur := b.entries.Cursor()
		for k, v := cur.Seek(sc.prefix); k != nil && bytes.HasPrefix(k, sc.prefix); k, v = cur.Next() {
			res.Entries++
			res.Bytes += int64(len(k) + len(v))
		}
		return nil
	})
	if err != nil {
		return rpc.CacheStatsResult{}, fmt.Errorf("cache stats: %w", err)
	}
	if size, err := c.st.FileSize(); err == nil {
		res.FileBytes = size
	}
	return res, nil
}
