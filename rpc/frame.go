package rpc

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Framing is how messages are delimited on a stream.
type Framing int

// Framings. A reader starts Unknown and decides on the first byte: '{' or
// '[' means newline-delimited JSON, anything else LSP headers.
const (
	FramingUnknown Framing = iota
	FramingHeader          // Content-Length: N\r\n\r\n{...}
	FramingLine            // {...}\n
)

func (f Framing) String() string {
	switch f {
	case FramingHeader:
		return "content-length"
	case FramingLine:
		return "ndjson"
	}
	return "unknown"
}

// ParseFraming is the inverse of Framing.String; any other text is
// FramingUnknown.
func ParseFraming(s string) Framing {
	switch s {
	case FramingHeader.String():
		return FramingHeader
	case FramingLine.String():
		return FramingLine
	}
	return FramingUnknown
}

// Default frame caps.
const (
	DefaultMaxHeaderLine = 8 << 10
	DefaultMaxBody       = 64 << 20
	maxHeaderLines       = 32
)

// FrameError is a frame that could not be read as a message. The reader
// stays usable: the session answers the frame with a parse error and reads
// on. Resynced is true when the frame's length was unknown and the reader
// skipped input up to the next Content-Length header.
type FrameError struct {
	Msg string
}

func (e *FrameError) Error() string { return "bad frame: " + e.Msg }

// FrameReader reads message bodies from a stream of LSP-framed or
// newline-delimited JSON messages, with caps on header lines and body size.
// It is not safe for concurrent use.
type FrameReader struct {
	r             *bufio.Reader
	maxHeaderLine int
	maxBody       int64
	framing       Framing
	// lost is set when the previous header block gave no usable length:
	// the next read first skips to a Content-Length header.
	lost bool
}

// ReaderOptions configures a FrameReader. Zero values take the defaults.
type ReaderOptions struct {
	MaxHeaderLine int   // longest header line, default 8 KiB
	MaxBody       int64 // largest message body, default 64 MiB
	// Framing forces a framing instead of detecting it.
	Framing Framing
}

// NewFrameReader returns a reader over r.
func NewFrameReader(r io.Reader, opts ReaderOptions) *FrameReader {
	if opts.MaxHeaderLine <= 0 {
		opts.MaxHeaderLine = DefaultMaxHeaderLine
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	return &FrameReader{
		r:             bufio.NewReaderSize(r, 64<<10),
		maxHeaderLine: opts.MaxHeaderLine,
		maxBody:       opts.MaxBody,
		framing:       opts.Framing,
	}
}

// Framing reports the framing in use (FramingUnknown before the first
// message).
func (fr *FrameReader) Framing() Framing { return fr.framing }

// Buffered returns (and consumes) what the reader has read ahead of the
// frames it returned, for handing the rest of the stream to another
// reader.
func (fr *FrameReader) Buffered() []byte {
	b, _ := fr.r.Peek(fr.r.Buffered())
	out := append([]byte(nil), b...)
	fr.r.Discard(len(out))
	return out
}

// Next returns the next message body. It returns io.EOF at a clean end of
// input, io.ErrUnexpectedEOF when input ends inside a frame, and a
// *FrameError for a frame it skipped; after a *FrameError the reader can be
// used again.
func (fr *FrameReader) Next() ([]byte, error) {
	if fr.framing == FramingUnknown {
		if err := fr.detect(); err != nil {
			return nil, err
		}
	}
	if fr.framing == FramingLine {
		return fr.nextLine()
	}
	return fr.nextHeader()
}

func (fr *FrameReader) detect() error {
	for {
		b, err := fr.r.Peek(1)
		if err != nil {
			return err
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			fr.r.ReadByte()
			continue
		case '{', '[':
			fr.framing = FramingLine
		default:
			fr.framing = FramingHeader
		}
		return nil
	}
}

// errLineTooLong marks a line that exceeded its cap and was discarded.
var errLineTooLong = errors.New("line too long")

// readLine reads one line of at most max bytes (excluding the line end),
// without the trailing \n or \r\n. A longer line is consumed to its end and
// reported as errLineTooLong, so the stream stays aligned on lines.
func (fr *FrameReader) readLine(max int64) ([]byte, error) {
	return fr.readLineEOF(max, false)
}

// readLineEOF is readLine; with lastOK a final line without a newline is
// returned as a line instead of io.ErrUnexpectedEOF.
func (fr *FrameReader) readLineEOF(max int64, lastOK bool) ([]byte, error) {
	var line []byte
	tooLong := false
	for {
		chunk, err := fr.r.ReadSlice('\n')
		if !tooLong {
			if int64(len(line)+len(chunk)) > max+2 { // +2 for \r\n
				tooLong = true
				line = nil
			} else {
				line = append(line, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF && lastOK && len(line) > 0 {
				break
			}
			if err == io.EOF && (len(line) > 0 || tooLong) {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		break
	}
	if tooLong {
		return nil, errLineTooLong
	}
	line = bytes.TrimSuffix(line, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if int64(len(line)) > max {
		return nil, errLineTooLong
	}
	return line, nil
}

func (fr *FrameReader) nextLine() ([]byte, error) {
	for {
		line, err := fr.readLineEOF(fr.maxBody, true)
		if err == errLineTooLong {
			return nil, &FrameError{Msg: fmt.Sprintf("message longer than the %d-byte limit", fr.maxBody)}
		}
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		return line, nil
	}
}

func (fr *FrameReader) nextHeader() ([]byte, error) {
	var prefix []byte // a header line found by resynchronising
	if fr.lost {
		line, err := fr.resync()
		if err != nil {
			return nil, err
		}
		fr.lost = false
		prefix = line
	}

	length := int64(-1) // -1: no Content-Length seen
	lengthBad := false  // a Content-Length was unusable: the body length is unknown
	var problem string  // first reason the frame is bad
	bad := func(format string, args ...any) {
		if problem == "" {
			problem = fmt.Sprintf(format, args...)
		}
	}
	lines := 0
	for {
		var line []byte
		var err error
		if prefix != nil {
			line, prefix = prefix, nil
		} else {
			line, err = fr.readLine(int64(fr.maxHeaderLine))
		}
		if err == errLineTooLong {
			bad("header line longer than %d bytes", fr.maxHeaderLine)
			lines++
			continue
		}
		if err != nil {
			if err == io.EOF && lines > 0 {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if len(line) == 0 {
			if lines == 0 {
				continue // blank lines between frames
			}
			break
		}
		lines++
		if lines > maxHeaderLines {
			fr.lost = true
			return nil, &FrameError{Msg: fmt.Sprintf("more than %d header lines", maxHeaderLines)}
		}
		name, value, ok := strings.Cut(string(line), ":")
		if !ok || !validHeaderName(name) {
			bad("malformed header line %q", truncateForError(line))
			continue
		}
		if !strings.EqualFold(name, "Content-Length") {
			continue // Content-Type and unknown headers are ignored
		}
		n, perr := parseLength(strings.TrimSpace(value))
		switch {
		case perr != nil:
			bad("Content-Length %q: %v", truncateForError([]byte(strings.TrimSpace(value))), perr)
			lengthBad = true
		case length >= 0 && n != length:
			bad("duplicate Content-Length headers disagree (%d and %d)", length, n)
			lengthBad = true
		case length >= 0:
			bad("duplicate Content-Length header")
		default:
			length = n
		}
	}

	switch {
	case lengthBad || length < 0:
		fr.lost = true
		if problem == "" {
			problem = "missing Content-Length header"
		}
		return nil, &FrameError{Msg: problem}
	case length > fr.maxBody:
		if _, err := io.CopyN(io.Discard, fr.r, length); err != nil {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, &FrameError{Msg: fmt.Sprintf("Content-Length %d exceeds the %d-byte limit", length, fr.maxBody)}
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(fr.r, body); err != nil {
		return nil, io.ErrUnexpectedEOF
	}
	if problem != "" {
		return nil, &FrameError{Msg: problem}
	}
	return body, nil
}

// resync discards input up to the next "Content-Length:" (any case) and
// returns that header line.
func (fr *FrameReader) resync() ([]byte, error) {
	const needle = "content-length:"
	matched := 0
	for {
		b, err := fr.r.ReadByte()
		if err != nil {
			return nil, err
		}
		c := b
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c == needle[matched] {
			matched++
			if matched == len(needle) {
				rest, err := fr.readLine(int64(fr.maxHeaderLine))
				if err == errLineTooLong {
					return []byte("Content-Length: invalid"), nil
				}
				if err != nil {
					return nil, err
				}
				return append([]byte("Content-Length:"), rest...), nil
			}
			continue
		}
		matched = 0
		if c == needle[0] {
			matched = 1
		}
	}
}

// parseLength accepts a decimal length without sign, spaces or leading "+".
func parseLength(s string) (int64, error) {
	if s == "" {
		return 0, errors.New("empty")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			if c == '-' {
				return 0, errors.New("negative")
			}
			return 0, errors.New("not a number")
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, errors.New("too large")
	}
	return n, nil
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func truncateForError(b []byte) string {
	const max = 40
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}

// WriteFrame writes one message body with the given framing.
func WriteFrame(w io.Writer, f Framing, body []byte) error {
	if f == FramingLine {
		buf := make([]byte, 0, len(body)+1)
		buf = append(buf, body...)
		buf = append(buf, '\n')
		_, err := w.Write(buf)
		return err
	}
	buf := make([]byte, 0, len(body)+32)
	buf = append(buf, "Content-Length: "...)
	buf = strconv.AppendInt(buf, int64(len(body)), 10)
	buf = append(buf, "\r\n\r\n"...)
	buf = append(buf, body...)
	_, err := w.Write(buf)
	return err
}
