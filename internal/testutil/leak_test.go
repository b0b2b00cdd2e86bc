package testutil

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"net/url"
	"testing"
)

// TestFindSecret checks that the leak scanner sees a secret in each form
// the end-to-end tests rely on, and nothing in text without it.
func TestFindSecret(t *testing.T) {
	const secret = "goatapi_0123456789abcdefABCDEF/+xyz"
	gz := func(s string) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
		return b.Bytes()
	}
	tests := []struct {
		name string
		data []byte
		want bool
	}{
		{"plain", []byte("x" + secret + "y"), true},
		{"query escaped", []byte("?t=" + url.QueryEscape(secret)), true},
		{"base64 aligned", []byte(base64.StdEncoding.EncodeToString([]byte(secret))), true},
		{"base64 offset 1", []byte(base64.StdEncoding.EncodeToString([]byte("a" + secret))), true},
		{"base64 offset 2 url-safe", []byte(base64.URLEncoding.EncodeToString([]byte("ab" + secret))), true},
		{"basic auth", []byte("Basic " + base64.StdEncoding.EncodeToString([]byte("user:"+secret))), true},
		{"inside gzip inside other bytes", append(append([]byte("page header"), gz("body "+secret)...), "trailer"...), true},
		{"redacted", []byte("Bearer [REDACTED] goatapi_…xyz"), false},
		{"prefix only", []byte(secret[:len(secret)-3]), false},
	}
	forms := SecretForms(secret)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits := FindSecret("data", tt.data, forms)
			if got := len(hits) > 0; got != tt.want {
				t.Errorf("FindSecret(%q) = %v, want found %v", tt.data, hits, tt.want)
			}
		})
	}
}
