package history

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/aliasd/aliasd/internal/testutil"
	"github.com/aliasd/aliasd/rpc"
)

// checkIndexes verifies that every index agrees with the entries bucket and
// the stored count.
func checkIndexes(t *testing.T, h *History) {
	t.Helper()
	err := h.view(func(tx *bolt.Tx) error {
		entries := tx.Bucket(bucketEntries)
		wantRID, wantErr, n := 0, 0, 0
		if err := entries.ForEach(func(k, v []byte) error {
			var e rpc.HistoryEntry
			if err := decodeSummary(v, &e); err != nil {
				return err
			}
			n++
			seen := map[string]bool{}
			for _, r := range append([]string{e.RequestID}, e.RequestIDs...) {
				if validRID(r) && !seen[r] {
					seen[r] = true
					wantRID++
				}
			}
			if IsError(&e) {
				wantErr++
			}
			if tx.Bucket(bucketBodies).Get(k) == nil {
				t.Errorf("entry %x has no bodies", k)
			}
			if tx.Bucket(bucketClass).Get(append([]byte{byte(e.Status / 100)}, k...)) == nil {
				t.Errorf("entry %x missing from the status index", k)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, c := range []struct {
			name []byte
			want int
		}{{bucketBodies, n}, {bucketClass, n}, {bucketRID, wantRID}, {bucketErrors, wantErr}} {
			if got := tx.Bucket(c.name).Stats().KeyN; got != c.want {
				t.Errorf("bucket %s has %d keys, want %d", c.name, got, c.want)
			}
		}
		if got := getUint(tx.Bucket(bucketState), keyCount); got != uint64(n) {
			t.Errorf("stored count = %d, want %d", got, n)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("checkIndexes: %v", err)
	}
}

func TestRetentionByCount(t *testing.T) {
	db, _ := openDB(t)
	h := newHistory(t, db, Config{MaxEntries: 50, PruneBatch: 7})
	var ids []string
	for i := 0; i < 130; i++ {
		d := detail("GET", "/api/v1/catalog", []int{200, 404, 500, 0}[i%4], fmt.Sprint("rc", i))
		d.RequestIDs = []string{fmt.Sprint("rc-early", i), fmt.Sprint("rc", i)}
		ids = append(ids, mustAppend(t, h, d).ID)
	}
	removed, err := h.Prune(context.Background())
	if removed != 80 || err != nil {
		t.Fatalf("Prune = %d, %v, want 80", removed, err)
	}
	if n, _ := h.Count(); n != 50 {
		t.Errorf("Count after prune = %d, want 50", n)
	}
	got := listAll(t, h, rpc.HistoryListParams{Limit: 1000})
	if len(got) != 50 || got[0].ID != ids[129] || got[49].ID != ids[80] {
		t.Errorf("after prune List has %d entries from %s to %s, want the newest 50 (%s..%s)", len(got), got[0].ID, got[len(got)-1].ID, ids[129], ids[80])
	}
	for _, rid := range []string{"rc0", "rc-early3", "rc79"} {
		if _, err := h.GetByRequestID(rid); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetByRequestID(%s) after prune = %v, want ErrNotFound", rid, err)
		}
	}
	if _, err := h.GetByRequestID("rc-early80"); err != nil {
		t.Errorf("GetByRequestID(rc-early80) = %v", err)
	}
	checkIndexes(t, h)
	if removed, err := h.Prune(context.Background()); removed != 0 || err != nil {
		t.Errorf("second Prune = %d, %v, want 0", removed, err)
	}
}

func TestRetentionByAge(t *testing.T) {
	db, _ := openDB(t)
	t0 := time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := testutil.NewClock(t0)
	h := newHistory(t, db, Config{MaxAge: time.Hour, PruneBatch: 3, Now: clk.Now})
	var ids []string
	for i := 0; i < 10; i++ { // one every 10 minutes: t0 .. t0+90m
		ids = append(ids, mustAppend(t, h, detail("GET", "/api/v1/test", 200, fmt.Sprint("age", i))).ID)
		clk.Advance(10 * time.Minute)
	}
	// now = t0+100m: entries before t0+40m are older than an hour.
	removed, err := h.Prune(context.Background())
	if removed != 4 || err != nil {
		t.Fatalf("Prune = %d, %v, want 4", removed, err)
	}
	got := listAll(t, h, rpc.HistoryListParams{})
	if len(got) != 6 || got[len(got)-1].ID != ids[4] {
		t.Errorf("after prune: %d entries, oldest %s, want 6, oldest %s", len(got), got[len(got)-1].ID, ids[4])
	}
	clk.Advance(24 * time.Hour)
	if removed, _ := h.Prune(context.Background()); removed != 6 {
		t.Errorf("Prune a day later = %d, want 6", removed)
	}
	checkIndexes(t, h)
}

func TestPruneEdgeCases(t *testing.T) {
	t.Run("cancelled context", func(t *testing.T) {
		db, _ := openDB(t)
		h := newHistory(t, db, Config{MaxEntries: 1})
		mustAppend(t, h, detail("GET", "/api/v1/test", 200, "x1"))
		mustAppend(t, h, detail("GET", "/api/v1/test", 200, "x2"))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := h.Prune(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Prune(cancelled) = %v, want context.Canceled", err)
		}
		if n, _ := h.Count(); n != 2 {
			t.Errorf("Count = %d, want 2 (nothing pruned)", n)
		}
	})
	t.Run("undecodable entry", func(t *testing.T) {
		db, _ := openDB(t)
		h := newHistory(t, db, Config{MaxEntries: 1})
		bad := mustAppend(t, h, detail("GET", "/api/v1/test", 404, "bad"))
		good := mustAppend(t, h, detail("GET", "/api/v1/test", 200, "good"))
		h.settle() // the entries are in bbolt before the test damages one there
		v, _ := parseID(bad.ID)
		if err := db.Update(func(tx *bolt.Tx) error {
			return tx.Bucket(bucketEntries).Put(idKey(v), []byte{9, 9, 9})
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Get(bad.ID); err == nil || !strings.Contains(err.Error(), "damaged record format") {
			t.Errorf("Get(damaged) = %v, want a format error", err)
		}
		if removed, err := h.Prune(context.Background()); removed != 1 || err != nil {
			t.Errorf("Prune = %d, %v, want 1", removed, err)
		}
		if _, err := h.GetByRequestID("bad"); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetByRequestID(orphan) = %v, want ErrNotFound", err)
		}
		if d, err := h.Lookup("good"); err != nil || d.ID != good.ID {
			t.Errorf("Lookup(good) = %v, %v", d, err)
		}
	})
}

func TestBackgroundPruner(t *testing.T) {
	db, _ := openDB(t)
	h := newHistory(t, db, Config{MaxEntries: 20, PruneBatch: 5, PruneInterval: time.Hour})
	for i := 0; i < 100; i++ {
		mustAppend(t, h, detail("GET", "/api/v1/test", 200, fmt.Sprint("bg", i)))
	}
	// The append that crosses MaxEntries wakes the pruner; the hourly tick
	// never fires during the test.
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, err := h.Count()
		if err != nil {
			t.Fatal(err)
		}
		if n == 20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Count = %d after 30 s, want the background pruner to reach 20", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.Close()
	checkIndexes(t, h)
}

// TestFilePlateau inserts far past the cap several times, pruning after
// each round, and checks that the file stops growing: bbolt reuses the
// pages pruning frees.
func TestFilePlateau(t *testing.T) {
	if testing.Short() {
		t.Skip("inserts thousands of entries")
	}
	db, path := openDB(t)
	const maxEntries, perRound, rounds = 300, 900, 12
	h := newHistory(t, db, Config{MaxEntries: maxEntries, PruneBatch: 100})
	body := strings.Repeat(`{"catalog_item":{"name":"Dunk Low"}}`, 60) // about 2 KiB
	var sizes, marks []int64
	for r := 0; r < rounds; r++ {
		var wg sync.WaitGroup
		for w := 0; w < 16; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < perRound; i += 16 {
					d := detail("GET", "/api/v1/catalog/x", 200+i%2*204, fmt.Sprintf("plateau-%d-%d", r, i))
					d.Response.Body = body
					if _, err := h.Append(context.Background(), d); err != nil {
						t.Errorf("Append = %v", err)
						return
					}
				}
			}()
		}
		wg.Wait()
		if removed, err := h.Prune(context.Background()); err != nil || removed < perRound-maxEntries {
			t.Fatalf("round %d: Prune = %d, %v", r, removed, err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, fi.Size())
		// The high-water mark of used pages, finer than the file size,
		// which grows in mmap steps.
		var hwm int64
		db.View(func(tx *bolt.Tx) error { hwm = tx.Size(); return nil })
		marks = append(marks, hwm)
	}
	t.Logf("file size after each round: %v", sizes)
	t.Logf("page high-water mark after each round: %v", marks)
	// Every round writes three times the cap. From the fifth round on the
	// file may not grow past its size after the fourth, and its used pages
	// only by page-allocation jitter (under 5%: how concurrent appends
	// group varies from run to run), however many rounds follow.
	const base = 3
	for r := base + 1; r < rounds; r++ {
		if limit := marks[base] + marks[base]/20; sizes[r] > sizes[base] || marks[r] > limit {
			t.Errorf("round %d: file %d bytes, high-water mark %d, want at most %d and %d", r, sizes[r], marks[r], sizes[base], limit)
		}
	}
	// The rounds wrote far more than the file holds: pages were reused.
	if written := int64(rounds * perRound * len(body)); marks[rounds-1]*3 > written {
		t.Errorf("high-water mark %d is more than a third of the %d body bytes written", marks[rounds-1], written)
	}
	if n, _ := h.Count(); n != maxEntries {
		t.Errorf("Count = %d, want %d", n, maxEntries)
	}
	checkIndexes(t, h)
}
