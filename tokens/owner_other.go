//go:build !unix

package tokens

import "io/fs"

// modesApply: elsewhere (Windows) the profile directory's ACLs protect the
// files; Unix mode bits mean nothing there.
const modesApply = false

func owner(fs.FileInfo) (int, bool) { return 0, false }

func inode(fs.FileInfo) uint64 { return 0 }
