package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/aliasd/aliasd/rpc"
)

// serveConn serves one socket connection: either a client speaking
// JSON-RPC on the socket itself (the CLI), or a relay handing over an
// editor's stdin and stdout (see relay.go).
func (d *Daemon) serveConn(ctx context.Context, conn *net.UnixConn) {
	defer conn.Close()
	buf := make([]byte, 64<<10)
	oob := make([]byte, unix.CmsgSpace(2*4))
	n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return
	}
	first := buf[:n]
	fds := receivedFDs(oob[:oobn])
	if len(fds) == 0 {
		d.Serve(ctx, io.MultiReader(bytes.NewReader(first), conn), conn, conn)
		return
	}
	if len(fds) != 2 {
		closeFDs(fds)
		d.logger.Warn("refused a handoff without exactly two descriptors", "got", len(fds))
		return
	}
	// The daemon reads the editor's pipes through its poller, so that
	// closing the session interrupts a read (the relay puts them back in
	// blocking mode if it has to take over). Non-blocking first: NewFile
	// makes a pollable file only of a non-blocking descriptor.
	syscall.SetNonblock(fds[0], true)
	syscall.SetNonblock(fds[1], true)
	in, out := os.NewFile(uintptr(fds[0]), "editor-stdin"), os.NewFile(uintptr(fds[1]), "editor-stdout")
	defer in.Close()
	defer out.Close()
	fr := rpc.NewFrameReader(io.MultiReader(bytes.NewReader(first), conn), rpc.ReaderOptions{})
	body, err := fr.Next()
	var msg struct {
		Method string        `json:"method"`
		Params handoffParams `json:"params"`
	}
	if err != nil || json.Unmarshal(body, &msg) != nil || msg.Method != handoffMethod {
		d.logger.Warn("refused a malformed handoff", "err", err)
		return
	}
	notes := newNoteWriter(conn)
	defer notes.close()

	opts := sessionOptions{envToken: msg.Params.EnvToken, observe: notes.observe, onInit: notes.init, framing: rpc.ParseFraming(msg.Params.Framing)}
	if len(msg.Params.Replay) > 0 {
		var p rpc.InitializeParams
		if err := json.Unmarshal(msg.Params.Replay, &p); err == nil {
			opts.replay = &p
			notes.init(msg.Params.Replay, opts.framing)
		}
	}
	r := io.Reader(in)
	if len(msg.Params.Prefix) > 0 {
		r = io.MultiReader(bytes.NewReader(msg.Params.Prefix), in)
	}
	code := d.serve(ctx, r, out, nil, opts)
	notes.exit(code)
}

func receivedFDs(oob []byte) []int {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	var fds []int
	for _, m := range msgs {
		if got, err := unix.ParseUnixRights(&m); err == nil {
			fds = append(fds, got...)
		}
	}
	return fds
}

func closeFDs(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

// noteWriter sends control notes to the relay from a goroutine of its
// own, so the session never waits on the relay.
type noteWriter struct {
	w      io.Writer
	mu     sync.Mutex // guards queue and closed
	cond   *sync.Cond
	queue  [][]byte
	closed bool
	done   chan struct{}
}

func newNoteWriter(w io.Writer) *noteWriter {
	n := &noteWriter{w: w, done: make(chan struct{})}
	n.cond = sync.NewCond(&n.mu)
	go n.loop()
	return n
}

func (n *noteWriter) loop() {
	defer close(n.done)
	for {
		n.mu.Lock()
		for len(n.queue) == 0 && !n.closed {
			n.cond.Wait()
		}
		batch := n.queue
		n.queue = nil
		closed := n.closed
		n.mu.Unlock()
		var buf bytes.Buffer
		for _, b := range batch {
			buf.Write(b)
			buf.WriteByte('\n')
		}
		if buf.Len() > 0 {
			if _, err := n.w.Write(buf.Bytes()); err != nil {
				return
			}
		}
		if closed {
			return
		}
	}
}

func (n *noteWriter) send(v note) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	n.mu.Lock()
	if !n.closed {
		n.queue = append(n.queue, b)
		n.cond.Signal()
	}
	n.mu.Unlock()
}

func (n *noteWriter) observe(ev rpc.RequestEvent) {
	if ev.Done {
		n.send(note{Finished: ev.ID})
	} else {
		n.send(note{Started: ev.ID, Method: ev.Method})
	}
}

func (n *noteWriter) init(params json.RawMessage, framing rpc.Framing) {
	n.send(note{Init: params, Framing: framing.String()})
}

func (n *noteWriter) exit(code int) { n.send(note{Exit: &code}) }

// close flushes what is queued and stops.
func (n *noteWriter) close() {
	n.mu.Lock()
	n.closed = true
	n.cond.Signal()
	n.mu.Unlock()
	<-n.done
}
