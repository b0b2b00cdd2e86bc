// Package binrec is the binary layout of the records aliasd stores in
// bbolt and in the history journal: varints and length-prefixed strings in
// a fixed order, with no field names. Decoding it is a few times cheaper
// than JSON, and strings are stored verbatim (no escaping).
package binrec

import (
	"encoding/binary"
	"errors"
)

// ErrDamaged is a Decoder's error after a read ran past the data or found
// a value its encoding cannot hold.
var ErrDamaged = errors.New("damaged record")

// Encoder appends values to B.
type Encoder struct{ B []byte }

func (e *Encoder) Uvarint(v uint64) { e.B = binary.AppendUvarint(e.B, v) }
func (e *Encoder) Varint(v int64)   { e.B = binary.AppendVarint(e.B, v) }
func (e *Encoder) Str(s string)     { e.Uvarint(uint64(len(s))); e.B = append(e.B, s...) }
func (e *Encoder) Bytes(s []byte)   { e.Uvarint(uint64(len(s))); e.B = append(e.B, s...) }
func (e *Encoder) Bool(v bool) {
	if v {
		e.B = append(e.B, 1)
	} else {
		e.B = append(e.B, 0)
	}
}

// Decoder reads what Encoder wrote from the front of B. After the first
// failure every read returns a zero value, B is empty and Err is
// ErrDamaged.
type Decoder struct {
	B   []byte
	Err error
}

// Fail marks the record damaged.
func (d *Decoder) Fail() { d.Err, d.B = ErrDamaged, nil }

func (d *Decoder) Uvarint() uint64 {
	v, n := binary.Uvarint(d.B)
	if n <= 0 {
		d.Fail()
		return 0
	}
	d.B = d.B[n:]
	return v
}

func (d *Decoder) Varint() int64 {
	v, n := binary.Varint(d.B)
	if n <= 0 {
		d.Fail()
		return 0
	}
	d.B = d.B[n:]
	return v
}

// Raw returns the next length-prefixed bytes, still pointing into B's
// memory.
func (d *Decoder) Raw() []byte {
	n := d.Uvarint()
	if n > uint64(len(d.B)) {
		d.Fail()
		return nil
	}
	s := d.B[:n]
	d.B = d.B[n:]
	return s
}

// Str returns the next length-prefixed string, copied.
func (d *Decoder) Str() string { return string(d.Raw()) }

func (d *Decoder) Bool() bool {
	if len(d.B) == 0 {
		d.Fail()
		return false
	}
	v := d.B[0]
	d.B = d.B[1:]
	if v > 1 {
		d.Fail()
	}
	return v == 1
}

// Count reads a slice length, refusing lengths the rest cannot hold (each
// element takes at least one byte).
func (d *Decoder) Count() int {
	n := d.Uvarint()
	if n > uint64(len(d.B)) {
		d.Fail()
		return 0
	}
	return int(n)
}

// End marks the record damaged if bytes are left over, and returns Err.
func (d *Decoder) End() error {
	if d.Err == nil && len(d.B) != 0 {
		d.Fail()
	}
	return d.Err
}
