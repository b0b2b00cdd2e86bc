package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aliasd/aliasd/internal/testutil"
	"github.com/aliasd/aliasd/rpc"
)

// TestTokenNeverLeaks gives the real binaries a known token, makes every
// kind of call with it (successes, API errors, a mock error that echoes
// the token, pagination, verify, history list/show/export) through the CLI
// and through an editor session, then searches every file under
// ALIASD_HOME, the daemon log (with a --trace run), every output, every RPC
// frame and the arguments of every process seen meanwhile for the token's
// bytes and its URL, JSON and base64 forms. The only place allowed to hold
// it is tokens.secret.json, and only when file storage holds the token.
func TestTokenNeverLeaks(t *testing.T) {
	tests := []struct {
		name string
		// stored: the token is added with "aliasd token add" to file
		// storage; else it is each process's ALIASD_TOKEN.
		stored bool
		// trace: the test starts "aliasd serve --trace" itself (every frame
		// logged); else the first CLI command starts the daemon.
		trace  bool
		prefix string
	}{
		{name: "file+trace", stored: true, trace: true, prefix: "goatapi_"},
		{name: "env", stored: false, trace: false, prefix: "goatapi_"},
		{name: "env+trace", stored: false, trace: true, prefix: "goatapi_"},
		// A token without the PAT prefix is caught by no pattern: only
		// the daemon's knowledge of the tokens it holds protects it.
		{name: "file+trace+non-PAT", stored: true, trace: true, prefix: "websession-"},
		{name: "env+trace+non-PAT", stored: false, trace: true, prefix: "websession-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testTokenNeverLeaks(t, tt.stored, tt.trace, fakeToken(t, tt.prefix))
		})
	}
}

func testTokenNeverLeaks(t *testing.T, stored, trace bool, tok string) {
	forms := testutil.SecretForms(tok)
	watch := testutil.WatchProcs(func(cmdline string) bool {
		return strings.Contains(cmdline, "aliasd")
	})
	defer watch.Stop()

	m := testutil.StartMock(t, testutil.Env(t.TempDir(), "ALIASD_MOCK_TOKENS="+tok), "--verbose")
	home := sharedHome(t, fmt.Sprintf("base_url = %q\ntoken_storage = \"file\"\nlog_level = \"debug\"\n[http]\nmax_attempts = 2\n[daemon]\nidle_timeout = \"20s\"\n", m.BaseURL))
	env := testutil.Env(home)
	if !stored {
		env = testutil.Env(home, "ALIASD_TOKEN="+tok)
	}
	// Everything the test saw, by where it came from.
	outputs := map[string][]byte{}
	run := func(stdin string, args ...string) testutil.Result {
		t.Helper()
		r := testutil.Run(t, env, stdin, args...)
		key := fmt.Sprintf("aliasd %s #%d", strings.Join(args, " "), len(outputs))
		outputs[key+" stdout"] = r.Stdout
		outputs[key+" stderr"] = r.Stderr
		return r
	}
	expectExit := func(r testutil.Result, code int, args ...string) {
		t.Helper()
		if r.Code != code {
			t.Fatalf("aliasd %v: exit %d, want %d\n%s", args, r.Code, code, r.Output())
		}
	}
	call := func(code int, args ...string) testutil.Result {
		t.Helper()
		r := run("", append([]string{"call"}, args...)...)
		expectExit(r, code, args...)
		return r
	}

	if trace {
		startServe(t, home, testutil.Env(home), "--trace")
	}
	if stored {
		r := run(tok+"\n", "token", "add", "leaky")
		expectExit(r, 0, "token add")
		if !strings.Contains(string(r.Stdout), "added leaky") || !strings.Contains(string(r.Stdout), "file") {
			t.Fatalf("token add: %q, want the profile added to file storage", r.Stdout)
		}
	}

	// The CLI: successes, API errors, the echoed token, pagination.
	call(0, "GET", "/catalog", "query=dunk")
	call(0, "GET", "/catalog", "query=dunk") // a cache hit
	call(1, "GET", "/catalog/no-such-item")
	call(1, "GET", "/pricing_insights/recent_sales", "catalog_id=dunk-low-black-white-dd1391-100")
	m.AddFault(t, `{"echo_token":true,"path_prefix":"/catalog","count":1}`)
	echo := call(1, "GET", "/catalog", "query=echo")
	if !strings.Contains(echo.Output(), "[REDACTED]") {
		t.Fatalf("the echoed-token call shows no redaction marker; did the fault fire?\n%s", echo.Output())
	}
	echoRID := requestIDLine.FindStringSubmatch(string(echo.Stderr))
	if echoRID == nil {
		t.Fatalf("echo call: no request-id on stderr: %q", echo.Stderr)
	}
	m.AddFault(t, `{"echo_token":true,"status":400,"path_prefix":"/catalog/","count":1}`)
	call(1, "GET", "/catalog/dunk-low-black-white-dd1391-100")
	call(0, "GET", "/listings", "--paginate")
	expectExit(run("", "token", "verify"), 0, "token verify")
	if stored {
		expectExit(run("", "token", "list"), 0, "token list")
	}
	expectExit(run("", "status"), 0, "status")

	// An editor session through the relay; every frame it gets is kept.
	e := newEditor(t, env, "leak-editor")
	e.init()
	var rr rpc.RequestResult
	e.send(2, rpc.MethodRequest, rpc.RequestParams{Method: "GET", Path: "/catalog", Query: map[string]any{"query": "jordan"}})
	e.result(2, &rr)
	e.send(3, rpc.MethodRequest, rpc.RequestParams{Method: "GET", Path: "/listings/no-such-listing"})
	e.result(3, &rr)
	m.AddFault(t, `{"echo_token":true,"path_prefix":"/catalog","count":1}`)
	e.send(4, rpc.MethodRequest, rpc.RequestParams{Method: "GET", Path: "/catalog", Query: map[string]any{"query": "echo-editor"}})
	e.result(4, &rr)
	if rr.Status != 401 || !strings.Contains(string(rr.Body), "[REDACTED]") {
		t.Fatalf("editor's echoed-token call: status %d body %s, want 401 with the token redacted", rr.Status, rr.Body)
	}
	editorEcho := rr.HistoryID
	e.send(5, rpc.MethodPaginate, rpc.PaginateParams{Path: "/orders", WorkDoneToken: json.RawMessage(`"leak-pages"`)})
	e.result(5, nil)
	e.send(6, rpc.MethodTokenVerify, rpc.TokenNameParams{})
	e.result(6, nil)
	e.send(7, rpc.MethodTokenList, nil)
	e.result(7, nil)
	e.send(8, rpc.MethodHistoryGet, rpc.HistoryGetParams{ID: editorEcho})
	e.result(8, nil)
	e.send(9, rpc.MethodHistoryGet, rpc.HistoryGetParams{RequestID: echoRID[1]})
	e.result(9, nil)
	e.send(10, rpc.MethodHistoryExport, rpc.HistoryExportParams{Format: "har"})
	e.result(10, nil)
	e.send(11, rpc.MethodHistoryExport, rpc.HistoryExportParams{Format: "ndjson"})
	e.result(11, nil)
	e.send(12, rpc.MethodHistoryList, rpc.HistoryListParams{Limit: 1000})
	e.result(12, nil)
	e.send(13, rpc.MethodStatus, nil)
	e.result(13, nil)
	e.send(14, rpc.MethodCacheStats, nil)
	e.result(14, nil)

	// The history, read and exported by the CLI.
	hist := run("", "history", "--json", "--limit", "1000")
	expectExit(hist, 0, "history --json")
	var list rpc.HistoryListResult
	if err := json.Unmarshal(hist.Stdout, &list); err != nil {
		t.Fatalf("history --json: %v", err)
	}
	if len(list.Entries) < 15 {
		t.Fatalf("history holds %d entries, want every call above (≥ 15)", len(list.Entries))
	}
	expectExit(run("", "history"), 0, "history")
	expectExit(run("", "history", "--errors"), 0, "history --errors")
	expectExit(run("", "history", "show", echoRID[1]), 0, "history show")
	expectExit(run("", "history", "show", echoRID[1], "--json"), 0, "history show --json")
	har := run("", "history", "export", "--format", "har")
	expectExit(har, 0, "history export --format har")
	var harDoc struct {
		Log struct {
			Entries []json.RawMessage `json:"entries"`
		} `json:"log"`
	}
	if err := json.Unmarshal(har.Stdout, &harDoc); err != nil || len(harDoc.Log.Entries) < 15 {
		t.Fatalf("HAR export: %v, %d entries; want every call", err, len(harDoc.Log.Entries))
	}
	nd := run("", "history", "export", "--format", "ndjson")
	expectExit(nd, 0, "history export --format ndjson")
	if n := strings.Count(strings.TrimSpace(string(nd.Stdout)), "\n") + 1; n < 15 {
		t.Fatalf("NDJSON export: %d lines, want every call", n)
	}
	exported := filepath.Join(t.TempDir(), "history.har")
	expectExit(run("", "history", "export", "--format", "har", "-o", exported), 0, "history export -o")
	if b, err := os.ReadFile(exported); err == nil {
		outputs["export file "+exported] = b
	} else {
		t.Fatal(err)
	}
	outputs["mock request log"] = m.Admin(t, "GET", "/_mock/requests", "")

	// End every process cleanly, so logs are complete, then scan.
	e.send(90, rpc.MethodShutdown, nil)
	e.result(90, nil)
	e.notify(rpc.MethodExit)
	if code, ok := e.p.Wait(10 * time.Second); !ok || code != 0 {
		t.Fatalf("editor relay: exit %d (exited %v), want 0", code, ok)
	}
	outputs["editor stdout (every RPC frame)"] = e.p.Stdout()
	outputs["editor stderr"] = []byte(e.p.Stderr())
	if n := testutil.CheckFrames(t, e.p.Stdout()); n < 14 {
		t.Fatalf("editor got %d frames, want every answer", n)
	}
	testutil.StopDaemons(t, home)
	m.Stop()
	outputs["mock stderr (--verbose)"] = []byte(m.Stderr())
	procs := watch.Stop()

	var leaks []string
	hits, files := testutil.FindSecretInTree(t, home, forms)
	sort.Strings(files)
	for _, want := range []string{"data/aliasd.db", "log/aliasd.log", "config.toml"} {
		if !contains(files, want) {
			t.Errorf("scanned %v, want %s among them", files, want)
		}
	}
	if trace {
		log := readLog(home)
		if !strings.Contains(log, "rpc recv") || !strings.Contains(log, rpc.MethodRequest) {
			t.Errorf("--trace: the daemon log holds no traced frames")
		}
		// The frames that bring the token were traced (and scrubbed).
		carrier := "envToken"
		if stored {
			carrier = rpc.MethodTokenAdd
		}
		if !strings.Contains(log, carrier) {
			t.Errorf("--trace: the daemon log holds no frame with %s", carrier)
		}
	}
	secret := "tokens.secret.json"
	if stored {
		if len(hits[secret]) == 0 {
			t.Errorf("%s does not hold the token, want it there (file storage)", secret)
		}
		delete(hits, secret)
	}
	for f, h := range hits {
		leaks = append(leaks, fmt.Sprintf("ALIASD_HOME/%s:\n    %s", f, strings.Join(h, "\n    ")))
	}
	for where, b := range outputs {
		if len(b) == 0 && !strings.Contains(where, "stderr") && !strings.Contains(where, "stdout") {
			t.Errorf("%s is empty", where)
		}
		leaks = append(leaks, testutil.FindSecret(where, b, forms)...)
	}
	sawServe, sawRelay := false, false
	for _, p := range procs {
		args := strings.ReplaceAll(p.Cmdline, "\x00", " ")
		leaks = append(leaks, testutil.FindSecret(fmt.Sprintf("arguments of pid %d (%s)", p.PID, args), []byte(p.Cmdline), forms)...)
		if strings.HasSuffix(p.Cmdline, "\x00serve\x00") || strings.Contains(p.Cmdline, "\x00serve\x00--trace") {
			sawServe = true
			// The shared daemon serves everyone: it must never hold one
			// session's ALIASD_TOKEN in its environment.
			leaks = append(leaks, testutil.FindSecret(fmt.Sprintf("environment of the daemon, pid %d", p.PID), []byte(p.Environ), forms)...)
		}
		if strings.HasSuffix(p.Cmdline, "\x00stdio\x00") {
			sawRelay = true
		}
	}
	if !sawServe || !sawRelay {
		t.Errorf("process sampling saw the daemon: %v, the relay: %v; want both (is /proc readable?)", sawServe, sawRelay)
	}
	if len(leaks) > 0 {
		t.Errorf("the token (%d bytes) leaked in %d places:\n  %s", len(tok), len(leaks), strings.Join(leaks, "\n  "))
	}
	t.Logf("scanned %d files under ALIASD_HOME %v, %d outputs, %d process samples", len(files), files, len(outputs), len(procs))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
