package daemon

import (
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"go.etcd.io/bbolt"

	"github.com/aliasd/aliasd/alias"
	"github.com/aliasd/aliasd/cache"
	"github.com/aliasd/aliasd/config"
	"github.com/aliasd/aliasd/history"
	"github.com/aliasd/aliasd/internal/buildinfo"
	"github.com/aliasd/aliasd/store"
	"github.com/aliasd/aliasd/tokens"
)

// open builds the shared state: the vault, the store with its cache and
// history, and the API client.
func (d *Daemon) open(conf config.Config) error {
	var err error
	d.vault, err = tokens.Open(tokens.Config{
		Dir:            d.cfg.Paths.ConfigDir,
		Storage:        conf.TokenStorage,
		KeyringTimeout: conf.KeyringTimeout.D(),
		Keyring:        d.cfg.Keyring,
		Redactor:       d.redactor,
		Logger:         d.logger,
		RecheckAfter:   500 * time.Millisecond,
	})
	if err != nil {
		return fmt.Errorf("opening the token vault: %w", err)
	}

	d.store, err = store.Open(store.Options{Path: d.cfg.Paths.DBFile(), Timeout: 2 * time.Second, Logger: d.logger})
	if err != nil {
		return fmt.Errorf("opening the database: %w", err)
	}
	d.warnings = append(d.warnings, d.store.Warnings()...)

	ttl := cache.DefaultTTL()
	for class := range ttl {
		if v, ok := conf.Cache.TTL.TTL(string(class)); ok {
			ttl[class] = v
		}
	}
	d.cache, err = cache.New(cache.Config{Store: d.store, TTL: ttl, MaxBytes: conf.Cache.MaxBytes, Logger: d.logger})
	if err != nil {
		return fmt.Errorf("opening the cache: %w", err)
	}

	d.history, err = history.Open(history.Config{
		DB:         d.store.DB(),
		Journal:    filepath.Join(d.cfg.Paths.DataDir, "history.journal"),
		MaxEntries: conf.History.MaxEntries,
		MaxAge:     conf.History.MaxAge.D(),
		BodyCap:    conf.History.BodyCap,
		Redact:     d.redactor.String,
		Migrate: func(component string, steps []history.Migration) error {
			// The store numbers steps by position: order them by version.
			sorted := slices.SortedFunc(slices.Values(steps), func(a, b history.Migration) int { return a.Version - b.Version })
			fs := make([]func(*bbolt.Tx) error, len(sorted))
			for i, s := range sorted {
				fs[i] = s.Apply
			}
			return d.store.Migrate(component, fs)
		},
		Version: buildinfo.Version(),
		BaseURL: conf.BaseURL,
		Logger:  d.logger,
	})
	if err != nil {
		return fmt.Errorf("opening the history: %w", err)
	}

	d.client, err = alias.New(alias.Config{
		BaseURL:        conf.BaseURL,
		Tokens:         d,
		ConnectTimeout: conf.HTTP.ConnectTimeout.D(),
		RequestTimeout: conf.HTTP.RequestTimeout.D(),
		MaxBodyBytes:   conf.HTTP.MaxBodyBytes,
		UserAgent:      "aliasd/" + buildinfo.Version(),
		Retry: alias.RetryPolicy{
			MaxAttempts:   conf.HTTP.MaxAttempts,
			MaxTotalWait:  conf.HTTP.MaxRetryWait.D(),
			MaxRetryAfter: conf.HTTP.MaxRetryAfter.D(),
		},
		Governor: alias.GovernorConfig{Rate: conf.HTTP.RateLimit, Burst: conf.HTTP.RateBurst},
		Logger:   d.logger,
		Redact:   d.redactor.String,
	})
	if err != nil {
		return fmt.Errorf("configuring the API client: %w", err)
	}
	return nil
}
