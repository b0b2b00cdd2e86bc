package alias

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// DefaultBaseURL is the production API.
const DefaultBaseURL = "https://api.alias.org"

// maxRedirects bounds same-origin redirect chains.
const maxRedirects = 5

// origin is a canonical scheme, host and port.
type origin struct {
	scheme string // "http" or "https"
	host   string // lower case, no brackets
	port   string // always explicit
}

func (o origin) String() string {
	host := o.host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if (o.scheme == "https" && o.port == "443") || (o.scheme == "http" && o.port == "80") {
		return o.scheme + "://" + host
	}
	return o.scheme + "://" + host + ":" + o.port
}

func originOf(u *url.URL) origin {
	o := origin{
		scheme: strings.ToLower(u.Scheme),
		host:   strings.TrimSuffix(strings.ToLower(u.Hostname()), "."),
		port:   u.Port(),
	}
	if o.port == "" {
		switch o.scheme {
		case "https":
			o.port = "443"
		case "http":
			o.port = "80"
		}
	}
	return o
}

// base is a parsed, validated base URL.
type base struct {
	origin origin
	// prefix is the mount path in front of /api/v1 (usually empty), without
	// a trailing slash.
	prefix string
}

// String is the base URL as aliasd reports it (origin + prefix + /api/v1).
func (b *base) String() string { return b.origin.String() + b.prefix + PathPrefix }

// parseBaseURL accepts https://api.alias.org, https://api.alias.org/api/v1,
// http://127.0.0.1:PORT/api/v1 and the like. Plain http is refused unless
// the host is loopback; userinfo, query and fragment are refused.
func parseBaseURL(raw string) (*base, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, fieldErr("BaseURL", "empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fieldErr("BaseURL", "not a URL (want e.g. %s)", DefaultBaseURL)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !isLoopbackHost(u.Hostname()) {
			return nil, fieldErr("BaseURL", "plain http is allowed only for loopback hosts (127.0.0.1, ::1, localhost), not %q: the token would travel unencrypted", u.Hostname())
		}
	default:
		return nil, fieldErr("BaseURL", "scheme %q is not http or https", u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fieldErr("BaseURL", "no host")
	}
	if u.User != nil {
		return nil, fieldErr("BaseURL", "user info is not allowed in the base URL")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return nil, fieldErr("BaseURL", "a query or fragment is not allowed in the base URL")
	}
	if p := u.Port(); p != "" {
		if _, err := netip.ParseAddrPort("127.0.0.1:" + p); err != nil {
			return nil, fieldErr("BaseURL", "bad port %q", p)
		}
	}
	p := strings.TrimRight(u.Path, "/")
	p = strings.TrimSuffix(p, PathPrefix)
	if strings.Contains(p, "..") || strings.ContainsAny(p, " \t\r\n") {
		return nil, fieldErr("BaseURL", "bad path %q", u.Path)
	}
	return &base{origin: originOf(u), prefix: strings.TrimRight(p, "/")}, nil
}

// isLoopbackHost reports whether host is localhost or a loopback IP
// (127.0.0.0/8, ::1).
func isLoopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	if err != nil {
		return false
	}
	return a.Unmap().IsLoopback()
}

// authKey carries a call's *authInfo in the request context, so that the
// transport can decide per hop whether the token goes along.
type authKey struct{}

type authInfo struct {
	origin origin
	header string // "Bearer <secret>"
}

// authTransport attaches the bearer only to requests whose scheme, host and
// port equal the configured origin of the call, and strips any
// Authorization header from every other request (redirect hops included).
type authTransport struct {
	next http.RoundTripper
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ai, _ := req.Context().Value(authKey{}).(*authInfo)
	r2 := *req // shallow copy; the caller's request is not modified
	r2.Header = req.Header.Clone()
	if r2.Header == nil {
		r2.Header = make(http.Header)
	}
	if ai != nil && ai.header != "" && originOf(req.URL) == ai.origin {
		r2.Header.Set("Authorization", ai.header)
	} else {
		r2.Header.Del("Authorization")
	}
	return t.next.RoundTrip(&r2)
}

// checkRedirect refuses every hop off the call's origin and stops writes at
// the first redirect (a 302 would turn a POST into a GET).
func checkRedirect(req *http.Request, via []*http.Request) error {
	ai, _ := req.Context().Value(authKey{}).(*authInfo)
	status := 0
	if req.Response != nil {
		status = req.Response.StatusCode
	}
	if ai == nil || originOf(req.URL) != ai.origin {
		return &redirectError{status: status, location: displayURL(req.URL), reason: "another origin than the configured base URL"}
	}
	if len(via) >= maxRedirects {
		return &redirectError{status: status, location: displayURL(req.URL), reason: "too many redirects"}
	}
	if m := via[0].Method; m != http.MethodGet && m != http.MethodHead {
		return http.ErrUseLastResponse
	}
	return nil
}

// displayURL is scheme://host/path of u: no user info, no query.
func displayURL(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}).String()
}

// newTransport is the tuned transport used when Config.Transport is nil.
func newTransport(connectTimeout time.Duration) *http.Transport {
	d := &net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            d.DialContext,
		ForceAttemptHTTP2:      true,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    connectTimeout,
		MaxIdleConns:           64,
		MaxIdleConnsPerHost:    16,
		IdleConnTimeout:        90 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		// Compression stays on: the transport asks for gzip and
		// decompresses; readBody caps the decompressed bytes.
	}
}

// withAuth returns ctx carrying the call's origin and bearer.
func withAuth(ctx context.Context, o origin, secret string) context.Context {
	h := ""
	if secret != "" {
		h = "Bearer " + secret
	}
	return context.WithValue(ctx, authKey{}, &authInfo{origin: o, header: h})
}
