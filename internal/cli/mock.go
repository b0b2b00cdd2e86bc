package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/aliasd/aliasd/alias/mock"
)

func newMockCmd(stdio IO) *cobra.Command {
	var (
		addr      string
		tokens    []string
		faults    []string
		seed      int64
		latency   time.Duration
		errorRate float64
		rateLimit float64
		rateBurst int
		verbose   bool
	)
	cmd := &cobra.Command{
		Use:   "mock [--addr HOST:PORT] [--token TOKEN[:SCOPES]]...",
		Short: "Run a local mock of the alias API",
		Long: `Run a local mock of the alias API with seeded, deterministic data: every
documented endpoint, bearer auth with per-token scope groups (test, catalog,
pricing, listings, orders, batch), the API's error bodies, x-request-id on
every response, ETags, per-resource pagination and asynchronous batches.

The first line on stdout is the base URL, e.g. http://127.0.0.1:41234/api/v1.
Tokens come from --token or, to keep them out of process arguments, from
ALIASD_MOCK_TOKENS (whitespace-separated TOKEN[:SCOPES] items).

Faults: --fault "status=503,path=/catalog,count=2,retry_after=2s" (see
alias/mock/README.md), per-request X-Mock-* headers, or POST /_mock/faults.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg := mock.Config{Seed: seed, Latency: latency, ErrorRate: errorRate, RateLimit: rateLimit, RateBurst: rateBurst}
			specs := append([]string(nil), tokens...)
			specs = append(specs, strings.Fields(stdio.Getenv("ALIASD_MOCK_TOKENS"))...)
			if len(specs) == 0 {
				return usageError("give at least one --token TOKEN[:SCOPES] (or ALIASD_MOCK_TOKENS)")
			}
			for _, s := range specs {
				ts, err := mock.ParseTokenSpec(s)
				if err != nil {
					return usageError("--token: %v", err)
				}
				cfg.Tokens = append(cfg.Tokens, ts)
			}
			for _, s := range faults {
				f, err := mock.ParseFault(s)
				if err != nil {
					return usageError("--fault: %v", err)
				}
				cfg.Faults = append(cfg.Faults, f)
			}
			if verbose {
				cfg.Logger = slog.New(slog.NewTextHandler(stdio.Err, nil))
			}
			srv, err := mock.New(cfg)
			if err != nil {
				return usageError("%v", err)
			}
			url, err := srv.Start(addr)
			if err != nil {
				return withCode(ExitError, err)
			}
			defer srv.Close()
			fmt.Fprintln(stdio.Out, url)
			if f, ok := stdio.Out.(*os.File); ok {
				f.Sync()
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			<-ctx.Done()
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:0", "listen address")
	f.StringArrayVar(&tokens, "token", nil, "accepted token, optionally with scope groups: TOKEN[:catalog,pricing,...]")
	f.StringArrayVar(&faults, "fault", nil, "a fault rule, e.g. status=503,path=/catalog,count=2")
	f.Int64Var(&seed, "seed", 1, "seed of the generated data")
	f.DurationVar(&latency, "latency", 0, "delay every response")
	f.Float64Var(&errorRate, "error-rate", 0, "share (0..1) of requests answered with a random 5xx")
	f.Float64Var(&rateLimit, "rate-limit", 0, "requests per second per token before 429 (0 = unlimited)")
	f.IntVar(&rateBurst, "rate-burst", 0, "rate limit bucket size")
	f.BoolVar(&verbose, "verbose", false, "log every request to stderr (tokens never logged)")
	return cmd
}
