package daemon

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/aliasd/aliasd/rpc"
)

// TestReplayedHandoffWritesInEditorFraming hands the daemon a session whose
// daemon died after an NDJSON initialize, with nothing for it to read yet.
// Replaying initialize, the daemon greets the editor (window/logMessage)
// before it has read a byte: that greeting must be an NDJSON line, not a
// Content-Length frame the editor cannot parse.
func TestReplayedHandoffWritesInEditorFraming(t *testing.T) {
	e := newEnv(t, envOptions{})
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	unixConn := func(fd int) *net.UnixConn {
		f := os.NewFile(uintptr(fd), "socketpair")
		defer f.Close()
		c, err := net.FileConn(f)
		if err != nil {
			t.Fatal(err)
		}
		return c.(*net.UnixConn)
	}
	relayEnd, daemonEnd := unixConn(fds[0]), unixConn(fds[1])
	defer relayEnd.Close()
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdoutR, stdoutW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdinW.Close()
	defer stdoutR.Close()

	served := make(chan struct{})
	go func() {
		defer close(served)
		e.d.serveConn(context.Background(), daemonEnd)
	}()
	replay, _ := json.Marshal(rpc.InitializeParams{ClientInfo: &rpc.ClientInfo{Name: "nvim"}})
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": handoffMethod, "params": handoffParams{Replay: replay, Framing: rpc.FramingLine.String()}})
	var msg bytes.Buffer
	rpc.WriteFrame(&msg, rpc.FramingHeader, body)
	if _, _, err := relayEnd.WriteMsgUnix(msg.Bytes(), unix.UnixRights(int(stdinR.Fd()), int(stdoutW.Fd())), nil); err != nil {
		t.Fatal(err)
	}
	stdinR.Close() // the daemon holds its own copies now
	stdoutW.Close()

	stdoutR.SetReadDeadline(time.Now().Add(waitLong))
	line, err := bufio.NewReader(stdoutR).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the editor's stdout: %v", err)
	}
	var m struct{ Method string }
	if strings.HasPrefix(line, "Content-Length") || json.Unmarshal([]byte(line), &m) != nil || m.Method != rpc.MethodLogMessage {
		t.Fatalf("first bytes to the editor = %q, want a window/logMessage as one NDJSON line", line)
	}
	stdinW.Close() // the editor goes away: the session ends
	select {
	case <-served:
	case <-time.After(waitLong):
		t.Fatal("the handed-over session did not end after its input closed")
	}
}
