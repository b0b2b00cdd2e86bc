package rpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strconv"
	"sync"

	"github.com/sourcegraph/jsonrpc2"
)

// Stream is a jsonrpc2.ObjectStream over a FrameReader and a writer. It
// validates every incoming message before the jsonrpc2 library sees it:
// the library closes the connection on anything it cannot decode, so a
// frame that is not JSON, not an object, or not a valid request or
// response is answered here with -32700 or -32600 and the stream reads on.
//
// Replies use the framing the peer used; before the peer has sent anything
// they use Content-Length headers.
type Stream struct {
	fr     *FrameReader
	closer io.Closer
	logger *slog.Logger
	trace  bool
	redact func(string) string

	wmu sync.Mutex // guards w and writes of whole frames
	w   io.Writer

	// onEOF, if set, runs before ReadObject reports the end of input.
	onEOF func()
	// deliver, if set, receives incoming requests and notifications on the
	// read loop (the server's dispatcher); responses still go to the
	// library, which matches them to the calls it made.
	deliver func(*jsonrpc2.Request)
	// ready, if set, holds reading back until the server is wired up.
	ready chan struct{}
}

// StreamOptions configures a Stream. Everything is optional.
type StreamOptions struct {
	Reader ReaderOptions
	// Closer is closed by Close (e.g. the connection or stdin/stdout).
	Closer io.Closer
	Logger *slog.Logger
	// Trace logs every frame in and out (redacted) at debug level.
	Trace bool
	// Redact scrubs secrets from traced frames.
	Redact func(string) string
}

// NewStream returns a Stream reading from r and writing to w.
func NewStream(r io.Reader, w io.Writer, opts StreamOptions) *Stream {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	redact := opts.Redact
	if redact == nil {
		redact = func(s string) string { return s }
	}
	return &Stream{
		fr:     NewFrameReader(r, opts.Reader),
		w:      w,
		closer: opts.Closer,
		logger: logger,
		trace:  opts.Trace,
		redact: redact,
	}
}

// Framing reports the peer's framing.
func (s *Stream) Framing() Framing { return s.fr.Framing() }

// WriteObject implements jsonrpc2.ObjectStream.
func (s *Stream) WriteObject(obj any) error {
	var body []byte
	var err error
	if m, ok := obj.(json.Marshaler); ok {
		// The library's messages marshal themselves into compact JSON;
		// calling them directly skips json.Marshal's second validation pass.
		body, err = m.MarshalJSON()
	} else {
		body, err = json.Marshal(obj)
	}
	if err != nil {
		return err
	}
	return s.WriteRaw(body)
}

// WriteRaw writes one already-encoded message.
func (s *Stream) WriteRaw(body []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	f := s.fr.Framing()
	if f == FramingUnknown {
		f = FramingHeader
	}
	if s.trace {
		s.logger.Debug("rpc send", "frame", s.redact(string(body)))
	}
	return WriteFrame(s.w, f, body)
}

// ReadObject implements jsonrpc2.ObjectStream. It returns only messages
// the jsonrpc2 library can decode; everything else is answered here.
func (s *Stream) ReadObject(v any) error {
	if s.ready != nil {
		<-s.ready
	}
	for {
		body, err := s.fr.Next()
		var fe *FrameError
		switch {
		case errors.As(err, &fe):
			s.logger.Warn("rpc: bad frame", "err", fe.Msg)
			s.replyError(nil, CodeParseError, "parse error: "+fe.Msg)
			continue
		case err == io.ErrUnexpectedEOF:
			s.logger.Warn("rpc: input ended inside a frame")
			s.replyError(nil, CodeParseError, "parse error: input ended inside a frame")
			s.atEOF()
			return io.EOF
		case err != nil:
			s.atEOF()
			return err
		}
		if s.trace {
			s.logger.Debug("rpc recv", "frame", s.redact(string(body)))
		}
		m, id, code, msg := parseMessage(body)
		if code != 0 {
			s.logger.Warn("rpc: rejected message", "code", code, "err", msg)
			if code == codeDrop {
				continue
			}
			s.replyError(id, code, msg)
			continue
		}
		if m.Method != nil && s.deliver != nil {
			// A request: hand it over from this one decoding instead of
			// letting the library decode it three more times.
			s.deliver(m.request())
			continue
		}
		if err := json.Unmarshal(body, v); err != nil {
			// checkMessage accepts only what the library decodes; reaching
			// here is a bug, but the session must survive it.
			s.logger.Error("rpc: message passed checks but failed to decode", "err", err)
			s.replyError(nil, CodeParseError, "parse error: "+err.Error())
			continue
		}
		return nil
	}
}

func (s *Stream) atEOF() {
	if s.onEOF != nil {
		s.onEOF()
	}
}

// Close implements jsonrpc2.ObjectStream.
func (s *Stream) Close() error {
	if s.closer != nil {
		return s.closer.Close()
	}
	return nil
}

// replyError writes an error response with a raw id (nil = null).
func (s *Stream) replyError(id json.RawMessage, code int64, msg string) {
	if id == nil {
		id = json.RawMessage("null")
	}
	body, _ := json.Marshal(struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   WireError       `json:"error"`
	}{"2.0", id, WireError{Code: code, Message: msg}})
	if err := s.WriteRaw(body); err != nil {
		s.logger.Debug("rpc: writing error reply", "err", err)
	}
}

// WireError is a JSON-RPC error object.
type WireError struct {
	Code    int64           `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// codeDrop marks a message that is logged and dropped without an answer.
const codeDrop = 1

// wireMessage holds the members of one message, undecoded. A member sent
// as null holds the bytes "null"; an absent one is nil.
type wireMessage struct {
	JSONRPC json.RawMessage `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  json.RawMessage `json:"method"`
	Params  json.RawMessage `json:"params"`
	Result  json.RawMessage `json:"result"`
	Error   json.RawMessage `json:"error"`
}

// checkMessage validates one message body. It returns code 0 when the
// jsonrpc2 library can take the message; otherwise the code and message of
// the error to answer, and the request's id when one could be read.
func checkMessage(body []byte) (id json.RawMessage, code int64, msg string) {
	_, id, code, msg = parseMessage(body)
	return id, code, msg
}

// parseMessage is checkMessage that also returns the decoded members.
func parseMessage(body []byte) (m *wireMessage, id json.RawMessage, code int64, msg string) {
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) > 0 && trimmed[0] == '[':
		if !json.Valid(trimmed) {
			return nil, nil, CodeParseError, "parse error: the message is not valid JSON"
		}
		if bytes.Equal(bytes.Join(bytes.Fields(trimmed), nil), []byte("[]")) {
			return nil, nil, CodeInvalidRequest, "invalid request: empty batch"
		}
		return nil, nil, CodeInvalidRequest, "invalid request: batches are not supported; send one message per frame"
	case len(trimmed) == 0 || trimmed[0] != '{':
		if !json.Valid(trimmed) {
			return nil, nil, CodeParseError, "parse error: the message is not valid JSON"
		}
		return nil, nil, CodeInvalidRequest, "invalid request: a message must be a JSON object"
	}
	// One decoding pass validates the JSON and picks out the members.
	m = new(wireMessage)
	if err := json.Unmarshal(trimmed, m); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, nil, CodeParseError, "parse error: the message is not valid JSON"
		}
		return nil, nil, CodeParseError, "parse error: " + err.Error()
	}
	// A member given as null decodes to the bytes "null"; an absent one
	// stays nil.
	rawID, hasID := m.ID, m.ID != nil
	if hasID {
		if err := checkID(rawID); err != nil {
			return nil, nil, CodeInvalidRequest, "invalid request: " + err.Error()
		}
		id = rawID
	}
	if string(m.JSONRPC) != `"2.0"` {
		return nil, id, CodeInvalidRequest, `invalid request: "jsonrpc" must be "2.0"`
	}
	isRequest, hasResult, hasError := m.Method != nil, m.Result != nil, m.Error != nil
	switch {
	case isRequest && (hasResult || hasError):
		return nil, id, CodeInvalidRequest, "invalid request: a message cannot have both method and result/error"
	case isRequest:
		if len(m.Method) == 0 || m.Method[0] != '"' {
			return nil, id, CodeInvalidRequest, `invalid request: "method" must be a string`
		}
		if p := m.Params; p != nil && p[0] != '{' && p[0] != '[' && string(p) != "null" {
			return nil, id, CodeInvalidRequest, `invalid request: "params" must be an object or an array`
		}
		if hasID && string(rawID) == "null" {
			return nil, nil, CodeInvalidRequest, `invalid request: "id" must be a string or an integer, not null`
		}
		return m, nil, 0, ""
	case hasResult || hasError:
		if !hasID {
			return nil, nil, CodeInvalidRequest, `invalid response: "id" is missing`
		}
		if hasError && string(m.Error) != "null" {
			var e WireError
			if err := json.Unmarshal(m.Error, &e); err != nil {
				return nil, nil, CodeInvalidRequest, `invalid response: "error" must be an error object`
			}
		}
		if string(rawID) == "null" {
			// A peer's error answer to something it could not parse:
			// nothing waits for it, and answering a response could loop.
			return nil, nil, codeDrop, "response with a null id dropped"
		}
		return m, nil, 0, ""
	default:
		return nil, id, CodeInvalidRequest, `invalid request: the object has no "method" (and is not a response)`
	}
}

// request converts a checked request or notification.
func (m *wireMessage) request() *jsonrpc2.Request {
	req := &jsonrpc2.Request{}
	json.Unmarshal(m.Method, &req.Method)
	switch {
	case m.Params == nil:
	case string(m.Params) == "null":
		null := json.RawMessage("null")
		req.Params = &null
	default:
		p := m.Params
		req.Params = &p
	}
	switch {
	case m.ID == nil:
		req.Notif = true
	case m.ID[0] == '"':
		req.ID.IsString = true
		json.Unmarshal(m.ID, &req.ID.Str)
	default:
		req.ID.Num, _ = strconv.ParseUint(string(bytes.TrimSpace(m.ID)), 10, 64)
	}
	return req
}

// checkID accepts what the jsonrpc2 library can represent: strings, null
// and non-negative integers up to MaxInt64.
func checkID(raw json.RawMessage) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return fmt.Errorf(`"id" is empty`)
	}
	switch raw[0] {
	case '"':
		var s string
		return json.Unmarshal(raw, &s)
	case 'n':
		return nil // null: judged by the caller
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return fmt.Errorf(`"id" must be a string or an integer`)
	}
	i, err := n.Int64()
	if err != nil || i < 0 || i > math.MaxInt64 {
		return fmt.Errorf(`"id" must be a string or a non-negative integer`)
	}
	return nil
}
