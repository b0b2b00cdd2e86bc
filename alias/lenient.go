package alias

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// Int64 decodes an int64 field leniently: the API sends int64 values (all
// *_cents fields, counts, quotas) as JSON strings ("2500"), while its own
// doc examples show numbers (2500). Both decode; so do null (as 0) and
// integral numbers in exponent form (2.5e3). Fractions, empty strings and
// out-of-range values are errors. It encodes as the API does: a string.
type Int64 int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *Int64) UnmarshalJSON(b []byte) error {
	v, err := ParseInt64(b)
	if err != nil {
		return err
	}
	*n = Int64(v)
	return nil
}

// MarshalJSON implements json.Marshaler (a decimal string).
func (n Int64) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatInt(int64(n), 10) + `"`), nil
}

// String returns the decimal form.
func (n Int64) String() string { return strconv.FormatInt(int64(n), 10) }

// ParseInt64 reads a raw JSON value that should be an int64 in either wire
// form (see Int64).
func ParseInt64(raw json.RawMessage) (int64, error) {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 {
		return 0, fmt.Errorf("int64: empty value")
	}
	if string(b) == "null" {
		return 0, nil
	}
	num := string(b)
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return 0, fmt.Errorf("int64: bad string %s", b)
		}
		if s == "" {
			return 0, fmt.Errorf("int64: empty string")
		}
		num = s
	}
	if v, err := strconv.ParseInt(num, 10, 64); err == nil {
		return v, nil
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("int64: %q is not a number", num)
	}
	if f != math.Trunc(f) {
		return 0, fmt.Errorf("int64: %q is not a whole number", num)
	}
	if f >= math.MaxInt64 || f < math.MinInt64 {
		return 0, fmt.Errorf("int64: %q is out of range", num)
	}
	return int64(f), nil
}
