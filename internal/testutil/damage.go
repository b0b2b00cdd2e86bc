package testutil

import (
	"bytes"
	"crypto/rand"
	"os"
	"testing"
)

// Ways to damage a closed bbolt file, shared by the store's and the
// daemon's damaged-file tests. Each fails the test if the file cannot be
// changed.

// PageSize is the page size bbolt uses for new files here.
var PageSize = int64(os.Getpagesize())

// Overwrite writes data at off in the file at path.
func Overwrite(t testing.TB, path string, off int64, data []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(data, off); err != nil {
		t.Fatal(err)
	}
}

// FileSize returns the size of the file at path.
func FileSize(t testing.TB, path string) int64 {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

// Truncate cuts the file at path to n bytes.
func Truncate(t testing.TB, path string, n int64) {
	t.Helper()
	if err := os.Truncate(path, n); err != nil {
		t.Fatal(err)
	}
}

// DamageMetas overwrites the checksummed part of both meta pages.
func DamageMetas(t testing.TB, path string) {
	t.Helper()
	junk := bytes.Repeat([]byte{0xAB}, 64)
	Overwrite(t, path, 32, junk)
	Overwrite(t, path, PageSize+32, junk)
}

// DamageAll replaces the whole file with random bytes of the same size.
func DamageAll(t testing.TB, path string) {
	t.Helper()
	junk := make([]byte, FileSize(t, path))
	rand.Read(junk)
	if err := os.WriteFile(path, junk, 0o600); err != nil {
		t.Fatal(err)
	}
}

// DamageDataPages fills everything behind the two meta pages with random
// bytes, leaving the metas valid.
func DamageDataPages(t testing.TB, path string) {
	t.Helper()
	junk := make([]byte, FileSize(t, path)-2*PageSize)
	rand.Read(junk)
	Overwrite(t, path, 2*PageSize, junk)
}
