package daemon

import (
	"context"
	"log/slog"
	"sync/atomic"

	"github.com/aliasd/aliasd/rpc"
)

// outboxSize is how many broadcast notifications a session may have
// waiting; past it, new ones are dropped for that session.
const outboxSize = 1024

// outbox delivers one session's broadcast notifications, in order, from a
// goroutine of its own. A call answers without waiting for any client to
// read its notifications, and a client that stops reading (a paused
// editor, a full pipe) fills only its own queue, never stalling the calls
// of other sessions.
type outbox struct {
	ch      chan pendingNote
	stop    chan struct{} // closed when the session ends
	dropped atomic.Bool   // set on a drop, cleared by the next delivery; logs once per stall
}

type pendingNote struct {
	method string
	params any
}

func newOutbox() *outbox {
	return &outbox{ch: make(chan pendingNote, outboxSize), stop: make(chan struct{})}
}

// run sends queued notifications on c until the session ends.
func (o *outbox) run(ctx context.Context, c *rpc.Conn, log *slog.Logger) {
	for {
		select {
		case n := <-o.ch:
			if err := c.Notify(ctx, n.method, n.params); err != nil {
				log.Debug("notification failed", "method", n.method, "err", err)
			}
		case <-o.stop:
			return
		}
	}
}

// post queues n without blocking. When the queue is full n is dropped,
// and post reports true for the first drop of a stall.
func (o *outbox) post(n pendingNote) (firstDrop bool) {
	select {
	case o.ch <- n:
		o.dropped.Store(false)
		return false
	default:
		return !o.dropped.Swap(true)
	}
}
