package history

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliasd/aliasd/internal/testutil"
	"github.com/aliasd/aliasd/rpc"
	bolt "go.etcd.io/bbolt"
)

// journalFrames prepares n entries with fresh ids and returns their
// frames, as a writer would have written them, and their request IDs.
func journalFrames(t *testing.T, h *History, n int, prefix string) ([]byte, []string) {
	t.Helper()
	var buf []byte
	var rids []string
	for i := range n {
		rid := fmt.Sprintf("%s-%d", prefix, i)
		status := []int{404, 409, 503}[i%3] // errors, for assertStoredOnce
		rec, err := h.prepare(detail("GET", "/api/v1/catalog/"+rid, status, rid))
		if err != nil {
			t.Fatal(err)
		}
		rec.assign(h.ids.next(time.Now()))
		buf = encodeFrame(buf, rec)
		rids = append(rids, rid)
	}
	return buf, rids
}

// openOnJournal writes content as the journal at jpath and opens a
// History on db with it, as a restart after a crash would.
func openOnJournal(t *testing.T, db *bolt.DB, jpath string, content []byte, cfg Config) *History {
	t.Helper()
	if err := os.WriteFile(jpath, content, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.Journal = jpath
	return newHistory(t, db, cfg)
}

func logTo(buf *testutil.SyncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// TestJournalReplay writes the journal a crash would leave — acknowledged
// frames, then half of an unsynced one — and checks that Open stores every
// whole frame once, drops the torn one with a warning, empties the file,
// and that a second Open adds nothing.
func TestJournalReplay(t *testing.T) {
	db, _ := openDB(t)
	jpath := filepath.Join(t.TempDir(), "history.journal")
	scratch := newHistory(t, db, Config{})
	frames, rids := journalFrames(t, scratch, 50, "replay")
	torn, _ := journalFrames(t, scratch, 1, "torn")
	scratch.Close()

	var log testutil.SyncBuffer
	h := openOnJournal(t, db, jpath, append(frames, torn[:len(torn)/2]...), Config{Logger: logTo(&log)})
	for _, rid := range rids {
		assertStoredOnce(t, h, rid, 1)
	}
	if _, err := h.GetByRequestID("torn-0"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the torn frame's entry: GetByRequestID = %v, want ErrNotFound", err)
	}
	if n, _ := h.Count(); n != 50 {
		t.Errorf("Count = %d, want 50", n)
	}
	if !strings.Contains(log.String(), "unfinished end of the journal") {
		t.Errorf("no warning about the torn frame; log:\n%s", log.String())
	}
	if fi, err := os.Stat(jpath); err != nil || fi.Size() != 0 || fi.Mode().Perm() != 0o600 {
		t.Errorf("journal after replay: %v, %v; want empty, mode 0600", fi, err)
	}
	checkIndexes(t, h)
	// New ids continue after the replayed ones.
	e := mustAppend(t, h, detail("GET", "/api/v1/after", 200, "after-replay"))
	d, err := h.GetByRequestID("replay-49")
	if err != nil || e.ID <= d.ID {
		t.Errorf("id after replay %s, last replayed %v (%v): want larger", e.ID, d, err)
	}
	h.Close()

	// The same frames again (as if the file had not been emptied): the
	// folded mark makes them no-ops.
	h2 := openOnJournal(t, db, jpath, frames, Config{})
	if n, _ := h2.Count(); n != 51 {
		t.Errorf("Count after replaying folded frames = %d, want 51", n)
	}
	for _, rid := range rids {
		assertStoredOnce(t, h2, rid, 1)
	}
}

// TestJournalDamaged: a journal of random bytes, or one whose middle frame
// fails its checksum, is read up to the damage; Open succeeds and the
// history works.
func TestJournalDamaged(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func(frames []byte) []byte
		want int // entries replayed out of 10
	}{
		{"random bytes", func([]byte) []byte {
			b := make([]byte, 5000)
			for i := range b {
				b[i] = byte(i*7919 + i>>3)
			}
			return b
		}, 0},
		{"flipped bit in the fourth frame", func(frames []byte) []byte {
			off := 0
			for range 3 {
				_, n, err := decodeFrame(frames[off:])
				if err != nil {
					t.Fatal(err)
				}
				off += n
			}
			b := bytes.Clone(frames)
			b[off+20] ^= 0x10
			return b
		}, 3},
		{"length beyond the file", func(frames []byte) []byte {
			return append(bytes.Clone(frames), 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0)
		}, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, _ := openDB(t)
			jpath := filepath.Join(t.TempDir(), "history.journal")
			scratch := newHistory(t, db, Config{})
			frames, _ := journalFrames(t, scratch, 10, "dmg")
			scratch.Close()
			var log testutil.SyncBuffer
			h := openOnJournal(t, db, jpath, tc.make(frames), Config{Logger: logTo(&log)})
			if n, _ := h.Count(); n != tc.want {
				t.Errorf("Count = %d, want %d", n, tc.want)
			}
			if !strings.Contains(log.String(), "unfinished end of the journal") {
				t.Errorf("no warning; log:\n%s", log.String())
			}
			mustAppend(t, h, detail("GET", "/api/v1/ok", 404, "works"))
			assertStoredOnce(t, h, "works", 1)
			checkIndexes(t, h)
		})
	}
}

// TestJournalReadYourWrites slows the folder down: an entry is still
// found by every query as soon as its Append has returned.
func TestJournalReadYourWrites(t *testing.T) {
	db, _ := openDB(t)
	h := newHistory(t, db, Config{Journal: filepath.Join(t.TempDir(), "history.journal")})
	var folds int
	var mu sync.Mutex
	h.onFold = func() {
		mu.Lock()
		folds++
		mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	for i := range 40 {
		rid := fmt.Sprintf("ryw-%d", i)
		e := mustAppend(t, h, detail("GET", "/api/v1/ryw", 404, rid))
		if d, err := h.Get(e.ID); err != nil || d.RequestID != rid {
			t.Fatalf("Get(%s) right after Append = %v, %v", e.ID, d, err)
		}
		if _, err := h.GetByRequestID(rid); err != nil {
			t.Fatalf("GetByRequestID(%s) right after Append = %v", rid, err)
		}
		mustAppend(t, h, detail("GET", "/api/v1/ryw", 200, rid+"-ok"))
		res, err := h.List(rpc.HistoryListParams{ErrorsOnly: true, Limit: 1})
		if err != nil || len(res.Entries) != 1 || res.Entries[0].ID != e.ID {
			t.Fatalf("List(errorsOnly) right after Append = %+v, %v; want %s first", res.Entries, err, e.ID)
		}
		if n, _ := h.Count(); n != 2*(i+1) {
			t.Fatalf("Count = %d, want %d", n, 2*(i+1))
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if folds == 0 {
		t.Fatal("the folder never ran: the journal was not in use")
	}
}

// TestJournalWriteFailure: when the journal cannot be written, appends
// are committed straight to bbolt and still succeed.
func TestJournalWriteFailure(t *testing.T) {
	db, _ := openDB(t)
	var log testutil.SyncBuffer
	h := newHistory(t, db, Config{Journal: filepath.Join(t.TempDir(), "history.journal"), Logger: logTo(&log)})
	mustAppend(t, h, detail("GET", "/api/v1/a", 500, "before"))
	h.jr.f.Close() // every later write fails with EBADF, and so does the cut-back
	for i := range 3 {
		mustAppend(t, h, detail("GET", "/api/v1/a", 500, fmt.Sprintf("direct-%d", i)))
	}
	for _, rid := range []string{"before", "direct-0", "direct-1", "direct-2"} {
		assertStoredOnce(t, h, rid, 1)
	}
	if got := strings.Count(log.String(), "journal write failed"); got != 1 {
		t.Errorf("%d journal write failures logged, want 1 (then the journal is set aside); log:\n%s", got, log.String())
	}
}

// TestJournalFailingEntry: an entry whose put keeps failing is reported
// as lost once its attempts are spent; the rest of its group is stored.
func TestJournalFailingEntry(t *testing.T) {
	db, _ := openDB(t)
	var log testutil.SyncBuffer
	h := newHistory(t, db, Config{Journal: filepath.Join(t.TempDir(), "history.journal"), Logger: logTo(&log)})
	h.afterPut = func(rec *record) error {
		if strings.HasSuffix(rec.entry.RequestID, "-poison") {
			return errors.New("this entry cannot be stored")
		}
		return nil
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rid := fmt.Sprintf("jgrp-%d", i)
			if i == 7 {
				rid += "-poison"
			}
			if _, err := h.Append(context.Background(), detail("GET", "/api/v1/test", 200, rid)); err != nil {
				t.Errorf("Append(%s) = %v", rid, err)
			}
		}()
	}
	wg.Wait()
	if n, _ := h.Count(); n != 15 {
		t.Errorf("Count = %d, want 15", n)
	}
	if !strings.Contains(log.String(), "could not be stored; it is lost") {
		t.Errorf("the lost entry is not reported; log:\n%s", log.String())
	}
	checkIndexes(t, h)
}

// TestJournalClearKeepsMark: entries cleared after they were folded do not
// come back from a journal that still holds them.
func TestJournalClearKeepsMark(t *testing.T) {
	db, _ := openDB(t)
	jpath := filepath.Join(t.TempDir(), "history.journal")
	h := newHistory(t, db, Config{Journal: jpath})
	for i := range 10 {
		mustAppend(t, h, detail("GET", "/api/v1/c", 200, fmt.Sprintf("clr-%d", i)))
	}
	kept, err := os.ReadFile(jpath)
	if err != nil || len(kept) == 0 {
		t.Fatalf("journal holds %d bytes, %v; want the 10 frames", len(kept), err)
	}
	if n, err := h.Clear(); n != 10 || err != nil {
		t.Fatalf("Clear = %d, %v; want 10", n, err)
	}
	h.Close()
	h2 := openOnJournal(t, db, jpath, kept, Config{})
	if n, _ := h2.Count(); n != 0 {
		t.Errorf("Count after reopening = %d, want 0: cleared entries came back", n)
	}
}

// FuzzJournalFrames feeds arbitrary bytes to the journal's frame decoder,
// as Open does at replay: it must never panic or read past a frame, and
// every frame it accepts must encode back to the same bytes. The
// streaming scanner replay uses must agree with decoding the bytes in
// memory: the same records in the same order, and as torn bytes whatever
// follows the last whole frame from its first byte that is not zero (all
// of it when the next header is not zeros).
// (TestJournalDamaged runs Open itself on damaged journals.)
func FuzzJournalFrames(f *testing.F) {
	h := newHistory(f, openDBForFuzz(f), Config{})
	var seed []byte
	for i, status := range []int{200, 404, 0} {
		d := detail("GET", "/api/v1/catalog/x", status, fmt.Sprintf("seed-%d", i))
		d.RequestIDs = []string{"earlier-attempt", d.RequestID}
		rec, err := h.prepare(d)
		if err != nil {
			f.Fatal(err)
		}
		rec.assign(uint64(1_700_000_000_000_000_000 + i))
		seed = encodeFrame(seed, rec)
	}
	f.Add(seed)
	f.Add(seed[:len(seed)-3])
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0})
	f.Add(append(slices.Clone(seed), make([]byte, 100)...))
	f.Add(append(append(slices.Clone(seed), make([]byte, 20)...), 7))
	f.Fuzz(func(t *testing.T, data []byte) {
		var want []*record
		off := 0
		for !cleanEnd(data[off:]) {
			rec, n, err := decodeFrame(data[off:])
			if err != nil {
				if !errors.Is(err, errTorn) {
					t.Fatalf("decodeFrame error %v does not wrap errTorn", err)
				}
				break
			}
			if n < 8 || off+n > len(data) {
				t.Fatalf("frame at %d claims %d bytes of %d", off, n, len(data)-off)
			}
			if again := encodeFrame(nil, rec); !bytes.Equal(again, data[off:off+n]) {
				t.Fatalf("frame at %d does not encode back to its bytes", off)
			}
			want = append(want, rec)
			off += n
		}
		rest := data[off:]
		var wantTorn int64
		if first := slices.IndexFunc(rest, func(c byte) bool { return c != 0 }); first >= 0 {
			wantTorn = int64(len(rest))
			if first >= 8 {
				wantTorn = int64(len(rest) - first)
			}
		}

		var got []*record
		torn, err := scanFrames(bytes.NewReader(data), func(rec *record, size int) error {
			got = append(got, rec)
			return nil
		})
		if err != nil {
			t.Fatalf("scanFrames = %v", err)
		}
		if torn != wantTorn || len(got) != len(want) {
			t.Fatalf("scanFrames: %d records, %d torn bytes; decoding in memory: %d, %d", len(got), torn, len(want), wantTorn)
		}
		for i := range got {
			if got[i].id != want[i].id || !bytes.Equal(got[i].summary, want[i].summary) || !bytes.Equal(got[i].bodies, want[i].bodies) {
				t.Fatalf("record %d differs between scanFrames and decodeFrame", i)
			}
		}
	})
}

func openDBForFuzz(f *testing.F) *bolt.DB {
	db, _ := openDB(f)
	return db
}

// TestJournalTrims writes well past journalTrim: the writer empties the
// file once the folder has caught up, so it stays near the trim size, and
// nothing is lost or stored twice across a reopen.
func TestJournalTrims(t *testing.T) {
	db, _ := openDB(t)
	jpath := filepath.Join(t.TempDir(), "history.journal")
	h := newHistory(t, db, Config{Journal: jpath, BodyCap: 64 << 10, MaxEntries: 1000})
	body := strings.Repeat("b", 60<<10)
	const n = 200 // about 12 MiB of frames, three times journalTrim
	var largest int64
	for i := range n {
		d := detail("GET", "/api/v1/catalog", 404, fmt.Sprintf("trim-%d", i))
		d.Response.Body = body
		mustAppend(t, h, d)
		if fi, err := os.Stat(jpath); err == nil {
			largest = max(largest, fi.Size())
		}
	}
	t.Logf("largest journal: %d bytes", largest)
	if largest > journalTrim+journalChunk+(64<<10) {
		t.Errorf("the journal grew to %d bytes, want it emptied past %d", largest, journalTrim)
	}
	h.Close()
	if fi, err := os.Stat(jpath); err != nil || fi.Size() != 0 {
		t.Errorf("journal after Close: %v, %v; want empty", fi, err)
	}
	h2 := newHistory(t, db, Config{Journal: jpath, MaxEntries: 1000})
	if c, _ := h2.Count(); c != n {
		t.Errorf("Count after reopening = %d, want %d", c, n)
	}
	for _, i := range []int{0, n / 2, n - 1} {
		assertStoredOnce(t, h2, fmt.Sprintf("trim-%d", i), 1)
	}
}

// TestJournalOverwritesZeros checks the file's layout: it is extended a
// zero-filled chunk at a time and appends overwrite those zeros, so small
// appends leave its size alone. A copy taken while it is open (what a crash
// leaves: frames, then zeros) replays every frame into a fresh database
// without a warning about a torn end; the same copy with half a frame
// after the last one gets that warning and loses only the half frame.
func TestJournalOverwritesZeros(t *testing.T) {
	db, _ := openDB(t)
	jpath := filepath.Join(t.TempDir(), "history.journal")
	h := newHistory(t, db, Config{Journal: jpath})
	const n = 100
	for i := range n {
		mustAppend(t, h, detail("GET", "/api/v1/catalog", 503, fmt.Sprintf("zero-%d", i)))
		fi, err := os.Stat(jpath)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() != journalChunk {
			t.Fatalf("after %d appends the journal is %d bytes, want %d", i+1, fi.Size(), journalChunk)
		}
	}
	data, err := os.ReadFile(jpath)
	if err != nil {
		t.Fatal(err)
	}
	h.Close()
	end := 0
	for !cleanEnd(data[end:]) {
		_, size, err := decodeFrame(data[end:])
		if err != nil {
			t.Fatalf("frame at %d: %v", end, err)
		}
		end += size
	}

	scratch := newHistory(t, db, Config{})
	torn, _ := journalFrames(t, scratch, 1, "torn")
	scratch.Close()
	withTorn := slices.Clone(data)
	copy(withTorn[end:], torn[:len(torn)/2])

	for _, tc := range []struct {
		name    string
		content []byte
		warn    bool
	}{{"clean", data, false}, {"torn", withTorn, true}} {
		t.Run(tc.name, func(t *testing.T) {
			fresh, _ := openDB(t)
			var log testutil.SyncBuffer
			h := openOnJournal(t, fresh, filepath.Join(t.TempDir(), "history.journal"), tc.content, Config{Logger: logTo(&log)})
			if c, _ := h.Count(); c != n {
				t.Errorf("Count after replay = %d, want %d", c, n)
			}
			for _, i := range []int{0, n / 2, n - 1} {
				assertStoredOnce(t, h, fmt.Sprintf("zero-%d", i), 1)
			}
			if got := strings.Contains(log.String(), "unfinished end of the journal"); got != tc.warn {
				t.Errorf("torn-end warning logged = %v, want %v; log:\n%s", got, tc.warn, log.String())
			}
		})
	}
}

// TestJournalReplayInBatches replays journals past one replay batch — by
// count (more than maxGroup frames) and by bytes (more than replayBatch) —
// and checks every entry is stored once, the log reports the total, and
// new ids continue after the last replayed one.
func TestJournalReplayInBatches(t *testing.T) {
	big := strings.Repeat("r", 60<<10)
	for _, tc := range []struct {
		name string
		n    int
		body string
	}{
		{"by count", 2*maxGroup + 17, ""},
		{"by bytes", replayBatch/len(big) + 40, big},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, _ := openDB(t)
			scratch := newHistory(t, db, Config{BodyCap: 64 << 10})
			var content []byte
			for i := range tc.n {
				d := detail("GET", "/api/v1/catalog", 503, fmt.Sprintf("batch-%d", i))
				d.Response.Body = tc.body
				rec, err := scratch.prepare(d)
				if err != nil {
					t.Fatal(err)
				}
				rec.assign(scratch.ids.next(time.Now()))
				content = encodeFrame(content, rec)
			}
			scratch.Close()
			content = append(content, make([]byte, 4096)...) // the zeros after the frames

			var log testutil.SyncBuffer
			h := openOnJournal(t, db, filepath.Join(t.TempDir(), "history.journal"), content, Config{Logger: logTo(&log)})
			if c, _ := h.Count(); c != tc.n {
				t.Errorf("Count = %d, want %d", c, tc.n)
			}
			for _, i := range []int{0, maxGroup - 1, maxGroup, tc.n - 1} {
				rid := fmt.Sprintf("batch-%d", i)
				if res, err := h.List(rpc.HistoryListParams{RequestID: rid}); i < tc.n && (err != nil || len(res.Entries) != 1) {
					t.Errorf("List(requestId=%s) = %d entries, %v; want 1", rid, len(res.Entries), err)
				}
			}
			checkIndexes(t, h)
			if want := fmt.Sprintf("replayed=%d", tc.n); !strings.Contains(log.String(), want) {
				t.Errorf("log does not say %s:\n%s", want, log.String())
			}
			if strings.Contains(log.String(), "unfinished end") {
				t.Errorf("a clean journal was reported torn:\n%s", log.String())
			}
			last, err := h.GetByRequestID(fmt.Sprintf("batch-%d", tc.n-1))
			if err != nil {
				t.Fatal(err)
			}
			if e := mustAppend(t, h, detail("GET", "/api/v1/after", 200, "after")); e.ID <= last.ID {
				t.Errorf("id after replay %s, last replayed %s: want larger", e.ID, last.ID)
			}
		})
	}
}
