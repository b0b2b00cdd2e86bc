package alias

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// preparedCall is a validated Call.
type preparedCall struct {
	method   string
	path     string // escaped full API path (with /api/v1)
	query    url.Values
	body     []byte
	header   http.Header
	endpoint *Endpoint
	params   map[string]string
}

var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true,
	http.MethodPut: true, http.MethodPatch: true, http.MethodDelete: true,
}

// refusedHeaders are set by the client or the transport, never by a caller.
var refusedHeaders = map[string]string{
	"Authorization":       "the token is attached by the client from the token vault",
	"Proxy-Authorization": "credentials are not accepted in call headers",
	"Cookie":              "credentials are not accepted in call headers",
	"Host":                "the host comes from the base URL",
	"Content-Length":      "set by the client",
	"Transfer-Encoding":   "set by the client",
	"Connection":          "hop-by-hop header",
	"Keep-Alive":          "hop-by-hop header",
	"Te":                  "hop-by-hop header",
	"Trailer":             "hop-by-hop header",
	"Upgrade":             "hop-by-hop header",
	"Accept-Encoding":     "the transport negotiates compression and caps the decompressed size",
}

// prepare validates a call: method, path (no "..", no fragment, valid
// escapes), query, body (JSON, not on GET/HEAD) and headers.
func prepare(call Call) (*preparedCall, error) {
	pc := &preparedCall{method: strings.ToUpper(strings.TrimSpace(call.Method))}
	if pc.method == "" {
		return nil, fieldErr("method", "empty (want GET, POST or DELETE)")
	}
	if !knownMethods[pc.method] {
		return nil, fieldErr("method", "unknown method %q (want GET, HEAD, POST, PUT, PATCH or DELETE)", call.Method)
	}
	p, rawQuery, err := splitPath(call.Path)
	if err != nil {
		return nil, err
	}
	pc.path = p
	pc.query = make(url.Values)
	if rawQuery != "" {
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return nil, fieldErr("path", "bad query after '?': %v", err)
		}
		for k, vs := range q {
			pc.query[k] = append(pc.query[k], vs...)
		}
	}
	for k, vs := range call.Query {
		if k == "" {
			return nil, fieldErr("query", "empty parameter name")
		}
		pc.query[k] = append(pc.query[k], vs...)
	}
	if len(call.Body) > 0 {
		if pc.method == http.MethodGet || pc.method == http.MethodHead {
			return nil, fieldErr("body", "a %s request cannot carry a body; send parameters in query", pc.method)
		}
		if !json.Valid(call.Body) {
			return nil, fieldErr("body", "not valid JSON")
		}
		pc.body = call.Body
	}
	pc.header = make(http.Header, len(call.Header)+3)
	for k, vs := range call.Header {
		ck := http.CanonicalHeaderKey(k)
		if why, bad := refusedHeaders[ck]; bad {
			return nil, fieldErr("header."+ck, "not allowed: %s", why)
		}
		if !validHeaderName(k) {
			return nil, fieldErr("header", "bad header name %q", k)
		}
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n\x00") {
				return nil, fieldErr("header."+ck, "value contains a line break or NUL")
			}
			pc.header.Add(ck, v)
		}
	}
	pc.endpoint, pc.params, _ = Match(pc.method, pc.path)
	if pc.endpoint == nil && pc.method == http.MethodHead {
		pc.endpoint, pc.params, _ = Match(http.MethodGet, pc.path)
	}
	return pc, nil
}

// splitPath validates an API path and returns its escaped full form and
// the query that followed "?", if any.
func splitPath(raw string) (path, rawQuery string, err error) {
	p := strings.TrimSpace(raw)
	if p == "" {
		return "", "", fieldErr("path", "empty (want e.g. /catalog)")
	}
	if strings.Contains(p, "://") || strings.HasPrefix(p, "//") {
		return "", "", fieldErr("path", "want an API path such as /catalog, not a URL (the base URL is configured)")
	}
	if strings.Contains(p, "#") {
		return "", "", fieldErr("path", "a fragment (#) is not allowed")
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] == 0x7f {
			return "", "", fieldErr("path", "control character at byte %d", i)
		}
	}
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p, rawQuery = p[:i], p[i+1:]
	}
	p = strings.ReplaceAll(p, " ", "%20")
	unescaped, err := url.PathUnescape(p)
	if err != nil {
		return "", "", fieldErr("path", "bad percent-encoding")
	}
	for _, form := range []string{p, unescaped} {
		for _, seg := range strings.Split(form, "/") {
			if seg == ".." || seg == "." {
				return "", "", fieldErr("path", "dot segments (. or ..) are not allowed")
			}
		}
	}
	return NormalizePath(p), rawQuery, nil
}

func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c == '-' || c == '_' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			return false
		}
	}
	return true
}
