package history

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/aliasd/aliasd/internal/binrec"
	"github.com/aliasd/aliasd/rpc"
)

// Stored values are a format byte, then the fields in binrec's encoding.
// Decoding a summary is a few times cheaper than JSON, which matters when a
// filter reads many of them.

const (
	formatSummary = 2 // summary of an entry (bucketEntries)
	formatBodies  = 3 // request and response (bucketBodies)
)

var errCorrupt = errors.New("unknown or damaged record format")

func encodeSummary(e *rpc.HistoryEntry) []byte {
	enc := binrec.Encoder{B: make([]byte, 0, 256)}
	enc.B = append(enc.B, formatSummary)
	enc.Varint(e.Time.UnixNano())
	enc.Uvarint(uint64(e.Status))
	enc.Uvarint(math.Float64bits(e.DurationMs))
	enc.Varint(int64(e.Attempts))
	enc.Varint(e.ResponseSize)
	for _, s := range []string{e.ID, e.Method, e.Path, e.Query, e.RequestID, e.Cache, e.Profile,
		e.Fingerprint, e.APIVersion, e.Client, e.AliasdVersion} {
		enc.Str(s)
	}
	enc.Uvarint(uint64(len(e.RequestIDs)))
	for _, r := range e.RequestIDs {
		enc.Str(r)
	}
	enc.Bool(e.Error != nil)
	if x := e.Error; x != nil {
		enc.Varint(int64(x.Code))
		enc.Str(x.CodeName)
		enc.Str(x.Message)
		enc.Uvarint(uint64(len(x.Details)))
		for _, raw := range x.Details {
			enc.Bytes(raw)
		}
	}
	enc.Bool(e.Diagnostic != nil)
	if g := e.Diagnostic; g != nil {
		enc.Str(g.Severity)
		enc.Str(g.Title)
		enc.Str(g.Detail)
		enc.Str(g.Hint)
		enc.Str(g.Class) // last: summaries written before it decode without it
	}
	return enc.B
}

// decodeSummary decodes an entry summary; the result owns its memory.
func decodeSummary(b []byte, e *rpc.HistoryEntry) error {
	if len(b) == 0 || b[0] != formatSummary {
		return errCorrupt
	}
	d := binrec.Decoder{B: b[1:]}
	e.Time = time.Unix(0, d.Varint()).UTC()
	e.Status = int(d.Uvarint())
	e.DurationMs = math.Float64frombits(d.Uvarint())
	e.Attempts = int(d.Varint())
	e.ResponseSize = d.Varint()
	for _, p := range []*string{&e.ID, &e.Method, &e.Path, &e.Query, &e.RequestID, &e.Cache, &e.Profile,
		&e.Fingerprint, &e.APIVersion, &e.Client, &e.AliasdVersion} {
		*p = d.Str()
	}
	if n := d.Count(); n > 0 {
		e.RequestIDs = make([]string, n)
		for i := range e.RequestIDs {
			e.RequestIDs[i] = d.Str()
		}
	}
	if d.Bool() {
		x := &rpc.APIError{Code: int(d.Varint()), CodeName: d.Str(), Message: d.Str()}
		x.Details = make([]json.RawMessage, d.Count())
		for i := range x.Details {
			x.Details[i] = json.RawMessage(d.Str())
		}
		e.Error = x
	}
	if d.Bool() {
		e.Diagnostic = &rpc.Diagnostic{Severity: d.Str(), Title: d.Str(), Detail: d.Str(), Hint: d.Str()}
		if len(d.B) > 0 {
			e.Diagnostic.Class = d.Str()
		}
	}
	if d.End() != nil {
		return errCorrupt
	}
	return nil
}

func encodeBodies(req, resp *rpc.HTTPMessage) []byte {
	enc := binrec.Encoder{B: make([]byte, 0, 64+len(req.Body)+len(resp.Body))}
	enc.B = append(enc.B, formatBodies)
	for _, m := range []*rpc.HTTPMessage{req, resp} {
		keys := make([]string, 0, len(m.Headers))
		for k := range m.Headers {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		enc.Uvarint(uint64(len(keys)))
		for _, k := range keys {
			enc.Str(k)
			enc.Str(m.Headers[k])
		}
		enc.Str(m.Body)
		enc.Varint(m.Size)
		enc.Bool(m.Truncated)
	}
	return enc.B
}

// decodeBodies fills d's request and response.
func decodeBodies(b []byte, out *rpc.HistoryDetail) error {
	if len(b) == 0 || b[0] != formatBodies {
		return errCorrupt
	}
	d := binrec.Decoder{B: b[1:]}
	for _, m := range []*rpc.HTTPMessage{&out.Request, &out.Response} {
		if n := d.Count(); n > 0 {
			m.Headers = make(map[string]string, n)
			for range n {
				k := d.Str()
				m.Headers[k] = d.Str()
			}
		}
		m.Body = d.Str()
		m.Size = d.Varint()
		m.Truncated = d.Bool()
	}
	if d.End() != nil {
		return errCorrupt
	}
	return nil
}

// decodeKeys reads only what pruning needs: status and request IDs.
func decodeKeys(b []byte) (status int, rids []string, err error) {
	var e rpc.HistoryEntry
	if err := decodeSummary(b, &e); err != nil {
		return 0, nil, err
	}
	return e.Status, append([]string{e.RequestID}, e.RequestIDs...), nil
}
