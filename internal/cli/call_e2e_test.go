package cli_test

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aliasd/aliasd/internal/testutil"
)

var requestIDLine = regexp.MustCompile(`(?m)^request-id: ([0-9a-f-]+)$`)

// TestCallAgainstMockProcess runs the README's quickstart with real
// processes: "aliasd mock" (its token in ALIASD_MOCK_TOKENS, never in an
// argument) and "ALIASD_BASE_URL=… ALIASD_TOKEN=… aliasd call …", which
// starts the shared daemon and goes through it.
func TestCallAgainstMockProcess(t *testing.T) {
	tok := fakeToken(t, "goatapi_")
	m := testutil.StartMock(t, testutil.Env(t.TempDir(), "ALIASD_MOCK_TOKENS="+tok))
	home := sharedHome(t, "[daemon]\nidle_timeout = \"5s\"\n")
	env := testutil.Env(home, "ALIASD_BASE_URL="+m.BaseURL, "ALIASD_TOKEN="+tok)

	t.Run("success", func(t *testing.T) {
		r := testutil.Run(t, env, "", "call", "GET", "/catalog", "query=dunk")
		if r.Code != 0 {
			t.Fatalf("aliasd call GET /catalog query=dunk: exit %d, want 0\n%s", r.Code, r.Output())
		}
		var body struct {
			CatalogItems []json.RawMessage `json:"catalog_items"`
		}
		if err := json.Unmarshal(r.Stdout, &body); err != nil {
			t.Fatalf("stdout is not the JSON body: %v\n%s", err, r.Stdout)
		}
		if len(body.CatalogItems) == 0 {
			t.Errorf("catalog_items is empty, want the mock's dunk items\n%s", r.Stdout)
		}
		if !bytes.Contains(r.Stdout, []byte("dunk")) {
			t.Errorf("stdout does not mention dunk:\n%s", r.Stdout)
		}
		rid := requestIDLine.FindStringSubmatch(string(r.Stderr))
		if rid == nil || !uuidLike(rid[1]) {
			t.Errorf("stderr = %q, want a line request-id: <uuid>", r.Stderr)
		}
		if bytes.Contains(r.Stdout, []byte("request-id")) {
			t.Errorf("stdout mentions the request id; it belongs on stderr:\n%s", r.Stdout)
		}
	})

	t.Run("failures", func(t *testing.T) {
		tests := []struct {
			name       string
			args       []string
			status     string // on stderr
			diagnostic string // on stderr
			body       string // on stdout
		}{
			{"missing parameter", []string{"GET", "/pricing_insights/recent_sales", "catalog_id=dunk-low-black-white-dd1391-100"}, "HTTP 400", "Missing parameter: size", "input.Size"},
			{"not found", []string{"GET", "/catalog/no-such-item"}, "HTTP 404", "Not found", "not found"},
			{"unknown endpoint", []string{"GET", "/regions"}, "HTTP 415", "No such endpoint", "content-type"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := testutil.Run(t, env, "", append([]string{"call"}, tt.args...)...)
				if r.Code != 1 {
					t.Fatalf("aliasd call %v: exit %d, want 1\n%s", tt.args, r.Code, r.Output())
				}
				errOut := string(r.Stderr)
				if rid := requestIDLine.FindStringSubmatch(errOut); rid == nil || !uuidLike(rid[1]) {
					t.Errorf("stderr = %q, want request-id: <uuid>", errOut)
				}
				for _, want := range []string{tt.status, tt.diagnostic} {
					if !strings.Contains(errOut, want) {
						t.Errorf("stderr = %q, want it to mention %q", errOut, want)
					}
				}
				if !strings.Contains(string(r.Stdout), tt.body) {
					t.Errorf("stdout = %q, want the API's answer mentioning %q", r.Stdout, tt.body)
				}
			})
		}
	})

	t.Run("bad arguments", func(t *testing.T) {
		tests := []struct {
			name    string
			args    []string
			mention string
		}{
			{"no path", []string{"call", "GET"}, "arg"},
			{"not key=value", []string{"call", "GET", "/catalog", "dunk"}, `"dunk" is not key=value`},
			{"bad typed value", []string{"call", "GET", "/catalog", "limit:=ten"}, "must be JSON"},
			{"paginate a write", []string{"call", "POST", "/listings", "--paginate"}, "--paginate needs GET"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := testutil.Run(t, env, "", tt.args...)
				if r.Code != 2 || !strings.Contains(string(r.Stderr), tt.mention) || len(r.Stdout) != 0 {
					t.Fatalf("aliasd %v: exit %d, stdout %q, stderr %q; want exit 2, nothing on stdout, stderr mentioning %q",
						tt.args, r.Code, r.Stdout, r.Stderr, tt.mention)
				}
			})
		}
	})

	t.Run("paginate", func(t *testing.T) {
		first := testutil.Run(t, env, "", "call", "GET", "/listings")
		if first.Code != 0 {
			t.Fatalf("first page: exit %d\n%s", first.Code, first.Output())
		}
		var page struct {
			Listings   []json.RawMessage `json:"listings"`
			Pagination struct {
				TotalCount json.RawMessage `json:"total_count"`
				HasMore    bool            `json:"has_more"`
			} `json:"pagination"`
		}
		if err := json.Unmarshal(first.Stdout, &page); err != nil {
			t.Fatalf("first page: %v\n%s", err, first.Stdout)
		}
		total, err := strconv.Atoi(strings.Trim(string(page.Pagination.TotalCount), `"`))
		if err != nil || !page.Pagination.HasMore || total <= len(page.Listings) {
			t.Fatalf("first page: total_count %s, has_more %v, %d listings; want more than one page", page.Pagination.TotalCount, page.Pagination.HasMore, len(page.Listings))
		}

		r := testutil.Run(t, env, "", "call", "GET", "/listings", "--paginate")
		if r.Code != 0 {
			t.Fatalf("--paginate: exit %d\n%s", r.Code, r.Output())
		}
		var items []struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(r.Stdout, &items); err != nil {
			t.Fatalf("--paginate stdout is not a JSON array: %v\n%.500s", err, r.Stdout)
		}
		ids := map[string]bool{}
		for _, it := range items {
			ids[it.ID] = true
		}
		if len(items) != total || len(ids) != total {
			t.Errorf("--paginate printed %d items (%d distinct ids), want total_count %d", len(items), len(ids), total)
		}
		if !strings.Contains(string(r.Stderr), strconv.Itoa(total)+" items in ") {
			t.Errorf("stderr = %q, want a summary of %d items", r.Stderr, total)
		}
		if strings.Contains(string(r.Stderr), "[") {
			t.Errorf("stderr is not a terminal but holds a progress bar: %q", r.Stderr)
		}
	})

	t.Run("progress bar on a terminal", func(t *testing.T) {
		if _, err := exec.LookPath("script"); err != nil {
			t.Skip("script(1) from util-linux is not installed: no pseudo-terminal to run under")
		}
		// script(1) gives aliasd a pseudo-terminal; stdout goes to
		// /dev/null, so what the terminal shows came from stderr.
		line := shellQuote(testutil.Aliasd(t)) + " call GET /listings --paginate >/dev/null"
		r := testutil.RunCommand(t, exec.Command("script", "-q", "-e", "-c", line, "/dev/null"), env, "")
		out := string(r.Stdout)
		if r.Code != 0 {
			t.Fatalf("under script: exit %d\n%q\nstderr %q", r.Code, out, r.Stderr)
		}
		for _, want := range []string{"\r", "[###", "page ", " items in "} {
			if !strings.Contains(out, want) {
				t.Errorf("terminal output %q lacks %q", out, want)
			}
		}
	})
}

// shellQuote quotes s for sh -c.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
