package history

import (
	"os"

	"golang.org/x/sys/unix"
)

// datasync flushes f's data (and the size an append changed) to the disk.
func datasync(f *os.File) error { return unix.Fdatasync(int(f.Fd())) }
