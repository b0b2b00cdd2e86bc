package cli

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/aliasd/aliasd/config"
	"github.com/aliasd/aliasd/daemon"
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

func newStdioCmd(stdio IO) *cobra.Command {
	var lf logFlags
	cmd := &cobra.Command{
		Use:   "stdio",
		Short: "Serve JSON-RPC on stdin/stdout (for editors)",
		Long: `Serve JSON-RPC 2.0 on stdin/stdout. Framing is LSP Content-Length headers,
or newline-delimited JSON when the first byte is '{'. Logs go to stderr or
--log-file; stdout carries only frames.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			paths, err := config.ResolvePaths(stdio.Getenv)
			if err != nil {
				return withCode(ExitError, err)
			}
			logger, closeLog, err := newLogger(stdio, lf, paths)
			if err != nil {
				return withCode(ExitError, err)
			}
			defer closeLog()
			d, err := daemon.New(daemon.Config{
				Paths:     paths,
				Env:       config.Env{BaseURL: stdio.Getenv("ALIASD_BASE_URL")},
				Mode:      "standalone",
				Logger:    logger,
				Trace:     lf.trace,
				TestHooks: stdio.Getenv("ALIASD_TEST_HOOKS") == "1",
			})
			if err != nil {
				return withCode(ExitError, err)
			}
			defer d.Close()
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			code := d.Serve(ctx, stdio.In, stdio.Out, nil)
			if code != 0 {
				return withCode(code, errSilent)
			}
			return nil
		},
	}
	lf.add(cmd)
	return cmd
}
