package mock

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aliasd/aliasd/alias"
)

// Server is the mock API. It is an http.Handler; Start also serves it on
// a loopback listener. All methods are safe for concurrent use.
type Server struct {
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
	tokens map[string]int // token -> index in cfg.Tokens

	mu sync.RWMutex // guards st (the whole mutable world)
	st *state

	faultMu sync.Mutex // guards faults
	faults  []*faultRule

	reqMu    sync.Mutex // guards total, perPath, records
	total    int
	perPath  map[string]int
	records  []RequestRecord
	recStart int // ring buffer start when len(records) == maxRecords

	limMu   sync.Mutex // guards buckets and errRand
	buckets map[int]*bucket
	errRand *mrand.Rand

	workerMu  sync.Mutex // guards working, closed
	working   bool       // the batch worker goroutine is running
	closed    bool
	done      chan struct{}
	workerWG  sync.WaitGroup
	httpSrv   *http.Server
	listener  net.Listener
	baseURL   string
	serveDone chan struct{}
}

// New builds a server with seeded state. It starts no goroutine until a
// batch is submitted or Start is called.
func New(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("mock config: %w", err)
	}
	if cfg.BatchStep == 0 {
		cfg.BatchStep = 200 * time.Millisecond
	}
	if cfg.MaxOperationQuota == 0 {
		cfg.MaxOperationQuota = 5000
	}
	if cfg.RateLimit > 0 && cfg.RateBurst == 0 {
		cfg.RateBurst = max(1, int(cfg.RateLimit))
	}
	s := &Server{
		cfg:     cfg,
		log:     cfg.Logger,
		now:     cfg.Now,
		tokens:  make(map[string]int, len(cfg.Tokens)),
		perPath: map[string]int{},
		buckets: map[int]*bucket{},
		errRand: mrand.New(mrand.NewPCG(uint64(cfg.Seed), 0xe77)),
		done:    make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	for i, t := range cfg.Tokens {
		s.tokens[t.Token] = i
	}
	for _, f := range cfg.Faults {
		if err := s.AddFault(f); err != nil {
			return nil, fmt.Errorf("mock config: %w", err)
		}
	}
	s.seed()
	return s, nil
}

// Start serves the mock on addr ("" means 127.0.0.1:0) and returns the
// API base URL, http://HOST:PORT/api/v1.
func (s *Server) Start(addr string) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	s.workerMu.Lock()
	defer s.workerMu.Unlock()
	if s.closed {
		return "", errors.New("mock: server closed")
	}
	if s.httpSrv != nil {
		return "", errors.New("mock: already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("mock: listening on %s: %w", addr, err)
	}
	s.listener = ln
	s.baseURL = "http://" + ln.Addr().String() + alias.PathPrefix
	s.httpSrv = &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)}
	s.serveDone = make(chan struct{})
	go func() {
		defer close(s.serveDone)
		_ = s.httpSrv.Serve(ln)
	}()
	s.log.Info("mock listening", "base_url", s.baseURL)
	return s.baseURL, nil
}

// URL is the base URL from Start, or "" before it.
func (s *Server) URL() string {
	s.workerMu.Lock()
	defer s.workerMu.Unlock()
	return s.baseURL
}

// Close stops the listener, drops open connections and stops the batch
// worker. It is safe to call more than once.
func (s *Server) Close() error {
	s.workerMu.Lock()
	if s.closed {
		s.workerMu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	srv, serveDone := s.httpSrv, s.serveDone
	s.workerMu.Unlock()
	var err error
	if srv != nil {
		err = srv.Close()
		<-serveDone
	}
	s.workerWG.Wait()
	return err
}

// RequestRecord is one API request as the mock saw it, for assertions.
// It never holds the token: Header has Authorization and Cookie removed.
type RequestRecord struct {
	Time      time.Time   `json:"time"`
	Method    string      `json:"method"`
	Path      string      `json:"path"`
	RawQuery  string      `json:"raw_query"`
	Header    http.Header `json:"header"`
	Body      []byte      `json:"body,omitempty"` // first 64 KiB
	Status    int         `json:"status"`         // 0 when the connection was reset
	RequestID string      `json:"request_id"`
	// TokenIndex is the index in Config.Tokens of the bearer token sent,
	// -1 when none or an unknown one was sent.
	TokenIndex int    `json:"token_index"`
	Endpoint   string `json:"endpoint,omitempty"` // catalog operation name
	Fault      string `json:"fault,omitempty"`    // what was injected, if anything
}

const maxRecords = 1000

// Requests is the number of API requests the mock has received (admin
// requests excluded), faults and unknown routes included.
func (s *Server) Requests() int {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	return s.total
}

// RequestsTo is the number of requests for one path, with or without the
// /api/v1 prefix and without the query.
func (s *Server) RequestsTo(path string) int {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	return s.perPath[alias.NormalizePath(path)]
}

// RequestLog returns the last (up to 1000) requests, oldest first.
func (s *Server) RequestLog() []RequestRecord {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	out := make([]RequestRecord, 0, len(s.records))
	out = append(out, s.records[s.recStart:]...)
	out = append(out, s.records[:s.recStart]...)
	return out
}

// LastRequest returns the most recent request.
func (s *Server) LastRequest() (RequestRecord, bool) {
	log := s.RequestLog()
	if len(log) == 0 {
		return RequestRecord{}, false
	}
	return log[len(log)-1], true
}

// ResetRequests clears the counters and the log.
func (s *Server) ResetRequests() {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	s.total, s.perPath, s.records, s.recStart = 0, map[string]int{}, nil, 0
}

func (s *Server) record(rec RequestRecord) {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	if len(s.records) < maxRecords {
		s.records = append(s.records, rec)
		return
	}
	s.records[s.recStart] = rec
	s.recStart = (s.recStart + 1) % maxRecords
}

func (s *Server) count(path string) {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	s.total++
	s.perPath[alias.NormalizePath(path)]++
}

// newRequestID returns a random UUID v4.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// reply is a finished answer before it is written.
type reply struct {
	status      int
	contentType string
	body        []byte
	etag        string
	retryAfter  string
}

func jsonReply(status int, body []byte) reply {
	return reply{status: status, contentType: "application/json", body: body}
}

func errorReply(e *apiError) reply { return jsonReply(e.Status, errorBody(e)) }

// ServeHTTP answers one request: admin endpoints, injected faults, the
// 415 of unknown routes, auth, scopes, rate limits, the endpoint itself,
// then ETag/304 handling.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, AdminPrefix+"/") {
		w.Header().Set("x-request-id", newRequestID())
		s.serveAdmin(w, r)
		return
	}
	start := time.Now()
	rid := newRequestID()
	s.count(r.URL.Path)
	rec := RequestRecord{
		Time: start, Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		Header: redactedHeader(r.Header), RequestID: rid, TokenIndex: -1,
	}
	if e, _, ok := alias.Match(r.Method, r.URL.Path); ok {
		rec.Endpoint = e.Name
	}
	tokenIdx, tokenOK := s.bearer(r)
	if tokenOK {
		rec.TokenIndex = tokenIdx
	}

	hf, rawRetryAfter, herr := headerFault(r.Header)
	f := hf
	if rule, ok := s.takeFault(r.Method, r.URL.Path); ok {
		f = rule.merge(hf)
	}
	// Latency first (configured, from a rule and from the header, added),
	// so a client that gives up while waiting changes nothing.
	if d := s.cfg.Latency + f.Latency; d > 0 {
		sleepCtx(r.Context(), d)
		if r.Context().Err() != nil {
			rec.Fault = "client-gone"
			s.finishLog(rec, start)
			return
		}
	}
	rep := s.answer(r, f, herr, tokenIdx, tokenOK, &rec)
	if rawRetryAfter != "" {
		rep.retryAfter = rawRetryAfter
	} else if f.RetryAfter > 0 && rep.retryAfter == "" {
		rep.retryAfter = retryAfterValue(f.RetryAfter)
	}

	if f.ResetConnection {
		rec.Fault = joinFault(rec.Fault, "reset")
		rec.Status = 0
		s.finishLog(rec, start)
		resetConnection(w)
		return
	}
	h := w.Header()
	if !f.NoRequestID {
		h.Set("x-request-id", rid)
	} else {
		rec.Fault = joinFault(rec.Fault, "no-request-id")
	}
	if f.CacheControl != "" {
		h.Set("Cache-Control", f.CacheControl)
	}
	if rep.retryAfter != "" {
		h.Set("Retry-After", rep.retryAfter)
	}
	if rep.etag != "" {
		h.Set("ETag", rep.etag)
		if etagMatches(r.Header.Get("If-None-Match"), rep.etag) {
			rec.Status = http.StatusNotModified
			s.finishLog(rec, start)
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	if rep.contentType != "" {
		h.Set("Content-Type", rep.contentType)
	}
	rec.Status = rep.status
	if f.Truncate && len(rep.body) > 1 {
		rec.Fault = joinFault(rec.Fault, "truncate")
		s.finishLog(rec, start)
		writeTruncated(w, rep)
		return
	}
	s.finishLog(rec, start)
	h.Set("Content-Length", fmt.Sprint(len(rep.body)))
	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body)
}

// answer decides the reply, before latency and transport faults.
func (s *Server) answer(r *http.Request, f Fault, herr *apiError, tokenIdx int, tokenOK bool, rec *RequestRecord) reply {
	if herr != nil {
		rec.Fault = "bad-mock-header"
		return errorReply(herr)
	}
	if rep, ok := s.faultReply(r, f, rec); ok {
		return rep
	}
	if s.cfg.ErrorRate > 0 {
		s.limMu.Lock()
		hit := s.errRand.Float64() < s.cfg.ErrorRate
		status := []int{500, 502, 503, 504}[s.errRand.IntN(4)]
		s.limMu.Unlock()
		if hit {
			rec.Fault = "error-rate"
			return errorReply(&apiError{Status: status, Code: codeForHTTPStatus(status), Message: "mock: random server error (ErrorRate)"})
		}
	}
	e, params, ok := alias.Match(r.Method, r.URL.Path)
	if !ok || !strings.HasPrefix(r.URL.Path, alias.PathPrefix+"/") {
		// What the real API did for /api/v1/regions (alias-api.md §2, §6):
		// the request fell through to the gRPC server's own handler.
		msg := fmt.Sprintf("invalid gRPC request content-type %q\n", r.Header.Get("Content-Type"))
		return reply{status: http.StatusUnsupportedMediaType, contentType: "text/plain; charset=utf-8", body: []byte(msg)}
	}
	if !tokenOK {
		msg := "missing bearer token: send Authorization: Bearer <personal access token>"
		if r.Header.Get("Authorization") != "" {
			msg = "invalid or unknown personal access token"
		}
		return errorReply(newError(codeUnauthenticated, "%s", msg))
	}
	if !s.cfg.Tokens[tokenIdx].allows(e.Scope) {
		return errorReply(newError(codePermissionDenied, "this token is not allowed to call %s (scope group %q)", e.Name, e.Scope))
	}
	if !s.allowRate(tokenIdx) {
		rep := errorReply(newError(codeResourceExhausted, "too many requests: rate limit exceeded for this token"))
		if s.cfg.RetryAfter > 0 {
			rep.retryAfter = retryAfterValue(s.cfg.RetryAfter)
		}
		rec.Fault = "rate-limit"
		return rep
	}
	var body []byte
	var err error
	if r.Body != nil { // nil when ServeHTTP is called with a client request
		body, err = io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	}
	if err != nil {
		return errorReply(newError(codeInvalidArgument, "reading request body: %v", err))
	}
	if len(body) > 0 {
		rec.Body = body[:min(len(body), 64<<10)]
	}
	rep := s.dispatch(e, params, r, body)
	if rep.status == http.StatusOK && e.Method == http.MethodGet && e.Cache != alias.CacheNone {
		sum := sha256.Sum256(rep.body)
		rep.etag = `"` + hex.EncodeToString(sum[:16]) + `"`
	}
	return rep
}

const maxBody = 8 << 20

// faultReply answers an injected status, rate limit, HTML page or token
// echo.
func (s *Server) faultReply(r *http.Request, f Fault, rec *RequestRecord) (reply, bool) {
	switch {
	case f.EchoToken:
		rec.Fault = "echo-token"
		tok := bearerValue(r.Header.Get("Authorization"))
		if f.Status == http.StatusBadRequest {
			return errorReply(newError(codeInvalidArgument, "malformed request: unexpected credential %q in Authorization header", tok)), true
		}
		return errorReply(newError(codeUnauthenticated, "invalid token %q: not a personal access token of this application", tok)), true
	case f.HTML:
		rec.Fault = "html"
		status := f.Status
		if status == 0 {
			status = http.StatusBadGateway
		}
		text := fmt.Sprintf("%d %s", status, http.StatusText(status))
		page := "<html>\r\n<head><title>" + text + "</title></head>\r\n<body>\r\n<center><h1>" + text +
			"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
		return reply{status: status, contentType: "text/html", body: []byte(page)}, true
	case f.RateLimit || f.Status == http.StatusTooManyRequests:
		rec.Fault = "rate-limit"
		return errorReply(newError(codeResourceExhausted, "too many requests: rate limit exceeded")), true
	case f.Status != 0:
		rec.Fault = fmt.Sprintf("status-%d", f.Status)
		return errorReply(&apiError{Status: f.Status, Code: codeForHTTPStatus(f.Status),
			Message: fmt.Sprintf("mock: injected %d %s", f.Status, http.StatusText(f.Status))}), true
	}
	return reply{}, false
}

func joinFault(a, b string) string {
	if a == "" {
		return b
	}
	return a + "," + b
}

func (s *Server) finishLog(rec RequestRecord, start time.Time) {
	s.record(rec)
	s.log.Debug("mock request", "method", rec.Method, "path", rec.Path, "status", rec.Status,
		"request_id", rec.RequestID, "endpoint", rec.Endpoint, "fault", rec.Fault,
		"duration", time.Since(start))
}

// bearer resolves the request's token to its index in Config.Tokens.
func (s *Server) bearer(r *http.Request) (int, bool) {
	tok := bearerValue(r.Header.Get("Authorization"))
	if tok == "" {
		return -1, false
	}
	for known, i := range s.tokens {
		if subtle.ConstantTimeCompare([]byte(known), []byte(tok)) == 1 {
			return i, true
		}
	}
	return -1, false
}

func bearerValue(h string) string {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

func redactedHeader(h http.Header) http.Header {
	out := h.Clone()
	out.Del("Authorization")
	out.Del("Cookie")
	out.Del("Proxy-Authorization")
	return out
}

// etagMatches implements If-None-Match's weak comparison.
func etagMatches(ifNoneMatch, etag string) bool {
	if ifNoneMatch == "" {
		return false
	}
	for _, cand := range strings.Split(ifNoneMatch, ",") {
		cand = strings.TrimSpace(cand)
		if cand == "*" || strings.TrimPrefix(cand, "W/") == etag {
			return true
		}
	}
	return false
}

// resetConnection aborts the TCP connection with RST (SO_LINGER 0).
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// writeTruncated declares the full length, sends half and closes.
func writeTruncated(w http.ResponseWriter, rep reply) {
	half := rep.body[:len(rep.body)/2]
	h := w.Header()
	h.Set("Content-Length", fmt.Sprint(len(rep.body)))
	hj, ok := w.(http.Hijacker)
	if !ok {
		w.WriteHeader(rep.status)
		_, _ = w.Write(half)
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		panic(http.ErrAbortHandler)
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	defer conn.Close()
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", rep.status, http.StatusText(rep.status))
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	h.Set("Connection", "close")
	_ = h.Write(buf)
	_, _ = buf.WriteString("\r\n")
	_, _ = buf.Write(half)
	_ = buf.Flush()
}

// bucket is one token's rate-limit bucket.
type bucket struct {
	tokens float64
	last   time.Time
}

func (s *Server) allowRate(idx int) bool {
	if s.cfg.RateLimit <= 0 {
		return true
	}
	s.limMu.Lock()
	defer s.limMu.Unlock()
	now := time.Now()
	b := s.buckets[idx]
	if b == nil {
		b = &bucket{tokens: float64(s.cfg.RateBurst), last: now}
		s.buckets[idx] = b
	}
	b.tokens = min(float64(s.cfg.RateBurst), b.tokens+now.Sub(b.last).Seconds()*s.cfg.RateLimit)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
