// Package buildinfo reports aliasd's version and build identity.
package buildinfo

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"runtime/debug"
	"sync"
)

// version is set with -ldflags "-X github.com/aliasd/aliasd/internal/buildinfo.version=v1.2.3".
var version = ""

var versionOnce = sync.OnceValue(computeVersion)

// Version returns the release version, or the module version, or "dev".
func Version() string { return versionOnce() }

func computeVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			return v
		}
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if len(rev) >= 12 {
			v := "dev-" + rev[:12]
			if dirty {
				v += "-dirty"
			}
			return v
		}
	}
	return "dev"
}

var (
	idOnce sync.Once
	id     string
)

// ID returns a short hash identifying this exact binary: two different
// builds never share it, so a rebuilt aliasd never talks to an old daemon.
func ID() string {
	idOnce.Do(func() {
		h := sha256.New()
		io.WriteString(h, Version())
		if exe, err := os.Executable(); err == nil {
			if f, err := os.Open(exe); err == nil {
				io.Copy(h, f)
				f.Close()
			}
		}
		id = hex.EncodeToString(h.Sum(nil))[:12]
	})
	return id
}
