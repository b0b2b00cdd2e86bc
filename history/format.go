package history

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aliasd/aliasd/rpc"
)

// TableOptions controls WriteTable.
type TableOptions struct {
	// Color adds ANSI colours by severity. The caller decides (a terminal
	// and no NO_COLOR).
	Color bool
	// Now is the reference for relative times (default time.Now()).
	Now time.Time
	// Width is the terminal width; 0 means no limit. Paths and diagnostics
	// are shortened to fit; request IDs never are.
	Width int
}

// ANSI styles.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

var tableHeader = []string{"TIME", "STATUS", "METHOD", "PATH", "REQUEST ID", "CACHE", "DIAGNOSTIC"}

// Column indexes.
const (
	colTime = iota
	colStatus
	colMethod
	colPath
	colRID
	colCache
	colDiag
	numCols
)

// WriteTable writes entries as an aligned table: relative time, status,
// method, path, request ID, cache provenance and the diagnostic's title,
// coloured by severity when opts.Color is set.
func WriteTable(w io.Writer, entries []rpc.HistoryEntry, opts TableOptions) error {
	bw := bufio.NewWriter(w)
	if len(entries) == 0 {
		bw.WriteString("no history entries\n")
		return bw.Flush()
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	rows := make([][numCols]string, 0, len(entries)+1)
	rows = append(rows, [numCols]string(tableHeader))
	sev := make([]string, len(entries))
	for i := range entries {
		e := &entries[i]
		status := fmt.Sprint(e.Status)
		if e.Status == 0 {
			status = "ERR"
		}
		diag := ""
		switch {
		case e.Diagnostic != nil:
			diag = e.Diagnostic.Title
		case e.Error != nil:
			diag = e.Error.Message
		}
		cache := e.Cache
		if cache == "" {
			cache = "-"
		}
		rid := e.RequestID
		if rid == "" {
			rid = "-"
		}
		rows = append(rows, [numCols]string{
			relTime(now, e.Time), status, e.Method, shortPath(e.Path), rid, cache, diag,
		})
		sev[i] = severity(e)
	}
	for i := range rows {
		for j := range rows[i] {
			rows[i][j] = clean(rows[i][j])
		}
	}
	widths := fitWidths(rows, opts.Width)
	for i, row := range rows {
		var sb strings.Builder
		for j, cell := range row {
			cell = shorten(cell, widths[j])
			pad := widths[j] - utf8.RuneCountInString(cell)
			if j == numCols-1 {
				pad = 0 // no trailing spaces
			}
			style := ""
			if opts.Color {
				switch {
				case i == 0:
					style = ansiBold
				case j == colTime:
					style = ansiDim
				case j == colStatus || j == colDiag:
					style = severityColor(sev[i-1], j == colStatus)
				}
			}
			if style != "" && cell != "" {
				sb.WriteString(style + cell + ansiReset)
			} else {
				sb.WriteString(cell)
			}
			if j < numCols-1 {
				sb.WriteString(strings.Repeat(" ", pad+2))
			}
		}
		bw.WriteString(strings.TrimRight(sb.String(), " ") + "\n")
	}
	return bw.Flush()
}

// severity is the diagnostic's severity, or one derived from the status.
func severity(e *rpc.HistoryEntry) string {
	if e.Diagnostic != nil && e.Diagnostic.Severity != "" {
		return e.Diagnostic.Severity
	}
	switch {
	case e.Status == 0 || e.Status >= 500:
		return rpc.SeverityError
	case e.Status >= 400:
		return rpc.SeverityWarning
	}
	return ""
}

func severityColor(sev string, isStatus bool) string {
	switch sev {
	case rpc.SeverityError:
		return ansiRed
	case rpc.SeverityWarning:
		return ansiYellow
	case rpc.SeverityInfo:
		return ansiCyan
	}
	if isStatus {
		return ansiGreen
	}
	return ""
}

// fitWidths returns column widths; when the table is wider than width, the
// path and diagnostic columns give way.
func fitWidths(rows [][numCols]string, width int) [numCols]int {
	var ws [numCols]int
	for _, row := range rows {
		for j, cell := range row {
			ws[j] = max(ws[j], utf8.RuneCountInString(cell))
		}
	}
	if width <= 0 {
		return ws
	}
	total := 2 * (numCols - 1)
	for _, n := range ws {
		total += n
	}
	if total <= width {
		return ws
	}
	avail := width - (total - ws[colPath] - ws[colDiag])
	const minPath, minDiag = 16, 12
	path := max(minPath, min(ws[colPath], avail*45/100))
	diag := max(minDiag, min(ws[colDiag], avail-path))
	if ws[colDiag]+path <= avail {
		diag = ws[colDiag]
	}
	if ws[colPath]+diag <= avail {
		path = ws[colPath]
	}
	ws[colPath] = min(ws[colPath], path)
	ws[colDiag] = min(ws[colDiag], diag)
	return ws
}

// shorten cuts s to n runes, ending with an ellipsis.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n || n <= 0 {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// shortPath drops the common /api/v1 prefix.
func shortPath(p string) string {
	if s, ok := strings.CutPrefix(p, pathPrefix); ok && (s == "" || s[0] == '/') {
		if s == "" {
			return "/"
		}
		return s
	}
	return p
}

// clean replaces control characters, so text from the API cannot move the
// cursor or change colours on the user's terminal.
func clean(s string) string {
	if strings.IndexFunc(s, isControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return '?'
		}
		return r
	}, s)
}

func isControl(r rune) bool {
	return unicode.IsControl(r) || r == utf8.RuneError
}

// relTime formats t relative to now: "12s ago", "5m ago", "3h ago", "2d ago",
// or the date beyond a month.
func relTime(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh ago", int(d/time.Hour))
	case d < 31*24*time.Hour:
		return fmt.Sprintf("%dd ago", int(d/(24*time.Hour)))
	}
	return t.UTC().Format("2006-01-02")
}

// WriteSupport writes the block a user pastes into a support request: the
// request ID(s), UTC time, method, path with the redacted query, status, the
// API's error, the diagnostic, the profile's token fingerprint, the client
// and the aliasd version. It prints no headers and no bodies.
func WriteSupport(w io.Writer, d *rpc.HistoryDetail) error {
	if d == nil {
		return fmt.Errorf("writing support block: nil entry")
	}
	bw := bufio.NewWriter(w)
	line := func(label, value string) {
		if value == "" {
			return
		}
		fmt.Fprintf(bw, "%-14s %s\n", label+":", clean(DefaultRedact(value)))
	}
	rid := d.RequestID
	if rid == "" {
		rid = "(none: no response was received)"
	}
	line("Request ID", rid)
	var earlier []string
	for _, r := range d.RequestIDs {
		if r != d.RequestID {
			earlier = append(earlier, r)
		}
	}
	if len(earlier) > 0 {
		line("Other attempts", strings.Join(earlier, ", "))
	}
	line("History ID", d.ID)
	line("Time", d.Time.UTC().Format(time.RFC3339Nano))
	target := d.Path
	if d.Query != "" {
		target += "?" + d.Query
	}
	line("Request", d.Method+" "+target)
	if d.Status == 0 {
		line("Status", "no HTTP response")
	} else {
		line("Status", fmt.Sprintf("%d %s", d.Status, statusText(d.Status)))
	}
	attempts := ""
	if d.Attempts > 1 {
		attempts = fmt.Sprintf(", %d attempts", d.Attempts)
	}
	cache := ""
	if d.Cache != "" {
		cache = ", cache " + d.Cache
	}
	line("Duration", fmt.Sprintf("%.0f ms%s%s", d.DurationMs, attempts, cache))
	if e := d.Error; e != nil {
		code := fmt.Sprint(e.Code)
		if e.CodeName != "" {
			code += " " + e.CodeName
		}
		line("API error", code+": "+e.Message)
	}
	if g := d.Diagnostic; g != nil {
		line("Diagnostic", fmt.Sprintf("[%s] %s", g.Severity, g.Title))
		line("Detail", g.Detail)
		line("Hint", g.Hint)
	}
	profile := d.Profile
	if d.Fingerprint != "" {
		if profile != "" {
			profile += " "
		}
		profile += "(token " + d.Fingerprint + ")"
	}
	line("Profile", profile)
	line("Client", d.Client)
	line("API version", d.APIVersion)
	line("aliasd", d.AliasdVersion)
	return bw.Flush()
}
