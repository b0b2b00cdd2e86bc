package alias

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/aliasd/aliasd/rpc"
)

// SupportAddress is where the API's support takes request IDs.
const SupportAddress = "open-api-support@alias.org"

// Diagnosis classes (rpc.Diagnostic.Class). They are stable: history
// entries and editors may branch on them.
const (
	DiagRetried          = "succeeded_after_retry"
	DiagNotFollowed      = "redirect_not_followed"
	DiagMissingParameter = "missing_parameter"
	DiagWholeDollars     = "whole_dollars"
	DiagBadEnum          = "bad_enum"
	DiagBadRequest       = "bad_request"
	DiagUnauthorized     = "token_rejected"
	DiagBusinessRule     = "business_rule"
	DiagScope            = "scope"
	DiagNotFound         = "not_found"
	DiagNoSuchEndpoint   = "no_such_endpoint"
	DiagMethod           = "method_not_allowed"
	DiagConflict         = "conflict"
	DiagRateLimited      = "rate_limited"
	DiagServer           = "server_error"
	DiagUnavailable      = "server_unavailable"
	DiagClientError      = "client_error"
	DiagUnexpected       = "unexpected_status"
	DiagStale            = "stale_cache"
	// Walk (pagination) outcomes.
	DiagPageCap       = "page_cap"
	DiagRepeatedToken = "repeated_token"
	DiagBadPage       = "bad_page"
	// Transport failures (Status 0): "net_" + NetClass.
	DiagNetDNS       = "net_dns"
	DiagNetRefused   = "net_refused"
	DiagNetTimeout   = "net_timeout"
	DiagNetTLS       = "net_tls"
	DiagNetReset     = "net_reset"
	DiagNetRedirect  = "net_redirect"
	DiagNetBodyCap   = "net_body_cap"
	DiagNetTruncated = "net_truncated"
	DiagNetCanceled  = "net_canceled"
	DiagNetOther     = "net_other"
)

// rule is one row of the diagnosis table. A row matches on the transport
// class (Status 0 rows) or on the HTTP status range, the gRPC code (-1 =
// any) and a pattern over the API's message.
type rule struct {
	net      NetClass // Status 0 rows; "" for HTTP rows
	min, max int      // HTTP status range, inclusive
	code     int      // gRPC code, -1 = any
	pattern  *regexp.Regexp
	build    func(r *Response, m []string) rpc.Diagnostic
}

func netRow(c NetClass, b func(r *Response, m []string) rpc.Diagnostic) rule {
	return rule{net: c, build: b}
}

func httpRow(lo, hi, code int, pattern string, b func(r *Response, m []string) rpc.Diagnostic) rule {
	ru := rule{min: lo, max: hi, code: code, build: b}
	if pattern != "" {
		ru.pattern = regexp.MustCompile(pattern)
	}
	return ru
}

// table is THE diagnosis table; the first matching row wins.
var table = []rule{
	netRow(NetRedirect, diagRedirect),
	netRow(NetBodyCap, diagBodyCap),
	netRow(NetTruncated, diagTruncated),
	netRow(NetDNS, diagDNS),
	netRow(NetRefused, diagRefused),
	netRow(NetTimeout, diagTimeout),
	netRow(NetTLS, diagTLS),
	netRow(NetReset, diagReset),
	netRow(NetCanceled, diagCanceled),
	netRow(NetOther, diagNetOther),

	httpRow(300, 399, -1, "", diagNotFollowed),
	httpRow(400, 400, 3, `Missing parameter: input\.([A-Za-z0-9_.\[\]]+)`, diagMissing),
	httpRow(400, 400, -1, `(?i)whole dollar|multiple of 100|dollar amount`, diagWholeDollars),
	httpRow(400, 400, -1, `(?i)enum|_INVALID\b|invalid value|unknown value`, diagEnum),
	httpRow(400, 400, -1, "", diagBadRequest),
	httpRow(401, 401, -1, "", diagUnauthorized),
	httpRow(402, 402, -1, "", diagBusiness),
	httpRow(403, 403, -1, "", diagScope),
	httpRow(404, 404, -1, "", diagNotFound),
	httpRow(405, 405, -1, "", diagMethod),
	httpRow(409, 409, -1, "", diagConflict),
	httpRow(415, 415, -1, "", diagUnsupported),
	httpRow(429, 429, -1, "", diagRateLimited),
	httpRow(400, 499, 8, "", diagRateLimited),
	httpRow(501, 501, -1, "", diagUnsupported),
	httpRow(502, 504, -1, "", diagUnavailable),
	httpRow(500, 599, -1, "", diagServer),
	httpRow(400, 499, -1, "", diagClientError),
}

// Diagnose explains a response: what went wrong and what to do. It returns
// nil for a plain 2xx or 304, an info diagnostic for a success that needed
// retries, and a diagnostic for everything else. The daemon also calls it
// for answers served from the cache.
func Diagnose(r *Response) *rpc.Diagnostic {
	if r == nil {
		return nil
	}
	if r.Status != 0 && r.OK() {
		if r.Attempts > 1 {
			d := diagRetried(r)
			return &d
		}
		return nil
	}
	for _, ru := range table {
		if m, ok := ru.match(r); ok {
			d := ru.build(r, m)
			return &d
		}
	}
	d := rpc.Diagnostic{
		Class: DiagUnexpected, Severity: rpc.SeverityWarning,
		Title:  fmt.Sprintf("Unexpected HTTP %d", r.Status),
		Detail: "The API answered with a status it does not document.",
		Hint:   quoteID(r),
	}
	return &d
}

func (ru rule) match(r *Response) ([]string, bool) {
	if r.Status == 0 {
		return nil, ru.net != "" && r.NetClass == ru.net
	}
	if ru.net != "" || r.Status < ru.min || r.Status > ru.max {
		return nil, false
	}
	if ru.code >= 0 && (r.Error == nil || r.Error.Code != ru.code) {
		return nil, false
	}
	if ru.pattern == nil {
		return nil, true
	}
	if r.Error == nil {
		return nil, false
	}
	m := ru.pattern.FindStringSubmatch(r.Error.Message)
	return m, m != nil
}

// StaleDiagnostic marks an answer served from the cache because the API
// could not be asked (reason, e.g. "connection refused").
func StaleDiagnostic(age time.Duration, reason string) *rpc.Diagnostic {
	return &rpc.Diagnostic{
		Class: DiagStale, Severity: rpc.SeverityWarning,
		Title:  "Stale cached answer (" + fmtAge(age) + " old)",
		Detail: "This answer comes from the local cache, not from the API: " + reason + ".",
		Hint:   "It may be out of date. Retry when the API is reachable, or ask with cache \"no-cache\" to refuse cached answers.",
	}
}

func fmtAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "m"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + "h"
	}
	return strconv.Itoa(int(d.Hours()/24)) + "d"
}

// --- helpers ---

func call(r *Response) string {
	s := r.Method + " " + r.Path
	if r.Endpoint != nil {
		s += " (" + r.Endpoint.Name + ")"
	}
	return s
}

func apiSays(r *Response) string {
	if r.Error == nil || r.Error.Message == "" {
		return ""
	}
	if r.ErrorSynthesized {
		return " The server said: " + strconv.Quote(r.Error.Message) + "."
	}
	return fmt.Sprintf(" The API said: %s (code %d %s).", strconv.Quote(r.Error.Message), r.Error.Code, r.Error.CodeName)
}

func quoteID(r *Response) string {
	ids := r.RequestIDs
	if len(ids) == 0 && r.RequestID != "" {
		ids = []string{r.RequestID}
	}
	switch len(ids) {
	case 0:
		return "The response carried no x-request-id; give support the time and path of the call (" + SupportAddress + ")."
	case 1:
		return "If it persists, quote request ID " + ids[0] + " to " + SupportAddress + "."
	}
	return "If it persists, quote request IDs " + strings.Join(ids, ", ") + " to " + SupportAddress + "."
}

func baseOf(r *Response) string {
	u, err := url.Parse(r.URL)
	if err != nil || u.Host == "" {
		return "the configured base URL"
	}
	return u.Scheme + "://" + u.Host
}

func netDetail(r *Response) string {
	if r.NetErr == nil {
		return ""
	}
	return r.NetErr.Error()
}

func netDiag(class, title, detail, hint string) rpc.Diagnostic {
	return rpc.Diagnostic{Class: class, Severity: rpc.SeverityError, Title: title, Detail: detail, Hint: hint}
}

// SnakeCase turns a Go-style field path from an API message into the
// snake_case parameter name: Size → size, CatalogId → catalog_id,
// ListingID → listing_id, Order.SortBy → order.sort_by.
func SnakeCase(s string) string {
	parts := strings.Split(s, ".")
	for i, p := range parts {
		rs := []rune(p)
		var b strings.Builder
		for j, c := range rs {
			if unicode.IsUpper(c) {
				if j > 0 && (unicode.IsLower(rs[j-1]) || unicode.IsDigit(rs[j-1]) ||
					(unicode.IsUpper(rs[j-1]) && j+1 < len(rs) && unicode.IsLower(rs[j+1]))) {
					b.WriteByte('_')
				}
				b.WriteRune(unicode.ToLower(c))
				continue
			}
			b.WriteRune(c)
		}
		parts[i] = b.String()
	}
	return strings.Join(parts, ".")
}

// --- rows ---

func diagRetried(r *Response) rpc.Diagnostic {
	earlier := make([]string, 0, len(r.AttemptStatuses))
	for _, s := range r.AttemptStatuses[:len(r.AttemptStatuses)-1] {
		if s == 0 {
			earlier = append(earlier, "network error")
		} else {
			earlier = append(earlier, strconv.Itoa(s))
		}
	}
	d := rpc.Diagnostic{
		Class: DiagRetried, Severity: rpc.SeverityInfo,
		Title:  fmt.Sprintf("Succeeded after %d attempts", r.Attempts),
		Detail: "Earlier attempts failed with: " + strings.Join(earlier, ", ") + ". Request IDs of every attempt are kept.",
	}
	if r.GovernorNote != "" {
		d.Hint = "Rate governor: " + r.GovernorNote + "."
	}
	return d
}

func diagRedirect(r *Response, _ []string) rpc.Diagnostic {
	to := r.Redirect
	if to == "" {
		to = "another origin"
	}
	return netDiag(DiagNetRedirect, "Refused redirect to "+to,
		fmt.Sprintf("The server answered %s with HTTP %d redirecting to %s. The client follows redirects only within %s, so the token was not sent there.", call(r), r.HTTPStatus, to, baseOf(r)),
		"Check the base URL (config or ALIASD_BASE_URL); the API lives at "+DefaultBaseURL+PathPrefix+". "+quoteID(r))
}

func diagBodyCap(r *Response, _ []string) rpc.Diagnostic {
	title := "Response larger than the size cap"
	if r.BodyCap > 0 {
		title = "Response larger than " + fmtBytes(r.BodyCap) + " cap"
	}
	return netDiag(DiagNetBodyCap, title,
		fmt.Sprintf("%s answered HTTP %d with a body past the cap (after decompression); reading stopped there.", call(r), r.HTTPStatus),
		"Narrow the request (filters, a smaller page size, pagination) or raise the maximum body size in the config.")
}

func diagTruncated(r *Response, _ []string) rpc.Diagnostic {
	return netDiag(DiagNetTruncated, "Response body cut short",
		fmt.Sprintf("%s answered HTTP %d but the connection ended before the whole body arrived: %s.", call(r), r.HTTPStatus, netDetail(r)),
		"Retry. If it keeps happening, a proxy or the network is cutting responses. "+quoteID(r))
}

func diagDNS(r *Response, _ []string) rpc.Diagnostic {
	return netDiag(DiagNetDNS, "Cannot resolve the API host",
		"The host of "+baseOf(r)+" could not be looked up: "+netDetail(r)+".",
		"Check the network connection and the base URL's host name (config or ALIASD_BASE_URL).")
}

func diagRefused(r *Response, _ []string) rpc.Diagnostic {
	return netDiag(DiagNetRefused, "Connection refused",
		"Nothing accepted a connection at "+baseOf(r)+": "+netDetail(r)+".",
		"Check the base URL and port; if it points at a local mock, start it with `aliasd mock`.")
}

func diagTimeout(r *Response, _ []string) rpc.Diagnostic {
	return netDiag(DiagNetTimeout, "No response in time",
		call(r)+": "+netDetail(r)+".",
		"The API has had periods of 20–45 s before the first byte; retry later, or raise the request timeout in the config.")
}

func diagTLS(r *Response, _ []string) rpc.Diagnostic {
	return netDiag(DiagNetTLS, "TLS error",
		"The secure connection to "+baseOf(r)+" failed: "+netDetail(r)+".",
		"Check the system clock, any proxy that intercepts TLS, and that the base URL's scheme and host are right.")
}

func diagReset(r *Response, _ []string) rpc.Diagnostic {
	return netDiag(DiagNetReset, "Connection reset",
		"The connection to "+baseOf(r)+" closed before a response arrived: "+netDetail(r)+".",
		"Retry; reads are retried automatically, writes are not (they may or may not have happened — check before repeating).")
}

func diagCanceled(r *Response, _ []string) rpc.Diagnostic {
	return rpc.Diagnostic{Class: DiagNetCanceled, Severity: rpc.SeverityInfo,
		Title:  "Call cancelled",
		Detail: call(r) + " was cancelled before a complete response arrived.",
		Hint:   "A cancelled write may still have reached the API; check before repeating it.",
	}
}

func diagNetOther(r *Response, _ []string) rpc.Diagnostic {
	return netDiag(DiagNetOther, "Network error",
		call(r)+" failed: "+netDetail(r)+".",
		"Check the network connection and the base URL.")
}
