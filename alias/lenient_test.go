package alias

import (
	"encoding/json"
	"testing"
)

func TestInt64(t *testing.T) {
	good := []struct {
		in   string
		want int64
	}{
		{`"2500"`, 2500},
		{`2500`, 2500},
		{`"-15"`, -15},
		{`"0"`, 0},
		{`null`, 0},
		{`2.5e3`, 2500},
		{`"9223372036854775807"`, 9223372036854775807},
		{` 7 `, 7},
	}
	for _, tt := range good {
		var n Int64
		if err := json.Unmarshal([]byte(tt.in), &n); err != nil || int64(n) != tt.want {
			t.Errorf("Unmarshal(%s) = %d, %v; want %d", tt.in, n, err, tt.want)
		}
	}
	bad := []string{`""`, `"12.5"`, `12.5`, `"abc"`, `true`, `"9223372036854775808"`, `1e30`, `[1]`, `{}`}
	for _, in := range bad {
		var n Int64
		if err := json.Unmarshal([]byte(in), &n); err == nil {
			t.Errorf("Unmarshal(%s) = %d, nil; want an error", in, n)
		}
	}
	var item struct {
		Min Int64 `json:"minimum_listing_price_cents"`
		Max Int64 `json:"maximum_listing_price_cents"`
	}
	if err := json.Unmarshal([]byte(`{"minimum_listing_price_cents":"2500","maximum_listing_price_cents":200000}`), &item); err != nil || item.Min != 2500 || item.Max != 200000 {
		t.Fatalf("mixed cents = %+v, %v", item, err)
	}
	out, _ := json.Marshal(item)
	if string(out) != `{"minimum_listing_price_cents":"2500","maximum_listing_price_cents":"200000"}` {
		t.Errorf("Marshal = %s, want int64 as strings", out)
	}
}
