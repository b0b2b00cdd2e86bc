package alias

import (
	"encoding/json"
	"math"
	"net/url"
	"sort"
	"strconv"
)

// QueryValues converts the query map of an alias/request (decoded from
// JSON) into URL values. Strings, numbers and booleans become one value;
// arrays repeat the key (ids=a&ids=b); objects become key[sub]=value (the
// metadata map). null, nested arrays and nested objects are refused with a
// *FieldError naming the field, e.g. "query.ids[2]".
func QueryValues(m map[string]any) (url.Values, error) {
	out := make(url.Values, len(m))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys) // first error is deterministic
	for _, k := range keys {
		field := "query." + k
		if k == "" {
			return nil, fieldErr("query", "empty parameter name")
		}
		switch v := m[k].(type) {
		case []any:
			for i, e := range v {
				s, err := scalar(e, field+"["+strconv.Itoa(i)+"]")
				if err != nil {
					return nil, err
				}
				out.Add(k, s)
			}
		case []string:
			for _, s := range v {
				out.Add(k, s)
			}
		case map[string]any:
			subs := make([]string, 0, len(v))
			for s := range v {
				subs = append(subs, s)
			}
			sort.Strings(subs)
			for _, sub := range subs {
				if sub == "" {
					return nil, fieldErr(field, "empty key in object")
				}
				s, err := scalar(v[sub], field+"."+sub)
				if err != nil {
					return nil, err
				}
				out.Add(k+"["+sub+"]", s)
			}
		case map[string]string:
			for sub, s := range v {
				if sub == "" {
					return nil, fieldErr(field, "empty key in object")
				}
				out.Add(k+"["+sub+"]", s)
			}
		default:
			s, err := scalar(v, field)
			if err != nil {
				return nil, err
			}
			out.Add(k, s)
		}
	}
	return out, nil
}

// scalar formats one query value.
func scalar(v any, field string) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case json.Number:
		if _, err := strconv.ParseFloat(string(x), 64); err != nil {
			return "", fieldErr(field, "bad number %q", string(x))
		}
		return string(x), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", fieldErr(field, "number is not finite")
		}
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case float32:
		return scalar(float64(x), field)
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case int32:
		return strconv.FormatInt(int64(x), 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case nil:
		return "", fieldErr(field, "null is not a value (leave the parameter out instead)")
	case []any, []string:
		return "", fieldErr(field, "nested arrays are not allowed (an array repeats the key once per element)")
	case map[string]any, map[string]string:
		return "", fieldErr(field, "nested objects are not allowed (only one level: key[sub]=value)")
	default:
		return "", fieldErr(field, "unsupported value of type %T", v)
	}
}
