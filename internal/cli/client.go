package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/aliasd/aliasd/daemon"
	"github.com/aliasd/aliasd/rpc"
)

// session is the CLI's connection to the shared daemon.
type session struct {
	c *rpc.Client
	// notes receives server notifications ($/progress, showMessage, ...).
	notes chan notification
}

type notification struct {
	method string
	params json.RawMessage
}

// connect reaches the shared daemon (starting it when needed) and
// initializes a session named "aliasd-cli".
func connect(ctx context.Context, stdio IO) (*session, error) {
	cc, err := connectConfig(stdio)
	if err != nil {
		return nil, withCode(ExitError, err)
	}
	conn, err := daemon.Connect(ctx, cc)
	if err != nil {
		return nil, withCode(ExitError, fmt.Errorf("connecting to the aliasd daemon: %w", err))
	}
	s := &session{notes: make(chan notification, 256)}
	s.c = rpc.NewClient(conn, rpc.ClientOptions{OnNotify: func(method string, params json.RawMessage) {
		select {
		case s.notes <- notification{method, params}:
		default: // a slow reader loses progress updates, never blocks the wire
		}
	}})
	params := rpc.InitializeParams{ClientInfo: &rpc.ClientInfo{Name: "aliasd-cli"}, InitializationOptions: envTokenOptions(stdio.Getenv("ALIASD_TOKEN"))}
	if _, err := s.c.InitializeWith(ctx, params); err != nil {
		s.c.Close()
		return nil, withCode(ExitError, fmt.Errorf("initializing the session: %w", err))
	}
	// The shared daemon has one base URL: the environment of whoever
	// started it. Say so rather than call the wrong API.
	if want := strings.TrimRight(stdio.Getenv("ALIASD_BASE_URL"), "/"); want != "" {
		var st rpc.StatusResult
		if err := s.c.Call(ctx, rpc.MethodStatus, nil, &st); err == nil && strings.TrimRight(st.BaseURL, "/") != want {
			s.close()
			return nil, withCode(ExitError, fmt.Errorf("the running aliasd daemon (pid %d) calls %s, not ALIASD_BASE_URL=%s: stop it with `aliasd stop` (editors reconnect on their own) or unset ALIASD_BASE_URL", st.PID, st.BaseURL, want))
		}
	}
	return s, nil
}

func (s *session) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s.c.Shutdown(ctx)
	s.c.Close()
}

// call runs one RPC, mapping its error to a CLI error.
func (s *session) call(ctx context.Context, method string, params, result any) error {
	err := s.c.Call(ctx, method, params, result)
	if err == nil {
		return nil
	}
	var re *rpc.Error
	if errors.As(err, &re) {
		if re.Code == rpc.CodeInvalidParams {
			return withCode(ExitUsage, errors.New(re.Message))
		}
		return withCode(ExitError, errors.New(re.Message))
	}
	return withCode(ExitError, err)
}

// withSession runs fn with a connected session.
func withSession(stdio IO, fn func(ctx context.Context, s *session) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		if ctx == nil {
			ctx = context.Background()
		}
		s, err := connect(ctx, stdio)
		if err != nil {
			return err
		}
		defer s.close()
		return fn(ctx, s)
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// useColor reports whether to colour output for w (a terminal, and
// NO_COLOR unset).
func useColor(stdio IO, w any) bool {
	return isTerminal(w) && stdio.Getenv("NO_COLOR") == ""
}

func printJSON(stdio IO, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdio.Out, "%s\n", b)
	return err
}

// envTokenOptions carries this process's ALIASD_TOKEN to its session in
// the shared daemon (never in arguments or files; the daemon itself is
// started without it, so other sessions never use it).
func envTokenOptions(tok string) json.RawMessage {
	if tok == "" {
		return nil
	}
	b, _ := json.Marshal(map[string]any{"aliasd": map[string]string{"envToken": tok}})
	return b
}
