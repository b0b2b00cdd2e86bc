package mock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aliasd/aliasd/alias"
)

// Fault is one injected misbehaviour. As a rule (Config.Faults, AddFault,
// POST /_mock/faults) it applies to the requests it matches; the X-Mock-*
// request headers build the same thing for a single request.
//
// A fault with only Latency, CacheControl, RetryAfter or NoRequestID set
// delays or decorates the normal answer; Status, RateLimit, HTML,
// EchoToken and ResetConnection replace it; Truncate cuts whatever answer
// the request gets.
type Fault struct {
	// Method matches the request method; empty matches any.
	Method string
	// PathPrefix matches the request path; "/catalog" and
	// "/api/v1/catalog" mean the same. Empty matches every API path.
	PathPrefix string
	// Count is how many matching requests the rule affects; 0 means until
	// cleared.
	Count int

	// Status answers with this HTTP status (400-599) and the API's error
	// body, with the gRPC code that status usually carries.
	Status int
	// RateLimit answers 429 with code 8 (RESOURCE_EXHAUSTED).
	RateLimit bool
	// RetryAfter adds Retry-After (whole seconds, rounded up).
	RetryAfter time.Duration
	// Latency delays the answer.
	Latency time.Duration
	// Truncate declares the full Content-Length, sends half the body and
	// closes the connection.
	Truncate bool
	// HTML answers an nginx-style HTML error page (status 502 unless
	// Status says otherwise).
	HTML bool
	// EchoToken answers 401 code 16 (or 400 code 3 when Status is 400)
	// with a message that contains the request's bearer token, to test
	// that clients redact what servers echo.
	EchoToken bool
	// ResetConnection aborts the connection with a TCP reset, no answer.
	ResetConnection bool
	// NoRequestID leaves out the x-request-id header.
	NoRequestID bool
	// CacheControl, when set, is sent as the Cache-Control header.
	CacheControl string
}

// ErrBadFault is wrapped by every fault parsing and validation error.
var ErrBadFault = errors.New("bad fault")

func (f *Fault) validate() error {
	switch {
	case f.Status != 0 && (f.Status < 400 || f.Status > 599):
		return fmt.Errorf("%w: status %d: want 400-599", ErrBadFault, f.Status)
	case f.Count < 0:
		return fmt.Errorf("%w: count %d: want 0 (until cleared) or more", ErrBadFault, f.Count)
	case f.Latency < 0 || f.RetryAfter < 0:
		return fmt.Errorf("%w: negative duration", ErrBadFault)
	case f.Latency > maxLatency:
		return fmt.Errorf("%w: latency %v: at most %v", ErrBadFault, f.Latency, maxLatency)
	case strings.ContainsAny(f.CacheControl, "\r\n"):
		return fmt.Errorf("%w: cache control contains a line break", ErrBadFault)
	case f.Method != "" && strings.ToUpper(f.Method) != f.Method:
		return fmt.Errorf("%w: method %q: want upper case", ErrBadFault, f.Method)
	}
	return nil
}

// maxLatency bounds injected delays so a typo cannot hang a test run.
const maxLatency = 10 * time.Minute

func (f *Fault) matches(method, path string) bool {
	if f.Method != "" && f.Method != method {
		return false
	}
	if f.PathPrefix == "" {
		return true
	}
	return strings.HasPrefix(path, f.prefix())
}

func (f *Fault) prefix() string {
	p := f.PathPrefix
	if !strings.HasPrefix(p, alias.PathPrefix) {
		if !strings.HasPrefix(p, "/") {
			p = "/" + p
		}
		p = alias.PathPrefix + p
	}
	return p
}

// merge overlays the set fields of o on f (o wins).
func (f Fault) merge(o Fault) Fault {
	if o.Status != 0 {
		f.Status = o.Status
	}
	if o.RetryAfter != 0 {
		f.RetryAfter = o.RetryAfter
	}
	if o.CacheControl != "" {
		f.CacheControl = o.CacheControl
	}
	f.Latency += o.Latency
	f.RateLimit = f.RateLimit || o.RateLimit
	f.Truncate = f.Truncate || o.Truncate
	f.HTML = f.HTML || o.HTML
	f.EchoToken = f.EchoToken || o.EchoToken
	f.ResetConnection = f.ResetConnection || o.ResetConnection
	f.NoRequestID = f.NoRequestID || o.NoRequestID
	return f
}

// faultJSON is the admin endpoint's wire form: snake_case keys, durations
// as Go duration strings ("300ms") or whole seconds (numbers).
type faultJSON struct {
	Method          string          `json:"method,omitempty"`
	PathPrefix      string          `json:"path_prefix,omitempty"`
	Count           int             `json:"count,omitempty"`
	Status          int             `json:"status,omitempty"`
	RateLimit       bool            `json:"rate_limit,omitempty"`
	RetryAfter      json.RawMessage `json:"retry_after,omitempty"`
	Latency         json.RawMessage `json:"latency,omitempty"`
	Truncate        bool            `json:"truncate,omitempty"`
	HTML            bool            `json:"html,omitempty"`
	EchoToken       bool            `json:"echo_token,omitempty"`
	ResetConnection bool            `json:"reset_connection,omitempty"`
	NoRequestID     bool            `json:"no_request_id,omitempty"`
	CacheControl    string          `json:"cache_control,omitempty"`
}

// MarshalJSON writes the admin endpoint's form.
func (f Fault) MarshalJSON() ([]byte, error) {
	w := faultJSON{
		Method: f.Method, PathPrefix: f.PathPrefix, Count: f.Count, Status: f.Status,
		RateLimit: f.RateLimit, Truncate: f.Truncate, HTML: f.HTML, EchoToken: f.EchoToken,
		ResetConnection: f.ResetConnection, NoRequestID: f.NoRequestID, CacheControl: f.CacheControl,
	}
	if f.RetryAfter != 0 {
		w.RetryAfter = json.RawMessage(strconv.Quote(f.RetryAfter.String()))
	}
	if f.Latency != 0 {
		w.Latency = json.RawMessage(strconv.Quote(f.Latency.String()))
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the admin endpoint's form; unknown keys are errors.
func (f *Fault) UnmarshalJSON(b []byte) error {
	var w faultJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return fmt.Errorf("%w: %v", ErrBadFault, err)
	}
	ra, err := jsonDuration("retry_after", w.RetryAfter)
	if err != nil {
		return err
	}
	lat, err := jsonDuration("latency", w.Latency)
	if err != nil {
		return err
	}
	*f = Fault{
		Method: strings.ToUpper(w.Method), PathPrefix: w.PathPrefix, Count: w.Count, Status: w.Status,
		RateLimit: w.RateLimit, RetryAfter: ra, Latency: lat, Truncate: w.Truncate, HTML: w.HTML,
		EchoToken: w.EchoToken, ResetConnection: w.ResetConnection, NoRequestID: w.NoRequestID,
		CacheControl: w.CacheControl,
	}
	return f.validate()
}

func jsonDuration(key string, raw json.RawMessage) (time.Duration, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("%w: %s %q: want a duration like \"300ms\"", ErrBadFault, key, s)
		}
		return d, nil
	}
	var n float64
	if err := json.Unmarshal(raw, &n); err != nil || n < 0 || math.IsInf(n, 0) || n > maxLatency.Seconds()*1000 {
		return 0, fmt.Errorf("%w: %s %s: want seconds or a duration string", ErrBadFault, key, raw)
	}
	return time.Duration(n * float64(time.Second)), nil
}

// ParseFault parses the CLI form of a fault rule: comma-separated
// key=value pairs and flags, e.g.
//
//	status=503,path=/catalog,method=GET,count=2,retry_after=2s
//	rate_limit,latency=300ms   truncate   html   echo_token   reset
//	no_request_id   cache_control=max-age=5
//
// cache_control must come last when its value contains commas.
func ParseFault(s string) (Fault, error) {
	var f Fault
	rest := strings.TrimSpace(s)
	if rest == "" {
		return f, fmt.Errorf("%w: empty fault", ErrBadFault)
	}
	for rest != "" {
		var part string
		if strings.HasPrefix(rest, "cache_control=") {
			part, rest = rest, ""
		} else {
			part, rest, _ = strings.Cut(rest, ",")
		}
		key, val, hasVal := strings.Cut(strings.TrimSpace(part), "=")
		var err error
		switch key {
		case "status":
			f.Status, err = strconv.Atoi(val)
		case "count":
			f.Count, err = strconv.Atoi(val)
		case "method":
			f.Method = strings.ToUpper(val)
		case "path", "path_prefix":
			f.PathPrefix = val
		case "retry_after":
			f.RetryAfter, err = parseSecondsOrDuration(val)
		case "latency":
			f.Latency, err = time.ParseDuration(val)
		case "cache_control":
			f.CacheControl = val
		case "rate_limit", "truncate", "html", "echo_token", "reset", "reset_connection", "no_request_id":
			if hasVal {
				return Fault{}, fmt.Errorf("%w: %s takes no value", ErrBadFault, key)
			}
			switch key {
			case "rate_limit":
				f.RateLimit = true
			case "truncate":
				f.Truncate = true
			case "html":
				f.HTML = true
			case "echo_token":
				f.EchoToken = true
			case "reset", "reset_connection":
				f.ResetConnection = true
			case "no_request_id":
				f.NoRequestID = true
			}
			continue
		default:
			return Fault{}, fmt.Errorf("%w: unknown key %q", ErrBadFault, key)
		}
		if err != nil || (!hasVal && key != "") {
			return Fault{}, fmt.Errorf("%w: %s=%q: bad value", ErrBadFault, key, val)
		}
	}
	return f, f.validate()
}

func parseSecondsOrDuration(v string) (time.Duration, error) {
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, nil
	}
	return time.ParseDuration(v)
}

// Request headers that inject a fault into one request.
const (
	HeaderStatus       = "X-Mock-Status"        // HTTP status 400-599
	HeaderRateLimit    = "X-Mock-Rate-Limit"    // "1": 429 code 8
	HeaderRetryAfter   = "X-Mock-Retry-After"   // seconds (or an HTTP date), sent as Retry-After
	HeaderLatency      = "X-Mock-Latency"       // Go duration, e.g. 300ms
	HeaderTruncate     = "X-Mock-Truncate"      // "1": half the body, then close
	HeaderHTML         = "X-Mock-HTML"          // "1": HTML 502 page
	HeaderEchoToken    = "X-Mock-Echo-Token"    // "1": 401 echoing the bearer token
	HeaderNoRequestID  = "X-Mock-No-Request-Id" // "1": no x-request-id
	HeaderCacheControl = "X-Mock-Cache-Control" // sent as Cache-Control
	HeaderReset        = "X-Mock-Reset"         // "1": TCP reset, no answer
)

// headerFault builds the fault the X-Mock-* headers ask for, plus a raw
// Retry-After value (an HTTP date is passed through as given).
func headerFault(h http.Header) (Fault, string, *apiError) {
	var f Fault
	bad := func(name, v, want string) *apiError {
		return newError(codeInvalidArgument, "mock: bad %s header %q: want %s", name, v, want)
	}
	flag := func(name string) (bool, *apiError) {
		switch v := h.Get(name); strings.ToLower(v) {
		case "":
			return false, nil
		case "1", "true", "yes":
			return true, nil
		case "0", "false", "no":
			return false, nil
		default:
			return false, bad(name, v, "1 or 0")
		}
	}
	if v := h.Get(HeaderStatus); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 400 || n > 599 {
			return f, "", bad(HeaderStatus, v, "an HTTP status 400-599")
		}
		f.Status = n
	}
	if v := h.Get(HeaderLatency); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > maxLatency {
			return f, "", bad(HeaderLatency, v, "a duration like 300ms, at most 10m")
		}
		f.Latency = d
	}
	var retryAfter string
	if v := h.Get(HeaderRetryAfter); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
			retryAfter = v
		} else if _, err := http.ParseTime(v); err == nil {
			retryAfter = v
		} else {
			return f, "", bad(HeaderRetryAfter, v, "whole seconds or an HTTP date")
		}
	}
	if v := h.Get(HeaderCacheControl); v != "" {
		f.CacheControl = v
	}
	for _, x := range []struct {
		name string
		dst  *bool
	}{
		{HeaderRateLimit, &f.RateLimit}, {HeaderTruncate, &f.Truncate}, {HeaderHTML, &f.HTML},
		{HeaderEchoToken, &f.EchoToken}, {HeaderNoRequestID, &f.NoRequestID}, {HeaderReset, &f.ResetConnection},
	} {
		on, err := flag(x.name)
		if err != nil {
			return f, "", err
		}
		*x.dst = on
	}
	return f, retryAfter, nil
}

// retryAfterValue renders a duration as Retry-After seconds, rounded up.
func retryAfterValue(d time.Duration) string {
	return strconv.FormatInt(int64(math.Ceil(d.Seconds())), 10)
}

// faultRule is an installed Fault with its remaining count.
type faultRule struct {
	Fault
	left int // remaining matches; -1 = until cleared
}

// AddFault installs a fault rule; rules are tried in the order added and
// the first match applies.
func (s *Server) AddFault(f Fault) error {
	f.Method = strings.ToUpper(f.Method)
	if err := f.validate(); err != nil {
		return err
	}
	left := f.Count
	if left == 0 {
		left = -1
	}
	s.faultMu.Lock()
	s.faults = append(s.faults, &faultRule{Fault: f, left: left})
	s.faultMu.Unlock()
	return nil
}

// ClearFaults removes every fault rule and reports how many there were.
func (s *Server) ClearFaults() int {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	n := len(s.faults)
	s.faults = nil
	return n
}

// Faults returns the installed rules; Count is the number of matches left
// (0 = until cleared).
func (s *Server) Faults() []Fault {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	out := make([]Fault, 0, len(s.faults))
	for _, r := range s.faults {
		f := r.Fault
		f.Count = max(r.left, 0)
		out = append(out, f)
	}
	return out
}

// takeFault consumes the first rule matching the request.
func (s *Server) takeFault(method, path string) (Fault, bool) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	for i, r := range s.faults {
		if !r.matches(method, path) {
			continue
		}
		f := r.Fault
		if r.left > 0 {
			r.left--
			if r.left == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return f, true
	}
	return Fault{}, false
}

// AdminPrefix is where the mock-only admin endpoints live (outside
// /api/v1, no bearer token needed).
const AdminPrefix = "/_mock"

// serveAdmin answers the admin endpoints:
//
//	GET    /_mock/faults    {"faults":[Fault...]}
//	POST   /_mock/faults    body: one Fault object or an array → {"faults":[...]} (all rules now)
//	DELETE /_mock/faults    {"removed":N}
//	GET    /_mock/requests  {"total":N,"requests":[RequestRecord...]}
//	DELETE /_mock/requests  clears the log and counters
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	writeJSON := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(mustJSON(v))
	}
	fail := func(status int, msg string) {
		writeJSON(status, map[string]any{"code": codeForHTTPStatus(status), "message": msg, "details": []any{}})
	}
	switch r.URL.Path {
	case AdminPrefix + "/faults":
		switch r.Method {
		case http.MethodGet:
			writeJSON(http.StatusOK, map[string]any{"faults": s.Faults()})
		case http.MethodPost:
			body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
			if err != nil {
				fail(http.StatusBadRequest, "reading body: "+err.Error())
				return
			}
			var list []Fault
			trimmed := bytes.TrimSpace(body)
			if len(trimmed) > 0 && trimmed[0] == '[' {
				err = json.Unmarshal(trimmed, &list)
			} else {
				var f Fault
				err = json.Unmarshal(trimmed, &f)
				list = []Fault{f}
			}
			if err != nil {
				fail(http.StatusBadRequest, "mock: "+err.Error())
				return
			}
			for _, f := range list {
				if err := s.AddFault(f); err != nil {
					fail(http.StatusBadRequest, "mock: "+err.Error())
					return
				}
			}
			writeJSON(http.StatusOK, map[string]any{"faults": s.Faults()})
		case http.MethodDelete:
			writeJSON(http.StatusOK, map[string]any{"removed": s.ClearFaults()})
		default:
			fail(http.StatusMethodNotAllowed, "mock: use GET, POST or DELETE on "+AdminPrefix+"/faults")
		}
	case AdminPrefix + "/requests":
		switch r.Method {
		case http.MethodGet:
			writeJSON(http.StatusOK, map[string]any{"total": s.Requests(), "requests": s.RequestLog()})
		case http.MethodDelete:
			s.ResetRequests()
			writeJSON(http.StatusOK, map[string]any{"removed": true})
		default:
			fail(http.StatusMethodNotAllowed, "mock: use GET or DELETE on "+AdminPrefix+"/requests")
		}
	default:
		fail(http.StatusNotFound, "mock: no admin endpoint "+r.URL.Path+" (have "+AdminPrefix+"/faults, "+AdminPrefix+"/requests)")
	}
}
