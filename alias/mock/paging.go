package mock

import (
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
)

// Page tokens are opaque to clients: base64url of "kind:offset:filter",
// where filter is a hash of the query that produced the first page. A
// token from another resource or another query is rejected with 400 code
// 3, as a short-lived, query-bound token would be (alias-api.md §8).

func pageToken(kind string, offset int, fp string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + strconv.Itoa(offset) + ":" + fp))
}

// pageOffset decodes a token; "" is the first page.
func pageOffset(kind, token, fp string) (int, *apiError) {
	if token == "" {
		return 0, nil
	}
	bad := errInvalid("pagination_token", "invalid or expired pagination token")
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return 0, bad
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) != 3 || parts[0] != kind || parts[2] != fp {
		return 0, bad
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil || n < 0 {
		return 0, bad
	}
	return n, nil
}

// fingerprint hashes the filter parameters a token is bound to.
func fingerprint(parts ...string) string {
	h := fnv.New32a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return fmt.Sprintf("%08x", h.Sum32())
}

// window returns the [lo, hi) bounds of one page and whether more follow.
func window(total, offset, size int) (lo, hi int, more bool) {
	lo = min(offset, total)
	hi = min(lo+size, total)
	return lo, hi, hi < total
}

func sortStrings(xs []string) { sort.Strings(xs) }

// listingsSorted returns every listing in creation order. Callers hold mu.
func (s *Server) listingsSorted() []*listing {
	out := make([]*listing, 0, len(s.st.listings))
	for _, l := range s.st.listings {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}
