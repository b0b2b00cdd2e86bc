package history

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aliasd/aliasd/internal/testutil"
	"github.com/aliasd/aliasd/rpc"
)

// exportFixture appends a GET with a query, a POST with a body and a 404,
// a network failure and a truncated response.
func exportFixture(t *testing.T, cfg Config) (*History, []rpc.HistoryEntry) {
	t.Helper()
	db, _ := openDB(t)
	t0 := time.Date(2033, 3, 4, 5, 6, 7, 0, time.UTC)
	clk := testutil.NewClock(t0)
	cfg.Now = clk.Now
	h := newHistory(t, db, cfg)
	var out []rpc.HistoryEntry
	add := func(d *rpc.HistoryDetail) {
		out = append(out, mustAppend(t, h, d))
		clk.Advance(time.Second)
	}
	get := detail("GET", "/api/v1/catalog", 200, "rid-get")
	get.Query = "query=dunk+low&limit=5&ids=a&ids=b%26c"
	get.Request.Headers["Authorization"] = "Bearer " + "not-a-real-token-0123456789"
	add(get)
	post := detail("POST", "/api/v1/listings/batch_create", 201, "rid-post")
	post.Request.Headers["Content-Type"] = "application/json"
	post.Request.Body = `{"listings":[{"catalog_id":"x"}]}`
	add(post)
	nf := detail("GET", "/api/v1/catalog/nope", 404, "rid-404")
	nf.RequestIDs = []string{"rid-404-first", "rid-404"}
	nf.Diagnostic = &rpc.Diagnostic{Severity: rpc.SeverityError, Title: "Not found", Detail: "no such item"}
	delete(nf.Response.Headers, "X-Request-Id") // the export adds it back
	add(nf)
	net := detail("GET", "/api/v1/orders", 0, "")
	net.Response = rpc.HTTPMessage{}
	net.Diagnostic = &rpc.Diagnostic{Severity: rpc.SeverityError, Title: "Connection refused", Detail: "dial tcp"}
	add(net)
	big := detail("GET", "/api/v1/pricing_insights/availabilities/x", 200, "rid-big")
	big.Response.Body = strings.Repeat("v", 5000)
	add(big)
	return h, out
}

func TestExportHAR(t *testing.T) {
	h, entries := exportFixture(t, Config{BodyCap: 1000, Version: "0.9.1", BaseURL: "http://127.0.0.1:8080/"})
	var buf bytes.Buffer
	n, err := h.Export(&buf, "HAR", rpc.HistoryListParams{})
	if err != nil || n != len(entries) {
		t.Fatalf("Export(har) = %d, %v, want %d", n, err, len(entries))
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("HAR is not JSON: %v\n%s", err, buf.String())
	}
	log := obj(t, doc, "log")
	if log["version"] != "1.2" {
		t.Errorf("log.version = %v, want 1.2", log["version"])
	}
	creator := obj(t, log, "creator")
	if creator["name"] != "aliasd" || creator["version"] != "0.9.1" {
		t.Errorf("log.creator = %v, want aliasd 0.9.1", creator)
	}
	list, ok := log["entries"].([]any)
	if !ok || len(list) != len(entries) {
		t.Fatalf("log.entries = %d items, want %d", len(list), len(entries))
	}
	var prev time.Time
	byRID := map[string]map[string]any{}
	for i, item := range list {
		e := item.(map[string]any)
		started, err := time.Parse(time.RFC3339Nano, str(t, e, "startedDateTime"))
		if err != nil || started.Before(prev) {
			t.Errorf("entry %d startedDateTime = %v (%v), want RFC 3339, oldest first", i, e["startedDateTime"], err)
		}
		prev = started
		total := num(t, e, "time")
		req, resp := obj(t, e, "request"), obj(t, e, "response")
		for _, k := range []string{"method", "url", "httpVersion"} {
			str(t, req, k)
		}
		for _, k := range []string{"cookies", "headers", "queryString"} {
			nvList(t, req, k)
		}
		num(t, req, "headersSize")
		num(t, req, "bodySize")
		u, err := url.Parse(str(t, req, "url"))
		if err != nil || u.Scheme != "http" || u.Host != "127.0.0.1:8080" || !strings.HasPrefix(u.Path, "/api/v1/") {
			t.Errorf("entry %d request.url = %v, want an absolute URL under the base URL", i, req["url"])
		}
		num(t, resp, "status")
		str(t, resp, "statusText")
		str(t, resp, "httpVersion")
		str(t, resp, "redirectURL")
		nvList(t, resp, "cookies")
		nvList(t, resp, "headers")
		num(t, resp, "headersSize")
		num(t, resp, "bodySize")
		content := obj(t, resp, "content")
		num(t, content, "size")
		str(t, content, "mimeType")
		obj(t, e, "cache")
		timings := obj(t, e, "timings")
		sum := 0.0
		for _, k := range []string{"blocked", "dns", "connect", "send", "wait", "receive", "ssl"} {
			if v, ok := timings[k].(float64); ok && v > 0 {
				sum += v
			}
		}
		for _, k := range []string{"send", "wait", "receive"} {
			if v := num(t, timings, k); v < 0 {
				t.Errorf("entry %d timings.%s = %v, want ≥ 0", i, k, v)
			}
		}
		if sum != total {
			t.Errorf("entry %d time = %v, want the sum of timings %v", i, total, sum)
		}
		if rid, _ := e["_requestId"].(string); rid != "" {
			byRID[rid] = e
			if got := header(resp, "x-request-id"); got != rid {
				t.Errorf("entry %d response x-request-id = %q, want %q", i, got, rid)
			}
		}
		if id, _ := e["_historyId"].(string); id != entries[i].ID {
			t.Errorf("entry %d _historyId = %v, want %s", i, e["_historyId"], entries[i].ID)
		}
	}
	get := byRID["rid-get"]
	req := obj(t, get, "request")
	if got := header(req, "Authorization"); got != RedactedValue {
		t.Errorf("request Authorization = %q, want %s", got, RedactedValue)
	}
	var qs []string
	for _, nv := range nvList(t, req, "queryString") {
		qs = append(qs, nv["name"]+"="+nv["value"])
	}
	if got := strings.Join(qs, " "); got != "query=dunk low limit=5 ids=a ids=b&c" {
		t.Errorf("queryString = %q, want decoded pairs in order", got)
	}
	if !strings.HasSuffix(str(t, req, "url"), "/api/v1/catalog?query=dunk+low&limit=5&ids=a&ids=b%26c") {
		t.Errorf("url = %v, want the path and encoded query", req["url"])
	}
	if _, ok := req["postData"]; ok {
		t.Errorf("GET has postData, want none")
	}
	post := obj(t, byRID["rid-post"], "request")
	pd := obj(t, post, "postData")
	if pd["mimeType"] != "application/json" || pd["text"] != `{"listings":[{"catalog_id":"x"}]}` {
		t.Errorf("postData = %v, want the JSON body", pd)
	}
	if num(t, post, "bodySize") != float64(len(`{"listings":[{"catalog_id":"x"}]}`)) {
		t.Errorf("POST bodySize = %v", post["bodySize"])
	}
	nf := byRID["rid-404"]
	if r := obj(t, nf, "response"); r["status"] != 404.0 || r["statusText"] != "Not Found" {
		t.Errorf("404 response = %v %v", r["status"], r["statusText"])
	}
	if ids, _ := nf["_requestIds"].([]any); len(ids) != 2 || ids[0] != "rid-404-first" {
		t.Errorf("_requestIds = %v, want both attempts", nf["_requestIds"])
	}
	if d := obj(t, nf, "_diagnostic"); d["title"] != "Not found" {
		t.Errorf("_diagnostic = %v", d)
	}
	netErr := list[3].(map[string]any)
	if r := obj(t, netErr, "response"); r["status"] != 0.0 || r["_error"] != "Connection refused" {
		t.Errorf("network failure: status %v _error %v, want 0 and the diagnostic title", r["status"], r["_error"])
	}
	bigContent := obj(t, obj(t, byRID["rid-big"], "response"), "content")
	if bigContent["size"] != 5000.0 || !strings.Contains(bigContent["text"].(string), TruncationMarkerPrefix[1:]) || bigContent["_truncated"] != true {
		t.Errorf("truncated content: size %v, truncated %v", bigContent["size"], bigContent["_truncated"])
	}

	t.Run("filtered and limited", func(t *testing.T) {
		var buf bytes.Buffer
		n, err := h.Export(&buf, "har", rpc.HistoryListParams{ErrorsOnly: true})
		if err != nil || n != 2 {
			t.Errorf("Export(har, errorsOnly) = %d, %v, want 2", n, err)
		}
		buf.Reset()
		n, err = h.Export(&buf, "har", rpc.HistoryListParams{Limit: 2})
		if err != nil || n != 2 || !strings.Contains(buf.String(), "rid-big") {
			t.Errorf("Export(har, limit 2) = %d, %v, want the newest 2", n, err)
		}
	})
}

func TestExportNDJSON(t *testing.T) {
	h, entries := exportFixture(t, Config{})
	var buf bytes.Buffer
	n, err := h.Export(&buf, "ndjson", rpc.HistoryListParams{})
	if err != nil || n != len(entries) {
		t.Fatalf("Export(ndjson) = %d, %v, want %d", n, err, len(entries))
	}
	sc := bufio.NewScanner(&buf)
	sc.Buffer(nil, 1<<20)
	i := 0
	for sc.Scan() {
		var d rpc.HistoryDetail
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		want, err := h.Get(entries[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		maskCredentials(want)
		wj, _ := json.Marshal(want)
		gj, _ := json.Marshal(&d)
		if !bytes.Equal(wj, gj) {
			t.Errorf("line %d = %s, want %s", i, gj, wj)
		}
		i++
	}
	if i != len(entries) {
		t.Errorf("NDJSON has %d lines, want %d", i, len(entries))
	}
	buf.Reset()
	if n, err := h.Export(&buf, "ndjson", rpc.HistoryListParams{Status: "4xx"}); n != 1 || err != nil || strings.Count(buf.String(), "\n") != 1 {
		t.Errorf("Export(ndjson, 4xx) = %d, %v, %d lines, want 1", n, err, strings.Count(buf.String(), "\n"))
	}
	buf.Reset()
	h.Clear()
	if n, err := h.Export(&buf, "har", rpc.HistoryListParams{}); n != 0 || err != nil || !json.Valid(buf.Bytes()) {
		t.Errorf("Export(har) of an empty history = %d, %v, %q, want a valid empty HAR", n, err, buf.String())
	}
}

func TestExportBadInput(t *testing.T) {
	h, _ := exportFixture(t, Config{})
	tests := []struct {
		name, format string
		p            rpc.HistoryListParams
		field        string
	}{
		{"unknown format", "xml", rpc.HistoryListParams{}, "format"},
		{"empty format", "", rpc.HistoryListParams{}, "format"},
		{"bad status", "har", rpc.HistoryListParams{Status: "9xx"}, "status"},
		{"bad since", "ndjson", rpc.HistoryListParams{Since: "soon"}, "since"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := h.Export(&buf, tt.format, tt.p)
			var pe *ParamError
			if !errors.As(err, &pe) || pe.Field != tt.field {
				t.Errorf("Export(%q, %+v) = %v, want a ParamError for %s", tt.format, tt.p, err, tt.field)
			}
			if buf.Len() != 0 {
				t.Errorf("Export(%q) wrote %d bytes before failing, want none", tt.format, buf.Len())
			}
		})
	}
}

// TestNoTokenLeaks puts a fake token in every place a caller might, with a
// Redact func that knows it, and searches the file, both exports and the
// terminal output for it. A control history without redaction shows that
// the search would find it.
func TestNoTokenLeaks(t *testing.T) {
	tok := fakeToken(t)
	needles := []string{tok, tok[8:28], tok[len(tok)-20:]}
	redact := func(s string) string { return strings.ReplaceAll(s, tok, "[TOKEN]") }
	leaky := func() *rpc.HistoryDetail {
		d := detail("POST", "/api/v1/listings", 401, "rid-leak")
		d.Query = "catalog_id=x&key=" + tok
		d.Request.Headers["Authorization"] = "Bearer " + tok
		d.Request.Headers["X-Debug"] = "token=" + tok
		d.Request.Headers["Cookie"] = "s=" + tok
		d.Request.Body = `{"token":"` + tok + `"}`
		// The token straddles the body cap.
		d.Response.Body = strings.Repeat("x", 1000-10) + tok + strings.Repeat("y", 100)
		d.Response.Headers["Www-Authenticate"] = "Bearer error=" + tok
		d.Error = &rpc.APIError{Code: 16, CodeName: "UNAUTHENTICATED", Message: "bad token " + tok,
			Details: []json.RawMessage{json.RawMessage(`{"@type":"t","token":"` + tok + `"}`)}}
		d.Diagnostic = &rpc.Diagnostic{Severity: rpc.SeverityError, Title: "Token " + tok + " rejected", Detail: tok, Hint: tok}
		return d
	}
	scan := func(name string, b []byte) (found bool) {
		for _, n := range needles {
			if bytes.Contains(b, []byte(n)) {
				return true
			}
		}
		return false
	}
	outputs := func(t *testing.T, h *History) map[string][]byte {
		var har, nd, table, support bytes.Buffer
		if _, err := h.Export(&har, "har", rpc.HistoryListParams{}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Export(&nd, "ndjson", rpc.HistoryListParams{}); err != nil {
			t.Fatal(err)
		}
		res, _ := h.List(rpc.HistoryListParams{})
		WriteTable(&table, res.Entries, TableOptions{Color: true})
		d, err := h.Lookup("rid-leak")
		if err != nil {
			t.Fatal(err)
		}
		WriteSupport(&support, d)
		js, _ := json.Marshal(d)
		return map[string][]byte{"har": har.Bytes(), "ndjson": nd.Bytes(), "table": table.Bytes(), "support": support.Bytes(), "get": js}
	}

	t.Run("redacted", func(t *testing.T) {
		db, path := openDB(t)
		h := newHistory(t, db, Config{Redact: redact, BodyCap: 1000})
		for i := 0; i < 20; i++ {
			mustAppend(t, h, leaky())
		}
		h.Prune(t.Context())
		for name, b := range outputs(t, h) {
			if scan(name, b) {
				t.Errorf("%s output contains the token", name)
			}
		}
		if err := db.Sync(); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if scan("file", raw) {
			t.Errorf("the db file contains the token")
		}
		if j := h.cfg.Journal; j != "" {
			jraw, err := os.ReadFile(j)
			if err != nil {
				t.Fatal(err)
			}
			if scan("journal", jraw) {
				t.Errorf("the journal contains the token")
			}
		}
		if !bytes.Contains(raw, []byte("[TOKEN]")) {
			t.Errorf("the db file lacks the redaction marker; did the entries get written?")
		}
	})
	t.Run("control without redaction", func(t *testing.T) {
		db, path := openDB(t)
		h := newHistory(t, db, Config{Redact: func(s string) string { return s }, BodyCap: 1000})
		mustAppend(t, h, leaky())
		if j := h.cfg.Journal; j != "" {
			if jraw, _ := os.ReadFile(j); !scan("journal", jraw) {
				t.Errorf("control: the journal does not contain the unredacted token; the scan is blind")
			}
		}
		h.settle()
		raw, _ := os.ReadFile(path)
		if !scan("file", raw) {
			t.Errorf("control: the db file does not contain the unredacted token; the scan is blind")
		}
		out := outputs(t, h)
		if !scan("ndjson", out["ndjson"]) {
			t.Errorf("control: NDJSON lacks the unredacted token; the scan is blind")
		}
		// Credential headers are masked even without a Redact func.
		if bytes.Contains(out["har"], []byte("Bearer "+tok)) || bytes.Contains(out["har"], []byte("s="+tok)) {
			t.Errorf("control: Authorization or Cookie kept its value")
		}
	})
}

func obj(t *testing.T, m map[string]any, k string) map[string]any {
	t.Helper()
	v, ok := m[k].(map[string]any)
	if !ok {
		t.Fatalf("%s = %#v, want an object", k, m[k])
	}
	return v
}

func str(t *testing.T, m map[string]any, k string) string {
	t.Helper()
	v, ok := m[k].(string)
	if !ok {
		t.Errorf("%s = %#v, want a string", k, m[k])
	}
	return v
}

func num(t *testing.T, m map[string]any, k string) float64 {
	t.Helper()
	v, ok := m[k].(float64)
	if !ok {
		t.Errorf("%s = %#v, want a number", k, m[k])
	}
	return v
}

func nvList(t *testing.T, m map[string]any, k string) []map[string]string {
	t.Helper()
	arr, ok := m[k].([]any)
	if !ok {
		t.Errorf("%s = %#v, want an array", k, m[k])
		return nil
	}
	var out []map[string]string
	for _, it := range arr {
		o, ok := it.(map[string]any)
		name, ok1 := o["name"].(string)
		value, ok2 := o["value"].(string)
		if !ok || !ok1 || !ok2 {
			t.Errorf("%s item = %#v, want {name, value}", k, it)
			continue
		}
		out = append(out, map[string]string{"name": name, "value": value})
	}
	return out
}

func header(m map[string]any, name string) string {
	hs, _ := m["headers"].([]any)
	for _, it := range hs {
		o, _ := it.(map[string]any)
		if n, _ := o["name"].(string); strings.EqualFold(n, name) {
			v, _ := o["value"].(string)
			return v
		}
	}
	return ""
}

// TestExportHARURLWithAPIBase: a base URL that carries /api/v1 (the
// default) must not double it in request URLs.
func TestExportHARURLWithAPIBase(t *testing.T) {
	h, _ := exportFixture(t, Config{BaseURL: "https://api.alias.org/api/v1"})
	var buf bytes.Buffer
	if _, err := h.Export(&buf, FormatHAR, rpc.HistoryListParams{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "/api/v1/api/v1") || !strings.Contains(buf.String(), `"url": "https://api.alias.org/api/v1/catalog?`) && !strings.Contains(buf.String(), `"url":"https://api.alias.org/api/v1/catalog?`) {
		t.Fatalf("HAR urls wrong:\n%.600s", buf.String())
	}
}
