package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aliasd/aliasd/internal/testutil"
	"github.com/aliasd/aliasd/rpc"
)

// framer writes bodies in one framing.
type framer func(body string) string

var framings = map[string]framer{
	"content-length": testutil.Frame,
	"ndjson":         func(body string) string { return body + "\n" },
}

func req(id int, method, params string) string {
	if params == "" {
		return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":%q}`, id, method)
	}
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":%q,"params":%s}`, id, method, params)
}

// modes are the two ways "aliasd stdio" serves: in process, or relayed to
// the shared daemon.
var modes = []string{"standalone", "relay"}

func startStdio(t *testing.T, configTOML string) *testutil.Proc {
	return startStdioMode(t, "standalone", configTOML)
}

func startStdioMode(t *testing.T, mode, configTOML string) *testutil.Proc {
	t.Helper()
	home := t.TempDir()
	if mode == "relay" {
		configTOML += "\n[daemon]\nidle_timeout = \"3s\"\n"
		t.Cleanup(func() { testutil.StopDaemons(t, home) })
	}
	if configTOML != "" {
		if err := os.WriteFile(filepath.Join(home, "config.toml"), []byte(configTOML), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"stdio"}
	if mode == "standalone" {
		args = append(args, "--standalone")
	}
	return testutil.Start(t, testutil.Env(home, "ALIASD_TEST_HOOKS=1"), args...)
}

func expectResult(t *testing.T, p *testutil.Proc, id string) json.RawMessage {
	t.Helper()
	m := p.RecvID(id)
	if e, isErr := testutil.ErrorOf(m); isErr {
		t.Fatalf("response to %s is error %d %q, want a result", id, e.Code, e.Message)
	}
	return m["result"]
}

func expectError(t *testing.T, p *testutil.Proc, id string, code int64, mention string) {
	t.Helper()
	m := p.RecvReply()
	e, isErr := testutil.ErrorOf(m)
	if !isErr || string(m["id"]) != id || e.Code != code || !strings.Contains(e.Message, mention) {
		t.Fatalf("got %s, want id %s error %d mentioning %q", m, id, code, mention)
	}
}

// TestStdioLifecycle drives the real binary through the whole lifecycle in
// both framings and checks that stdout holds nothing but frames.
func TestStdioLifecycle(t *testing.T) {
	for _, mode := range modes {
		for name, frame := range framings {
			t.Run(mode+"/"+name, func(t *testing.T) {
				testLifecycle(t, mode, frame)
			})
		}
	}
}

func testLifecycle(t *testing.T, mode string, frame framer) {
	{
		{
			p := startStdioMode(t, mode, "")
			p.Write(frame(req(1, "initialize", `{"processId":null,"clientInfo":{"name":"e2e"},"capabilities":{}}`)))
			var ir rpc.InitializeResult
			if err := json.Unmarshal(expectResult(t, p, "1"), &ir); err != nil {
				t.Fatal(err)
			}
			if ir.ServerInfo.Name != "aliasd" || ir.Capabilities.Experimental.ProtocolVersion != rpc.ProtocolVersion {
				t.Errorf("initialize = %+v, want serverInfo aliasd and protocol %d", ir, rpc.ProtocolVersion)
			}
			if !strings.Contains(strings.Join(ir.Capabilities.Experimental.Methods, " "), "alias/status") {
				t.Errorf("capabilities.experimental.methods = %v, want alias/status listed", ir.Capabilities.Experimental.Methods)
			}
			p.Write(frame(`{"jsonrpc":"2.0","method":"initialized","params":{}}`))
			p.Write(frame(req(2, "alias/status", "")))
			var st rpc.StatusResult
			if err := json.Unmarshal(expectResult(t, p, "2"), &st); err != nil {
				t.Fatal(err)
			}
			if st.ProtocolVersion != rpc.ProtocolVersion || st.APIVersion == "" || st.BaseURL == "" || st.DataDir == "" {
				t.Errorf("alias/status = %+v, want version fields filled", st)
			}
			p.Write(frame(`{"broken`))
			expectError(t, p, "null", rpc.CodeParseError, "parse error")
			p.Write(frame(req(3, "shutdown", "")))
			expectResult(t, p, "3")
			p.Write(frame(`{"jsonrpc":"2.0","method":"exit"}`))
			code, ok := p.Wait(5 * time.Second)
			if !ok || code != 0 {
				t.Fatalf("exit after shutdown: code %d (exited %v), want 0", code, ok)
			}
			if n := testutil.CheckFrames(t, p.Stdout()); n != 4 {
				t.Errorf("stdout held %d frames, want 4", n)
			}
		}
	}
}

func TestStdioExitWithoutShutdown(t *testing.T) {
	p := startStdio(t, "")
	p.Write(testutil.Frame(req(1, "initialize", `{}`)))
	expectResult(t, p, "1")
	p.Write(testutil.Frame(`{"jsonrpc":"2.0","method":"exit"}`))
	if code, ok := p.Wait(5 * time.Second); !ok || code != 1 {
		t.Fatalf("exit without shutdown: code %d (exited %v), want 1", code, ok)
	}
}

func TestStdioEOFExitsCleanly(t *testing.T) {
	p := startStdio(t, "")
	p.Write(testutil.Frame(req(1, "initialize", `{}`)))
	p.Write(testutil.Frame(req(2, "alias/status", "")))
	p.CloseStdin()
	expectResult(t, p, "1")
	expectResult(t, p, "2") // answered although stdin closed right after
	code, ok := p.Wait(2 * time.Second)
	if !ok || code != 0 {
		t.Fatalf("after EOF: code %d (exited %v), want a clean exit within 2s", code, ok)
	}
	testutil.CheckFrames(t, p.Stdout())
}

// TestStdioBadInput sends each kind of bad input to the real binary and
// checks the answer, then — wherever the framing survived — that the
// process is alive and answers the next valid request.
func TestStdioBadInput(t *testing.T) {
	ok := testutil.Frame(req(99, "alias/status", ""))
	status := `{"jsonrpc":"2.0","id":7,"method":"alias/status"}`
	type want struct {
		id      string
		code    int64
		mention string
	}
	tests := []struct {
		name     string
		before   bool // send before initialize
		config   string
		send     []string
		want     []want
		survives bool // the next valid request is answered
		eof      bool // input ends after send
		anyOrder bool // want holds results of concurrent methods: any order
	}{
		{name: "request before initialize", before: true, send: []string{testutil.Frame(req(5, "alias/status", ""))}, want: []want{{"5", rpc.CodeServerNotInitialized, "not initialized"}}, survives: false},
		{name: "body not JSON", send: []string{testutil.Frame(`{"jsonrpc":"2.0",`)}, want: []want{{"null", rpc.CodeParseError, "not valid JSON"}}, survives: true},
		{name: "object not a request", send: []string{testutil.Frame(`{"jsonrpc":"2.0","id":4,"foo":1}`)}, want: []want{{"4", rpc.CodeInvalidRequest, "method"}}, survives: true},
		{name: "not an object", send: []string{testutil.Frame(`"hello"`)}, want: []want{{"null", rpc.CodeInvalidRequest, "object"}}, survives: true},
		{name: "unknown method", send: []string{testutil.Frame(req(4, "alias/nope", ""))}, want: []want{{"4", rpc.CodeMethodNotFound, "alias/nope"}}, survives: true},
		{name: "bad params", send: []string{testutil.Frame(req(4, "aliasd/test/sleep", `{"ms":"soon"}`))}, want: []want{{"4", rpc.CodeInvalidParams, "ms"}}, survives: true},
		{name: "handler panic", send: []string{testutil.Frame(req(4, "aliasd/test/panic", ""))}, want: []want{{"4", rpc.CodeInternalError, "panic"}}, survives: true},
		{name: "duplicate in-flight id", send: []string{testutil.Frame(req(4, "aliasd/test/sleep", `{"ms":1000}`)), testutil.Frame(req(4, "alias/status", ""))}, want: []want{{"4", rpc.CodeInvalidRequest, "already in use"}}, survives: true},
		{name: "batch", send: []string{testutil.Frame(`[` + status + `]`)}, want: []want{{"null", rpc.CodeInvalidRequest, "batch"}}, survives: true},
		{name: "notification not answered", send: []string{testutil.Frame(`{"jsonrpc":"2.0","method":"alias/status"}`)}, survives: true},
		{name: "missing Content-Length", send: []string{"Content-Type: application/json\r\n\r\n" + status}, want: []want{{"null", rpc.CodeParseError, "missing Content-Length"}}, survives: true},
		{name: "duplicate Content-Length", send: []string{fmt.Sprintf("Content-Length: %d\r\nContent-Length: %d\r\n\r\n%s", len(status), len(status), status)}, want: []want{{"null", rpc.CodeParseError, "duplicate"}}, survives: true},
		{name: "non-numeric Content-Length", send: []string{"Content-Length: twelve\r\n\r\n" + status}, want: []want{{"null", rpc.CodeParseError, "not a number"}}, survives: true},
		{name: "negative Content-Length", send: []string{"Content-Length: -3\r\n\r\n" + status}, want: []want{{"null", rpc.CodeParseError, "negative"}}, survives: true},
		{name: "zero Content-Length", send: []string{"Content-Length: 0\r\n\r\n"}, want: []want{{"null", rpc.CodeParseError, "not valid JSON"}}, survives: true},
		{name: "over-cap Content-Length", config: "[rpc]\nmax_message_bytes = 1024\n", send: []string{"Content-Length: 4000\r\n\r\n" + strings.Repeat("x", 4000)}, want: []want{{"null", rpc.CodeParseError, "exceeds"}}, survives: true},
		{name: "1 MiB header line", send: []string{"X-Padding: " + strings.Repeat("p", 1<<20) + "\r\n" + testutil.Frame(status)}, want: []want{{"null", rpc.CodeParseError, "header line longer"}}, survives: true},
		{name: "two frames in one write", send: []string{testutil.Frame(req(4, "alias/status", "")) + testutil.Frame(req(5, "alias/status", ""))}, want: []want{{"4", 0, ""}, {"5", 0, ""}}, survives: true, anyOrder: true},
		{name: "body shorter than its length then EOF", send: []string{"Content-Length: 500\r\n\r\n" + status}, want: []want{{"null", rpc.CodeParseError, "ended inside a frame"}}, eof: true},
	}
	for _, mode := range modes {
		for _, tt := range tests {
			t.Run(mode+"/"+tt.name, func(t *testing.T) {
				p := startStdioMode(t, mode, tt.config)
				if !tt.before {
					p.Write(testutil.Frame(req(1, "initialize", `{}`)))
					expectResult(t, p, "1")
				}
				for _, s := range tt.send {
					p.Write(s)
				}
				if tt.eof {
					p.CloseStdin()
				}
				if tt.anyOrder {
					// Concurrent answers may come back in either order
					// (docs/protocol.md, Lifecycle).
					pending := map[string]bool{}
					for _, w := range tt.want {
						pending[w.id] = true
					}
					for len(pending) > 0 {
						m := p.RecvReply()
						if e, isErr := testutil.ErrorOf(m); isErr || !pending[string(m["id"])] {
							t.Fatalf("got %s (error %v), want a result for one of %v", m, e, pending)
						}
						delete(pending, string(m["id"]))
					}
				} else {
					for _, w := range tt.want {
						if w.code == 0 {
							expectResult(t, p, w.id)
							continue
						}
						expectError(t, p, w.id, w.code, w.mention)
					}
				}
				if tt.eof {
					if code, ok := p.Wait(3 * time.Second); !ok || code != 0 {
						t.Fatalf("after truncated input: code %d (exited %v), want a clean exit", code, ok)
					}
					testutil.CheckFrames(t, p.Stdout())
					return
				}
				if tt.before {
					p.Write(testutil.Frame(req(1, "initialize", `{}`)))
					expectResult(t, p, "1")
				}
				p.Write(ok)
				if tt.name == "duplicate in-flight id" {
					// The slow request answers too, once, after its sleep.
					m := p.Recv()
					if string(m["id"]) == "4" {
						m = p.Recv()
					}
					if string(m["id"]) != "99" {
						t.Fatalf("got %s, want the answer to 99", m)
					}
				} else {
					expectResult(t, p, "99")
				}
				p.CloseStdin()
				p.Wait(3 * time.Second)
				testutil.CheckFrames(t, p.Stdout())
			})
		}
	}
}

func TestStdioSplitByteByByte(t *testing.T) {
	p := startStdio(t, "")
	for _, b := range []byte(testutil.Frame(req(1, "initialize", `{}`))) {
		p.Write(string([]byte{b}))
	}
	expectResult(t, p, "1")
}

func TestStdioCancel(t *testing.T) {
	p := startStdio(t, "")
	p.Write(testutil.Frame(req(1, "initialize", `{}`)))
	expectResult(t, p, "1")
	p.Write(testutil.Frame(req(2, "aliasd/test/sleep", `{"ms":60000}`)))
	p.Write(testutil.Frame(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":2}}`))
	expectError(t, p, "2", rpc.CodeRequestCancelled, "cancelled")
	p.Write(testutil.Frame(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":2}}`))
	p.Write(testutil.Frame(req(3, "alias/status", "")))
	expectResult(t, p, "3") // and nothing else for 2 came first
}
