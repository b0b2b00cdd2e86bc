package alias

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aliasd/aliasd/rpc"
)

// DefaultMaxPages is the page cap of a walk when the caller sets none.
const DefaultMaxPages = 100

// Walk stop reasons (WalkResult.Reason).
const (
	StopComplete      = ""
	StopMaxPages      = "max_pages"
	StopMaxItems      = "max_items"
	StopRepeatedToken = "repeated_token"
	StopError         = "error"
	StopBadPage       = "bad_page"
	StopCanceled      = "canceled"
)

// WalkOptions says what to walk and how far. Path and Fetch are required.
type WalkOptions struct {
	Path    string     // a paginated list path, e.g. /listings
	Query   url.Values // filters; the size and token parameters may be set
	Profile string
	// MaxPages caps the pages fetched, default DefaultMaxPages; MaxItems
	// caps the items returned, 0 = no cap.
	MaxPages, MaxItems int
	// Fetch makes one page's call: the daemon passes its cache and history
	// pipeline, tests pass (*Client).Do.
	Fetch func(ctx context.Context, c Call) (*Response, error)
	// OnPage, when set, is called after every page.
	OnPage func(PageProgress)
}

// PageProgress reports one fetched page.
type PageProgress struct {
	Page      int    // 1-based
	PageItems int    // items on this page
	Items     int    // items so far
	RequestID string // of this page
	HasMore   bool   // another page will be fetched
	MaxPages  int
}

// WalkResult is what a walk collected. When it stopped early, Truncated is
// set and Reason says why; a failed page leaves its Status, Error and
// Diagnostic.
type WalkResult struct {
	Items      []json.RawMessage
	Pages      int
	RequestIDs []string // every attempt of every page, oldest first
	Truncated  bool
	Reason     string
	Status     int // of the last page fetched
	Error      *rpc.APIError
	Diagnostic *rpc.Diagnostic
	Pager      *Pager
	Last       *Response // the last page's response
}

// PaginateResult converts to the alias/paginate answer (the daemon adds
// HistoryIDs).
func (w *WalkResult) PaginateResult() rpc.PaginateResult {
	items := w.Items
	if items == nil {
		items = []json.RawMessage{}
	}
	ids := w.RequestIDs
	if ids == nil {
		ids = []string{}
	}
	return rpc.PaginateResult{Items: items, Pages: w.Pages, RequestIDs: ids, Truncated: w.Truncated,
		Status: w.Status, Error: w.Error, Diagnostic: w.Diagnostic}
}

// NotPaginatedError is returned by Walk for a path without a pager. It
// matches ErrNotPaginated and ErrInvalidCall.
type NotPaginatedError struct {
	Path string
	Why  string
}

func (e *NotPaginatedError) Error() string {
	return "invalid path: " + e.Path + " " + e.Why + "; paginated paths: " + strings.Join(PaginatedPaths(), ", ")
}

// Is matches ErrNotPaginated and ErrInvalidCall.
func (e *NotPaginatedError) Is(target error) bool {
	return target == ErrNotPaginated || target == ErrInvalidCall
}

// PaginatedPaths lists the templates of every paginated endpoint.
func PaginatedPaths() []string {
	var out []string
	for _, e := range Endpoints {
		if e.Pager != nil {
			out = append(out, strings.TrimPrefix(e.Path, PathPrefix))
		}
	}
	return out
}

// Walk fetches every page of a list endpoint the way its resource pages
// (alias-api.md §8): it sets the size parameter to the resource's maximum
// unless the caller set it, follows the next token from the resource's JSON
// path, and stops at the last page, at MaxPages or MaxItems, on a repeated
// token, on a failed page and on ctx cancellation (returning what it has
// and ctx's error). Other errors are bad options (*FieldError,
// *NotPaginatedError) or a Fetch error.
func Walk(ctx context.Context, o WalkOptions) (*WalkResult, error) {
	if o.Fetch == nil {
		return nil, fieldErr("fetch", "required")
	}
	if o.MaxPages < 0 {
		return nil, fieldErr("maxPages", "must not be negative")
	}
	if o.MaxItems < 0 {
		return nil, fieldErr("maxItems", "must not be negative")
	}
	if o.MaxPages == 0 {
		o.MaxPages = DefaultMaxPages
	}
	p, rawQuery, err := splitPath(o.Path)
	if err != nil {
		return nil, err
	}
	e, _, ok := Match(http.MethodGet, p)
	if !ok {
		return nil, &NotPaginatedError{Path: p, Why: "is not a catalog GET endpoint"}
	}
	if e.Pager == nil {
		return nil, &NotPaginatedError{Path: p, Why: "(" + e.Name + ") returns a single response"}
	}
	pg := e.Pager
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, fieldErr("path", "bad query after '?': %v", err)
	}
	for k, vs := range o.Query {
		q[k] = append(q[k], vs...)
	}
	if pg.SizeParam != "" && q.Get(pg.SizeParam) == "" && pg.MaxSize > 0 {
		q.Set(pg.SizeParam, strconv.Itoa(pg.MaxSize))
	}
	seen := map[string]bool{}
	if t := q.Get(pg.TokenParam); t != "" {
		seen[t] = true
	}

	res := &WalkResult{Pager: pg}
	stop := func(reason string) { res.Truncated, res.Reason = true, reason }
	for {
		if err := ctx.Err(); err != nil {
			stop(StopCanceled)
			return res, err
		}
		if res.Pages >= o.MaxPages {
			stop(StopMaxPages)
			res.Diagnostic = &rpc.Diagnostic{Class: DiagPageCap, Severity: rpc.SeverityInfo,
				Title:  fmt.Sprintf("Stopped at the page cap (%d pages)", o.MaxPages),
				Detail: fmt.Sprintf("%d items from %d pages; the API has more.", len(res.Items), res.Pages),
				Hint:   "Narrow the query with filters, or raise maxPages."}
			return res, nil
		}
		resp, err := o.Fetch(ctx, Call{Method: http.MethodGet, Path: p, Query: cloneValues(q), Profile: o.Profile})
		if err != nil {
			if ctx.Err() != nil {
				stop(StopCanceled)
				return res, ctx.Err()
			}
			return res, err
		}
		res.Pages++
		res.Last, res.Status = resp, resp.Status
		switch {
		case len(resp.RequestIDs) > 0:
			res.RequestIDs = append(res.RequestIDs, resp.RequestIDs...)
		case resp.RequestID != "":
			res.RequestIDs = append(res.RequestIDs, resp.RequestID)
		}
		if !resp.OK() || len(resp.Body) == 0 {
			if ctx.Err() != nil && resp.NetClass == NetCanceled {
				stop(StopCanceled)
				return res, ctx.Err()
			}
			stop(StopError)
			res.Error, res.Diagnostic = resp.Error, resp.Diagnostic
			if res.Diagnostic == nil {
				res.Diagnostic = Diagnose(resp)
			}
			if res.Diagnostic == nil {
				res.Diagnostic = badPage(res.Pages, errors.New("empty body"))
			}
			return res, nil
		}
		items, next, hasMore, err := pg.parse(resp.Body)
		if err != nil {
			stop(StopBadPage)
			res.Diagnostic = badPage(res.Pages, err)
			return res, nil
		}
		more := next != "" && (hasMore == nil || *hasMore)
		if o.MaxItems > 0 && len(res.Items)+len(items) >= o.MaxItems {
			cut := o.MaxItems - len(res.Items)
			res.Items = append(res.Items, items[:cut]...)
			report(o, res, len(items), resp, false)
			if cut < len(items) || more {
				stop(StopMaxItems)
			}
			return res, nil
		}
		res.Items = append(res.Items, items...)
		report(o, res, len(items), resp, more && !seen[next])
		if hasMore != nil && *hasMore && next == "" {
			stop(StopBadPage)
			res.Diagnostic = badPage(res.Pages, errors.New("has_more is true but the next token is empty"))
			return res, nil
		}
		if !more {
			return res, nil
		}
		if seen[next] {
			stop(StopRepeatedToken)
			res.Diagnostic = &rpc.Diagnostic{Class: DiagRepeatedToken, Severity: rpc.SeverityWarning,
				Title:  "Pagination stopped: the API repeated a page token",
				Detail: fmt.Sprintf("Page %d returned the token of an earlier page, so the walk would loop; %d items from %d pages are returned.", res.Pages, len(res.Items), res.Pages),
				Hint:   "Tokens belong to the query that made them: keep every parameter the same between pages, or narrow the query. " + quoteID(resp)}
			return res, nil
		}
		seen[next] = true
		q.Set(pg.TokenParam, next)
	}
}

func report(o WalkOptions, res *WalkResult, n int, resp *Response, more bool) {
	if o.OnPage != nil {
		o.OnPage(PageProgress{Page: res.Pages, PageItems: n, Items: len(res.Items),
			RequestID: resp.RequestID, HasMore: more, MaxPages: o.MaxPages})
	}
}

func badPage(page int, err error) *rpc.Diagnostic {
	return &rpc.Diagnostic{Class: DiagBadPage, Severity: rpc.SeverityError,
		Title:  fmt.Sprintf("Page %d could not be read", page),
		Detail: err.Error() + ".",
		Hint:   "The API's page shape may have changed; the items of earlier pages are returned."}
}

func cloneValues(q url.Values) url.Values {
	out := make(url.Values, len(q))
	for k, vs := range q {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// parse reads one page: its items, the next token ("" = none) and the
// has-more flag (nil when the resource has none or the page omits it).
func (pg *Pager) parse(body []byte) (items []json.RawMessage, next string, hasMore *bool, err error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, "", nil, fmt.Errorf("page is not a JSON object: %v", err)
	}
	if raw, ok := top[pg.ItemsField]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, "", nil, fmt.Errorf("field %s is not an array", pg.ItemsField)
		}
	}
	if raw := lookup(top, pg.NextToken); raw != nil && string(raw) != "null" {
		if err := json.Unmarshal(raw, &next); err != nil {
			return nil, "", nil, fmt.Errorf("field %s is not a string", strings.Join(pg.NextToken, "."))
		}
	}
	if pg.HasMore != nil {
		if raw := lookup(top, pg.HasMore); raw != nil && string(raw) != "null" {
			var b bool
			if err := json.Unmarshal(raw, &b); err != nil {
				return nil, "", nil, fmt.Errorf("field %s is not a boolean", strings.Join(pg.HasMore, "."))
			}
			hasMore = &b
		}
	}
	return items, next, hasMore, nil
}

// lookup follows a JSON path of object keys; nil when any step is missing.
func lookup(top map[string]json.RawMessage, path []string) json.RawMessage {
	cur := top
	for i, k := range path {
		raw, ok := cur[k]
		if !ok {
			return nil
		}
		if i == len(path)-1 {
			return raw
		}
		var next map[string]json.RawMessage
		if json.Unmarshal(raw, &next) != nil {
			return nil
		}
		cur = next
	}
	return nil
}
