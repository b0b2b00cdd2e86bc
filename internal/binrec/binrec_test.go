package binrec

import (
	"errors"
	"math"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	var e Encoder
	e.Uvarint(math.MaxUint64)
	e.Varint(math.MinInt64)
	e.Str("héllo")
	e.Bytes([]byte{0, 1, 2})
	e.Bool(true)
	e.Bool(false)
	e.Uvarint(2) // a count
	e.Str("a")
	e.Str("")

	d := Decoder{B: e.B}
	if v := d.Uvarint(); v != math.MaxUint64 {
		t.Errorf("Uvarint = %d", v)
	}
	if v := d.Varint(); v != math.MinInt64 {
		t.Errorf("Varint = %d", v)
	}
	if s := d.Str(); s != "héllo" {
		t.Errorf("Str = %q", s)
	}
	if b := d.Raw(); string(b) != "\x00\x01\x02" {
		t.Errorf("Raw = %q", b)
	}
	if !d.Bool() || d.Bool() {
		t.Error("Bool did not read true, false")
	}
	if n := d.Count(); n != 2 {
		t.Errorf("Count = %d", n)
	}
	if d.Str() != "a" || d.Str() != "" {
		t.Error("strings after the count differ")
	}
	if err := d.End(); err != nil {
		t.Errorf("End = %v", err)
	}
}

// TestDamaged: every kind of bad input sets ErrDamaged, empties the rest,
// and makes later reads return zero values.
func TestDamaged(t *testing.T) {
	long := Encoder{}
	long.Str("abc")
	for _, c := range []struct {
		name string
		b    []byte
		read func(d *Decoder)
	}{
		{"empty uvarint", nil, func(d *Decoder) { d.Uvarint() }},
		{"unterminated varint", []byte{0x80, 0x80}, func(d *Decoder) { d.Varint() }},
		{"string past the end", long.B[:3], func(d *Decoder) { d.Str() }},
		{"bool out of range", []byte{2}, func(d *Decoder) { d.Bool() }},
		{"count the rest cannot hold", []byte{5, 1}, func(d *Decoder) { d.Count() }},
		{"bytes left over", []byte{1, 9}, func(d *Decoder) { d.Uvarint(); d.End() }},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := Decoder{B: c.b}
			c.read(&d)
			if !errors.Is(d.Err, ErrDamaged) || len(d.B) != 0 {
				t.Fatalf("Err = %v, %d bytes left; want ErrDamaged and none", d.Err, len(d.B))
			}
			if d.Uvarint() != 0 || d.Str() != "" || d.Bool() || d.End() == nil {
				t.Error("reads after damage did not return zero values and the error")
			}
		})
	}
}
