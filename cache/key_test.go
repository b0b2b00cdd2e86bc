package cache

import (
	"errors"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aliasd/aliasd/alias"
)

func TestCanonicalKey(t *testing.T) {
	base := Key{Method: "GET", Path: "/api/v1/catalog", Query: mustQuery("query=dunk&limit=5"), Accept: "application/json", Fingerprint: "fp1"}
	with := func(f func(*Key)) Key {
		k := base
		k.Query = mustQuery(base.Query.Encode())
		f(&k)
		return k
	}
	same := []struct {
		name string
		key  Key
	}{
		{"short path", with(func(k *Key) { k.Path = "/catalog" })},
		{"path without slash", with(func(k *Key) { k.Path = "catalog" })},
		{"trailing slash", with(func(k *Key) { k.Path = "/api/v1/catalog/" })},
		{"query order", with(func(k *Key) { k.Query = mustQuery("limit=5&query=dunk") })},
		{"method case", with(func(k *Key) { k.Method = "get" })},
		{"accept case and blanks", with(func(k *Key) { k.Accept = "Application/JSON " })},
		{"default API version", with(func(k *Key) { k.APIVersion = alias.APIVersion })},
	}
	want, err := base.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range same {
		if got, err := c.key.Canonical(); err != nil || got != want {
			t.Errorf("Canonical(%s) = %q, %v; want %q", c.name, got, err, want)
		}
	}
	differ := []struct {
		name string
		key  Key
	}{
		{"other fingerprint", with(func(k *Key) { k.Fingerprint = "fp2" })},
		{"no fingerprint", with(func(k *Key) { k.Fingerprint = "" })},
		{"other query value", with(func(k *Key) { k.Query.Set("limit", "6") })},
		{"extra query", with(func(k *Key) { k.Query.Set("pagination_token", "t") })},
		{"repeated value order", with(func(k *Key) { k.Query["query"] = []string{"dunk", "low"} })},
		{"other accept", with(func(k *Key) { k.Accept = "text/plain" })},
		{"other API version", with(func(k *Key) { k.APIVersion = "1.3.4" })},
		{"other path", with(func(k *Key) { k.Path = "/api/v1/catalog/x" })},
		{"escaped slash", with(func(k *Key) { k.Path = "/api/v1/catalog%2Fx" })},
		{"value with separator", with(func(k *Key) { k.Query = mustQuery("query=dunk%26limit%3D5") })},
	}
	seen := map[string]string{want: "base"}
	for _, c := range differ {
		got, err := c.key.Canonical()
		if err != nil {
			t.Errorf("Canonical(%s) = %v", c.name, err)
			continue
		}
		if prev, dup := seen[got]; dup {
			t.Errorf("Canonical(%s) = Canonical(%s) = %q, want distinct keys", c.name, prev, got)
		}
		seen[got] = c.name
	}
	// Percent-encoding of an unreserved character is normalised.
	a, _ := Key{Method: "GET", Path: "/catalog/%61bc"}.Canonical()
	b, _ := Key{Method: "GET", Path: "/catalog/abc"}.Canonical()
	if a != b {
		t.Errorf("Canonical(/catalog/%%61bc) = %q, want %q", a, b)
	}
	if keyPath(want) != "/api/v1/catalog" {
		t.Errorf("keyPath = %q, want /api/v1/catalog", keyPath(want))
	}
}

func TestCanonicalKeyRejects(t *testing.T) {
	cases := []struct {
		name string
		key  Key
	}{
		{"no method", Key{Path: "/catalog"}},
		{"method with blank", Key{Method: "G ET", Path: "/catalog"}},
		{"dot dot", Key{Method: "GET", Path: "/catalog/../listings"}},
		{"encoded dot dot", Key{Method: "GET", Path: "/catalog/%2e%2e/listings"}},
		{"empty segment", Key{Method: "GET", Path: "/catalog//x"}},
		{"query in path", Key{Method: "GET", Path: "/catalog?query=x"}},
		{"NUL", Key{Method: "GET", Path: "/catalog/a%00b"}},
		{"bad escape", Key{Method: "GET", Path: "/catalog/%zz"}},
		{"too long", Key{Method: "GET", Path: "/catalog/" + strings.Repeat("a", maxPathLen)}},
		{"token as fingerprint", Key{Method: "GET", Path: "/catalog", Fingerprint: "goatapi_" + strings.Repeat("z", 30)}},
		{"bearer as fingerprint", Key{Method: "GET", Path: "/catalog", Fingerprint: "Bearer x"}},
	}
	for _, c := range cases {
		if got, err := c.key.Canonical(); !errors.Is(err, ErrBadKey) {
			t.Errorf("Canonical(%s) = %q, %v; want ErrBadKey", c.name, got, err)
		}
	}
}

// decodedSegments splits a path into its decoded segments, the path's
// meaning for the canonicaliser.
func decodedSegments(p string) ([]string, bool) {
	var out []string
	for _, s := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		d, err := url.PathUnescape(s)
		if err != nil {
			return nil, false
		}
		out = append(out, d)
	}
	return out, true
}

// FuzzCanonicalKey checks that permuting distinct query names never
// changes the key, that the key decodes back to exactly what went in (so
// different inputs never share a key), and that changing one value always
// changes it.
func FuzzCanonicalKey(f *testing.F) {
	f.Add("/catalog/dunk-low", "query=dunk&limit=5", "application/json", "fp", uint64(1))
	f.Add("/listings", "facet_filters=status:active&facet_filters=consigned:false&page_size=50", "", "", uint64(7))
	f.Add("/catalog/a%2Fb", "a=%26&b==&=c&d", "*/*", "sha256:00", uint64(3))
	f.Add("listings/x y", "ids=a&ids=b&ids=a", "Application/JSON; q=1", "f p", uint64(42))
	f.Fuzz(func(t *testing.T, path, rawQuery, accept, fp string, seed uint64) {
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return
		}
		k := Key{Method: "GET", Path: path, Query: q, Accept: accept, Fingerprint: fp}
		ck, err := k.Canonical()
		if err != nil {
			return
		}

		// Reorder the raw query's pairs at random while each name's values
		// keep their relative order; the key must not change.
		parts := strings.Split(rawQuery, "&")
		nameOf := func(part string) string {
			n, _, _ := strings.Cut(part, "=")
			d, _ := url.QueryUnescape(n)
			return d
		}
		byName := map[string][]string{}
		for _, p := range parts {
			byName[nameOf(p)] = append(byName[nameOf(p)], p)
		}
		r := rand.New(rand.NewPCG(seed, seed>>1))
		r.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
		next := map[string]int{}
		for i, p := range parts {
			n := nameOf(p)
			parts[i] = byName[n][next[n]]
			next[n]++
		}
		perm, err := url.ParseQuery(strings.Join(parts, "&"))
		if err != nil {
			t.Fatalf("ParseQuery(permuted %q) = %v", rawQuery, err)
		}
		k2 := k
		k2.Query = perm
		if ck2, err := k2.Canonical(); err != nil || ck2 != ck {
			t.Fatalf("Canonical(permuted %q) = %q, %v; want %q", strings.Join(parts, "&"), ck2, err, ck)
		}

		// Round trip: the key decodes to the normalised input.
		back, err := parseCanonical(ck)
		if err != nil {
			t.Fatalf("parseCanonical(%q) = %v", ck, err)
		}
		wantSegs, ok := decodedSegments(alias.NormalizePath(path))
		gotSegs, ok2 := decodedSegments(back.Path)
		if !ok || !ok2 || !slices.Equal(gotSegs, wantSegs) {
			t.Fatalf("path round trip = %q, want segments of %q", gotSegs, wantSegs)
		}
		if back.Method != "GET" || back.Fingerprint != fp || back.Accept != canonicalAccept(accept) || back.APIVersion != alias.APIVersion {
			t.Fatalf("round trip = %+v, want method GET, fingerprint %q, accept %q", back, fp, canonicalAccept(accept))
		}
		if len(back.Query) != len(q) {
			t.Fatalf("query round trip = %v, want %v", back.Query, q)
		}
		for name, vals := range q {
			if !slices.Equal(back.Query[name], vals) {
				t.Fatalf("query %q round trip = %q, want %q", name, back.Query[name], vals)
			}
		}

		// Changing any one value changes the key.
		for name, vals := range q {
			mod := url.Values{}
			for n, v := range q {
				mod[n] = slices.Clone(v)
			}
			mod[name][0] = vals[0] + "x"
			k3 := k
			k3.Query = mod
			if ck3, err := k3.Canonical(); err == nil && ck3 == ck {
				t.Fatalf("Canonical with %s=%q changed = %q, same as before", name, vals[0], ck3)
			}
			break
		}
		k4 := k
		k4.Fingerprint = fp + "x"
		if ck4, err := k4.Canonical(); err == nil && ck4 == ck {
			t.Fatalf("Canonical with fingerprint changed = same key %q", ck)
		}
	})
}
