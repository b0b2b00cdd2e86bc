package store

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// States written into the lock file.
const (
	stateOpen    = "open"
	stateClosed  = "closed"
	stateDamaged = "damaged"
)

// lockInfo is what the lock file says about its last writer.
type lockInfo struct {
	pid   int
	state string // "" when the file is new or unreadable
}

func lockPath(path string) string { return path + ".lock" }

// acquireLock takes an exclusive lock on path.lock, waiting at most
// timeout, and returns what the previous owner left in it. The lock
// serialises whole opens (crash-marker handling included) between
// processes; bbolt's own lock on the data file stays in place too.
func acquireLock(path string, timeout time.Duration) (*os.File, lockInfo, error) {
	f, err := os.OpenFile(lockPath(path), os.O_RDWR|os.O_CREATE, fileMode)
	if err != nil {
		return nil, lockInfo{}, fmt.Errorf("opening lock file: %w", err)
	}
	deadline := time.Now().Add(timeout)
	wait := 5 * time.Millisecond
	for {
		locked, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, lockInfo{}, fmt.Errorf("locking %s: %w", lockPath(path), err)
		}
		if locked {
			break
		}
		if time.Now().After(deadline) {
			info := readLockInfo(f)
			f.Close()
			return nil, lockInfo{}, &LockedError{Path: path, PID: info.pid}
		}
		time.Sleep(wait)
		wait = min(wait*2, 100*time.Millisecond)
	}
	return f, readLockInfo(f), nil
}

func readLockInfo(f *os.File) lockInfo {
	var buf [256]byte
	n, _ := f.ReadAt(buf[:], 0)
	var info lockInfo
	sc := bufio.NewScanner(bytes.NewReader(buf[:n]))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		switch key {
		case "pid":
			info.pid, _ = strconv.Atoi(val)
		case "state":
			info.state = val
		}
	}
	return info
}

// writeLockState records this process as the owner and the store's state.
func writeLockState(f *os.File, state string) error {
	content := fmt.Sprintf("pid %d\nstate %s\nsince %s\n", os.Getpid(), state, time.Now().UTC().Format(time.RFC3339))
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(content), 0)
	return err
}

func releaseLock(f *os.File) {
	if f == nil {
		return
	}
	_ = unlock(f)
	_ = f.Close()
}
