package mock

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aliasd/aliasd/alias"
)

// input is a request's parameters: the query string and, for the
// single-listing writes, the fields of a JSON body the query lacks.
type input struct {
	vals url.Values
	meta map[string]string // metadata[key]=value (or metadata.key=value)
}

// parseInput reads the query and, where allowed, a lenient JSON body.
func parseInput(e *alias.Endpoint, r *http.Request, body []byte) (*input, *apiError) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, newError(codeInvalidArgument, "malformed query string: %v", err)
	}
	in := &input{vals: url.Values{}, meta: map[string]string{}}
	for k, vs := range q {
		switch {
		case strings.HasPrefix(k, "metadata[") && strings.HasSuffix(k, "]"):
			in.meta[k[len("metadata["):len(k)-1]] = vs[len(vs)-1]
		case strings.HasPrefix(k, "metadata."):
			in.meta[k[len("metadata."):]] = vs[len(vs)-1]
		default:
			in.vals[k] = vs
		}
	}
	if lenientBody(e) && len(bytes.TrimSpace(body)) > 0 {
		if aerr := in.mergeJSON(body); aerr != nil {
			return nil, aerr
		}
	}
	return in, nil
}

// lenientBody: the single-listing writes take query parameters (as
// documented) and, like some integrators send them, a JSON body.
func lenientBody(e *alias.Endpoint) bool {
	return e.Scope == alias.ScopeListings && e.Method != http.MethodGet && !e.Body
}

func (in *input) mergeJSON(body []byte) *apiError {
	var obj map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil {
		return newError(codeInvalidArgument, "invalid JSON body: %v", err)
	}
	for k, raw := range obj {
		if in.vals.Has(k) {
			continue // the query wins
		}
		var v any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			return newError(codeInvalidArgument, "invalid JSON body field %q: %v", k, err)
		}
		switch x := v.(type) {
		case nil:
		case string:
			in.vals.Set(k, x)
		case json.Number:
			in.vals.Set(k, x.String())
		case bool:
			in.vals.Set(k, strconv.FormatBool(x))
		case []any:
			for _, el := range x {
				s, ok := scalar(el)
				if !ok {
					return errInvalid(k, "want an array of strings or numbers")
				}
				in.vals.Add(k, s)
			}
		case map[string]any:
			if k != "metadata" {
				return errInvalid(k, "unexpected object")
			}
			for mk, mv := range x {
				if _, seen := in.meta[mk]; seen {
					continue
				}
				s, ok := scalar(mv)
				if !ok {
					return errInvalid("metadata", "values must be strings")
				}
				in.meta[mk] = s
			}
		}
	}
	return nil
}

func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

func (in *input) str(name string) string { return in.vals.Get(name) }

func (in *input) has(name string) bool { return in.vals.Get(name) != "" }

func (in *input) required(name string) (string, *apiError) {
	v := strings.TrimSpace(in.vals.Get(name))
	if v == "" {
		return "", errMissing(name)
	}
	return v, nil
}

// int64 parses an optional int64; ok is false when absent.
func (in *input) int64(name string) (n int64, ok bool, aerr *apiError) {
	v := in.vals.Get(name)
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, false, typeMismatch(name, err)
	}
	return n, true, nil
}

func (in *input) double(name string) (f float64, ok bool, aerr *apiError) {
	v := in.vals.Get(name)
	if v == "" {
		return 0, false, nil
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
		err = strconv.ErrSyntax
	}
	if err != nil {
		return 0, false, typeMismatch(name, err)
	}
	return f, true, nil
}

func (in *input) requiredDouble(name string) (float64, *apiError) {
	f, ok, aerr := in.double(name)
	if aerr != nil {
		return 0, aerr
	}
	if !ok || f == 0 {
		return 0, errMissing(name)
	}
	return f, nil
}

// boolean parses an optional bool; nil when absent.
func (in *input) boolean(name string) (*bool, *apiError) {
	v := in.vals.Get(name)
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return nil, typeMismatch(name, err)
	}
	return &b, nil
}

// typeMismatch is grpc-gateway's message for an unparsable query value.
func typeMismatch(name string, err error) *apiError {
	return newError(codeInvalidArgument, "type mismatch, parameter: %s, error: %v", name, err)
}

// enum resolves an enum given by name or number (index in values plus
// one). The zero value (0 or *_INVALID) is "unset": a missing parameter
// when required, rejected when sent to an optional one.
func enum(name, v string, values []string, required bool) (string, *apiError) {
	v = strings.TrimSpace(v)
	if v == "" {
		if required {
			return "", errMissing(name)
		}
		return "", nil
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n == 0 {
			if required {
				return "", errMissing(name)
			}
			return "", errInvalid(name, "0 (*_INVALID) is not an allowed value")
		}
		if n < 0 || n > len(values) {
			return "", errInvalid(name, "unknown enum number %d (want 1..%d)", n, len(values))
		}
		return values[n-1], nil
	}
	for _, x := range values {
		if x == v {
			return x, nil
		}
	}
	if strings.HasSuffix(v, "_INVALID") {
		if required {
			return "", errMissing(name)
		}
		return "", errInvalid(name, "%s is not an allowed value", v)
	}
	return "", errInvalid(name, "unknown value %q (want one of %s)", v, strings.Join(values, ", "))
}

func (in *input) enum(name string, values []string, required bool) (string, *apiError) {
	return enum(name, in.vals.Get(name), values, required)
}

// pageSize reads a page-size parameter: default when absent or 0, 400
// past max (or clamped when clamp is set).
func (in *input) pageSize(name string, def, maxSize int, clamp bool) (int, *apiError) {
	n, ok, aerr := in.int64(name)
	if aerr != nil {
		return 0, aerr
	}
	switch {
	case !ok || n == 0:
		return def, nil
	case n < 0:
		return 0, errInvalid(name, "must not be negative, got %d", n)
	case n > int64(maxSize):
		if clamp {
			return maxSize, nil
		}
		return 0, errInvalid(name, "at most %d, got %d", maxSize, n)
	}
	return int(n), nil
}

// region validates region_id: empty is global.
func (in *input) region() (string, *apiError) {
	v := strings.TrimSpace(in.vals.Get("region_id"))
	if _, ok := regions[v]; !ok {
		return "", errInvalid("region_id", "unknown region %q (empty = global, 1 US, 2 Europe, 3 UK, 4 Australia, 5 Canada, 6 Japan)", v)
	}
	return v, nil
}

// wholeDollarPrice validates a listing price in cents.
func wholeDollarPrice(name string, cents int64, item *catalogItem) *apiError {
	if cents <= 0 {
		return errInvalid(name, "must be positive, got %d", cents)
	}
	if cents%100 != 0 {
		return errInvalid(name, "listing prices must be whole dollars (a multiple of 100 cents), got %d", cents)
	}
	if item != nil && (cents < item.MinimumListingPriceCents || cents > item.MaximumListingPriceCents) {
		return errInvalid(name, "%d is outside the allowed range %d..%d for %s", cents, item.MinimumListingPriceCents, item.MaximumListingPriceCents, item.CatalogID)
	}
	return nil
}
