package daemon

import (
	"context"
	"time"

	"github.com/aliasd/aliasd/rpc"
)

type sleepParams struct {
	Ms int `json:"ms"`
}

// registerTestHooks adds methods that exist only when ALIASD_TEST_HOOKS=1:
// the end-to-end tests use them to show that a panic or a slow handler in
// the real binary leaves the session alive.
func (d *Daemon) registerTestHooks() {
	rpc.Register(d.table, "aliasd/test/panic", rpc.Concurrent, func(ctx context.Context, _ *struct{}) (any, error) {
		panic("test hook panic")
	})
	rpc.Register(d.table, "aliasd/test/sleep", rpc.Concurrent, func(ctx context.Context, p *sleepParams) (string, error) {
		select {
		case <-time.After(time.Duration(p.Ms) * time.Millisecond):
			return "slept", nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	})
}
