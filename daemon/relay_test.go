package daemon

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSocketPathFitsSockaddr: a deep runtime directory still gets a socket
// path short enough for sockaddr_un, one per directory.
func TestSocketPathFitsSockaddr(t *testing.T) {
	short := "/run/user/1000/aliasd"
	if got := SocketPath(short); filepath.Dir(got) != short {
		t.Errorf("SocketPath(%q) = %q, want it inside the runtime directory", short, got)
	}
	deep := "/home/someone/" + strings.Repeat("very-long-directory-name/", 6) + "run"
	a, b := SocketPath(deep), SocketPath(deep+"2")
	if len(a) > maxSocketPath || len(b) > maxSocketPath {
		t.Errorf("SocketPath of a deep directory = %q (%d bytes), want at most %d", a, len(a), maxSocketPath)
	}
	if a == b {
		t.Errorf("two runtime directories share the socket %q", a)
	}
}
