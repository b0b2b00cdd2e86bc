package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aliasd/aliasd/alias"
	"github.com/aliasd/aliasd/alias/mock"
	"github.com/aliasd/aliasd/config"
	"github.com/aliasd/aliasd/daemon"
	"github.com/aliasd/aliasd/history"
	"github.com/aliasd/aliasd/rpc"
)

// demoStep is one call of the scripted session.
type demoStep struct {
	say    string // what the step shows
	method string
	path   string
	query  map[string]any
}

func newDemoCmd(stdio IO) *cobra.Command {
	var keep bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Offline quickstart: a scripted session against the embedded mock",
		Long: `Run a short scripted session against the embedded mock of the alias API, in
a temporary ALIASD_HOME, with no network: add a token, make calls that
succeed, hit the cache, and fail in instructive ways (missing parameter,
missing scope, rate limit, unknown endpoint); then print the history with
request IDs and diagnostics.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDemo(cmd.Context(), stdio, keep)
		},
	}
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the temporary home (config, database) and print its path")
	return cmd
}

func runDemo(ctx context.Context, stdio IO, keep bool) error {
	if ctx == nil {
		ctx = context.Background()
	}
	out := stdio.Out
	color := useColor(stdio, out)
	bold := func(s string) string {
		if color {
			return "\033[1m" + s + "\033[0m"
		}
		return s
	}

	// A demo token made fresh each run; it lacks the listings scope on
	// purpose.
	raw := make([]byte, 16)
	rand.Read(raw)
	token := "goatapi_demo" + hex.EncodeToString(raw)
	srv, err := mock.New(mock.Config{Tokens: []mock.TokenSpec{{Token: token, Scopes: []alias.Scope{alias.ScopeTest, alias.ScopeCatalog, alias.ScopePricing}}}, Seed: 1})
	if err != nil {
		return withCode(ExitError, err)
	}
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		return withCode(ExitError, fmt.Errorf("starting the embedded mock: %w", err))
	}
	defer srv.Close()

	home, err := os.MkdirTemp("", "aliasd-demo-")
	if err != nil {
		return withCode(ExitError, err)
	}
	if !keep {
		defer os.RemoveAll(home)
	}
	// Keep the demo quick: two attempts per read, short waits.
	conf := "token_storage = \"file\"\n[http]\nmax_attempts = 2\nmax_retry_wait = \"2s\"\n"
	if err := os.WriteFile(filepath.Join(home, "config.toml"), []byte(conf), 0o600); err != nil {
		return withCode(ExitError, err)
	}
	paths, _ := config.ResolvePaths(func(k string) string {
		if k == "ALIASD_HOME" {
			return home
		}
		return ""
	})
	d, err := daemon.New(daemon.Config{Paths: paths, Env: config.Env{BaseURL: base}, Mode: "standalone"})
	if err != nil {
		return withCode(ExitError, err)
	}
	defer d.Close()
	serverEnd, clientEnd := net.Pipe()
	go d.Serve(ctx, serverEnd, serverEnd, serverEnd)
	c := rpc.NewClient(clientEnd, rpc.ClientOptions{})
	defer c.Close()
	if _, err := c.Initialize(ctx, rpc.ClientInfo{Name: "aliasd-demo"}); err != nil {
		return withCode(ExitError, err)
	}

	fmt.Fprintf(out, "%s\n", bold("aliasd demo — an offline session against the embedded mock of the alias API"))
	fmt.Fprintf(out, "mock API   %s\n", base)
	fmt.Fprintf(out, "home       %s (temporary)\n\n", home)

	var added rpc.TokenAddResult
	if err := c.Call(ctx, rpc.MethodTokenAdd, rpc.TokenAddParams{Name: "demo", Token: token}, &added); err != nil {
		return withCode(ExitError, err)
	}
	fmt.Fprintf(out, "%s added token %q: only its fingerprint %s ever leaves the daemon\n", bold("1."), added.Name, added.Fingerprint)
	var verify rpc.TokenVerifyResult
	if err := c.Call(ctx, rpc.MethodTokenVerify, rpc.TokenNameParams{}, &verify); err != nil {
		return withCode(ExitError, err)
	}
	fmt.Fprintf(out, "   verified it with GET /test: HTTP %d, request-id %s\n\n", verify.Status, verify.RequestID)

	// Pick a real catalog item for the item call.
	itemID := "dunk-low-black-white-dd1391-100"
	if e := alias.ByName("GetCatalogItem"); e != nil {
		if p := srv.Example(e).Path; p != "" {
			itemID = p[strings.LastIndex(p, "/")+1:]
		}
	}
	// The rate-limit step meets a mock that answers 429 to every attempt.
	srv.AddFault(mock.Fault{Method: "GET", PathPrefix: "/pricing_insights/offer_histogram", RateLimit: true, Count: 4})

	steps := []demoStep{
		{"search the catalog", "GET", "/catalog", map[string]any{"query": "dunk", "limit": 3}},
		{"the same search again: served from the cache", "GET", "/catalog", map[string]any{"query": "dunk", "limit": 3}},
		{"one catalog item", "GET", "/catalog/" + url.PathEscape(itemID), nil},
		{"recent sales without a size (the API needs one)", "GET", "/pricing_insights/recent_sales", map[string]any{"catalog_id": itemID}},
		{"your listings with a token that lacks the listings scope", "GET", "/listings", nil},
		{"an offer histogram while the API rate-limits us", "GET", "/pricing_insights/offer_histogram", map[string]any{"catalog_id": itemID, "size": 10, "product_condition": "PRODUCT_CONDITION_NEW", "packaging_condition": "PACKAGING_CONDITION_GOOD_CONDITION"}},
		{"a path the API does not have", "GET", "/regions", nil},
	}
	fmt.Fprintf(out, "%s a scripted session\n", bold("2."))
	var failedRID string
	for i, s := range steps {
		var res rpc.RequestResult
		if err := c.Call(ctx, rpc.MethodRequest, rpc.RequestParams{Method: s.method, Path: s.path, Query: s.query}, &res); err != nil {
			return withCode(ExitError, fmt.Errorf("step %d: %w", i+1, err))
		}
		mark := "ok  "
		if res.Status < 200 || res.Status > 299 {
			mark = "FAIL"
			if failedRID == "" {
				failedRID = res.RequestID
			}
		}
		fmt.Fprintf(out, "   %s %-58s %s %s → %d (%s)\n", mark, s.say, s.method, s.path, res.Status, res.Cache)
		if res.Diagnostic != nil {
			fmt.Fprintf(out, "        %s: %s\n", res.Diagnostic.Severity, res.Diagnostic.Title)
			if res.Diagnostic.Hint != "" {
				fmt.Fprintf(out, "        hint: %s\n", res.Diagnostic.Hint)
			}
		}
	}

	var list rpc.HistoryListResult
	if err := c.Call(ctx, rpc.MethodHistoryList, rpc.HistoryListParams{Limit: 20}, &list); err != nil {
		return withCode(ExitError, err)
	}
	fmt.Fprintf(out, "\n%s the history (aliasd history), newest first\n", bold("3."))
	history.WriteTable(indent(out), list.Entries, history.TableOptions{Color: color, Now: time.Now()})

	if failedRID != "" {
		var det rpc.HistoryDetail
		if err := c.Call(ctx, rpc.MethodHistoryGet, rpc.HistoryGetParams{ID: failedRID}, &det); err == nil {
			fmt.Fprintf(out, "\n%s what you send to support (aliasd history show %s)\n", bold("4."), failedRID)
			history.WriteSupport(indent(out), &det)
		}
	}

	fmt.Fprintf(out, "\n%s\n", bold("Next"))
	fmt.Fprintln(out, "   aliasd mock --token YOUR_TEST_TOKEN        # the same mock, in its own terminal")
	fmt.Fprintln(out, "   aliasd token add main < token.txt          # a real personal access token, kept in your keyring")
	fmt.Fprintln(out, "   aliasd call GET /catalog query=dunk        # body on stdout, request-id on stderr")
	fmt.Fprintln(out, "   aliasd history --errors                    # what failed, and why")
	if keep {
		fmt.Fprintf(out, "\nkept %s (ALIASD_HOME=%s aliasd history)\n", home, home)
	}
	c.Shutdown(ctx)
	return nil
}

// indenter prefixes every line with three spaces.
type indenter struct {
	w       io.Writer
	midLine bool // the last byte written was not a newline
}

func indent(w io.Writer) *indenter { return &indenter{w: w} }

func (i *indenter) Write(p []byte) (int, error) {
	var b strings.Builder
	for _, c := range string(p) {
		if !i.midLine {
			b.WriteString("   ")
		}
		b.WriteRune(c)
		i.midLine = c != '\n'
	}
	if _, err := io.WriteString(i.w, b.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}
