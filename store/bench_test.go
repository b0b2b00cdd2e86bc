package store

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// BenchmarkOpen measures Open on a large file after a clean shutdown (no
// full check) and with the full check (what an unclean shutdown costs).
// ALIASD_BENCH_STORE_MB sets the file's payload size (default 64).
func BenchmarkOpen(b *testing.B) {
	mb := 64
	if v, err := strconv.Atoi(os.Getenv("ALIASD_BENCH_STORE_MB")); err == nil && v > 0 {
		mb = v
	}
	path := filepath.Join(b.TempDir(), "aliasd.db")
	s, err := Open(Options{Path: path})
	if err != nil {
		b.Fatal(err)
	}
	// Values of 2 KiB, like typical compressed cache bodies.
	populate(b, s, mb*512, 2048)
	if err := s.Check(); err != nil {
		b.Fatal(err)
	}
	s.Close()
	size, _ := os.Stat(path)
	b.Logf("file size %d MiB", size.Size()>>20)

	for _, c := range []struct {
		name   string
		always bool
	}{{"clean", false}, {"check", true}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				s, err := Open(Options{Path: path, AlwaysCheck: c.always})
				if err != nil {
					b.Fatal(err)
				}
				s.Close()
			}
		})
	}
}
