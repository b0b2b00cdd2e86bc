package tokens

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkCredential measures the per-request cost of resolving the active
// token (two stats of the token files to notice outside changes, then a
// map lookup). Baseline: one os.Stat of the same state file.
func BenchmarkCredential(b *testing.B) {
	ctx := context.Background()
	for _, mode := range []string{StorageMemory, StorageFile} {
		b.Run(mode, func(b *testing.B) {
			v, err := Open(Config{Dir: filepath.Join(b.TempDir(), "cfg"), Storage: mode})
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := v.Add(ctx, "work", fakePAT()); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Credential(ctx, ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("baseline-stat", func(b *testing.B) {
		p := filepath.Join(b.TempDir(), StateFile)
		os.WriteFile(p, []byte("{}"), 0o600)
		for b.Loop() {
			if _, err := os.Lstat(p); err != nil {
				b.Fatal(err)
			}
		}
	})
}
