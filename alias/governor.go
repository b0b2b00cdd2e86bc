package alias

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/aliasd/aliasd/rpc"
)

// GovernorConfig tunes the per-token rate governor. Zero fields take the
// defaults, which do not slow normal interactive use.
type GovernorConfig struct {
	Rate  float64 // requests per second per token, default 10
	Burst int     // bucket size, default 20
	// MinRate is the floor a run of 429s cannot push the rate below,
	// default 0.5 req/s.
	MinRate float64
	// RecoverAfter is how long a token must see no 429 before each step back
	// up towards Rate, default 10s.
	RecoverAfter time.Duration
	// RecoverFactor multiplies the rate at each recovery step, default 1.5.
	RecoverFactor float64
	// Disabled turns the governor off (no waiting, no state).
	Disabled bool
}

func (c GovernorConfig) withDefaults() GovernorConfig {
	if c.Rate <= 0 {
		c.Rate = 10
	}
	if c.Burst <= 0 {
		c.Burst = 20
	}
	if c.MinRate <= 0 {
		c.MinRate = 0.5
	}
	if c.MinRate > c.Rate {
		c.MinRate = c.Rate
	}
	if c.RecoverAfter <= 0 {
		c.RecoverAfter = 10 * time.Second
	}
	if c.RecoverFactor <= 1 {
		c.RecoverFactor = 1.5
	}
	return c
}

// penaltyWindow keeps the 429s of requests that were already in flight when
// the rate was halved from halving it again.
const penaltyWindow = time.Second

// governors holds one governor per token fingerprint.
type governors struct {
	cfg GovernorConfig
	mu  sync.Mutex // guards m
	m   map[string]*governor
}

func newGovernors(cfg GovernorConfig) *governors {
	return &governors{cfg: cfg.withDefaults(), m: make(map[string]*governor)}
}

// get returns the governor of a fingerprint, creating it on first use. It
// returns nil when the governor is disabled.
func (gs *governors) get(fp string) *governor {
	if gs.cfg.Disabled {
		return nil
	}
	gs.mu.Lock()
	defer gs.mu.Unlock()
	g := gs.m[fp]
	if g == nil {
		g = &governor{
			fp:   fp,
			cfg:  gs.cfg,
			lim:  rate.NewLimiter(rate.Limit(gs.cfg.Rate), gs.cfg.Burst),
			rate: gs.cfg.Rate,
		}
		gs.m[fp] = g
	}
	return g
}

func (gs *governors) states() []rpc.GovernorState {
	gs.mu.Lock()
	list := make([]*governor, 0, len(gs.m))
	for _, g := range gs.m {
		list = append(list, g)
	}
	gs.mu.Unlock()
	out := make([]rpc.GovernorState, 0, len(list))
	for _, g := range list {
		out = append(out, g.state())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Fingerprint < out[j].Fingerprint })
	return out
}

// governor is the adaptive limiter of one token: a 429 halves its rate down
// to MinRate and empties its bucket; quiet successes raise it again.
type governor struct {
	fp     string
	cfg    GovernorConfig
	lim    *rate.Limiter // safe for concurrent use on its own
	queued atomic.Int64  // callers inside wait

	mu         sync.Mutex // guards rate, last429, lastChange, reason
	rate       float64
	last429    time.Time
	lastChange time.Time
	reason     string
}

// wait blocks until the token may send, or ctx is done. It returns how long
// the caller queued.
func (g *governor) wait(ctx context.Context) (time.Duration, error) {
	if g == nil {
		return 0, nil
	}
	start := time.Now()
	g.queued.Add(1)
	defer g.queued.Add(-1)
	err := g.lim.Wait(ctx)
	return time.Since(start), err
}

// on429 slows the token down and returns a note saying what it did.
func (g *governor) on429(now time.Time) string {
	if g == nil {
		return "rate governor disabled"
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.last429 = now
	if !g.lastChange.IsZero() && now.Sub(g.lastChange) < penaltyWindow && g.rate < g.cfg.Rate {
		return "already slowed to " + fmtRate(g.rate) + " for this token"
	}
	if g.rate <= g.cfg.MinRate {
		g.lastChange = now
		g.lim.SetBurstAt(now, 1)
		return "already at the floor of " + fmtRate(g.rate) + " for this token"
	}
	g.rate = max(g.cfg.MinRate, g.rate/2)
	g.lastChange = now
	g.reason = "429 at " + now.UTC().Format(time.RFC3339) + ": slowed to " + fmtRate(g.rate)
	g.lim.SetLimitAt(now, rate.Limit(g.rate))
	g.lim.SetBurstAt(now, 1) // callers now queue one by one
	return "slowed to " + fmtRate(g.rate) + " for this token"
}

// onSuccess steps the rate back up after RecoverAfter without a 429.
func (g *governor) onSuccess(now time.Time) {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.rate >= g.cfg.Rate || now.Sub(g.lastChange) < g.cfg.RecoverAfter || now.Sub(g.last429) < g.cfg.RecoverAfter {
		return
	}
	g.rate = min(g.cfg.Rate, g.rate*g.cfg.RecoverFactor)
	g.lastChange = now
	g.lim.SetLimitAt(now, rate.Limit(g.rate))
	if g.rate >= g.cfg.Rate {
		g.lim.SetBurstAt(now, g.cfg.Burst)
		g.reason = ""
	} else {
		g.reason = "recovering after a 429: " + fmtRate(g.rate)
	}
}

func (g *governor) state() rpc.GovernorState {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := rpc.GovernorState{
		Fingerprint: g.fp,
		Rate:        g.rate,
		Burst:       g.lim.Burst(),
		Limited:     g.rate < g.cfg.Rate,
		Queued:      int(g.queued.Load()),
		Reason:      g.reason,
	}
	if !g.last429.IsZero() {
		s.Last429 = g.last429.UTC().Format(time.RFC3339)
	}
	return s
}

func fmtRate(r float64) string {
	return strconv.FormatFloat(math.Round(r*1000)/1000, 'f', -1, 64) + " req/s"
}

// queueNote describes a long wait in the governor's queue.
func queueNote(d time.Duration) string {
	if d < 100*time.Millisecond {
		return ""
	}
	return fmt.Sprintf("waited %s in the rate governor's queue", d.Round(time.Millisecond))
}
