package rpc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func frame(body string) string {
	return fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body)
}

const okBody = `{"jsonrpc":"2.0","id":9,"method":"alias/status"}`

// readAll drains a FrameReader, recording bodies and frame errors in order.
func readAll(t *testing.T, fr *FrameReader) (bodies []string, frameErrs []string, end error) {
	t.Helper()
	for i := 0; i < 100; i++ {
		b, err := fr.Next()
		var fe *FrameError
		switch {
		case errors.As(err, &fe):
			frameErrs = append(frameErrs, fe.Msg)
		case err != nil:
			return bodies, frameErrs, err
		default:
			bodies = append(bodies, string(b))
		}
	}
	t.Fatal("reader did not reach the end of input")
	return
}

func TestFrameReader(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	tests := []struct {
		name    string
		in      string
		opts    ReaderOptions
		bodies  []string // bodies delivered, in order
		errs    []string // substrings of frame errors, in order
		wantEnd error
	}{
		{name: "one frame", in: frame(okBody), bodies: []string{okBody}, wantEnd: io.EOF},
		{name: "LF line endings", in: "Content-Length: 48\n\n" + okBody, bodies: []string{okBody}, wantEnd: io.EOF},
		{name: "header name case", in: "content-LENGTH: 48\r\n\r\n" + okBody, bodies: []string{okBody}, wantEnd: io.EOF},
		{name: "content type ignored", in: "Content-Length: 48\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" + okBody, bodies: []string{okBody}, wantEnd: io.EOF},
		{name: "two frames in one write", in: frame(okBody) + frame(okBody), bodies: []string{okBody, okBody}, wantEnd: io.EOF},
		{name: "missing Content-Length", in: "Content-Type: x\r\n\r\n" + okBody + frame(okBody), bodies: []string{okBody}, errs: []string{"missing Content-Length"}, wantEnd: io.EOF},
		{name: "duplicate equal Content-Length", in: "Content-Length: 48\r\nContent-Length: 48\r\n\r\n" + okBody + frame(okBody), bodies: []string{okBody}, errs: []string{"duplicate Content-Length"}, wantEnd: io.EOF},
		{name: "duplicate different Content-Length", in: "Content-Length: 48\r\nContent-Length: 12\r\n\r\n" + okBody + frame(okBody), bodies: []string{okBody}, errs: []string{"disagree"}, wantEnd: io.EOF},
		{name: "non-numeric Content-Length", in: "Content-Length: abc\r\n\r\n" + okBody + frame(okBody), bodies: []string{okBody}, errs: []string{"not a number"}, wantEnd: io.EOF},
		{name: "negative Content-Length", in: "Content-Length: -5\r\n\r\n" + okBody + frame(okBody), bodies: []string{okBody}, errs: []string{"negative"}, wantEnd: io.EOF},
		{name: "zero Content-Length", in: "Content-Length: 0\r\n\r\n" + frame(okBody), bodies: []string{"", okBody}, wantEnd: io.EOF},
		{name: "over-cap Content-Length", in: "Content-Length: 100\r\n\r\n" + strings.Repeat("a", 100) + frame(okBody), opts: ReaderOptions{MaxBody: 64}, bodies: []string{okBody}, errs: []string{"exceeds"}, wantEnd: io.EOF},
		{name: "huge Content-Length", in: "Content-Length: 99999999999999999999999\r\n\r\n" + frame(okBody), bodies: []string{okBody}, errs: []string{"too large"}, wantEnd: io.EOF},
		{name: "body shorter than length then EOF", in: "Content-Length: 100\r\n\r\n{\"jsonrpc\"", wantEnd: io.ErrUnexpectedEOF},
		{name: "header then EOF", in: "Content-Length: 100\r\n", wantEnd: io.ErrUnexpectedEOF},
		{name: "1 MiB header line", in: "X-Junk: " + long + "\r\nContent-Length: 48\r\n\r\n" + okBody + frame(okBody), bodies: []string{okBody}, errs: []string{"header line longer"}, wantEnd: io.EOF},
		{name: "malformed header line", in: "this is not a header\r\nContent-Length: 48\r\n\r\n" + okBody + frame(okBody), bodies: []string{okBody}, errs: []string{"malformed header"}, wantEnd: io.EOF},
		{name: "too many header lines", in: strings.Repeat("X-A: b\r\n", 40) + "\r\n" + frame(okBody), bodies: []string{okBody}, errs: []string{"header lines"}, wantEnd: io.EOF},
		{name: "empty input", in: "", wantEnd: io.EOF},
		{name: "ndjson", in: okBody + "\n" + okBody + "\n", bodies: []string{okBody, okBody}, wantEnd: io.EOF},
		{name: "ndjson CRLF and blank lines", in: okBody + "\r\n\r\n\n" + okBody, bodies: []string{okBody, okBody}, wantEnd: io.EOF},
		{name: "ndjson over-cap line", in: okBody + strings.Repeat(" ", 100) + "\n" + okBody + "\n", opts: ReaderOptions{MaxBody: 64}, bodies: []string{okBody}, errs: []string{"longer than"}, wantEnd: io.EOF},
		{name: "ndjson non-JSON line passes to the decoder", in: "{nope\n" + okBody + "\n", bodies: []string{"{nope", okBody}, wantEnd: io.EOF},
		{name: "leading whitespace before ndjson", in: "\n\n  " + okBody + "\n", bodies: []string{okBody}, wantEnd: io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fr := NewFrameReader(strings.NewReader(tt.in), tt.opts)
			bodies, errs, end := readAll(t, fr)
			if fmt.Sprint(bodies) != fmt.Sprint(tt.bodies) {
				t.Errorf("bodies = %q, want %q", bodies, tt.bodies)
			}
			if len(errs) != len(tt.errs) {
				t.Fatalf("frame errors = %q, want %d matching %q", errs, len(tt.errs), tt.errs)
			}
			for i := range errs {
				if !strings.Contains(errs[i], tt.errs[i]) {
					t.Errorf("frame error %d = %q, want it to mention %q", i, errs[i], tt.errs[i])
				}
			}
			if end != tt.wantEnd {
				t.Errorf("end = %v, want %v", end, tt.wantEnd)
			}
		})
	}
}

// oneByteReader delivers its input one byte per Read.
type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}

func TestFrameReaderByteByByte(t *testing.T) {
	for _, in := range []string{frame(okBody) + frame(okBody), okBody + "\n" + okBody + "\n"} {
		fr := NewFrameReader(oneByteReader{strings.NewReader(in)}, ReaderOptions{})
		bodies, errs, end := readAll(t, fr)
		if len(bodies) != 2 || bodies[0] != okBody || bodies[1] != okBody || len(errs) != 0 || end != io.EOF {
			t.Errorf("split input %q: bodies %q errs %q end %v, want two intact bodies", in[:20], bodies, errs, end)
		}
	}
}

func TestWriteFrameRoundTrip(t *testing.T) {
	for _, f := range []Framing{FramingHeader, FramingLine} {
		var buf bytes.Buffer
		for i := 0; i < 3; i++ {
			if err := WriteFrame(&buf, f, []byte(okBody)); err != nil {
				t.Fatal(err)
			}
		}
		fr := NewFrameReader(&buf, ReaderOptions{})
		bodies, errs, _ := readAll(t, fr)
		if len(bodies) != 3 || len(errs) != 0 || fr.Framing() != f {
			t.Errorf("%v: read back %d bodies, %d errors, framing %v", f, len(bodies), len(errs), fr.Framing())
		}
	}
}

func TestCheckMessage(t *testing.T) {
	tests := []struct {
		name string
		body string
		code int64
		id   string
	}{
		{"request", `{"jsonrpc":"2.0","id":1,"method":"x"}`, 0, ""},
		{"string id", `{"jsonrpc":"2.0","id":"a","method":"x","params":{}}`, 0, ""},
		{"notification", `{"jsonrpc":"2.0","method":"x","params":[]}`, 0, ""},
		{"response", `{"jsonrpc":"2.0","id":3,"result":null}`, 0, ""},
		{"not json", `{"jsonrpc"`, CodeParseError, ""},
		{"empty", ``, CodeParseError, ""},
		{"batch", `[{"jsonrpc":"2.0","id":1,"method":"x"}]`, CodeInvalidRequest, ""},
		{"empty batch", `[ ]`, CodeInvalidRequest, ""},
		{"scalar", `42`, CodeInvalidRequest, ""},
		{"no jsonrpc", `{"id":1,"method":"x"}`, CodeInvalidRequest, "1"},
		{"wrong jsonrpc", `{"jsonrpc":"1.0","id":1,"method":"x"}`, CodeInvalidRequest, "1"},
		{"method not string", `{"jsonrpc":"2.0","id":2,"method":7}`, CodeInvalidRequest, "2"},
		{"params scalar", `{"jsonrpc":"2.0","id":2,"method":"x","params":5}`, CodeInvalidRequest, "2"},
		{"fractional id", `{"jsonrpc":"2.0","id":1.5,"method":"x"}`, CodeInvalidRequest, ""},
		{"negative id", `{"jsonrpc":"2.0","id":-1,"method":"x"}`, CodeInvalidRequest, ""},
		{"object id", `{"jsonrpc":"2.0","id":{},"method":"x"}`, CodeInvalidRequest, ""},
		{"null id request", `{"jsonrpc":"2.0","id":null,"method":"x"}`, CodeInvalidRequest, ""},
		{"neither", `{"jsonrpc":"2.0","id":4}`, CodeInvalidRequest, "4"},
		{"both", `{"jsonrpc":"2.0","id":4,"method":"x","result":1}`, CodeInvalidRequest, "4"},
		{"null id response dropped", `{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"m"}}`, codeDrop, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, code, msg := checkMessage([]byte(tt.body))
			if code != tt.code {
				t.Fatalf("checkMessage(%s) code = %d (%s), want %d", tt.body, code, msg, tt.code)
			}
			if string(id) != tt.id {
				t.Errorf("checkMessage(%s) id = %s, want %q", tt.body, id, tt.id)
			}
		})
	}
}

// FuzzFrameReader feeds arbitrary bytes to the reader: it must never
// panic, never return a body larger than the cap, and always reach the end.
func FuzzFrameReader(f *testing.F) {
	f.Add([]byte(frame(okBody)))
	f.Add([]byte(okBody + "\n"))
	f.Add([]byte("Content-Length: 5\r\n\r\n{}{}{"))
	f.Fuzz(func(t *testing.T, in []byte) {
		const maxBody = 1 << 10
		fr := NewFrameReader(bytes.NewReader(in), ReaderOptions{MaxBody: maxBody, MaxHeaderLine: 256})
		for i := 0; i <= len(in)+1; i++ {
			b, err := fr.Next()
			if len(b) > maxBody {
				t.Fatalf("body of %d bytes exceeds the cap", len(b))
			}
			var fe *FrameError
			if err != nil && !errors.As(err, &fe) {
				return
			}
			if err == nil {
				// Whatever came through must survive validation without panic.
				checkMessage(b)
			}
		}
		t.Fatalf("reader did not finish %d bytes of input", len(in))
	})
}
