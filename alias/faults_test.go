package alias

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestHugeBody(t *testing.T) {
	const capBytes = 1 << 20
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	_, base := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "rid-huge")
		if r.URL.Query().Get("length") == "known" {
			w.Header().Set("Content-Length", fmt.Sprint(2*capBytes))
		}
		for i := 0; i < 2*capBytes/len(chunk); i++ {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	env := newEnv(t, base, func(c *Config) { c.MaxBodyBytes = capBytes })
	for _, length := range []string{"known", "chunked"} {
		t.Run(length, func(t *testing.T) {
			r := env.do(t, Call{Method: "GET", Path: "/test", Query: map[string][]string{"length": {length}}})
			if r.Status != 0 || r.HTTPStatus != 200 || r.NetClass != NetBodyCap || !r.Truncated {
				t.Fatalf("huge body: status %d http %d class %q truncated %v, want 0 200 body_cap true", r.Status, r.HTTPStatus, r.NetClass, r.Truncated)
			}
			if r.Diagnostic == nil || r.Diagnostic.Title != "Response larger than 1 MiB cap" {
				t.Errorf("diagnostic = %+v, want title %q", r.Diagnostic, "Response larger than 1 MiB cap")
			}
			if len(r.Body) > keepOverCap {
				t.Errorf("kept %d body bytes, want at most %d", len(r.Body), keepOverCap)
			}
			if r.RequestID != "rid-huge" || r.Attempts != 1 {
				t.Errorf("RequestID %q attempts %d, want rid-huge and 1 (not retried)", r.RequestID, r.Attempts)
			}
		})
	}
}

func TestDefaultCapDiagnostic(t *testing.T) {
	r := &Response{Status: 0, HTTPStatus: 200, NetClass: NetBodyCap, BodyCap: 32 << 20, Method: "GET", Path: "/api/v1/test"}
	if d := Diagnose(r); d == nil || d.Title != "Response larger than 32 MiB cap" {
		t.Fatalf("Diagnose(body over default cap) = %+v", d)
	}
}

func TestSlowBodyTimesOut(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	_, base := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/catalog/slow-headers" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.Header().Set("Content-Length", "1000")
		w.Header().Set("X-Request-Id", "rid-slow")
		w.Write([]byte(`{"catalog_items": [`))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	// Long enough for the headers of the slow body to arrive on a busy machine.
	env := newEnv(t, base, func(c *Config) { c.RequestTimeout = time.Second })
	for _, tt := range []struct {
		path     string
		httpCode int
	}{{"/catalog/slow-body", 200}, {"/catalog/slow-headers", 0}} {
		t.Run(tt.path, func(t *testing.T) {
			r := env.do(t, Call{Method: "GET", Path: tt.path})
			if r.Status != 0 || r.NetClass != NetTimeout || r.HTTPStatus != tt.httpCode {
				t.Fatalf("slow: status %d http %d class %q (%v), want 0 %d timeout", r.Status, r.HTTPStatus, r.NetClass, r.NetErr, tt.httpCode)
			}
			if !strings.Contains(r.NetErr.Error(), "1s request timeout") {
				t.Errorf("NetErr = %q, want it to name the request timeout", r.NetErr)
			}
			if r.Attempts != 1 || r.Diagnostic == nil || r.Diagnostic.Class != DiagNetTimeout {
				t.Errorf("attempts %d diag %+v, want 1 attempt and %s", r.Attempts, r.Diagnostic, DiagNetTimeout)
			}
		})
	}
}

// hijack takes over the connection and lets fn write raw bytes.
func hijack(t *testing.T, w http.ResponseWriter, fn func(c net.Conn, bw *bufio.ReadWriter)) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		t.Error("server does not support hijacking")
		return
	}
	c, bw, err := hj.Hijack()
	if err != nil {
		t.Error(err)
		return
	}
	defer c.Close()
	fn(c, bw)
}

func TestTruncatedBody(t *testing.T) {
	hits := &counter{}
	_, base := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		hits.add(r.Method)
		hijack(t, w, func(c net.Conn, bw *bufio.ReadWriter) {
			bw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Request-Id: rid-cut\r\nContent-Length: 100\r\n\r\n{\"catalog_item\":")
			bw.Flush()
		})
	})
	env := newEnv(t, base, nil)
	r := env.do(t, Call{Method: "GET", Path: "/catalog/x"})
	if r.Status != 0 || r.HTTPStatus != 200 || r.NetClass != NetTruncated || !r.Truncated {
		t.Fatalf("truncated: status %d http %d class %q trunc %v (%v)", r.Status, r.HTTPStatus, r.NetClass, r.Truncated, r.NetErr)
	}
	if r.Attempts != 4 || hits.get("GET") != 4 || len(r.RequestIDs) != 4 {
		t.Errorf("attempts %d, server saw %d, ids %v; want 4 (a cut read is retried)", r.Attempts, hits.get("GET"), r.RequestIDs)
	}
	if r.Diagnostic == nil || r.Diagnostic.Class != DiagNetTruncated {
		t.Errorf("diagnostic = %+v, want %s", r.Diagnostic, DiagNetTruncated)
	}
	if string(r.Body) != `{"catalog_item":` {
		t.Errorf("partial body = %q", r.Body)
	}
	// A write is not repeated.
	r = env.do(t, Call{Method: "POST", Path: "/listings/L1/activate"})
	if r.Attempts != 1 || hits.get("POST") != 1 {
		t.Errorf("POST cut short: attempts %d, server saw %d; want 1", r.Attempts, hits.get("POST"))
	}
}

func TestHTMLBadGateway(t *testing.T) {
	_, base := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("X-Request-Id", "rid-502")
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><h1>Bad &amp; sad</h1></body></html>")
	})
	env := newEnv(t, base, nil)
	r := env.do(t, Call{Method: "GET", Path: "/catalog/x"})
	if r.Status != 502 || r.Error == nil || !r.ErrorSynthesized {
		t.Fatalf("HTML 502: status %d error %+v synthesized %v", r.Status, r.Error, r.ErrorSynthesized)
	}
	if r.Error.Message != "502 Bad Gateway" || r.Error.Code != 14 || r.Error.CodeName != "UNAVAILABLE" {
		t.Errorf("error = %+v, want message from <title>, code 14 UNAVAILABLE", r.Error)
	}
	if r.Attempts != 4 || len(r.RequestIDs) != 4 {
		t.Errorf("attempts %d ids %v, want 4 (502 is retried)", r.Attempts, r.RequestIDs)
	}
	if r.Diagnostic == nil || r.Diagnostic.Class != DiagUnavailable || !strings.Contains(r.Diagnostic.Hint, "rid-502") || !strings.Contains(r.Diagnostic.Hint, SupportAddress) {
		t.Errorf("diagnostic = %+v, want %s quoting the request ID to support", r.Diagnostic, DiagUnavailable)
	}
}

func TestPlainText415UnknownRoute(t *testing.T) {
	_, base := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusUnsupportedMediaType)
		io.WriteString(w, "invalid gRPC request content-type \"\"\n")
	})
	env := newEnv(t, base, nil)
	r := env.do(t, Call{Method: "GET", Path: "/regions"})
	if r.Status != 415 || r.Endpoint != nil || r.Error == nil || r.Error.Message != `invalid gRPC request content-type ""` {
		t.Fatalf("415: status %d endpoint %v error %+v", r.Status, r.Endpoint, r.Error)
	}
	if r.RequestID != "" || len(r.RequestIDs) != 0 {
		t.Errorf("RequestID = %q, want empty (none sent)", r.RequestID)
	}
	if r.Diagnostic == nil || r.Diagnostic.Class != DiagNoSuchEndpoint {
		t.Fatalf("diagnostic = %+v, want %s", r.Diagnostic, DiagNoSuchEndpoint)
	}
	r = env.do(t, Call{Method: "GET", Path: "/catalogs"})
	if !strings.Contains(r.Diagnostic.Hint, "/api/v1/catalog ") {
		t.Errorf("hint = %q, want the nearest path /api/v1/catalog", r.Diagnostic.Hint)
	}
}

// bomb is a gzip stream of 256 MiB of zeros, about 256 KiB on the wire:
// one member holding 1 MiB of zeros, repeated (gzip readers read
// concatenated members as one stream).
var bomb = sync.OnceValue(func() []byte {
	var m bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&m, gzip.BestCompression)
	zw.Write(make([]byte, 1<<20))
	zw.Close()
	return bytes.Repeat(m.Bytes(), 256)
})

func TestGzipBomb(t *testing.T) {
	small := func() []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(`{"ok":true}`))
		zw.Close()
		return b.Bytes()
	}()
	var sawGzip bool
	_, base := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		sawGzip = strings.Contains(r.Header.Get("Accept-Encoding"), "gzip")
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "rid-gz")
		if r.URL.Path == "/api/v1/test" {
			w.Write(small)
			return
		}
		w.Write(bomb())
	})
	env := newEnv(t, base, func(c *Config) { c.MaxBodyBytes = 1 << 20 })
	r := env.do(t, Call{Method: "GET", Path: "/test"})
	if r.Status != 200 || string(r.Body) != `{"ok":true}` || !sawGzip {
		t.Fatalf("small gzip: status %d body %q asked gzip %v", r.Status, r.Body, sawGzip)
	}
	if len(bomb()) > 1<<20 {
		t.Fatalf("bomb is %d bytes compressed; the test wants it under the cap", len(bomb()))
	}
	r = env.do(t, Call{Method: "GET", Path: "/catalog/bomb"})
	if r.Status != 0 || r.NetClass != NetBodyCap || r.BodyCap != 1<<20 {
		t.Fatalf("gzip bomb: status %d class %q cap %d (%v), want stopped at the 1 MiB cap", r.Status, r.NetClass, r.BodyCap, r.NetErr)
	}
	if r.Size > 1<<20 {
		t.Errorf("kept %d decompressed bytes, want at most the cap", r.Size)
	}
}

func TestRequestIDs(t *testing.T) {
	long := strings.Repeat("a", 500)
	tests := []struct {
		name   string
		values []string
		want   string
	}{
		{"missing", nil, ""},
		{"uuid", []string{"0b0c7f7e-58a5-4f55-9d3c-3f3b7a0a2c11"}, "0b0c7f7e-58a5-4f55-9d3c-3f3b7a0a2c11"},
		{"padded", []string{"  abc  "}, "abc"},
		{"too long", []string{long}, long[:maxRequestIDLen]},
		{"two headers", []string{"first", "second"}, "first"},
		{"proxy appended", []string{"first, proxy-id"}, "first"},
		{"odd bytes", []string{"id with\tjunk é"}, "idwithjunk"},
		{"empty", []string{""}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, base := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
				for _, v := range tt.values {
					w.Header().Add("X-Request-Id", v)
				}
				if r.URL.Path == "/api/v1/catalog/missing" {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(404)
					io.WriteString(w, `{"code":5,"message":"not found","details":[]}`)
					return
				}
				io.WriteString(w, `{"ok":true}`)
			})
			env := newEnv(t, base, nil)
			for _, path := range []string{"/test", "/catalog/missing"} {
				r := env.do(t, Call{Method: "GET", Path: path})
				if r.RequestID != tt.want {
					t.Errorf("%s: RequestID = %q, want %q", path, r.RequestID, tt.want)
				}
				if tt.want == "" && len(r.RequestIDs) != 0 {
					t.Errorf("%s: RequestIDs = %q, want none", path, r.RequestIDs)
				}
			}
		})
	}
}

func TestConnectionReset(t *testing.T) {
	for _, mode := range []string{"close", "rst"} {
		t.Run(mode, func(t *testing.T) {
			hits := &counter{}
			_, base := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
				hits.add(r.Method)
				hijack(t, w, func(c net.Conn, _ *bufio.ReadWriter) {
					if mode == "rst" {
						c.(*net.TCPConn).SetLinger(0)
					}
				})
			})
			env := newEnv(t, base, nil)
			r := env.do(t, Call{Method: "GET", Path: "/catalog/x"})
			if r.Status != 0 || r.NetClass != NetReset || r.HTTPStatus != 0 {
				t.Fatalf("reset: status %d class %q (%v), want 0 reset", r.Status, r.NetClass, r.NetErr)
			}
			if r.Attempts != 4 || hits.get("GET") != 4 {
				t.Errorf("attempts %d, server saw %d; want 4", r.Attempts, hits.get("GET"))
			}
			if r.Diagnostic == nil || r.Diagnostic.Class != DiagNetReset {
				t.Errorf("diagnostic = %+v, want %s", r.Diagnostic, DiagNetReset)
			}
			r = env.do(t, Call{Method: "DELETE", Path: "/listings/L1"})
			if r.Attempts != 1 || hits.get("DELETE") != 1 {
				t.Errorf("DELETE reset: attempts %d, server saw %d; want 1", r.Attempts, hits.get("DELETE"))
			}
		})
	}
}

func TestConnectionRefused(t *testing.T) {
	l := listenOn(t, "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	env := newEnv(t, "http://"+addr+PathPrefix, nil)
	r := env.do(t, Call{Method: "GET", Path: "/test"})
	if r.Status != 0 || r.NetClass != NetRefused || r.Attempts != 4 {
		t.Fatalf("refused: status %d class %q attempts %d (%v), want 0 refused 4", r.Status, r.NetClass, r.Attempts, r.NetErr)
	}
	if r.Diagnostic == nil || r.Diagnostic.Class != DiagNetRefused || !strings.Contains(r.Diagnostic.Detail, addr) {
		t.Errorf("diagnostic = %+v, want %s naming %s", r.Diagnostic, DiagNetRefused, addr)
	}
}

func TestDNSFailure(t *testing.T) {
	env := newEnv(t, "https://no-such-host.invalid", func(c *Config) { c.ConnectTimeout = 5 * time.Second })
	r := env.do(t, Call{Method: "GET", Path: "/test"})
	if r.Status != 0 || (r.NetClass != NetDNS && r.NetClass != NetTimeout) {
		t.Fatalf("dns: status %d class %q (%v), want 0 dns", r.Status, r.NetClass, r.NetErr)
	}
	if r.NetClass == NetDNS && (r.Diagnostic == nil || r.Diagnostic.Class != DiagNetDNS || r.Attempts != 1) {
		t.Errorf("diagnostic %+v attempts %d, want %s and 1 attempt", r.Diagnostic, r.Attempts, DiagNetDNS)
	}
}

func TestTLSError(t *testing.T) {
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake failure is the point
	s.StartTLS()
	defer s.Close()
	env := newEnv(t, s.URL, nil) // the tuned transport does not trust the test CA
	r := env.do(t, Call{Method: "GET", Path: "/test"})
	if r.Status != 0 || r.NetClass != NetTLS || r.Attempts != 1 {
		t.Fatalf("tls: status %d class %q attempts %d (%v), want 0 tls 1", r.Status, r.NetClass, r.Attempts, r.NetErr)
	}
	if r.Diagnostic == nil || r.Diagnostic.Class != DiagNetTLS {
		t.Errorf("diagnostic = %+v, want %s", r.Diagnostic, DiagNetTLS)
	}
}
