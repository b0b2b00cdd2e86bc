package alias

import (
	"net/http"
	"sort"
	"strings"
)

// APIVersion is the documented version of the alias API this catalog
// describes (docs.alias.org "Current"). It is part of every cache key.
const APIVersion = "1.3.6"

// PathPrefix is the prefix of every API path.
const PathPrefix = "/api/v1"

// Scope is the endpoint group a personal access token may or may not be
// allowed to call. The API does not publish scope names; these groups are
// aliasd's stand-in (alias-api.md §9.9).
type Scope string

// Scope groups.
const (
	ScopeTest     Scope = "test"
	ScopeCatalog  Scope = "catalog"
	ScopePricing  Scope = "pricing"
	ScopeListings Scope = "listings"
	ScopeOrders   Scope = "orders"
	ScopeBatch    Scope = "batch"
)

// Scopes lists every scope group.
var Scopes = []Scope{ScopeTest, ScopeCatalog, ScopePricing, ScopeListings, ScopeOrders, ScopeBatch}

// In says where a parameter travels.
type In string

// Parameter locations.
const (
	InPath  In = "path"
	InQuery In = "query"
	InBody  In = "body"
)

// Type is a parameter's wire type.
type Type string

// Parameter types. Int64 values travel as decimal strings in JSON.
const (
	TypeString Type = "string"
	TypeInt64  Type = "int64"
	TypeDouble Type = "double"
	TypeBool   Type = "bool"
	TypeEnum   Type = "enum"
	TypeObject Type = "object" // string map; in a query as key[sub]=value
	TypeArray  Type = "array"  // JSON array in a body
)

// Param is one documented parameter of an endpoint.
type Param struct {
	Name     string
	In       In
	Type     Type
	Required bool
	// Repeated parameters repeat the query key (ids=a&ids=b).
	Repeated bool
	// Enum names the valid values of an enum parameter (the *_INVALID zero
	// value excluded). Numbers are accepted too: the index in Enum plus one.
	Enum []string
	// Max is the documented maximum of a numeric parameter, 0 if none.
	Max         int64
	Description string
}

// Pager describes how one list endpoint pages (alias-api.md §8).
type Pager struct {
	Name string // "catalog", "listings", "orders", "batches", "batch_operations"
	// SizeParam is the query parameter that sets the page size, if any.
	SizeParam   string
	DefaultSize int
	MaxSize     int
	// TokenParam carries the previous page's token.
	TokenParam string
	// ItemsField is the top-level array holding a page's items.
	ItemsField string
	// NextToken is the JSON path of the next page's token.
	NextToken []string
	// HasMore is the JSON path of the "more pages" flag, nil when the
	// resource only signals the end with an empty token.
	HasMore []string
}

// CacheClass groups endpoints that share a freshness lifetime.
type CacheClass string

// Cache classes; freshness defaults live in config.
const (
	CacheNone          CacheClass = ""
	CacheCatalogItem   CacheClass = "catalog_item"
	CacheCatalogSearch CacheClass = "catalog_search"
	CachePricing       CacheClass = "pricing"
	CacheListings      CacheClass = "listings"
	CacheOrders        CacheClass = "orders"
	CacheBatch         CacheClass = "batch"
	CacheTest          CacheClass = "test"
)

// Endpoint is one documented API operation. The catalog below is the single
// declaration used by the client, the mock, alias/endpoints and editors.
type Endpoint struct {
	Name    string // operation name, e.g. SearchCatalog
	Method  string
	Path    string // template with {param} segments, including PathPrefix
	Summary string
	Scope   Scope
	Params  []Param
	// Pager is set on list endpoints that page with a token.
	Pager *Pager
	// Cache is the freshness class of a GET; CacheNone for writes.
	Cache CacheClass
	// Invalidates lists the paths whose cached GETs a successful call
	// evicts: exact paths, or prefixes ending in "*"; {name} segments are
	// filled from the call's path or query parameters.
	Invalidates []string
	// Body is true when the endpoint takes a JSON request body.
	Body bool
}

// Idempotent reports whether the client may retry the call on its own.
// Only reads are: a repeated POST or DELETE can create a second listing or
// batch.
func (e *Endpoint) Idempotent() bool {
	return e.Method == http.MethodGet || e.Method == http.MethodHead
}

// Param returns the named parameter, or nil.
func (e *Endpoint) Param(name string) *Param {
	for i := range e.Params {
		if e.Params[i].Name == name {
			return &e.Params[i]
		}
	}
	return nil
}

// Expand fills the path template with values, returning the concrete path.
// Missing values leave the {name} segment in place.
func (e *Endpoint) Expand(values map[string]string) string {
	segs := strings.Split(e.Path, "/")
	for i, s := range segs {
		if name, ok := paramName(s); ok {
			if v, ok := values[name]; ok && v != "" {
				segs[i] = v
			}
		}
	}
	return strings.Join(segs, "/")
}

// Invalidated returns the cache patterns a successful call to e evicts,
// with template parameters filled from params (path and query values). A
// pattern is an exact path, or a prefix when it ends in "*".
func (e *Endpoint) Invalidated(params map[string]string) []string {
	out := make([]string, 0, len(e.Invalidates))
	for _, t := range e.Invalidates {
		segs := strings.Split(t, "/")
		ok := true
		for i, s := range segs {
			if name, isParam := paramName(s); isParam {
				v := params[name]
				if v == "" {
					ok = false
					break
				}
				segs[i] = v
			}
		}
		if ok {
			out = append(out, strings.Join(segs, "/"))
		}
	}
	return out
}

func paramName(seg string) (string, bool) {
	if len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}' {
		return seg[1 : len(seg)-1], true
	}
	return "", false
}

// NormalizePath accepts "/catalog", "catalog" or "/api/v1/catalog" and
// returns the full API path without query. It does not clean ".." segments
// away: callers reject paths containing them.
func NormalizePath(p string) string {
	p = strings.TrimSpace(p)
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if p != PathPrefix && !strings.HasPrefix(p, PathPrefix+"/") {
		p = PathPrefix + p
	}
	if len(p) > 1 {
		p = strings.TrimRight(p, "/")
	}
	return p
}

// Match finds the endpoint for a method and concrete path (with or without
// PathPrefix) and returns its path parameters. Literal segments win over
// parameters, so /listings/batch is ListBatches, never GetListing("batch").
// The second result is false when no endpoint matches; Match then still
// reports, through MatchPath, whether the path exists for another method.
func Match(method, path string) (*Endpoint, map[string]string, bool) {
	path = NormalizePath(path)
	segs := strings.Split(path, "/")
	for i, e := range byPrecedence {
		if e.Method != method {
			continue
		}
		if params, ok := matchSegs(precedenceSegs[i], segs); ok {
			return e, params, true
		}
	}
	return nil, nil, false
}

// MatchPath returns every endpoint whose template matches path, whatever
// its method (for 405-style hints).
func MatchPath(path string) []*Endpoint {
	path = NormalizePath(path)
	segs := strings.Split(path, "/")
	var out []*Endpoint
	for i, e := range byPrecedence {
		if _, ok := matchSegs(precedenceSegs[i], segs); ok {
			out = append(out, e)
		}
	}
	return out
}

// matchSegs matches a path's segments against a template's.
func matchSegs(tsegs, segs []string) (map[string]string, bool) {
	if len(tsegs) != len(segs) {
		return nil, false
	}
	var params map[string]string
	for i, t := range tsegs {
		if name, ok := paramName(t); ok {
			if segs[i] == "" {
				return nil, false
			}
			if params == nil {
				params = make(map[string]string)
			}
			params[name] = segs[i]
			continue
		}
		if t != segs[i] {
			return nil, false
		}
	}
	return params, true
}

// Nearest returns the catalog path template closest to path by edit
// distance over segments (for "no such endpoint" hints).
func Nearest(path string) *Endpoint {
	path = NormalizePath(path)
	best, bestScore := (*Endpoint)(nil), 1<<30
	for _, e := range Endpoints {
		if s := pathDistance(e.Path, path); s < bestScore {
			best, bestScore = e, s
		}
	}
	return best
}

// pathDistance is the Levenshtein distance between two strings, with a
// template parameter segment matching any concrete segment for free.
func pathDistance(template, path string) int {
	ts, ps := strings.Split(template, "/"), strings.Split(path, "/")
	// Substitute concrete segments for parameters when segment counts agree.
	if len(ts) == len(ps) {
		for i, t := range ts {
			if _, ok := paramName(t); ok {
				ts[i] = ps[i]
			}
		}
	}
	return levenshtein(strings.Join(ts, "/"), path)
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// ByName returns the endpoint with the given operation name, or nil.
func ByName(name string) *Endpoint {
	for _, e := range Endpoints {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// byPrecedence is Endpoints ordered so that templates with more literal
// segments (earlier) come first; Match walks it.
var byPrecedence = func() []*Endpoint {
	out := append([]*Endpoint(nil), Endpoints...)
	literalScore := func(e *Endpoint) []int {
		var s []int
		for _, seg := range strings.Split(e.Path, "/") {
			if _, ok := paramName(seg); ok {
				s = append(s, 0)
			} else {
				s = append(s, 1)
			}
		}
		return s
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := literalScore(out[i]), literalScore(out[j])
		// Templates of different lengths never match the same path; order
		// them by length so the comparison stays a strict weak order
		// (treating a prefix as "equal" made the sort unstable and let
		// /listings/{id} shadow /listings/batch_update).
		if len(a) != len(b) {
			return len(a) < len(b)
		}
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k] != b[k] {
				return a[k] > b[k]
			}
		}
		return false
	})
	return out
}()

// precedenceSegs holds the segments of each byPrecedence template, split
// once: Match runs at least twice per call.
var precedenceSegs = func() [][]string {
	out := make([][]string, len(byPrecedence))
	for i, e := range byPrecedence {
		out[i] = strings.Split(e.Path, "/")
	}
	return out
}()
