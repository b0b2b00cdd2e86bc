package cli_test

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aliasd/aliasd/internal/testutil"
	"github.com/aliasd/aliasd/rpc"
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
	rt := make([]time.Duration, 0, b.N)
	st := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		relay.call(b, i+10, "alias/status")
		t1 := time.Now()
		standalone.call(b, i+10, "alias/status")
		t2 := time.Now()
		rt = append(rt, t1.Sub(t0))
		st = append(st, t2.Sub(t1))
	}
	b.StopTimer()
	slices.Sort(rt)
	slices.Sort(st)
	mr, ms := rt[len(rt)/2], st[len(st)/2]
	b.ReportMetric(float64(mr.Nanoseconds()), "relay-median-ns")
	b.ReportMetric(float64(ms.Nanoseconds()), "standalone-median-ns")
	b.ReportMetric(float64(mr)/float64(ms), "ratio")
}
