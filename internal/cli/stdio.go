package cli

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/aliasd/aliasd/config"
	"github.com/aliasd/aliasd/daemon"
	"github.com/aliasd/aliasd/rpc"
)

type logFlags struct {
	file  string
	level string
	trace bool
}

func (f *logFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.file, "log-file", "", "write logs to this file instead of stderr")
	cmd.Flags().StringVar(&f.level, "log-level", "", "debug, info, warn or error (default: the config's log_level)")
	cmd.Flags().BoolVar(&f.trace, "trace", false, "log every JSON-RPC frame, secrets redacted")
}

// newDaemon builds the daemon for this process from the environment.
func newDaemon(stdio IO, lf logFlags, mode string) (*daemon.Daemon, func(), error) {
	paths, err := config.ResolvePaths(stdio.Getenv)
	if err != nil {
		return nil, nil, withCode(ExitError, err)
	}
	logger, closeLog, err := newLogger(stdio, lf, paths)
	if err != nil {
		return nil, nil, withCode(ExitError, err)
	}
	d, err := daemon.New(daemon.Config{
		Paths:     paths,
		Env:       config.Env{BaseURL: stdio.Getenv("ALIASD_BASE_URL")},
		Mode:      mode,
		Logger:    logger,
		Trace:     lf.trace,
		TestHooks: stdio.Getenv("ALIASD_TEST_HOOKS") == "1",
		EnvToken:  envTokenFor(mode, stdio),
	})
	if err != nil {
		closeLog()
		return nil, nil, withCode(ExitError, err)
	}
	return d, func() { d.Close(); closeLog() }, nil
}

// connectConfig says how this process reaches (or starts) the shared daemon.
func connectConfig(stdio IO) (daemon.ConnectConfig, error) {
	paths, err := config.ResolvePaths(stdio.Getenv)
	if err != nil {
		return daemon.ConnectConfig{}, err
	}
	return daemon.ConnectConfig{RuntimeDir: paths.RuntimeDir, LogDir: paths.LogDir}, nil
}

func newStdioCmd(stdio IO) *cobra.Command {
	var lf logFlags
	var standalone bool
	cmd := &cobra.Command{
		Use:   "stdio",
		Short: "Serve JSON-RPC on stdin/stdout (for editors)",
		Long: `Serve JSON-RPC 2.0 on stdin/stdout. Framing is LSP Content-Length headers,
or newline-delimited JSON when the first byte is '{'. Logs go to stderr or
--log-file; stdout carries only frames.

By default the session is relayed to the shared per-user daemon (started
when none runs), so every editor and the CLI share one history and cache.
--standalone serves in this process instead, without a socket.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if standalone {
				d, closeAll, err := newDaemon(stdio, lf, "standalone")
				if err != nil {
					return err
				}
				defer closeAll()
				if code := d.Serve(ctx, stdio.In, stdio.Out, nil); code != 0 {
					return withCode(code, errSilent)
				}
				return nil
			}
			paths, err := config.ResolvePaths(stdio.Getenv)
			if err != nil {
				return withCode(ExitError, err)
			}
			logger, closeLog, err := newLogger(stdio, lf, paths)
			if err != nil {
				return withCode(ExitError, err)
			}
			defer closeLog()
			cc, err := connectConfig(stdio)
			if err != nil {
				return withCode(ExitError, err)
			}
			cc.Logger = logger
			// The session is handed to the daemon as file descriptors.
			in, inOK := stdio.In.(*os.File)
			out, outOK := stdio.Out.(*os.File)
			if !inOK || !outOK {
				return withCode(ExitError, errors.New("stdin and stdout must be files or pipes; use --standalone"))
			}
			conf, _ := config.Load(paths.ConfigFile(), config.Env{})
			code := daemon.Relay(ctx, daemon.RelayConfig{
				In:       in,
				Out:      out,
				Dial:     func(ctx context.Context) (*net.UnixConn, error) { return daemon.Connect(ctx, cc) },
				Reader:   rpc.ReaderOptions{MaxBody: conf.RPC.MaxMessageBytes},
				Logger:   logger,
				EnvToken: stdio.Getenv("ALIASD_TOKEN"),
			})
			if code != 0 {
				return withCode(code, errSilent)
			}
			return nil
		},
	}
	lf.add(cmd)
	cmd.Flags().BoolVar(&standalone, "standalone", false, "serve in this process, without the shared daemon")
	return cmd
}

func newServeCmd(stdio IO) *cobra.Command {
	var lf logFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the shared per-user daemon on a Unix socket",
		Long: `Run the shared per-user daemon. Editors ("aliasd stdio") and the CLI start it
when needed; it exits after [daemon] idle_timeout with no sessions, or on
SIGTERM. Logs go to the log directory's aliasd.log unless --log-file says
otherwise.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			paths, err := config.ResolvePaths(stdio.Getenv)
			if err != nil {
				return withCode(ExitError, err)
			}
			if lf.file == "" {
				lf.file = filepath.Join(paths.LogDir, "aliasd.log")
			}
			d, closeAll, err := newDaemon(stdio, lf, "shared")
			if err != nil {
				// Started detached, this process has no terminal: the log
				// is where the one who started it looks.
				logStartFailure(lf.file, err)
				return err
			}
			defer closeAll()
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			// ErrAlreadyRunning included: the message says what to do.
			return withCode(ExitError, d.ServeShared(ctx, daemon.SharedConfig{}))
		},
	}
	lf.add(cmd)
	return cmd
}

// envTokenFor gives a standalone daemon the process's ALIASD_TOKEN; the
// shared daemon gets it per session instead.
func envTokenFor(mode string, stdio IO) string {
	if mode == "standalone" {
		return stdio.Getenv("ALIASD_TOKEN")
	}
	return ""
}

// logStartFailure appends why the shared daemon could not start to its log.
func logStartFailure(path string, err error) {
	if e := os.MkdirAll(filepath.Dir(path), 0o700); e != nil {
		return
	}
	f, e := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if e != nil {
		return
	}
	defer f.Close()
	slog.New(slog.NewTextHandler(f, nil)).Error("the shared daemon cannot serve", "err", err)
}
