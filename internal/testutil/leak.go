package testutil

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// SecretForms returns the byte strings that betray secret in text: the
// secret itself, its URL (query and path) and JSON escapings, and, for each
// of the three alignments it can have inside a longer base64 value, the
// part of its standard and URL-safe base64 encodings that depends only on
// the secret's bytes.
func SecretForms(secret string) []string {
	var out []string
	add := func(f string) {
		if len(f) >= 8 && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	add(secret)
	add(url.QueryEscape(secret))
	add(url.PathEscape(secret))
	if b, err := json.Marshal(secret); err == nil {
		add(string(b[1 : len(b)-1]))
	}
	for off := 0; off < 3; off++ {
		padded := append(bytes.Repeat([]byte{0}, off), secret...)
		enc := base64.StdEncoding.EncodeToString(padded)
		// Output character i carries input bits [6i, 6i+6): keep the ones
		// inside the secret's bits [8*off, 8*(off+len)).
		first := (8*off + 5) / 6
		last := (8*(off+len(secret)) - 6) / 6
		if last < first {
			continue
		}
		core := enc[first : last+1]
		add(core)
		add(strings.NewReplacer("+", "-", "/", "_").Replace(core))
	}
	return out
}

// FindSecret returns one line per form of the secret found in data, also
// inside every gzip stream embedded in data (the cache stores large bodies
// gzipped). where names data in the lines.
func FindSecret(where string, data []byte, forms []string) []string {
	var hits []string
	scan := func(label string, b []byte) {
		for _, f := range forms {
			if i := bytes.Index(b, []byte(f)); i >= 0 {
				lo, hi := max(0, i-40), min(len(b), i+len(f)+40)
				hits = append(hits, fmt.Sprintf("%s: form %q at byte %d: …%q…", label, f, i, b[lo:hi]))
			}
		}
	}
	scan(where, data)
	for off := 0; ; {
		i := bytes.Index(data[off:], []byte{0x1f, 0x8b, 0x08})
		if i < 0 {
			break
		}
		start := off + i
		off = start + 1
		zr, err := gzip.NewReader(bytes.NewReader(data[start:]))
		if err != nil {
			continue
		}
		zr.Multistream(false)
		plain, _ := io.ReadAll(io.LimitReader(zr, 256<<20)) // a torn stream still yields its prefix
		if len(plain) > 0 {
			scan(fmt.Sprintf("%s (gzip stream at byte %d)", where, start), plain)
		}
	}
	return hits
}

// FindSecretInTree walks root and runs FindSecret on every regular file.
// It returns the hits keyed by path relative to root, and every file it
// read (so callers can assert that the scan covered what they expect).
func FindSecretInTree(t testing.TB, root string, forms []string) (hits map[string][]string, files []string) {
	t.Helper()
	hits = map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files = append(files, rel)
		if h := FindSecret(rel, b, forms); len(h) > 0 {
			hits[rel] = h
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walking %s: %v", root, err)
	}
	return hits, files
}

// ProcSample is what ProcWatch saw of one process.
type ProcSample struct {
	PID     int
	Cmdline string // arguments joined by NUL, as in /proc/PID/cmdline
	Environ string // /proc/PID/environ, only for processes EnvOf selects
}

// ProcWatch samples /proc while a test runs: the command line of every
// process, and the environment of the processes its EnvOf selects.
type ProcWatch struct {
	// EnvOf selects the processes whose environment is recorded.
	envOf func(cmdline string) bool
	stop  chan struct{}
	done  chan struct{}

	mu   sync.Mutex // guards seen and n
	seen map[string]ProcSample
	n    int // sampling passes made
}

// WatchProcs starts sampling /proc every 10ms until Stop. envOf, if not
// nil, selects (by command line) the processes whose environment is
// recorded too.
func WatchProcs(envOf func(cmdline string) bool) *ProcWatch {
	w := &ProcWatch{envOf: envOf, stop: make(chan struct{}), done: make(chan struct{}), seen: map[string]ProcSample{}}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			w.sample()
			select {
			case <-w.stop:
				w.sample()
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

func (w *ProcWatch) sample() {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		cmd, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || len(cmd) == 0 {
			continue
		}
		var pid int
		fmt.Sscanf(filepath.Base(d), "%d", &pid)
		s := ProcSample{PID: pid, Cmdline: string(cmd)}
		if w.envOf != nil && w.envOf(s.Cmdline) {
			env, _ := os.ReadFile(filepath.Join(d, "environ"))
			s.Environ = string(env)
		}
		key := fmt.Sprintf("%d\x00%s\x00%s", pid, s.Cmdline, s.Environ)
		w.mu.Lock()
		w.seen[key] = s
		w.mu.Unlock()
	}
	w.mu.Lock()
	w.n++
	w.mu.Unlock()
}

// Snapshot returns every distinct sample so far.
func (w *ProcWatch) Snapshot() []ProcSample {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]ProcSample, 0, len(w.seen))
	for _, s := range w.seen {
		out = append(out, s)
	}
	return out
}

// Stop ends sampling (after one last pass) and returns every distinct
// sample.
func (w *ProcWatch) Stop() []ProcSample {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
	return w.Snapshot()
}
