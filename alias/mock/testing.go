package mock

import "testing"

// StartTest starts a mock on a loopback port for a test or benchmark and
// closes it when tb ends. It returns the server and its base URL.
func StartTest(tb testing.TB, cfg Config) (*Server, string) {
	tb.Helper()
	srv, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Close() })
	return srv, base
}
