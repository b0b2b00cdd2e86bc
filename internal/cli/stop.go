package cli

import (
	"fmt"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/aliasd/aliasd/config"
	"github.com/aliasd/aliasd/daemon"
)

func newStopCmd(stdio IO) *cobra.Command {
	return &cobra.Command{
		Use:   "stop",
		Short: "Stop the shared daemon (editors start a new one when they need it)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			paths, err := config.ResolvePaths(stdio.Getenv)
			if err != nil {
				return withCode(ExitError, err)
			}
			pid := daemon.RunningPID(paths.RuntimeDir)
			if pid <= 0 || syscall.Kill(pid, 0) != nil {
				fmt.Fprintln(stdio.Out, "no aliasd daemon of this build is running")
				return nil
			}
			if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
				return withCode(ExitError, fmt.Errorf("stopping pid %d: %w", pid, err))
			}
			deadline := time.Now().Add(10 * time.Second)
			for syscall.Kill(pid, 0) == nil && daemon.RunningPID(paths.RuntimeDir) == pid {
				if time.Now().After(deadline) {
					return withCode(ExitError, fmt.Errorf("daemon pid %d did not stop within 10s", pid))
				}
				time.Sleep(20 * time.Millisecond)
			}
			fmt.Fprintf(stdio.Out, "stopped the aliasd daemon (pid %d)\n", pid)
			return nil
		},
	}
}
