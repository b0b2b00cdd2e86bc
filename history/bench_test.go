package history

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/aliasd/aliasd/internal/testutil"
	"github.com/aliasd/aliasd/rpc"
)

// The benchmarks share one 1 000 000-entry history, built once per run in a
// temporary directory with large transactions. Run them with, e.g.:
//
//	go test -run '^$' -bench . -benchtime 2s ./history

// bigEntries is 1 000 000; ALIASD_BENCH_ENTRIES overrides it for a quick
// smoke run of the benchmark code.
var bigEntries = func() int {
	if n, err := strconv.Atoi(os.Getenv("ALIASD_BENCH_ENTRIES")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}()

var bench struct {
	once  sync.Once
	err   error
	dir   string
	path  string
	db    *bolt.DB
	h     *History
	rids  []string // a sample of stored request IDs, earlier attempts included
	build time.Duration
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.h != nil {
		bench.h.Close()
	}
	if bench.db != nil {
		bench.db.Close()
	}
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

// bigConfig keeps every entry of the built history: no pruning.
func bigConfig(db *bolt.DB) Config {
	return Config{DB: db, MaxEntries: 10 * bigEntries, MaxAge: 10 * 365 * 24 * time.Hour, PruneInterval: -1}
}

// bigHistory returns the shared history, building it on first use.
func bigHistory(b *testing.B) *History {
	b.Helper()
	if testing.Short() {
		b.Skip("builds a 1 000 000-entry history")
	}
	bench.once.Do(func() { bench.err = buildBig() })
	if bench.err != nil {
		b.Fatalf("building the history: %v", bench.err)
	}
	if bench.h == nil {
		if err := openBig(); err != nil {
			b.Fatal(err)
		}
	}
	return bench.h
}

func openBig() error {
	db, err := bolt.Open(bench.path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return err
	}
	h, err := Open(bigConfig(db))
	if err != nil {
		db.Close()
		return err
	}
	bench.db, bench.h = db, h
	return nil
}

func closeBig() {
	bench.h.Close()
	bench.db.Close()
	bench.h, bench.db = nil, nil
}

// syntheticDetail is a plausible call: mostly 200s, some 4xx/5xx and
// network failures, a UUID-like request ID, a response body of about 500
// bytes.
func syntheticDetail(r *rand.Rand, i int) *rpc.HistoryDetail {
	paths := []string{"/api/v1/catalog", "/api/v1/catalog/dunk-low-%d", "/api/v1/pricing_insights/availability",
		"/api/v1/listings", "/api/v1/listings/%d", "/api/v1/orders/%d", "/api/v1/test"}
	p := paths[r.IntN(len(paths))]
	if strings.Contains(p, "%d") {
		p = fmt.Sprintf(p, r.IntN(5000))
	}
	status := 200
	switch x := r.IntN(100); {
	case x < 5:
		status = 404
	case x < 9:
		status = 400
	case x < 11:
		status = 429
	case x < 13:
		status = 503
	case x < 14:
		status = 0
	case x < 15:
		status = 403
	}
	rid := fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint64()&0xffffffffffff)
	d := detail("GET", p, status, rid)
	if status == 0 {
		d.RequestID = ""
		d.Diagnostic = &rpc.Diagnostic{Severity: "error", Title: "Connection refused", Detail: "dial tcp 127.0.0.1:443"}
	} else if status >= 400 {
		d.Diagnostic = &rpc.Diagnostic{Severity: "error", Title: fmt.Sprintf("HTTP %d", status), Detail: "see the API error", Hint: "quote the request ID"}
	}
	if status == 503 {
		d.RequestIDs = []string{rid + "-a1", rid}
		d.Attempts = 2
	}
	d.Fingerprint = "sha256:1f2e3d4c"
	d.Query = fmt.Sprintf("limit=%d", 10+r.IntN(40))
	if status == 200 {
		d.Response.Body = fmt.Sprintf(`{"catalog_item":{"catalog_id":"dunk-low-%d","name":"Dunk Low Retro","sku":"DD1391 100","brand":"Nike","gender":"men","release_date":"2021-03-10T23:59:59.999Z","product_category":"shoes","product_type":"sneakers","size_unit":"SIZE_UNIT_US","allowed_sizes":[{"display_name":"7","value":7,"us_size_equivalent":7},{"display_name":"8","value":8,"us_size_equivalent":8}],"minimum_listing_price_cents":"2500","maximum_listing_price_cents":"200000","retail_price_cents":"11000","main_picture_url":"https://image.alias.org/%d.png"}}`, i, i)
	}
	return d
}

// buildBig writes bigEntries entries spread over the last 60 days, 20 000
// per transaction.
func buildBig() error {
	start := time.Now()
	dir, err := os.MkdirTemp("", "aliasd-history-bench-")
	if err != nil {
		return err
	}
	bench.dir, bench.path = dir, filepath.Join(dir, "aliasd.db")
	db, err := bolt.Open(bench.path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return err
	}
	clk := testutil.NewClock(time.Now().Add(-60 * 24 * time.Hour))
	step := 60 * 24 * time.Hour / time.Duration(bigEntries)
	cfg := bigConfig(db)
	cfg.Now = clk.Now
	h, err := Open(cfg)
	if err != nil {
		db.Close()
		return err
	}
	r := rand.New(rand.NewPCG(1, 2))
	const perTx = 20000
	for i := 0; i < bigEntries; i += perTx {
		recs := make([]*record, 0, perTx)
		for j := i; j < min(i+perTx, bigEntries); j++ {
			clk.Advance(step)
			d := syntheticDetail(r, j)
			d.Time = clk.Now().Add(-time.Duration(d.DurationMs) * time.Millisecond)
			rec, err := h.prepare(d)
			if err != nil {
				return err
			}
			rec.assign(h.ids.next(clk.Now()))
			recs = append(recs, rec)
			if j%100 == 0 {
				bench.rids = append(bench.rids, rec.rids...)
			}
		}
		if err := db.Update(func(tx *bolt.Tx) error {
			for _, rec := range recs {
				if err := h.putFunc(rec)(tx); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	h.Close()
	bench.db, bench.h = db, nil
	if bench.h, err = Open(bigConfig(db)); err != nil {
		return err
	}
	bench.build = time.Since(start)
	fmt.Fprintf(os.Stderr, "built a %d-entry history in %v\n", bigEntries, bench.build.Round(time.Millisecond))
	return nil
}

// BenchmarkBytesPerEntry reports the file size and used pages per entry.
func BenchmarkBytesPerEntry(b *testing.B) {
	h := bigHistory(b)
	b.ResetTimer()
	for range b.N {
	}
	n, err := h.Count()
	if err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(bench.path)
	if err != nil {
		b.Fatal(err)
	}
	var used int64
	h.db.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
	b.ReportMetric(float64(n), "entries")
	b.ReportMetric(float64(fi.Size())/float64(n), "file-B/entry")
	b.ReportMetric(float64(used)/float64(n), "used-B/entry")
}

// BenchmarkLookupRequestID looks up stored request IDs (a sample of the
// history, earlier attempts included) and reports the median and p99.
func BenchmarkLookupRequestID(b *testing.B) {
	h := bigHistory(b)
	r := rand.New(rand.NewPCG(3, 4))
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		rid := bench.rids[r.IntN(len(bench.rids))]
		t0 := time.Now()
		d, err := h.GetByRequestID(rid)
		lat = append(lat, time.Since(t0))
		if err != nil || !hasRID(&d.HistoryEntry, rid) {
			b.Fatalf("GetByRequestID(%s) = %v", rid, err)
		}
	}
	b.StopTimer()
	reportQuantiles(b, lat)
}

// BenchmarkLookupRequestIDList is the same lookup through List.
func BenchmarkLookupRequestIDList(b *testing.B) {
	h := bigHistory(b)
	r := rand.New(rand.NewPCG(5, 6))
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		rid := bench.rids[r.IntN(len(bench.rids))]
		t0 := time.Now()
		res, err := h.List(rpc.HistoryListParams{RequestID: rid})
		lat = append(lat, time.Since(t0))
		if err != nil || len(res.Entries) == 0 {
			b.Fatalf("List(requestId=%s) = %d, %v", rid, len(res.Entries), err)
		}
	}
	b.StopTimer()
	reportQuantiles(b, lat)
}

func reportQuantiles(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Nanoseconds()) }
	b.ReportMetric(q(0.5), "median-ns")
	b.ReportMetric(q(0.99), "p99-ns")
}

// BenchmarkListFirstPage runs the first page (50 entries) of common
// queries.
func BenchmarkListFirstPage(b *testing.B) {
	h := bigHistory(b)
	for _, c := range []struct {
		name string
		p    rpc.HistoryListParams
	}{
		{"all", rpc.HistoryListParams{}},
		{"errorsOnly", rpc.HistoryListParams{ErrorsOnly: true}},
		{"status=404", rpc.HistoryListParams{Status: "404"}},
		{"status=5xx", rpc.HistoryListParams{Status: "5xx"}},
		{"lastHour", rpc.HistoryListParams{Since: time.Now().Add(-time.Hour).Format(time.RFC3339)}},
		{"path=/listings", rpc.HistoryListParams{Path: "/listings"}},
		{"errorsOnly+path=/orders", rpc.HistoryListParams{ErrorsOnly: true, Path: "/orders"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				res, err := h.List(c.p)
				if err != nil || len(res.Entries) == 0 {
					b.Fatalf("List(%+v) = %d, %v", c.p, len(res.Entries), err)
				}
			}
		})
	}
}

// BenchmarkListFullScan is the worst case: a text filter that matches
// nothing reads every summary.
func BenchmarkListFullScan(b *testing.B) {
	h := bigHistory(b)
	for range b.N {
		res, err := h.List(rpc.HistoryListParams{Text: "matches-nothing-at-all"})
		if err != nil || len(res.Entries) != 0 {
			b.Fatalf("List(text) = %d, %v", len(res.Entries), err)
		}
	}
}

// BenchmarkOpen opens the bbolt file and the History, with the big history
// and with an empty one.
func BenchmarkOpen(b *testing.B) {
	bigHistory(b)
	emptyPath := filepath.Join(b.TempDir(), "empty.db")
	for _, c := range []struct{ name, path string }{{"empty", emptyPath}, {"1M", bench.path}} {
		b.Run(c.name, func(b *testing.B) {
			if c.path == bench.path {
				closeBig()
				defer func() {
					if err := openBig(); err != nil {
						b.Fatal(err)
					}
				}()
			}
			for range b.N {
				db, err := bolt.Open(c.path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
				if err != nil {
					b.Fatal(err)
				}
				h, err := Open(bigConfig(db))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := h.List(rpc.HistoryListParams{Limit: 1}); err != nil {
					b.Fatal(err)
				}
				h.Close()
				db.Close()
			}
		})
	}
}

// BenchmarkAppend64 appends from 64 goroutines with group commit,
// with bbolt's db.Batch (default MaxBatchDelay) and through the journal
// (the daemon's mode), beside the baseline of one db.Update (one fsync)
// per entry from the same 64 goroutines.
func BenchmarkAppend64(b *testing.B) {
	bigHistory(b)
	for _, c := range []struct {
		name    string
		mode    commitMode
		journal bool
	}{{"update-per-entry", commitUpdate, false}, {"db.Batch", commitBatch, false}, {"group", commitGroup, false}, {"journal", commitGroup, true}} {
		b.Run(c.name, func(b *testing.B) {
			h := bench.h // reopened by an earlier journal run
			if c.journal {
				// The same file, opened again with a journal beside it.
				closeBig()
				db, err := bolt.Open(bench.path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
				if err != nil {
					b.Fatal(err)
				}
				cfg := bigConfig(db)
				cfg.Journal = filepath.Join(filepath.Dir(bench.path), "history.journal")
				if h, err = Open(cfg); err != nil {
					b.Fatal(err)
				}
				defer func() {
					h.Close()
					db.Close()
					if err := openBig(); err != nil {
						b.Fatal(err)
					}
				}()
			}
			h.mode = c.mode
			defer func() { h.mode = commitGroup }()
			r := rand.New(rand.NewPCG(7, 8))
			details := make([]*rpc.HistoryDetail, 1024)
			for i := range details {
				details[i] = syntheticDetail(r, i)
			}
			b.SetParallelism((64 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			start := time.Now()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					if _, err := h.Append(context.Background(), details[i%len(details)]); err != nil {
						b.Error(err)
						return
					}
					i++
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "appends/s")
		})
	}
}

// BenchmarkAppendJournal measures what one call waits for: appends from a
// single goroutine, alternating between a History that commits to bbolt
// and one that answers from its journal (each on its own fresh file), and
// reports both medians and their ratio from the same run. The journal's
// folder runs meanwhile, as it does in the daemon.
func BenchmarkAppendJournal(b *testing.B) {
	dir := b.TempDir()
	open := func(name, journal string) *History {
		db, err := bolt.Open(filepath.Join(dir, name), 0o600, &bolt.Options{Timeout: 5 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		h, err := Open(Config{DB: db, Journal: journal, PruneInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { h.Close(); db.Close() })
		return h
	}
	direct := open("direct.db", "")
	journaled := open("journal.db", filepath.Join(dir, "history.journal"))
	r := rand.New(rand.NewPCG(3, 4))
	details := make([]*rpc.HistoryDetail, 256)
	for i := range details {
		details[i] = syntheticDetail(r, i)
	}
	appendTo := func(h *History) func(int) {
		return func(i int) {
			if _, err := h.Append(context.Background(), details[i%len(details)]); err != nil {
				b.Fatal(err)
			}
		}
	}
	testutil.Paired(b, "journal", appendTo(journaled), "direct", appendTo(direct))
}

// BenchmarkJournalSync is the measurement behind the journal's layout: a
// 2.6 KB record (a cache hit's entry with a catalog item's body) written
// and synced, alternating between appending to a file and overwriting
// zeros already written to one, both in the same directory.
func BenchmarkJournalSync(b *testing.B) {
	dir := b.TempDir()
	rec := make([]byte, 2600)
	appendTo, err := os.OpenFile(filepath.Join(dir, "append"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	defer appendTo.Close()
	zeroed, err := os.OpenFile(filepath.Join(dir, "zeroed"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	defer zeroed.Close()
	if _, err := zeroed.Write(make([]byte, (b.N+1)*len(rec))); err != nil {
		b.Fatal(err)
	}
	if err := zeroed.Sync(); err != nil {
		b.Fatal(err)
	}
	testutil.Paired(b, "overwrite", func(i int) {
		if _, err := zeroed.WriteAt(rec, int64(i*len(rec))); err != nil {
			b.Fatal(err)
		}
		if err := datasync(zeroed); err != nil {
			b.Fatal(err)
		}
	}, "append", func(int) {
		if _, err := appendTo.Write(rec); err != nil {
			b.Fatal(err)
		}
		if err := datasync(appendTo); err != nil {
			b.Fatal(err)
		}
	})
}
