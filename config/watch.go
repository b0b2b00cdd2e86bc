package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// WatchConfig configures Watch. Path and OnChange are required.
type WatchConfig struct {
	Path string
	Env  Env
	// Debounce waits for a burst of events (editors save by write+rename)
	// to settle. Default 100ms.
	Debounce time.Duration
	// OnChange receives every new valid config, or the error of an invalid
	// edit (the caller keeps its last good config).
	OnChange func(Config, error)
	Logger   *slog.Logger
}

// Watch watches the config file's directory and reports changes until ctx
// ends. It returns after the watch is established.
func Watch(ctx context.Context, cfg WatchConfig) error {
	if cfg.Debounce <= 0 {
		cfg.Debounce = 100 * time.Millisecond
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	dir := filepath.Dir(cfg.Path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("watching config: %w", err)
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching config: %w", err)
	}
	if err := w.Add(dir); err != nil {
		w.Close()
		return fmt.Errorf("watching config directory %s: %w", dir, err)
	}
	last, _ := os.ReadFile(cfg.Path)
	name := filepath.Base(cfg.Path)
	go func() {
		defer w.Close()
		var timer *time.Timer
		var fire <-chan time.Time
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if filepath.Base(ev.Name) != name {
					continue
				}
				if timer == nil {
					timer = time.NewTimer(cfg.Debounce)
				} else {
					timer.Reset(cfg.Debounce)
				}
				fire = timer.C
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				logger.Warn("config watch error", "err", err)
			case <-fire:
				fire = nil
				data, err := os.ReadFile(cfg.Path)
				if err != nil && !errors.Is(err, os.ErrNotExist) {
					cfg.OnChange(Config{}, &Error{File: cfg.Path, Msg: err.Error()})
					continue
				}
				if bytes.Equal(data, last) {
					continue
				}
				last = data
				c, err := Parse(cfg.Path, data, cfg.Env)
				cfg.OnChange(c, err)
			}
		}
	}()
	return nil
}
