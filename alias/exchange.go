package alias

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// exchange runs one Do: the governor, the attempts and the retry waits.
type exchange struct {
	c      *Client
	pc     *preparedCall
	url    string
	origin origin
	secret string
	gov    *governor
}

// attemptResult is one attempt on the wire, unredacted.
type attemptResult struct {
	status        int // 0 unless a complete response arrived
	httpStatus    int // status line received
	header        http.Header
	body          []byte
	class         NetClass
	err           error
	requestID     string
	redirect      string
	retryAfter    time.Duration
	hasRetryAfter bool
}

func (ex *exchange) idempotent() bool {
	if ex.pc.endpoint != nil {
		return ex.pc.endpoint.Idempotent()
	}
	return ex.pc.method == http.MethodGet || ex.pc.method == http.MethodHead
}

func (ex *exchange) headers() http.Header {
	h := ex.pc.header.Clone()
	h.Set("User-Agent", ex.c.cfg.UserAgent)
	if h.Get("Accept") == "" {
		h.Set("Accept", "application/json")
	}
	if ex.pc.body != nil {
		h.Set("Content-Type", "application/json")
	}
	return h
}

func (ex *exchange) run(ctx context.Context) *Response {
	c, pc := ex.c, ex.pc
	pol := c.cfg.Retry
	r := &Response{
		Method:   pc.method,
		Path:     c.redact(pc.path, ex.secret),
		Query:    c.redact(pc.query.Encode(), ex.secret),
		URL:      c.redact(ex.url, ex.secret),
		Endpoint: pc.endpoint,
	}
	if len(pc.params) > 0 {
		r.PathParams = make(map[string]string, len(pc.params))
		for k, v := range pc.params {
			r.PathParams[k] = c.redact(v, ex.secret)
		}
	}
	sent := ex.headers()
	r.RequestHeader = sent.Clone()
	r.RequestHeader.Set("Authorization", "Bearer [REDACTED]")

	var (
		last   attemptResult
		waited time.Duration
		slowed bool // a 429 of this call lowered the governor's rate
		// govNote is what the governor did after a 429; queuedTotal is
		// the time spent in its queue over all attempts.
		govNote     string
		queuedTotal time.Duration
	)
	for attempt := 1; ; attempt++ {
		queued, err := ex.gov.wait(ctx)
		queuedTotal += queued
		if err != nil {
			if attempt == 1 {
				last = ex.governorFailure(ctx, err)
			}
			break
		}
		last = ex.attempt(ctx, sent)
		r.Attempts = attempt
		r.AttemptStatuses = append(r.AttemptStatuses, last.status)
		if last.requestID != "" {
			r.RequestIDs = append(r.RequestIDs, c.redact(last.requestID, ex.secret))
		}
		if last.hasRetryAfter {
			r.RetryAfter = last.retryAfter
		}
		now := time.Now()
		switch {
		case last.httpStatus == http.StatusTooManyRequests:
			// Keep what this call made the governor do over a later
			// "already slowed" from the same call.
			note := ex.gov.on429(now)
			if !slowed || !strings.HasPrefix(note, "already") {
				govNote = note
			}
			slowed = slowed || strings.HasPrefix(note, "slowed")
		case last.httpStatus != 0:
			ex.gov.onSuccess(now)
		}

		if !ex.idempotent() || attempt >= pol.MaxAttempts ||
			!(retryableStatus(last.status) || retryableNet(last.class)) {
			break
		}
		delay := pol.backoff(attempt)
		if last.hasRetryAfter && retryableStatus(last.status) {
			delay = min(last.retryAfter, pol.MaxRetryAfter)
		}
		if waited+delay > pol.MaxTotalWait {
			c.log.Warn("alias retry budget spent", "method", pc.method, "path", r.Path,
				"attempts", attempt, "waited_ms", waited.Milliseconds())
			break
		}
		c.log.Warn("alias retry", "method", pc.method, "path", r.Path, "status", last.status,
			"net", string(last.class), "attempt", attempt, "delay_ms", delay.Milliseconds(),
			"request_id", c.redact(last.requestID, ex.secret))
		if sleep(ctx, delay) != nil {
			break // the caller gave up; report the last attempt as it was
		}
		waited += delay
	}
	r.GovernorNote = govNote
	if q := queueNote(queuedTotal); q != "" {
		if r.GovernorNote != "" {
			r.GovernorNote += "; "
		}
		r.GovernorNote += q
	}
	ex.fill(r, last)
	return r
}

// governorFailure is the result of a call that never left the governor's
// queue: the caller cancelled, or its deadline comes before the token's turn.
func (ex *exchange) governorFailure(ctx context.Context, err error) attemptResult {
	if ctx.Err() != nil {
		return attemptResult{class: classify(ctx.Err(), context.Cause(ctx)), err: ctx.Err()}
	}
	return attemptResult{class: NetTimeout, err: fmt.Errorf("rate governor: this token's next turn comes after the call's deadline: %w", err)}
}

// fill copies the final attempt into r, redacted.
func (ex *exchange) fill(r *Response, a attemptResult) {
	c := ex.c
	r.HTTPStatus = a.httpStatus
	r.Status = a.status
	if a.header != nil {
		r.Header = make(http.Header, len(a.header))
		for k, vs := range a.header {
			for _, v := range vs {
				r.Header.Add(k, c.redact(v, ex.secret))
			}
		}
	}
	r.Size = int64(len(a.body))
	r.Body = c.redactBytes(a.body, ex.secret)
	r.RequestID = c.redact(a.requestID, ex.secret)
	r.Redirect = c.redact(a.redirect, ex.secret)
	if a.class != NetNone {
		r.Status = 0
		r.NetClass = a.class
		r.NetErr = &NetError{Class: a.class, Msg: c.redact(ex.describe(a), ex.secret), cause: a.err}
		r.Truncated = a.httpStatus != 0 && a.class != NetRedirect
		if a.class == NetBodyCap {
			r.BodyCap = c.cfg.MaxBodyBytes
		}
	}
	if r.Status >= 400 {
		r.Error, r.ErrorSynthesized = parseAPIError(r.Status, r.Header, r.Body, func(s string) string { return c.redact(s, ex.secret) })
	}
}

// describe is the text of a transport failure (redacted by the caller).
func (ex *exchange) describe(a attemptResult) string {
	switch a.class {
	case NetBodyCap:
		return "response body larger than the " + fmtBytes(ex.c.cfg.MaxBodyBytes) + " cap"
	case NetTimeout:
		if errors.Is(a.err, errRequestTimeout) {
			return "no complete response within the " + ex.c.cfg.RequestTimeout.String() + " request timeout"
		}
	case NetTruncated:
		return fmt.Sprintf("response body cut short after %d bytes: %v", len(a.body), a.err)
	case NetRedirect:
		var re *redirectError
		if errors.As(a.err, &re) {
			return re.Error()
		}
	}
	return a.err.Error()
}

// attempt sends the request once and reads the whole body.
func (ex *exchange) attempt(ctx context.Context, h http.Header) (ar attemptResult) {
	c, pc := ex.c, ex.pc
	actx, cancel := context.WithTimeoutCause(ctx, c.cfg.RequestTimeout, errRequestTimeout)
	defer cancel()
	actx = withAuth(actx, ex.origin, ex.secret)
	var body io.Reader
	if pc.body != nil {
		body = bytes.NewReader(pc.body)
	}
	req, err := http.NewRequestWithContext(actx, pc.method, ex.url, body)
	if err != nil {
		return attemptResult{class: NetOther, err: fmt.Errorf("building request: %w", err)}
	}
	req.Header = h // read-only from here on: the auth transport copies before adding
	resp, err := c.hc.Do(req)
	if err != nil {
		if resp != nil { // a refused redirect keeps the 3xx's headers
			ar.httpStatus, ar.header = resp.StatusCode, resp.Header
			ar.requestID = cleanRequestID(resp.Header)
		}
		var re *redirectError
		if errors.As(err, &re) {
			ar.redirect = re.location
		}
		ar.class, ar.err = classify(err, context.Cause(actx)), ownTimeout(actx, err)
		return ar
	}
	defer resp.Body.Close()
	ar.httpStatus, ar.header = resp.StatusCode, resp.Header
	ar.requestID = cleanRequestID(resp.Header)
	ar.retryAfter, ar.hasRetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	ar.body, err = readBody(resp, c.cfg.MaxBodyBytes)
	if err != nil {
		ar.err = ownTimeout(actx, err)
		switch cl := classify(err, context.Cause(actx)); cl {
		case NetReset:
			ar.class = NetTruncated
		case NetBodyCap:
			ar.class = cl
			// Keep a prefix for the history, not the whole capped body.
			ar.body = bytes.Clone(ar.body[:min(len(ar.body), keepOverCap)])
		default:
			ar.class = cl
		}
		return ar
	}
	ar.status = resp.StatusCode
	return ar
}

// ownTimeout marks err when the attempt's RequestTimeout fired.
func ownTimeout(actx context.Context, err error) error {
	if errors.Is(context.Cause(actx), errRequestTimeout) {
		return fmt.Errorf("%w: %w", errRequestTimeout, err)
	}
	return err
}

// keepOverCap is how much of a body over the cap a Response keeps.
const keepOverCap = 64 << 10

// readBody reads at most max bytes (decompressed); more is errBodyCap.
func readBody(resp *http.Response, max int64) ([]byte, error) {
	if resp.ContentLength > max {
		return nil, errBodyCap
	}
	var buf bytes.Buffer
	if resp.ContentLength > 0 {
		buf.Grow(int(resp.ContentLength) + 1)
	}
	n, err := buf.ReadFrom(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return buf.Bytes(), err
	}
	if n > max {
		return buf.Bytes()[:max], errBodyCap
	}
	return buf.Bytes(), nil
}

// redactBytes applies redact to a body, copying only when it changes.
func (c *Client) redactBytes(b []byte, secret string) []byte {
	if len(b) == 0 {
		return b
	}
	if len(secret) >= 8 && bytes.Contains(b, []byte(secret)) {
		b = bytes.ReplaceAll(b, []byte(secret), []byte("[REDACTED]"))
	}
	if bytes.Contains(b, []byte("goatapi_")) || bytes.Contains(b, []byte("earer")) || bytes.Contains(b, []byte("EARER")) {
		b = []byte(baselineRedact(string(b)))
	}
	if c.cfg.Redact != nil {
		if s := c.cfg.Redact(string(b)); s != string(b) {
			b = []byte(s)
		}
	}
	return b
}

func fmtBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
