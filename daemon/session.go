package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aliasd/aliasd/alias"
	"github.com/aliasd/aliasd/config"
	"github.com/aliasd/aliasd/rpc"
	"github.com/aliasd/aliasd/tokens"
)

// session is one connection's state.
type session struct {
	conn *rpc.Conn
	out  *outbox // broadcast notifications for this session

	mu     sync.Mutex // guards client
	client string     // clientInfo.name from initialize
	// envProfile names this session's ALIASD_TOKEN in Daemon.envTokens;
	// "" when the session has none. Set before or during initialize.
	envProfile string
	// onInit, for a handed-over session, sends the initialize params to
	// the relay (to replay them if this daemon dies).
	onInit func(params json.RawMessage)
}

// sessionOf returns the session of a connection; a throwaway one when the
// connection is unknown (never nil).
func sessionOf(c *rpc.Conn) *session {
	if c != nil {
		if s, ok := c.Value().(*session); ok {
			return s
		}
	}
	return &session{}
}

func (s *session) setClient(name string) {
	s.mu.Lock()
	s.client = name
	s.mu.Unlock()
}

func (s *session) clientName() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.client
}

// profile resolves the profile a call uses: the one asked for, else the
// session's ALIASD_TOKEN, else "" (the vault's active profile).
func (s *session) profile(asked string) string {
	if asked != "" {
		return asked
	}
	return s.envProfile
}

// envProfilePrefix marks session-scoped ALIASD_TOKEN profiles.
const envProfilePrefix = "\x00session-env-"

var envSeq atomic.Int64

// initEnvToken reads ALIASD_TOKEN passed by a CLI or relay in
// initializationOptions: {"aliasd": {"envToken": "…"}}.
func initEnvToken(raw json.RawMessage) string {
	var opts struct {
		Aliasd struct {
			EnvToken string `json:"envToken"`
		} `json:"aliasd"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &opts) != nil {
		return ""
	}
	return strings.TrimSpace(opts.Aliasd.EnvToken)
}

// setSessionToken gives a session its own ALIASD_TOKEN: used for its calls
// without a profile, registered with the redactor, never stored.
func (d *Daemon) setSessionToken(s *session, tok string) {
	d.redactor.Add(tok)
	name := fmt.Sprintf("%s%d", envProfilePrefix, envSeq.Add(1))
	d.mu.Lock()
	d.envTokens[name] = tok
	d.mu.Unlock()
	s.envProfile = name
}

// Credential implements alias.TokenSource: session ALIASD_TOKENs first,
// then the vault.
func (d *Daemon) Credential(ctx context.Context, profile string) (alias.Credential, error) {
	if strings.HasPrefix(profile, envProfilePrefix) {
		d.mu.Lock()
		tok, ok := d.envTokens[profile]
		d.mu.Unlock()
		if !ok {
			return alias.Credential{}, fmt.Errorf("the session's ALIASD_TOKEN is gone")
		}
		return alias.Credential{Profile: "env", Secret: tok, Fingerprint: tokens.Fingerprint(tok), Storage: rpc.StorageEnv}, nil
	}
	c, err := d.vault.Credential(ctx, profile)
	if err != nil {
		return alias.Credential{}, err
	}
	return alias.Credential{Profile: c.Profile, Secret: c.Secret, Fingerprint: c.Fingerprint, Storage: c.Storage}, nil
}

// restartOnly lists the settings that changed between old and c and take
// effect only when the daemon starts again.
func restartOnly(old, c config.Config) []string {
	var out []string
	if old.TokenStorage != c.TokenStorage || old.KeyringTimeout != c.KeyringTimeout {
		out = append(out, "token_storage")
	}
	if old.HTTP != c.HTTP {
		out = append(out, "[http]")
	}
	if old.Cache.MaxBytes != c.Cache.MaxBytes || !sameTTL(old.Cache.TTL, c.Cache.TTL) {
		out = append(out, "[cache]")
	}
	if old.History != c.History {
		out = append(out, "[history]")
	}
	if old.RPC != c.RPC {
		out = append(out, "[rpc]")
	}
	return out
}

func sameTTL(a, b config.CacheTTL) bool {
	for _, class := range []alias.CacheClass{alias.CacheCatalogItem, alias.CacheCatalogSearch, alias.CachePricing, alias.CacheListings, alias.CacheOrders, alias.CacheBatch} {
		x, _ := a.TTL(string(class))
		y, _ := b.TTL(string(class))
		if x != y {
			return false
		}
	}
	return true
}
