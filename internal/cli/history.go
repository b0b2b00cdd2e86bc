package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/aliasd/aliasd/history"
	"github.com/aliasd/aliasd/rpc"
)

type historyFilter struct {
	errors bool
	status string
	path   string
	text   string
	since  string
	until  string
	limit  int
	cursor string
}

func (f *historyFilter) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&f.errors, "errors", false, "failed calls only (network failures, 4xx, 5xx)")
	fl.StringVar(&f.status, "status", "", "a status (404) or class (4xx, 5xx; 0 = network failures)")
	fl.StringVar(&f.path, "path", "", "path prefix, e.g. /listings")
	fl.StringVar(&f.text, "text", "", "search path, error message and diagnostic")
	fl.StringVar(&f.since, "since", "", "RFC 3339 time")
	fl.StringVar(&f.until, "until", "", "RFC 3339 time")
}

func (f *historyFilter) params() rpc.HistoryListParams {
	return rpc.HistoryListParams{Limit: f.limit, Cursor: f.cursor, Status: f.status, ErrorsOnly: f.errors, Path: f.path, Text: f.text, Since: f.since, Until: f.until}
}

func newHistoryCmd(stdio IO) *cobra.Command {
	var f historyFilter
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "history",
		Short: "Show the request history (newest first)",
		Long: `Show recorded API calls, newest first, with status, request ID, cache
provenance and diagnostic. "aliasd history show ID" prints one call, ready to
send to support; ID is the history id or the x-request-id.`,
		Args: cobra.NoArgs,
	}
	cmd.RunE = withSession(stdio, func(ctx context.Context, s *session) error {
		var res rpc.HistoryListResult
		if err := s.call(ctx, rpc.MethodHistoryList, f.params(), &res); err != nil {
			return err
		}
		if asJSON {
			return printJSON(stdio, res)
		}
		width := 0
		if fd, ok := stdio.Out.(*os.File); ok && term.IsTerminal(int(fd.Fd())) {
			width, _, _ = term.GetSize(int(fd.Fd()))
		}
		if err := history.WriteTable(stdio.Out, res.Entries, history.TableOptions{Color: useColor(stdio, stdio.Out), Width: width}); err != nil {
			return withCode(ExitError, err)
		}
		if res.Next != "" {
			fmt.Fprintf(stdio.Err, "more: aliasd history --cursor %s\n", res.Next)
		}
		return nil
	})
	f.add(cmd)
	cmd.Flags().IntVar(&f.limit, "limit", 0, "entries to show (default 50, at most 1000)")
	cmd.Flags().StringVar(&f.cursor, "cursor", "", "continue after a previous page")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(newHistoryShowCmd(stdio), newHistoryExportCmd(stdio), newHistoryClearCmd(stdio))
	return cmd
}

func newHistoryShowCmd(stdio IO) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Print one call for support (ID = history id or request ID)",
		Args:  cobra.ExactArgs(1),
	}
	cmd.RunE = func(c *cobra.Command, args []string) error {
		return withSession(stdio, func(ctx context.Context, s *session) error {
			var det rpc.HistoryDetail
			if err := s.call(ctx, rpc.MethodHistoryGet, rpc.HistoryGetParams{ID: args[0]}, &det); err != nil {
				return err
			}
			if asJSON {
				return printJSON(stdio, det)
			}
			if err := history.WriteSupport(stdio.Out, &det); err != nil {
				return withCode(ExitError, err)
			}
			return nil
		})(c, args)
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the whole entry as JSON (request and response included)")
	return cmd
}

func newHistoryExportCmd(stdio IO) *cobra.Command {
	var f historyFilter
	var format, output string
	cmd := &cobra.Command{
		Use:   "export --format har|ndjson",
		Short: "Export the history (redacted) as HAR 1.2 or NDJSON",
		Args:  cobra.NoArgs,
	}
	cmd.RunE = withSession(stdio, func(ctx context.Context, s *session) error {
		var res rpc.HistoryExportResult
		if err := s.call(ctx, rpc.MethodHistoryExport, rpc.HistoryExportParams{Format: format, HistoryListParams: f.params()}, &res); err != nil {
			return err
		}
		if output == "" || output == "-" {
			fmt.Fprint(stdio.Out, res.Data)
			return nil
		}
		if err := os.WriteFile(output, []byte(res.Data), 0o600); err != nil {
			return withCode(ExitError, err)
		}
		fmt.Fprintf(stdio.Err, "wrote %d entries to %s\n", res.Entries, output)
		return nil
	})
	f.add(cmd)
	cmd.Flags().StringVar(&format, "format", "har", "har or ndjson")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to this file (default stdout)")
	return cmd
}

func newHistoryClearCmd(stdio IO) *cobra.Command {
	cmd := &cobra.Command{Use: "clear", Short: "Delete every history entry", Args: cobra.NoArgs}
	cmd.RunE = withSession(stdio, func(ctx context.Context, s *session) error {
		var res rpc.RemovedResult
		if err := s.call(ctx, rpc.MethodHistoryClear, nil, &res); err != nil {
			return err
		}
		fmt.Fprintf(stdio.Out, "removed %d history entries\n", res.Removed)
		return nil
	})
	return cmd
}
