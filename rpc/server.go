package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/sourcegraph/jsonrpc2"
)

// Mode says how a method is ordered against the requests after it.
type Mode int

const (
	// Ordered methods run after every earlier request has released and
	// hold later requests until they finish (lifecycle, token changes).
	Ordered Mode = iota
	// Concurrent methods run after every earlier request has released but
	// release at once, so later requests need not wait for them (API calls,
	// queries).
	Concurrent
	// Inline methods are Concurrent methods that answer from memory in
	// microseconds and never block or call back into the client: when no
	// earlier request is still holding the order, they run on the read
	// loop itself, saving a goroutine hand-off; otherwise like Concurrent.
	Inline
)

// HandlerFunc handles one request. params is nil when the request had none.
type HandlerFunc func(ctx context.Context, params json.RawMessage) (any, error)

type method struct {
	mode   Mode
	handle HandlerFunc
}

// Table is the dispatch table of request methods: one per server, shared by
// its connections. Register every method before serving.
type Table struct {
	methods map[string]method
}

// NewTable returns an empty table.
func NewTable() *Table { return &Table{methods: make(map[string]method)} }

// Handle registers a raw handler.
func (t *Table) Handle(name string, mode Mode, h HandlerFunc) {
	t.methods[name] = method{mode: mode, handle: h}
}

// Names returns the registered method names, sorted.
func (t *Table) Names() []string {
	names := make([]string, 0, len(t.methods))
	for n := range t.methods {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// validator is implemented by params types that check themselves.
type validator interface{ Validate() error }

// Register adds a typed method: params decode into P (by name; unknown
// fields ignored, wrong types answered with -32602 naming the field) and
// P.Validate runs when P has one.
func Register[P, R any](t *Table, name string, mode Mode, fn func(context.Context, *P) (R, error)) {
	t.Handle(name, mode, func(ctx context.Context, raw json.RawMessage) (any, error) {
		p := new(P)
		if len(raw) > 0 && string(raw) != "null" {
			if raw[0] == '[' {
				return nil, &ParamError{Msg: "params must be an object (by-name parameters)"}
			}
			if err := json.Unmarshal(raw, p); err != nil {
				var ute *json.UnmarshalTypeError
				if errors.As(err, &ute) {
					return nil, err
				}
				return nil, &ParamError{Field: "params", Msg: err.Error()}
			}
		}
		if v, ok := any(p).(validator); ok {
			if err := v.Validate(); err != nil {
				return nil, err
			}
		}
		return fn(ctx, p)
	})
}

// ServerConfig configures Serve. Methods is required.
type ServerConfig struct {
	Methods *Table
	// Initialize answers initialize; the rpc layer adds the capabilities.
	// Nil answers with ServerInfo{Name: "aliasd"}.
	Initialize func(ctx context.Context, c *Conn, p *InitializeParams) (ServerInfo, error)
	// OnShutdown runs when the client sends shutdown.
	OnShutdown func(c *Conn)
	Logger     *slog.Logger
	// Redact scrubs secrets from error messages sent to the client.
	Redact func(string) string
	// Notifications lists server→client notification names for
	// capabilities.experimental.
	Notifications []string
	// CloseGrace bounds how long Wait lets running handlers finish after
	// the connection ends. Default 1s.
	CloseGrace time.Duration
	// Setup, if set, runs before the first message is read (attach
	// session data with SetValue).
	Setup func(c *Conn)
	// Replay, if set, initializes the connection with these params before
	// the first message is read, without a reply: a session moved to a new
	// server after its first one died.
	Replay *InitializeParams
	// Observe, if set, sees every request begin (when it is read) and end
	// (after its reply is written). It must not block.
	Observe func(RequestEvent)
}

// RequestEvent is one request beginning or ending (ServerConfig.Observe).
type RequestEvent struct {
	ID     json.RawMessage // as the client sent it
	Method string
	Done   bool
}

// Grace periods. eofGrace bounds how long replies may still be written
// after the client closes its side; the whole exit stays under 2s.
const (
	eofGrace      = 1500 * time.Millisecond
	shutdownGrace = 5 * time.Second
)

// Lifecycle states of a connection.
const (
	stateNew = iota
	stateInitialized
	stateShutdown
)

// Conn is one served JSON-RPC connection (one editor session).
type Conn struct {
	cfg    ServerConfig
	jc     *jsonrpc2.Conn
	stream *Stream
	logger *slog.Logger
	ctx    context.Context // cancelled when the connection ends
	cancel context.CancelFunc
	wg     sync.WaitGroup // running handlers

	mu          sync.Mutex // guards the fields below
	state       int
	client      ClientInfo
	inflight    map[string]*inflight // by id.String(), until the reply is decided
	running     int                  // requests whose reply is not yet written
	changed     chan struct{}        // closed and replaced when running drops
	lastRelease chan struct{}        // released by the newest request
	exitCode    int
	value       any
}

type inflight struct {
	cancel    context.CancelFunc
	cancelled bool
}

type connKey struct{}

// ConnFromContext returns the connection a handler serves.
func ConnFromContext(ctx context.Context) *Conn {
	c, _ := ctx.Value(connKey{}).(*Conn)
	return c
}

// Serve starts serving stream and returns at once; call Wait for the end.
func Serve(ctx context.Context, stream *Stream, cfg ServerConfig) *Conn {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Redact == nil {
		cfg.Redact = func(s string) string { return s }
	}
	if cfg.CloseGrace <= 0 {
		cfg.CloseGrace = time.Second
	}
	c := &Conn{
		cfg:         cfg,
		stream:      stream,
		logger:      cfg.Logger,
		inflight:    make(map[string]*inflight),
		changed:     make(chan struct{}),
		lastRelease: closedChan(),
	}
	c.ctx, c.cancel = context.WithCancel(context.WithValue(ctx, connKey{}, c))
	// At end of input, let requests already read write their replies
	// (bounded) before the library closes the connection.
	stream.ready = make(chan struct{})
	stream.deliver = func(req *jsonrpc2.Request) { c.Handle(c.ctx, c.jc, req) }
	stream.onEOF = func() {
		ctx, cancel := context.WithTimeout(context.Background(), eofGrace)
		defer cancel()
		c.waitIdle(ctx, 0)
	}
	c.jc = jsonrpc2.NewConn(c.ctx, stream, c, jsonrpc2.SetLogger(slogPrinter{cfg.Logger}))
	if cfg.Setup != nil {
		cfg.Setup(c)
	}
	if cfg.Replay != nil {
		if _, err := c.initializeWith(c.ctx, cfg.Replay); err != nil {
			c.logger.Warn("rpc: replayed initialize failed", "err", err)
		}
	}
	close(stream.ready) // only now may the first message be read
	return c
}

func closedChan() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}

// Wait blocks until the connection ends, lets running handlers finish for
// at most CloseGrace, and returns the exit status: 0 after shutdown+exit or
// end of input, 1 for exit without shutdown.
func (c *Conn) Wait() int {
	<-c.jc.DisconnectNotify()
	c.cancel()
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(c.cfg.CloseGrace):
		c.logger.Warn("rpc: handlers still running at close")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.exitCode
}

// Done is closed when the connection ends.
func (c *Conn) Done() <-chan struct{} { return c.jc.DisconnectNotify() }

// Close ends the connection.
func (c *Conn) Close() error { return c.jc.Close() }

// Client returns the peer's clientInfo from initialize.
func (c *Conn) Client() ClientInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.client
}

// SetValue attaches session data for the embedding server.
func (c *Conn) SetValue(v any) {
	c.mu.Lock()
	c.value = v
	c.mu.Unlock()
}

// Value returns what SetValue stored.
func (c *Conn) Value() any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.value
}

// Initialized reports whether initialize has completed.
func (c *Conn) Initialized() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state != stateNew
}

// Notify sends a notification to the client. Like reply it writes the
// frame itself: the library's path encodes params and then encodes the
// message around them, which validates and copies params a second time.
func (c *Conn) Notify(ctx context.Context, method string, params any) error {
	select {
	case <-c.jc.DisconnectNotify():
		return jsonrpc2.ErrClosed
	default:
	}
	name, err := json.Marshal(method)
	if err != nil {
		return err
	}
	body := append([]byte(`{"jsonrpc":"2.0","method":`), name...)
	if params != nil {
		p, err := json.Marshal(params)
		if err != nil {
			return fmt.Errorf("encoding %s: %w", method, err)
		}
		body = append(append(append(body, `,"params":`...), p...), '}')
	} else {
		body = append(body, '}')
	}
	return c.stream.WriteRaw(body)
}

// Call sends a request to the client and waits for its answer. Handlers may
// call it: they do not run on the read loop.
func (c *Conn) Call(ctx context.Context, method string, params, result any) error {
	return c.jc.Call(ctx, method, params, result)
}

// ShowMessage sends window/showMessage.
func (c *Conn) ShowMessage(t MessageType, msg string) error {
	return c.Notify(c.ctx, MethodShowMessage, MessageParams{Type: t, Message: msg})
}

// LogMessage sends window/logMessage (the editor's log, not a pop-up).
func (c *Conn) LogMessage(t MessageType, msg string) error {
	return c.Notify(c.ctx, MethodLogMessage, MessageParams{Type: t, Message: msg})
}

// Progress sends one $/progress step for token.
func (c *Conn) Progress(token json.RawMessage, v ProgressValue) error {
	if len(token) == 0 {
		return nil
	}
	return c.Notify(c.ctx, MethodProgress, ProgressParams{Token: token, Value: v})
}

// Handle implements jsonrpc2.Handler. It runs on the read loop and never
// blocks: every request continues on its own goroutine.
func (c *Conn) Handle(_ context.Context, jc *jsonrpc2.Conn, req *jsonrpc2.Request) {
	if req.Notif {
		c.handleNotification(req)
		return
	}
	c.observe(req, false)
	if c.tryInline(req) {
		return
	}
	key := req.ID.String()
	c.mu.Lock()
	if _, dup := c.inflight[key]; dup {
		c.running++
		c.mu.Unlock()
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.reply(req.ID, nil, Errorf(CodeInvalidRequest, "invalid request: id %s is already in use by a request in flight", key))
			c.observe(req, true)
			c.doneRunning()
		}()
		return
	}
	ctx, cancel := context.WithCancel(c.ctx)
	r := &inflight{cancel: cancel}
	c.inflight[key] = r
	c.running++
	prev, release := c.lastRelease, make(chan struct{})
	c.lastRelease = release
	c.mu.Unlock()

	c.wg.Add(1)
	go c.run(ctx, req, r, prev, release)
}

func (c *Conn) run(ctx context.Context, req *jsonrpc2.Request, r *inflight, prev <-chan struct{}, release chan struct{}) {
	defer c.wg.Done()
	released := false
	defer func() {
		if !released {
			<-prev // keep the chain: never release before the request ahead
			close(release)
		}
	}()

	select {
	case <-prev:
	case <-ctx.Done():
		c.finish(req, r, nil, errCancelled)
		return
	}

	h, err := c.admit(req.Method)
	if err != nil {
		c.finish(req, r, nil, err)
		return
	}
	if h.mode != Ordered {
		released = true
		close(release)
	}
	var params json.RawMessage
	if req.Params != nil {
		params = *req.Params
	}
	result, err := c.invoke(ctx, req.Method, h.handle, params)
	c.finish(req, r, result, err)
}

// tryInline runs an Inline method on the read loop when nothing ahead of
// it holds the order; it reports whether it did.
func (c *Conn) tryInline(req *jsonrpc2.Request) bool {
	m, ok := c.cfg.Methods.methods[req.Method]
	if !ok || m.mode != Inline {
		return false
	}
	c.mu.Lock()
	prev, state := c.lastRelease, c.state
	_, dup := c.inflight[req.ID.String()]
	c.mu.Unlock()
	if dup || state != stateInitialized {
		return false // the general path gives the answer
	}
	select {
	case <-prev:
	default:
		return false // an ordered request is still running
	}
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	var params json.RawMessage
	if req.Params != nil {
		params = *req.Params
	}
	result, err := c.invoke(ctx, req.Method, m.handle, params)
	c.reply(req.ID, result, err)
	c.observe(req, true)
	return true
}

func (c *Conn) observe(req *jsonrpc2.Request, done bool) {
	if c.cfg.Observe != nil {
		c.cfg.Observe(RequestEvent{ID: appendID(nil, req.ID), Method: req.Method, Done: done})
	}
}

// admit applies the lifecycle rules and finds the handler.
func (c *Conn) admit(name string) (method, error) {
	c.mu.Lock()
	state := c.state
	c.mu.Unlock()
	switch {
	case name == MethodInitialize:
		if state != stateNew {
			return method{}, Errorf(CodeInvalidRequest, "invalid request: initialize was already sent")
		}
		return method{mode: Ordered, handle: c.initialize}, nil
	case state == stateNew:
		return method{}, Errorf(CodeServerNotInitialized, "server not initialized: send initialize first")
	case state == stateShutdown:
		return method{}, Errorf(CodeInvalidRequest, "invalid request: the server is shutting down")
	case name == MethodShutdown:
		return method{mode: Ordered, handle: c.shutdown}, nil
	}
	m, ok := c.cfg.Methods.methods[name]
	if !ok {
		return method{}, Errorf(CodeMethodNotFound, "method not found: %s", name)
	}
	return m, nil
}

// invoke runs a handler, turning a panic into -32603.
func (c *Conn) invoke(ctx context.Context, name string, h HandlerFunc, params json.RawMessage) (result any, err error) {
	defer func() {
		if p := recover(); p != nil {
			c.logger.Error("rpc: handler panicked", "method", name, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			result, err = nil, Errorf(CodeInternalError, "internal error: %s panicked: %v", name, p)
		}
	}()
	return h(ctx, params)
}

func (c *Conn) finish(req *jsonrpc2.Request, r *inflight, result any, err error) {
	key := req.ID.String()
	c.mu.Lock()
	delete(c.inflight, key)
	cancelled := r.cancelled
	c.mu.Unlock()
	r.cancel()
	if cancelled {
		result, err = nil, errCancelled
	}
	c.reply(req.ID, result, err)
	c.observe(req, true)
	c.doneRunning()
}

func (c *Conn) doneRunning() {
	c.mu.Lock()
	c.running--
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

// waitIdle waits until at most except requests are running (a handler
// waiting passes 1 for itself) or ctx ends.
func (c *Conn) waitIdle(ctx context.Context, except int) bool {
	for {
		c.mu.Lock()
		n, ch := c.running, c.changed
		c.mu.Unlock()
		if n <= except {
			return true
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}

// cancelAll cancels every request in flight.
func (c *Conn) cancelAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.inflight {
		r.cancelled = true
		r.cancel()
	}
}

// reply writes the one response to id. It encodes the response itself:
// the library's Reply marshals the result and then re-validates and
// re-compacts it twice, which dominated the cost of small calls.
func (c *Conn) reply(id jsonrpc2.ID, result any, err error) {
	var body []byte
	if err == nil {
		var res []byte
		if res, err = json.Marshal(result); err == nil {
			body = make([]byte, 0, len(res)+48)
			body = append(body, `{"jsonrpc":"2.0","id":`...)
			body = appendID(body, id)
			body = append(body, `,"result":`...)
			body = append(body, res...)
			body = append(body, '}')
		} else {
			err = Errorf(CodeInternalError, "internal error: encoding the result: %v", err)
		}
	}
	if err != nil {
		w := toWire(err, c.cfg.Redact)
		b, merr := json.Marshal(struct {
			JSONRPC string      `json:"jsonrpc"`
			ID      jsonrpc2.ID `json:"id"`
			Error   *WireError  `json:"error"`
		}{"2.0", id, w})
		if merr != nil {
			c.logger.Error("rpc: encoding an error reply", "err", merr)
			return
		}
		body = b
	}
	if sendErr := c.stream.WriteRaw(body); sendErr != nil {
		c.logger.Debug("rpc: sending reply", "id", id.String(), "err", sendErr)
	}
}

func appendID(b []byte, id jsonrpc2.ID) []byte {
	if id.IsString {
		s, _ := json.Marshal(id.Str)
		return append(b, s...)
	}
	return strconv.AppendUint(b, id.Num, 10)
}

func (c *Conn) initialize(ctx context.Context, raw json.RawMessage) (any, error) {
	var p InitializeParams
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &p); err != nil {
			var ute *json.UnmarshalTypeError
			if errors.As(err, &ute) {
				return nil, err
			}
			return nil, &ParamError{Field: "params", Msg: err.Error()}
		}
	}
	return c.initializeWith(ctx, &p)
}

func (c *Conn) initializeWith(ctx context.Context, p *InitializeParams) (any, error) {
	info := ServerInfo{Name: "aliasd"}
	if c.cfg.Initialize != nil {
		var err error
		if info, err = c.cfg.Initialize(ctx, c, p); err != nil {
			return nil, err
		}
	}
	c.mu.Lock()
	if p.ClientInfo != nil {
		c.client = *p.ClientInfo
	}
	c.state = stateInitialized
	c.mu.Unlock()
	notes := c.cfg.Notifications
	if notes == nil {
		notes = []string{}
	}
	return InitializeResult{
		Capabilities: ServerCapabilities{Experimental: ExperimentalCapabilities{
			ProtocolVersion: ProtocolVersion,
			Methods:         c.cfg.Methods.Names(),
			Notifications:   notes,
		}},
		ServerInfo: info,
	}, nil
}

func (c *Conn) shutdown(ctx context.Context, _ json.RawMessage) (any, error) {
	c.mu.Lock()
	c.state = stateShutdown
	c.mu.Unlock()
	// Requests that started before shutdown finish first, within a bound.
	wctx, cancel := context.WithTimeout(ctx, shutdownGrace)
	defer cancel()
	if !c.waitIdle(wctx, 1) {
		c.logger.Warn("rpc: cancelling requests still running at shutdown")
		c.cancelAll()
	}
	if c.cfg.OnShutdown != nil {
		c.cfg.OnShutdown(c)
	}
	return nil, nil
}

func (c *Conn) handleNotification(req *jsonrpc2.Request) {
	switch req.Method {
	case MethodExit:
		// exit takes its place in the order: requests sent before it are
		// answered first.
		c.mu.Lock()
		prev, release := c.lastRelease, make(chan struct{})
		c.lastRelease = release
		c.mu.Unlock()
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			defer close(release)
			<-prev
			c.mu.Lock()
			shut := c.state == stateShutdown
			if shut {
				c.exitCode = 0
			} else {
				c.exitCode = 1
			}
			c.mu.Unlock()
			if !shut {
				c.cancelAll()
			}
			ctx, cancel := context.WithTimeout(context.Background(), eofGrace)
			defer cancel()
			c.waitIdle(ctx, 0)
			c.jc.Close()
		}()
	case MethodCancelRequest:
		var p CancelParams
		if req.Params == nil || json.Unmarshal(*req.Params, &p) != nil {
			c.logger.Debug("rpc: malformed $/cancelRequest ignored")
			return
		}
		key, ok := idKey(p.ID)
		if !ok {
			return
		}
		c.mu.Lock()
		r := c.inflight[key]
		if r != nil {
			r.cancelled = true
		}
		c.mu.Unlock()
		if r != nil {
			r.cancel()
		}
	case MethodInitialized:
	default:
		c.logger.Debug("rpc: notification ignored", "method", req.Method)
	}
}

// idKey renders a raw JSON id the way jsonrpc2.ID.String does.
func idKey(raw json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strconv.Quote(s), true
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		if i, err := n.Int64(); err == nil && i >= 0 {
			return strconv.FormatInt(i, 10), true
		}
	}
	return "", false
}

// slogPrinter adapts the jsonrpc2 library's logger to slog.
type slogPrinter struct{ l *slog.Logger }

func (p slogPrinter) Printf(format string, args ...any) {
	p.l.Debug(fmt.Sprintf(format, args...))
}
