package rpc

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
)

// TestValueSetBeforeFirstMessage: a server that hangs per-session state on
// the connection must find it in the handler of the very first message,
// which jsonrpc2 may read as soon as the connection exists.
func TestValueSetBeforeFirstMessage(t *testing.T) {
	type state struct{ name string }
	for i := 0; i < 50; i++ {
		want := &state{name: "session"}
		in := strings.NewReader(frame(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`))
		var out bytes.Buffer
		var mu sync.Mutex // guards got
		var got any
		c := Serve(context.Background(), NewStream(in, &lockedBuffer{b: &out}, StreamOptions{}), ServerConfig{
			Methods: NewTable(),
			Value:   want,
			Initialize: func(ctx context.Context, c *Conn, p *InitializeParams) (ServerInfo, error) {
				mu.Lock()
				got = c.Value()
				mu.Unlock()
				return ServerInfo{Name: "test"}, nil
			},
		})
		c.Wait()
		mu.Lock()
		if got != want {
			t.Fatalf("run %d: Value() in the first handler = %v, want the ServerConfig.Value %v", i, got, want)
		}
		mu.Unlock()
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
