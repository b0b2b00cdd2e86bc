package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aliasd/aliasd/internal/testutil"
	"github.com/aliasd/aliasd/rpc"
)

// TestConfigHotReload edits a real config file under a running daemon: a
// valid edit applies within 1s; an invalid one is reported to the client
// with its line and the previous config stays in force.
func TestConfigHotReload(t *testing.T) {
	home := t.TempDir()
	cfgPath := filepath.Join(home, "config.toml")
	write := func(text string) {
		// Save the way editors do: write a temp file, rename it over.
		tmp := cfgPath + ".tmp"
		if err := os.WriteFile(tmp, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, cfgPath); err != nil {
			t.Fatal(err)
		}
	}
	write("base_url = \"http://127.0.0.1:1111/api/v1\"\n")
	p := testutil.Start(t, testutil.Env(home), "stdio", "--standalone")
	p.Write(testutil.Frame(req(1, "initialize", `{}`)))
	expectResult(t, p, "1")

	id := 10
	status := func() rpc.StatusResult {
		t.Helper()
		id++
		p.Write(testutil.Frame(req(id, "alias/status", "")))
		for {
			m := p.Recv()
			if _, note := m["method"]; note {
				continue // showMessage notifications
			}
			var st rpc.StatusResult
			if err := json.Unmarshal(m["result"], &st); err != nil {
				t.Fatalf("status: %s", m)
			}
			return st
		}
	}
	if got := status().BaseURL; got != "http://127.0.0.1:1111/api/v1" {
		t.Fatalf("baseUrl = %q before the edit", got)
	}

	write("base_url = \"http://127.0.0.1:2222/api/v1\"\n")
	deadline := time.Now().Add(time.Second)
	for status().BaseURL != "http://127.0.0.1:2222/api/v1" {
		if time.Now().After(deadline) {
			t.Fatal("valid edit not applied within 1s")
		}
		time.Sleep(20 * time.Millisecond)
	}

	write("base_url = \"http://127.0.0.1:3333/api/v1\"\ntoken_storage = \"vault\"\n")
	for {
		m := p.Recv()
		var method string
		json.Unmarshal(m["method"], &method)
		if method != rpc.MethodShowMessage {
			continue
		}
		var mp rpc.MessageParams
		json.Unmarshal(m["params"], &mp)
		if mp.Type != rpc.MessageWarning {
			continue
		}
		if !strings.Contains(mp.Message, "config.toml:2") || !strings.Contains(mp.Message, "token_storage") {
			t.Fatalf("warning = %q, want the file, line 2 and the key", mp.Message)
		}
		break
	}
	if got := status().BaseURL; got != "http://127.0.0.1:2222/api/v1" {
		t.Fatalf("after an invalid edit baseUrl = %q, want the last good value", got)
	}
}
