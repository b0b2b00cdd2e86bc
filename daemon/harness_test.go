package daemon

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliasd/aliasd/alias"
	"github.com/aliasd/aliasd/alias/mock"
	"github.com/aliasd/aliasd/config"
	"github.com/aliasd/aliasd/rpc"
	"github.com/aliasd/aliasd/store"
	"github.com/aliasd/aliasd/tokens"
)

// The harness runs a real daemon in-process: temp Paths with a written
// config.toml, the project's mock API on loopback as the upstream, an
// in-memory keyring, and JSON-RPC sessions over net.Pipe through the real
// codec. Every env ends by closing the daemon and opening its bbolt file
// again with store.Open + Check, and by searching the file for the tokens.

// waitLong bounds every wait in these tests: generous, for a loaded 2-core
// machine. Nothing asserts a duration.
const waitLong = 60 * time.Second

// fakeToken returns an obviously fake personal access token made at run
// time.
func fakeToken(t testing.TB) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "goatapi_" + hex.EncodeToString(b)
}

// envOptions shapes one test env. Zero values give a quiet default.
type envOptions struct {
	// mockTokens are the tokens the mock accepts; nil means one token
	// with every scope.
	mockTokens []mock.TokenSpec
	// latency delays every mock answer.
	latency time.Duration
	// maxAttempts is [http] max_attempts (default 1: no retries, so a
	// fault is one upstream request).
	maxAttempts int
	// ttl sets [cache.ttl] entries, e.g. {"listings": "1h"}.
	ttl map[string]string
	// maxBytes sets [cache] max_bytes when not zero.
	maxBytes int64
}

// testEnv is one daemon with its upstream.
type testEnv struct {
	t       *testing.T
	srv     *mock.Server
	base    string
	tokens  []string // the mock's tokens; a request record's TokenIndex indexes it
	extra   []string // other secrets to look for in the database file
	paths   config.Paths
	keyring *tokens.MemoryKeyring // kept across restarts
	opts    envOptions

	d        *Daemon
	sessions []*testSession
	closed   bool
}

// newEnv starts the mock and a daemon on fresh temp paths.
func newEnv(t *testing.T, opts envOptions) *testEnv {
	t.Helper()
	specs := opts.mockTokens
	if specs == nil {
		specs = []mock.TokenSpec{{Token: fakeToken(t)}}
	}
	srv, base := mock.StartTest(t, mock.Config{Tokens: specs, Seed: 11, Latency: opts.latency})
	e := &testEnv{t: t, srv: srv, base: base, paths: testPaths(t), keyring: tokens.NewMemoryKeyring(), opts: opts}
	for _, s := range specs {
		e.tokens = append(e.tokens, s.Token)
	}
	e.writeConfig()
	e.start()
	t.Cleanup(e.close)
	return e
}

// writeConfig writes config.toml from e.opts.
func (e *testEnv) writeConfig() {
	e.t.Helper()
	attempts := e.opts.maxAttempts
	if attempts == 0 {
		attempts = 1
	}
	var b strings.Builder
	fmt.Fprintf(&b, "version = 1\n\n[http]\nmax_attempts = %d\nmax_retry_wait = \"2s\"\nrate_limit = 1000.0\nrate_burst = 1000\n", attempts)
	if e.opts.maxBytes > 0 {
		fmt.Fprintf(&b, "\n[cache]\nmax_bytes = %d\n", e.opts.maxBytes)
	}
	if len(e.opts.ttl) > 0 {
		b.WriteString("\n[cache.ttl]\n")
		keys := make([]string, 0, len(e.opts.ttl))
		for k := range e.opts.ttl {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "%s = %q\n", k, e.opts.ttl[k])
		}
	}
	b.WriteString("\n[daemon]\nidle_timeout = \"1m\"\n")
	if err := os.WriteFile(e.paths.ConfigFile(), []byte(b.String()), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// start opens a daemon on e.paths.
func (e *testEnv) start() {
	e.t.Helper()
	d, err := New(Config{Paths: e.paths, Env: config.Env{BaseURL: e.base}, Keyring: e.keyring})
	if err != nil {
		e.t.Fatalf("New(%s) = %v, want a daemon", e.paths.Home, err)
	}
	e.d, e.closed = d, false
	for _, w := range d.warnings {
		if strings.Contains(w, "config") {
			e.t.Fatalf("daemon started with config warning %q, want the test's config applied", w)
		}
	}
}

// restart closes the daemon (with the store check) and starts a new one on
// the same paths, after rewriting config.toml from e.opts.
func (e *testEnv) restart() {
	e.t.Helper()
	e.close()
	e.writeConfig()
	e.start()
}

// close ends every session, closes the daemon, then opens the database
// file again with the store package and checks it; the file must hold no
// token. It is safe to call more than once.
func (e *testEnv) close() {
	e.t.Helper()
	if e.closed {
		return
	}
	e.closed = true
	for _, s := range e.sessions {
		s.close(e.t)
	}
	e.sessions = nil
	if err := e.d.Close(); err != nil {
		e.t.Errorf("Daemon.Close() = %v, want nil", err)
	}
	checkStoreFile(e.t, e.paths.DBFile(), append(append([]string(nil), e.tokens...), e.extra...))
}

// checkStoreFile opens a closed aliasd.db with store.Open, runs Check, and
// searches the file's bytes for every secret.
func checkStoreFile(t testing.TB, path string, secrets []string) {
	t.Helper()
	s, err := store.Open(store.Options{Path: path, Timeout: 10 * time.Second})
	if err != nil {
		t.Errorf("store.Open(%s) after close = %v, want it open", path, err)
		return
	}
	if w := s.Warnings(); len(w) != 0 {
		t.Errorf("store.Open(%s) after a clean close warned %q, want none", path, w)
	}
	if err := s.Check(); err != nil {
		t.Errorf("store.Check() after close = %v, want nil", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("store.Close() = %v", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("reading %s: %v", path, err)
		return
	}
	for i, sec := range secrets {
		if sec != "" && bytes.Contains(data, []byte(sec)) {
			t.Errorf("database file contains token %d, want zero hits", i)
		}
	}
}

// testSession is one JSON-RPC session over net.Pipe.
type testSession struct {
	c    *rpc.Client
	done chan struct{} // closed when Serve returns

	mu    sync.Mutex // guards notes
	notes []testNote
}

type testNote struct {
	method string
	params json.RawMessage
}

// connect opens and initializes a session.
func (e *testEnv) connect(name string) *testSession {
	e.t.Helper()
	s := connectTo(e.t, e.d, name)
	e.sessions = append(e.sessions, s)
	return s
}

// connectTo opens and initializes a session on d; the caller closes it.
func connectTo(t testing.TB, d *Daemon, name string) *testSession {
	t.Helper()
	serverEnd, clientEnd := net.Pipe()
	s := &testSession{done: make(chan struct{})}
	go func() {
		defer close(s.done)
		d.Serve(context.Background(), serverEnd, serverEnd, serverEnd)
	}()
	s.c = rpc.NewClient(clientEnd, rpc.ClientOptions{OnNotify: func(method string, params json.RawMessage) {
		s.mu.Lock()
		s.notes = append(s.notes, testNote{method, append(json.RawMessage(nil), params...)})
		s.mu.Unlock()
	}})
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if _, err := s.c.Initialize(ctx, rpc.ClientInfo{Name: name}); err != nil {
		t.Fatalf("initialize = %v", err)
	}
	return s
}

func (s *testSession) close(t testing.TB) {
	s.c.Close()
	select {
	case <-s.done:
	case <-time.After(waitLong):
		t.Errorf("session did not end within %v of closing its pipe", waitLong)
	}
}

// messages returns the window/showMessage texts received so far.
func (s *testSession) messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, n := range s.notes {
		if n.method != rpc.MethodShowMessage {
			continue
		}
		var p rpc.MessageParams
		if json.Unmarshal(n.params, &p) == nil {
			out = append(out, p.Message)
		}
	}
	return out
}

// waitMessage waits for a window/showMessage containing sub.
func (s *testSession) waitMessage(t testing.TB, sub string) string {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for time.Now().Before(deadline) {
		for _, m := range s.messages() {
			if strings.Contains(m, sub) {
				return m
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("window/showMessage containing %q: got %q within %v", sub, s.messages(), waitLong)
	return ""
}

// call makes one RPC and fails the test on an RPC error.
func (s *testSession) call(t testing.TB, method string, params, result any) {
	t.Helper()
	if err := s.try(method, params, result); err != nil {
		t.Fatalf("%s(%s) = %v, want success", method, mustJSON(params), err)
	}
}

func (s *testSession) try(method string, params, result any) error {
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	return s.c.Call(ctx, method, params, result)
}

// request makes one alias/request.
func (s *testSession) request(t testing.TB, p rpc.RequestParams) rpc.RequestResult {
	t.Helper()
	var res rpc.RequestResult
	s.call(t, rpc.MethodRequest, p, &res)
	return res
}

func (s *testSession) addToken(t testing.TB, name, tok string) rpc.TokenAddResult {
	t.Helper()
	var res rpc.TokenAddResult
	s.call(t, rpc.MethodTokenAdd, rpc.TokenAddParams{Name: name, Token: tok}, &res)
	return res
}

func (s *testSession) stats(t testing.TB, prefix string) rpc.CacheStatsResult {
	t.Helper()
	var res rpc.CacheStatsResult
	s.call(t, rpc.MethodCacheStats, rpc.CacheParams{PathPrefix: prefix}, &res)
	return res
}

func (s *testSession) status(t testing.TB) rpc.StatusResult {
	t.Helper()
	var res rpc.StatusResult
	s.call(t, rpc.MethodStatus, struct{}{}, &res)
	return res
}

// historyEntry returns the history entry with id.
func (s *testSession) historyEntry(t testing.TB, id string) rpc.HistoryEntry {
	t.Helper()
	var res rpc.HistoryListResult
	s.call(t, rpc.MethodHistoryList, rpc.HistoryListParams{Limit: 1000}, &res)
	for _, e := range res.Entries {
		if e.ID == id {
			return e
		}
	}
	t.Fatalf("alias/history/list has no entry %q (got %d entries)", id, len(res.Entries))
	return rpc.HistoryEntry{}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}

// params turns a mock example call into alias/request params.
func params(c mock.Call) rpc.RequestParams {
	p := rpc.RequestParams{Method: c.Method, Path: c.Path}
	if len(c.Query) > 0 {
		p.Query = map[string]any{}
		for k, vs := range c.Query {
			if len(vs) == 1 {
				p.Query[k] = vs[0]
				continue
			}
			list := make([]any, len(vs))
			for i, v := range vs {
				list[i] = v
			}
			p.Query[k] = list
		}
	}
	if c.Body != nil {
		p.Body = c.Body
	}
	return p
}

// example returns a call of the named endpoint that succeeds now.
func (e *testEnv) example(name string) mock.Call {
	e.t.Helper()
	ep := alias.ByName(name)
	if ep == nil {
		e.t.Fatalf("alias.ByName(%q) = nil", name)
	}
	return e.srv.Example(ep)
}

// requestsTo returns the mock's records for path (query ignored), oldest
// first.
func (e *testEnv) requestsTo(path string) []mock.RequestRecord {
	want := alias.NormalizePath(path)
	var out []mock.RequestRecord
	for _, r := range e.srv.RequestLog() {
		if r.Path == want {
			out = append(out, r)
		}
	}
	return out
}

// wantCache fails when a result's provenance is not want.
func wantCache(t testing.TB, what string, res rpc.RequestResult, want string) {
	t.Helper()
	if res.Cache != want {
		t.Fatalf("%s: cache = %q, want %q (status %d, diagnostic %s)", what, res.Cache, want, res.Status, mustJSON(res.Diagnostic))
	}
}

// wantStatus fails when a result's status is not want.
func wantStatus(t testing.TB, what string, res rpc.RequestResult, want int) {
	t.Helper()
	if res.Status != want {
		t.Fatalf("%s: status = %d, want %d (cache %q, diagnostic %s)", what, res.Status, want, res.Cache, mustJSON(res.Diagnostic))
	}
}

// rpcCode returns the JSON-RPC error code of err, 0 when it has none.
func rpcCode(err error) int64 {
	var re *rpc.Error
	if errors.As(err, &re) {
		return re.Code
	}
	return 0
}

// corruptFiles lists aliasd.db.corrupt-* beside path.
func corruptFiles(t testing.TB, path string) []string {
	t.Helper()
	m, err := filepath.Glob(path + ".corrupt-*")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// queryOf returns a url.Values view of a request's query for comparison.
func queryOf(r mock.RequestRecord) url.Values {
	v, _ := url.ParseQuery(r.RawQuery)
	return v
}
