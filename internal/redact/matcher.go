package redact

import "strings"

// A matcher finds candidate spans in one pass over the input. Every pattern
// it looks for (registered literals, the PAT prefix, the keywords) is indexed
// by its first two bytes in a 64 Ki-bit set, so most positions cost one bit
// test; only positions whose two bytes start some pattern are examined.
type matcher struct {
	any   bitset              // some pattern starts with these two bytes
	lit   bitset              // some literal starts with these two bytes
	kw    bitset              // a keyword (any case) or PATPrefix starts with these two bytes
	lits  map[uint16][]string // literal patterns by their first two bytes
	short []string            // one-byte literal patterns
	plain []string            // the registered secrets, for the re-scan
}

// baseMatcher finds shapes only; it is used when nothing is registered.
var baseMatcher = newMatcher()

func pair(a, b byte) uint16 { return uint16(a) | uint16(b)<<8 }

// A bitset holds one bit per two-byte pair.
type bitset [1 << 10]uint64

func (b *bitset) set(k uint16)      { b[k>>6] |= 1 << (k & 63) }
func (b *bitset) has(k uint16) bool { return b[k>>6]&(1<<(k&63)) != 0 }

func newMatcher() *matcher {
	m := &matcher{lits: make(map[uint16][]string)}
	for _, kw := range []string{"be", "au", "co"} {
		for _, a := range []byte{kw[0], kw[0] - 32} {
			for _, b := range []byte{kw[1], kw[1] - 32} {
				m.any.set(pair(a, b))
				m.kw.set(pair(a, b))
			}
		}
	}
	m.any.set(pair(PATPrefix[0], PATPrefix[1]))
	m.kw.set(pair(PATPrefix[0], PATPrefix[1]))
	return m
}

func (m *matcher) addLiteral(p string) {
	if len(p) == 1 {
		m.short = append(m.short, p)
		return
	}
	k := pair(p[0], p[1])
	m.any.set(k)
	m.lit.set(k)
	m.lits[k] = append(m.lits[k], p)
}

// find returns the spans to redact in s (unsorted, possibly overlapping).
// It allocates only when it finds something.
func (m *matcher) find(s string) []span {
	var spans []span
	for _, p := range m.short {
		for from := 0; ; {
			i := strings.Index(s[from:], p)
			if i < 0 {
				break
			}
			spans = append(spans, span{from + i, from + i + 1})
			from += i + 1
		}
	}
	for i := 0; i+1 < len(s); i++ {
		k := pair(s[i], s[i+1])
		if !m.any.has(k) {
			continue
		}
		if m.lit.has(k) {
			for _, p := range m.lits[k] {
				if strings.HasPrefix(s[i:], p) {
					spans = append(spans, span{i, i + len(p)})
				}
			}
		}
		if !m.kw.has(k) {
			continue
		}
		if s[i] == PATPrefix[0] {
			if sp, ok := patAt(s, i); ok {
				spans = append(spans, sp)
			}
			continue
		}
		if sp, ok := keywordAt(s, i); ok {
			spans = append(spans, sp)
		}
	}
	return spans
}
