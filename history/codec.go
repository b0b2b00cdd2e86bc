package history

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/aliasd/aliasd/rpc"
)

// Stored values use a small binary encoding: a format byte, then varints
// and length-prefixed strings in a fixed order. Decoding a summary is a few
// times cheaper than JSON, which matters when a filter reads many of them,
// and strings are stored verbatim (no escaping).

const (
	formatSummary = 2 // summary of an entry (bucketEntries)
	formatBodies  = 3 // request and response (bucketBodies)
)

var errCorrupt = errors.New("unknown or damaged record format")

type encoder struct{ b []byte }

func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) str(s string)     { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) bytes(s []byte)   { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

// decoder reads what encoder wrote; after the first error every read
// returns a zero value and err stays set.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() { d.err, d.b = errCorrupt, nil }

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

// raw returns the next length-prefixed bytes, still pointing into the
// transaction's memory.
func (d *decoder) raw() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	s := d.b[:n]
	d.b = d.b[n:]
	return s
}

func (d *decoder) str() string { return string(d.raw()) } // copies

func (d *decoder) bool() bool {
	if len(d.b) == 0 {
		d.fail()
		return false
	}
	v := d.b[0]
	d.b = d.b[1:]
	if v > 1 {
		d.fail()
	}
	return v == 1
}

// count reads a slice length, refusing lengths the rest cannot hold.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return 0
	}
	return int(n)
}

func encodeSummary(e *rpc.HistoryEntry) []byte {
	enc := encoder{b: make([]byte, 0, 256)}
	enc.b = append(enc.b, formatSummary)
	enc.varint(e.Time.UnixNano())
	enc.uvarint(uint64(e.Status))
	enc.uvarint(math.Float64bits(e.DurationMs))
	enc.varint(int64(e.Attempts))
	enc.varint(e.ResponseSize)
	for _, s := range []string{e.ID, e.Method, e.Path, e.Query, e.RequestID, e.Cache, e.Profile,
		e.Fingerprint, e.APIVersion, e.Client, e.AliasdVersion} {
		enc.str(s)
	}
	enc.uvarint(uint64(len(e.RequestIDs)))
	for _, r := range e.RequestIDs {
		enc.str(r)
	}
	enc.bool(e.Error != nil)
	if x := e.Error; x != nil {
		enc.varint(int64(x.Code))
		enc.str(x.CodeName)
		enc.str(x.Message)
		enc.uvarint(uint64(len(x.Details)))
		for _, raw := range x.Details {
			enc.bytes(raw)
		}
	}
	enc.bool(e.Diagnostic != nil)
	if g := e.Diagnostic; g != nil {
		enc.str(g.Severity)
		enc.str(g.Title)
		enc.str(g.Detail)
		enc.str(g.Hint)
		enc.str(g.Class) // last: summaries written before it decode without it
	}
	return enc.b
}

// decodeSummary decodes an entry summary; the result owns its memory.
func decodeSummary(b []byte, e *rpc.HistoryEntry) error {
	if len(b) == 0 || b[0] != formatSummary {
		return errCorrupt
	}
	d := decoder{b: b[1:]}
	e.Time = time.Unix(0, d.varint()).UTC()
	e.Status = int(d.uvarint())
	e.DurationMs = math.Float64frombits(d.uvarint())
	e.Attempts = int(d.varint())
	e.ResponseSize = d.varint()
	for _, p := range []*string{&e.ID, &e.Method, &e.Path, &e.Query, &e.RequestID, &e.Cache, &e.Profile,
		&e.Fingerprint, &e.APIVersion, &e.Client, &e.AliasdVersion} {
		*p = d.str()
	}
	if n := d.count(); n > 0 {
		e.RequestIDs = make([]string, n)
		for i := range e.RequestIDs {
			e.RequestIDs[i] = d.str()
		}
	}
	if d.bool() {
		x := &rpc.APIError{Code: int(d.varint()), CodeName: d.str(), Message: d.str()}
		x.Details = make([]json.RawMessage, d.count())
		for i := range x.Details {
			x.Details[i] = json.RawMessage(d.str())
		}
		e.Error = x
	}
	if d.bool() {
		e.Diagnostic = &rpc.Diagnostic{Severity: d.str(), Title: d.str(), Detail: d.str(), Hint: d.str()}
		if d.err == nil && len(d.b) > 0 {
			e.Diagnostic.Class = d.str()
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = errCorrupt
	}
	return d.err
}

func encodeBodies(req, resp *rpc.HTTPMessage) []byte {
	enc := encoder{b: make([]byte, 0, 64+len(req.Body)+len(resp.Body))}
	enc.b = append(enc.b, formatBodies)
	for _, m := range []*rpc.HTTPMessage{req, resp} {
		keys := make([]string, 0, len(m.Headers))
		for k := range m.Headers {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		enc.uvarint(uint64(len(keys)))
		for _, k := range keys {
			enc.str(k)
			enc.str(m.Headers[k])
		}
		enc.str(m.Body)
		enc.varint(m.Size)
		enc.bool(m.Truncated)
	}
	return enc.b
}

// decodeBodies fills d's request and response.
func decodeBodies(b []byte, out *rpc.HistoryDetail) error {
	if len(b) == 0 || b[0] != formatBodies {
		return errCorrupt
	}
	d := decoder{b: b[1:]}
	for _, m := range []*rpc.HTTPMessage{&out.Request, &out.Response} {
		if n := d.count(); n > 0 {
			m.Headers = make(map[string]string, n)
			for range n {
				k := d.str()
				m.Headers[k] = d.str()
			}
		}
		m.Body = d.str()
		m.Size = d.varint()
		m.Truncated = d.bool()
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = errCorrupt
	}
	return d.err
}

// decodeKeys reads only what pruning needs: status and request IDs.
func decodeKeys(b []byte) (status int, rids []string, err error) {
	var e rpc.HistoryEntry
	if err := decodeSummary(b, &e); err != nil {
		return 0, nil, err
	}
	return e.Status, append([]string{e.RequestID}, e.RequestIDs...), nil
}
