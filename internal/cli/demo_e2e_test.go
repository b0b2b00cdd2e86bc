package cli_test

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/aliasd/aliasd/internal/testutil"
)

var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// TestDemoOffline runs "aliasd demo" from the built binary. As root it
// runs in a network namespace of its own whose only interface is loopback,
// which proves it needs no network; otherwise it runs as is and says so.
// It must exit 0, print the history table with request IDs and the
// instructive diagnostics, and leave no trace: neither in the user's
// ALIASD_HOME nor in TMPDIR.
func TestDemoOffline(t *testing.T) {
	home, tmp := t.TempDir(), t.TempDir()
	env := append(testutil.Env(home), "TMPDIR="+tmp, "NO_COLOR=1")
	cmd := exec.Command(testutil.Aliasd(t), "demo")
	if _, err := exec.LookPath("unshare"); err == nil && os.Getuid() == 0 {
		cmd = exec.Command("unshare", "--net", "sh", "-c", `ip link set lo up && exec "$0" demo`, testutil.Aliasd(t))
	} else {
		t.Log("not root or no unshare(1): the demo runs with the machine's network (loopback use is still checked)")
	}
	r := testutil.RunCommand(t, cmd, env, "")
	out := string(r.Stdout)
	if r.Code != 0 {
		t.Fatalf("aliasd demo: exit %d, want 0\n%s", r.Code, r.Output())
	}
	if !strings.Contains(out, "mock API   http://127.0.0.1:") {
		t.Errorf("the demo's mock is not on loopback:\n%s", out)
	}

	// The history table: a header, then one row per call, newest first.
	_, table, ok := strings.Cut(out, "the history (aliasd history)")
	if !ok {
		t.Fatalf("no history table in the output:\n%s", out)
	}
	table, _, _ = strings.Cut(table, "what you send to support")
	if !strings.Contains(table, "REQUEST ID") {
		t.Errorf("the table has no REQUEST ID column:\n%s", table)
	}
	rows := 0
	for _, line := range strings.Split(table, "\n") {
		if uuidRE.MatchString(line) {
			rows++
		}
	}
	if rows < 8 {
		t.Errorf("the table has %d rows with a request ID, want one per call (≥ 8):\n%s", rows, table)
	}
	for _, want := range []string{"Missing parameter: size", "lacks the listings scope", "Rate limited", "No such endpoint"} {
		if !strings.Contains(table, want) {
			t.Errorf("the history table lacks %q:\n%s", want, table)
		}
	}
	if !regexp.MustCompile(`(?m)^.*` + uuidRE.String() + `\s+hit\s*$`).MatchString(table) {
		t.Errorf("the history table shows no cache hit (the repeated search):\n%s", table)
	}
	if !regexp.MustCompile(`Request ID:\s+` + uuidRE.String()).MatchString(out) {
		t.Errorf("no support block with a request ID:\n%s", out)
	}
	for _, dir := range []string{home, tmp} {
		if left, _ := os.ReadDir(dir); len(left) > 0 {
			t.Errorf("the demo left %d entries in %s (first %s), want none", len(left), dir, left[0].Name())
		}
	}
}
