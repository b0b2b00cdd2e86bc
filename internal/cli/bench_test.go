package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliasd/aliasd/history"
	"github.com/aliasd/aliasd/internal/testutil"
	"github.com/aliasd/aliasd/rpc"
	"github.com/aliasd/aliasd/store"
)

// rawStdio is an editor-like client of one aliasd stdio process: it writes
// a frame and reads the answer, nothing in between.
type rawStdio struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	fr  *rpc.FrameReader
}

func startRaw(b *testing.B, home string, args ...string) *rawStdio {
	cmd := exec.Command(testutil.Aliasd(b), args...)
	cmd.Env = testutil.Env(home)
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	r := &rawStdio{cmd: cmd, in: in, fr: rpc.NewFrameReader(out, rpc.ReaderOptions{})}
	b.Cleanup(func() { in.Close(); cmd.Wait() })
	return r
}

func (r *rawStdio) call(b *testing.B, id int, method string) {
	body := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":%q}`, id, method)
	if err := rpc.WriteFrame(r.in, rpc.FramingHeader, []byte(body)); err != nil {
		b.Fatal(err)
	}
	for {
		frame, err := r.fr.Next()
		if err != nil {
			b.Fatal(err)
		}
		var resp struct {
			ID     *int            `json:"id"`
			Result json.RawMessage `json:"result"`
		}
		if json.Unmarshal(frame, &resp) != nil || resp.ID == nil {
			continue
		}
		if *resp.ID != id || resp.Result == nil {
			b.Fatalf("answer %s to %d", frame, id)
		}
		var st rpc.StatusResult
		json.Unmarshal(resp.Result, &st)
		return
	}
}

// BenchmarkRelayVsStandalone measures alias/status through "aliasd stdio"
// relayed to the shared daemon, interleaved with the same call to
// "aliasd stdio --standalone", and reports both medians and the ratio.
func BenchmarkRelayVsStandalone(b *testing.B) {
	home := b.TempDir()
	os.WriteFile(filepath.Join(home, "config.toml"), []byte("[daemon]\nidle_timeout = \"10s\"\n"), 0o600)
	b.Cleanup(func() { testutil.StopDaemons(b, home) })
	standaloneHome := b.TempDir()
	relay := startRaw(b, home, "stdio")
	standalone := startRaw(b, standaloneHome, "stdio", "--standalone")
	relay.call(b, 1, "initialize")
	standalone.call(b, 1, "initialize")
	for i := 0; i < 50; i++ { // warm up both paths
		relay.call(b, 2, "alias/status")
		standalone.call(b, 2, "alias/status")
	}
	testutil.Paired(b, "relay", func(i int) { relay.call(b, i+10, "alias/status") },
		"standalone", func(i int) { standalone.call(b, i+10, "alias/status") })
}

// buildHistory fills a fresh ALIASD_HOME with n history entries through
// the history package's public Append (64 concurrent writers), and closes
// the store cleanly.
func buildHistory(b *testing.B, home string, n int) {
	b.Helper()
	st, err := store.Open(store.Options{Path: filepath.Join(home, "data", "aliasd.db")})
	if err != nil {
		b.Fatal(err)
	}
	h, err := history.Open(history.Config{DB: st.DB(), MaxEntries: n + 1, PruneInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	body := strings.Repeat(`{"catalog_items":[{"catalog_id":"dunk-low","name":"Dunk Low"}]}`, 8)
	var wg sync.WaitGroup
	var next atomic.Int64
	start := time.Now()
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				status := 200
				if i%10 == 0 {
					status = 404
				}
				d := &rpc.HistoryDetail{
					HistoryEntry: rpc.HistoryEntry{Time: start.Add(time.Duration(i) * time.Millisecond), Method: "GET", Path: "/api/v1/catalog", Query: "query=dunk",
						Status: status, RequestID: fmt.Sprintf("bench-%08d", i), Cache: rpc.CacheMiss, Attempts: 1},
					Response: rpc.HTTPMessage{Body: body, Size: int64(len(body))},
				}
				if _, err := h.Append(context.Background(), d); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	h.Close()
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %d entries in %v", n, time.Since(start).Round(time.Second))
}

// BenchmarkStartLargeHistory measures the real binary from exec to its
// initialize reply, with a history of ALIASD_BENCH_HISTORY entries
// (default 1 000 000) beside an empty home, interleaved in the same run.
func BenchmarkStartLargeHistory(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a large history")
	}
	n := 1_000_000
	if v := os.Getenv("ALIASD_BENCH_HISTORY"); v != "" {
		fmt.Sscanf(v, "%d", &n)
	}
	big := largeHistory(b, n)
	empty := b.TempDir()
	// Both daemons keep a history of that size: with the default cap of
	// 100 000 entries the large one would start pruning at once.
	keep := fmt.Sprintf("[history]\nmax_entries = %d\n", 2*n)
	for _, home := range []string{big, empty} {
		if err := os.WriteFile(filepath.Join(home, "config.toml"), []byte(keep), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	startOnce := func(home string) time.Duration {
		t0 := time.Now()
		cmd := exec.Command(testutil.Aliasd(b), "stdio", "--standalone")
		cmd.Env = testutil.Env(home)
		in, _ := cmd.StdinPipe()
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		rpc.WriteFrame(in, rpc.FramingHeader, []byte(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`))
		if _, err := rpc.NewFrameReader(out, rpc.ReaderOptions{}).Next(); err != nil {
			b.Fatal(err)
		}
		d := time.Since(t0)
		in.Close()
		cmd.Wait()
		return d
	}
	startOnce(big) // first open after the build
	startOnce(empty)
	var tb, te []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tb = append(tb, startOnce(big))
		te = append(te, startOnce(empty))
	}
	b.StopTimer()
	mb, me := testutil.Median(tb), testutil.Median(te)
	b.ReportMetric(float64(mb.Microseconds()), "large-median-us")
	b.ReportMetric(float64(me.Microseconds()), "empty-median-us")
	b.ReportMetric(float64(mb)/float64(me), "ratio")
	if fi, err := os.Stat(filepath.Join(big, "data", "aliasd.db")); err == nil {
		b.ReportMetric(float64(fi.Size())/float64(n), "db-bytes/entry")
	}
}

// The large history is built once per test process (the benchmark function
// runs more than once) and removed by TestMain.
var (
	largeOnce sync.Once
	largeDir  string
)

func largeHistory(b *testing.B, n int) string {
	largeOnce.Do(func() {
		dir, err := os.MkdirTemp("", "aliasd-bench-history-")
		if err != nil {
			b.Fatal(err)
		}
		largeDir = dir
		buildHistory(b, dir, n)
	})
	return largeDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if largeDir != "" {
		os.RemoveAll(largeDir)
	}
	os.Exit(code)
}
