package mock

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aliasd/aliasd/alias"
)

// BenchmarkServeHTTP measures the mock's own cost per request (no
// network), so client benchmarks can tell it apart from theirs.
func BenchmarkServeHTTP(b *testing.B) {
	tok := fakeToken(b)
	s, err := New(Config{Tokens: []TokenSpec{{Token: tok}}})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for _, name := range []string{"Test", "GetCatalogItem", "SearchListings", "ListAvailabilities"} {
		c := s.Example(alias.ByName(name))
		b.Run(name, func(b *testing.B) {
			req, err := http.NewRequest(c.Method, c.URL("http://mock/api/v1"), nil)
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				s.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}
