package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/aliasd/aliasd/rpc"
)

// TestStuckClientDoesNotStallOthers: one session stops reading right after
// initialize (net.Pipe has no buffer, so every write to it blocks), while
// another makes more calls than a session's outbox holds. Every call of
// the second session is answered; the stuck one, once it reads again, gets
// the notifications that fitted in its queue, in order, and no more.
func TestStuckClientDoesNotStallOthers(t *testing.T) {
	e := newEnv(t, envOptions{})

	serverEnd, stuck := net.Pipe()
	served := make(chan struct{})
	go func() {
		defer close(served)
		e.d.Serve(context.Background(), serverEnd, serverEnd, serverEnd)
	}()
	init, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": rpc.MethodInitialize, "params": rpc.InitializeParams{ClientInfo: &rpc.ClientInfo{Name: "stuck"}}})
	if err := rpc.WriteFrame(stuck, rpc.FramingHeader, init); err != nil {
		t.Fatal(err)
	}
	fr := rpc.NewFrameReader(stuck, rpc.ReaderOptions{})
	for {
		frame, err := fr.Next()
		if err != nil {
			t.Fatal(err)
		}
		var m struct{ ID *int }
		if json.Unmarshal(frame, &m) == nil && m.ID != nil {
			break // the initialize reply; from here on nothing is read
		}
	}

	s := e.connect("busy")
	s.addToken(t, "default", e.tokens[0])
	calls := outboxSize + 200
	for i := range calls {
		res := s.request(t, rpc.RequestParams{Method: "GET", Path: "/test", Cache: rpc.CacheNoCache})
		if res.Status != 200 || res.HistoryID == "" {
			t.Fatalf("call %d: status %d, history id %q", i, res.Status, res.HistoryID)
		}
	}

	// The stuck client reads again: its queued notifications arrive in
	// order, then nothing more (the rest were dropped for it).
	var ids []string
	for {
		stuck.SetReadDeadline(time.Now().Add(time.Second))
		frame, err := fr.Next()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			Method string
			Params rpc.HistoryAppendedParams
		}
		if json.Unmarshal(frame, &m) == nil && m.Method == rpc.NotifyHistoryAppended {
			ids = append(ids, m.Params.Entry.ID)
		}
	}
	if len(ids) == 0 || len(ids) > outboxSize+1 || len(ids) >= calls {
		t.Errorf("stuck client got %d appended notifications after %d calls; want 1..%d (its queue, plus one being written)", len(ids), calls, outboxSize+1)
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Fatalf("notification %d (%s) after %s: out of order", i, ids[i], ids[i-1])
		}
	}
	t.Logf("%d calls answered while a client was stuck; it received %d notifications", calls, len(ids))
	stuck.Close()
	<-served
}
