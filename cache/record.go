package cache

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/aliasd/aliasd/internal/binrec"
)

// entry is one stored response.
type entry struct {
	status      int
	header      http.Header
	body        []byte    // uncompressed
	storedAt    time.Time // when this representation arrived (a 200)
	validatedAt time.Time // when upstream last confirmed it (200 or 304)
	lifetime    time.Duration
	noStale     bool // must-revalidate: never served stale
}

func (e *entry) age(now time.Time) time.Duration { return max(now.Sub(e.validatedAt), 0) }

func (e *entry) fresh(now time.Time) bool { return e.age(now) < e.lifetime }

// response returns the entry as a Response the caller may keep.
func (e *entry) response() *Response {
	return &Response{Status: e.status, Header: e.header.Clone(), Body: e.body}
}

// Record layout (format 1), all integers varint-encoded:
//
//	format byte | flags byte | status | storedAt ns | validatedAt ns |
//	lifetime ns | uncompressed body length | header count |
//	per header: name length, name, value count, per value: length, value |
//	body (gzip when flagGzip)
const recordFormat = 1

const (
	flagGzip    = 1 << 0
	flagNoStale = 1 << 1
)

var errRecord = errors.New("malformed cache record")

// dropHeaders are never stored: credentials, cookies and hop-by-hop
// fields.
var dropHeaders = map[string]bool{
	"Authorization":       true,
	"Proxy-Authorization": true,
	"Cookie":              true,
	"Set-Cookie":          true,
	"Set-Cookie2":         true,
	"Www-Authenticate":    true,
	"Proxy-Authenticate":  true,
	"Connection":          true,
	"Keep-Alive":          true,
	"Proxy-Connection":    true,
	"Te":                  true,
	"Trailer":             true,
	"Transfer-Encoding":   true,
	"Upgrade":             true,
}

// storableHeader returns the headers worth keeping.
func storableHeader(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for name, vals := range h {
		cn := http.CanonicalHeaderKey(name)
		if dropHeaders[cn] || len(vals) == 0 {
			continue
		}
		out[cn] = append([]string(nil), vals...)
	}
	return out
}

// keepOn304 are the stored headers a 304 does not replace (RFC 9111
// §3.2: they describe the stored body, not the validation).
var keepOn304 = map[string]bool{
	"Content-Length":   true,
	"Content-Encoding": true,
	"Content-Type":     true,
	"Content-Range":    true,
}

// merge304 updates the stored headers with those of a 304 answer.
func (e *entry) merge304(h http.Header) {
	for name, vals := range storableHeader(h) {
		if keepOn304[name] {
			continue
		}
		e.header[name] = vals
	}
}

var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return w
}}

// encode serialises e, gzipping the body when it is longer than
// compressAbove and compression saves space.
func encode(e *entry, compressAbove int) []byte {
	var flags byte
	body := e.body
	if compressAbove >= 0 && len(body) > compressAbove {
		var buf bytes.Buffer
		w := gzipWriters.Get().(*gzip.Writer)
		w.Reset(&buf)
		_, _ = w.Write(body)
		if w.Close() == nil && buf.Len() < len(body) {
			body = buf.Bytes()
			flags |= flagGzip
		}
		gzipWriters.Put(w)
	}
	if e.noStale {
		flags |= flagNoStale
	}
	enc := binrec.Encoder{B: make([]byte, 0, 64+len(body)+headerSize(e.header))}
	enc.B = append(enc.B, recordFormat, flags)
	enc.Uvarint(uint64(e.status))
	enc.Varint(e.storedAt.UnixNano())
	enc.Varint(e.validatedAt.UnixNano())
	enc.Varint(int64(e.lifetime))
	enc.Uvarint(uint64(len(e.body)))
	enc.Uvarint(uint64(len(e.header)))
	for name, vals := range e.header {
		enc.Str(name)
		enc.Uvarint(uint64(len(vals)))
		for _, v := range vals {
			enc.Str(v)
		}
	}
	return append(enc.B, body...)
}

func headerSize(h http.Header) int {
	n := 0
	for name, vals := range h {
		n += len(name) + 4
		for _, v := range vals {
			n += len(v) + 2
		}
	}
	return n
}

// decode parses a record. raw must be a copy owned by the caller (not a
// slice from a bbolt transaction): an uncompressed body aliases it.
func decode(raw []byte) (*entry, error) {
	if len(raw) < 2 || raw[0] != recordFormat {
		return nil, fmt.Errorf("%w: unknown format", errRecord)
	}
	flags := raw[1]
	d := binrec.Decoder{B: raw[2:]}
	e := &entry{
		status:      int(d.Uvarint()),
		storedAt:    time.Unix(0, d.Varint()),
		validatedAt: time.Unix(0, d.Varint()),
		lifetime:    time.Duration(d.Varint()),
		noStale:     flags&flagNoStale != 0,
	}
	bodyLen := d.Uvarint()
	nh := d.Count()
	e.header = make(http.Header, nh)
	for range nh {
		name := d.Str()
		vals := make([]string, d.Count())
		for j := range vals {
			vals[j] = d.Str()
		}
		e.header[name] = vals
	}
	if d.Err != nil {
		return nil, errRecord
	}
	if flags&flagGzip == 0 {
		e.body = d.B
	} else {
		body, err := gunzip(d.B, bodyLen)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errRecord, err)
		}
		e.body = body
	}
	if uint64(len(e.body)) != bodyLen {
		return nil, fmt.Errorf("%w: body is %d bytes, want %d", errRecord, len(e.body), bodyLen)
	}
	return e, nil
}

var gzipReaders sync.Pool // *gzip.Reader, reset for each use

// gunzip decompresses data, which must hold exactly size bytes.
func gunzip(data []byte, size uint64) ([]byte, error) {
	if size > 1<<31 {
		return nil, errors.New("body too large")
	}
	src := bytes.NewReader(data)
	zr, _ := gzipReaders.Get().(*gzip.Reader)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(src)
	} else {
		err = zr.Reset(src)
	}
	if err != nil {
		return nil, err
	}
	defer gzipReaders.Put(zr)
	body := make([]byte, size)
	if _, err := io.ReadFull(zr, body); err != nil {
		return nil, err
	}
	// The stream must end here: one more read gives EOF (and checks the
	// CRC).
	var one [1]byte
	if n, err := zr.Read(one[:]); n != 0 || err != io.EOF {
		return nil, errors.New("body longer than recorded")
	}
	return body, nil
}
