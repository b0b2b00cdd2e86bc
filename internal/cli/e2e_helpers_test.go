package cli_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aliasd/aliasd/internal/testutil"
	"github.com/aliasd/aliasd/rpc"
	"github.com/aliasd/aliasd/store"
)

// fakeToken returns an obviously fake personal access token made at run
// time: prefix followed by random hex.
func fakeToken(t *testing.T, prefix string) string {
	t.Helper()
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(b)
}

// writeConfig replaces home's config.toml.
func writeConfig(t *testing.T, home, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(home, "config.toml"), []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// serveProc is an "aliasd serve" the test started itself, so that it can
// kill it.
type serveProc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // cmd.Wait's answer, set before done closes
}

// startServe runs "aliasd serve" with env and args and waits until its
// socket accepts connections. The test binary cannot name the socket (its
// name holds the aliasd binary's build id), so it is found in run/.
func startServe(t *testing.T, home string, env []string, args ...string) *serveProc {
	t.Helper()
	cmd := exec.Command(testutil.Aliasd(t), append([]string{"serve"}, args...)...)
	cmd.Env = env
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &serveProc{cmd: cmd, done: make(chan struct{})}
	go func() { s.err = cmd.Wait(); close(s.done) }()
	t.Cleanup(func() { s.stop(syscall.SIGKILL) })
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c, err := dialDaemon(home); err == nil {
			c.Close()
			return s
		}
		select {
		case <-s.done:
			t.Fatalf("aliasd serve exited while starting (%v); log:\n%s", s.err, readLog(home))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("aliasd serve did not accept connections within 30s; log:\n%s", readLog(home))
		}
	}
}

func (s *serveProc) pid() int { return s.cmd.Process.Pid }

// stop sends sig and waits (bounded) for the process to end.
func (s *serveProc) stop(sig syscall.Signal) {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(sig)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// dialDaemon connects to the one daemon socket under home/run.
func dialDaemon(home string) (net.Conn, error) {
	socks, _ := filepath.Glob(filepath.Join(home, "run", "aliasd-*.sock"))
	if len(socks) != 1 {
		return nil, fmt.Errorf("sockets in %s/run: %v, want one", home, socks)
	}
	return net.DialTimeout("unix", socks[0], 5*time.Second)
}

func readLog(home string) string {
	b, _ := os.ReadFile(filepath.Join(home, "log", "aliasd.log"))
	return string(b)
}

// socketClient opens a session on the shared daemon's socket as client
// name, with envToken as the session's ALIASD_TOKEN when not empty.
func socketClient(t *testing.T, home, name, envToken string, onNotify func(string, json.RawMessage)) *rpc.Client {
	t.Helper()
	conn, err := dialDaemon(home)
	if err != nil {
		t.Fatal(err)
	}
	c := rpc.NewClient(conn, rpc.ClientOptions{OnNotify: onNotify})
	t.Cleanup(func() { c.Close() })
	p := rpc.InitializeParams{ClientInfo: &rpc.ClientInfo{Name: name}}
	if envToken != "" {
		p.InitializationOptions, _ = json.Marshal(map[string]any{"aliasd": map[string]string{"envToken": envToken}})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.InitializeWith(ctx, p); err != nil {
		t.Fatalf("initialize %s: %v", name, err)
	}
	return c
}

// checkStoreFile opens the bbolt file of home (no daemon may hold it) with
// a full integrity check and fails unless it opens cleanly, without being
// quarantined, and passes Store.Check (bbolt's tx.Check over every page).
func checkStoreFile(t *testing.T, home string) {
	t.Helper()
	path := filepath.Join(home, "data", "aliasd.db")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file: %v", err)
	}
	s, err := store.Open(store.Options{Path: path, Timeout: 10 * time.Second, AlwaysCheck: true})
	if err != nil {
		t.Fatalf("store.Open(%s) = %v, want it to open", path, err)
	}
	defer s.Close()
	if w := s.Warnings(); len(w) > 0 {
		t.Fatalf("store.Open(%s) warnings = %q, want none (a damaged file is quarantined)", path, w)
	}
	if err := s.Check(); err != nil {
		t.Fatalf("Check(%s) = %v, want nil", path, err)
	}
	if bad, _ := filepath.Glob(path + ".corrupt-*"); len(bad) > 0 {
		t.Fatalf("quarantined files next to the database: %v, want none", bad)
	}
}

// editor drives one "aliasd stdio" process as an editor would: it keeps
// every message it reads, so answers and notifications can be awaited in
// any order.
type editor struct {
	t    *testing.T
	name string
	p    *testutil.Proc

	mu  sync.Mutex // guards log
	log []map[string]json.RawMessage
}

func newEditor(t *testing.T, env []string, name string, args ...string) *editor {
	t.Helper()
	return &editor{t: t, name: name, p: testutil.Start(t, env, append([]string{"stdio"}, args...)...)}
}

// send writes one request (params: any JSON-marshalable value, or nil).
func (e *editor) send(id int, method string, params any) {
	e.t.Helper()
	raw := ""
	if params != nil {
		b, err := json.Marshal(params)
		if err != nil {
			e.t.Fatal(err)
		}
		raw = string(b)
	}
	e.p.Write(testutil.Frame(req(id, method, raw)))
}

func (e *editor) notify(method string) {
	e.p.Write(testutil.Frame(fmt.Sprintf(`{"jsonrpc":"2.0","method":%q,"params":{}}`, method)))
}

// init runs initialize and initialized with clientInfo.name = e.name.
func (e *editor) init() {
	e.t.Helper()
	e.send(1, rpc.MethodInitialize, rpc.InitializeParams{ClientInfo: &rpc.ClientInfo{Name: e.name}})
	e.result(1, nil)
	e.notify(rpc.MethodInitialized)
}

// next returns the first logged message for which match is true, reading
// more from the process as needed (each read bounded by testutil.Recv).
func (e *editor) next(what string, match func(map[string]json.RawMessage) bool) map[string]json.RawMessage {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for i := 0; ; {
		e.mu.Lock()
		if i < len(e.log) {
			m := e.log[i]
			e.mu.Unlock()
			if match(m) {
				return m
			}
			i++
			continue
		}
		e.mu.Unlock()
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: no %s within 60s", e.name, what)
		}
		m := e.p.Recv()
		e.mu.Lock()
		e.log = append(e.log, m)
		e.mu.Unlock()
	}
}

// response returns the answer to id (result or error).
func (e *editor) response(id int) map[string]json.RawMessage {
	e.t.Helper()
	want := fmt.Sprint(id)
	return e.next("answer to id "+want, func(m map[string]json.RawMessage) bool {
		_, isCall := m["method"]
		return !isCall && string(m["id"]) == want
	})
}

// result waits for the answer to id, fails on an error answer, and decodes
// the result into v (when not nil).
func (e *editor) result(id int, v any) json.RawMessage {
	e.t.Helper()
	m := e.response(id)
	if we, isErr := testutil.ErrorOf(m); isErr {
		e.t.Fatalf("%s: answer to %d is error %d %q, want a result", e.name, id, we.Code, we.Message)
	}
	if v != nil {
		if err := json.Unmarshal(m["result"], v); err != nil {
			e.t.Fatalf("%s: decoding the answer to %d: %v (%s)", e.name, id, err, m["result"])
		}
	}
	return m["result"]
}

// appended waits for an alias/history/appended notification whose entry
// satisfies match.
func (e *editor) appended(what string, match func(rpc.HistoryEntry) bool) rpc.HistoryEntry {
	e.t.Helper()
	var got rpc.HistoryEntry
	e.next("alias/history/appended for "+what, func(m map[string]json.RawMessage) bool {
		if string(m["method"]) != `"`+rpc.NotifyHistoryAppended+`"` {
			return false
		}
		var p rpc.HistoryAppendedParams
		if json.Unmarshal(m["params"], &p) != nil || !match(p.Entry) {
			return false
		}
		got = p.Entry
		return true
	})
	return got
}

// isRPCError reports whether err is a JSON-RPC error answer (as opposed to
// a lost connection).
func isRPCError(err error) bool {
	var re *rpc.Error
	return errors.As(err, &re)
}

// uuidLike reports whether s looks like a UUID (8-4-4-4-12 hex digits).
func uuidLike(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) != 5 {
		return false
	}
	for i, n := range []int{8, 4, 4, 4, 12} {
		if len(parts[i]) != n {
			return false
		}
		if _, err := hex.DecodeString(parts[i]); err != nil {
			return false
		}
	}
	return true
}
