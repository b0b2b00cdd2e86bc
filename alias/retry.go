package alias

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy bounds the client's automatic retries of idempotent calls.
// Zero fields take the defaults; MaxAttempts 1 disables retries.
type RetryPolicy struct {
	MaxAttempts   int           // attempts in total, default 4
	BaseDelay     time.Duration // first backoff ceiling, default 500ms
	MaxDelay      time.Duration // backoff ceiling, default 8s
	MaxTotalWait  time.Duration // total time spent waiting between attempts, default 30s
	MaxRetryAfter time.Duration // cap on a server's Retry-After, default 20s
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 4
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 500 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 8 * time.Second
	}
	if p.MaxDelay < p.BaseDelay {
		p.MaxDelay = p.BaseDelay
	}
	if p.MaxTotalWait <= 0 {
		p.MaxTotalWait = 30 * time.Second
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = 20 * time.Second
	}
	return p
}

// backoff is the full-jitter delay before attempt n+1 (n counts from 1):
// uniform in [0, min(MaxDelay, BaseDelay·2^(n-1))].
func (p RetryPolicy) backoff(n int) time.Duration {
	ceil := p.BaseDelay
	for i := 1; i < n && ceil < p.MaxDelay; i++ {
		ceil *= 2
	}
	ceil = min(ceil, p.MaxDelay)
	return rand.N(ceil + 1)
}

// retryableStatus reports the HTTP statuses an idempotent call is retried on.
func retryableStatus(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryableNet reports the transport failures an idempotent call is retried
// on: the connection could not be made or broke. Timeouts are not retried
// (the whole request timeout is long already), nor are DNS, TLS, refused
// redirects or bodies over the cap, which would fail the same way again.
func retryableNet(c NetClass) bool {
	return c == NetRefused || c == NetReset || c == NetTruncated
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
// ok is false when the header is absent or unreadable.
func parseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64((1<<62)/time.Second) {
			return time.Duration(1 << 62), true
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d, true
		}
		return 0, true
	}
	return 0, false
}

// sleep waits d or until ctx is done, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
