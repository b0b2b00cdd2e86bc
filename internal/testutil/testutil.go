// Package testutil builds and drives the real aliasd binary for tests:
// processes over real pipes, raw frames, and captured output.
package testutil

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliasd/aliasd/rpc"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Aliasd builds the aliasd binary once per test process and returns its
// path. ALIASD_TEST_BIN, when set, names a prebuilt binary instead.
func Aliasd(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("ALIASD_TEST_BIN"); p != "" {
		return p
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "aliasd-test-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "aliasd")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/aliasd")
		cmd.Dir = RepoRoot()
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// RepoRoot returns the repository root (the directory holding go.mod).
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Env returns a minimal environment for a child aliasd rooted at home.
func Env(home string, extra ...string) []string {
	env := []string{
		"ALIASD_HOME=" + home,
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"TMPDIR=" + os.TempDir(),
	}
	return append(env, extra...)
}

// Proc is a running aliasd process with piped stdio.
type Proc struct {
	t      testing.TB
	Cmd    *exec.Cmd
	stdin  io.WriteCloser
	msgs   chan map[string]json.RawMessage
	mu     sync.Mutex // guards stdout and stderr
	stdout bytes.Buffer
	stderr bytes.Buffer
	done   chan struct{}
}

// Start runs the binary with args and env, its stdout parsed as frames.
func Start(t testing.TB, env []string, args ...string) *Proc {
	t.Helper()
	cmd := exec.Command(Aliasd(t), args...)
	cmd.Env = env
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdoutR, stdoutW := io.Pipe()
	p := &Proc{t: t, Cmd: cmd, stdin: stdin, msgs: make(chan map[string]json.RawMessage, 1000), done: make(chan struct{})}
	cmd.Stdout = io.MultiWriter(stdoutW, lockedWriter{&p.mu, &p.stdout})
	cmd.Stderr = lockedWriter{&p.mu, &p.stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		fr := rpc.NewFrameReader(stdoutR, rpc.ReaderOptions{})
		for {
			b, err := fr.Next()
			if err != nil {
				close(p.msgs)
				io.Copy(io.Discard, stdoutR)
				return
			}
			var m map[string]json.RawMessage
			if json.Unmarshal(b, &m) != nil {
				m = map[string]json.RawMessage{"_invalid": json.RawMessage(fmt.Sprintf("%q", b))}
			}
			p.msgs <- m
		}
	}()
	go func() {
		cmd.Wait()
		stdoutW.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stdin.Close()
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// Write sends raw bytes to the process's stdin.
func (p *Proc) Write(s string) {
	p.t.Helper()
	if _, err := io.WriteString(p.stdin, s); err != nil {
		p.t.Fatalf("writing to aliasd: %v", err)
	}
}

// CloseStdin closes the process's stdin (end of input).
func (p *Proc) CloseStdin() { p.stdin.Close() }

// Recv returns the next message the process wrote, failing after 15s.
func (p *Proc) Recv() map[string]json.RawMessage {
	p.t.Helper()
	select {
	case m, ok := <-p.msgs:
		if !ok {
			p.t.Fatalf("aliasd closed stdout; stderr:\n%s", p.Stderr())
		}
		return m
	case <-time.After(15 * time.Second):
		p.t.Fatalf("no message from aliasd within 15s; stderr:\n%s", p.Stderr())
	}
	return nil
}

// RecvReply returns the next response, skipping server notifications.
func (p *Proc) RecvReply() map[string]json.RawMessage {
	p.t.Helper()
	for {
		m := p.Recv()
		_, isNote := m["method"]
		_, hasID := m["id"]
		if isNote && !hasID {
			continue
		}
		return m
	}
}

// RecvID returns the next response to id, skipping notifications.
func (p *Proc) RecvID(id string) map[string]json.RawMessage {
	p.t.Helper()
	for {
		m := p.Recv()
		if _, isNote := m["method"]; isNote {
			if _, hasID := m["id"]; !hasID {
				continue
			}
		}
		if string(m["id"]) != id {
			p.t.Fatalf("got %s, want the response to id %s", mustJSON(m), id)
		}
		return m
	}
}

// Wait waits for the process to exit and returns its exit code.
func (p *Proc) Wait(timeout time.Duration) (int, bool) {
	select {
	case <-p.done:
		return p.Cmd.ProcessState.ExitCode(), true
	case <-time.After(timeout):
		return -1, false
	}
}

// Stdout returns every byte the process wrote to stdout so far.
func (p *Proc) Stdout() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]byte(nil), p.stdout.Bytes()...)
}

// Stderr returns what the process wrote to stderr so far.
func (p *Proc) Stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// CheckFrames fails unless out consists of nothing but well-formed frames
// holding JSON-RPC 2.0 objects, and returns how many of them were
// responses (notifications such as window/logMessage not counted).
func CheckFrames(t testing.TB, out []byte) int {
	t.Helper()
	fr := rpc.NewFrameReader(bytes.NewReader(out), rpc.ReaderOptions{})
	n := 0
	for {
		b, err := fr.Next()
		if err == io.EOF {
			return n
		}
		if err != nil {
			t.Fatalf("stdout holds bytes that are not a frame (after %d frames): %v\n%q", n, err, out)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil || string(m["jsonrpc"]) != `"2.0"` {
			t.Fatalf("frame %d is not a JSON-RPC 2.0 object: %q", n, b)
		}
		if _, isResponse := m["id"]; isResponse {
			n++
		}
	}
}

// Frame wraps a body in a Content-Length header.
func Frame(body string) string {
	return fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body)
}

// ErrorOf decodes a response's error member; ok is false when it has none.
func ErrorOf(m map[string]json.RawMessage) (rpc.WireError, bool) {
	var e rpc.WireError
	if m["error"] == nil {
		return e, false
	}
	return e, json.Unmarshal(m["error"], &e) == nil
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return strings.TrimSpace(string(b))
}

// StopDaemons terminates every shared daemon recorded under home/run and
// waits (bounded) for each to exit.
func StopDaemons(t testing.TB, home string) {
	t.Helper()
	pids, _ := filepath.Glob(filepath.Join(home, "run", "*.pid"))
	for _, f := range pids {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var pid int
		fmt.Sscanf(strings.TrimSpace(string(b)), "%d", &pid)
		if pid <= 0 || !isServeOf(pid, home) {
			continue // a pid file left by a killed daemon: the pid may be anyone's now
		}
		proc, err := os.FindProcess(pid)
		if err != nil {
			continue
		}
		proc.Signal(syscallSIGTERM)
		deadline := time.Now().Add(5 * time.Second)
		for processAlive(pid) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if processAlive(pid) {
			proc.Kill()
		}
	}
}

// isServeOf reports whether pid is an "aliasd serve" whose ALIASD_HOME is
// home.
func isServeOf(pid int, home string) bool {
	dir := filepath.Join("/proc", fmt.Sprint(pid))
	cmdline, err := os.ReadFile(filepath.Join(dir, "cmdline"))
	if err != nil || !strings.Contains(string(cmdline), "\x00serve\x00") {
		return false
	}
	env, err := os.ReadFile(filepath.Join(dir, "environ"))
	return err == nil && strings.Contains("\x00"+string(env), "\x00ALIASD_HOME="+home+"\x00")
}
