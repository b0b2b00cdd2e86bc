package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aliasd/aliasd/alias"
	"github.com/aliasd/aliasd/cache"
	"github.com/aliasd/aliasd/rpc"
)

// call is one API call as the daemon runs it.
type call struct {
	method     string
	path       string
	query      url.Values
	body       []byte
	profile    string // "" = the session's default
	cacheMode  string
	allowStale bool
	sess       *session

	// Set by do from the catalog.
	endpoint   *alias.Endpoint // nil: not in the catalog
	pathParams map[string]string
}

// outcome is a finished call: the RPC answer (with its history id) and the
// wire view the pagination walker reads.
type outcome struct {
	result rpc.RequestResult
	wire   *alias.Response
}

// do runs the request path: cache (hit? done) → API client (token,
// governor, retries) → cache invalidation after writes → history append
// (committed before the answer) → alias/history/appended to every session.
func (d *Daemon) do(ctx context.Context, c call) (*outcome, error) {
	start := time.Now()
	fullPath := alias.NormalizePath(c.path)
	c.endpoint, c.pathParams, _ = alias.Match(c.method, fullPath)
	ep := c.endpoint
	profile := c.sess.profile(c.profile)
	cred, err := d.Credential(ctx, profile)
	if err != nil {
		return nil, credentialError(err)
	}

	fetch := func(ctx context.Context, cond http.Header) (*cache.Response, error) {
		r, err := d.client.Do(ctx, alias.Call{Method: c.method, Path: fullPath, Query: c.query, Body: c.body, Header: cond, Profile: profile})
		if err != nil {
			return nil, err
		}
		return &cache.Response{Status: r.Status, Header: r.Header, Body: r.Body, Truncated: r.Truncated, NetErr: r.Status == 0, Err: r.NetErr, Extra: r}, nil
	}
	class := alias.CacheNone
	if ep != nil {
		class = ep.Cache
	}
	req := cache.Request{
		Key:        cache.Key{Method: c.method, Path: fullPath, Query: c.query, Accept: "application/json", Fingerprint: cred.Fingerprint},
		Class:      class,
		Mode:       c.cacheMode,
		AllowStale: c.allowStale,
	}
	res, err := d.cache.Do(ctx, req, fetch)
	var out *outcome
	switch {
	case errors.Is(err, cache.ErrNotCached):
		out = notCached(c, fullPath, cred)
	case err != nil:
		return nil, callError(err)
	default:
		out = d.shape(c, fullPath, cred, res)
	}
	out.result.DurationMs = float64(time.Since(start).Microseconds()) / 1000

	// A successful write evicts the reads it changed.
	if ep != nil && len(ep.Invalidates) > 0 && out.result.Status >= 200 && out.result.Status < 300 {
		params := map[string]string{}
		for k, v := range c.query {
			if len(v) > 0 {
				params[k] = v[0]
			}
		}
		for k, v := range c.pathParams {
			params[k] = v
		}
		if _, err := d.cache.Invalidate(ep.Invalidated(params)); err != nil {
			d.logger.Warn("cache invalidation failed", "err", err)
		}
	}

	// Every answer — API call or cache answer — is in the history before
	// it is sent: a result the client saw is a durable one.
	det := d.detail(c, fullPath, cred, start, out)
	entry, err := d.record(ctx, det)
	if err != nil {
		// The call happened; losing its record is reported, not hidden.
		d.logger.Error("history append failed", "err", err)
		out.result.Diagnostic = joinDiagnostic(out.result.Diagnostic, &rpc.Diagnostic{
			Severity: rpc.SeverityWarning,
			Title:    "not recorded in the history",
			Detail:   err.Error(),
		})
	} else {
		out.result.HistoryID = entry.ID
		d.broadcast(rpc.NotifyHistoryAppended, rpc.HistoryAppendedParams{Entry: entry})
	}
	return out, nil
}

// shape turns the cache's answer into the RPC result and wire view.
func (d *Daemon) shape(c call, fullPath string, cred alias.Credential, res *cache.Result) *outcome {
	upstream, _ := extraOf(res.Upstream)
	fetched, _ := extraOf(res.Response)
	var wire *alias.Response
	switch {
	case fetched != nil: // the answer came over the wire (miss, bypass, shared miss)
		wire = fetched
	default: // from an entry: hit, revalidated, stale
		wire = fromEntry(c, fullPath, cred, res.Response)
		if upstream != nil {
			// A revalidation's 304, or the failure behind a stale answer:
			// its request IDs and attempts are what happened on the wire.
			wire.RequestIDs = upstream.RequestIDs
			wire.Attempts = upstream.Attempts
			if res.Provenance == rpc.CacheRevalidated && upstream.RequestID != "" {
				wire.RequestID = upstream.RequestID
			}
			wire.RequestHeader = upstream.RequestHeader
			wire.URL = upstream.URL
		}
	}
	rr := wire.RequestResult()
	rr.Cache = res.Provenance
	rr.AgeSeconds = int64(res.Age / time.Second)
	if res.Provenance == rpc.CacheStale {
		reason := res.Stale
		if upstream != nil && upstream.Diagnostic != nil {
			reason = strings.TrimSpace(reason + " (" + upstream.Diagnostic.Title + ")")
		}
		rr.Diagnostic = joinDiagnostic(alias.StaleDiagnostic(res.Age, reason), rr.Diagnostic)
	}
	if res.Provenance == rpc.CacheHit || res.Provenance == rpc.CacheStale {
		rr.Attempts = wire.Attempts
	}
	return &outcome{result: rr, wire: wire}
}

// fromEntry builds a wire view of a cached answer.
func fromEntry(c call, fullPath string, cred alias.Credential, r *cache.Response) *alias.Response {
	w := &alias.Response{
		Status:      r.Status,
		HTTPStatus:  r.Status,
		Header:      r.Header,
		Body:        r.Body,
		RequestID:   r.Header.Get("X-Request-Id"),
		Method:      c.method,
		Path:        fullPath,
		Query:       c.query.Encode(),
		Profile:     cred.Profile,
		Fingerprint: cred.Fingerprint,
		Size:        int64(len(r.Body)),
	}
	if w.RequestID != "" {
		w.RequestIDs = []string{w.RequestID}
	}
	w.Endpoint, w.PathParams = c.endpoint, c.pathParams
	w.Diagnostic = alias.Diagnose(w)
	return w
}

func extraOf(r *cache.Response) (*alias.Response, bool) {
	if r == nil {
		return nil, false
	}
	w, ok := r.Extra.(*alias.Response)
	return w, ok && w != nil
}

// notCached answers an only-if-cached call that has no entry.
func notCached(c call, fullPath string, cred alias.Credential) *outcome {
	w := &alias.Response{Status: cache.NotCachedStatus, HTTPStatus: 0, Method: c.method, Path: fullPath, Query: c.query.Encode(), Profile: cred.Profile, Fingerprint: cred.Fingerprint}
	rr := w.RequestResult()
	rr.Cache = rpc.CacheMiss
	rr.Diagnostic = &rpc.Diagnostic{
		Severity: rpc.SeverityWarning,
		Class:    "not_cached",
		Title:    "not in the cache",
		Detail:   fmt.Sprintf("%s %s has no cached answer and the request asked for only-if-cached, so the API was not called.", c.method, fullPath),
		Hint:     "Call it once online (or without only-if-cached) to fill the cache.",
	}
	return &outcome{result: rr, wire: w}
}

func joinDiagnostic(first, second *rpc.Diagnostic) *rpc.Diagnostic {
	switch {
	case first == nil:
		return second
	case second == nil:
		return first
	}
	d := *first
	d.Detail = strings.TrimSpace(d.Detail + " " + second.Title + ": " + second.Detail)
	if d.Hint == "" {
		d.Hint = second.Hint
	}
	if second.Severity == rpc.SeverityError {
		d.Severity = rpc.SeverityError
	}
	return &d
}

// callError maps a call that could not be made to its RPC error.
func callError(err error) error {
	var fe *alias.FieldError
	if errors.As(err, &fe) {
		return rpc.InvalidParam(fe.Field, "%s", fe.Msg)
	}
	var np *alias.NotPaginatedError
	if errors.As(err, &np) {
		return rpc.InvalidParam("path", "%s", strings.TrimPrefix(np.Error(), "invalid path: "))
	}
	if errors.Is(err, alias.ErrNoCredential) {
		return rpc.Failed(err)
	}
	if errors.Is(err, cache.ErrBadKey) {
		return rpc.InvalidParam("path", "%v", err)
	}
	if errors.Is(err, cache.ErrBadMode) {
		return rpc.InvalidParam("cache", "%v", err)
	}
	return err // cancellation and the rest: rpc maps them
}

func credentialError(err error) error {
	return rpc.Failed(fmt.Errorf("no token to call the API with: %w", err))
}

// request answers alias/request.
func (d *Daemon) request(ctx context.Context, p *rpc.RequestParams) (*rpc.RequestResult, error) {
	q, err := alias.QueryValues(p.Query)
	if err != nil {
		return nil, callError(err)
	}
	allowStale := p.AllowStale == nil || *p.AllowStale
	out, err := d.do(ctx, call{
		method: p.Method, path: p.Path, query: q, body: p.Body, profile: p.Profile,
		cacheMode: p.Cache, allowStale: allowStale, sess: sessionOf(rpc.ConnFromContext(ctx)),
	})
	if err != nil {
		return nil, err
	}
	return &out.result, nil
}

// paginate answers alias/paginate, with $/progress when asked.
func (d *Daemon) paginate(ctx context.Context, p *rpc.PaginateParams) (*rpc.PaginateResult, error) {
	q, err := alias.QueryValues(p.Query)
	if err != nil {
		return nil, callError(err)
	}
	conn := rpc.ConnFromContext(ctx)
	sess := sessionOf(conn)
	var historyIDs []string
	report := func(v rpc.ProgressValue) {
		if conn != nil && len(p.WorkDoneToken) > 0 {
			conn.Progress(p.WorkDoneToken, v)
		}
	}
	if conn != nil && len(p.WorkDoneToken) > 0 {
		// LSP: the server creates the token before using it; clients that
		// passed it in the request accept either way.
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn.Call(cctx, rpc.MethodWorkDoneProgressNew, map[string]any{"token": p.WorkDoneToken}, nil)
		cancel()
	}
	report(rpc.ProgressValue{Kind: "begin", Title: "Fetching " + p.Path, Cancellable: true, Message: "page 1"})
	res, err := alias.Walk(ctx, alias.WalkOptions{
		Path: p.Path, Query: q, Profile: p.Profile, MaxPages: p.MaxPages, MaxItems: p.MaxItems,
		Fetch: func(ctx context.Context, ac alias.Call) (*alias.Response, error) {
			out, err := d.do(ctx, call{method: ac.Method, path: ac.Path, query: ac.Query, profile: ac.Profile, cacheMode: rpc.CacheDefault, allowStale: true, sess: sess})
			if err != nil {
				return nil, err
			}
			historyIDs = append(historyIDs, out.result.HistoryID)
			return out.wire, nil
		},
		OnPage: func(pp alias.PageProgress) {
			v := rpc.ProgressValue{Kind: "report", Message: fmt.Sprintf("page %d · %d items", pp.Page, pp.Items)}
			// A percentage only when the caller bounded the walk; the
			// default page cap says nothing about how far along it is.
			if p.MaxPages > 0 || !pp.HasMore {
				pct := 100
				if pp.HasMore {
					pct = pp.Page * 100 / p.MaxPages
				}
				v.Percentage = &pct
			}
			report(v)
		},
	})
	report(rpc.ProgressValue{Kind: "end", Message: "done"})
	if err != nil && res == nil {
		return nil, callError(err)
	}
	if err != nil && ctx.Err() != nil {
		return nil, ctx.Err()
	}
	pr := res.PaginateResult()
	pr.HistoryIDs = historyIDs
	return &pr, nil
}

// endpoints answers alias/endpoints from the catalog.
func (d *Daemon) endpoints(ctx context.Context, _ *struct{}) (*rpc.EndpointsResult, error) {
	out := &rpc.EndpointsResult{APIVersion: alias.APIVersion, Endpoints: make([]rpc.EndpointInfo, 0, len(alias.Endpoints))}
	for _, e := range alias.Endpoints {
		info := rpc.EndpointInfo{Method: e.Method, Path: e.Path, Name: e.Name, Summary: e.Summary, Scope: string(e.Scope), Idempotent: e.Idempotent(), Params: make([]rpc.ParamInfo, 0, len(e.Params))}
		if e.Pager != nil {
			info.Pagination = e.Pager.Name
		}
		for _, p := range e.Params {
			info.Params = append(info.Params, rpc.ParamInfo{Name: p.Name, In: string(p.In), Type: string(p.Type), Required: p.Required, Repeated: p.Repeated, Enum: p.Enum, Description: p.Description})
		}
		out.Endpoints = append(out.Endpoints, info)
	}
	return out, nil
}
