package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/aliasd/aliasd/config"
	"github.com/aliasd/aliasd/internal/testutil"
	"github.com/aliasd/aliasd/rpc"
)

// pipePair is a bidirectional connection from two OS pipes.
type pipePair struct {
	io.Reader
	io.Writer
	closers []io.Closer
}

func (p pipePair) Close() error {
	for _, c := range p.closers {
		c.Close()
	}
	return nil
}

func newPipes(tb testing.TB) (client, server pipePair) {
	r1, w1, err := os.Pipe()
	if err != nil {
		tb.Fatal(err)
	}
	r2, w2, err := os.Pipe()
	if err != nil {
		tb.Fatal(err)
	}
	return pipePair{r2, w1, []io.Closer{w1, r2}}, pipePair{r1, w2, []io.Closer{r1, w2}}
}

func testPaths(tb testing.TB) config.Paths {
	home := tb.TempDir()
	return config.Paths{Home: home, ConfigDir: home, DataDir: filepath.Join(home, "data"), LogDir: filepath.Join(home, "log"), RuntimeDir: filepath.Join(home, "run")}
}

// BenchmarkStatusRoundTrip measures alias/status through the real framing
// and dispatch over OS pipes, interleaved with a raw pipe echo of a frame
// of the same size (the baseline), and reports both medians and the ratio.
func BenchmarkStatusRoundTrip(b *testing.B) {
	d, err := New(Config{Paths: testPaths(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	clientEnd, serverEnd := newPipes(b)
	go d.Serve(context.Background(), serverEnd, serverEnd, serverEnd)
	defer clientEnd.Close()
	// The client side is what an editor does: write a frame, read a frame,
	// decode the result.
	fr := rpc.NewFrameReader(clientEnd, rpc.ReaderOptions{})
	// call returns when the answer to id has arrived; it decodes the
	// envelope and keeps the result raw (decoding the result is the
	// editor's business, not the round trip's).
	call := func(id int, method string, result *json.RawMessage) {
		body := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":%q}`, id, method)
		if err := rpc.WriteFrame(clientEnd, rpc.FramingHeader, []byte(body)); err != nil {
			b.Fatal(err)
		}
		for {
			frame, err := fr.Next()
			if err != nil {
				b.Fatal(err)
			}
			var resp struct {
				ID     *int            `json:"id"`
				Result json.RawMessage `json:"result"`
				Error  *rpc.WireError  `json:"error"`
			}
			if err := json.Unmarshal(frame, &resp); err != nil {
				b.Fatal(err)
			}
			if resp.ID == nil {
				continue // a notification
			}
			if resp.Error != nil || *resp.ID != id {
				b.Fatalf("response %s to id %d", frame, id)
			}
			*result = resp.Result
			return
		}
	}
	var raw json.RawMessage
	call(1, rpc.MethodInitialize, &raw)
	call(2, rpc.MethodStatus, &raw)
	var st rpc.StatusResult
	if err := json.Unmarshal(raw, &st); err != nil || st.ProtocolVersion != rpc.ProtocolVersion {
		b.Fatalf("status = %s (%v)", raw, err)
	}

	// Baseline: a frame the size of a status reply, echoed back by a
	// goroutine through a second pipe.
	echoC, echoS := newPipes(b)
	go io.Copy(echoS, echoS)
	payload := make([]byte, len(raw)+40) // the status reply's size
	back := make([]byte, len(payload))

	testutil.Paired(b, "status", func(i int) { call(i+3, rpc.MethodStatus, &raw) }, "echo", func(int) {
		echoC.Write(payload)
		io.ReadFull(echoC, back)
	})
	echoC.Close()
	echoS.Close()
}
