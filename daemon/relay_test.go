package daemon

import (
	"encoding/json"
	"testing"
)

func TestPeekReply(t *testing.T) {
	tests := []struct {
		body  string
		id    string
		isErr bool
		ok    bool
	}{
		{`{"jsonrpc":"2.0","id":12,"result":{"a":1}}`, "12", false, true},
		{`{"jsonrpc":"2.0","id":"a\"b","result":null}`, `"a\"b"`, false, true},
		{`{"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"x"}}`, "3", true, true},
		{`{"jsonrpc":"2.0","method":"$/progress","params":{}}`, "", false, false},
		{`{"id":3,"jsonrpc":"2.0","result":1}`, "", false, false},
		{`{"jsonrpc":"2.0","id":,"result":1}`, "", false, false},
		{`{"jsonrpc":"2.0","id":"unterminated`, "", false, false},
	}
	for _, tt := range tests {
		p, ok := peekReply([]byte(tt.body))
		if ok != tt.ok {
			t.Errorf("peekReply(%s) ok = %v, want %v", tt.body, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		if string(p.ID) != tt.id || (p.Error != nil) != tt.isErr {
			t.Errorf("peekReply(%s) = id %s error %v, want id %s error %v", tt.body, p.ID, p.Error != nil, tt.id, tt.isErr)
		}
		// The fast path agrees with a full decode.
		var full peek
		json.Unmarshal([]byte(tt.body), &full)
		if string(full.ID) != string(p.ID) {
			t.Errorf("peekReply(%s) id %s, full decode %s", tt.body, p.ID, full.ID)
		}
	}
}
