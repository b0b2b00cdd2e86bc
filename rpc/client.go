package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"

	"github.com/sourcegraph/jsonrpc2"
)

// ClientOptions configures NewClient. Everything is optional.
type ClientOptions struct {
	// OnNotify receives server→client notifications. It runs on the read
	// loop: it must not block or call back into the client.
	OnNotify func(method string, params json.RawMessage)
	Logger   *slog.Logger
	Reader   ReaderOptions
}

// Client is a small JSON-RPC client for aliasd, used by the CLI, the relay
// and tests. It speaks Content-Length framing.
type Client struct {
	jc  *jsonrpc2.Conn
	seq atomic.Uint64
}

// NewClient starts a client on rwc; Close closes rwc.
func NewClient(rwc io.ReadWriteCloser, opts ClientOptions) *Client {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	stream := NewStream(rwc, rwc, StreamOptions{Reader: opts.Reader, Closer: rwc, Logger: logger})
	h := clientHandler{onNotify: opts.OnNotify}
	c := &Client{}
	c.jc = jsonrpc2.NewConn(context.Background(), stream, h, jsonrpc2.SetLogger(slogPrinter{logger}))
	return c
}

type clientHandler struct {
	onNotify func(string, json.RawMessage)
}

func (h clientHandler) Handle(ctx context.Context, jc *jsonrpc2.Conn, req *jsonrpc2.Request) {
	var params json.RawMessage
	if req.Params != nil {
		params = *req.Params
	}
	if req.Notif {
		if h.onNotify != nil {
			h.onNotify(req.Method, params)
		}
		return
	}
	// Server→client requests (window/workDoneProgress/create, ...): accept.
	go jc.Reply(context.Background(), req.ID, nil)
}

// Call sends a request and decodes its result into result (which may be
// nil). A JSON-RPC error comes back as *Error. When ctx ends first, the
// client sends $/cancelRequest and returns ctx.Err().
func (c *Client) Call(ctx context.Context, method string, params, result any) error {
	id := jsonrpc2.ID{Num: c.seq.Add(1)}
	w, err := c.jc.DispatchCall(ctx, method, params, jsonrpc2.PickID(id))
	if err != nil {
		return err
	}
	err = w.Wait(ctx, result)
	if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		_ = c.jc.Notify(context.Background(), MethodCancelRequest, CancelParams{ID: json.RawMessage(id.String())})
		return err
	}
	var je *jsonrpc2.Error
	if errors.As(err, &je) {
		e := &Error{Code: je.Code, Message: je.Message}
		if je.Data != nil {
			e.Data = *je.Data
		}
		return e
	}
	return err
}

// Notify sends a notification.
func (c *Client) Notify(ctx context.Context, method string, params any) error {
	return c.jc.Notify(ctx, method, params)
}

// Initialize runs the initialize/initialized handshake.
func (c *Client) Initialize(ctx context.Context, info ClientInfo) (*InitializeResult, error) {
	return c.InitializeWith(ctx, InitializeParams{ClientInfo: &info})
}

// InitializeWith runs the handshake with full params.
func (c *Client) InitializeWith(ctx context.Context, p InitializeParams) (*InitializeResult, error) {
	var res InitializeResult
	if err := c.Call(ctx, MethodInitialize, p, &res); err != nil {
		return nil, err
	}
	if err := c.Notify(ctx, MethodInitialized, struct{}{}); err != nil {
		return nil, err
	}
	return &res, nil
}

// Shutdown sends shutdown then exit.
func (c *Client) Shutdown(ctx context.Context) error {
	if err := c.Call(ctx, MethodShutdown, nil, nil); err != nil {
		return err
	}
	return c.Notify(ctx, MethodExit, nil)
}

// Done is closed when the connection ends.
func (c *Client) Done() <-chan struct{} { return c.jc.DisconnectNotify() }

// Close closes the connection.
func (c *Client) Close() error { return c.jc.Close() }
