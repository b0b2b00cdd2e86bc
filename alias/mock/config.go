package mock

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aliasd/aliasd/alias"
)

// TokenSpec is one personal access token the mock accepts.
type TokenSpec struct {
	// Token is the bearer value. Required, no spaces or colons.
	Token string
	// Scopes are the endpoint groups the token may call; nil or empty
	// means every group.
	Scopes []alias.Scope
}

// allows reports whether the token may call endpoints of group s.
func (t TokenSpec) allows(s alias.Scope) bool {
	if len(t.Scopes) == 0 {
		return true
	}
	for _, g := range t.Scopes {
		if g == s {
			return true
		}
	}
	return false
}

// ErrBadTokenSpec is wrapped by ParseTokenSpec and New for a malformed
// token. Its messages never contain the token itself.
var ErrBadTokenSpec = errors.New("bad token spec")

// ParseTokenSpec parses the CLI form TOKEN[:SCOPES], where SCOPES is a
// comma-separated list of scope groups (test, catalog, pricing, listings,
// orders, batch). Without SCOPES the token may call every group.
func ParseTokenSpec(s string) (TokenSpec, error) {
	tok, scopes, hasScopes := strings.Cut(s, ":")
	spec := TokenSpec{Token: tok}
	if err := checkToken(tok); err != nil {
		return TokenSpec{}, err
	}
	if !hasScopes {
		return spec, nil
	}
	if strings.TrimSpace(scopes) == "" {
		return TokenSpec{}, fmt.Errorf("%w: empty scope list after ':' (omit it to allow every group)", ErrBadTokenSpec)
	}
	seen := map[alias.Scope]bool{}
	for _, name := range strings.Split(scopes, ",") {
		g := alias.Scope(strings.ToLower(strings.TrimSpace(name)))
		if !knownScope(g) {
			return TokenSpec{}, fmt.Errorf("%w: unknown scope group %q (want %s)", ErrBadTokenSpec, name, scopeList())
		}
		if !seen[g] {
			seen[g] = true
			spec.Scopes = append(spec.Scopes, g)
		}
	}
	return spec, nil
}

func checkToken(tok string) error {
	switch {
	case tok == "":
		return fmt.Errorf("%w: empty token", ErrBadTokenSpec)
	case strings.ContainsAny(tok, " \t\r\n:"):
		return fmt.Errorf("%w: token contains whitespace or ':'", ErrBadTokenSpec)
	}
	return nil
}

func knownScope(g alias.Scope) bool {
	for _, s := range alias.Scopes {
		if s == g {
			return true
		}
	}
	return false
}

func scopeList() string {
	names := make([]string, len(alias.Scopes))
	for i, s := range alias.Scopes {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// Config configures a Server. Only Tokens is required.
type Config struct {
	// Tokens lists the accepted personal access tokens. Required: at
	// least one.
	Tokens []TokenSpec
	// Seed makes the seeded state deterministic: two servers with the
	// same seed answer the same reads with the same bodies.
	Seed int64
	// Latency delays every API response.
	Latency time.Duration
	// ErrorRate is the share (0..1) of API requests answered with a random
	// 500, 502, 503 or 504 before routing.
	ErrorRate float64
	// RateLimit is each token's sustained rate in requests per second
	// (token bucket); 0 disables it. Past it the mock answers 429 code 8.
	RateLimit float64
	// RateBurst is the bucket size; 0 means max(1, RateLimit).
	RateBurst int
	// RetryAfter, when set, is sent as Retry-After (whole seconds) on the
	// RateLimit 429s. The real API sends none, so the default is none.
	RetryAfter time.Duration
	// BatchStep is how often batches advance (PENDING → IN_PROGRESS →
	// COMPLETED); 0 means 200ms.
	BatchStep time.Duration
	// MaxOperationQuota is the per-seller cap on operations in running
	// batches (GetBatchOperationQuota); 0 means 5000.
	MaxOperationQuota int
	// Faults are fault rules active from the start (see Fault).
	Faults []Fault
	// Now is the clock for writes; nil means time.Now. Seeded data uses a
	// fixed epoch whatever the clock.
	Now func() time.Time
	// Logger receives one line per request (never a token); nil discards.
	Logger *slog.Logger
}

func (c *Config) validate() error {
	if len(c.Tokens) == 0 {
		return fmt.Errorf("%w: at least one token is required", ErrBadTokenSpec)
	}
	seen := map[string]bool{}
	for i, t := range c.Tokens {
		if err := checkToken(t.Token); err != nil {
			return fmt.Errorf("token %d: %w", i+1, err)
		}
		if seen[t.Token] {
			return fmt.Errorf("token %d: %w: duplicate token", i+1, ErrBadTokenSpec)
		}
		seen[t.Token] = true
		for _, g := range t.Scopes {
			if !knownScope(g) {
				return fmt.Errorf("token %d: %w: unknown scope group %q (want %s)", i+1, ErrBadTokenSpec, g, scopeList())
			}
		}
	}
	switch {
	case c.ErrorRate < 0 || c.ErrorRate > 1:
		return fmt.Errorf("error rate %v: want 0..1", c.ErrorRate)
	case c.RateLimit < 0 || c.RateBurst < 0:
		return fmt.Errorf("rate limit %v/%d: want non-negative values", c.RateLimit, c.RateBurst)
	case c.Latency < 0 || c.BatchStep < 0 || c.RetryAfter < 0:
		return errors.New("latency, batch step and retry-after must not be negative")
	case c.MaxOperationQuota < 0:
		return fmt.Errorf("max operation quota %d: want non-negative", c.MaxOperationQuota)
	}
	for i := range c.Faults {
		if err := c.Faults[i].validate(); err != nil {
			return fmt.Errorf("fault %d: %w", i+1, err)
		}
	}
	return nil
}
