package testutil

import (
	"slices"
	"testing"
	"time"
)

// Median sorts d in place and returns its middle value (benchmarks report
// medians of interleaved series).
func Median(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}

// Paired times an operation and its baseline alternately, b.N times each,
// so both see the same minutes of a shared, noisy machine. It reports
// "<name>-median-ns" and "<baseName>-median-ns", and their quotient as
// "ratio", and returns the two medians. Both functions get the iteration's
// index.
func Paired(b *testing.B, name string, op func(i int), baseName string, base func(i int)) (opMedian, baseMedian time.Duration) {
	b.Helper()
	ops, bases := make([]time.Duration, 0, b.N), make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		base(i)
		t1 := time.Now()
		op(i)
		t2 := time.Now()
		bases, ops = append(bases, t1.Sub(t0)), append(ops, t2.Sub(t1))
	}
	b.StopTimer()
	mo, mb := Median(ops), Median(bases)
	b.ReportMetric(float64(mo.Nanoseconds()), name+"-median-ns")
	b.ReportMetric(float64(mb.Nanoseconds()), baseName+"-median-ns")
	b.ReportMetric(float64(mo)/float64(mb), "ratio")
	return mo, mb
}
