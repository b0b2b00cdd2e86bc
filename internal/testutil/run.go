package testutil

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Result is a finished aliasd command.
type Result struct {
	Stdout []byte
	Stderr []byte
	Code   int
}

// Output returns stdout and stderr together, for messages and leak scans.
func (r Result) Output() string { return string(r.Stdout) + string(r.Stderr) }

// RunTimeout bounds Run: generous, for a loaded machine.
const RunTimeout = 2 * time.Minute

// Run runs the binary with args to completion, stdin fed from stdin, and
// returns what it printed and its exit code. It fails the test when the
// command cannot start or outlives RunTimeout.
func Run(t testing.TB, env []string, stdin string, args ...string) Result {
	t.Helper()
	return RunCommand(t, exec.Command(Aliasd(t), args...), env, stdin)
}

// RunCommand runs cmd (any program, e.g. script(1) wrapping aliasd) like
// Run does.
func RunCommand(t testing.TB, cmd *exec.Cmd, env []string, stdin string) Result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %v: %v", cmd.Args, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(RunTimeout):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%v still running after %v; stderr:\n%s", cmd.Args, RunTimeout, stderr.Bytes())
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("running %v: %v", cmd.Args, err)
	}
	return Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), Code: cmd.ProcessState.ExitCode()}
}

// Mock is a running "aliasd mock" process.
type Mock struct {
	// BaseURL is the first line the mock printed, e.g.
	// http://127.0.0.1:PORT/api/v1.
	BaseURL string
	Cmd     *exec.Cmd

	mu     sync.Mutex // guards stderr
	stderr bytes.Buffer
	done   chan struct{}
}

// StartMock runs "aliasd mock" with args and waits for its base URL. The
// process is stopped when the test ends.
func StartMock(t testing.TB, env []string, args ...string) *Mock {
	t.Helper()
	cmd := exec.Command(Aliasd(t), append([]string{"mock"}, args...)...)
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	m := &Mock{Cmd: cmd, done: make(chan struct{})}
	cmd.Stderr = lockedWriter{&m.mu, &m.stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1)
	go func() {
		br := bufio.NewReader(stdout)
		line, _ := br.ReadString('\n')
		lines <- strings.TrimSpace(line)
		io.Copy(io.Discard, br)
		cmd.Wait()
		close(m.done)
	}()
	t.Cleanup(m.Stop)
	select {
	case m.BaseURL = <-lines:
	case <-time.After(30 * time.Second):
		t.Fatalf("aliasd mock printed no base URL within 30s; stderr:\n%s", m.Stderr())
	}
	if !strings.HasPrefix(m.BaseURL, "http://") {
		t.Fatalf("aliasd mock's first line = %q, want its base URL; stderr:\n%s", m.BaseURL, m.Stderr())
	}
	return m
}

// Stderr returns what the mock wrote to stderr so far.
func (m *Mock) Stderr() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stderr.String()
}

// Stop ends the mock with SIGTERM (SIGKILL after 5s) and waits for it.
func (m *Mock) Stop() {
	select {
	case <-m.done:
		return
	default:
	}
	m.Cmd.Process.Signal(syscallSIGTERM)
	select {
	case <-m.done:
	case <-time.After(5 * time.Second):
		m.Cmd.Process.Kill()
		<-m.done
	}
}

// Admin sends a request to the mock's admin endpoint (outside /api/v1,
// e.g. "/_mock/faults") and returns the answer's body.
func (m *Mock) Admin(t testing.TB, method, path, body string) []byte {
	t.Helper()
	origin := strings.TrimSuffix(m.BaseURL, "/api/v1")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, origin+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		t.Fatalf("%s %s = HTTP %d %s, want 2xx", method, path, res.StatusCode, b)
	}
	return b
}

// AddFault adds a fault rule (JSON, see alias/mock/README.md) to the mock.
func (m *Mock) AddFault(t testing.TB, ruleJSON string) {
	t.Helper()
	m.Admin(t, "POST", "/_mock/faults", ruleJSON)
}

// String names the mock in messages.
func (m *Mock) String() string { return fmt.Sprintf("aliasd mock at %s", m.BaseURL) }
