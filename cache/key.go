package cache

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/aliasd/aliasd/alias"
)

// Key identifies a cacheable request. It holds the token's fingerprint,
// never the token.
type Key struct {
	// Method is the HTTP method; only GET is cached.
	Method string
	// Path is the API path; "/catalog/x" and "/api/v1/catalog/x" are the
	// same path. Percent-encoding is normalised.
	Path string
	// Query holds the query parameters; nil for none.
	Query url.Values
	// Accept is the request's Accept header.
	Accept string
	// Fingerprint identifies the token (see package tokens); "" for a
	// request without one.
	Fingerprint string
	// APIVersion defaults to alias.APIVersion.
	APIVersion string
}

// ErrBadKey is wrapped by every key validation error.
var ErrBadKey = errors.New("bad cache key")

// keyFormat versions the canonical encoding below.
const keyFormat = "k1"

// maxPathLen bounds a cacheable path.
const maxPathLen = 4096

// Canonical returns the key's canonical encoding: the canonical path, then
// NUL-separated fields, each escaped so that it holds no NUL. Keys that
// differ only in the order of distinct query names are equal; keys that
// differ in any value are not. Bucket order therefore groups entries by
// path, which Invalidate, Clear and Stats use for prefix scans.
func (k Key) Canonical() (string, error) {
	method := strings.ToUpper(strings.TrimSpace(k.Method))
	if method == "" || strings.ContainsFunc(method, func(r rune) bool { return r < 'A' || r > 'Z' }) {
		return "", fmt.Errorf("%w: method %q", ErrBadKey, k.Method)
	}
	path, err := canonicalPath(k.Path)
	if err != nil {
		return "", err
	}
	if err := checkFingerprint(k.Fingerprint); err != nil {
		return "", err
	}
	version := k.APIVersion
	if version == "" {
		version = alias.APIVersion
	}
	var b strings.Builder
	b.Grow(len(path) + 64)
	b.WriteString(path)
	for _, field := range []string{keyFormat, method, k.Fingerprint, version, canonicalAccept(k.Accept)} {
		b.WriteByte(0)
		b.WriteString(url.QueryEscape(field))
	}
	b.WriteByte(0)
	b.WriteString(canonicalQuery(k.Query))
	return b.String(), nil
}

// canonicalPath normalises an API path (alias.NormalizePath), decodes each
// segment and re-encodes it with url.PathEscape, so that "%61" and "a"
// agree while "a%2Fb" and "a/b" stay apart. It refuses dot segments,
// empty segments and paths that decode to control characters.
func canonicalPath(p string) (string, error) {
	if strings.ContainsAny(p, "?#") {
		return "", fmt.Errorf("%w: path %q holds a query or fragment", ErrBadKey, p)
	}
	n := alias.NormalizePath(p)
	if len(n) > maxPathLen {
		return "", fmt.Errorf("%w: path longer than %d bytes", ErrBadKey, maxPathLen)
	}
	segs := strings.Split(n, "/")[1:]
	var b strings.Builder
	b.Grow(len(n))
	for _, s := range segs {
		dec, err := url.PathUnescape(s)
		if err != nil {
			return "", fmt.Errorf("%w: path %q: %v", ErrBadKey, p, err)
		}
		switch {
		case dec == "":
			return "", fmt.Errorf("%w: path %q has an empty segment", ErrBadKey, p)
		case dec == "." || dec == "..":
			return "", fmt.Errorf("%w: path %q has a dot segment", ErrBadKey, p)
		case strings.ContainsFunc(dec, isControl):
			return "", fmt.Errorf("%w: path %q holds a control character", ErrBadKey, p)
		}
		b.WriteByte('/')
		b.WriteString(url.PathEscape(dec))
	}
	// Escaping can triple a raw byte: the cap holds for the result too,
	// so that a canonical path is canonical again.
	if b.Len() > maxPathLen {
		return "", fmt.Errorf("%w: path longer than %d bytes once escaped", ErrBadKey, maxPathLen)
	}
	return b.String(), nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// canonicalQuery sorts parameters by name, keeping the order of a repeated
// name's values, and query-escapes names and values.
func canonicalQuery(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, name := range names {
		en := url.QueryEscape(name)
		for _, v := range q[name] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(en)
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(v))
		}
	}
	return b.String()
}

// canonicalAccept lower-cases the media ranges and drops blanks; media
// types and parameter names are case-insensitive.
func canonicalAccept(a string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' {
			return -1
		}
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, a)
}

// checkFingerprint refuses anything that looks like a token rather than a
// fingerprint, so that a wiring mistake cannot put a secret into a key.
func checkFingerprint(fp string) error {
	switch {
	case len(fp) > 128:
		return fmt.Errorf("%w: fingerprint longer than 128 bytes", ErrBadKey)
	case strings.Contains(strings.ToLower(fp), "goatapi_"), strings.HasPrefix(strings.ToLower(fp), "bearer"):
		return fmt.Errorf("%w: fingerprint looks like a token", ErrBadKey)
	}
	return nil
}

// keyPath returns the canonical path that starts a canonical key.
func keyPath(ck string) string {
	if i := strings.IndexByte(ck, 0); i >= 0 {
		return ck[:i]
	}
	return ck
}

// parseCanonical decodes a canonical key back into its normalised parts
// (Path stays in canonical, escaped form).
// Its existence is what makes Canonical injective; the fuzz test checks
// the round trip.
func parseCanonical(ck string) (Key, error) {
	parts := strings.Split(ck, "\x00")
	if len(parts) != 7 || parts[1] != keyFormat {
		return Key{}, fmt.Errorf("%w: not a canonical key", ErrBadKey)
	}
	var err error
	k := Key{Path: parts[0]}
	if cp, err := canonicalPath(k.Path); err != nil || cp != k.Path {
		return Key{}, fmt.Errorf("%w: path %q is not canonical", ErrBadKey, k.Path)
	}
	fields := []*string{&k.Method, &k.Fingerprint, &k.APIVersion, &k.Accept}
	for i, dst := range fields {
		if *dst, err = url.QueryUnescape(parts[2+i]); err != nil {
			return Key{}, err
		}
	}
	if parts[6] != "" {
		k.Query = url.Values{}
		for _, pair := range strings.Split(parts[6], "&") {
			en, ev, ok := strings.Cut(pair, "=")
			if !ok {
				return Key{}, fmt.Errorf("%w: query pair %q", ErrBadKey, pair)
			}
			name, err1 := url.QueryUnescape(en)
			val, err2 := url.QueryUnescape(ev)
			if err := errors.Join(err1, err2); err != nil {
				return Key{}, err
			}
			k.Query[name] = append(k.Query[name], val)
		}
	}
	return k, nil
}

// cacheableMethod reports whether requests with this method are cached.
func cacheableMethod(m string) bool { return strings.EqualFold(m, http.MethodGet) }
