package tokens

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const (
	// StateFile holds profile metadata, never a secret.
	StateFile = "tokens.json"
	// SecretFile holds the secrets of profiles with Storage "file".
	SecretFile = "tokens.secret.json"
	// tmpPrefix starts the temporary files of atomic writes.
	tmpPrefix = ".tokens-tmp-"

	dirMode  fs.FileMode = 0o700
	fileMode fs.FileMode = 0o600

	fileVersion = 1
)

// stateFile is the content of tokens.json.
type stateFile struct {
	Version  int                    `json:"version"`
	Active   string                 `json:"active,omitempty"`
	Profiles map[string]profileMeta `json:"profiles"`
}

type profileMeta struct {
	Storage     string    `json:"storage"`
	Fingerprint string    `json:"fingerprint"`
	Created     time.Time `json:"created"`
}

// secretFile is the content of tokens.secret.json.
type secretFile struct {
	Version int               `json:"version"`
	Note    string            `json:"note"`
	Tokens  map[string]string `json:"tokens"`
}

const secretFileNote = "aliasd keeps these personal access tokens in a plain file because the OS keyring was unavailable " +
	"or token_storage is \"file\"; keep this file private (mode 0600)"

// fileStamp identifies one version of a file, to skip re-reading it.
type fileStamp struct {
	exists bool
	size   int64
	mtime  time.Time
	ino    uint64
}

func stampOf(fi fs.FileInfo) fileStamp {
	return fileStamp{exists: true, size: fi.Size(), mtime: fi.ModTime(), ino: inode(fi)}
}

// secureDir creates dir with mode 0700, or checks an existing one: it must
// be a directory owned by the current user; group or other permissions are
// removed. A symbolic link to a directory is followed.
func secureDir(dir string) (fixed bool, err error) {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, dirMode); err != nil {
			return false, fmt.Errorf("creating token directory: %w", err)
		}
		// MkdirAll applies the umask; make the mode exact.
		return false, os.Chmod(dir, dirMode)
	}
	if err != nil {
		return false, fmt.Errorf("checking token directory: %w", err)
	}
	if !fi.IsDir() {
		return false, fmt.Errorf("%w: %s is not a directory", ErrInsecure, dir)
	}
	return secureMode(dir, fi, dirMode)
}

// secureMode refuses fi when another user owns it and removes permission
// bits beyond want.
func secureMode(path string, fi fs.FileInfo, want fs.FileMode) (fixed bool, err error) {
	if uid, ok := owner(fi); ok && uid != os.Geteuid() {
		return false, fmt.Errorf("%w: %s is owned by uid %d, not by the current user (uid %d); "+
			"fix its owner (chown) or move it away", ErrInsecure, path, uid, os.Geteuid())
	}
	if !modesApply || fi.Mode().Perm()&^want == 0 {
		return false, nil
	}
	if err := os.Chmod(path, fi.Mode().Perm()&want); err != nil {
		return false, fmt.Errorf("restricting the mode of %s: %w", path, err)
	}
	return true, nil
}

// readSecure reads a token file after checking it: it must be a regular
// file owned by the current user; group or other permissions are removed
// (reported in fixed). A missing file gives nil data and a zero stamp.
func readSecure(path string) (data []byte, st fileStamp, fixed bool, err error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fileStamp{}, false, nil
	}
	if err != nil {
		return nil, fileStamp{}, false, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fileStamp{}, false, fmt.Errorf("%w: %s is not a regular file (%s); move it away", ErrInsecure, path, fi.Mode().Type())
	}
	if fixed, err = secureMode(path, fi, fileMode); err != nil {
		return nil, fileStamp{}, false, err
	}
	data, err = os.ReadFile(path)
	if err != nil {
		return nil, fileStamp{}, fixed, err
	}
	return data, stampOf(fi), fixed, nil
}

// statFile returns the stamp of path (zero when missing).
func statFile(path string) (fileStamp, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fileStamp{}, nil
	}
	if err != nil {
		return fileStamp{}, err
	}
	return stampOf(fi), nil
}

// writeAtomic replaces dir/name with data: it writes a temporary file with
// mode 0600 in dir, syncs it, renames it over the target and syncs dir, so
// a crash leaves the old or the new file, never a mix.
func writeAtomic(dir, name string, data []byte) (err error) {
	f, err := os.CreateTemp(dir, tmpPrefix+name+"-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("writing %s: %w", name, err)
		}
	}()
	if err = f.Chmod(fileMode); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	return nil
}

// removeStaleTemps deletes temporary files left by an interrupted write;
// they may hold plain-text tokens.
func removeStaleTemps(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tmpPrefix) && e.Type().IsRegular() {
			p := filepath.Join(dir, e.Name())
			if err := os.Remove(p); err != nil {
				return removed, err
			}
			removed = append(removed, p)
		}
	}
	return removed, nil
}

// decodeJSON parses a token file strictly. Its error names the file and the
// byte offset, never the content (a secret file's content is secret).
func decodeJSON(path string, data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("trailing data")
	}
	if err == nil {
		return nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("%s is not valid JSON (at byte %d)", path, syn.Offset)
	case errors.As(err, &typ):
		return fmt.Errorf("%s: field %q is a %s, want %s", path, typ.Field, typ.Value, typ.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "json: "))
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%s is empty or truncated", path)
	}
	return fmt.Errorf("%s has invalid content", path)
}

// removeFile removes path; a missing file is not an error.
func removeFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
