package history

import (
	"encoding/binary"
	"fmt"
	"sync"
	"time"
)

// An id is a uint64 holding the Unix time in nanoseconds at which the entry
// was appended, bumped when needed so that ids are strictly increasing within
// a History and across restarts (Open resumes after the newest stored id).
// Its text form is 13 characters of lower-case Crockford base32, fixed width,
// so text order is time order too.

const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

const idLen = 13

// idDecode maps a character to its 5-bit value, or 0xff.
var idDecode = func() [256]byte {
	var t [256]byte
	for i := range t {
		t[i] = 0xff
	}
	for i := 0; i < len(idAlphabet); i++ {
		t[idAlphabet[i]] = byte(i)
		if c := idAlphabet[i]; c >= 'a' && c <= 'z' {
			t[c-'a'+'A'] = byte(i)
		}
	}
	return t
}()

// formatID returns the text form of an id.
func formatID(v uint64) string {
	var b [idLen]byte
	for i := idLen - 1; i >= 0; i-- {
		b[i] = idAlphabet[v&31]
		v >>= 5
	}
	return string(b[:])
}

// parseID parses the text form of an id (case-insensitive).
func parseID(s string) (uint64, error) {
	if len(s) != idLen {
		return 0, fmt.Errorf("history id %q: want %d characters", s, idLen)
	}
	var v uint64
	for i := 0; i < idLen; i++ {
		d := idDecode[s[i]]
		if d == 0xff {
			return 0, fmt.Errorf("history id %q: bad character %q", s, s[i])
		}
		if i == 0 && d > 15 {
			return 0, fmt.Errorf("history id %q: out of range", s)
		}
		v = v<<5 | uint64(d)
	}
	return v, nil
}

// idKey returns the 8-byte big-endian key of an id.
func idKey(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

// idTime returns the append time an id encodes.
func idTime(v uint64) time.Time { return time.Unix(0, int64(v)).UTC() }

// timeID returns the smallest id at or after t (0 for times before 1970).
func timeID(t time.Time) uint64 {
	n := t.UnixNano()
	if n < 0 {
		return 0
	}
	return uint64(n)
}

// idGen hands out strictly increasing ids.
type idGen struct {
	mu   sync.Mutex
	last uint64 // guarded by mu: the newest id handed out or stored
}

// next returns a new id for an append at now.
func (g *idGen) next(now time.Time) uint64 {
	v := timeID(now)
	g.mu.Lock()
	defer g.mu.Unlock()
	if v <= g.last {
		v = g.last + 1
	}
	g.last = v
	return v
}

// observe makes later ids larger than v.
func (g *idGen) observe(v uint64) {
	g.mu.Lock()
	if v > g.last {
		g.last = v
	}
	g.mu.Unlock()
}
