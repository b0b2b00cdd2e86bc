package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/aliasd/aliasd/rpc"
)

// parseKV turns key=value arguments into a query map. Repeated keys make
// arrays; key:=JSON passes a typed value (number, bool, array, object).
func parseKV(args []string) (map[string]any, error) {
	q := map[string]any{}
	for _, a := range args {
		var key string
		var val any
		if k, raw, ok := strings.Cut(a, ":="); ok && !strings.Contains(k, "=") {
			key = k
			if err := json.Unmarshal([]byte(raw), &val); err != nil {
				return nil, fmt.Errorf("%s: the value after := must be JSON: %v", a, err)
			}
		} else if k, v, ok := strings.Cut(a, "="); ok {
			key, val = k, v
		} else {
			return nil, fmt.Errorf("%q is not key=value", a)
		}
		if key == "" {
			return nil, fmt.Errorf("%q has an empty key", a)
		}
		if prev, ok := q[key]; ok {
			if list, isList := prev.([]any); isList {
				q[key] = append(list, val)
			} else {
				q[key] = []any{prev, val}
			}
			continue
		}
		q[key] = val
	}
	return q, nil
}

// readData resolves --data: inline JSON, @file, or - for stdin.
func readData(stdio IO, data string) (json.RawMessage, error) {
	if data == "" {
		return nil, nil
	}
	var b []byte
	var err error
	switch {
	case data == "-":
		b, err = io.ReadAll(io.LimitReader(stdio.In, 64<<20))
	case strings.HasPrefix(data, "@"):
		b, err = os.ReadFile(data[1:])
	default:
		b = []byte(data)
	}
	if err != nil {
		return nil, fmt.Errorf("--data: %w", err)
	}
	b = bytes.TrimSpace(b)
	if !json.Valid(b) {
		return nil, fmt.Errorf("--data is not valid JSON")
	}
	return b, nil
}

func newCallCmd(stdio IO) *cobra.Command {
	var (
		paginate   bool
		maxPages   int
		maxItems   int
		data       string
		profile    string
		noCache    bool
		cachedOnly bool
		noStale    bool
		raw        bool
	)
	cmd := &cobra.Command{
		Use:   "call METHOD PATH [key=value...]",
		Short: "Make one API call (body on stdout, request-id on stderr)",
		Long: `Make one API call through the daemon with the active token. The response
body goes to stdout; "request-id: …", the status and any diagnostic go to
stderr. The exit status is 0 for a 2xx answer and 1 otherwise.

Parameters are key=value (repeat a key for arrays, e.g. ids=a ids=b) or
key:=JSON for typed values. --data takes a JSON body (inline, @file or -).
--paginate walks every page of a list endpoint and prints all items.

  aliasd call GET /catalog query=dunk
  aliasd call GET /pricing_insights/availability catalog_id=… size:=10 product_condition=PRODUCT_CONDITION_NEW packaging_condition=PACKAGING_CONDITION_GOOD_CONDITION
  aliasd call GET /listings --paginate`,
		Args: cobra.MinimumNArgs(2),
	}
	cmd.RunE = func(c *cobra.Command, args []string) error {
		query, err := parseKV(args[2:])
		if err != nil {
			return usageError("%v", err)
		}
		body, err := readData(stdio, data)
		if err != nil {
			return usageError("%v", err)
		}
		if noCache && cachedOnly {
			return usageError("--no-cache and --only-if-cached exclude each other")
		}
		method, path := strings.ToUpper(args[0]), args[1]
		return withSession(stdio, func(ctx context.Context, s *session) error {
			if paginate {
				if method != "GET" {
					return usageError("--paginate needs GET")
				}
				return callPaginate(ctx, stdio, s, rpc.PaginateParams{Path: path, Query: query, MaxPages: maxPages, MaxItems: maxItems, Profile: profile})
			}
			p := rpc.RequestParams{Method: method, Path: path, Query: query, Body: body, Profile: profile}
			switch {
			case noCache:
				p.Cache = rpc.CacheNoCache
			case cachedOnly:
				p.Cache = rpc.CacheOnlyIfCached
			}
			if noStale {
				f := false
				p.AllowStale = &f
			}
			var res rpc.RequestResult
			if err := s.call(ctx, rpc.MethodRequest, p, &res); err != nil {
				return err
			}
			writeBody(stdio, res.Body, raw)
			reportResult(stdio, &res)
			if res.Status < 200 || res.Status > 299 {
				return withCode(ExitError, errSilent)
			}
			return nil
		})(c, args)
	}
	f := cmd.Flags()
	f.BoolVar(&paginate, "paginate", false, "walk every page of a list endpoint")
	f.IntVar(&maxPages, "max-pages", 0, "with --paginate: stop after this many pages (default 100)")
	f.IntVar(&maxItems, "max-items", 0, "with --paginate: stop after this many items")
	f.StringVar(&data, "data", "", "JSON request body: inline, @file, or - for stdin")
	f.StringVar(&profile, "profile", "", "token profile (default: the active one)")
	f.BoolVar(&noCache, "no-cache", false, "revalidate with the API even when the cache is fresh")
	f.BoolVar(&cachedOnly, "only-if-cached", false, "answer from the cache only; never call the API")
	f.BoolVar(&noStale, "no-stale", false, "fail rather than serve a stale cached answer when offline")
	f.BoolVar(&raw, "raw", false, "print the body exactly as received (default: indented on a terminal)")
	return cmd
}

// writeBody prints a response body: JSON indented on a terminal, a JSON
// string body (non-JSON response) as its text.
func writeBody(stdio IO, body json.RawMessage, raw bool) {
	if len(body) == 0 {
		return
	}
	var text string
	if body[0] == '"' && json.Unmarshal(body, &text) == nil {
		fmt.Fprintln(stdio.Out, text)
		return
	}
	if !raw && isTerminal(stdio.Out) {
		var buf bytes.Buffer
		if json.Indent(&buf, body, "", "  ") == nil {
			body = buf.Bytes()
		}
	}
	fmt.Fprintf(stdio.Out, "%s\n", body)
}

func reportResult(stdio IO, res *rpc.RequestResult) {
	if res.RequestID != "" {
		fmt.Fprintf(stdio.Err, "request-id: %s\n", res.RequestID)
	}
	status := fmt.Sprintf("HTTP %d", res.Status)
	if res.Status == 0 {
		status = "no HTTP response"
	}
	line := fmt.Sprintf("%s · %.0f ms · cache %s", status, res.DurationMs, res.Cache)
	if res.Attempts > 1 {
		line += fmt.Sprintf(" · %d attempts", res.Attempts)
	}
	if res.AgeSeconds > 0 {
		line += fmt.Sprintf(" · age %ds", res.AgeSeconds)
	}
	fmt.Fprintln(stdio.Err, line)
	if res.Error != nil {
		fmt.Fprintf(stdio.Err, "error: %s (code %d %s)\n", res.Error.Message, res.Error.Code, res.Error.CodeName)
	}
	writeDiagnostic(stdio, res.Diagnostic)
}

func writeDiagnostic(stdio IO, d *rpc.Diagnostic) {
	if d == nil {
		return
	}
	fmt.Fprintf(stdio.Err, "%s: %s\n", d.Severity, d.Title)
	if d.Detail != "" {
		fmt.Fprintf(stdio.Err, "  %s\n", d.Detail)
	}
	if d.Hint != "" {
		fmt.Fprintf(stdio.Err, "  hint: %s\n", d.Hint)
	}
}

func callPaginate(ctx context.Context, stdio IO, s *session, p rpc.PaginateParams) error {
	p.WorkDoneToken = json.RawMessage(`"aliasd-cli-paginate"`)
	bar := isTerminal(stdio.Err)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case n := <-s.notes:
				if n.method != rpc.MethodProgress {
					continue
				}
				var pp rpc.ProgressParams
				if json.Unmarshal(n.params, &pp) != nil || string(pp.Token) != string(p.WorkDoneToken) {
					continue
				}
				renderProgress(stdio, pp.Value, bar)
			}
		}
	}()
	var res rpc.PaginateResult
	err := s.call(ctx, rpc.MethodPaginate, p, &res)
	close(stop)
	wg.Wait()
	if bar {
		fmt.Fprint(stdio.Err, "\r\033[K")
	}
	if err != nil {
		return err
	}
	items := res.Items
	if items == nil {
		items = []json.RawMessage{}
	}
	out, _ := json.Marshal(items)
	writeBody(stdio, out, false)
	fmt.Fprintf(stdio.Err, "%d items in %d pages", len(res.Items), res.Pages)
	if res.Truncated {
		fmt.Fprint(stdio.Err, " (truncated)")
	}
	fmt.Fprintln(stdio.Err)
	if len(res.RequestIDs) > 0 {
		fmt.Fprintf(stdio.Err, "request-ids: %s\n", strings.Join(res.RequestIDs, " "))
	}
	writeDiagnostic(stdio, res.Diagnostic)
	if res.Error != nil || (res.Status != 0 && (res.Status < 200 || res.Status > 299)) {
		return withCode(ExitError, errSilent)
	}
	return nil
}

// renderProgress draws a one-line bar on a terminal, or nothing.
func renderProgress(stdio IO, v rpc.ProgressValue, bar bool) {
	if !bar {
		return
	}
	msg := v.Message
	if msg == "" {
		msg = v.Title
	}
	const width = 24
	fill := 0
	if v.Percentage != nil {
		fill = *v.Percentage * width / 100
	}
	if fill > width {
		fill = width
	}
	fmt.Fprintf(stdio.Err, "\r\033[K[%s%s] %s", strings.Repeat("#", fill), strings.Repeat(".", width-fill), msg)
}
