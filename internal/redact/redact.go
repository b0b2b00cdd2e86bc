package redact

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Marker replaces every redacted span.
const Marker = "[REDACTED]"

// PATPrefix starts every alias personal access token.
const PATPrefix = "goatapi_"

// minEncodedLen is the shortest derived (encoded) form worth registering;
// shorter base64 fragments would match ordinary text.
const minEncodedLen = 8

// maxPasses bounds the re-scan that catches a secret formed across a marker
// boundary; past it the whole input is replaced.
const maxPasses = 8

// A Redactor scrubs registered secrets and secret-shaped text. It is safe for
// concurrent use; the zero value and a nil *Redactor redact shapes only.
type Redactor struct {
	mu   sync.Mutex     // guards refs and serialises rebuilds of m
	refs map[string]int // registered secret -> registration count

	// m is rebuilt from refs on every change; readers load it without
	// locking. nil means nothing is registered.
	m atomic.Pointer[matcher]
}

// New returns an empty Redactor.
func New() *Redactor { return &Redactor{} }

// Add registers a secret. Registering the same secret twice needs two
// Removes. Empty secrets and secrets contained in Marker are ignored (the
// output would always contain them).
func (r *Redactor) Add(secret string) {
	if secret == "" || strings.Contains(Marker, secret) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refs == nil {
		r.refs = make(map[string]int)
	}
	r.refs[secret]++
	if r.refs[secret] == 1 {
		r.rebuildLocked()
	}
}

// Remove drops one registration of secret.
func (r *Redactor) Remove(secret string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, ok := r.refs[secret]
	if !ok {
		return
	}
	if n > 1 {
		r.refs[secret] = n - 1
		return
	}
	delete(r.refs, secret)
	r.rebuildLocked()
}

// Len reports how many distinct secrets are registered.
func (r *Redactor) Len() int {
	if r == nil {
		return 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.refs)
}

func (r *Redactor) rebuildLocked() {
	if len(r.refs) == 0 {
		r.m.Store(nil)
		return
	}
	m := newMatcher()
	for secret := range r.refs {
		m.plain = append(m.plain, secret)
		for _, f := range forms(secret) {
			m.addLiteral(f)
		}
	}
	r.m.Store(m)
}

// forms lists the ways secret may appear in text: itself, URL-escaped,
// JSON-escaped, and the parts of its base64 encodings that depend only on the
// secret's bytes, for each of the three alignments it can have inside a
// larger encoded value (e.g. base64("user:" + secret) in basic auth).
func forms(secret string) []string {
	out := []string{secret}
	add := func(f string) {
		if f != "" && !strings.Contains(Marker, f) && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	add(url.QueryEscape(secret))
	add(url.PathEscape(secret))
	if b, err := json.Marshal(secret); err == nil && len(b) >= 2 {
		add(string(b[1 : len(b)-1]))
	}
	n := len(secret)
	for off := 0; off < 3; off++ {
		buf := make([]byte, off+n)
		copy(buf[off:], secret)
		std := base64.StdEncoding.EncodeToString(buf)
		// Character i carries bits [6i, 6i+6); keep those inside the secret's
		// bits [8*off, 8*(off+n)).
		first := (8*off + 5) / 6
		last := (8*(off+n) - 6) / 6
		if last-first+1 < minEncodedLen {
			continue
		}
		core := std[first : last+1]
		add(core)
		add(strings.NewReplacer("+", "-", "/", "_").Replace(core))
	}
	return out
}

type span struct{ start, end int }

// String returns s with every registered secret and secret-shaped span
// replaced by Marker. It returns s itself when nothing matches.
func (r *Redactor) String(s string) string {
	m := baseMatcher
	if r != nil {
		if rm := r.m.Load(); rm != nil {
			m = rm
		}
	}
	out := m.redactOnce(s)
	if len(out) == len(s) && unsafe.StringData(out) == unsafe.StringData(s) {
		return s
	}
	// Replacing spans can join text into a new occurrence of a secret
	// (e.g. a secret that begins with the end of Marker). Re-scan until none.
	for pass := 0; pass < maxPasses; pass++ {
		if !containsAny(out, m.plain) {
			return out
		}
		out = m.redactOnce(out)
	}
	if containsAny(out, m.plain) {
		return Marker
	}
	return out
}

// Bytes is String for byte slices. It returns b itself when nothing matches.
func (r *Redactor) Bytes(b []byte) []byte {
	if len(b) == 0 {
		return b
	}
	s := unsafe.String(&b[0], len(b))
	out := r.String(s)
	if len(out) == len(s) && unsafe.StringData(out) == unsafe.StringData(s) {
		return b
	}
	return []byte(out)
}

// sensitiveHeaders are replaced whole by Header.
var sensitiveHeaders = map[string]bool{
	"Authorization":       true,
	"Proxy-Authorization": true,
	"Cookie":              true,
	"Set-Cookie":          true,
}

// Header returns a copy of h with credential-bearing headers
// (Authorization, Proxy-Authorization, Cookie, Set-Cookie) replaced by Marker
// and every other value passed through String.
func (r *Redactor) Header(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	out := make(http.Header, len(h))
	for k, vs := range h {
		nv := make([]string, len(vs))
		sensitive := sensitiveHeaders[http.CanonicalHeaderKey(k)]
		for i, v := range vs {
			if sensitive {
				nv[i] = Marker
			} else {
				nv[i] = r.String(v)
			}
		}
		out[k] = nv
	}
	return out
}

func containsAny(s string, subs []string) bool {
	for _, p := range subs {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// redactOnce replaces every span found in s; it returns s itself when there
// is none.
func (m *matcher) redactOnce(s string) string {
	spans := m.find(s)
	if len(spans) == 0 {
		return s
	}
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	var b strings.Builder
	b.Grow(len(s))
	pos := 0
	for i := 0; i < len(spans); {
		start, end := spans[i].start, spans[i].end
		// Merge overlapping and touching spans into one marker.
		for i++; i < len(spans) && spans[i].start <= end; i++ {
			end = max(end, spans[i].end)
		}
		b.WriteString(s[pos:start])
		b.WriteString(Marker)
		pos = end
	}
	b.WriteString(s[pos:])
	return b.String()
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// patAt returns the span of goatapi_[A-Za-z0-9]+ at i, if any.
func patAt(s string, i int) (span, bool) {
	if !strings.HasPrefix(s[i:], PATPrefix) {
		return span{}, false
	}
	j := i + len(PATPrefix)
	for j < len(s) && isAlnum(s[j]) {
		j++
	}
	if j == i+len(PATPrefix) {
		return span{}, false
	}
	return span{i, j}, true
}

// hasPrefixFold reports whether s starts with lower (ASCII, lower case),
// ignoring case.
func hasPrefixFold(s, lower string) bool {
	if len(s) < len(lower) {
		return false
	}
	for i := 0; i < len(lower); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// keywordAt returns the value span of a Bearer credential or of an
// Authorization or Cookie value whose keyword starts at i, if any.
func keywordAt(s string, i int) (span, bool) {
	if i > 0 && isAlnum(s[i-1]) {
		return span{}, false
	}
	switch s[i] | 0x20 {
	case 'b':
		if hasPrefixFold(s[i:], "bearer") {
			return bearerValue(s, i+len("bearer"))
		}
	case 'a':
		if hasPrefixFold(s[i:], "authorization") {
			return headerValue(s, i+len("authorization"))
		}
	case 'c':
		if hasPrefixFold(s[i:], "cookie") {
			return headerValue(s, i+len("cookie"))
		}
	}
	return span{}, false
}

// isTokenEnd reports whether c ends an unquoted credential.
func isTokenEnd(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '"', '\'', '`', ',', ';', '\\', '<', '>', ']', ')', '}', '&':
		return true
	}
	return false
}

// bearerValue finds the credential after "Bearer" at j: one or more blanks
// (or a URL-escaped space), then a run of credential bytes.
func bearerValue(s string, j int) (span, bool) {
	k := j
	for k < len(s) {
		switch {
		case s[k] == ' ' || s[k] == '\t':
			k++
			continue
		case strings.HasPrefix(s[k:], "%20"):
			k += 3
			continue
		}
		break
	}
	if k == j {
		return span{}, false
	}
	e := k
	for e < len(s) && !isTokenEnd(s[e]) {
		e++
	}
	// Prose ends sentences: "… this bearer token." is a word, not a secret.
	if e == k || strings.HasPrefix(s[k:], Marker) || isWord(strings.TrimRight(s[k:e], ".,;:!?")) {
		return span{}, false
	}
	return span{k, e}, true
}

// maxWordLen bounds what isWord accepts.
const maxWordLen = 12

// isWord reports whether v is a short run of lower-case letters: prose such
// as "bearer token" or a placeholder such as "Bearer undefined", not a
// credential. Registered secrets are redacted whatever they look like.
func isWord(v string) bool {
	if len(v) > maxWordLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 'a' || v[i] > 'z' {
			return false
		}
	}
	return true
}

// headerValue finds the value after a header-like key ending at j, in the
// forms `Key: value` (to end of line), `key=value` (to & or a blank),
// `"key": "value"`, `"key": ["value"]` and Go's `map[Key:[value]]`.
func headerValue(s string, j int) (span, bool) {
	k := j
	if k < len(s) && (s[k] == '"' || s[k] == '\'') {
		k++
	}
	for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
		k++
	}
	if k >= len(s) || (s[k] != ':' && s[k] != '=') {
		return span{}, false
	}
	eq := s[k] == '='
	k++
	for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
		k++
	}
	if strings.HasPrefix(s[k:], Marker) {
		return span{}, false
	}
	bracket := false
	if k < len(s) && s[k] == '[' {
		bracket = true
		k++
	}
	if k < len(s) && (s[k] == '"' || s[k] == '\'') {
		q := s[k]
		k++
		e := k
		for e < len(s) && s[e] != q && s[e] != '\n' {
			if s[e] == '\\' && e+1 < len(s) {
				e++
			}
			e++
		}
		e = min(e, len(s))
		if e == k || strings.HasPrefix(s[k:], Marker) {
			return span{}, false
		}
		return span{k, e}, true
	}
	e := k
	for e < len(s) && s[e] != '\r' && s[e] != '\n' {
		if bracket && s[e] == ']' {
			break
		}
		if eq && (s[e] == '&' || s[e] == ' ' || s[e] == '\t') {
			break
		}
		e++
	}
	if e == k || strings.HasPrefix(s[k:], Marker) {
		return span{}, false
	}
	return span{k, e}, true
}
