package cache

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aliasd/aliasd/alias"
	"github.com/aliasd/aliasd/store"
)

// childEnv selects a child-process role when the test binary re-executes
// itself; pathEnv names the database file.
const (
	childEnv = "ALIASD_CACHE_TEST_CHILD"
	pathEnv  = "ALIASD_CACHE_TEST_PATH"
)

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "writer":
		os.Exit(writerChild(os.Getenv(pathEnv)))
	default:
		fmt.Fprintln(os.Stderr, "unknown child role")
		os.Exit(2)
	}
}

// writerChild stores, hits, evicts and invalidates cache entries until it
// is killed.
func writerChild(path string) int {
	st, err := store.Open(store.Options{Path: path, Timeout: 10 * time.Second})
	if err != nil {
		fmt.Println("open:", err)
		return 1
	}
	c, err := New(Config{Store: st, MaxBytes: 512 << 10})
	if err != nil {
		fmt.Println("new:", err)
		return 1
	}
	r := rand.New(rand.NewPCG(uint64(os.Getpid()), uint64(time.Now().UnixNano())))
	ready := false
	for i := 0; ; i++ {
		id := r.IntN(400)
		body := jsonBody(1 + r.IntN(200)) // 70 B .. 15 KB, some compressed
		req := Request{
			Key:   Key{Method: "GET", Path: fmt.Sprintf("/api/v1/catalog/item-%d", id), Fingerprint: fmt.Sprintf("fp%d", id%3)},
			Class: alias.CacheCatalogItem, Mode: "no-cache",
		}
		if i%3 == 0 {
			req.Mode = "default" // a hit when present
		}
		fetch := func(context.Context, http.Header) (*Response, error) {
			return &Response{Status: 200, Header: http.Header{"Etag": {fmt.Sprintf(`"%d"`, i)}}, Body: []byte(body)}, nil
		}
		if _, err := c.Do(context.Background(), req, fetch); err != nil {
			fmt.Println("do:", err)
			return 1
		}
		if i%50 == 49 {
			if _, err := c.Invalidate([]string{fmt.Sprintf("/api/v1/catalog/item-%d*", r.IntN(40))}); err != nil {
				fmt.Println("invalidate:", err)
				return 1
			}
		}
		if !ready && i >= 20 {
			fmt.Println("ready")
			ready = true
		}
	}
}

func TestKill9DuringWritesLeavesCheckableFile(t *testing.T) {
	if testing.Short() {
		t.Skip("kill -9 rounds skipped in -short mode")
	}
	path := filepath.Join(t.TempDir(), "aliasd.db")
	r := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	const rounds = 20
	for round := range rounds {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=writer", pathEnv+"="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if strings.TrimSpace(line) != "ready" {
			cmd.Process.Kill()
			cmd.Wait()
			cancel()
			t.Fatalf("round %d: child said %q (%v), want ready", round, line, err)
		}
		time.Sleep(time.Duration(r.IntN(200)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatalf("round %d: kill: %v", round, err)
		}
		cmd.Wait()
		cancel()

		st, err := store.Open(store.Options{Path: path})
		if err != nil {
			t.Fatalf("round %d: store.Open after kill -9 = %v", round, err)
		}
		if w := st.Warnings(); len(w) != 0 {
			t.Errorf("round %d: Warnings after kill -9 = %q, want none (no quarantine)", round, w)
		}
		if err := st.Check(); err != nil {
			t.Fatalf("round %d: Check after kill -9 = %v", round, err)
		}
		c, err := New(Config{Store: st, MaxBytes: 512 << 10})
		if err != nil {
			t.Fatalf("round %d: New = %v", round, err)
		}
		e := &env{t: t, path: path, st: st, c: c}
		e.checkConsistent()
		if s := e.stats(""); s.Entries == 0 || s.Bytes > 512<<10 {
			t.Errorf("round %d: Stats = %+v, want entries within the cap", round, s)
		}
		e.close()
	}
}
