package history

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/aliasd/aliasd/rpc"
)

// record is an entry prepared for storage: redacted, capped and encoded,
// so that the transaction function only copies bytes.
type record struct {
	id      uint64
	entry   rpc.HistoryEntry // the summary as stored
	summary []byte           // encoded entry
	bodies  []byte           // encoded request and response
	rids    []string         // request IDs to index, deduplicated
	isError bool
	lag     int64 // ns between the entry's time and its append time
}

// RedactedValue replaces the value of a credential header.
const RedactedValue = "[REDACTED]" // the marker internal/redact uses too

// credentialHeaders are replaced whatever Redact does with them.
var credentialHeaders = map[string]bool{
	"authorization":       true,
	"proxy-authorization": true,
	"cookie":              true,
	"set-cookie":          true,
	"x-api-key":           true,
	"x-auth-token":        true,
}

var defaultSecrets = regexp.MustCompile(`goatapi_[A-Za-z0-9_\-]{8,}|(?i:bearer)\s+[A-Za-z0-9._~+/=\-]{8,}`)

// DefaultRedact masks alias personal access tokens (goatapi_…) and bearer
// credentials. The daemon normally supplies a redactor that also knows the
// stored tokens.
func DefaultRedact(s string) string {
	if !strings.Contains(s, "goatapi_") && !strings.Contains(strings.ToLower(s), "bearer") {
		return s
	}
	return defaultSecrets.ReplaceAllString(s, "[REDACTED]")
}

// IsError reports whether an entry counts as an error: a network failure
// (status 0), an HTTP status of 400 or more, or an error diagnostic.
func IsError(e *rpc.HistoryEntry) bool {
	return e.Status == 0 || e.Status >= 400 || (e.Diagnostic != nil && e.Diagnostic.Severity == rpc.SeverityError)
}

// prepare copies d into a record: redaction, caps and the bodies'
// encoding. d is not modified. The record gets its id from assign.
func (h *History) prepare(d *rpc.HistoryDetail) (*record, error) {
	if d.Status < 0 || d.Status > 999 {
		return nil, fmt.Errorf("status %d out of range", d.Status)
	}
	if strings.TrimSpace(d.Method) == "" {
		return nil, errors.New("method is empty")
	}
	if strings.TrimSpace(d.Path) == "" {
		return nil, errors.New("path is empty")
	}
	rd := h.redact
	e := d.HistoryEntry // shallow copy; pointers are replaced below
	e.Method = strings.ToUpper(strings.TrimSpace(e.Method))
	e.Path = rd(e.Path)
	e.Query = rd(e.Query)
	e.Client = rd(e.Client)
	if e.AliasdVersion == "" {
		e.AliasdVersion = h.cfg.Version
	}
	e.RequestIDs = append([]string(nil), d.RequestIDs...)
	if d.Error != nil {
		ae := *d.Error
		ae.Message = rd(ae.Message)
		ae.Details = make([]json.RawMessage, 0, len(d.Error.Details))
		for _, raw := range d.Error.Details {
			ae.Details = append(ae.Details, redactJSON(raw, rd))
		}
		e.Error = &ae
	}
	if d.Diagnostic != nil {
		dg := *d.Diagnostic
		dg.Title, dg.Detail, dg.Hint = rd(dg.Title), rd(dg.Detail), rd(dg.Hint)
		e.Diagnostic = &dg
	}
	req, resp := h.message(d.Request), h.message(d.Response)
	if e.ResponseSize == 0 {
		e.ResponseSize = resp.Size
	}
	rec := &record{entry: e}
	rec.bodies = encodeBodies(&req, &resp)
	return rec, nil
}

// assign gives rec its id and encodes its summary. The id's time is the
// append time: an entry time that is zero or later is set to it, so an
// entry's time is never after its id's.
func (rec *record) assign(id uint64) {
	rec.id = id
	e := &rec.entry
	e.ID = formatID(id)
	at := idTime(id)
	if e.Time.IsZero() || e.Time.After(at) {
		e.Time = at
	}
	e.Time = e.Time.UTC()
	rec.summary = encodeSummary(e)
	rec.derive()
}

// derive sets what the id and the summary imply: the error flag, the
// request IDs to index (valid ones, once each) and the lag between the
// entry's time and its id's.
func (rec *record) derive() {
	e := &rec.entry
	rec.isError = IsError(e)
	rec.rids = nil
	seen := map[string]bool{}
	for _, rid := range append([]string{e.RequestID}, e.RequestIDs...) {
		if validRID(rid) && !seen[rid] {
			seen[rid] = true
			rec.rids = append(rec.rids, rid)
		}
	}
	rec.lag = int64(timeID(idTime(rec.id)) - timeID(e.Time))
}

// message redacts and caps one request or response.
func (h *History) message(m rpc.HTTPMessage) rpc.HTTPMessage {
	out := rpc.HTTPMessage{Size: m.Size, Truncated: m.Truncated}
	if len(m.Headers) > 0 {
		out.Headers = make(map[string]string, len(m.Headers))
		for k, v := range m.Headers {
			if credentialHeaders[strings.ToLower(k)] {
				v = RedactedValue
			} else {
				v = h.redact(v)
			}
			out.Headers[k] = v
		}
	}
	if int64(len(m.Body)) > out.Size {
		out.Size = int64(len(m.Body))
	}
	body := h.redact(m.Body)
	if limit := h.cfg.BodyCap; len(body) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(body[cut]) {
			cut--
		}
		body = body[:cut] + truncationMarker(cut, len(body))
		out.Truncated = true
	}
	out.Body = body
	return out
}

// truncationMarker ends a body that was cut.
func truncationMarker(kept, total int) string {
	return fmt.Sprintf("\n[aliasd: body truncated, %d of %d bytes kept]", kept, total)
}

// TruncationMarkerPrefix starts the line appended to a truncated body.
const TruncationMarkerPrefix = "\n[aliasd: body truncated"

// redactJSON redacts raw JSON; if the result is no longer valid JSON it is
// stored as a JSON string.
func redactJSON(raw json.RawMessage, rd func(string) string) json.RawMessage {
	s := rd(string(raw))
	if json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	q, _ := json.Marshal(s)
	return q
}

// statusText is http.StatusText with a fallback for unknown codes.
func statusText(code int) string {
	if code == 0 {
		return "network error"
	}
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "status " + fmt.Sprint(code)
}
