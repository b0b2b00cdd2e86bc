package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/aliasd/aliasd/rpc"
)

// RelayConfig configures Relay. In, Out and Dial are required.
type RelayConfig struct {
	In  io.Reader
	Out io.Writer
	// Dial connects to the shared daemon, starting it when needed.
	Dial   func(ctx context.Context) (*net.UnixConn, error)
	Reader rpc.ReaderOptions
	Logger *slog.Logger
	// EnvToken is the editor process's ALIASD_TOKEN: the relay adds it to
	// the editor's initialize so the daemon uses it for this session only.
	EnvToken string
}

// relay carries one editor's session between stdio and the shared daemon.
// If the daemon dies, requests it had not answered get an error, the editor
// gets a window/showMessage, and the next message goes to a new daemon
// after the relay replays the editor's initialize.
type relay struct {
	cfg    RelayConfig
	logger *slog.Logger
	in     *rpc.FrameReader

	outMu sync.Mutex // guards writes to cfg.Out

	mu          sync.Mutex // guards the fields below
	up          *upstream  // nil when not connected
	pending     map[string]bool
	initParams  json.RawMessage // the editor's initialize params, for replay
	initialized bool            // the editor sent initialized
	shutdownID  string          // id of the editor's shutdown request
	shutdownOK  bool            // the daemon answered shutdown
	generation  int
}

type upstream struct {
	conn halfCloser
	wmu  sync.Mutex // guards writes to conn
	done chan struct{}
	// replay receives the daemon's answer to a replayed initialize.
	replay   chan struct{}
	replayID string
	// editorDone is set when the editor's input ended: the daemon closing
	// its side afterwards is the normal end, not a crash.
	editorDone bool
	// established is set once the daemon answered on this connection;
	// before that a closed connection is a failed attempt, not a crash.
	established bool
}

// peek is what the relay reads of each message.
type peek struct {
	ID     json.RawMessage `json:"id"`
	Method *string         `json:"method"`
	Result json.RawMessage `json:"result"`
	Error  json.RawMessage `json:"error"`
}

// Relay serves the editor on In/Out through the shared daemon and returns
// the exit status: 0 after shutdown+exit or end of input, 1 for exit
// without shutdown.
func Relay(ctx context.Context, cfg RelayConfig) int {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	r := &relay{
		cfg:     cfg,
		logger:  cfg.Logger,
		in:      rpc.NewFrameReader(cfg.In, cfg.Reader),
		pending: make(map[string]bool),
	}
	return r.run(ctx)
}

func (r *relay) run(ctx context.Context) int {
	for {
		body, err := r.in.Next()
		var fe *rpc.FrameError
		switch {
		case errors.As(err, &fe):
			r.writeError(json.RawMessage("null"), rpc.CodeParseError, "parse error: "+fe.Msg)
			continue
		case err != nil:
			if err == io.ErrUnexpectedEOF {
				r.writeError(json.RawMessage("null"), rpc.CodeParseError, "parse error: input ended inside a frame")
			}
			r.finish(false)
			return 0
		}
		var p peek
		if json.Unmarshal(body, &p) != nil {
			p = peek{} // not JSON: the daemon answers it
		}
		id := string(bytes.TrimSpace(p.ID))
		isRequest := p.Method != nil && id != "" && id != "null"
		method := ""
		if p.Method != nil {
			method = *p.Method
		}
		r.mu.Lock()
		switch method {
		case rpc.MethodInitialize:
			if isRequest {
				r.initParams = nil
				var full struct {
					Params json.RawMessage `json:"params"`
				}
				if json.Unmarshal(body, &full) == nil {
					r.initParams = full.Params
				}
			}
		case rpc.MethodInitialized:
			r.initialized = true
		case rpc.MethodShutdown:
			r.shutdownID = id
		}
		if isRequest {
			r.pending[id] = true
		}
		r.mu.Unlock()

		if method == rpc.MethodInitialize && r.cfg.EnvToken != "" {
			body = withEnvToken(body, r.cfg.EnvToken)
			r.mu.Lock()
			var full struct {
				Params json.RawMessage `json:"params"`
			}
			if json.Unmarshal(body, &full) == nil {
				r.initParams = full.Params
			}
			r.mu.Unlock()
		}
		up, err := r.upstream(ctx, method)
		if err == nil && method == rpc.MethodExit {
			// The daemon closes the session after exit: expected, not a crash.
			r.mu.Lock()
			up.editorDone = true
			r.mu.Unlock()
		}
		if err != nil {
			r.logger.Error("relay: no daemon", "err", err)
			if isRequest {
				r.answerPending(id, fmt.Sprintf("aliasd: cannot reach or start the daemon: %v", err))
			}
			continue
		}
		r.logger.Debug("relay: forwarding", "id", id, "method", method)
		if err := up.write(body); err != nil {
			r.logger.Warn("relay: writing to the daemon failed", "err", err)
			r.daemonLost(up)
		}
		if method == rpc.MethodExit {
			r.finish(true)
			r.mu.Lock()
			ok := r.shutdownOK
			r.mu.Unlock()
			if ok {
				return 0
			}
			return 1
		}
	}
}

// upstream returns the daemon connection, connecting (and replaying the
// editor's initialize) when there is none.
func (r *relay) upstream(ctx context.Context, method string) (*upstream, error) {
	r.mu.Lock()
	up := r.up
	r.mu.Unlock()
	if up != nil {
		return up, nil
	}
	// Right after a daemon is killed its listening socket can still take a
	// connection for a moment before the kernel closes it: a connection
	// counts only once the daemon answers on it, so retry a few times.
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Duration(attempt) * 100 * time.Millisecond):
			}
		}
		if up, err = r.connect(ctx, method); err == nil {
			return up, nil
		}
		r.logger.Debug("relay: connection attempt failed", "attempt", attempt+1, "err", err)
	}
	return nil, err
}

// connect dials the daemon and, for a session that already initialized,
// replays its initialize. The upstream is installed only when it works.
func (r *relay) connect(ctx context.Context, method string) (*upstream, error) {
	r.mu.Lock()
	replay := r.initParams != nil && method != rpc.MethodInitialize
	initialized := r.initialized
	params := r.initParams
	r.generation++
	gen := r.generation
	r.mu.Unlock()
	conn, err := r.cfg.Dial(ctx)
	if err != nil {
		return nil, err
	}
	bc, err := blocking(conn)
	if err != nil {
		return nil, err
	}
	up := &upstream{conn: bc, done: make(chan struct{})}
	if !replay {
		up.established = true
		r.install(up)
		go r.readUpstream(up)
		return up, nil
	}
	up.replayID = fmt.Sprintf(`"aliasd-relay-replay-%d"`, gen)
	up.replay = make(chan struct{})
	go r.readUpstream(up)
	if params == nil {
		params = json.RawMessage("{}")
	}
	msg := fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"method":"initialize","params":%s}`, up.replayID, params)
	if err := up.write([]byte(msg)); err != nil {
		conn.Close()
		return nil, err
	}
	select {
	case <-up.replay:
	case <-up.done:
		return nil, errors.New("the new daemon closed the connection during initialize")
	case <-time.After(15 * time.Second):
		conn.Close()
		return nil, errors.New("the new daemon did not answer initialize")
	}
	if initialized {
		up.write([]byte(`{"jsonrpc":"2.0","method":"initialized","params":{}}`))
	}
	r.mu.Lock()
	up.established = true
	r.mu.Unlock()
	r.install(up)
	r.logger.Info("relay: reconnected to a new daemon and replayed initialize")
	return up, nil
}

func (r *relay) install(up *upstream) {
	r.mu.Lock()
	r.up = up
	r.mu.Unlock()
}

func (u *upstream) write(body []byte) error {
	u.wmu.Lock()
	defer u.wmu.Unlock()
	return rpc.WriteFrame(u.conn, rpc.FramingHeader, body)
}

// readUpstream copies the daemon's messages to the editor.
func (r *relay) readUpstream(up *upstream) {
	defer close(up.done)
	fr := rpc.NewFrameReader(up.conn, rpc.ReaderOptions{MaxBody: r.cfg.Reader.MaxBody, Framing: rpc.FramingHeader})
	for {
		body, err := fr.Next()
		if err != nil {
			var fe *rpc.FrameError
			if errors.As(err, &fe) {
				r.logger.Error("relay: bad frame from the daemon", "err", fe.Msg)
				continue
			}
			r.mu.Lock()
			normal := up.editorDone || !up.established
			r.mu.Unlock()
			if !normal {
				r.daemonLost(up)
			}
			return
		}
		p, ok := peekReply(body)
		if !ok {
			json.Unmarshal(body, &p)
		}
		id := string(bytes.TrimSpace(p.ID))
		if p.Method == nil && id != "" {
			if up.replay != nil && id == up.replayID {
				close(up.replay)
				continue
			}
			r.mu.Lock()
			delete(r.pending, id)
			if id == r.shutdownID && p.Error == nil {
				r.shutdownOK = true
			}
			r.mu.Unlock()
		}
		r.writeOut(body)
	}
}

// daemonLost handles a daemon that went away mid-session.
func (r *relay) daemonLost(up *upstream) {
	r.mu.Lock()
	if r.up != up {
		r.mu.Unlock()
		return
	}
	r.up = nil
	ids := make([]string, 0, len(r.pending))
	for id := range r.pending {
		ids = append(ids, id)
	}
	r.mu.Unlock()
	up.conn.Close()
	r.logger.Warn("relay: the daemon connection was lost", "pending", len(ids))
	for _, id := range ids {
		r.answerPending(id, "aliasd: the daemon stopped before answering this request; send it again")
	}
	r.writeNotification(rpc.MethodShowMessage, rpc.MessageParams{
		Type:    rpc.MessageWarning,
		Message: "aliasd: the daemon stopped (stopped or crashed); a new one starts with your next request",
	})
}

func (r *relay) answerPending(id, msg string) {
	r.logger.Debug("relay: answering for the daemon", "id", id, "msg", msg)
	r.mu.Lock()
	delete(r.pending, id)
	r.mu.Unlock()
	r.writeError(json.RawMessage(id), rpc.CodeInternalError, msg)
}

// finish ends the session: the daemon sees the end of input and answers
// what it has read; the relay waits for that, within a bound.
func (r *relay) finish(exit bool) {
	r.mu.Lock()
	up := r.up
	if up != nil {
		up.editorDone = true
	}
	r.mu.Unlock()
	if up == nil {
		return
	}
	if !exit {
		up.conn.CloseWrite()
	}
	select {
	case <-up.done:
	case <-time.After(1800 * time.Millisecond):
	}
	up.conn.Close()
}

func (r *relay) writeOut(body []byte) {
	r.outMu.Lock()
	defer r.outMu.Unlock()
	f := r.in.Framing()
	if f == rpc.FramingUnknown {
		f = rpc.FramingHeader
	}
	if err := rpc.WriteFrame(r.cfg.Out, f, body); err != nil {
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

// withEnvToken adds initializationOptions.aliasd.envToken to an initialize
// request, keeping everything else the editor sent.
func withEnvToken(body []byte, tok string) []byte {
	var msg map[string]json.RawMessage
	if json.Unmarshal(body, &msg) != nil {
		return body
	}
	var params map[string]json.RawMessage
	if p := msg["params"]; len(p) > 0 && json.Unmarshal(p, &params) != nil {
		return body
	}
	if params == nil {
		params = map[string]json.RawMessage{}
	}
	var opts map[string]json.RawMessage
	if o := params["initializationOptions"]; len(o) > 0 {
		if json.Unmarshal(o, &opts) != nil {
			return body // not an object: leave the editor's options alone
		}
	}
	if opts == nil {
		opts = map[string]json.RawMessage{}
	}
	opts["aliasd"], _ = json.Marshal(map[string]string{"envToken": tok})
	params["initializationOptions"], _ = json.Marshal(opts)
	msg["params"], _ = json.Marshal(params)
	out, err := json.Marshal(msg)
	if err != nil {
		return body
	}
	return out
}

// replyPrefix starts every reply the daemon writes (see rpc.Conn.reply).
var replyPrefix = []byte(`{"jsonrpc":"2.0","id":`)

// peekReply reads the id of a daemon reply without decoding its result,
// which can be large: the daemon writes replies as
// {"jsonrpc":"2.0","id":ID,"result":…} or …,"error":…}. ok is false for any
// other shape; the caller then decodes the message fully.
func peekReply(body []byte) (peek, bool) {
	if !bytes.HasPrefix(body, replyPrefix) {
		return peek{}, false
	}
	rest := body[len(replyPrefix):]
	end := 0
	switch {
	case len(rest) > 0 && rest[0] == '"':
		end = 1
		for end < len(rest) && rest[end] != '"' {
			if rest[end] == '\\' {
				end++
			}
			end++
		}
		end++ // the closing quote
	default:
		for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
			end++
		}
	}
	if end == 0 || end > len(rest) {
		return peek{}, false
	}
	id, after := rest[:end], rest[end:]
	switch {
	case bytes.HasPrefix(after, []byte(`,"result":`)):
		return peek{ID: id}, true
	case bytes.HasPrefix(after, []byte(`,"error":`)):
		return peek{ID: id, Error: json.RawMessage("{}")}, true
	}
	return peek{}, false
}

// halfCloser is a connection whose write side can be closed alone.
type halfCloser interface {
	io.ReadWriteCloser
	CloseWrite() error
}

// blockingConn is the daemon connection as a blocking file descriptor.
// The relay has exactly one reader and one writer per direction, each on
// its own goroutine: blocking reads wake the waiting thread directly,
// without a trip through the network poller, which is most of what a
// relay hop costs.
type blockingConn struct{ f *os.File }

func blocking(c *net.UnixConn) (*blockingConn, error) {
	f, err := c.File() // a duplicate descriptor, in blocking mode
	c.Close()
	if err != nil {
		return nil, fmt.Errorf("daemon connection: %w", err)
	}
	return &blockingConn{f: f}, nil
}

func (b *blockingConn) Read(p []byte) (int, error)  { return b.f.Read(p) }
func (b *blockingConn) Write(p []byte) (int, error) { return b.f.Write(p) }
func (b *blockingConn) Close() error                { return b.f.Close() }

func (b *blockingConn) CloseWrite() error {
	return syscall.Shutdown(int(b.f.Fd()), syscall.SHUT_WR)
}
