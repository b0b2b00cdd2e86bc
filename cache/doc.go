// Package cache is aliasd's HTTP-semantics response cache, kept in the
// shared bbolt file owned by package store.
//
// Keys. A Key is the request's method, canonical path, sorted query,
// Accept header, the token's fingerprint and the API version, never the
// token itself; records never hold an Authorization or cookie header.
// Query parameters are sorted by name; the values of a repeated name keep
// their order, because the API may answer in request order (ids=a&ids=b).
//
// Rules. Only GET is cached; HEAD and every other method pass straight
// through with provenance "bypass" (the catalog has no HEAD endpoint, and
// a HEAD answer has no body to store). Freshness comes from the endpoint's
// cache class (DefaultTTL; a TTL of 0 means "always revalidate, keep for
// offline use"), unless the server says otherwise: Cache-Control no-store
// (and Vary: *) is never stored, max-age and Expires set the lifetime,
// no-cache means lifetime 0, must-revalidate forbids stale serves. Only a
// complete 200 response within the per-entry cap is stored; 401, 403,
// 429, 5xx and every other status never are. A newer 200 that cannot be
// stored, a 404 and a 410 remove the old entry.
//
// Do answers a fresh entry without calling upstream ("hit"); otherwise it
// calls Fetch with If-None-Match / If-Modified-Since from the entry, and a
// 304 refreshes the entry and answers its body ("revalidated"). When Fetch
// reports no HTTP answer or a 5xx, a stored entry is served with its age
// ("stale") unless the request forbids it. Mode no-cache never answers
// from the entry without asking upstream (and never falls back to a stale
// one); only-if-cached never calls upstream and fails with ErrNotCached
// when there is no entry. Identical concurrent requests that need upstream
// share one Fetch (golang.org/x/sync/singleflight); the callers that did
// not run it get Result.Fetched false. A caller whose context ends stops
// waiting at once; the shared Fetch is cancelled when its last waiter has
// gone.
//
// Writes. Invalidate removes, for every token fingerprint, the entries a
// successful write changed (alias.Endpoint.Invalidated patterns). A Fetch
// that was already running when an invalidation (or Clear) happened does
// not store its answer, so a read racing a write cannot put old data back.
//
// Writes are queued and committed by one writer goroutine, many per
// transaction, so that a miss answers without waiting for bbolt's fsync;
// until an entry is committed it is served from the queue, so the next
// identical request is still a hit. Invalidate, Clear, Stats, Flush and
// Close wait for the queue first. The queue holds at most 64 MiB of
// records; past that, answers are not stored. A crash loses only queued
// entries, which costs upstream calls later and nothing else.
//
// Size. Entries (key + encoded record, bodies above Config.CompressAbove
// gzipped when that is smaller) are kept under Config.MaxBytes by evicting
// the least recently used ones. A hit does not write: its access time is
// kept in memory and written, together with the persistent counters, by
// the next write transaction; the writer is also woken once flushBatch
// (256) accesses or flushInterval (30 s) have accumulated, and Close
// writes what is left.
// Losing unflushed access times in a crash only makes eviction order a
// little less exact.
//
// Store failures never fail a request: a record that cannot be read is
// treated as absent, and one that cannot be written is logged.
package cache
