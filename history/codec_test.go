package history

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/aliasd/aliasd/rpc"
)

func fullEntry() rpc.HistoryEntry {
	return rpc.HistoryEntry{
		ID: "0123456789abc", Time: time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC), Method: "POST",
		Path: "/api/v1/listings", Query: "a=1&b=%20", Status: 409, RequestID: "r3", RequestIDs: []string{"r1", "r2", "r3"},
		DurationMs: 12.75, Attempts: 3, Cache: "bypass", Profile: "p", Fingerprint: "sha256:ff", APIVersion: "1.3.6",
		Client: "vscode 1.99", AliasdVersion: "0.1.0", ResponseSize: 123456,
		Error:      &rpc.APIError{Code: 10, CodeName: "ABORTED", Message: "conflict ü", Details: []json.RawMessage{json.RawMessage(`{"@type":"x"}`), json.RawMessage(`[]`)}},
		Diagnostic: &rpc.Diagnostic{Severity: "warning", Class: "c", Title: "t", Detail: "d", Hint: "h"},
	}
}

func TestCodecRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		name string
		e    rpc.HistoryEntry
	}{
		{"full", fullEntry()},
		{"minimal", rpc.HistoryEntry{Time: time.Unix(0, 0).UTC(), Method: "GET", Path: "/"}},
		{"error without details", rpc.HistoryEntry{Time: time.Unix(5, 0).UTC(), Method: "GET", Path: "/x", Error: &rpc.APIError{Code: 5, Details: []json.RawMessage{}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got rpc.HistoryEntry
			if err := decodeSummary(encodeSummary(&tt.e), &got); err != nil {
				t.Fatalf("decodeSummary(encodeSummary(e)) = %v", err)
			}
			if !reflect.DeepEqual(got, tt.e) {
				t.Errorf("round trip = %+v, want %+v", got, tt.e)
			}
		})
	}
	req := rpc.HTTPMessage{Headers: map[string]string{"A": "1", "B": ""}, Body: "body\x00bin", Size: 9}
	resp := rpc.HTTPMessage{Body: "x", Size: 99, Truncated: true}
	var d rpc.HistoryDetail
	if err := decodeBodies(encodeBodies(&req, &resp), &d); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d.Request, req) || !reflect.DeepEqual(d.Response, resp) {
		t.Errorf("bodies round trip = %+v %+v, want %+v %+v", d.Request, d.Response, req, resp)
	}
}

func TestCodecRejectsDamage(t *testing.T) {
	e := fullEntry()
	good := encodeSummary(&e)
	for _, tt := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"wrong format", append([]byte{formatBodies}, good[1:]...)},
		{"truncated", good[:len(good)/2]},
		{"trailing bytes", append(append([]byte(nil), good...), 0)},
		{"huge length", append([]byte{formatSummary, 0, 0, 0, 0, 0}, 0xff, 0xff, 0xff, 0xff, 0x0f)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got rpc.HistoryEntry
			if err := decodeSummary(tt.b, &got); err == nil {
				t.Errorf("decodeSummary(%s) = nil error", tt.name)
			}
			var d rpc.HistoryDetail
			if err := decodeBodies(tt.b, &d); err == nil {
				t.Errorf("decodeBodies(%s) = nil error", tt.name)
			}
		})
	}
}

func FuzzDecodeSummary(f *testing.F) {
	e := fullEntry()
	f.Add(encodeSummary(&e))
	f.Add(encodeBodies(&rpc.HTTPMessage{Body: "x"}, &rpc.HTTPMessage{}))
	f.Add([]byte{formatSummary})
	f.Fuzz(func(t *testing.T, b []byte) {
		var got rpc.HistoryEntry
		if decodeSummary(b, &got) == nil {
			// Whatever decodes must survive another round trip.
			var again rpc.HistoryEntry
			once := encodeSummary(&got)
			if err := decodeSummary(once, &again); err != nil || string(encodeSummary(&again)) != string(once) {
				t.Errorf("re-encoding a decoded summary changed it: %v", err)
			}
		}
		var d rpc.HistoryDetail
		decodeBodies(b, &d)
	})
}

func TestContainsFoldASCII(t *testing.T) {
	for _, tt := range []struct {
		s, needle string
		want      bool
	}{
		{"Missing Parameter", "parameter", true},
		{"abc", "abcd", false},
		{"", "a", false},
		{"xyz", "", true},
		{"plain ascii", "zzz", false},
		{"K\u212a", "zzz", true}, // non-ASCII: cannot rule out
	} {
		if got := containsFoldASCII([]byte(tt.s), tt.needle); got != tt.want {
			t.Errorf("containsFoldASCII(%q, %q) = %v, want %v", tt.s, tt.needle, got, tt.want)
		}
	}
}
