//go:build unix

package tokens

import (
	"io/fs"
	"syscall"
)

// modesApply: Unix permission bits protect the token files.
const modesApply = true

// owner returns the uid that owns fi.
func owner(fi fs.FileInfo) (uid int, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

func inode(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}
