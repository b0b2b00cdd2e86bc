package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
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
)

// sharedHome prepares an ALIASD_HOME whose daemons are stopped at the end.
func sharedHome(t *testing.T, configTOML string) string {
	t.Helper()
	home := t.TempDir()
	if configTOML == "" {
		configTOML = "[daemon]\nidle_timeout = \"30s\"\n"
	}
	if err := os.WriteFile(filepath.Join(home, "config.toml"), []byte(configTOML), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { testutil.StopDaemons(t, home) })
	return home
}

func statusOf(t *testing.T, p *testutil.Proc, id int) rpc.StatusResult {
	t.Helper()
	p.Write(testutil.Frame(req(id, "alias/status", "")))
	var st rpc.StatusResult
	if err := json.Unmarshal(expectResult(t, p, fmt.Sprint(id)), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func initRelay(t *testing.T, p *testutil.Proc, client string) {
	t.Helper()
	p.Write(testutil.Frame(req(1, "initialize", fmt.Sprintf(`{"clientInfo":{"name":%q}}`, client))))
	expectResult(t, p, "1")
	p.Write(testutil.Frame(`{"jsonrpc":"2.0","method":"initialized","params":{}}`))
}

func TestFiveRelaysOneDaemon(t *testing.T) {
	home := sharedHome(t, "")
	env := testutil.Env(home)
	procs := make([]*testutil.Proc, 5)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range procs {
		procs[i] = testutil.Start(t, env, "stdio")
	}
	for i, p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			p.Write(testutil.Frame(req(1, "initialize", fmt.Sprintf(`{"clientInfo":{"name":"editor-%d"}}`, i))))
		}()
	}
	close(start) // all five write their first frame at the same instant
	wg.Wait()
	pids := map[int]bool{}
	for i, p := range procs {
		expectResult(t, p, "1")
		st := statusOf(t, p, 2)
		if st.Mode != "shared" {
			t.Errorf("relay %d: mode %q, want shared", i, st.Mode)
		}
		pids[st.PID] = true
	}
	if len(pids) != 1 {
		t.Fatalf("five relays reached %d daemons (%v), want exactly one", len(pids), pids)
	}
	socks, _ := filepath.Glob(filepath.Join(home, "run", "*.sock"))
	if len(socks) != 1 {
		t.Errorf("sockets in run/: %v, want one", socks)
	}
	for pid := range pids {
		if n := countServeProcs(t, home); n != 1 {
			t.Errorf("%d 'aliasd serve' processes for this home, want 1 (pid %d)", n, pid)
		}
	}
}

// countServeProcs counts live "aliasd serve" processes whose ALIASD_HOME is home.
func countServeProcs(t *testing.T, home string) int {
	t.Helper()
	n := 0
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		cmdline, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || !strings.HasSuffix(strings.TrimRight(string(cmdline), "\x00"), "\x00serve") {
			continue
		}
		env, err := os.ReadFile(filepath.Join(d, "environ"))
		if err != nil || !strings.Contains(string(env), "ALIASD_HOME="+home+"\x00") {
			continue
		}
		if stat, err := os.ReadFile(filepath.Join(d, "stat")); err == nil && strings.Contains(string(stat), ") Z ") {
			continue
		}
		n++
	}
	return n
}

// TestDaemonKilledMidSession kills the daemon under a relayed session, in
// each framing: the request in flight gets an error and the editor a
// message, the next request starts a new daemon (which replays initialize
// without answering it), and stdout stays in the editor's framing
// throughout, including what the new daemon writes before it has read.
func TestDaemonKilledMidSession(t *testing.T) {
	for name, frame := range framings {
		t.Run(name, func(t *testing.T) {
			home := sharedHome(t, "log_level = \"debug\"\n[daemon]\nidle_timeout = \"30s\"\n")
			p := testutil.Start(t, testutil.Env(home, "ALIASD_TEST_HOOKS=1"), "stdio")
			status := func(id int) rpc.StatusResult {
				t.Helper()
				p.Write(frame(req(id, "alias/status", "")))
				var st rpc.StatusResult
				if err := json.Unmarshal(expectResult(t, p, fmt.Sprint(id)), &st); err != nil {
					t.Fatal(err)
				}
				return st
			}
			p.Write(frame(req(1, "initialize", `{"clientInfo":{"name":"killed-editor"}}`)))
			expectResult(t, p, "1")
			p.Write(frame(`{"jsonrpc":"2.0","method":"initialized","params":{}}`))
			first := status(2)
			p.Write(frame(req(3, "aliasd/test/sleep", `{"ms":60000}`)))
			time.Sleep(200 * time.Millisecond) // let the request reach the daemon
			if err := syscall.Kill(first.PID, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			gotError, gotMessage := false, false
			for !gotError || !gotMessage {
				m := p.Recv()
				var method string
				json.Unmarshal(m["method"], &method)
				switch {
				case string(m["id"]) == "3":
					e, isErr := testutil.ErrorOf(m)
					if !isErr || !strings.Contains(e.Message, "daemon stopped") {
						t.Fatalf("pending request answer = %s, want an error saying the daemon stopped", m)
					}
					gotError = true
				case method == rpc.MethodShowMessage:
					gotMessage = true
				}
			}
			t.Cleanup(func() {
				if t.Failed() {
					logData, _ := os.ReadFile(filepath.Join(home, "log", "aliasd.log"))
					t.Logf("relay stderr:\n%s\ndaemon log:\n%s", p.Stderr(), logData)
				}
			})
			second := status(4) // goes through a new daemon, initialize replayed
			if second.PID == first.PID || second.PID == 0 {
				t.Fatalf("after the kill the status came from pid %d (first daemon %d), want a new daemon", second.PID, first.PID)
			}
			// The new daemon greets the editor (window/logMessage) as it
			// replays initialize: wait for it, then check every byte.
			greeting := []byte(fmt.Sprintf("pid %d) serving killed-editor", second.PID))
			testutil.WaitFor(t, "the new daemon's window/logMessage", func() bool { return bytes.Contains(p.Stdout(), greeting) })
			p.CloseStdin()
			p.Wait(5 * time.Second)
			testutil.CheckFrames(t, p.Stdout())
			if got := p.Stdout(); name == "ndjson" && bytes.Contains(got, []byte("Content-Length:")) {
				t.Fatalf("an NDJSON session received a Content-Length frame:\n%s", got)
			}
		})
	}
}

func TestRuntimeDirModes(t *testing.T) {
	home := sharedHome(t, "")
	p := testutil.Start(t, testutil.Env(home), "stdio")
	initRelay(t, p, "modes")
	statusOf(t, p, 2)
	fi, err := os.Stat(filepath.Join(home, "run"))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("run dir mode = %v, %v; want 0700", fi.Mode().Perm(), err)
	}
	socks, _ := filepath.Glob(filepath.Join(home, "run", "*.sock"))
	if len(socks) != 1 {
		t.Fatalf("sockets: %v", socks)
	}
	if fi, err := os.Stat(socks[0]); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}

	// A runtime dir open to others is refused, with a message that says why.
	loose := sharedHome(t, "")
	os.MkdirAll(filepath.Join(loose, "run"), 0o755)
	os.Chmod(filepath.Join(loose, "run"), 0o755)
	q := testutil.Start(t, testutil.Env(loose), "stdio")
	q.Write(testutil.Frame(req(1, "initialize", `{}`)))
	m := q.Recv()
	if e, isErr := testutil.ErrorOf(m); !isErr || !strings.Contains(e.Message, "0755") {
		t.Fatalf("with a 0755 runtime dir: %s, want an error naming the mode", m)
	}
}

func TestOtherUserRefused(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to create a second user and connect as it; run as root (CI does)")
	}
	const user = "aliasd-test-other"
	if err := exec.Command("id", "-u", user).Run(); err != nil {
		if out, err := exec.Command("useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", user).CombinedOutput(); err != nil {
			t.Skipf("cannot create a test user (%v: %s)", err, out)
		}
	}
	out, err := exec.Command("id", "-u", user).Output()
	if err != nil {
		t.Fatal(err)
	}
	var uid int
	fmt.Sscanf(string(out), "%d", &uid)

	home := sharedHome(t, "")
	p := testutil.Start(t, testutil.Env(home), "stdio")
	initRelay(t, p, "owner")
	statusOf(t, p, 2)
	socks, _ := filepath.Glob(filepath.Join(home, "run", "*.sock"))
	// Open the path so the other user can reach the socket at all: the
	// daemon's peer-credential check is what must refuse it.
	for _, d := range []string{filepath.Dir(home), home, filepath.Join(home, "run")} {
		os.Chmod(d, 0o755)
	}
	os.Chmod(socks[0], 0o777)
	defer os.Chmod(filepath.Join(home, "run"), 0o700)

	cmd := exec.Command("/usr/bin/env", "python3", "-c", `
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
body = b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}'
try:
    s.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    s.settimeout(10)
    data = s.recv(4096)
    print("CLOSED" if not data else "ANSWERED %r" % data)
except (BrokenPipeError, ConnectionResetError):
    print("CLOSED")
`, socks[0])
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	res, _ := cmd.CombinedOutput()
	// Refused means: the daemon closed the connection without a byte.
	if strings.TrimSpace(string(res)) != "CLOSED" {
		t.Fatalf("connection from uid %d: %q, want it closed unanswered", uid, res)
	}
	logData, _ := os.ReadFile(filepath.Join(home, "log", "aliasd.log"))
	if !strings.Contains(string(logData), "refused a connection from another user") || !strings.Contains(string(logData), fmt.Sprintf("peer_uid=%d", uid)) {
		t.Errorf("daemon log does not record the refusal of uid %d:\n%s", uid, logData)
	}
	// The owner's session still works.
	statusOf(t, p, 3)
}

func TestIdleExit(t *testing.T) {
	home := sharedHome(t, "[daemon]\nidle_timeout = \"500ms\"\n")
	p := testutil.Start(t, testutil.Env(home), "stdio")
	initRelay(t, p, "idle")
	st := statusOf(t, p, 2)
	p.CloseStdin()
	if code, ok := p.Wait(5 * time.Second); !ok || code != 0 {
		t.Fatalf("relay exit: %d %v", code, ok)
	}
	deadline := time.Now().Add(20 * time.Second)
	for syscall.Kill(st.PID, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("daemon %d still running 20s after its last session ended (idle timeout 500ms)", st.PID)
		}
		time.Sleep(50 * time.Millisecond)
	}
	socks, _ := filepath.Glob(filepath.Join(home, "run", "*.sock"))
	if len(socks) != 0 {
		t.Errorf("socket left behind after idle exit: %v", socks)
	}
	// And the next editor starts a new one.
	q := testutil.Start(t, testutil.Env(home), "stdio")
	initRelay(t, q, "after-idle")
	if st2 := statusOf(t, q, 2); st2.PID == st.PID {
		t.Errorf("new session served by the old pid %d", st.PID)
	}
}
