// Package cli implements the aliasd command line: the subcommands, their
// flags, the mapping from flags to daemon configuration, and the mapping
// from errors to exit codes.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/aliasd/aliasd/internal/buildinfo"
)

// Exit codes.
const (
	ExitOK    = 0
	ExitError = 1 // the command failed
	ExitUsage = 2 // bad flags or arguments
)

// IO is the process's standard streams and environment.
type IO struct {
	In     io.Reader
	Out    io.Writer
	Err    io.Writer
	Getenv func(string) string
}

// exitError carries a specific exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withCode wraps err so Main exits with code.
func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// usageError marks bad arguments (exit 2).
func usageError(format string, args ...any) error {
	return withCode(ExitUsage, fmt.Errorf(format, args...))
}

// Main runs aliasd with args (without the program name) and returns the
// process exit code.
func Main(args []string, stdio IO) int {
	if stdio.Getenv == nil {
		stdio.Getenv = os.Getenv
	}
	root := newRoot(stdio)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != errSilent {
			fmt.Fprintf(stdio.Err, "aliasd: %v\n", ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(stdio.Err, "aliasd: %v\n", err)
	return ExitUsage // cobra's own errors are about flags and arguments
}

// errSilent exits with a code without printing anything more.
var errSilent = errors.New("silent")

func newRoot(stdio IO) *cobra.Command {
	root := &cobra.Command{
		Use:   "aliasd",
		Short: "Local companion daemon for the alias marketplace API",
		Long: `aliasd holds your alias API tokens, calls the API for your editors and
terminal, caches responses, and keeps a searchable history of every request
with its x-request-id and a diagnostic of what went wrong.`,
		Version:       buildinfo.Version(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdio.In)
	root.SetOut(stdio.Err) // help and usage never touch stdout
	root.SetErr(stdio.Err)
	root.AddCommand(
		newStdioCmd(stdio),
		newServeCmd(stdio),
		newMockCmd(stdio),
		newStatusCmd(stdio),
		newCallCmd(stdio),
		newTokenCmd(stdio),
		newCacheCmd(stdio),
		newHistoryCmd(stdio),
		newDemoCmd(stdio),
		newStopCmd(stdio),
		newVersionCmd(stdio),
	)
	return root
}

func newVersionCmd(stdio IO) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintf(stdio.Out, "aliasd %s (build %s)\n", buildinfo.Version(), buildinfo.ID())
			return nil
		},
	}
}
