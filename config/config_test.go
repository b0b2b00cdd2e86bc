package config

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDefaultsAndSample(t *testing.T) {
	def, err := Parse("none", nil, Env{})
	if err != nil {
		t.Fatalf("Parse(empty) = %v", err)
	}
	sample, err := Parse("sample", []byte(Sample), Env{})
	if err != nil {
		t.Fatalf("Parse(Sample) = %v", err)
	}
	if def.BaseURL != DefaultBaseURL || def.History.MaxEntries != 100000 || def.History.MaxAge.D() != 90*24*time.Hour {
		t.Errorf("defaults = %+v", def)
	}
	if sample.History.MaxAge != def.History.MaxAge || sample.HTTP != def.HTTP || sample.Cache.MaxBytes != def.Cache.MaxBytes {
		t.Errorf("Sample differs from Default: %+v vs %+v", sample, def)
	}
	for class, want := range map[string]time.Duration{"catalog_item": 24 * time.Hour, "catalog_search": 10 * time.Minute, "pricing": time.Minute, "listings": 0} {
		if got, ok := sample.Cache.TTL.TTL(class); !ok || got != want {
			t.Errorf("TTL(%s) = %v, %v, want %v", class, got, ok, want)
		}
	}
	if _, ok := def.Cache.TTL.TTL("test"); ok {
		t.Errorf("TTL(test) cacheable, want not")
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, text string
		line       int
		mention    string
	}{
		{"syntax", "version = 1\nbase_url = \"x\n", 2, ""},
		{"unknown key", "version = 1\n\n[http]\nconect_timeout = \"1s\"\n", 4, "unknown setting"},
		{"bad enum", "version = 1\nlog_level = \"info\"\ntoken_storage = \"vault\"\n", 3, "token_storage"},
		{"bad duration", "[http]\nrequest_timeout = \"soon\"\n", 2, "duration"},
		{"negative", "[history]\nmax_entries = -1\n", 2, "history.max_entries"},
		{"plain http to a remote host", "base_url = \"http://api.alias.org/api/v1\"\n", 1, "loopback"},
		{"wrong version", "version = 2\n", 1, "version"},
		{"wrong type", "[http]\nmax_attempts = \"four\"\n", 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("config.toml", []byte(tt.text), Env{})
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Parse = %v, want *Error", err)
			}
			if ce.Line != tt.line || !strings.Contains(err.Error(), tt.mention) || !strings.HasPrefix(err.Error(), "config.toml:") {
				t.Errorf("Parse error = %q (line %d), want line %d mentioning %q", err, ce.Line, tt.line, tt.mention)
			}
		})
	}
}

func TestEnvOverride(t *testing.T) {
	c, err := Parse("c", []byte("base_url = \"https://example.org/api/v1\"\n"), Env{BaseURL: "http://127.0.0.1:1234/api/v1"})
	if err != nil || c.BaseURL != "http://127.0.0.1:1234/api/v1" {
		t.Fatalf("env override: %v %q", err, c.BaseURL)
	}
	if _, err := Parse("c", nil, Env{BaseURL: "http://example.org"}); err == nil {
		t.Fatal("ALIASD_BASE_URL with plain http to a remote host accepted")
	}
}

func TestDurationDays(t *testing.T) {
	var d Duration
	if err := d.UnmarshalText([]byte("1.5d")); err != nil || d.D() != 36*time.Hour {
		t.Fatalf("1.5d = %v, %v", d.D(), err)
	}
}

func TestResolvePaths(t *testing.T) {
	env := map[string]string{"ALIASD_HOME": "/srv/a"}
	p, err := ResolvePaths(func(k string) string { return env[k] })
	if err != nil || p.ConfigFile() != "/srv/a/config.toml" || p.DBFile() != "/srv/a/data/aliasd.db" || p.RuntimeDir != "/srv/a/run" {
		t.Fatalf("ALIASD_HOME paths = %+v, %v", p, err)
	}
	env = map[string]string{"HOME": "/home/u", "XDG_DATA_HOME": "/d", "XDG_RUNTIME_DIR": "/run/user/7"}
	p, err = ResolvePaths(func(k string) string { return env[k] })
	if err != nil || p.ConfigDir != "/home/u/.config/aliasd" || p.DataDir != "/d/aliasd" || p.RuntimeDir != "/run/user/7/aliasd" || p.LogDir != "/home/u/.local/state/aliasd" {
		t.Fatalf("XDG paths = %+v, %v", p, err)
	}
}

func TestWatch(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	changes := make(chan error, 10)
	var last Config
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := Watch(ctx, WatchConfig{Path: path, Debounce: 20 * time.Millisecond, OnChange: func(c Config, err error) {
		if err == nil {
			last = c
		}
		changes <- err
	}})
	if err != nil {
		t.Fatal(err)
	}
	wait := func() error {
		select {
		case err := <-changes:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("no change reported")
		}
		return nil
	}
	// An editor-style save: write a temp file, rename over the config.
	tmp := filepath.Join(dir, ".config.toml.swp")
	os.WriteFile(tmp, []byte("[history]\nmax_entries = 5\n"), 0o600)
	os.Rename(tmp, path)
	if err := wait(); err != nil || last.History.MaxEntries != 5 {
		t.Fatalf("valid edit: %v, max_entries %d", err, last.History.MaxEntries)
	}
	os.WriteFile(path, []byte("[history]\nmax_entries = \"lots\"\n"), 0o600)
	if err := wait(); err == nil || !strings.Contains(err.Error(), ":2") {
		t.Fatalf("invalid edit: %v, want an error on line 2", err)
	}
	if last.History.MaxEntries != 5 {
		t.Errorf("last good config lost")
	}
}
