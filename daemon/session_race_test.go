package daemon

import (
	"context"
	"encoding/json"
	"net"
	"testing"

	"github.com/aliasd/aliasd/rpc"
)

// TestInitializeSeesItsSession: initialize must act on the session that
// Serve registers, never on a throwaway one. rpc.Serve starts reading
// before it returns, so an initialize that arrives at once used to race
// with Serve's SetValue: the session's ALIASD_TOKEN and client name then
// went to a throwaway session and the calls fell back to the vault's
// token. Many sessions make the race likely; each must report its own
// ALIASD_TOKEN.
func TestInitializeSeesItsSession(t *testing.T) {
	e := newEnv(t, envOptions{})
	const sessions = 60
	opts, err := json.Marshal(map[string]any{"aliasd": map[string]any{"envToken": e.tokens[0]}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range sessions {
		serverEnd, clientEnd := net.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			e.d.Serve(context.Background(), serverEnd, serverEnd, serverEnd)
		}()
		c := rpc.NewClient(clientEnd, rpc.ClientOptions{})
		ctx, cancel := context.WithTimeout(context.Background(), waitLong)
		if _, err := c.InitializeWith(ctx, rpc.InitializeParams{ClientInfo: &rpc.ClientInfo{Name: "race-test"}, InitializationOptions: opts}); err != nil {
			t.Fatalf("session %d: initialize = %v", i, err)
		}
		var st rpc.StatusResult
		if err := c.Call(ctx, rpc.MethodStatus, struct{}{}, &st); err != nil {
			t.Fatalf("session %d: status = %v", i, err)
		}
		cancel()
		c.Close()
		<-done
		if st.TokenStorage != rpc.StorageEnv || st.Profile != "env" {
			t.Fatalf("session %d: status profile %q storage %q, want the session's ALIASD_TOKEN (env)", i, st.Profile, st.TokenStorage)
		}
	}
}
