package history

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/aliasd/aliasd/rpc"
	bolt "go.etcd.io/bbolt"
)

// Export formats.
const (
	FormatHAR    = "har"
	FormatNDJSON = "ndjson"
)

// exportChunk is how many entries one read transaction loads for export.
const exportChunk = 256

// Export writes the entries matching params, oldest first, to w as HAR 1.2
// ("har") or one rpc.HistoryDetail JSON object per line ("ndjson"), and
// returns how many it wrote. A zero params.Limit exports every match; a
// positive one exports the newest Limit matches. Everything exported was
// redacted when it was appended; credential headers are masked again here.
// An unknown format or bad params return a *ParamError before anything is
// written.
func (h *History) Export(w io.Writer, format string, params rpc.HistoryListParams) (int, error) {
	format = strings.ToLower(strings.TrimSpace(format))
	if format != FormatHAR && format != FormatNDJSON {
		return 0, &ParamError{Field: "format", Reason: fmt.Sprintf("%q is not one of har, ndjson", format)}
	}
	q, err := parseParams(params, 0)
	if err != nil {
		return 0, err
	}
	var ids []uint64
	err = h.scan(q, q.limit, func(id uint64, _ *rpc.HistoryEntry) bool {
		ids = append(ids, id)
		return q.limit == 0 || len(ids) < q.limit
	})
	if err != nil {
		return 0, fmt.Errorf("exporting history: %w", err)
	}
	slices.Reverse(ids)

	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if format == FormatHAR {
		fmt.Fprintf(bw, `{"log":{"version":"1.2","creator":{"name":"aliasd","version":%s},"entries":[`, jsonString(h.cfg.Version))
		bw.WriteString("\n")
	}
	n := 0
	for start := 0; start < len(ids); start += exportChunk {
		chunk := ids[start:min(start+exportChunk, len(ids))]
		details := make([]*rpc.HistoryDetail, 0, len(chunk))
		err := h.view(func(tx *bolt.Tx) error {
			for _, id := range chunk {
				d, err := readDetail(tx, id)
				if errors.Is(err, ErrNotFound) {
					continue // pruned meanwhile
				}
				if err != nil {
					return err
				}
				details = append(details, d)
			}
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("exporting history: %w", err)
		}
		for _, d := range details {
			maskCredentials(d)
			if format == FormatHAR {
				if n > 0 {
					bw.WriteString(",")
				}
				err = enc.Encode(h.harEntry(d))
			} else {
				err = enc.Encode(d)
			}
			if err != nil {
				return n, fmt.Errorf("exporting history: %w", err)
			}
			n++
		}
	}
	if format == FormatHAR {
		bw.WriteString("]}}\n")
	}
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("exporting history: %w", err)
	}
	return n, nil
}

// maskCredentials replaces credential header values.
func maskCredentials(d *rpc.HistoryDetail) {
	for _, hs := range []map[string]string{d.Request.Headers, d.Response.Headers} {
		for k := range hs {
			if credentialHeaders[strings.ToLower(k)] {
				hs[k] = RedactedValue
			}
		}
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/). Custom fields
// start with an underscore.
type harEntry struct {
	StartedDateTime string          `json:"startedDateTime"`
	Time            float64         `json:"time"`
	Request         harRequest      `json:"request"`
	Response        harResponse     `json:"response"`
	Cache           struct{}        `json:"cache"`
	Timings         harTimings      `json:"timings"`
	RequestID       string          `json:"_requestId,omitempty"`
	RequestIDs      []string        `json:"_requestIds,omitempty"`
	HistoryID       string          `json:"_historyId"`
	CacheStatus     string          `json:"_cache,omitempty"`
	Profile         string          `json:"_profile,omitempty"`
	Fingerprint     string          `json:"_fingerprint,omitempty"`
	APIError        *rpc.APIError   `json:"_apiError,omitempty"`
	Diagnostic      *rpc.Diagnostic `json:"_diagnostic,omitempty"`
	ResourceType    string          `json:"_resourceType"` // Chrome's: files it under Fetch/XHR
}

type harNV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harRequest struct {
	Method      string       `json:"method"`
	URL         string       `json:"url"`
	HTTPVersion string       `json:"httpVersion"`
	Cookies     []harNV      `json:"cookies"`
	Headers     []harNV      `json:"headers"`
	QueryString []harNV      `json:"queryString"`
	PostData    *harPostData `json:"postData,omitempty"`
	HeadersSize int          `json:"headersSize"`
	BodySize    int64        `json:"bodySize"`
}

type harPostData struct {
	MimeType string  `json:"mimeType"`
	Params   []harNV `json:"params"`
	Text     string  `json:"text"`
}

type harResponse struct {
	Status      int        `json:"status"`
	StatusText  string     `json:"statusText"`
	HTTPVersion string     `json:"httpVersion"`
	Cookies     []harNV    `json:"cookies"`
	Headers     []harNV    `json:"headers"`
	Content     harContent `json:"content"`
	RedirectURL string     `json:"redirectURL"`
	HeadersSize int        `json:"headersSize"`
	BodySize    int64      `json:"bodySize"`
	Error       string     `json:"_error,omitempty"` // Chrome's: why no response arrived
}

type harContent struct {
	Size      int64  `json:"size"`
	MimeType  string `json:"mimeType"`
	Text      string `json:"text,omitempty"`
	Comment   string `json:"comment,omitempty"`
	Truncated bool   `json:"_truncated,omitempty"`
}

type harTimings struct {
	Blocked float64 `json:"blocked"`
	DNS     float64 `json:"dns"`
	Connect float64 `json:"connect"`
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
	SSL     float64 `json:"ssl"`
}

const harHTTPVersion = "HTTP/1.1"

func (h *History) harEntry(d *rpc.HistoryDetail) harEntry {
	path := d.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	// Paths are stored whole (/api/v1/...): join them to the base's
	// origin, whatever path the configured base URL carries.
	base := h.cfg.BaseURL
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		base = u.Scheme + "://" + u.Host
	}
	u := base + path
	if d.Query != "" {
		u += "?" + d.Query
	}
	dur := max(d.DurationMs, 0)
	e := harEntry{
		StartedDateTime: d.Time.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		Time:            dur,
		Request: harRequest{
			Method:      d.Method,
			URL:         u,
			HTTPVersion: harHTTPVersion,
			Cookies:     []harNV{},
			Headers:     harHeaders(d.Request.Headers),
			QueryString: harQuery(d.Query),
			HeadersSize: -1,
			BodySize:    int64(len(d.Request.Body)),
		},
		Response: harResponse{
			Status:      d.Status,
			StatusText:  statusText(d.Status),
			HTTPVersion: harHTTPVersion,
			Cookies:     []harNV{},
			Headers:     harHeaders(d.Response.Headers),
			Content: harContent{
				Size:      d.Response.Size,
				MimeType:  mimeType(d.Response.Headers, d.Response.Body),
				Text:      d.Response.Body,
				Truncated: d.Response.Truncated,
			},
			RedirectURL: headerValue(d.Response.Headers, "Location"),
			HeadersSize: -1,
			BodySize:    d.Response.Size,
		},
		Timings:      harTimings{Blocked: -1, DNS: -1, Connect: -1, Send: 0, Wait: dur, Receive: 0, SSL: -1},
		RequestID:    d.RequestID,
		RequestIDs:   d.RequestIDs,
		HistoryID:    d.ID,
		CacheStatus:  d.Cache,
		Profile:      d.Profile,
		Fingerprint:  d.Fingerprint,
		APIError:     d.Error,
		Diagnostic:   d.Diagnostic,
		ResourceType: "fetch",
	}
	if d.Response.Truncated {
		e.Response.Content.Comment = "truncated by aliasd"
	}
	if d.Request.Body != "" {
		e.Request.PostData = &harPostData{
			MimeType: mimeType(d.Request.Headers, d.Request.Body),
			Params:   []harNV{},
			Text:     d.Request.Body,
		}
	}
	if d.RequestID != "" && headerValue(d.Response.Headers, "x-request-id") == "" {
		e.Response.Headers = append(e.Response.Headers, harNV{Name: "x-request-id", Value: d.RequestID})
	}
	if d.Status == 0 {
		// No response arrived: the conventions of browsers' own exports.
		e.Response.StatusText, e.Response.HTTPVersion, e.Response.BodySize = "", "", -1
		e.Response.Error = "no response"
		if d.Diagnostic != nil {
			e.Response.Error = d.Diagnostic.Title
		}
	}
	return e
}

// harHeaders returns headers sorted by name.
func harHeaders(hs map[string]string) []harNV {
	out := make([]harNV, 0, len(hs))
	for k, v := range hs {
		out = append(out, harNV{Name: k, Value: v})
	}
	slices.SortFunc(out, func(a, b harNV) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return out
}

// harQuery splits an encoded query string, keeping its order.
func harQuery(q string) []harNV {
	out := []harNV{}
	for _, part := range strings.Split(q, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		out = append(out, harNV{Name: k, Value: v})
	}
	return out
}

func headerValue(hs map[string]string, name string) string {
	for k, v := range hs {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func mimeType(hs map[string]string, body string) string {
	if ct := headerValue(hs, "Content-Type"); ct != "" {
		return ct
	}
	if t := strings.TrimSpace(body); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		return "application/json"
	}
	if body == "" {
		return "x-unknown"
	}
	return "text/plain"
}
