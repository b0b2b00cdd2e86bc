package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// rawPeer is the client side of a connection, speaking raw frames so tests
// control every byte.
type rawPeer struct {
	t    *testing.T
	conn net.Conn
	msgs chan map[string]json.RawMessage
}

func newRawPeer(t *testing.T, conn net.Conn) *rawPeer {
	p := &rawPeer{t: t, conn: conn, msgs: make(chan map[string]json.RawMessage, 100)}
	go func() {
		fr := NewFrameReader(conn, ReaderOptions{})
		for {
			b, err := fr.Next()
			if err != nil {
				close(p.msgs)
				return
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(b, &m); err != nil {
				t.Errorf("server wrote a non-JSON frame: %q", b)
			}
			p.msgs <- m
		}
	}()
	return p
}

func (p *rawPeer) send(body string) {
	p.t.Helper()
	if _, err := p.conn.Write([]byte(frame(body))); err != nil {
		p.t.Fatalf("write: %v", err)
	}
}

func (p *rawPeer) request(id int, method, params string) {
	p.t.Helper()
	if params == "" {
		p.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":%q}`, id, method))
		return
	}
	p.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":%q,"params":%s}`, id, method, params))
}

func (p *rawPeer) recv() map[string]json.RawMessage {
	p.t.Helper()
	select {
	case m, ok := <-p.msgs:
		if !ok {
			p.t.Fatal("connection closed while waiting for a message")
		}
		return m
	case <-time.After(10 * time.Second):
		p.t.Fatal("no message within 10s")
	}
	return nil
}

// expectError reads the next message and checks it is an error reply.
func (p *rawPeer) expectError(id string, code int64, mention string) {
	p.t.Helper()
	m := p.recv()
	var e WireError
	if err := json.Unmarshal(m["error"], &e); err != nil || m["error"] == nil {
		p.t.Fatalf("got %s, want error %d", mustJSON(m), code)
	}
	if string(m["id"]) != id || e.Code != code || !strings.Contains(e.Message, mention) {
		p.t.Fatalf("got id %s error %d %q, want id %s error %d mentioning %q", m["id"], e.Code, e.Message, id, code, mention)
	}
}

// expectResult reads the next message and checks it answers id.
func (p *rawPeer) expectResult(id string) json.RawMessage {
	p.t.Helper()
	m := p.recv()
	if string(m["id"]) != id || m["error"] != nil {
		p.t.Fatalf("got %s, want a result for id %s", mustJSON(m), id)
	}
	return m["result"]
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

type typedParams struct {
	Name string `json:"name"`
	N    int    `json:"n"`
}

func (p *typedParams) Validate() error {
	if p.Name == "" {
		return InvalidParam("name", "required")
	}
	return nil
}

// testServer serves a table of test methods on one end of a pipe.
type testServer struct {
	conn    *Conn
	release chan struct{} // closes to let test/block return
	mu      sync.Mutex
	order   []string
	exit    chan int
}

func startTestServer(t *testing.T) (*testServer, *rawPeer) {
	t.Helper()
	serverEnd, clientEnd := net.Pipe()
	ts := &testServer{release: make(chan struct{}), exit: make(chan int, 1)}
	table := NewTable()
	table.Handle("test/echo", Concurrent, func(ctx context.Context, p json.RawMessage) (any, error) {
		return p, nil
	})
	table.Handle("test/block", Concurrent, func(ctx context.Context, p json.RawMessage) (any, error) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-ts.release:
			return "released", nil
		}
	})
	table.Handle("test/ordered", Ordered, func(ctx context.Context, p json.RawMessage) (any, error) {
		var args struct{ Name string }
		json.Unmarshal(p, &args)
		name := args.Name
		ts.mu.Lock()
		ts.order = append(ts.order, "start "+name)
		ts.mu.Unlock()
		if name == "first" {
			select {
			case <-ts.release:
			case <-ctx.Done():
			}
		}
		ts.mu.Lock()
		ts.order = append(ts.order, "end "+name)
		ts.mu.Unlock()
		return name, nil
	})
	table.Handle("test/panic", Concurrent, func(ctx context.Context, p json.RawMessage) (any, error) {
		panic("boom")
	})
	table.Handle("test/callback", Concurrent, func(ctx context.Context, p json.RawMessage) (any, error) {
		var answer string
		err := ConnFromContext(ctx).Call(ctx, "client/ping", map[string]string{"q": "ping"}, &answer)
		return answer, err
	})
	Register(table, "test/typed", Concurrent, func(ctx context.Context, p *typedParams) (string, error) {
		return fmt.Sprintf("%s:%d", p.Name, p.N), nil
	})
	stream := NewStream(serverEnd, serverEnd, StreamOptions{Closer: serverEnd})
	ts.conn = Serve(context.Background(), stream, ServerConfig{Methods: table})
	go func() { ts.exit <- ts.conn.Wait() }()
	t.Cleanup(func() { clientEnd.Close(); serverEnd.Close() })
	return ts, newRawPeer(t, clientEnd)
}

func initialize(p *rawPeer) {
	p.request(1, MethodInitialize, `{"clientInfo":{"name":"test"}}`)
	p.expectResult("1")
	p.send(`{"jsonrpc":"2.0","method":"initialized","params":{}}`)
}

func TestLifecycleGate(t *testing.T) {
	_, p := startTestServer(t)
	p.request(1, "test/echo", `{}`)
	p.expectError("1", CodeServerNotInitialized, "not initialized")
	p.request(2, MethodInitialize, `{"clientInfo":{"name":"test"}}`)
	res := p.expectResult("2")
	var ir InitializeResult
	if err := json.Unmarshal(res, &ir); err != nil {
		t.Fatal(err)
	}
	if ir.Capabilities.Experimental.ProtocolVersion != ProtocolVersion || !strings.Contains(strings.Join(ir.Capabilities.Experimental.Methods, ","), "test/echo") {
		t.Errorf("initialize capabilities = %+v, want protocol %d and the methods", ir.Capabilities.Experimental, ProtocolVersion)
	}
	p.request(3, MethodInitialize, `{}`)
	p.expectError("3", CodeInvalidRequest, "already")
}

func TestBadMessages(t *testing.T) {
	_, p := startTestServer(t)
	initialize(p)
	tests := []struct {
		name    string
		send    string
		id      string
		code    int64
		mention string
	}{
		{"not json", `{"jsonrpc":`, "null", CodeParseError, "not valid JSON"},
		{"not a request", `{"jsonrpc":"2.0","id":5}`, "5", CodeInvalidRequest, "no \"method\""},
		{"batch", `[{"jsonrpc":"2.0","id":6,"method":"test/echo"}]`, "null", CodeInvalidRequest, "batch"},
		{"unknown method", `{"jsonrpc":"2.0","id":7,"method":"nope"}`, "7", CodeMethodNotFound, "nope"},
		{"bad param type", `{"jsonrpc":"2.0","id":8,"method":"test/typed","params":{"name":"a","n":"x"}}`, "8", CodeInvalidParams, "n"},
		{"missing param", `{"jsonrpc":"2.0","id":9,"method":"test/typed","params":{}}`, "9", CodeInvalidParams, "name"},
		{"positional params", `{"jsonrpc":"2.0","id":10,"method":"test/typed","params":[1]}`, "10", CodeInvalidParams, "object"},
		{"panic", `{"jsonrpc":"2.0","id":11,"method":"test/panic"}`, "11", CodeInternalError, "boom"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.send(tt.send)
			p.expectError(tt.id, tt.code, tt.mention)
			// The session is alive and answers the next valid request.
			id := 100 + i
			p.request(id, "test/typed", `{"name":"ok","n":1}`)
			if got := string(p.expectResult(fmt.Sprint(id))); got != `"ok:1"` {
				t.Errorf("next request result = %s, want \"ok:1\"", got)
			}
		})
	}
}

func TestNotificationsNotAnswered(t *testing.T) {
	_, p := startTestServer(t)
	initialize(p)
	p.send(`{"jsonrpc":"2.0","method":"test/echo","params":{}}`)
	p.send(`{"jsonrpc":"2.0","method":"$/setTrace","params":{"value":"off"}}`)
	p.request(2, "test/echo", `{"a":1}`)
	if got := string(p.expectResult("2")); got != `{"a":1}` {
		t.Errorf("echo = %s", got)
	}
}

func TestSlowHandlerDoesNotStall(t *testing.T) {
	ts, p := startTestServer(t)
	initialize(p)
	p.request(2, "test/block", "")
	p.request(3, "test/echo", `[1]`)
	p.expectResult("3") // answered while 2 still blocks
	close(ts.release)
	if got := string(p.expectResult("2")); got != `"released"` {
		t.Errorf("blocked request result = %s", got)
	}
}

func TestOrderedMethodsRunInOrder(t *testing.T) {
	ts, p := startTestServer(t)
	initialize(p)
	p.request(2, "test/ordered", `{"name":"first"}`)
	p.request(3, "test/ordered", `{"name":"second"}`)
	p.request(4, "test/echo", `{}`) // waits for the ordered ones: it came after them
	time.Sleep(50 * time.Millisecond)
	close(ts.release)
	for _, id := range []string{"2", "3", "4"} {
		p.expectResult(id)
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if got := strings.Join(ts.order, ","); got != "start first,end first,start second,end second" {
		t.Errorf("order = %s", got)
	}
}

func TestCancelRequest(t *testing.T) {
	_, p := startTestServer(t)
	initialize(p)
	p.request(7, "test/block", "")
	p.send(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":7}}`)
	p.expectError("7", CodeRequestCancelled, "cancelled")
	// Cancelling it again, or an unknown id, is ignored; exactly one reply.
	p.send(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":7}}`)
	p.send(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"nope"}}`)
	p.request(8, "test/echo", `{}`)
	p.expectResult("8")
}

func TestCancelStringID(t *testing.T) {
	_, p := startTestServer(t)
	initialize(p)
	p.send(`{"jsonrpc":"2.0","id":"abc","method":"test/block"}`)
	p.send(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"abc"}}`)
	p.expectError(`"abc"`, CodeRequestCancelled, "cancelled")
}

func TestDuplicateInFlightID(t *testing.T) {
	ts, p := startTestServer(t)
	initialize(p)
	p.request(5, "test/block", "")
	p.request(5, "test/echo", `{}`)
	p.expectError("5", CodeInvalidRequest, "already in use")
	close(ts.release)
	p.expectResult("5")
}

func TestHandlerCallsBackIntoClient(t *testing.T) {
	_, p := startTestServer(t)
	initialize(p)
	p.request(2, "test/callback", "")
	m := p.recv()
	var method string
	json.Unmarshal(m["method"], &method)
	if method != "client/ping" {
		t.Fatalf("server sent %s, want a client/ping request", mustJSON(m))
	}
	p.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":"pong"}`, m["id"]))
	if got := string(p.expectResult("2")); got != `"pong"` {
		t.Errorf("callback result = %s, want \"pong\"", got)
	}
}

func TestShutdownExit(t *testing.T) {
	ts, p := startTestServer(t)
	initialize(p)
	p.request(2, MethodShutdown, "")
	p.expectResult("2")
	p.request(3, "test/echo", `{}`)
	p.expectError("3", CodeInvalidRequest, "shutting down")
	p.send(`{"jsonrpc":"2.0","method":"exit"}`)
	select {
	case code := <-ts.exit:
		if code != 0 {
			t.Errorf("exit after shutdown = %d, want 0", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no exit")
	}
}

func TestExitWithoutShutdown(t *testing.T) {
	ts, p := startTestServer(t)
	initialize(p)
	p.send(`{"jsonrpc":"2.0","method":"exit"}`)
	select {
	case code := <-ts.exit:
		if code != 1 {
			t.Errorf("exit without shutdown = %d, want 1", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no exit")
	}
}

func TestClientCallAndCancel(t *testing.T) {
	serverEnd, clientEnd := net.Pipe()
	defer serverEnd.Close()
	table := NewTable()
	started := make(chan struct{})
	table.Handle("test/block", Concurrent, func(ctx context.Context, _ json.RawMessage) (any, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	})
	table.Handle("test/echo", Concurrent, func(ctx context.Context, p json.RawMessage) (any, error) { return p, nil })
	conn := Serve(context.Background(), NewStream(serverEnd, serverEnd, StreamOptions{Closer: serverEnd}), ServerConfig{Methods: table})
	c := NewClient(clientEnd, ClientOptions{})
	defer c.Close()
	ctx := context.Background()
	if _, err := c.Initialize(ctx, ClientInfo{Name: "go-test"}); err != nil {
		t.Fatal(err)
	}
	if got := conn.Client().Name; got != "go-test" {
		t.Errorf("server saw client %q, want go-test", got)
	}
	var out map[string]int
	if err := c.Call(ctx, "test/echo", map[string]int{"a": 1}, &out); err != nil || out["a"] != 1 {
		t.Fatalf("echo = %v, %v", out, err)
	}
	err := c.Call(ctx, "nope", nil, nil)
	var rpcErr *Error
	if !errors.As(err, &rpcErr) || rpcErr.Code != CodeMethodNotFound {
		t.Fatalf("unknown method error = %v, want *Error -32601", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Call(cctx, "test/block", nil, nil) }()
	<-started
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call = %v", err)
	}
	// The server got $/cancelRequest: its handler ended, and the session works.
	if err := c.Call(ctx, "test/echo", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if code := conn.Wait(); code != 0 {
		t.Errorf("exit code = %d", code)
	}
}

// TestInlineWaitsForOrderedRequests: an Inline method answers at once on a
// quiet connection, and after an ordered request still running it keeps
// its place in the order.
func TestInlineWaitsForOrderedRequests(t *testing.T) {
	serverEnd, clientEnd := net.Pipe()
	t.Cleanup(func() { clientEnd.Close(); serverEnd.Close() })
	release := make(chan struct{})
	var mu sync.Mutex
	var order []string
	table := NewTable()
	table.Handle("test/slowOrdered", Ordered, func(ctx context.Context, _ json.RawMessage) (any, error) {
		<-release
		mu.Lock()
		order = append(order, "ordered")
		mu.Unlock()
		return "ordered", nil
	})
	table.Handle("test/inline", Inline, func(ctx context.Context, _ json.RawMessage) (any, error) {
		mu.Lock()
		order = append(order, "inline")
		mu.Unlock()
		return "inline", nil
	})
	Serve(context.Background(), NewStream(serverEnd, serverEnd, StreamOptions{Closer: serverEnd}), ServerConfig{Methods: table})
	p := newRawPeer(t, clientEnd)
	p.request(1, MethodInitialize, `{}`)
	p.expectResult("1")
	p.request(2, "test/inline", "")
	p.expectResult("2")
	p.request(3, "test/slowOrdered", "")
	p.request(4, "test/inline", "")
	time.Sleep(50 * time.Millisecond)
	close(release)
	p.expectResult("3")
	p.expectResult("4")
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(order, ","); got != "inline,ordered,inline" {
		t.Errorf("order = %s, want inline,ordered,inline", got)
	}
}

// TestNotify checks the frames Notify writes itself: params encoded once
// and whole, none when nil, a method name that needs escaping escaped, an
// encoding error returned without a frame, and nothing once the
// connection has ended.
func TestNotify(t *testing.T) {
	ts, p := startTestServer(t)
	initialize(p)
	if err := ts.conn.Notify(context.Background(), "test/note", typedParams{Name: `a"b`, N: 3}); err != nil {
		t.Fatal(err)
	}
	m := p.recv()
	var got typedParams
	if err := json.Unmarshal(m["params"], &got); err != nil || got.Name != `a"b` || got.N != 3 || string(m["method"]) != `"test/note"` || m["id"] != nil || string(m["jsonrpc"]) != `"2.0"` {
		t.Errorf("notification = %s (%v)", mustJSON(m), err)
	}
	if err := ts.conn.Notify(context.Background(), `odd "name"`, nil); err != nil {
		t.Fatal(err)
	}
	m = p.recv()
	if _, ok := m["params"]; ok || string(m["method"]) != `"odd \"name\""` {
		t.Errorf("notification without params = %s", mustJSON(m))
	}
	if err := ts.conn.Notify(context.Background(), "test/bad", func() {}); err == nil || !strings.Contains(err.Error(), "test/bad") {
		t.Errorf("Notify with unencodable params = %v, want an error naming the method", err)
	}
	p.send(`{"jsonrpc":"2.0","method":"exit"}`)
	<-ts.exit
	if err := ts.conn.Notify(context.Background(), "test/late", nil); err == nil {
		t.Error("Notify after the connection ended = nil, want an error")
	}
	// The frame after the encoding error, if any, would be test/bad or
	// test/late; the peer must have seen neither.
	select {
	case m, ok := <-p.msgs:
		if ok {
			t.Errorf("unexpected frame %s", mustJSON(m))
		}
	case <-time.After(100 * time.Millisecond):
	}
}
