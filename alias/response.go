package alias

import (
	"bytes"
	"encoding/json"
	"html"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/aliasd/aliasd/rpc"
)

// Response is everything that happened on the wire for one Call, after
// retries. All text in it is redacted.
type Response struct {
	// Status is the HTTP status of the final attempt, or 0 when no complete
	// response was received (network failure, refused redirect, body over
	// the cap or cut short). NetClass and NetErr say why.
	Status int
	// HTTPStatus is the status line actually received, also when the body
	// then failed (Status 0); 0 when nothing arrived.
	HTTPStatus int
	Header     http.Header // response headers, redacted
	// Body is the response body (decompressed, redacted); when Truncated,
	// the bytes read before the failure, at most MaxBodyBytes.
	Body []byte
	// RequestID is the x-request-id of the final attempt's response ("" if
	// none); RequestIDs holds those of every attempt that got one, oldest
	// first.
	RequestID  string
	RequestIDs []string
	Attempts   int
	// AttemptStatuses is each attempt's Status, oldest first.
	AttemptStatuses []int
	Duration        time.Duration
	// Endpoint is the catalog entry of the call, nil for unknown paths;
	// PathParams are its path parameters.
	Endpoint   *Endpoint
	PathParams map[string]string
	// Error is the API's error body; ErrorSynthesized marks one built from
	// a non-JSON body (an HTML 502, the plain-text 415).
	Error            *rpc.APIError
	ErrorSynthesized bool
	Diagnostic       *rpc.Diagnostic
	Profile          string
	Fingerprint      string
	// Truncated is set when the body passed MaxBodyBytes or ended before
	// its Content-Length.
	Truncated bool
	// BodyCap is the cap a body passed (NetClass NetBodyCap).
	BodyCap int64
	// NetErr is the transport failure (a *NetError, redacted), nil when a
	// complete response arrived.
	NetErr   error
	NetClass NetClass
	// GovernorNote says what the rate governor did (after a 429) or how
	// long the call queued.
	GovernorNote string
	// RetryAfter is the last Retry-After the server asked for (uncapped).
	RetryAfter time.Duration
	// Redirect is the refused redirect target (origin + path, redacted).
	Redirect string

	// The request as sent, for the history.
	Method        string
	Path          string      // full API path, escaped
	Query         string      // encoded query, redacted
	URL           string      // full URL, redacted
	RequestHeader http.Header // Authorization shown as "Bearer [REDACTED]"
	Size          int64       // body bytes received (decompressed)
}

// OK reports a complete 2xx or 304 response.
func (r *Response) OK() bool {
	return (r.Status >= 200 && r.Status < 300) || r.Status == http.StatusNotModified
}

// RequestResult fills the wire fields of an alias/request answer; the
// daemon adds Cache, AgeSeconds and HistoryID.
func (r *Response) RequestResult() rpc.RequestResult {
	rr := rpc.RequestResult{
		Status:     r.Status,
		RequestID:  r.RequestID,
		RequestIDs: r.RequestIDs,
		Body:       BodyJSON(r.Body),
		Headers:    FlattenHeader(r.Header),
		DurationMs: float64(r.Duration.Microseconds()) / 1000,
		Attempts:   r.Attempts,
		Error:      r.Error,
		Diagnostic: r.Diagnostic,
	}
	return rr
}

// BodyJSON returns body as JSON: itself when it is valid JSON, else a JSON
// string of it; nil for an empty body.
func BodyJSON(body []byte) json.RawMessage {
	if len(body) == 0 {
		return nil
	}
	if json.Valid(body) {
		return json.RawMessage(body)
	}
	s, _ := json.Marshal(strings.ToValidUTF8(string(body), "\uFFFD"))
	return s
}

// FlattenHeader joins repeated header values with ", ".
func FlattenHeader(h http.Header) map[string]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string]string, len(h))
	for k, vs := range h {
		out[k] = strings.Join(vs, ", ")
	}
	return out
}

// grpcCodeNames are the names of the gRPC status codes.
var grpcCodeNames = []string{
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
	"NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
	"FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
	"INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
}

// CodeName returns the name of a gRPC status code ("INVALID_ARGUMENT"), or
// "" for an unknown code.
func CodeName(code int) string {
	if code >= 0 && code < len(grpcCodeNames) {
		return grpcCodeNames[code]
	}
	return ""
}

// codeForStatus is the gRPC code grpc-gateway maps to an HTTP status,
// used for error bodies that carry none.
func codeForStatus(status int) int {
	switch status {
	case 400:
		return 3
	case 401:
		return 16
	case 403:
		return 7
	case 404:
		return 5
	case 409:
		return 10
	case 415, 501, 405:
		return 12
	case 429:
		return 8
	case 503, 502:
		return 14
	case 504:
		return 4
	case 402:
		return 9
	}
	if status >= 500 {
		return 13
	}
	return 2
}

// maxErrorText caps the message synthesized from a non-JSON error body.
const maxErrorText = 300

// parseAPIError reads an error body: the API's {code, message, details},
// another JSON shape with a message, or text/HTML (synthesized). It never
// fails; redact is applied to the message and details.
func parseAPIError(status int, header http.Header, body []byte, redact func(string) string) (*rpc.APIError, bool) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var raw struct {
			Code    *json.Number      `json:"code"`
			Message *string           `json:"message"`
			Error   any               `json:"error"`
			Details []json.RawMessage `json:"details"`
		}
		if err := json.Unmarshal(trimmed, &raw); err == nil {
			if raw.Code != nil && raw.Message != nil {
				if code, err := raw.Code.Int64(); err == nil {
					e := &rpc.APIError{Code: int(code), CodeName: CodeName(int(code)), Message: redact(*raw.Message), Details: []json.RawMessage{}}
					for _, d := range raw.Details {
						e.Details = append(e.Details, json.RawMessage(redact(string(d))))
					}
					return e, false
				}
			}
			msg := ""
			switch {
			case raw.Message != nil:
				msg = *raw.Message
			case raw.Error != nil:
				if s, ok := raw.Error.(string); ok {
					msg = s
				} else if b, err := json.Marshal(raw.Error); err == nil {
					msg = string(b)
				}
			}
			code := codeForStatus(status)
			return &rpc.APIError{Code: code, CodeName: CodeName(code), Message: redact(capText(msg)), Details: []json.RawMessage{}}, true
		}
	}
	text := errorText(header.Get("Content-Type"), trimmed)
	if text == "" {
		text = http.StatusText(status)
	}
	code := codeForStatus(status)
	return &rpc.APIError{Code: code, CodeName: CodeName(code), Message: redact(text), Details: []json.RawMessage{}}, true
}

var (
	titleRe = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)
	h1Re    = regexp.MustCompile(`(?is)<h1[^>]*>(.*?)</h1>`)
	tagRe   = regexp.MustCompile(`(?s)<[^>]*>`)
	spaceRe = regexp.MustCompile(`\s+`)
)

// errorText extracts a one-line message from a text or HTML body.
func errorText(contentType string, body []byte) string {
	if len(body) == 0 {
		return ""
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	s := string(body[:min(len(body), 64<<10)])
	if mt == "text/html" || bytes.HasPrefix(bytes.ToLower(body[:min(len(body), 64)]), []byte("<!doctype html")) || bytes.HasPrefix(bytes.ToLower(body[:min(len(body), 16)]), []byte("<html")) {
		if m := titleRe.FindStringSubmatch(s); m != nil {
			s = m[1]
		} else if m := h1Re.FindStringSubmatch(s); m != nil {
			s = m[1]
		} else {
			s = tagRe.ReplaceAllString(s, " ")
		}
		s = html.UnescapeString(s)
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return capText(strings.TrimSpace(spaceRe.ReplaceAllString(s, " ")))
}

func capText(s string) string {
	if len(s) <= maxErrorText {
		return s
	}
	cut := maxErrorText
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// maxRequestIDLen caps a request ID taken from a header.
const maxRequestIDLen = 128

// cleanRequestID takes the first x-request-id value (up to a comma) and
// keeps printable ASCII only, at most 128 bytes.
func cleanRequestID(h http.Header) string {
	vs := h.Values("X-Request-Id")
	if len(vs) == 0 {
		return ""
	}
	v := vs[0]
	if i := strings.IndexByte(v, ','); i >= 0 {
		v = v[:i] // a proxy appended its own
	}
	v = strings.TrimSpace(v)
	var b strings.Builder
	for i := 0; i < len(v) && b.Len() < maxRequestIDLen; i++ {
		if c := v[i]; c > ' ' && c < 0x7f {
			b.WriteByte(c)
		}
	}
	return b.String()
}
