package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/aliasd/aliasd/rpc"
)

func newTokenCmd(stdio IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Manage personal access tokens (add, list, use, remove, verify)",
		Long: `Manage the personal access tokens the daemon holds. Tokens are stored in the
OS keyring, or in a 0600 file when the config allows it (token_storage), and
never leave the daemon: only a fingerprint (short hash + last 4 characters)
is shown. ALIASD_TOKEN, when set, overrides them and is never stored.`,
	}
	cmd.AddCommand(newTokenAddCmd(stdio), newTokenListCmd(stdio), newTokenUseCmd(stdio), newTokenRemoveCmd(stdio), newTokenVerifyCmd(stdio))
	return cmd
}

// readSecret reads a token from stdin: without echo on a terminal, else the
// first line. Never from the command line.
func readSecret(stdio IO, name string) (string, error) {
	if f, ok := stdio.In.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(stdio.Err, "Paste the token for %s (input hidden): ", name)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdio.Err)
		if err != nil {
			return "", fmt.Errorf("reading the token: %w", err)
		}
		return string(b), nil
	}
	line, err := bufio.NewReader(io.LimitReader(stdio.In, 64<<10)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the token from stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func newTokenAddCmd(stdio IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "Add a token (read from stdin, never from arguments)",
		Args:  cobra.ExactArgs(1),
	}
	cmd.RunE = func(c *cobra.Command, args []string) error {
		secret, err := readSecret(stdio, args[0])
		if err != nil {
			return withCode(ExitError, err)
		}
		if strings.TrimSpace(secret) == "" {
			return usageError("no token on stdin: pipe it in (e.g. aliasd token add %s < token.txt) or paste it at the prompt", args[0])
		}
		return withSession(stdio, func(ctx context.Context, s *session) error {
			var res rpc.TokenAddResult
			if err := s.call(ctx, rpc.MethodTokenAdd, rpc.TokenAddParams{Name: args[0], Token: secret}, &res); err != nil {
				return err
			}
			active := ""
			if res.Active {
				active = ", active"
			}
			fmt.Fprintf(stdio.Out, "added %s %s (%s%s)\n", res.Name, res.Fingerprint, res.Storage, active)
			for _, w := range res.Warnings {
				fmt.Fprintf(stdio.Err, "warning: %s\n", w)
			}
			return nil
		})(c, args)
	}
	return cmd
}

func printTokens(stdio IO, res *rpc.TokenListResult) {
	if len(res.Tokens) == 0 {
		fmt.Fprintln(stdio.Out, "no tokens: add one with aliasd token add NAME")
	}
	for _, t := range res.Tokens {
		mark := " "
		if t.Active {
			mark = "*"
		}
		fmt.Fprintf(stdio.Out, "%s %-20s %-28s %s\n", mark, t.Name, t.Fingerprint, t.Storage)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(stdio.Err, "warning: %s\n", w)
	}
}

func newTokenListCmd(stdio IO) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{Use: "list", Short: "List tokens (fingerprints only)", Args: cobra.NoArgs}
	cmd.RunE = withSession(stdio, func(ctx context.Context, s *session) error {
		var res rpc.TokenListResult
		if err := s.call(ctx, rpc.MethodTokenList, nil, &res); err != nil {
			return err
		}
		if asJSON {
			return printJSON(stdio, res)
		}
		printTokens(stdio, &res)
		return nil
	})
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newTokenUseCmd(stdio IO) *cobra.Command {
	cmd := &cobra.Command{Use: "use NAME", Short: "Make a token the active one", Args: cobra.ExactArgs(1)}
	cmd.RunE = func(c *cobra.Command, args []string) error {
		return withSession(stdio, func(ctx context.Context, s *session) error {
			var res rpc.TokenListResult
			if err := s.call(ctx, rpc.MethodTokenUse, rpc.TokenNameParams{Name: args[0]}, &res); err != nil {
				return err
			}
			printTokens(stdio, &res)
			return nil
		})(c, args)
	}
	return cmd
}

func newTokenRemoveCmd(stdio IO) *cobra.Command {
	cmd := &cobra.Command{Use: "remove NAME", Short: "Remove a token", Args: cobra.ExactArgs(1)}
	cmd.RunE = func(c *cobra.Command, args []string) error {
		return withSession(stdio, func(ctx context.Context, s *session) error {
			var res rpc.TokenListResult
			if err := s.call(ctx, rpc.MethodTokenRemove, rpc.TokenNameParams{Name: args[0]}, &res); err != nil {
				return err
			}
			fmt.Fprintf(stdio.Err, "removed %s\n", args[0])
			printTokens(stdio, &res)
			return nil
		})(c, args)
	}
	return cmd
}

func newTokenVerifyCmd(stdio IO) *cobra.Command {
	cmd := &cobra.Command{Use: "verify [NAME]", Short: "Check a token against GET /test", Args: cobra.MaximumNArgs(1)}
	cmd.RunE = func(c *cobra.Command, args []string) error {
		name := ""
		if len(args) == 1 {
			name = args[0]
		}
		return withSession(stdio, func(ctx context.Context, s *session) error {
			var res rpc.TokenVerifyResult
			if err := s.call(ctx, rpc.MethodTokenVerify, rpc.TokenNameParams{Name: name}, &res); err != nil {
				return err
			}
			verdict := "ok"
			if !res.OK {
				verdict = "FAILED"
			}
			fmt.Fprintf(stdio.Out, "%s: %s (HTTP %d)\n", res.Name, verdict, res.Status)
			if res.RequestID != "" {
				fmt.Fprintf(stdio.Err, "request-id: %s\n", res.RequestID)
			}
			writeDiagnostic(stdio, res.Diagnostic)
			if !res.OK {
				return withCode(ExitError, errSilent)
			}
			return nil
		})(c, args)
	}
	return cmd
}
