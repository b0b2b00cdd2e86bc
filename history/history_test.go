package history

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/aliasd/aliasd/internal/testutil"
	"github.com/aliasd/aliasd/rpc"
)

func TestAppendGetRoundTrip(t *testing.T) {
	const bodyCap = 64
	db, _ := openDB(t)
	h := newHistory(t, db, Config{BodyCap: bodyCap, Version: "1.2.3"})
	start := time.Now().Add(-time.Second).UTC()
	tests := []struct {
		name          string
		reqBody       string
		respBody      string
		wantReqTrunc  bool
		wantRespTrunc bool
	}{
		{"small bodies", `{"a":1}`, `{"ok":true}`, false, false},
		{"exactly at cap", strings.Repeat("a", bodyCap), strings.Repeat("b", bodyCap), false, false},
		{"response over cap", "", strings.Repeat("x", 1000), false, true},
		{"both over cap", strings.Repeat("q", 200), strings.Repeat("r", 300), true, true},
		{"multibyte at the cut", "", strings.Repeat("é", 100), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := detail("get", "/api/v1/catalog/x", 200, "rid-"+tt.name)
			in.RequestIDs = []string{"rid-old-" + tt.name, "rid-" + tt.name}
			in.Time = start
			in.Request.Body = tt.reqBody
			in.Response.Body = tt.respBody
			in.Error = &rpc.APIError{Code: 3, CodeName: "INVALID_ARGUMENT", Message: "m",
				Details: []json.RawMessage{json.RawMessage(`{"@type":"x"}`)}}
			in.Diagnostic = &rpc.Diagnostic{Severity: rpc.SeverityWarning, Title: "t", Detail: "d", Hint: "h"}
			e := mustAppend(t, h, in)
			if in.ID != "" {
				t.Errorf("Append modified its input: ID = %q", in.ID)
			}
			if _, err := parseID(e.ID); err != nil {
				t.Errorf("Append id %q: %v", e.ID, err)
			}
			got, err := h.Get(e.ID)
			if err != nil {
				t.Fatalf("Get(%s) = %v", e.ID, err)
			}
			if got.Method != "GET" || got.Path != in.Path || got.Status != 200 || got.RequestID != in.RequestID {
				t.Errorf("Get = %+v, want method GET path %s status 200 rid %s", got.HistoryEntry, in.Path, in.RequestID)
			}
			if !got.Time.Equal(start) {
				t.Errorf("Get.Time = %v, want %v", got.Time, start)
			}
			if got.AliasdVersion != "1.2.3" {
				t.Errorf("Get.AliasdVersion = %q, want 1.2.3", got.AliasdVersion)
			}
			if got.Error == nil || got.Error.Message != "m" || len(got.Error.Details) != 1 || string(got.Error.Details[0]) != `{"@type":"x"}` {
				t.Errorf("Get.Error = %+v, want the input error", got.Error)
			}
			if got.Diagnostic == nil || *got.Diagnostic != *in.Diagnostic {
				t.Errorf("Get.Diagnostic = %+v, want %+v", got.Diagnostic, in.Diagnostic)
			}
			if fmt.Sprint(got.RequestIDs) != fmt.Sprint(in.RequestIDs) {
				t.Errorf("Get.RequestIDs = %v, want %v", got.RequestIDs, in.RequestIDs)
			}
			checkBody(t, "request", got.Request, tt.reqBody, tt.wantReqTrunc, bodyCap)
			checkBody(t, "response", got.Response, tt.respBody, tt.wantRespTrunc, bodyCap)
			if got.ResponseSize != int64(len(tt.respBody)) {
				t.Errorf("ResponseSize = %d, want %d", got.ResponseSize, len(tt.respBody))
			}
			if got.ID != e.ID || got.HistoryEntry.Path != e.Path {
				t.Errorf("Get(%s).ID = %s, want the id and summary Append returned", e.ID, got.ID)
			}
		})
	}
}

func checkBody(t *testing.T, which string, m rpc.HTTPMessage, orig string, wantTrunc bool, bodyCap int) {
	t.Helper()
	if m.Size != int64(len(orig)) {
		t.Errorf("%s.Size = %d, want %d", which, m.Size, len(orig))
	}
	if m.Truncated != wantTrunc {
		t.Errorf("%s.Truncated = %v, want %v", which, m.Truncated, wantTrunc)
	}
	if !wantTrunc {
		if m.Body != orig {
			t.Errorf("%s.Body = %q, want %q", which, m.Body, orig)
		}
		return
	}
	kept, marker, ok := strings.Cut(m.Body, TruncationMarkerPrefix)
	if !ok {
		t.Fatalf("%s.Body = %q, want a truncation marker", which, m.Body)
	}
	if len(kept) > bodyCap || !strings.HasPrefix(orig, kept) || len(kept) < bodyCap-3 {
		t.Errorf("%s kept %d bytes %q, want a prefix of the original of about %d bytes", which, len(kept), kept, bodyCap)
	}
	if want := fmt.Sprintf("%d of %d bytes kept", len(kept), len(orig)); !strings.Contains(marker, want) {
		t.Errorf("%s marker = %q, want it to say %q", which, marker, want)
	}
	if !json.Valid([]byte(jsonString(m.Body))) {
		t.Errorf("%s body is not valid UTF-8 text", which)
	}
}

func TestAppendRejectsBadInput(t *testing.T) {
	db, _ := openDB(t)
	h := newHistory(t, db, Config{})
	keep := mustAppend(t, h, detail("GET", "/api/v1/test", 200, "keep"))
	tests := []struct {
		name string
		d    *rpc.HistoryDetail
		want string
	}{
		{"nil", nil, "nil entry"},
		{"negative status", detail("GET", "/api/v1/test", -1, "r"), "status -1 out of range"},
		{"status too large", detail("GET", "/api/v1/test", 1000, "r"), "status 1000 out of range"},
		{"no method", detail(" ", "/api/v1/test", 200, "r"), "method is empty"},
		{"no path", detail("GET", "", 200, "r"), "path is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.Append(context.Background(), tt.d)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Append(%s) = %v, want an error containing %q", tt.name, err, tt.want)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Append(ctx, detail("GET", "/api/v1/test", 200, "r")); !errors.Is(err, context.Canceled) {
		t.Errorf("Append(cancelled ctx) = %v, want context.Canceled", err)
	}
	if n, err := h.Count(); n != 1 || err != nil {
		t.Errorf("Count() = %d, %v, want 1 (bad input stores nothing)", n, err)
	}
	if _, err := h.Get(keep.ID); err != nil {
		t.Errorf("Get(%s) after bad appends = %v", keep.ID, err)
	}
	h.Close()
	if _, err := h.Append(context.Background(), detail("GET", "/api/v1/test", 200, "r")); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close = %v, want ErrClosed", err)
	}
}

func TestLookup(t *testing.T) {
	db, _ := openDB(t)
	h := newHistory(t, db, Config{})
	retried := detail("GET", "/api/v1/orders", 200, "rid-final")
	retried.RequestIDs = []string{"rid-first", "rid-second", "rid-final"}
	retried.Attempts = 3
	e1 := mustAppend(t, h, retried)
	e2 := mustAppend(t, h, detail("GET", "/api/v1/catalog/a", 200, "rid-shared"))
	e3 := mustAppend(t, h, detail("GET", "/api/v1/catalog/a", 200, "rid-shared")) // a cache hit repeats the ID
	e4 := mustAppend(t, h, detail("GET", "/api/v1/catalog/ab", 404, "rid-shared-longer"))
	_ = e2
	tests := []struct {
		name, in string
		want     string // history id
		wantErr  error
	}{
		{"final attempt", "rid-final", e1.ID, nil},
		{"earlier attempt", "rid-first", e1.ID, nil},
		{"middle attempt", "rid-second", e1.ID, nil},
		{"shared id gives newest", "rid-shared", e3.ID, nil},
		{"longer id not confused with prefix", "rid-shared-longer", e4.ID, nil},
		{"history id", e1.ID, e1.ID, nil},
		{"history id upper case", strings.ToUpper(e4.ID), e4.ID, nil},
		{"surrounding space", "  rid-first\n", e1.ID, nil},
		{"unknown", "rid-nope", "", ErrNotFound},
		{"prefix of a request id", "rid-sha", "", ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := h.Lookup(tt.in)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("Lookup(%q) = %v, want %v", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || d.ID != tt.want {
				t.Errorf("Lookup(%q) = %v, %v, want %s", tt.in, d, err, tt.want)
			}
		})
	}
	t.Run("GetByRequestID", func(t *testing.T) {
		d, err := h.GetByRequestID("rid-second")
		if err != nil || d.ID != e1.ID {
			t.Errorf("GetByRequestID(rid-second) = %v, %v, want %s", d, err, e1.ID)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		var pe *ParamError
		if _, err := h.Lookup(" "); !errors.As(err, &pe) || pe.Field != "id" {
			t.Errorf("Lookup(blank) = %v, want a ParamError for id", err)
		}
		if _, err := h.Get("not-an-id"); !errors.As(err, &pe) || pe.Field != "id" {
			t.Errorf("Get(not-an-id) = %v, want a ParamError for id", err)
		}
		if _, err := h.Get(formatID(1)); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(absent) = %v, want ErrNotFound", err)
		}
		if _, err := h.GetByRequestID("a\x00b"); !errors.As(err, &pe) || pe.Field != "requestId" {
			t.Errorf("GetByRequestID(NUL) = %v, want a ParamError for requestId", err)
		}
	})
}

func TestIDs(t *testing.T) {
	tests := []uint64{0, 1, 31, 32, 1 << 40, uint64(time.Now().UnixNano()), ^uint64(0)}
	prev := ""
	for _, v := range tests {
		s := formatID(v)
		got, err := parseID(s)
		if err != nil || got != v {
			t.Errorf("parseID(formatID(%d)=%q) = %d, %v", v, s, got, err)
		}
		if prev != "" && s <= prev {
			t.Errorf("formatID(%d) = %q sorts before %q", v, s, prev)
		}
		prev = s
	}
	for _, bad := range []string{"", "abc", "zzzzzzzzzzzzz", "0000000000u00", "00000000000000"} {
		if _, err := parseID(bad); err == nil {
			t.Errorf("parseID(%q) = nil error, want an error", bad)
		}
	}
}

func TestReopenKeepsIDsIncreasing(t *testing.T) {
	db, _ := openDB(t)
	clk := testutil.NewClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	h := newHistory(t, db, Config{Now: clk.Now})
	first := mustAppend(t, h, detail("GET", "/api/v1/test", 200, "a"))
	h.Close()
	clk.Advance(-time.Hour) // the clock went backwards across the restart
	h2 := newHistory(t, db, Config{Now: clk.Now})
	second := mustAppend(t, h2, detail("GET", "/api/v1/test", 200, "b"))
	if second.ID <= first.ID {
		t.Errorf("id after reopen = %s, want > %s", second.ID, first.ID)
	}
	if n, _ := h2.Count(); n != 2 {
		t.Errorf("Count after reopen = %d, want 2", n)
	}
}

func TestConcurrentAppends(t *testing.T) {
	db, _ := openDB(t)
	h := newHistory(t, db, Config{})
	const writers, each = 64, 8
	var mu sync.Mutex
	ids := map[string]bool{}
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				e, err := h.Append(context.Background(), detail("GET", "/api/v1/test", 200, fmt.Sprintf("w%d-%d", w, i)))
				if err != nil {
					t.Errorf("Append = %v", err)
					return
				}
				mu.Lock()
				if ids[e.ID] {
					t.Errorf("duplicate id %s", e.ID)
				}
				ids[e.ID] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if n, _ := h.Count(); n != writers*each || len(ids) != writers*each {
		t.Errorf("Count = %d, ids = %d, want %d", n, len(ids), writers*each)
	}
	for w := 0; w < writers; w++ {
		if _, err := h.GetByRequestID(fmt.Sprintf("w%d-%d", w, each-1)); err != nil {
			t.Errorf("GetByRequestID(w%d) = %v", w, err)
		}
	}
}

func TestBatchIdempotent(t *testing.T) {
	db, _ := openDB(t)
	h := newHistory(t, db, Config{})
	t.Run("function run twice in one transaction", func(t *testing.T) {
		rec, err := h.prepare(detail("GET", "/api/v1/test", 404, "twice"))
		if err != nil {
			t.Fatal(err)
		}
		rec.assign(h.ids.next(time.Now()))
		fn := h.putFunc(rec)
		if err := db.Update(func(tx *bolt.Tx) error {
			if err := fn(tx); err != nil {
				return err
			}
			return fn(tx)
		}); err != nil {
			t.Fatalf("Update(fn twice) = %v", err)
		}
		assertStoredOnce(t, h, "twice", 1)
	})
	n := 1
	for _, mode := range []struct {
		name string
		mode commitMode
	}{{"group", commitGroup}, {"db.Batch", commitBatch}} {
		t.Run("retried after a failure/"+mode.name, func(t *testing.T) {
			// The first run of each function fails after writing, so the
			// transaction rolls back and the function runs again.
			var mu sync.Mutex
			runs := map[uint64]int{}
			h.mode = mode.mode
			h.afterPut = func(rec *record) error {
				id := rec.id
				mu.Lock()
				defer mu.Unlock()
				runs[id]++
				if runs[id] == 1 {
					return errors.New("injected failure")
				}
				return nil
			}
			defer func() { h.afterPut, h.mode = nil, commitGroup }()
			var wg sync.WaitGroup
			for i := 0; i < 8; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := h.Append(context.Background(), detail("GET", "/api/v1/test", 500, fmt.Sprintf("retried-%s-%d", mode.name, i))); err != nil {
						t.Errorf("Append = %v", err)
					}
				}()
			}
			wg.Wait()
			h.settle() // with a journal, the puts run after Append returns
			mu.Lock()
			if len(runs) != 8 {
				t.Errorf("%d put functions ran, want 8", len(runs))
			}
			for id, n := range runs {
				if n < 2 {
					t.Errorf("put function for %s ran %d times, want ≥ 2", formatID(id), n)
				}
			}
			mu.Unlock()
			for i := 0; i < 8; i++ {
				assertStoredOnce(t, h, fmt.Sprintf("retried-%s-%d", mode.name, i), 1)
			}
			n += 8
			if got, _ := h.Count(); got != n {
				t.Errorf("Count = %d, want %d", got, n)
			}
		})
	}
}

// assertStoredOnce checks one entry with rid and that every index agrees.
func assertStoredOnce(t *testing.T, h *History, rid string, _ int) {
	t.Helper()
	res, err := h.List(rpc.HistoryListParams{RequestID: rid})
	if err != nil || len(res.Entries) != 1 {
		t.Fatalf("List(requestId=%s) = %d entries, %v, want 1", rid, len(res.Entries), err)
	}
	status := fmt.Sprint(res.Entries[0].Status)
	res, err = h.List(rpc.HistoryListParams{Status: status, ErrorsOnly: true, Text: "", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range res.Entries {
		if e.RequestID == rid {
			n++
		}
	}
	if n != 1 {
		t.Errorf("status/errors indexes list %s %d times, want 1", rid, n)
	}
}

func TestClearAndCount(t *testing.T) {
	db, _ := openDB(t)
	h := newHistory(t, db, Config{})
	for i := 0; i < 25; i++ {
		mustAppend(t, h, detail("GET", "/api/v1/test", 200+i%3*100, fmt.Sprint("c", i)))
	}
	if n, err := h.Count(); n != 25 || err != nil {
		t.Fatalf("Count = %d, %v, want 25", n, err)
	}
	if n, err := h.Clear(); n != 25 || err != nil {
		t.Errorf("Clear = %d, %v, want 25", n, err)
	}
	if n, _ := h.Count(); n != 0 {
		t.Errorf("Count after Clear = %d, want 0", n)
	}
	if res, _ := h.List(rpc.HistoryListParams{}); len(res.Entries) != 0 {
		t.Errorf("List after Clear = %d entries, want 0", len(res.Entries))
	}
	if _, err := h.GetByRequestID("c3"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetByRequestID after Clear = %v, want ErrNotFound", err)
	}
	e := mustAppend(t, h, detail("GET", "/api/v1/test", 200, "after"))
	if d, err := h.Lookup("after"); err != nil || d.ID != e.ID {
		t.Errorf("Lookup after Clear+Append = %v, %v", d, err)
	}
}

func TestSchema(t *testing.T) {
	t.Run("newer file refused", func(t *testing.T) {
		db, _ := openDB(t)
		if err := db.Update(func(tx *bolt.Tx) error {
			b, _ := tx.CreateBucketIfNotExists(bucketMeta)
			return putUint(b, keySchema, 99)
		}); err != nil {
			t.Fatal(err)
		}
		_, err := Open(Config{DB: db, PruneInterval: -1})
		if !errors.Is(err, ErrSchemaTooNew) {
			t.Errorf("Open(schema 99) = %v, want ErrSchemaTooNew", err)
		}
	})
	t.Run("custom migrate", func(t *testing.T) {
		db, _ := openDB(t)
		var got string
		var steps int
		mig := func(component string, s []Migration) error {
			got, steps = component, len(s)
			return db.Update(func(tx *bolt.Tx) error {
				for _, st := range s {
					if err := st.Apply(tx); err != nil {
						return err
					}
				}
				return nil
			})
		}
		h := newHistory(t, db, Config{Migrate: mig})
		if got != "history" || steps != len(schema) {
			t.Errorf("Migrate called with %q, %d steps; want history, %d", got, steps, len(schema))
		}
		mustAppend(t, h, detail("GET", "/api/v1/test", 200, "m"))
	})
	t.Run("failing migrate", func(t *testing.T) {
		db, _ := openDB(t)
		_, err := Open(Config{DB: db, PruneInterval: -1, Migrate: func(string, []Migration) error { return errors.New("boom") }})
		if err == nil || !strings.Contains(err.Error(), "boom") {
			t.Errorf("Open(failing migrate) = %v, want boom", err)
		}
	})
	t.Run("no db", func(t *testing.T) {
		if _, err := Open(Config{}); err == nil {
			t.Error("Open(no DB) = nil error")
		}
	})
}

func TestFailingEntryDoesNotFailItsGroup(t *testing.T) {
	if os.Getenv(journalEnv) != "" {
		t.Skip("with a journal the caller is answered before the put runs; TestJournalFailingEntry covers that mode")
	}
	db, _ := openDB(t)
	h := newHistory(t, db, Config{})
	h.afterPut = func(rec *record) error {
		if strings.HasSuffix(rec.entry.RequestID, "-poison") {
			return errors.New("this entry cannot be stored")
		}
		return nil
	}
	var wg sync.WaitGroup
	var failures atomic.Int64
	for round := 0; round < 5; round++ {
		for i := 0; i < 16; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rid := fmt.Sprintf("grp-%d-%d", round, i)
				if i == 7 {
					rid += "-poison"
				}
				if _, err := h.Append(context.Background(), detail("GET", "/api/v1/test", 200, rid)); err != nil {
					if !strings.Contains(err.Error(), "cannot be stored") {
						t.Errorf("Append = %v, want the injected error", err)
					}
					failures.Add(1)
				}
			}()
		}
		wg.Wait()
	}
	if failures.Load() != 5 {
		t.Errorf("%d appends failed, want exactly the 5 poisoned ones", failures.Load())
	}
	if n, _ := h.Count(); n != 5*15 {
		t.Errorf("Count = %d, want %d", n, 5*15)
	}
	checkIndexes(t, h)
}

func TestCloseDuringAppends(t *testing.T) {
	db, _ := openDB(t)
	h := newHistory(t, db, Config{})
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	started := make(chan struct{}, 16)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				e, err := h.Append(context.Background(), detail("GET", "/api/v1/test", 200, fmt.Sprintf("close-%d-%d", w, i)))
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					t.Errorf("Append = %v", err)
					return
				}
				mu.Lock()
				acked = append(acked, e.ID)
				mu.Unlock()
				if i == 0 {
					started <- struct{}{}
				}
			}
		}()
	}
	for w := 0; w < 16; w++ {
		<-started
	}
	h.Close()
	wg.Wait()
	h2 := newHistory(t, db, Config{})
	for _, id := range acked {
		if _, err := h2.Get(id); err != nil {
			t.Errorf("acknowledged %s: Get after Close = %v", id, err)
		}
	}
	if n, _ := h2.Count(); n != len(acked) {
		t.Errorf("Count = %d, want the %d acknowledged appends", n, len(acked))
	}
}

// TestWriterPanicAnswersItsGroup: a panic while an appender writes a group
// reaches that appender (the RPC layer recovers it) and every other
// appender of the group gets an error instead of waiting forever; the
// next append works.
func TestWriterPanicAnswersItsGroup(t *testing.T) {
	db, _ := openDB(t)
	// Opened directly: a journal would move the put functions, and so the
	// panic, into the folder.
	h, err := Open(Config{DB: db, PruneInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	// Not deferred: with an appender stuck, Close would wait for it.
	var armed atomic.Bool
	armed.Store(true)
	h.afterPut = func(rec *record) error {
		if armed.Load() && rec.entry.RequestID == "boom" {
			panic("injected")
		}
		return nil
	}
	const n = 8
	h.writer <- struct{}{} // hold the slot so that all n queue as one group
	results := make(chan error, n)
	for i := range n {
		rid := fmt.Sprint("group-", i)
		if i == n/2 {
			rid = "boom"
		}
		go func() {
			defer func() {
				if r := recover(); r != nil {
					results <- fmt.Errorf("panic: %v", r)
				}
			}()
			_, err := h.Append(context.Background(), detail("GET", "/api/v1/catalog", 200, rid))
			results <- err
		}()
	}
	for queued := 0; queued < n; {
		h.enqMu.Lock()
		queued = len(h.queue)
		h.enqMu.Unlock()
		time.Sleep(time.Millisecond)
	}
	<-h.writer
	panics := 0
	for range n {
		select {
		case err := <-results:
			if err == nil {
				t.Error("an append of the panicking group succeeded")
			} else if strings.HasPrefix(err.Error(), "panic:") {
				panics++
			}
		case <-time.After(30 * time.Second):
			t.Fatal("an append of the panicking group was never answered")
		}
	}
	if panics != 1 {
		t.Errorf("%d appenders saw the panic, want 1 (the writer)", panics)
	}
	armed.Store(false)
	mustAppend(t, h, detail("GET", "/api/v1/catalog", 200, "after"))
	if c, _ := h.Count(); c != 1 {
		t.Errorf("Count = %d, want 1 (only the append after the panic)", c)
	}
	h.Close()
}
