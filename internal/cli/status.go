package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/aliasd/aliasd/rpc"
)

func newStatusCmd(stdio IO) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the shared daemon's status",
		Args:  cobra.NoArgs,
	}
	cmd.RunE = withSession(stdio, func(ctx context.Context, s *session) error {
		var st rpc.StatusResult
		if err := s.call(ctx, rpc.MethodStatus, nil, &st); err != nil {
			return err
		}
		if asJSON {
			return printJSON(stdio, st)
		}
		profile := st.Profile
		if profile == "" {
			profile = "(none: aliasd token add NAME)"
		} else if st.Fingerprint != "" {
			profile += " " + st.Fingerprint
		}
		rows := [][2]string{
			{"version", fmt.Sprintf("%s (protocol %d, API %s)", st.Version, st.ProtocolVersion, st.APIVersion)},
			{"daemon", fmt.Sprintf("%s, pid %d, %d session(s)", st.Mode, st.PID, st.Sessions)},
			{"base URL", st.BaseURL},
			{"profile", profile},
			{"token storage", st.TokenStorage},
			{"config", st.ConfigFile},
			{"data", st.DataDir},
		}
		for _, g := range st.Governors {
			state := fmt.Sprintf("%.1f req/s", g.Rate)
			if g.Limited {
				state += " (slowed after a 429)"
			}
			rows = append(rows, [2]string{"rate " + g.Fingerprint, state})
		}
		for _, r := range rows {
			fmt.Fprintf(stdio.Out, "%-14s %s\n", r[0], r[1])
		}
		for _, w := range st.Warnings {
			fmt.Fprintf(stdio.Out, "warning        %s\n", strings.TrimSpace(w))
		}
		return nil
	})
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the raw status object")
	return cmd
}
