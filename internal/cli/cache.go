package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/aliasd/aliasd/rpc"
)

func newCacheCmd(stdio IO) *cobra.Command {
	cmd := &cobra.Command{Use: "cache", Short: "Inspect or clear the response cache"}
	var prefix string
	var asJSON bool
	stats := &cobra.Command{Use: "stats", Short: "Show cache statistics", Args: cobra.NoArgs}
	stats.RunE = withSession(stdio, func(ctx context.Context, s *session) error {
		var res rpc.CacheStatsResult
		if err := s.call(ctx, rpc.MethodCacheStats, rpc.CacheParams{PathPrefix: prefix}, &res); err != nil {
			return err
		}
		if asJSON {
			return printJSON(stdio, res)
		}
		fmt.Fprintf(stdio.Out, "entries        %d\n", res.Entries)
		fmt.Fprintf(stdio.Out, "bytes          %d of %d\n", res.Bytes, res.MaxBytes)
		fmt.Fprintf(stdio.Out, "hits           %d\n", res.Hits)
		fmt.Fprintf(stdio.Out, "misses         %d\n", res.Misses)
		fmt.Fprintf(stdio.Out, "revalidations  %d\n", res.Revalidations)
		fmt.Fprintf(stdio.Out, "stale serves   %d\n", res.StaleServes)
		fmt.Fprintf(stdio.Out, "evictions      %d\n", res.Evictions)
		fmt.Fprintf(stdio.Out, "database file  %d bytes\n", res.FileBytes)
		return nil
	})
	stats.Flags().StringVar(&prefix, "prefix", "", "only entries under this path, e.g. /catalog")
	stats.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	var clearPrefix string
	clear := &cobra.Command{Use: "clear", Short: "Remove cached responses", Args: cobra.NoArgs}
	clear.RunE = withSession(stdio, func(ctx context.Context, s *session) error {
		var res rpc.RemovedResult
		if err := s.call(ctx, rpc.MethodCacheClear, rpc.CacheParams{PathPrefix: clearPrefix}, &res); err != nil {
			return err
		}
		fmt.Fprintf(stdio.Out, "removed %d cached responses\n", res.Removed)
		return nil
	})
	clear.Flags().StringVar(&clearPrefix, "prefix", "", "only entries under this path, e.g. /listings")
	cmd.AddCommand(stats, clear)
	return cmd
}
