package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aliasd/aliasd/alias/mock"
	"github.com/aliasd/aliasd/internal/testutil"
	"github.com/aliasd/aliasd/rpc"
)

// startMock runs the mock in process with one token holding every scope.
func startMock(t *testing.T, tok string, faults ...mock.Fault) (*mock.Server, string) {
	t.Helper()
	srv, base := mock.StartTest(t, mock.Config{Tokens: []mock.TokenSpec{{Token: tok}}, Seed: 1, Faults: faults})
	return srv, base
}

// TestTwoEditorsAndCLIShareOneDaemon runs two "aliasd stdio" relays (as
// VS Code and Neovim) and the CLI at the same time against the mock: every
// call succeeds, one daemon serves them all, the history holds each call
// with its client's name, and both editors see the CLI's call appear live.
func TestTwoEditorsAndCLIShareOneDaemon(t *testing.T) {
	tok := fakeToken(t, "goatapi_")
	_, base := startMock(t, tok)
	home := sharedHome(t, fmt.Sprintf("base_url = %q\ntoken_storage = \"file\"\n[daemon]\nidle_timeout = \"10s\"\n", base))
	env := testutil.Env(home)
	if r := testutil.Run(t, env, tok+"\n", "token", "add", "main"); r.Code != 0 {
		t.Fatalf("token add: exit %d\n%s", r.Code, r.Output())
	}

	vscode := newEditor(t, env, "vscode")
	neovim := newEditor(t, env, "neovim")
	vscode.init()
	neovim.init()

	// All three call at once: the editors' requests are written (which
	// returns at once) and the CLI starts while the daemon serves them.
	vscode.send(2, rpc.MethodRequest, rpc.RequestParams{Method: "GET", Path: "/catalog", Query: map[string]any{"query": "dunk"}})
	neovim.send(2, rpc.MethodRequest, rpc.RequestParams{Method: "GET", Path: "/catalog/dunk-low-black-white-dd1391-100"})
	cli := testutil.Run(t, env, "", "call", "GET", "/test")

	var vres, nres rpc.RequestResult
	vscode.result(2, &vres)
	neovim.result(2, &nres)
	if cli.Code != 0 {
		t.Fatalf("aliasd call GET /test: exit %d\n%s", cli.Code, cli.Output())
	}
	m := requestIDLine.FindStringSubmatch(string(cli.Stderr))
	if m == nil {
		t.Fatalf("CLI stderr %q has no request-id", cli.Stderr)
	}
	cliRID := m[1]
	if vres.Status != 200 || nres.Status != 200 {
		t.Fatalf("editor calls: vscode %d, neovim %d; want 200 both", vres.Status, nres.Status)
	}

	if n := countServeProcs(t, home); n != 1 {
		t.Errorf("%d 'aliasd serve' processes for this home, want exactly 1", n)
	}
	var vst, nst rpc.StatusResult
	vscode.send(3, rpc.MethodStatus, nil)
	vscode.result(3, &vst)
	neovim.send(3, rpc.MethodStatus, nil)
	neovim.result(3, &nst)
	if vst.PID != nst.PID || vst.Mode != "shared" || vst.Sessions < 2 {
		t.Errorf("status: vscode pid %d mode %s sessions %d, neovim pid %d; want one shared daemon with both sessions", vst.PID, vst.Mode, vst.Sessions, nst.PID)
	}

	// Live update across sessions: both editors get the CLI's entry.
	for _, e := range []*editor{vscode, neovim} {
		got := e.appended("the CLI's call", func(h rpc.HistoryEntry) bool { return h.RequestID == cliRID })
		if got.Client != "aliasd-cli" || got.Path != "/api/v1/test" {
			t.Errorf("%s: appended entry = client %q path %q, want aliasd-cli /api/v1/test", e.name, got.Client, got.Path)
		}
	}

	// The history holds all three with their client names.
	var list rpc.HistoryListResult
	neovim.send(4, rpc.MethodHistoryList, rpc.HistoryListParams{Limit: 100})
	neovim.result(4, &list)
	byRID := map[string]rpc.HistoryEntry{}
	for _, e := range list.Entries {
		byRID[e.RequestID] = e
	}
	for _, w := range []struct{ rid, client string }{{vres.RequestID, "vscode"}, {nres.RequestID, "neovim"}, {cliRID, "aliasd-cli"}} {
		e, ok := byRID[w.rid]
		if !ok {
			t.Errorf("history has no entry for request %s (%s); entries: %d", w.rid, w.client, len(list.Entries))
			continue
		}
		if e.Client != w.client {
			t.Errorf("entry %s: client %q, want %q", w.rid, e.Client, w.client)
		}
	}
	// The CLI reads the same history while both editors are connected.
	h := testutil.Run(t, env, "", "history", "--json")
	var cliList rpc.HistoryListResult
	if h.Code != 0 || json.Unmarshal(h.Stdout, &cliList) != nil || len(cliList.Entries) != len(list.Entries) {
		t.Errorf("aliasd history --json: exit %d, %d entries; want the editors' %d\n%s", h.Code, len(cliList.Entries), len(list.Entries), h.Stderr)
	}
	if n := countServeProcs(t, home); n != 1 {
		t.Errorf("after the CLI's history: %d daemons, want 1", n)
	}
}

// TestDaemonKilledMidSessionFileChecked is TestDaemonKilledMidSession with
// real API calls: the daemon is killed with SIGKILL while a relay has a
// slow call in flight; the relay's client gets an error and a message; the
// bbolt file left by the kill passes a full check; the next request goes
// through a new daemon that still has the earlier calls in its history;
// and after a clean stop the file passes the check again.
func TestDaemonKilledMidSessionFileChecked(t *testing.T) {
	tok := fakeToken(t, "goatapi_")
	srv, base := startMock(t, tok)
	home := sharedHome(t, fmt.Sprintf("base_url = %q\ntoken_storage = \"file\"\n[daemon]\nidle_timeout = \"10s\"\n", base))
	env := testutil.Env(home, "ALIASD_TOKEN="+tok)
	e := newEditor(t, env, "killed-editor")
	e.init()

	var before []rpc.RequestResult
	for i, q := range []string{"dunk", "jordan", "samba"} {
		var r rpc.RequestResult
		e.send(10+i, rpc.MethodRequest, rpc.RequestParams{Method: "GET", Path: "/catalog", Query: map[string]any{"query": q}})
		e.result(10+i, &r)
		if r.Status != 200 || r.HistoryID == "" {
			t.Fatalf("call %q: status %d history id %q", q, r.Status, r.HistoryID)
		}
		before = append(before, r)
	}
	var first rpc.StatusResult
	e.send(20, rpc.MethodStatus, nil)
	e.result(20, &first)

	// A call the mock holds for a minute: in flight when the kill comes.
	if err := srv.AddFault(mock.Fault{Method: "GET", PathPrefix: "/catalog/", Latency: time.Minute, Count: 1}); err != nil {
		t.Fatal(err)
	}
	e.send(21, rpc.MethodRequest, rpc.RequestParams{Method: "GET", Path: "/catalog/dunk-low-black-white-dd1391-100"})
	deadline := time.Now().Add(30 * time.Second)
	for srv.RequestsTo("/api/v1/catalog/dunk-low-black-white-dd1391-100") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the slow call never reached the mock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := syscall.Kill(first.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	pending := e.response(21)
	if we, isErr := testutil.ErrorOf(pending); !isErr || !strings.Contains(we.Message, "daemon stopped") {
		t.Fatalf("the call in flight was answered %s, want an error saying the daemon stopped", pending)
	}
	e.next("window/showMessage", func(m map[string]json.RawMessage) bool {
		return string(m["method"]) == `"`+rpc.MethodShowMessage+`"`
	})
	waitGone(t, first.PID)
	checkStoreFile(t, home)

	var second rpc.StatusResult
	e.send(22, rpc.MethodStatus, nil)
	e.result(22, &second)
	if second.PID == first.PID || second.PID == 0 {
		t.Fatalf("after the kill the status came from pid %d (killed: %d), want a new daemon", second.PID, first.PID)
	}
	if len(second.Warnings) > 0 {
		t.Errorf("the new daemon warns %q, want nothing (a damaged file is quarantined with a warning)", second.Warnings)
	}
	for i, r := range before {
		var det rpc.HistoryDetail
		e.send(30+i, rpc.MethodHistoryGet, rpc.HistoryGetParams{ID: r.HistoryID})
		e.result(30+i, &det)
		if det.RequestID != r.RequestID {
			t.Errorf("history %s: request id %q, want %q", r.HistoryID, det.RequestID, r.RequestID)
		}
	}
	var again rpc.RequestResult
	e.send(40, rpc.MethodRequest, rpc.RequestParams{Method: "GET", Path: "/catalog/dunk-low-black-white-dd1391-100"})
	e.result(40, &again)
	if again.Status != 200 {
		t.Errorf("the call after the restart: status %d, want 200", again.Status)
	}

	e.p.CloseStdin()
	e.p.Wait(10 * time.Second)
	testutil.StopDaemons(t, home)
	waitGone(t, second.PID)
	checkStoreFile(t, home)
}

// waitGone waits (bounded) until pid has exited.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil || strings.Contains(string(b), ") Z ") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d still running 30s after it was stopped", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDaemonStartFailureIsLogged: when the daemon a relay or the CLI
// starts cannot serve (here: an ALIASD_HOME so long that the socket path
// exceeds the 108 bytes a Unix socket address holds), the command fails
// and the log it points to says why.
func TestDaemonStartFailureIsLogged(t *testing.T) {
	home := t.TempDir()
	writeConfig(t, home, "[daemon]\nidle_timeout = \"5s\"\n")
	// The data directory cannot be created: a file stands in its way.
	if err := os.WriteFile(filepath.Join(home, "data"), []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { testutil.StopDaemons(t, home) })
	r := testutil.Run(t, testutil.Env(home), "", "status")
	logPath := filepath.Join(home, "log", "aliasd.log")
	if r.Code != 1 || !strings.Contains(string(r.Stderr), logPath) {
		t.Fatalf("aliasd status: exit %d, stderr %q; want exit 1 pointing to %s", r.Code, r.Stderr, logPath)
	}
	if log := readLog(home); !strings.Contains(log, "cannot serve") || !strings.Contains(log, "data") {
		t.Errorf("the log does not say why the daemon stopped:\n%s", log)
	}
}

// TestLongHomeStillServes: a home so deep that a socket inside it would
// pass the 107-byte limit still gets its daemon (the socket moves to a
// short per-user directory).
func TestLongHomeStillServes(t *testing.T) {
	home := filepath.Join(t.TempDir(), strings.Repeat("h", 100))
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	writeConfig(t, home, "[daemon]\nidle_timeout = \"5s\"\n")
	t.Cleanup(func() { testutil.StopDaemons(t, home) })
	r := testutil.Run(t, testutil.Env(home), "", "status", "--json")
	if r.Code != 0 || !strings.Contains(string(r.Stdout), `"mode": "shared"`) {
		t.Fatalf("aliasd status with a deep home: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
}
