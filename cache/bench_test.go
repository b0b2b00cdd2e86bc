package cache

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/aliasd/aliasd/alias"
)

// The three benchmarks below run in one `go test -bench .` so that the
// cache's costs can be read against the direct loopback GET baseline:
//
//	BenchmarkDirectGET       net/http GET of a loopback server, body read
//	BenchmarkCacheHit        Do on a fresh entry (no upstream call)
//	BenchmarkCacheMissStore  Do on a new key: the same loopback GET + store
//
// Each has a "small" (~1.4 KB, stored as is) and a "large" (~30 KB,
// gzipped) body.
var benchBodies = []struct {
	name string
	body string
}{
	{"small", jsonBody(20)},
	{"large", jsonBody(400)},
}

func BenchmarkDirectGET(b *testing.B) {
	for _, bb := range benchBodies {
		b.Run(bb.name, func(b *testing.B) {
			u := newUpstream(b)
			u.set(itemPath, resource{body: bb.body, etag: `"1"`})
			f := u.fetch(itemPath, "", fakeToken())
			b.ReportAllocs()
			for b.Loop() {
				resp, err := f(context.Background(), nil)
				if err != nil || resp.Status != 200 {
					b.Fatalf("GET = %v, %v", resp, err)
				}
			}
		})
	}
}

func BenchmarkCacheHit(b *testing.B) {
	for _, bb := range benchBodies {
		b.Run(bb.name, func(b *testing.B) {
			e := newEnv(b, nil)
			u := newUpstream(b)
			u.set(itemPath, resource{body: bb.body, etag: `"1"`})
			tok := fakeToken()
			req := request(itemPath, "", tok, alias.CacheCatalogItem)
			e.do(req, u.fetch(itemPath, "", tok))
			ctx := context.Background()
			fail := func(context.Context, http.Header) (*Response, error) {
				return nil, io.ErrUnexpectedEOF
			}
			b.ReportAllocs()
			for b.Loop() {
				res, err := e.c.Do(ctx, req, fail)
				if err != nil || res.Provenance != "hit" {
					b.Fatalf("Do = %v, %v; want a hit", res, err)
				}
			}
		})
	}
}

func BenchmarkCacheMissStore(b *testing.B) {
	for _, bb := range benchBodies {
		b.Run(bb.name, func(b *testing.B) {
			e := newEnv(b, nil)
			u := newUpstream(b)
			tok := fakeToken()
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				path := fmt.Sprintf("/api/v1/catalog/item-%d", i)
				i++
				u.set(path, resource{body: bb.body, etag: `"1"`})
				res, err := e.c.Do(ctx, request(path, "", tok, alias.CacheCatalogItem), u.fetch(path, "", tok))
				if err != nil || res.Provenance != "miss" {
					b.Fatalf("Do = %v, %v; want a miss", res, err)
				}
			}
		})
	}
}
