package cache

import (
	"context"
	"errors"
)

// flight is one shared upstream fetch. Its context is detached from any
// single caller and cancelled when the last waiter has gone.
type flight struct {
	ctx     context.Context
	cancel  context.CancelFunc
	waiters int // guarded by Cache.flightMu
}

// errFlightCanceled is what waiters of a flight see when the flight was
// cancelled because every earlier waiter left; a waiter that is still
// interested starts a new flight.
var errFlightCanceled = errors.New("shared fetch cancelled")

// join runs work once for all concurrent callers with the same key
// (singleflight) and waits for it or for ctx, whichever ends first. shared
// reports whether the outcome went to more than one caller.
func (c *Cache) join(ctx context.Context, key string, work func(context.Context) (*outcome, error)) (out *outcome, shared bool, err error) {
	for {
		c.flightMu.Lock()
		f := c.flights[key]
		if f == nil {
			fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
			f = &flight{ctx: fctx, cancel: cancel}
			c.flights[key] = f
		}
		f.waiters++
		c.flightMu.Unlock()

		ch := c.group.DoChan(key, func() (any, error) {
			defer c.forget(key, f)
			out, err := work(f.ctx)
			if err != nil && f.ctx.Err() != nil {
				return nil, errFlightCanceled
			}
			return out, err
		})
		select {
		case r := <-ch:
			c.leave(key, f)
			if errors.Is(r.Err, errFlightCanceled) && ctx.Err() == nil {
				continue
			}
			if ctx.Err() != nil {
				return nil, false, ctx.Err()
			}
			if r.Err != nil {
				return nil, r.Shared, r.Err
			}
			return r.Val.(*outcome), r.Shared, nil
		case <-ctx.Done():
			c.leave(key, f)
			return nil, false, ctx.Err()
		}
	}
}

// leave drops one waiter; the last one out cancels the flight.
func (c *Cache) leave(key string, f *flight) {
	c.flightMu.Lock()
	defer c.flightMu.Unlock()
	f.waiters--
	if f.waiters == 0 {
		f.cancel()
		if c.flights[key] == f {
			delete(c.flights, key)
		}
	}
}

// forget removes a finished flight so that the next caller starts afresh.
func (c *Cache) forget(key string, f *flight) {
	c.flightMu.Lock()
	defer c.flightMu.Unlock()
	if c.flights[key] == f {
		delete(c.flights, key)
	}
}
