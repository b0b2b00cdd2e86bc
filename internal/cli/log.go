package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/aliasd/aliasd/config"
)

// newLogger builds the process logger: text to stderr, or to --log-file.
func newLogger(stdio IO, f logFlags, paths config.Paths) (*slog.Logger, func(), error) {
	level := slog.LevelInfo
	name := f.level
	if name == "" && f.trace {
		name = "debug"
	}
	if name == "" {
		if c, err := config.Load(paths.ConfigFile(), config.Env{}); err == nil {
			name = c.LogLevel
		}
	}
	switch name {
	case "", "info":
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		return nil, nil, usageError("--log-level: %q is not one of debug, info, warn, error", name)
	}
	var w io.Writer = stdio.Err
	closeFn := func() {}
	if f.file != "" {
		if err := os.MkdirAll(filepath.Dir(f.file), 0o700); err != nil {
			return nil, nil, fmt.Errorf("--log-file: %w", err)
		}
		file, err := os.OpenFile(f.file, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("--log-file: %w", err)
		}
		w = file
		closeFn = func() { file.Close() }
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})), closeFn, nil
}
