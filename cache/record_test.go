package cache

import (
	"net/http"
	"reflect"
	"testing"
	"time"
)

func TestRecordRoundTrip(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 123, time.UTC)
	cases := []struct {
		name          string
		body          string
		compressAbove int
		gzip          bool
	}{
		{"small", `{"ok":true}`, DefaultCompressAbove, false},
		{"large", jsonBody(200), DefaultCompressAbove, true},
		{"incompressible stays raw", string(randomBytes(8000)), 100, false},
		{"empty", "", 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := &entry{
				status:      200,
				header:      http.Header{"Etag": {`"x"`}, "Vary": {"Accept", "Accept-Encoding"}},
				body:        []byte(c.body),
				storedAt:    at,
				validatedAt: at.Add(time.Minute),
				lifetime:    90 * time.Second,
				noStale:     true,
			}
			rec := encode(in, c.compressAbove)
			if gz := rec[1]&flagGzip != 0; gz != c.gzip {
				t.Errorf("gzip flag = %v, want %v", gz, c.gzip)
			}
			out, err := decode(rec)
			if err != nil {
				t.Fatalf("decode(encode(e)) = %v", err)
			}
			if string(out.body) != c.body || out.status != 200 || !reflect.DeepEqual(out.header, in.header) ||
				!out.storedAt.Equal(in.storedAt) || !out.validatedAt.Equal(in.validatedAt) ||
				out.lifetime != in.lifetime || !out.noStale {
				t.Errorf("decode(encode(e)) = %+v, want %+v", out, in)
			}
			// Every truncation is an error, never a panic or a short body.
			for n := 0; n < len(rec); n++ {
				if e, err := decode(rec[:n]); err == nil {
					t.Fatalf("decode(first %d of %d bytes) = %+v, want an error", n, len(rec), e)
				}
			}
		})
	}
}

func randomBytes(n int) []byte {
	b := []byte(fakeToken())
	out := make([]byte, 0, n)
	for len(out) < n {
		for i := range b {
			b[i] = b[i]*31 + byte(len(out)) + 7
		}
		out = append(out, b...)
	}
	return out[:n]
}

func TestStorableHeaderDropsCredentials(t *testing.T) {
	h := http.Header{
		"Authorization":       {"Bearer x"},
		"Set-Cookie":          {"a=b"},
		"Connection":          {"keep-alive"},
		"etag":                {`"e"`},
		"Content-Type":        {"application/json"},
		"X-Request-Id":        {"r1"},
		"Cache-Control":       {"max-age=5"},
		"Proxy-Authorization": {"Basic y"},
	}
	got := storableHeader(h)
	for name := range got {
		if dropHeaders[name] {
			t.Errorf("storableHeader kept %s", name)
		}
	}
	for _, name := range []string{"Etag", "Content-Type", "X-Request-Id", "Cache-Control"} {
		if got.Get(name) == "" {
			t.Errorf("storableHeader dropped %s, want it kept", name)
		}
	}
}
