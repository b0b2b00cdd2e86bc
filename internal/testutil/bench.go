package testutil

import (
	"slices"
	"time"
)

// Median sorts d in place and returns its middle value (benchmarks report
// medians of interleaved series).
func Median(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}
