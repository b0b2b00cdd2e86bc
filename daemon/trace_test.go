package daemon

import (
	"strings"
	"testing"

	"github.com/aliasd/aliasd/internal/redact"
)

func TestRedactFrame(t *testing.T) {
	d := &Daemon{redactor: redact.New()}
	const secret = `web"session\secret-1234`
	tests := []struct {
		name, frame string
		keep        string // must survive
	}{
		{"token/add", `{"jsonrpc":"2.0","id":3,"method":"alias/token/add","params":{"name":"main","token":"web\"session\\secret-1234"}}`, `"name":"main"`},
		{"initialize envToken", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"initializationOptions":{"aliasd":{"envToken": "web\"session\\secret-1234"}}}}`, `"method":"initialize"`},
		{"progress token kept", `{"jsonrpc":"2.0","method":"$/progress","params":{"token":"pages-1","value":{}}}`, `"token":"pages-1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := d.redactFrame(tt.frame)
			if strings.Contains(got, "secret-1234") || strings.Contains(got, secret) {
				t.Errorf("redactFrame(%s) = %s, want the secret gone", tt.frame, got)
			}
			if !strings.Contains(got, tt.keep) {
				t.Errorf("redactFrame(%s) = %s, want %s kept", tt.frame, got, tt.keep)
			}
		})
	}
}
