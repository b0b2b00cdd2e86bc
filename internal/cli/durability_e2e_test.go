package cli_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aliasd/aliasd/alias/mock"
	"github.com/aliasd/aliasd/internal/testutil"
	"github.com/aliasd/aliasd/rpc"
)

// TestHistoryDurableAcrossKill9 checks "acknowledged ⇒ durable" on the
// real shared daemon: clients on its socket keep 64 alias/request calls in
// flight (cache misses and hits, API errors, a slow mock) and the daemon is
// killed with SIGKILL at a random moment, 20 times over one ALIASD_HOME.
// After each kill the bbolt file passes a full check, and a new daemon
// finds every call whose result reached a client in the history.
func TestHistoryDurableAcrossKill9(t *testing.T) {
	const (
		rounds   = 20
		clients  = 4
		inFlight = 16 // per client: 64 in all
	)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	tok := fakeToken(t, "goatapi_")
	_, base := mock.StartTest(t, mock.Config{Tokens: []mock.TokenSpec{{Token: tok}}, Seed: 1, Latency: 3 * time.Millisecond})

	// The rate governor is opened wide so that the calls reach the mock
	// and the history concurrently, rather than queue for their turn.
	home := sharedHome(t, fmt.Sprintf("base_url = %q\ntoken_storage = \"file\"\n[http]\nrate_limit = 100000.0\nrate_burst = 1000\n[daemon]\nidle_timeout = \"30s\"\n", base))
	env := testutil.Env(home)

	var acked []string // history ids of every answered call, all rounds
	verify := func(round int, ids []string) {
		t.Helper()
		c := socketClient(t, home, "verifier", tok, nil)
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		var st rpc.StatusResult
		if err := c.Call(ctx, rpc.MethodStatus, nil, &st); err != nil {
			t.Fatal(err)
		}
		if len(st.Warnings) > 0 {
			t.Fatalf("round %d: the restarted daemon warns %q, want no warning (a damaged file is quarantined with one)", round, st.Warnings)
		}
		for _, id := range ids {
			var det rpc.HistoryDetail
			if err := c.Call(ctx, rpc.MethodHistoryGet, rpc.HistoryGetParams{ID: id}, &det); err != nil {
				t.Fatalf("round %d: history/get %s after the restart = %v; want the entry (its result reached a client before the kill)", round, id, err)
			}
			if det.ID != id {
				t.Fatalf("round %d: history/get %s returned entry %s", round, id, det.ID)
			}
		}
	}

	var pending []string // answered in the previous round, verified at the next start
	for round := 1; round <= rounds; round++ {
		d := startServe(t, home, env)
		verify(round, pending)

		var (
			mu       sync.Mutex // guards answered
			answered []string
			noID     atomic.Int64 // answered without a history id
			calls    atomic.Int64
			wg       sync.WaitGroup
		)
		firstAnswer := make(chan struct{})
		var once sync.Once
		for ci := 0; ci < clients; ci++ {
			c := socketClient(t, home, fmt.Sprintf("burst-%d", ci), tok, nil)
			for w := 0; w < inFlight; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
					defer cancel()
					for n := 0; ; n++ {
						p := burstRequest(ci, w, n, round)
						calls.Add(1)
						var res rpc.RequestResult
						if err := c.Call(ctx, rpc.MethodRequest, p, &res); err != nil {
							return // the daemon is gone (or the call was refused): not acknowledged
						}
						if res.HistoryID == "" {
							noID.Add(1)
							continue
						}
						mu.Lock()
						answered = append(answered, res.HistoryID)
						mu.Unlock()
						once.Do(func() { close(firstAnswer) })
					}
				}()
			}
		}
		select {
		case <-firstAnswer:
		case <-time.After(60 * time.Second):
			t.Fatalf("round %d: no call answered within 60s; log:\n%s", round, readLog(home))
		}
		time.Sleep(time.Duration(rng.IntN(400)) * time.Millisecond)
		if err := syscall.Kill(d.pid(), syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-d.done
		waitOrFail(t, &wg, 60*time.Second, fmt.Sprintf("round %d: clients still waiting 60s after the kill", round))

		if n := noID.Load(); n > 0 {
			t.Fatalf("round %d: %d answered calls carry no history id (not recorded, yet acknowledged)", round, n)
		}
		mu.Lock()
		pending = answered
		mu.Unlock()
		acked = append(acked, pending...)
		t.Logf("round %d: %d calls sent, %d answered before the kill", round, calls.Load(), len(pending))
		// The file as the kill left it: no daemon holds it now.
		checkStoreFile(t, home)
	}

	// The last round's calls, then every call of every round, through a new
	// daemon; then the file once more after a clean stop.
	d := startServe(t, home, env)
	verify(rounds+1, pending)
	c := socketClient(t, home, "counter", tok, nil)
	ids := map[string]bool{}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for cursor := ""; ; {
		var page rpc.HistoryListResult
		if err := c.Call(ctx, rpc.MethodHistoryList, rpc.HistoryListParams{Limit: 1000, Cursor: cursor}, &page); err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Entries {
			ids[e.ID] = true
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	missing := 0
	for _, id := range acked {
		if !ids[id] {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged calls are not in the history list", missing, len(acked))
	}
	c.Close()
	d.stop(syscall.SIGTERM)
	checkStoreFile(t, home)
	// The daemon answers from its journal and folds into bbolt after: the
	// restarts replayed what the kills caught unfolded.
	replayed := 0
	for _, m := range regexp.MustCompile(`replayed the journal.*replayed=(\d+)`).FindAllStringSubmatch(readLog(home), -1) {
		n, _ := strconv.Atoi(m[1])
		replayed += n
	}
	t.Logf("%d acknowledged calls over %d kills, all in the history (%d entries); %d entries came back from the journal", len(acked), rounds, len(ids), replayed)
}

// burstRequest varies the calls of a burst: cache misses (a new query
// each time), cache hits, an API error (404) and the token check.
func burstRequest(client, worker, n, round int) rpc.RequestParams {
	switch n % 4 {
	case 0:
		return rpc.RequestParams{Method: "GET", Path: "/catalog", Query: map[string]any{"query": fmt.Sprintf("r%d-c%d-w%d-n%d", round, client, worker, n), "limit": 2}}
	case 1:
		return rpc.RequestParams{Method: "GET", Path: "/catalog/dunk-low-black-white-dd1391-100"}
	case 2:
		return rpc.RequestParams{Method: "GET", Path: "/catalog/" + fmt.Sprintf("missing-%d-%d", worker, n)}
	default:
		return rpc.RequestParams{Method: "GET", Path: "/test", Cache: rpc.CacheNoCache}
	}
}

func waitOrFail(t *testing.T, wg *sync.WaitGroup, d time.Duration, msg string) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatal(msg)
	}
}
