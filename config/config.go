// Package config holds aliasd's configuration: the versioned struct and its
// defaults, the file and directory layout (ALIASD_HOME or the XDG base
// directories), loading and validating config.toml with errors that name
// the line, and a watcher that applies valid edits live and keeps the last
// good configuration on a bad one.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

var typeErrRE = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]*)"\): (.*)$`)

// Version is the config schema version this build writes and reads.
const Version = 1

// DefaultBaseURL is the alias API.
const DefaultBaseURL = "https://api.alias.org/api/v1"

// Duration is a time.Duration that reads "90d" as well as Go durations.
type Duration time.Duration

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil {
			return fmt.Errorf("invalid duration %q", s)
		}
		*d = Duration(n * float64(24*time.Hour))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q (use e.g. 30s, 10m, 24h, 90d)", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Config is the whole configuration. Zero values are replaced by defaults
// on load; see Default.
type Config struct {
	Version        int      `toml:"version"`
	BaseURL        string   `toml:"base_url"`
	TokenStorage   string   `toml:"token_storage"` // auto, keyring, file
	KeyringTimeout Duration `toml:"keyring_timeout"`
	LogLevel       string   `toml:"log_level"` // debug, info, warn, error

	HTTP    HTTP    `toml:"http"`
	Cache   Cache   `toml:"cache"`
	History History `toml:"history"`
	RPC     RPC     `toml:"rpc"`
	Daemon  Daemon  `toml:"daemon"`
}

// HTTP configures the API client.
type HTTP struct {
	ConnectTimeout Duration `toml:"connect_timeout"`
	RequestTimeout Duration `toml:"request_timeout"`
	MaxBodyBytes   int64    `toml:"max_body_bytes"`
	MaxAttempts    int      `toml:"max_attempts"`
	MaxRetryWait   Duration `toml:"max_retry_wait"`
	MaxRetryAfter  Duration `toml:"max_retry_after"`
	RateLimit      float64  `toml:"rate_limit"` // requests per second per token
	RateBurst      int      `toml:"rate_burst"`
}

// Cache configures the response cache.
type Cache struct {
	MaxBytes int64    `toml:"max_bytes"`
	TTL      CacheTTL `toml:"ttl"`
}

// CacheTTL is the freshness lifetime per endpoint class. Zero means
// "always revalidate" (the entry is still kept for offline use).
type CacheTTL struct {
	CatalogItem   *Duration `toml:"catalog_item"`
	CatalogSearch *Duration `toml:"catalog_search"`
	Pricing       *Duration `toml:"pricing"`
	Listings      *Duration `toml:"listings"`
	Orders        *Duration `toml:"orders"`
	Batch         *Duration `toml:"batch"`
}

// History configures the request history.
type History struct {
	MaxEntries int      `toml:"max_entries"`
	MaxAge     Duration `toml:"max_age"`
	BodyCap    int      `toml:"body_cap"`
}

// RPC configures the JSON-RPC wire.
type RPC struct {
	MaxMessageBytes int64 `toml:"max_message_bytes"`
}

// Daemon configures the shared daemon.
type Daemon struct {
	IdleTimeout Duration `toml:"idle_timeout"`
}

func dur(d time.Duration) *Duration { v := Duration(d); return &v }

// Default returns the built-in configuration.
func Default() Config {
	return Config{
		Version:        Version,
		BaseURL:        DefaultBaseURL,
		TokenStorage:   "auto",
		KeyringTimeout: Duration(3 * time.Second),
		LogLevel:       "info",
		HTTP: HTTP{
			ConnectTimeout: Duration(10 * time.Second),
			RequestTimeout: Duration(60 * time.Second),
			MaxBodyBytes:   32 << 20,
			MaxAttempts:    4,
			MaxRetryWait:   Duration(30 * time.Second),
			MaxRetryAfter:  Duration(20 * time.Second),
			RateLimit:      10,
			RateBurst:      20,
		},
		Cache: Cache{
			MaxBytes: 256 << 20,
			TTL: CacheTTL{
				CatalogItem:   dur(24 * time.Hour),
				CatalogSearch: dur(10 * time.Minute),
				Pricing:       dur(60 * time.Second),
				Listings:      dur(0),
				Orders:        dur(0),
				Batch:         dur(0),
			},
		},
		History: History{
			MaxEntries: 100_000,
			MaxAge:     Duration(90 * 24 * time.Hour),
			BodyCap:    64 << 10,
		},
		RPC:    RPC{MaxMessageBytes: 64 << 20},
		Daemon: Daemon{IdleTimeout: Duration(5 * time.Minute)},
	}
}

// Error is a configuration problem, located in the file when possible.
type Error struct {
	File string
	Line int    // 0 when unknown
	Key  string // dotted key, when known
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Env carries the environment overrides.
type Env struct {
	BaseURL string // ALIASD_BASE_URL
}

// EnvFromOS reads the overrides from the process environment.
func EnvFromOS() Env {
	return Env{BaseURL: os.Getenv("ALIASD_BASE_URL")}
}

// Load reads path over the defaults, validates, and applies env. A missing
// file is not an error: the defaults apply.
func Load(path string, env Env) (Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		data = nil
	} else if err != nil {
		return Config{}, &Error{File: path, Msg: err.Error()}
	}
	return Parse(path, data, env)
}

// Parse decodes config text (named path in errors) over the defaults.
func Parse(path string, data []byte, env Env) (Config, error) {
	cfg := Default()
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&cfg)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return Config{}, &Error{File: path, Line: pe.Position.Line, Key: pe.LastKey, Msg: pe.Message}
		}
		var ppe *toml.ParseError
		if errors.As(err, &ppe) {
			return Config{}, &Error{File: path, Line: ppe.Position.Line, Key: ppe.LastKey, Msg: ppe.Message}
		}
		// Type mismatches come as plain text: "toml: line N (last key "k"): msg".
		if m := typeErrRE.FindStringSubmatch(err.Error()); m != nil {
			line, _ := strconv.Atoi(m[1])
			return Config{}, &Error{File: path, Line: line, Key: m[2], Msg: m[3]}
		}
		return Config{}, &Error{File: path, Msg: strings.TrimPrefix(err.Error(), "toml: ")}
	}
	if und := md.Undecoded(); len(und) > 0 {
		k := und[0].String()
		return Config{}, &Error{File: path, Line: keyLine(data, k), Key: k, Msg: "unknown setting"}
	}
	if err := cfg.validate(); err != nil {
		var ce *Error
		if errors.As(err, &ce) {
			ce.File = path
			ce.Line = keyLine(data, ce.Key)
		}
		return Config{}, err
	}
	if env.BaseURL != "" {
		cfg.BaseURL = env.BaseURL
		if err := checkBaseURL(cfg.BaseURL); err != nil {
			return Config{}, &Error{File: "ALIASD_BASE_URL", Msg: err.Error()}
		}
	}
	return cfg, nil
}

func (c *Config) validate() error {
	bad := func(key, format string, args ...any) error {
		return &Error{Key: key, Msg: fmt.Sprintf(format, args...)}
	}
	if c.Version != Version {
		return bad("version", "this aliasd reads config version %d, the file says %d", Version, c.Version)
	}
	if err := checkBaseURL(c.BaseURL); err != nil {
		return bad("base_url", "%v", err)
	}
	switch c.TokenStorage {
	case "auto", "keyring", "file":
	default:
		return bad("token_storage", "%q is not one of auto, keyring, file", c.TokenStorage)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return bad("log_level", "%q is not one of debug, info, warn, error", c.LogLevel)
	}
	positive := []struct {
		key string
		v   time.Duration
	}{
		{"keyring_timeout", c.KeyringTimeout.D()},
		{"http.connect_timeout", c.HTTP.ConnectTimeout.D()},
		{"http.request_timeout", c.HTTP.RequestTimeout.D()},
		{"history.max_age", c.History.MaxAge.D()},
		{"daemon.idle_timeout", c.Daemon.IdleTimeout.D()},
	}
	for _, p := range positive {
		if p.v <= 0 {
			return bad(p.key, "must be a positive duration")
		}
	}
	ints := []struct {
		key string
		v   int64
	}{
		{"http.max_body_bytes", c.HTTP.MaxBodyBytes},
		{"http.max_attempts", int64(c.HTTP.MaxAttempts)},
		{"http.rate_burst", int64(c.HTTP.RateBurst)},
		{"cache.max_bytes", c.Cache.MaxBytes},
		{"history.max_entries", int64(c.History.MaxEntries)},
		{"history.body_cap", int64(c.History.BodyCap)},
		{"rpc.max_message_bytes", c.RPC.MaxMessageBytes},
	}
	for _, p := range ints {
		if p.v <= 0 {
			return bad(p.key, "must be a positive number")
		}
	}
	if c.HTTP.RateLimit <= 0 {
		return bad("http.rate_limit", "must be a positive number of requests per second")
	}
	if c.HTTP.MaxRetryWait < 0 || c.HTTP.MaxRetryAfter < 0 {
		return bad("http.max_retry_wait", "must not be negative")
	}
	for _, t := range []struct {
		key string
		v   *Duration
	}{
		{"cache.ttl.catalog_item", c.Cache.TTL.CatalogItem},
		{"cache.ttl.catalog_search", c.Cache.TTL.CatalogSearch},
		{"cache.ttl.pricing", c.Cache.TTL.Pricing},
		{"cache.ttl.listings", c.Cache.TTL.Listings},
		{"cache.ttl.orders", c.Cache.TTL.Orders},
		{"cache.ttl.batch", c.Cache.TTL.Batch},
	} {
		if t.v != nil && *t.v < 0 {
			return bad(t.key, "must not be negative")
		}
	}
	return nil
}

// checkBaseURL accepts https URLs, and http only to a loopback host.
func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", s)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%q: plain http is allowed only to a loopback host (tokens would travel in clear text)", s)
	}
	return fmt.Errorf("%q: scheme must be https", s)
}

// isLoopback reports whether host is localhost or a loopback address.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// keyLine finds the line defining a dotted key ("http.max_attempts") in
// TOML text, tracking [table] headers. It returns 0 when not found.
func keyLine(data []byte, dotted string) int {
	if dotted == "" {
		return 0
	}
	table := ""
	for i, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "[") && !strings.HasPrefix(t, "[[") {
			table = strings.Trim(strings.TrimSpace(strings.SplitN(t, "]", 2)[0]), "[ ")
			continue
		}
		k, _, ok := strings.Cut(t, "=")
		if !ok {
			continue
		}
		full := strings.TrimSpace(k)
		if table != "" {
			full = table + "." + full
		}
		if full == dotted {
			return i + 1
		}
	}
	return 0
}

// TTL returns the freshness lifetime for an endpoint cache class name, and
// whether the class is cacheable at all.
func (c CacheTTL) TTL(class string) (time.Duration, bool) {
	var d *Duration
	switch class {
	case "catalog_item":
		d = c.CatalogItem
	case "catalog_search":
		d = c.CatalogSearch
	case "pricing":
		d = c.Pricing
	case "listings":
		d = c.Listings
	case "orders":
		d = c.Orders
	case "batch":
		d = c.Batch
	default:
		return 0, false
	}
	if d == nil {
		return 0, true
	}
	return d.D(), true
}

// Sample is a commented config.toml with every setting at its default.
const Sample = `# aliasd configuration. Every setting is optional; these are the defaults.
version = 1
base_url = "https://api.alias.org/api/v1"   # ALIASD_BASE_URL overrides
token_storage = "auto"                      # auto | keyring | file
keyring_timeout = "3s"
log_level = "info"                          # debug | info | warn | error

[http]
connect_timeout = "10s"
request_timeout = "60s"      # the API has had 20-45 s first-byte times
max_body_bytes = 33554432    # 32 MiB
max_attempts = 4             # retries of idempotent calls included
max_retry_wait = "30s"
max_retry_after = "20s"
rate_limit = 10.0            # requests per second per token, lowered after a 429
rate_burst = 20

[cache]
max_bytes = 268435456        # 256 MiB

[cache.ttl]
catalog_item = "24h"
catalog_search = "10m"
pricing = "60s"
listings = "0s"              # 0 = always revalidate; kept for offline use
orders = "0s"
batch = "0s"

[history]
max_entries = 100000
max_age = "90d"
body_cap = 65536             # bytes kept per request/response body

[rpc]
max_message_bytes = 67108864 # 64 MiB

[daemon]
idle_timeout = "5m"
`
