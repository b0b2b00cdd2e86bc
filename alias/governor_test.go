package alias

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliasd/aliasd/rpc"
)

// tokens is a TokenSource with several profiles ("" = "a").
type tokens map[string]Credential

func (m tokens) Credential(_ context.Context, p string) (Credential, error) {
	if p == "" {
		p = "a"
	}
	c, ok := m[p]
	if !ok {
		return Credential{}, errors.New("no such profile")
	}
	return c, nil
}

func TestGovernorSlowsAfter429AndIsShared(t *testing.T) {
	var n atomic.Int32
	_, base := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 5 {
			writeAPIError(w, 429, 8, "too many requests")
			return
		}
		writeJSON(w, "ok", map[string]any{"ok": true})
	})
	src := tokens{"a": {Profile: "a", Secret: fakeToken(t), Fingerprint: "fp-a"}, "b": {Profile: "b", Secret: fakeToken(t), Fingerprint: "fp-b"}}
	env := newEnv(t, base, func(c *Config) {
		c.Tokens = src
		c.Retry.MaxAttempts = 1
		c.Governor = GovernorConfig{Rate: 1000, Burst: 50, RecoverAfter: time.Hour}
	})
	var wg sync.WaitGroup
	var notes sync.Map
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				r, err := env.c.Do(context.Background(), Call{Method: "GET", Path: "/test"})
				if err != nil {
					t.Error(err)
					return
				}
				if r.Status == 429 {
					notes.Store(r.GovernorNote, r.Diagnostic)
				}
			}
		}()
	}
	wg.Wait()
	count := 0
	notes.Range(func(k, v any) bool {
		count++
		if k.(string) != "slowed to 500 req/s for this token" {
			t.Errorf("GovernorNote = %q, want %q", k, "slowed to 500 req/s for this token")
		}
		if d := v.(*rpc.Diagnostic); d == nil || d.Class != DiagRateLimited || !strings.Contains(d.Hint, "slowed to 500 req/s") {
			t.Errorf("429 diagnostic = %+v, want rate_limited naming what the governor did", d)
		}
		return true
	})
	if count != 1 {
		t.Fatalf("saw %d distinct 429 notes, want 1", count)
	}
	st := env.c.Governors()
	if len(st) != 1 || st[0].Fingerprint != "fp-a" || st[0].Rate != 500 || !st[0].Limited || st[0].Burst != 1 || st[0].Last429 == "" {
		t.Fatalf("Governors() = %+v, want one fp-a governor at 500 req/s, limited", st)
	}
	// Another token has its own governor at full speed.
	if _, err := env.c.Do(context.Background(), Call{Method: "GET", Path: "/test", Profile: "b"}); err != nil {
		t.Fatal(err)
	}
	st = env.c.Governors()
	if len(st) != 2 || st[1].Fingerprint != "fp-b" || st[1].Rate != 1000 || st[1].Limited {
		t.Fatalf("Governors() = %+v, want fp-b at 1000 req/s beside fp-a", st)
	}
}

func TestGovernorQueuesCallers(t *testing.T) {
	var hits atomic.Int32
	_, base := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		writeJSON(w, "ok", map[string]any{"ok": true})
	})
	env := newEnv(t, base, func(c *Config) { c.Governor = GovernorConfig{Rate: 0.01, Burst: 1} }) // one call per 100 s
	if r := env.do(t, Call{Method: "GET", Path: "/test"}); r.Status != 200 {
		t.Fatalf("first call: status %d", r.Status)
	}
	t.Run("deadline before the next turn", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r, err := env.c.Do(ctx, Call{Method: "GET", Path: "/test"})
		if err != nil || r.Status != 0 || r.NetClass != NetTimeout || r.Attempts != 0 {
			t.Fatalf("Do = %+v, %v; want a status-0 timeout with no attempt", r, err)
		}
	})
	t.Run("queued callers are visible and cancellable", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		results := make(chan *Response, 3)
		for i := 0; i < 3; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, _ := env.c.Do(ctx, Call{Method: "GET", Path: "/test"})
				results <- r
			}()
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			st := env.c.Governors()
			if len(st) == 1 && st[0].Queued == 3 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("Governors() = %+v, want 3 queued", st)
			}
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
		wg.Wait()
		close(results)
		for r := range results {
			if r.Status != 0 || r.NetClass != NetCanceled || r.Attempts != 0 {
				t.Errorf("queued call after cancel: status %d class %q attempts %d", r.Status, r.NetClass, r.Attempts)
			}
		}
		if hits.Load() != 1 {
			t.Errorf("server saw %d requests, want only the first", hits.Load())
		}
	})
}

func TestGovernorSteps(t *testing.T) {
	gs := newGovernors(GovernorConfig{Rate: 100, Burst: 10, MinRate: 40, RecoverAfter: 10 * time.Second, RecoverFactor: 1.5})
	g := gs.get("fp")
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		name string
		do   func() string
		rate float64
		note string
	}{
		{"first 429 halves", func() string { return g.on429(t0) }, 50, "slowed to 50 req/s for this token"},
		{"429 in flight at the change", func() string { return g.on429(t0.Add(300 * time.Millisecond)) }, 50, "already slowed to 50 req/s for this token"},
		{"next 429 stops at the floor", func() string { return g.on429(t0.Add(2 * time.Second)) }, 40, "slowed to 40 req/s for this token"},
		{"floor holds", func() string { return g.on429(t0.Add(4 * time.Second)) }, 40, "already at the floor of 40 req/s for this token"},
		{"success too soon", func() string { g.onSuccess(t0.Add(5 * time.Second)); return "" }, 40, ""},
		{"quiet success recovers a step", func() string { g.onSuccess(t0.Add(15 * time.Second)); return "" }, 60, ""},
		{"next step waits again", func() string { g.onSuccess(t0.Add(16 * time.Second)); return "" }, 60, ""},
		{"second step", func() string { g.onSuccess(t0.Add(26 * time.Second)); return "" }, 90, ""},
		{"capped at the rate", func() string { g.onSuccess(t0.Add(37 * time.Second)); return "" }, 100, ""},
	}
	for _, s := range steps {
		note := s.do()
		st := g.state()
		if st.Rate != s.rate || note != s.note {
			t.Fatalf("%s: rate %v note %q, want %v %q", s.name, st.Rate, note, s.rate, s.note)
		}
	}
	if st := g.state(); st.Limited || st.Burst != 10 || st.Reason != "" {
		t.Errorf("after recovery: %+v, want not limited, burst 10", st)
	}
	if off := newGovernors(GovernorConfig{Disabled: true}); off.get("x") != nil || len(off.states()) != 0 {
		t.Error("a disabled governor keeps state")
	}
}
