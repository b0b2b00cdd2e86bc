//go:build !unix

package store

import "os"

// On systems without flock the lock file only records the owner; bbolt's
// own lock on the data file (bounded by Options.Timeout) still excludes a
// second owner.
func tryLock(*os.File) (bool, error) { return true, nil }

func unlock(*os.File) error { return nil }
