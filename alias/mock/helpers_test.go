package mock

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aliasd/aliasd/alias"
)

// fakeToken builds an obviously fake PAT at runtime.
func fakeToken(t testing.TB) string {
	t.Helper()
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "goatapi_fake" + hex.EncodeToString(b[:])
}

// testServer is a started mock plus the token it accepts.
type testServer struct {
	*Server
	base  string
	token string
}

func startServer(t testing.TB, cfg Config) *testServer {
	t.Helper()
	tok := fakeToken(t)
	if len(cfg.Tokens) == 0 {
		cfg.Tokens = []TokenSpec{{Token: tok}}
	} else {
		tok = cfg.Tokens[0].Token
	}
	if cfg.BatchStep == 0 {
		cfg.BatchStep = 20 * time.Millisecond
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	base, err := s.Start("")
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &testServer{Server: s, base: base, token: tok}
}

// answer is one HTTP response, read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, a.body)
	}
	return m
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// do sends c with the server's token (c.Token wins) and extra headers.
func (ts *testServer) do(t testing.TB, c Call, hdr ...string) answer {
	t.Helper()
	a, err := ts.try(c, ts.token, hdr...)
	if err != nil {
		t.Fatalf("%s %s: %v", c.Method, c.Path, err)
	}
	return a
}

func (ts *testServer) try(c Call, token string, hdr ...string) (answer, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := c.Request(ctx, ts.base, token)
	if err != nil {
		return answer{}, err
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{status: resp.StatusCode, header: resp.Header, body: body}, err
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// get is a GET of path (relative to /api/v1) with a raw query.
func (ts *testServer) get(t testing.TB, pathAndQuery string, hdr ...string) answer {
	t.Helper()
	p, q, _ := strings.Cut(pathAndQuery, "?")
	vals, err := parseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	return ts.do(t, Call{Method: http.MethodGet, Path: alias.NormalizePath(p), Query: vals}, hdr...)
}

func (ts *testServer) send(t testing.TB, method, pathAndQuery string, body []byte) answer {
	t.Helper()
	p, q, _ := strings.Cut(pathAndQuery, "?")
	vals, err := parseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	return ts.do(t, Call{Method: method, Path: alias.NormalizePath(p), Query: vals, Body: body})
}

// checkError asserts the error model, status, code and a request id.
func checkError(t testing.TB, a answer, status, code int, msgPart string) {
	t.Helper()
	if a.status != status {
		t.Fatalf("status = %d, want %d; body %s", a.status, status, a.body)
	}
	var e struct {
		Code    *int             `json:"code"`
		Message *string          `json:"message"`
		Details *json.RawMessage `json:"details"`
	}
	dec := json.NewDecoder(bytes.NewReader(a.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("error body %s: %v", a.body, err)
	}
	if e.Code == nil || *e.Code != code {
		t.Errorf("code in %s, want %d", a.body, code)
	}
	if e.Message == nil || !strings.Contains(*e.Message, msgPart) {
		t.Errorf("message in %s, want it to contain %q", a.body, msgPart)
	}
	if e.Details == nil || string(*e.Details) != "[]" {
		t.Errorf("details in %s, want []", a.body)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	checkRequestID(t, a)
}

func checkRequestID(t testing.TB, a answer) {
	t.Helper()
	if id := a.header.Get("x-request-id"); !uuidV4.MatchString(id) {
		t.Errorf("x-request-id = %q, want a UUID v4", id)
	}
}

func parseQuery(q string) (url.Values, error) {
	return url.ParseQuery(q)
}

func readAll(t testing.TB, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return b
}

func byName(t testing.TB, name string) *alias.Endpoint {
	t.Helper()
	e := alias.ByName(name)
	if e == nil {
		t.Fatalf("no endpoint %s", name)
	}
	return e
}

func atoi(t testing.TB, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("atoi(%q): %v", s, err)
	}
	return n
}

var allEndpoints = alias.Endpoints

func fmtInt(n int) string { return strconv.Itoa(n) }
