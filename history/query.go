package history

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aliasd/aliasd/rpc"
	bolt "go.etcd.io/bbolt"
)

// List limits.
const (
	DefaultListLimit = 50
	MaxListLimit     = 1000
)

// pathPrefix is the prefix of every API path; filters accept paths with or
// without it.
const pathPrefix = "/api/v1"

// scanChunk is how many index keys one read transaction examines before it
// is released, so a long filter scan never holds a read transaction (which
// would block bbolt's remap and so the writers).
const scanChunk = 2048

// query is a parsed, validated HistoryListParams.
type query struct {
	limit       int // 0 = no limit (export)
	statusExact int // -1 = any
	statusClass int // -1 = any
	errorsOnly  bool
	path        string // normalized prefix, "" = any
	requestID   string
	text        string // lower-case, "" = any
	textASCII   bool   // text is ASCII: prefilter applies
	since       time.Time
	until       time.Time
	hasSince    bool
	hasUntil    bool
	before      uint64 // only ids < before (from the cursor); 0 = no bound
}

// parseParams validates p. limitDefault applies when p.Limit is 0.
func parseParams(p rpc.HistoryListParams, limitDefault int) (*query, error) {
	q := &query{statusExact: -1, statusClass: -1, errorsOnly: p.ErrorsOnly}
	switch {
	case p.Limit < 0 || p.Limit > MaxListLimit:
		return nil, &ParamError{Field: "limit", Reason: fmt.Sprintf("%d is outside 1..%d", p.Limit, MaxListLimit)}
	case p.Limit == 0:
		q.limit = limitDefault
	default:
		q.limit = p.Limit
	}
	if c := strings.TrimSpace(p.Cursor); c != "" {
		id, err := decodeCursor(c)
		if err != nil {
			return nil, &ParamError{Field: "cursor", Reason: "not a cursor returned by alias/history/list"}
		}
		q.before = id
	}
	if s := strings.ToLower(strings.TrimSpace(p.Status)); s != "" {
		if err := q.parseStatus(s); err != nil {
			return nil, err
		}
	}
	if s := strings.TrimSpace(p.Path); s != "" {
		q.path = normalizePath(s)
	}
	if s := strings.TrimSpace(p.RequestID); s != "" {
		if !validRID(s) {
			return nil, &ParamError{Field: "requestId", Reason: "must be 1 to 512 characters without NUL"}
		}
		q.requestID = s
	}
	if s := strings.TrimSpace(p.Text); s != "" {
		if len(s) > 1024 {
			return nil, &ParamError{Field: "text", Reason: "longer than 1024 bytes"}
		}
		q.text = strings.ToLower(s)
		q.textASCII = isASCII(q.text)
	}
	var err error
	if s := strings.TrimSpace(p.Since); s != "" {
		if q.since, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return nil, &ParamError{Field: "since", Reason: fmt.Sprintf("%q is not an RFC 3339 time", s)}
		}
		q.hasSince = true
	}
	if s := strings.TrimSpace(p.Until); s != "" {
		if q.until, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return nil, &ParamError{Field: "until", Reason: fmt.Sprintf("%q is not an RFC 3339 time", s)}
		}
		q.hasUntil = true
	}
	if q.hasSince && q.hasUntil && q.until.Before(q.since) {
		return nil, &ParamError{Field: "until", Reason: "is before since"}
	}
	return q, nil
}

// parseStatus accepts "404", "4xx" and "0" (network failures).
func (q *query) parseStatus(s string) error {
	bad := &ParamError{Field: "status", Reason: fmt.Sprintf("%q is not a status code (404), a class (4xx) or 0 (network failure)", s)}
	if len(s) == 3 && strings.HasSuffix(s, "xx") {
		c := s[0]
		if c < '1' || c > '5' {
			return bad
		}
		q.statusClass = int(c - '0')
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || (n != 0 && (n < 100 || n > 999)) {
		return bad
	}
	q.statusExact = n
	q.statusClass = n / 100
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// normalizePath turns "/catalog", "catalog" or "/api/v1/catalog?x" into
// "/api/v1/catalog". A trailing slash is kept: "/listings/" matches only
// paths below /listings.
func normalizePath(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if p != pathPrefix && !strings.HasPrefix(p, pathPrefix+"/") {
		p = pathPrefix + p
	}
	return p
}

// prefilter rejects, without decoding, summaries that cannot match the
// path or text filter: strings are stored verbatim, so a match needs the
// path's tail and (ASCII case folded) the text somewhere in the bytes.
func (q *query) prefilter(raw []byte) bool {
	if tail := strings.TrimPrefix(q.path, pathPrefix); len(tail) > 1 && !bytes.Contains(raw, []byte(tail)) {
		return false
	}
	if q.text != "" && q.textASCII && !containsFoldASCII(raw, q.text) {
		return false
	}
	return true
}

// containsFoldASCII reports whether s may contain lower (ASCII, lower
// case) ignoring ASCII case. It answers true when s has non-ASCII bytes,
// whose Unicode case folding could still produce a match.
func containsFoldASCII(s []byte, lower string) bool {
	n := len(lower)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for j < n && toLowerASCII(s[i+j]) == lower[j] {
			j++
		}
		if j == n {
			return true
		}
	}
	for _, c := range s {
		if c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

func toLowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// match applies every filter to a decoded summary.
func (q *query) match(e *rpc.HistoryEntry) bool {
	if q.statusExact >= 0 && e.Status != q.statusExact {
		return false
	}
	if q.statusClass >= 0 && e.Status/100 != q.statusClass {
		return false
	}
	if q.errorsOnly && !IsError(e) {
		return false
	}
	if q.path != "" && !strings.HasPrefix(normalizePath(e.Path), q.path) {
		return false
	}
	if q.requestID != "" && !hasRID(e, q.requestID) {
		return false
	}
	if q.hasSince && e.Time.Before(q.since) {
		return false
	}
	if q.hasUntil && e.Time.After(q.until) {
		return false
	}
	if q.text != "" && !q.matchText(e) {
		return false
	}
	return true
}

func (q *query) matchText(e *rpc.HistoryEntry) bool {
	has := func(s string) bool { return s != "" && strings.Contains(strings.ToLower(s), q.text) }
	if has(e.Path) {
		return true
	}
	if e.Error != nil && (has(e.Error.Message) || has(e.Error.CodeName)) {
		return true
	}
	return e.Diagnostic != nil && (has(e.Diagnostic.Title) || has(e.Diagnostic.Detail))
}

func hasRID(e *rpc.HistoryEntry, rid string) bool {
	if e.RequestID == rid {
		return true
	}
	for _, r := range e.RequestIDs {
		if r == rid {
			return true
		}
	}
	return false
}

// plan picks the index that drives a scan: the most selective one the
// filters allow. Every index key is a prefix followed by an 8-byte id, so
// one loop walks them all newest first between id bounds.
type plan struct {
	bucket []byte
	prefix []byte
	hi, lo uint64 // inclusive id bounds
	status int    // when ≥ 0, compare with the class index value before decoding
}

func (h *History) plan(q *query) (plan, bool) {
	p := plan{bucket: bucketEntries, hi: ^uint64(0), status: -1}
	switch {
	case q.requestID != "":
		p.bucket, p.prefix = bucketRID, ridPrefix(q.requestID)
	case q.statusClass >= 0:
		p.bucket, p.prefix = bucketClass, []byte{byte(q.statusClass)}
		p.status = q.statusExact
	case q.errorsOnly:
		p.bucket = bucketErrors
	}
	if q.before != 0 {
		p.hi = q.before - 1
	}
	// An entry's time is never later than its id's time, so entries at or
	// after since have ids at or after since; and an id is at most maxLag
	// after its entry's time.
	if q.hasSince {
		p.lo = timeID(q.since)
	}
	if q.hasUntil {
		u := timeID(q.until)
		lag := uint64(h.maxLag.Load())
		if u+lag >= u && u+lag < p.hi {
			p.hi = u + lag
		}
	}
	return p, p.lo <= p.hi
}

// scan calls visit, newest first, with every entry matching q, until visit
// returns false, want matches were visited (0 = no limit) or the history is
// exhausted. visit runs outside any transaction.
func (h *History) scan(q *query, want int, visit func(id uint64, e *rpc.HistoryEntry) bool) error {
	p, ok := h.plan(q)
	if !ok {
		return nil
	}
	type hit struct {
		id uint64
		e  *rpc.HistoryEntry
	}
	onEntries := bytes.Equal(p.bucket, bucketEntries)
	const maxHits = 256 // per transaction
	hits := make([]hit, 0, maxHits)
	visited := 0
	for {
		hits = hits[:0]
		room := maxHits
		if want > 0 {
			room = min(room, want-visited)
		}
		done := false
		err := h.view(func(tx *bolt.Tx) error {
			entries := tx.Bucket(bucketEntries)
			c := tx.Bucket(p.bucket).Cursor()
			target := append(append([]byte(nil), p.prefix...), idKey(p.hi)...)
			k, v := seekLE(c, target)
			for n := 0; ; k, v = c.Prev() {
				if k == nil || len(k) != len(p.prefix)+8 || !bytes.HasPrefix(k, p.prefix) {
					done = true
					return nil
				}
				id := binary.BigEndian.Uint64(k[len(p.prefix):])
				if id < p.lo {
					done = true
					return nil
				}
				if id == 0 {
					done = true
				} else {
					p.hi = id - 1
				}
				sv := v
				if !onEntries {
					sv = entries.Get(k[len(p.prefix):])
				}
				if p.status >= 0 && (len(v) != 2 || int(binary.BigEndian.Uint16(v)) != p.status) {
					// skip without decoding
				} else if sv != nil && q.prefilter(sv) {
					e := &rpc.HistoryEntry{}
					if err := decodeSummary(sv, e); err != nil {
						return fmt.Errorf("history entry %s: %w", formatID(id), err)
					}
					if q.match(e) {
						hits = append(hits, hit{id, e})
					}
				}
				n++
				if done || n >= scanChunk || len(hits) >= room {
					return nil
				}
			}
		})
		if err != nil {
			return fmt.Errorf("reading history: %w", err)
		}
		for _, x := range hits {
			visited++
			if !visit(x.id, x.e) {
				return nil
			}
		}
		if done || p.hi < p.lo || (want > 0 && visited >= want) {
			return nil
		}
	}
}

// List returns entries newest first, filtered by p. Next, when set, is the
// cursor of the following page. Invalid parameters return a *ParamError.
func (h *History) List(p rpc.HistoryListParams) (rpc.HistoryListResult, error) {
	q, err := parseParams(p, DefaultListLimit)
	if err != nil {
		return rpc.HistoryListResult{}, err
	}
	res := rpc.HistoryListResult{Entries: make([]rpc.HistoryEntry, 0, min(q.limit, 64))}
	var lastID uint64
	more := false
	err = h.scan(q, q.limit+1, func(id uint64, e *rpc.HistoryEntry) bool {
		if len(res.Entries) == q.limit {
			more = true
			return false
		}
		res.Entries = append(res.Entries, *e)
		lastID = id
		return true
	})
	if err != nil {
		return rpc.HistoryListResult{}, err
	}
	if more {
		res.Next = encodeCursor(lastID)
	}
	return res, nil
}

// Cursors are base64url of a version byte and the last id returned.
const cursorVersion = 1

func encodeCursor(id uint64) string {
	return base64.RawURLEncoding.EncodeToString(append([]byte{cursorVersion}, idKey(id)...))
}

func decodeCursor(s string) (uint64, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, err
	}
	if len(b) != 9 || b[0] != cursorVersion {
		return 0, fmt.Errorf("bad cursor")
	}
	id := binary.BigEndian.Uint64(b[1:])
	if id == 0 {
		return 0, fmt.Errorf("bad cursor")
	}
	return id, nil
}
