package history

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aliasd/aliasd/rpc"
)

func tableEntries(now time.Time) []rpc.HistoryEntry {
	return []rpc.HistoryEntry{
		{ID: "a", Time: now.Add(-5 * time.Second), Method: "GET", Path: "/api/v1/catalog/dunk-low", Status: 200, RequestID: "req-ok", Cache: "hit"},
		{ID: "b", Time: now.Add(-3 * time.Minute), Method: "GET", Path: "/api/v1/pricing_insights/availability", Status: 400, RequestID: "req-missing",
			Cache: "miss", Diagnostic: &rpc.Diagnostic{Severity: rpc.SeverityError, Title: "Missing parameter: add size"}},
		{ID: "c", Time: now.Add(-2 * time.Hour), Method: "GET", Path: "/api/v1/listings", Status: 429, RequestID: "req-rate",
			Cache: "bypass", Diagnostic: &rpc.Diagnostic{Severity: rpc.SeverityWarning, Title: "Rate limited; retried after 2s"}},
		{ID: "d", Time: now.Add(-50 * time.Hour), Method: "GET", Path: "/api/v1/orders", Status: 0,
			Diagnostic: &rpc.Diagnostic{Severity: rpc.SeverityError, Title: "Connection refused"}},
		{ID: "e", Time: now.Add(-400 * 24 * time.Hour), Method: "DELETE", Path: "/api/v1/listings/x\x1b[2J", Status: 404, RequestID: "req-gone",
			Error: &rpc.APIError{Code: 5, Message: "listing not found"}},
	}
}

func TestWriteTable(t *testing.T) {
	now := time.Date(2034, 1, 2, 3, 4, 5, 0, time.UTC)
	entries := tableEntries(now)
	var buf bytes.Buffer
	if err := WriteTable(&buf, entries, TableOptions{Now: now}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(entries)+1 {
		t.Fatalf("WriteTable wrote %d lines, want %d:\n%s", len(lines), len(entries)+1, out)
	}
	for _, col := range tableHeader {
		if !strings.Contains(lines[0], col) {
			t.Errorf("header %q lacks %s", lines[0], col)
		}
	}
	tests := []struct {
		line int
		want []string
	}{
		{1, []string{"5s ago", "200", "GET", "/catalog/dunk-low", "req-ok", "hit"}},
		{2, []string{"3m ago", "400", "/pricing_insights/availability", "req-missing", "miss", "Missing parameter: add size"}},
		{3, []string{"2h ago", "429", "/listings", "req-rate", "bypass", "Rate limited; retried after 2s"}},
		{4, []string{"2d ago", "ERR", "/orders", "Connection refused"}},
		{5, []string{"2032-11-28", "404", "DELETE", "req-gone", "listing not found"}},
	}
	for _, tt := range tests {
		for _, w := range tt.want {
			if !strings.Contains(lines[tt.line], w) {
				t.Errorf("line %d = %q, want it to contain %q", tt.line, lines[tt.line], w)
			}
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("WriteTable(Color=false) wrote an escape sequence:\n%q", out)
	}
	if strings.Contains(lines[1], "/api/v1") {
		t.Errorf("line 1 = %q, want the /api/v1 prefix dropped", lines[1])
	}
	// Columns line up: the request IDs start at the same offset.
	col := strings.Index(lines[1], "req-ok")
	if strings.Index(lines[2], "req-missing") != col || strings.Index(lines[3], "req-rate") != col {
		t.Errorf("request ID column not aligned:\n%s", out)
	}

	t.Run("colour", func(t *testing.T) {
		var buf bytes.Buffer
		WriteTable(&buf, entries, TableOptions{Now: now, Color: true})
		lines := strings.Split(buf.String(), "\n")
		for _, c := range []struct {
			line int
			want string
		}{
			{1, ansiGreen + "200"}, {2, ansiRed + "Missing parameter"}, {2, ansiRed + "400"},
			{3, ansiYellow + "Rate limited"}, {4, ansiRed + "ERR"}, {5, ansiYellow + "404"},
		} {
			if !strings.Contains(lines[c.line], c.want) {
				t.Errorf("line %d = %q, want %q", c.line, lines[c.line], c.want)
			}
		}
		if strings.Contains(buf.String(), "\x1b[2J") {
			t.Errorf("a control sequence from a path reached the terminal")
		}
		plain := stripANSI(buf.String())
		var nocolor bytes.Buffer
		WriteTable(&nocolor, entries, TableOptions{Now: now})
		if plain != nocolor.String() {
			t.Errorf("coloured table without escapes differs from the plain one:\n%s\n%s", plain, nocolor.String())
		}
	})
	t.Run("width", func(t *testing.T) {
		var buf bytes.Buffer
		WriteTable(&buf, entries, TableOptions{Now: now, Width: 80})
		for i, l := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
			if n := utf8.RuneCountInString(l); n > 80 {
				t.Errorf("line %d is %d wide, want ≤ 80: %q", i, n, l)
			}
		}
		for _, rid := range []string{"req-ok", "req-missing", "req-rate", "req-gone"} {
			if !strings.Contains(buf.String(), rid) {
				t.Errorf("width 80 cut request ID %s", rid)
			}
		}
		if !strings.Contains(buf.String(), "…") {
			t.Errorf("width 80: nothing was shortened:\n%s", buf.String())
		}
	})
	t.Run("empty", func(t *testing.T) {
		var buf bytes.Buffer
		WriteTable(&buf, nil, TableOptions{})
		if !strings.Contains(buf.String(), "no history entries") {
			t.Errorf("WriteTable(nil) = %q", buf.String())
		}
	})
}

func TestRelTime(t *testing.T) {
	now := time.Date(2034, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		ago  time.Duration
		want string
	}{
		{-time.Minute, "just now"}, {0, "just now"}, {59 * time.Second, "59s ago"}, {time.Minute, "1m ago"},
		{90 * time.Minute, "1h ago"}, {47 * time.Hour, "1d ago"}, {40 * 24 * time.Hour, "2033-11-23"},
	}
	for _, tt := range tests {
		if got := relTime(now, now.Add(-tt.ago)); got != tt.want {
			t.Errorf("relTime(now-%v) = %q, want %q", tt.ago, got, tt.want)
		}
	}
}

func TestWriteSupport(t *testing.T) {
	tok := fakeToken(t)
	d := &rpc.HistoryDetail{
		HistoryEntry: rpc.HistoryEntry{
			ID: "01hx", Time: time.Date(2034, 1, 2, 3, 4, 5, 600e6, time.FixedZone("CET", 3600)),
			Method: "GET", Path: "/api/v1/pricing_insights/availability", Query: "catalog_id=x&key=" + tok,
			Status: 400, RequestID: "req-3", RequestIDs: []string{"req-1", "req-2", "req-3"}, Attempts: 3,
			DurationMs: 120.4, Cache: "miss", Profile: "work", Fingerprint: "sha256:ab12cd34", APIVersion: "1.3.6",
			Client: "Neovim 0.11", AliasdVersion: "0.4.0",
			Error:      &rpc.APIError{Code: 3, CodeName: "INVALID_ARGUMENT", Message: "Missing parameter: input.Size"},
			Diagnostic: &rpc.Diagnostic{Severity: "error", Title: "Missing parameter size", Detail: "The API needs size.", Hint: "Add size=10"},
		},
		Request:  rpc.HTTPMessage{Headers: map[string]string{"Authorization": "Bearer " + tok}},
		Response: rpc.HTTPMessage{Body: `{"secret":"` + tok + `"}`},
	}
	var buf bytes.Buffer
	if err := WriteSupport(&buf, d); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"req-3", "req-1, req-2", "01hx", "2034-01-02T02:04:05.6Z", "GET /api/v1/pricing_insights/availability?catalog_id=x",
		"400 Bad Request", "3 INVALID_ARGUMENT: Missing parameter: input.Size", "[error] Missing parameter size",
		"The API needs size.", "Add size=10", "work", "sha256:ab12cd34", "Neovim 0.11", "0.4.0", "1.3.6", "3 attempts",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("WriteSupport lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, tok) || strings.Contains(out, "Authorization") || strings.Contains(out, "secret") {
		t.Errorf("WriteSupport leaked a secret, a header or a body:\n%s", out)
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("WriteSupport wrote an escape sequence")
	}
	t.Run("network failure", func(t *testing.T) {
		var buf bytes.Buffer
		WriteSupport(&buf, &rpc.HistoryDetail{HistoryEntry: rpc.HistoryEntry{Method: "GET", Path: "/api/v1/test", Time: time.Now()}})
		if !strings.Contains(buf.String(), "no HTTP response") || !strings.Contains(buf.String(), "(none") {
			t.Errorf("WriteSupport(status 0) = %q", buf.String())
		}
	})
	if err := WriteSupport(&buf, nil); err == nil {
		t.Errorf("WriteSupport(nil) = nil error")
	}
}

func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
