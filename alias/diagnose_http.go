package alias

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/aliasd/aliasd/rpc"
)

// HTTP rows of the diagnosis table (see table in diagnose.go).

func httpDiag(class, sev, title, detail, hint string) rpc.Diagnostic {
	return rpc.Diagnostic{Class: class, Severity: sev, Title: title, Detail: detail, Hint: hint}
}

func queryOf(r *Response) url.Values {
	q, _ := url.ParseQuery(r.Query)
	return q
}

func profileOf(r *Response) string {
	p := "the active profile"
	if r.Profile != "" {
		p = "profile " + strconv.Quote(r.Profile)
	}
	if r.Fingerprint != "" {
		p += " (" + r.Fingerprint + ")"
	}
	return p
}

// example is a sample value for a parameter hint.
func example(p *Param) string {
	switch p.Type {
	case TypeEnum:
		if len(p.Enum) > 0 {
			return p.Enum[0]
		}
	case TypeDouble:
		return "10.5"
	case TypeInt64:
		if strings.HasSuffix(p.Name, "_cents") {
			return "25000"
		}
		return "10"
	case TypeBool:
		return "true"
	}
	return "…"
}

// listPath is the GET that lists what e addresses, "" if none.
func listPath(e *Endpoint) string {
	if e == nil {
		return ""
	}
	segs := strings.Split(e.Path, "/")
	for i := len(segs) - 1; i > 0; i-- {
		if _, ok := paramName(segs[i]); ok {
			parent := strings.Join(segs[:i], "/")
			for _, c := range Endpoints {
				if c.Method == "GET" && c.Path == parent {
					return "GET " + strings.TrimPrefix(parent, PathPrefix)
				}
			}
			return ""
		}
	}
	return ""
}

func diagNotFollowed(r *Response, _ []string) rpc.Diagnostic {
	loc := r.Header.Get("Location")
	if u, err := url.Parse(loc); err == nil && loc != "" {
		loc = displayURL(u)
	}
	return httpDiag(DiagNotFollowed, rpc.SeverityWarning,
		fmt.Sprintf("Redirect not followed (HTTP %d)", r.Status),
		fmt.Sprintf("The API answered %s with a redirect to %q. Writes are never re-sent to another URL automatically.", call(r), loc),
		"Check the base URL; if the target is right, send the call there yourself.")
}

func diagMissing(r *Response, m []string) rpc.Diagnostic {
	goName := m[1]
	name := SnakeCase(goName)
	root := name // items[0].id → items
	if i := strings.IndexAny(root, "[."); i > 0 && r.Endpoint != nil && r.Endpoint.Param(name) == nil {
		root = root[:i]
	}
	var p *Param
	if r.Endpoint != nil {
		p = r.Endpoint.Param(root)
	}
	hint := "Add " + name + "=… to the query."
	if p != nil {
		switch {
		case p.In == InPath:
			hint = "Fill {" + name + "} in the path."
		case p.In == InBody && root != name:
			hint = "Set " + name + " in the JSON body."
		case p.In == InBody:
			hint = "Add \"" + name + "\" to the JSON body."
		default:
			hint = "Add " + root + "=" + example(p) + " to the query"
			if p.Description != "" {
				hint += " (" + p.Description + ")"
			}
			hint += "."
		}
	} else if r.Endpoint != nil {
		hint += " (The catalog does not list " + name + " for " + r.Endpoint.Name + "; the API may have changed.)"
	}
	if r.Endpoint != nil && r.Endpoint.Name == "ListRecentSales" && name == "size" {
		hint += " The documented catalog-wide mode (no size) answers 400 in practice: ask per variant with size, product_condition and packaging_condition."
	}
	return httpDiag(DiagMissingParameter, rpc.SeverityError,
		"Missing parameter: "+name,
		fmt.Sprintf("The API refused %s because the required parameter %s (input.%s) was not sent.", call(r), name, goName),
		hint)
}

func diagWholeDollars(r *Response, _ []string) rpc.Diagnostic {
	hint := "Listing prices are USD cents in whole dollars (a multiple of 100): 25000 = $250."
	if v := queryOf(r).Get("price_cents"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n%100 != 0 {
			lo := n / 100 * 100
			hint = fmt.Sprintf("Use price_cents=%d or %d: prices are USD cents in whole dollars (a multiple of 100).", lo, lo+100)
		}
	}
	return httpDiag(DiagWholeDollars, rpc.SeverityError,
		"Price must be whole dollars",
		"The API refused "+call(r)+": the price is not a whole-dollar amount."+apiSays(r),
		hint)
}

func diagEnum(r *Response, _ []string) rpc.Diagnostic {
	detail := "The API refused " + call(r) + ": an enum parameter has a value it does not accept (the *_INVALID zero value is always refused)." + apiSays(r)
	if r.Endpoint == nil {
		return httpDiag(DiagBadEnum, rpc.SeverityError, "Invalid enum value", detail,
			"Send enum values by name (e.g. PRODUCT_CONDITION_NEW) or by number; see alias/endpoints for the valid values.")
	}
	q := queryOf(r)
	msg := ""
	if r.Error != nil {
		msg = r.Error.Message
	}
	var enums []*Param
	var culprit *Param
	for i := range r.Endpoint.Params {
		p := &r.Endpoint.Params[i]
		if p.Type != TypeEnum {
			continue
		}
		enums = append(enums, p)
		v := q.Get(p.Name)
		if culprit == nil && (strings.Contains(msg, p.Name) || strings.Contains(strings.ToLower(msg), strings.ToLower(strings.ReplaceAll(p.Name, "_", ""))) ||
			(v != "" && strings.Contains(msg, v))) {
			culprit = p
		}
	}
	if culprit == nil {
		for _, p := range enums { // the first sent value that is not a valid name
			if v := q.Get(p.Name); v != "" && !validEnum(p, v) {
				culprit = p
				break
			}
		}
	}
	var hint string
	switch {
	case culprit != nil:
		hint = fmt.Sprintf("Valid values for %s: %s (or their numbers 1–%d).", culprit.Name, strings.Join(culprit.Enum, ", "), len(culprit.Enum))
		if v := q.Get(culprit.Name); strings.HasPrefix(v, "PRODUCT_CONDITION_") && culprit.Name == "condition" {
			hint += " Listing endpoints use CONDITION_*; PRODUCT_CONDITION_* is for pricing endpoints."
		}
	case len(enums) > 0:
		names := make([]string, len(enums))
		for i, p := range enums {
			names[i] = p.Name
		}
		hint = "Check the enum parameters of " + r.Endpoint.Name + ": " + strings.Join(names, ", ") + " (valid values in alias/endpoints)."
	default:
		hint = "Check the parameter values against alias/endpoints."
	}
	return httpDiag(DiagBadEnum, rpc.SeverityError, "Invalid enum value", detail, hint)
}

func validEnum(p *Param, v string) bool {
	for _, e := range p.Enum {
		if e == v {
			return true
		}
	}
	n, err := strconv.Atoi(v)
	return err == nil && n >= 1 && n <= len(p.Enum)
}

func diagBadRequest(r *Response, _ []string) rpc.Diagnostic {
	hint := "Check the parameters against alias/endpoints."
	if r.Endpoint != nil {
		var req []string
		for _, p := range r.Endpoint.Params {
			if p.Required && p.In != InPath {
				req = append(req, p.Name)
			}
		}
		if len(req) > 0 {
			hint = r.Endpoint.Name + " requires " + strings.Join(req, ", ") + "; check their types and values in alias/endpoints."
		}
	}
	return httpDiag(DiagBadRequest, rpc.SeverityError, "Bad request",
		"The API refused the parameters of "+call(r)+"."+apiSays(r), hint)
}

func diagUnauthorized(r *Response, _ []string) rpc.Diagnostic {
	return httpDiag(DiagUnauthorized, rpc.SeverityError,
		"Token rejected: revoked, or not a personal access token",
		"The API did not accept the token of "+profileOf(r)+"."+apiSays(r),
		"A session token from the seller web login is refused. Create a personal access token in the alias token manager, add it with `aliasd token add NAME` and check it with `aliasd token verify`.")
}

func diagBusiness(r *Response, _ []string) rpc.Diagnostic {
	hint := "The same request will fail until the account's or the resource's state changes; read the API's message."
	if r.Endpoint != nil {
		switch {
		case r.Endpoint.Name == "ActivateListing":
			hint = "Activation fails until every required picture is uploaded (the catalog item's requested_pictures); non-compliant pictures are deleted — upload new ones, then retry."
		case r.Endpoint.Name == "CreateListing":
			hint = "Check the catalog item: resellable must be true and the price within minimum/maximum_listing_price_cents."
		case r.Endpoint.Scope == ScopeBatch:
			hint = "Batch operations have a per-seller quota: wait for running batches (GET /listings/batch_operation/quota) and retry."
		}
	}
	return httpDiag(DiagBusinessRule, rpc.SeverityError,
		"Refused by a business rule",
		"The parameters of "+call(r)+" are valid, but the API refused the request."+apiSays(r), hint)
}

// scopeOf names the endpoint group of a response's path.
func scopeOf(r *Response) Scope {
	if r.Endpoint != nil {
		return r.Endpoint.Scope
	}
	if es := MatchPath(r.Path); len(es) > 0 {
		return es[0].Scope
	}
	return ""
}

func diagScope(r *Response, _ []string) rpc.Diagnostic {
	group := string(scopeOf(r))
	title, what := "Token lacks the scope for this endpoint group", "this endpoint group"
	if group != "" {
		title, what = "Token lacks the "+group+" scope", "the "+group+" endpoints"
	}
	return httpDiag(DiagScope, rpc.SeverityError, title,
		"The token of "+profileOf(r)+" is not allowed to call "+what+" ("+call(r)+")."+apiSays(r),
		"Scope names are not published: in the alias token manager, create a token that includes "+what+", then `aliasd token add NAME` and `aliasd token use NAME`.")
}

func diagNotFound(r *Response, m []string) rpc.Diagnostic {
	if r.Endpoint == nil {
		return diagNoEndpoint(r, m)
	}
	var ids []string
	for _, seg := range strings.Split(r.Endpoint.Path, "/") {
		if name, ok := paramName(seg); ok {
			ids = append(ids, name+"="+strconv.Quote(r.PathParams[name]))
		}
	}
	what := "The resource"
	if len(ids) > 0 {
		what = "The resource with " + strings.Join(ids, ", ")
	} else if id := queryOf(r).Get("catalog_id"); id != "" {
		what = "The catalog item catalog_id=" + strconv.Quote(id)
	}
	hint := "Check the id (ids are case-sensitive)."
	if lp := listPath(r.Endpoint); lp != "" {
		hint += " Find ids with " + lp + "."
	}
	return httpDiag(DiagNotFound, rpc.SeverityError, "Not found",
		what+" does not exist ("+call(r)+")."+apiSays(r), hint)
}

func diagNoEndpoint(r *Response, _ []string) rpc.Diagnostic {
	detail := "The API has no " + r.Method + " " + r.Path + "."
	if r.Status == 415 {
		detail += " (It answers unknown routes with HTTP 415 and a gRPC content-type message.)"
	}
	detail += apiSays(r)
	hint := "See alias/endpoints for every path."
	if others := MatchPath(r.Path); len(others) > 0 {
		ms := make([]string, len(others))
		for i, e := range others {
			ms[i] = e.Method
		}
		hint = "The path exists for " + strings.Join(ms, ", ") + ", not " + r.Method + ": use that method."
	} else if n := Nearest(r.Path); n != nil {
		hint = "Did you mean " + n.Method + " " + n.Path + " (" + n.Name + ")? " + hint
	}
	return httpDiag(DiagNoSuchEndpoint, rpc.SeverityError, "No such endpoint: "+r.Method+" "+r.Path, detail, hint)
}

func diagMethod(r *Response, m []string) rpc.Diagnostic {
	d := diagNoEndpoint(r, m)
	d.Class = DiagMethod
	d.Title = "Method not allowed: " + r.Method + " " + r.Path
	return d
}

func diagUnsupported(r *Response, m []string) rpc.Diagnostic {
	if r.Endpoint == nil {
		return diagNoEndpoint(r, m)
	}
	return httpDiag(DiagClientError, rpc.SeverityError,
		fmt.Sprintf("Unsupported request (HTTP %d)", r.Status),
		"The API could not take "+call(r)+" in this form."+apiSays(r),
		"Send parameters in the query; only batch_create and batch_update take a JSON body.")
}

func diagConflict(r *Response, _ []string) rpc.Diagnostic {
	title := "Conflicting change"
	if r.Error != nil && r.Error.Code == 6 {
		title = "Already exists"
	}
	fetch := "the resource"
	for p := r.Path; strings.Count(p, "/") > 2; p = p[:strings.LastIndexByte(p, '/')] {
		if _, _, ok := Match("GET", p); ok {
			fetch = "GET " + strings.TrimPrefix(p, PathPrefix)
			break
		}
	}
	return httpDiag(DiagConflict, rpc.SeverityError, title,
		"Another process is changing the resource "+call(r)+" addressed."+apiSays(r),
		"Re-fetch "+fetch+", then retry the change on its current state.")
}

func diagRateLimited(r *Response, _ []string) rpc.Diagnostic {
	detail := "The API refused " + call(r) + ": too many requests for this account (its limits are not published)."
	if r.Attempts > 1 {
		detail += fmt.Sprintf(" Tried %d times.", r.Attempts)
	}
	if r.RetryAfter > 0 {
		detail += " The server asked to wait " + r.RetryAfter.String() + "."
	}
	hint := ""
	if r.GovernorNote != "" {
		hint = "aliasd's rate governor " + r.GovernorNote + ". "
	}
	hint += "List and search calls are rate limited: narrow filters, reuse cached answers, keep ids instead of re-listing; ask " + SupportAddress + " for higher limits."
	return httpDiag(DiagRateLimited, rpc.SeverityWarning, "Rate limited", detail, hint)
}

func diagUnavailable(r *Response, _ []string) rpc.Diagnostic {
	detail := fmt.Sprintf("The alias API or a gateway in front of it could not serve %s (HTTP %d, usually temporary).", call(r), r.Status)
	if r.Attempts > 1 {
		detail += fmt.Sprintf(" Tried %d times.", r.Attempts)
	}
	return httpDiag(DiagUnavailable, rpc.SeverityError,
		fmt.Sprintf("Server temporarily unavailable (HTTP %d)", r.Status), detail+apiSays(r),
		"Retry later. "+quoteID(r))
}

func diagServer(r *Response, _ []string) rpc.Diagnostic {
	return httpDiag(DiagServer, rpc.SeverityError,
		fmt.Sprintf("Server error (HTTP %d)", r.Status),
		"The alias API failed on its side while serving "+call(r)+"."+apiSays(r),
		quoteID(r))
}

func diagClientError(r *Response, _ []string) rpc.Diagnostic {
	return httpDiag(DiagClientError, rpc.SeverityError,
		fmt.Sprintf("Request refused (HTTP %d)", r.Status),
		"The API refused "+call(r)+"."+apiSays(r),
		"Check the call against alias/endpoints. "+quoteID(r))
}
