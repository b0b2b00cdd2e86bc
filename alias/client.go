package alias

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aliasd/aliasd/rpc"
)

// Credential is a token as the client needs it. Secret never leaves the
// client except in the Authorization header sent to the configured origin.
type Credential struct {
	Profile     string // profile name it was resolved from
	Secret      string // the personal access token
	Fingerprint string // safe identity of the token (governor key, history)
	Storage     string // rpc.StorageKeyring, StorageFile, StorageEnv, StorageMemory
}

// TokenSource resolves the token of a profile; "" means the active profile.
// The daemon adapts the token vault to it.
type TokenSource interface {
	Credential(ctx context.Context, profile string) (Credential, error)
}

// StaticToken is a TokenSource holding one token, for tests and for a token
// taken from the environment. It answers the empty profile and its own.
type StaticToken Credential

// Credential implements TokenSource.
func (s StaticToken) Credential(_ context.Context, profile string) (Credential, error) {
	if profile != "" && profile != s.Profile {
		return Credential{}, fmt.Errorf("no token named %q", profile)
	}
	c := Credential(s)
	if c.Fingerprint == "" {
		c.Fingerprint = fallbackFingerprint(c.Secret)
	}
	return c, nil
}

// fallbackFingerprint names a token whose source gave no fingerprint.
func fallbackFingerprint(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return "sha256:" + hex.EncodeToString(sum[:6])
}

// Config configures a Client. BaseURL and Tokens are required; every other
// field has a default.
type Config struct {
	// BaseURL is the API origin, with or without /api/v1:
	// https://api.alias.org, https://api.alias.org/api/v1, or a loopback
	// mock such as http://127.0.0.1:PORT/api/v1. Plain http is refused for
	// non-loopback hosts. Required.
	BaseURL string
	// Tokens resolves a call's profile to its token. Required.
	Tokens TokenSource
	// ConnectTimeout bounds dialing and the TLS handshake, default 10s.
	ConnectTimeout time.Duration
	// RequestTimeout bounds one attempt from sending to the body's last
	// byte, default 60s (the API has had 20–45 s first-byte times).
	RequestTimeout time.Duration
	// MaxBodyBytes caps a response body after decompression, default 32 MiB.
	MaxBodyBytes int64
	// UserAgent is sent on every request, default "aliasd/dev"; the daemon
	// passes "aliasd/<version>".
	UserAgent string
	// Retry bounds automatic retries of idempotent calls.
	Retry RetryPolicy
	// Governor tunes the per-token rate governor.
	Governor GovernorConfig
	// Logger receives redacted debug and warning lines; nil discards.
	Logger *slog.Logger
	// Redact is applied to every error text, log line, header and body the
	// client produces (the daemon passes the token vault's redactor). The
	// client also removes the literal token of each call (8 bytes or longer).
	Redact func(string) string
	// Transport replaces the tuned http.Transport (tests only).
	Transport http.RoundTripper
}

// Client calls the alias API. It is safe for concurrent use; one Client
// is shared by every caller so that the rate governors are shared too.
type Client struct {
	cfg  Config
	base atomic.Pointer[base]
	hc   *http.Client
	gov  *governors
	log  *slog.Logger
}

// New checks cfg, fills defaults and returns a client.
func New(cfg Config) (*Client, error) {
	if cfg.Tokens == nil {
		return nil, fieldErr("Tokens", "required")
	}
	b, err := parseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 60 * time.Second
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 32 << 20
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "aliasd/dev"
	}
	cfg.Retry = cfg.Retry.withDefaults()
	rt := cfg.Transport
	if rt == nil {
		rt = newTransport(cfg.ConnectTimeout)
	}
	c := &Client{
		cfg: cfg,
		hc: &http.Client{
			Transport:     &authTransport{next: rt},
			CheckRedirect: checkRedirect,
		},
		gov: newGovernors(cfg.Governor),
		log: cfg.Logger,
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.base.Store(b)
	return c, nil
}

// SetBaseURL switches the API base URL (config hot reload). Calls in flight
// finish against the old one. It is safe for concurrent use.
func (c *Client) SetBaseURL(raw string) error {
	b, err := parseBaseURL(raw)
	if err != nil {
		return err
	}
	c.base.Store(b)
	return nil
}

// BaseURL returns the current base URL, normalised (origin + /api/v1).
func (c *Client) BaseURL() string { return c.base.Load().String() }

// Governors reports the rate governor of every token used so far.
func (c *Client) Governors() []rpc.GovernorState { return c.gov.states() }

// Call is one API call as asked.
type Call struct {
	Method string
	// Path is an API path: /catalog, catalog or /api/v1/catalog; a query
	// after "?" is merged into Query.
	Path  string
	Query url.Values
	// Body is a JSON request body (batch_create, batch_update); refused on
	// GET and HEAD.
	Body []byte
	// Header adds request headers, e.g. If-None-Match from the cache.
	// Authorization, Cookie, Host and hop-by-hop headers are refused.
	Header  http.Header
	Profile string // token profile; "" = the active one
}

// Do makes a call, retrying idempotent ones, and returns what happened on
// the wire as a *Response — network failures included (Status 0). The error
// is non-nil only when the call could not be made as asked: a *FieldError
// (errors.Is ErrInvalidCall) or a *CredentialError (errors.Is
// ErrNoCredential).
func (c *Client) Do(ctx context.Context, call Call) (*Response, error) {
	start := time.Now()
	pc, err := prepare(call)
	if err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			fe.Msg = c.redact(fe.Msg, "")
		}
		return nil, err
	}
	b := c.base.Load()
	cred, err := c.cfg.Tokens.Credential(ctx, call.Profile)
	if err != nil {
		return nil, &CredentialError{Profile: call.Profile, Msg: c.redact(err.Error(), "")}
	}
	if err := checkSecret(cred.Secret); err != nil {
		return nil, &CredentialError{Profile: call.Profile, Msg: err.Error()}
	}
	if cred.Fingerprint == "" {
		cred.Fingerprint = fallbackFingerprint(cred.Secret)
	}
	if cred.Profile == "" {
		cred.Profile = call.Profile
	}
	u := b.origin.String() + b.prefix + pc.path
	if q := pc.query.Encode(); q != "" {
		u += "?" + q
	}
	ex := &exchange{c: c, pc: pc, url: u, origin: b.origin, secret: cred.Secret, gov: c.gov.get(cred.Fingerprint)}
	r := ex.run(ctx)
	r.Profile, r.Fingerprint = cred.Profile, cred.Fingerprint
	r.Duration = time.Since(start)
	if d := Diagnose(r); d != nil {
		d.Title, d.Detail, d.Hint = c.redact(d.Title, cred.Secret), c.redact(d.Detail, cred.Secret), c.redact(d.Hint, cred.Secret)
		r.Diagnostic = d
	}
	c.logResult(r)
	return r, nil
}

// checkSecret refuses tokens that cannot travel in a header. The message
// never contains the token.
func checkSecret(s string) error {
	if s == "" {
		return errors.New("empty token")
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return fmt.Errorf("token has a character not allowed in a header at byte %d", i)
		}
	}
	return nil
}

// redact removes secret (when 8 bytes or longer), masks anything that looks
// like a PAT or a bearer, and applies Config.Redact.
func (c *Client) redact(s, secret string) string {
	if len(secret) >= 8 && strings.Contains(s, secret) {
		s = strings.ReplaceAll(s, secret, "[REDACTED]")
	}
	s = baselineRedact(s)
	if c.cfg.Redact != nil {
		s = c.cfg.Redact(s)
	}
	return s
}

var (
	patRe    = regexp.MustCompile(`goatapi_[A-Za-z0-9_\-]+`)
	bearerRe = regexp.MustCompile(`(?i)(bearer\s+)[^\s"',;\\]+`)
)

// isProseWord reports a short run of lower-case letters, perhaps ending a
// sentence: a word after "bearer", not a credential (the same rule as
// internal/redact; registered tokens are always removed by Config.Redact).
func isProseWord(v string) bool {
	v = strings.TrimRight(v, ".!?:")
	if v == "" || len(v) > 12 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 'a' || v[i] > 'z' {
			return false
		}
	}
	return true
}

// baselineRedact masks PAT-shaped strings and bearer credentials, whatever
// Config.Redact does.
func baselineRedact(s string) string {
	if strings.Contains(s, "goatapi_") {
		s = patRe.ReplaceAllString(s, "goatapi_[REDACTED]")
	}
	if strings.Contains(s, "earer") || strings.Contains(s, "EARER") {
		s = bearerRe.ReplaceAllStringFunc(s, func(m string) string {
			if strings.HasSuffix(m, "[REDACTED]") {
				return m
			}
			sub := bearerRe.FindStringSubmatch(m)
			if isProseWord(m[len(sub[1]):]) {
				return m // "missing bearer token": prose, not a credential
			}
			return sub[1] + "[REDACTED]"
		})
	}
	return s
}

func (c *Client) logResult(r *Response) {
	lvl := slog.LevelDebug
	if r.Status == 0 || r.Status >= 500 {
		lvl = slog.LevelWarn
	}
	if !c.log.Enabled(context.Background(), lvl) {
		return
	}
	args := []any{
		"method", r.Method, "path", r.Path, "status", r.Status,
		"request_id", r.RequestID, "attempts", r.Attempts,
		"duration_ms", r.Duration.Milliseconds(), "fingerprint", r.Fingerprint,
	}
	if r.NetErr != nil {
		args = append(args, "error", r.NetErr.Error()) // already redacted
	}
	if r.Error != nil {
		args = append(args, "api_code", r.Error.Code, "api_message", r.Error.Message)
	}
	c.log.Log(context.Background(), lvl, "alias call", args...)
}
