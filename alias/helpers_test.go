package alias

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliasd/aliasd/internal/testutil"
	"github.com/aliasd/aliasd/rpc"
)

// fakeToken returns an obviously fake, random token.
func fakeToken(t testing.TB) string {
	t.Helper()
	const alnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 30)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return "goatapi_" + string(b)
}

// testEnv is a client wired to a base URL with a fake token and a captured
// debug log that is scanned for the token when the test ends.
type testEnv struct {
	c      *Client
	secret string
	logs   *testutil.SyncBuffer
}

// fastRetry keeps retry waits tiny in tests.
var fastRetry = RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond,
	MaxRetryAfter: 20 * time.Millisecond, MaxTotalWait: 5 * time.Second}

func newEnv(t *testing.T, baseURL string, mod func(*Config)) *testEnv {
	t.Helper()
	env := &testEnv{secret: fakeToken(t), logs: &testutil.SyncBuffer{}}
	cfg := Config{
		BaseURL:        baseURL,
		Tokens:         StaticToken{Profile: "test", Secret: env.secret, Fingerprint: "fp-test", Storage: rpc.StorageMemory},
		RequestTimeout: 20 * time.Second,
		Retry:          fastRetry,
		Governor:       GovernorConfig{Rate: 10000, Burst: 10000},
		Logger:         slog.New(slog.NewJSONHandler(env.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%q) = %v", baseURL, err)
	}
	env.c = c
	t.Cleanup(func() {
		if strings.Contains(env.logs.String(), env.secret) {
			t.Errorf("the token reached the log:\n%s", env.logs.String())
		}
	})
	return env
}

// do calls the client with a generous deadline.
func (e *testEnv) do(t *testing.T, call Call) *Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := e.c.Do(ctx, call)
	if err != nil {
		t.Fatalf("Do(%s %s) error = %v, want a response", call.Method, call.Path, err)
	}
	e.noLeak(t, r)
	return r
}

// noLeak fails when the token appears anywhere in a response.
func (e *testEnv) noLeak(t *testing.T, r *Response) {
	t.Helper()
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%+v\n%#v\n", *r, r.Header)
	if r.NetErr != nil {
		buf.WriteString(r.NetErr.Error())
	}
	j, _ := json.Marshal(r.RequestResult())
	buf.Write(j)
	if r.Diagnostic != nil {
		j, _ := json.Marshal(r.Diagnostic)
		buf.Write(j)
	}
	if r.Error != nil {
		j, _ := json.Marshal(r.Error)
		buf.Write(j)
	}
	if bytes.Contains(buf.Bytes(), []byte(e.secret)) {
		t.Errorf("the token appears in the response: %s", buf.String())
	}
}

// apiServer starts a loopback server; base is its URL with /api/v1.
func apiServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, string) {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s, s.URL + PathPrefix
}

// writeAPIError writes the API's error body with a request ID.
func writeAPIError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", fmt.Sprintf("req-%d-%d", status, code))
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"code": code, "message": msg, "details": []any{}})
	w.Write(b)
}

func writeJSON(w http.ResponseWriter, id string, v any) {
	w.Header().Set("Content-Type", "application/json")
	if id != "" {
		w.Header().Set("X-Request-Id", id)
	}
	b, _ := json.Marshal(v)
	w.Write(b)
}

// recorder is a listener that records every Authorization header it gets.
type recorder struct {
	mu    sync.Mutex // guards auths, hits
	auths []string
	hits  int
}

func (rc *recorder) handler() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		rc.hits++
		if a := r.Header.Get("Authorization"); a != "" {
			rc.auths = append(rc.auths, a)
		}
		rc.mu.Unlock()
		writeJSON(w, "other-origin", map[string]any{"ok": true})
	}
}

func (rc *recorder) seen() (hits int, auths []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.hits, append([]string(nil), rc.auths...)
}

// listenOn listens on addr or skips the test when the address is not
// available on this machine.
func listenOn(t *testing.T, addr string) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	return l
}

// counter counts requests by method.
type counter struct {
	mu sync.Mutex // guards n
	n  map[string]int
}

func (c *counter) add(method string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[method]++
	return c.n[method]
}

func (c *counter) get(method string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[method]
}
