package daemon

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sort"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/aliasd/aliasd/rpc"
)

// The stdio relay hands the editor's own stdin and stdout to the shared
// daemon (SCM_RIGHTS over the Unix socket): the daemon then reads requests
// from the editor and writes answers to it directly, and no process sits
// in the data path. The socket stays open as a control channel on which
// the daemon reports each request as it begins and ends, the editor's
// initialize params, and finally the session's exit status.
//
// If the socket closes without an exit status, the daemon died: the relay
// answers every request that had begun and not ended with an error, tells
// the editor with window/showMessage, reads the editor's next message
// itself, and hands the session to a new daemon together with that
// message and the initialize params to replay.

// handoffMethod is the first message on a socket that carries a session.
const handoffMethod = "aliasd/relay/handoff"

// handoffParams travel with the file descriptors.
type handoffParams struct {
	// Prefix holds bytes the relay read from the editor that the daemon
	// must read before the descriptor.
	Prefix []byte `json:"prefix,omitempty"`
	// Replay is the editor's initialize params when the session had
	// initialized with a daemon that died.
	Replay json.RawMessage `json:"replay,omitempty"`
	// EnvToken is the editor process's ALIASD_TOKEN, for this session only.
	EnvToken string `json:"envToken,omitempty"`
	// Framing is the editor's framing as rpc.Framing's text ("unknown"
	// before the editor has sent anything). A daemon that replays
	// initialize may write (window/logMessage) before it has read a byte,
	// and must write in the editor's framing then too.
	Framing string `json:"framing,omitempty"`
}

// note is one control message from the daemon to the relay (one JSON
// object per line).
type note struct {
	Started  json.RawMessage `json:"started,omitempty"` // a request id
	Finished json.RawMessage `json:"finished,omitempty"`
	Method   string          `json:"method,omitempty"`
	Init     json.RawMessage `json:"init,omitempty"`    // initialize params
	Framing  string          `json:"framing,omitempty"` // the editor's, with Init
	Exit     *int            `json:"exit,omitempty"`
}

// RelayConfig configures Relay. In, Out and Dial are required.
type RelayConfig struct {
	// In and Out are the editor's side: their descriptors are handed over.
	In, Out *os.File
	// Dial connects to the shared daemon, starting it when needed.
	Dial   func(ctx context.Context) (*net.UnixConn, error)
	Reader rpc.ReaderOptions
	Logger *slog.Logger
	// EnvToken is the editor process's ALIASD_TOKEN: the daemon uses it
	// for this session only.
	EnvToken string
}

// Relay serves the editor through the shared daemon and returns the
// session's exit status: 0 after shutdown+exit or end of input, 1 for exit
// without shutdown.
func Relay(ctx context.Context, cfg RelayConfig) int {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	r := &relay{cfg: cfg, logger: cfg.Logger, in: cfg.In, out: cfg.Out, pending: map[string]string{}}
	return r.run(ctx)
}

type relay struct {
	cfg     RelayConfig
	logger  *slog.Logger
	in, out *os.File

	pending    map[string]string // id → method: begun, not ended
	initParams json.RawMessage
	framing    rpc.Framing // the editor's, once known
}

func (r *relay) run(ctx context.Context) int {
	var prefix []byte
	for {
		conn, err := r.dial(ctx)
		if err != nil {
			r.logger.Error("relay: no daemon", "err", err)
			// Without a daemon the relay answers the editor itself: the
			// request that was waiting gets the error, then it waits for
			// the next one and tries again.
			if prefix != nil {
				r.refuse(prefix, fmt.Sprintf("aliasd: cannot reach or start the daemon: %v", err))
			}
			if prefix, err = r.nextMessage(); err != nil {
				return 0
			}
			continue
		}
		code, ended := r.session(conn, prefix)
		if ended {
			return code
		}
		r.daemonLost()
		if prefix, err = r.nextMessage(); err != nil {
			return 0
		}
	}
}

// dial connects, retrying briefly: right after a daemon is killed its
// socket may accept a connection it will never serve.
func (r *relay) dial(ctx context.Context) (*net.UnixConn, error) {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Duration(attempt) * 100 * time.Millisecond):
			}
		}
		var conn *net.UnixConn
		if conn, err = r.cfg.Dial(ctx); err == nil {
			return conn, nil
		}
	}
	return nil, err
}

// session hands the editor to the daemon on conn and follows the control
// channel. ended is true when the daemon reported the session's end (code
// is its exit status); false when the daemon went away.
func (r *relay) session(conn *net.UnixConn, prefix []byte) (code int, ended bool) {
	defer conn.Close()
	p := handoffParams{Prefix: prefix, Replay: r.initParams, EnvToken: r.cfg.EnvToken, Framing: r.framing.String()}
	body, _ := json.Marshal(struct {
		JSONRPC string        `json:"jsonrpc"`
		Method  string        `json:"method"`
		Params  handoffParams `json:"params"`
	}{"2.0", handoffMethod, p})
	var msg bytes.Buffer
	rpc.WriteFrame(&msg, rpc.FramingHeader, body)
	rights := unix.UnixRights(int(r.in.Fd()), int(r.out.Fd()))
	if _, _, err := conn.WriteMsgUnix(msg.Bytes(), rights, nil); err != nil {
		r.logger.Warn("relay: handing the session over failed", "err", err)
		return 0, false
	}
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	got := false // the daemon spoke: the connection was real
	for sc.Scan() {
		got = true
		var n note
		if json.Unmarshal(sc.Bytes(), &n) != nil {
			continue
		}
		switch {
		case n.Exit != nil:
			return *n.Exit, true
		case n.Started != nil:
			r.pending[string(n.Started)] = n.Method
		case n.Finished != nil:
			delete(r.pending, string(n.Finished))
		case n.Init != nil:
			r.initParams = n.Init
			if f := rpc.ParseFraming(n.Framing); f != rpc.FramingUnknown {
				r.framing = f
			}
		}
	}
	if !got {
		r.logger.Debug("relay: the daemon closed the connection before the session began")
	}
	return 0, false
}

// daemonLost answers what the dead daemon left open and tells the editor.
func (r *relay) daemonLost() {
	r.resetBlocking()
	ids := make([]string, 0, len(r.pending))
	for id := range r.pending {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	r.logger.Warn("relay: the daemon connection was lost", "pending", len(ids))
	for _, id := range ids {
		delete(r.pending, id)
		r.writeError(json.RawMessage(id), rpc.CodeInternalError, "aliasd: the daemon stopped before answering this request; send it again")
	}
	r.writeNotification(rpc.MethodShowMessage, rpc.MessageParams{
		Type:    rpc.MessageWarning,
		Message: "aliasd: the daemon stopped (stopped or crashed); a new one starts with your next request",
	})
}

// resetBlocking puts the editor's descriptors back in blocking mode: the
// daemon reads them through its poller, and the relay now reads them with
// plain reads.
func (r *relay) resetBlocking() {
	syscall.SetNonblock(int(r.in.Fd()), false)
	syscall.SetNonblock(int(r.out.Fd()), false)
}

// nextMessage reads the editor's next message while no daemon holds the
// session and returns it, with whatever was read past it, in the editor's
// framing. Frames that cannot be read are answered here.
func (r *relay) nextMessage() ([]byte, error) {
	fr := rpc.NewFrameReader(r.in, rpc.ReaderOptions{MaxBody: r.cfg.Reader.MaxBody, Framing: r.framing})
	for {
		body, err := fr.Next()
		var fe *rpc.FrameError
		switch {
		case errors.As(err, &fe):
			r.framing = fr.Framing()
			r.writeError(json.RawMessage("null"), rpc.CodeParseError, "parse error: "+fe.Msg)
			continue
		case err != nil:
			return nil, err
		}
		r.framing = fr.Framing()
		var buf bytes.Buffer
		rpc.WriteFrame(&buf, r.framing, body)
		buf.Write(fr.Buffered())
		return buf.Bytes(), nil
	}
}

// refuse answers the request at the start of msg with an error.
func (r *relay) refuse(msg []byte, text string) {
	fr := rpc.NewFrameReader(bytes.NewReader(msg), rpc.ReaderOptions{Framing: r.framing})
	body, err := fr.Next()
	if err != nil {
		return
	}
	var m struct {
		ID     json.RawMessage `json:"id"`
		Method *string         `json:"method"`
	}
	if json.Unmarshal(body, &m) == nil && m.Method != nil && len(m.ID) > 0 && string(m.ID) != "null" {
		r.writeError(m.ID, rpc.CodeInternalError, text)
	}
}

func (r *relay) writeOut(body []byte) {
	f := r.framing
	if f == rpc.FramingUnknown {
		f = rpc.FramingHeader
	}
	if err := rpc.WriteFrame(r.out, f, body); err != nil {
		r.logger.Debug("relay: writing to the editor failed", "err", err)
	}
}

func (r *relay) writeError(id json.RawMessage, code int64, msg string) {
	b, _ := json.Marshal(struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   rpc.WireError   `json:"error"`
	}{"2.0", id, rpc.WireError{Code: code, Message: msg}})
	r.writeOut(b)
}

func (r *relay) writeNotification(method string, params any) {
	b, _ := json.Marshal(struct {
		JSONRPC string `json:"jsonrpc"`
		Method  string `json:"method"`
		Params  any    `json:"params"`
	}{"2.0", method, params})
	r.writeOut(b)
}
