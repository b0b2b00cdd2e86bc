package history

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aliasd/aliasd/internal/testutil"
	bolt "go.etcd.io/bbolt"
)

var replayedRe = regexp.MustCompile(`replayed the journal.*replayed=(\d+)`)

const (
	crashChildEnv   = "ALIASD_HISTORY_CRASH_CHILD"
	crashJournalEnv = "ALIASD_HISTORY_CRASH_JOURNAL" // the child's journal, if any
)

// TestCrashDurability re-executes the test binary as a child that appends
// from 64 goroutines and prints each id once Append has returned. The parent
// kills it with SIGKILL at a random moment, reopens the file and checks that
// every printed id is there and the file passes tx.Check. 20 rounds on the
// same file, committing straight to bbolt and then through a journal (the
// daemon's mode), where the reopen replays what the kill left unfolded.
func TestCrashDurability(t *testing.T) {
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(path, os.Getenv(crashJournalEnv))
		return
	}
	if testing.Short() {
		t.Skip("runs 20 child processes")
	}
	t.Run("direct", func(t *testing.T) { crashRounds(t, "") })
	t.Run("journal", func(t *testing.T) { crashRounds(t, filepath.Join(t.TempDir(), "history.journal")) })
}

func crashRounds(t *testing.T, journal string) {
	dir := t.TempDir()
	path := filepath.Join(dir, "aliasd.db")
	total, replayed := 0, 0
	for round := 0; round < 20; round++ {
		ids := runAndKill(t, path, journal, round)
		db := openPath(t, path)
		checkDB(t, db)
		var log testutil.SyncBuffer
		h, err := Open(Config{DB: db, Journal: journal, PruneInterval: -1, MaxEntries: 1 << 30, Logger: logTo(&log)})
		if err != nil {
			db.Close()
			t.Fatalf("round %d: Open after SIGKILL = %v", round, err)
		}
		missing := 0
		for _, id := range ids {
			if _, err := h.Get(id); err != nil {
				missing++
				if missing < 5 {
					t.Errorf("round %d: acknowledged id %s: Get = %v", round, id, err)
				}
			}
		}
		if missing > 0 {
			t.Errorf("round %d: %d of %d acknowledged entries missing", round, missing, len(ids))
		}
		checkIndexes(t, h)
		if m := replayedRe.FindStringSubmatch(log.String()); m != nil {
			n, _ := strconv.Atoi(m[1])
			replayed += n
		}
		n, _ := h.Count()
		h.Close()
		db.Close()
		total += len(ids)
		if n < total {
			t.Errorf("round %d: Count = %d, want at least the %d acknowledged so far", round, n, total)
		}
	}
	if !t.Failed() {
		t.Logf("%d acknowledged appends over 20 kills, all present; %d came back from the journal", total, replayed)
	}
}

// runAndKill starts the child, kills it at a random moment after its first
// acknowledged append and returns the ids it printed in full.
func runAndKill(t *testing.T, path, journal string, round int) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashDurability$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path, crashJournalEnv+"="+journal)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var ids []string
	first := make(chan struct{})
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		r := bufio.NewReader(out)
		once := sync.Once{}
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return // a partial last line was not acknowledged in full
			}
			if id, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "ACK "); ok {
				mu.Lock()
				ids = append(ids, id)
				mu.Unlock()
				once.Do(func() { close(first) })
			}
		}
	}()
	select {
	case <-first:
	case <-readDone:
		cmd.Wait()
		t.Fatalf("round %d: child exited before acknowledging an append", round)
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("round %d: child acknowledged nothing in 60 s", round)
	}
	time.Sleep(time.Duration(rand.IntN(400)) * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("round %d: kill: %v", round, err)
	}
	<-readDone
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("round %d: child ended with %v, want SIGKILL", round, err)
	}
	mu.Lock()
	defer mu.Unlock()
	return ids
}

// crashChild appends until killed (or for at most two minutes).
func crashChild(path, journal string) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 10 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: bolt open:", err)
		os.Exit(2)
	}
	h, err := Open(Config{DB: db, Journal: journal, PruneInterval: -1, MaxEntries: 1 << 30})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: history open:", err)
		os.Exit(2)
	}
	w := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex // guards w
	deadline := time.Now().Add(2 * time.Minute)
	var wg sync.WaitGroup
	for g := 0; g < 64; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				d := detail("GET", "/api/v1/catalog/crash", 200+i%3*100, fmt.Sprintf("crash-%d-%d-%d", os.Getpid(), g, i))
				d.Response.Body = strings.Repeat("z", 300+i%700)
				e, err := h.Append(context.Background(), d)
				if err != nil {
					fmt.Fprintln(os.Stderr, "child: append:", err)
					os.Exit(3)
				}
				mu.Lock()
				fmt.Fprintf(w, "ACK %s\n", e.ID)
				w.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	os.Exit(0)
}
