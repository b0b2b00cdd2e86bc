//go:build unix

package tokens

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func mode(t *testing.T, p string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestFileModesOnCreate(t *testing.T) {
	old := syscall.Umask(0) // the most permissive umask must not loosen anything
	t.Cleanup(func() { syscall.Umask(old) })
	dir := filepath.Join(t.TempDir(), "a", "cfg")
	v := openTest(t, Config{Dir: dir, Storage: StorageFile})
	mustAdd(t, v.Vault, "work", fakePAT())
	for p, want := range map[string]fs.FileMode{
		dir:                            0o700,
		filepath.Join(dir, StateFile):  0o600,
		filepath.Join(dir, SecretFile): 0o600,
	} {
		if got := mode(t, p); got != want {
			t.Errorf("mode(%s) = %o, want %o", p, got, want)
		}
	}
}

func TestLooseModesAreFixed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cfg")
	ctx := ctxT(t)
	secret := fakePAT()
	mustAdd(t, openTest(t, Config{Dir: dir, Storage: StorageFile}).Vault, "work", secret)
	for p, m := range map[string]fs.FileMode{
		dir:                            0o755,
		filepath.Join(dir, StateFile):  0o644,
		filepath.Join(dir, SecretFile): 0o664,
	} {
		if err := os.Chmod(p, m); err != nil {
			t.Fatal(err)
		}
	}
	v := openTest(t, Config{Dir: dir, Storage: StorageFile})
	for p, want := range map[string]fs.FileMode{
		dir:                            0o700,
		filepath.Join(dir, StateFile):  0o600,
		filepath.Join(dir, SecretFile): 0o600,
	} {
		if got := mode(t, p); got != want {
			t.Errorf("mode(%s) after Open = %o, want %o", p, got, want)
		}
	}
	if c, err := v.Credential(ctx, ""); err != nil || c.Secret != secret {
		t.Errorf("Credential after fixing modes = %v", err)
	}
	if log := v.log.String(); !strings.Contains(log, "restricted it to mode 0600") || !strings.Contains(log, "restricted it to mode 0700") {
		t.Errorf("log = %q, want the mode fixes reported", log)
	}
	// A file loosened while the vault runs is fixed on the next read.
	os.Chmod(filepath.Join(dir, SecretFile), 0o644)
	mustAdd(t, v.Vault, "second", fakePAT()) // rewrites the secret file
	os.Chmod(filepath.Join(dir, StateFile), 0o640)
	os.Chtimes(filepath.Join(dir, StateFile), time.Now(), time.Now().Add(time.Second)) // look changed
	v.Active()
	if got := mode(t, filepath.Join(dir, StateFile)); got != 0o600 {
		t.Errorf("mode(state) after a re-read = %o, want 600", got)
	}
}

// TestForeignOwnerRefused needs root to give a file to another user.
func TestForeignOwnerRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown a file to another user (run the suite as root, as CI does)")
	}
	const nobody = 65534
	for _, target := range []string{"dir", StateFile, SecretFile} {
		t.Run(target, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "cfg")
			secret := fakePAT()
			mustAdd(t, openTest(t, Config{Dir: dir, Storage: StorageFile}).Vault, "work", secret)
			p := dir
			if target != "dir" {
				p = filepath.Join(dir, target)
			}
			if err := os.Chown(p, nobody, nobody); err != nil {
				t.Fatal(err)
			}
			loose := fs.FileMode(0o644)
			if target == "dir" {
				loose = 0o755
			}
			os.Chmod(p, loose)
			before := mode(t, p)
			_, err := Open(Config{Dir: dir, Storage: StorageFile})
			if !errors.Is(err, ErrInsecure) {
				t.Fatalf("Open with %s owned by uid %d = %v, want ErrInsecure", target, nobody, err)
			}
			for _, want := range []string{p, "owned by uid 65534", "not by the current user (uid 0)", "chown"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q, want it to contain %q", err, want)
				}
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error contains the token")
			}
			if got := mode(t, p); got != before {
				t.Errorf("mode of a foreign file changed from %o to %o; want it untouched", before, got)
			}
		})
	}
}

func TestSymlinkedSecretFileRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cfg")
	mustAdd(t, openTest(t, Config{Dir: dir, Storage: StorageFile}).Vault, "work", fakePAT())
	elsewhere := filepath.Join(t.TempDir(), "elsewhere.json")
	p := filepath.Join(dir, SecretFile)
	os.Rename(p, elsewhere)
	if err := os.Symlink(elsewhere, p); err != nil {
		t.Fatal(err)
	}
	_, err := Open(Config{Dir: dir, Storage: StorageFile})
	if !errors.Is(err, ErrInsecure) || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("Open with a symlinked secret file = %v, want ErrInsecure", err)
	}
}

func TestCorruptFilesGiveClearErrors(t *testing.T) {
	secret := fakePAT()
	tests := []struct {
		name, file, content, errHas string
	}{
		{"state not json", StateFile, "{nope", "tokens.json is not valid JSON (at byte 2)"},
		{"state empty", StateFile, "", "tokens.json is empty or truncated"},
		{"state truncated", StateFile, `{"version":1,"profiles":{`, "is empty or truncated"},
		{"state wrong type", StateFile, `{"version":"1"}`, `tokens.json: field "version" is a string, want int`},
		{"state unknown field", StateFile, `{"version":1,"secret":"x"}`, `unknown field "secret"`},
		{"state newer", StateFile, `{"version":9,"profiles":{}}`, "written by a newer aliasd (version 9)"},
		{"secrets not json", SecretFile, `{"version":1,"tokens":{"work":"` + secret + `"`, "tokens.secret.json is empty or truncated"},
		{"secrets garbage", SecretFile, "x" + secret, "tokens.secret.json is not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "cfg")
			mustAdd(t, openTest(t, Config{Dir: dir, Storage: StorageFile}).Vault, "work", fakePAT())
			p := filepath.Join(dir, tt.file)
			os.WriteFile(p, []byte(tt.content), 0o600)
			_, err := Open(Config{Dir: dir, Storage: StorageFile})
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Fatalf("Open with %s = %v, want an error containing %q", tt.name, err, tt.errHas)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "FAKE") {
				t.Errorf("error %q shows file content", err)
			}
			if got, _ := os.ReadFile(p); string(got) != tt.content {
				t.Errorf("the bad file was changed; want it kept for the user to fix")
			}
		})
	}
}

func TestStaleTempFilesAndOrphansAreCleaned(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cfg")
	kept := fakePAT()
	orphan := fakePAT()
	mustAdd(t, openTest(t, Config{Dir: dir, Storage: StorageFile}).Vault, "work", kept)
	// What an interrupted write leaves: a temporary file, and a secret whose
	// profile never made it into tokens.json.
	tmp := filepath.Join(dir, tmpPrefix+SecretFile+"-12345")
	os.WriteFile(tmp, []byte(`{"tokens":{"x":"`+orphan), 0o600)
	var sf secretFile
	data, _ := os.ReadFile(filepath.Join(dir, SecretFile))
	json.Unmarshal(data, &sf)
	sf.Tokens["ghost"] = orphan
	data, _ = json.Marshal(sf)
	os.WriteFile(filepath.Join(dir, SecretFile), data, 0o600)

	v := openTest(t, Config{Dir: dir, Storage: StorageFile})
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("stale temporary file still there after Open: %v", err)
	}
	for p, b := range dirBytes(t, dir) {
		if strings.Contains(string(b), orphan) {
			t.Errorf("%s still holds the orphaned secret", p)
		}
	}
	if c, err := v.Credential(ctxT(t), ""); err != nil || c.Secret != kept {
		t.Errorf("Credential after cleanup = %v, want the kept token", err)
	}
}

// writerEnv makes the test binary a child that adds tokens in a loop.
const writerEnv = "ALIASD_TOKENS_TEST_WRITER"

// writerSecret is the deterministic token the writer adds at step i: large,
// so a write takes long enough to be interrupted, and recognisable.
func writerSecret(i int) string {
	return fmt.Sprintf("%sFAKE%08d%s", PATPrefix, i, strings.Repeat(string(rune('A'+i%26)), 3000))
}

func TestHelperWriter(t *testing.T) {
	spec := os.Getenv(writerEnv)
	if spec == "" {
		t.Skip("helper process for TestKillDuringFileWrite")
	}
	dir, startS, _ := strings.Cut(spec, "|")
	start, _ := strconv.Atoi(startS)
	v, err := Open(Config{Dir: dir, Storage: StorageFile})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	ctx := ctxT(t)
	for i := start; ; i++ {
		if _, _, err := v.Add(ctx, fmt.Sprintf("p%d", i%5), writerSecret(i)); err != nil {
			fmt.Println("add:", err)
			os.Exit(1)
		}
		if i == start {
			fmt.Println("ready")
		}
	}
}

// TestKillDuringFileWrite kills a writer with SIGKILL at random moments:
// every time, both files must parse and hold only complete tokens, and the
// state must never name a profile whose secret is missing.
func TestKillDuringFileWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cfg")
	step, tornWrites, midReplace := 0, 0, 0
	for round := range 20 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$", "-test.count=1")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|%d", writerEnv, dir, step))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, _ := bufio.NewReader(out).ReadString('\n')
		if strings.TrimSpace(line) != "ready" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("round %d: writer said %q, want ready", round, line)
		}
		time.Sleep(time.Duration(rand.IntN(40_000)) * time.Microsecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		step += 100_000

		if checkTokenFiles(t, round, dir) {
			midReplace++
		}
		if ents, _ := os.ReadDir(dir); slices.ContainsFunc(ents, func(e fs.DirEntry) bool { return strings.HasPrefix(e.Name(), tmpPrefix) }) {
			tornWrites++ // killed during a write: the temporary file is left
		}

		v, err := Open(Config{Dir: dir, Storage: StorageFile})
		if err != nil {
			t.Fatalf("round %d: Open after kill = %v", round, err)
		}
		list, err := v.List(ctxT(t))
		if err != nil {
			t.Fatalf("round %d: List = %v", round, err)
		}
		for _, info := range list {
			c, err := v.Credential(ctxT(t), info.Name)
			if err != nil {
				t.Fatalf("round %d: Credential(%s) after kill = %v; state names a profile without its secret", round, info.Name, err)
			}
			if !validWriterSecret(info.Name, c.Secret) {
				t.Fatalf("round %d: profile %s holds a token the writer never wrote for it", round, info.Name)
			}
		}
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), tmpPrefix) {
				t.Errorf("round %d: temporary file %s left after Open", round, e.Name())
			}
		}
		for _, info := range list {
			if c, _ := v.Credential(ctxT(t), info.Name); c.Fingerprint != info.Fingerprint {
				t.Errorf("round %d: List fingerprint of %s is stale after Open", round, info.Name)
			}
		}
	}
	t.Logf("20 kills: %d during a write (temporary file left), %d between the secret and state writes of a replace", tornWrites, midReplace)
}

func validWriterSecret(name, s string) bool {
	var i int
	if _, err := fmt.Sscanf(s, PATPrefix+"FAKE%08d", &i); err != nil {
		return false
	}
	return s == writerSecret(i) && name == fmt.Sprintf("p%d", i%5)
}

// checkTokenFiles parses both files as a crash left them. It reports
// whether the kill fell between the two writes of a replace.
func checkTokenFiles(t *testing.T, round int, dir string) (midReplace bool) {
	t.Helper()
	var st stateFile
	data, err := os.ReadFile(filepath.Join(dir, StateFile))
	if err != nil {
		t.Fatalf("round %d: reading state: %v", round, err)
	}
	if err := decodeJSON(StateFile, data, &st); err != nil {
		t.Fatalf("round %d: state file torn: %v", round, err)
	}
	data, err = os.ReadFile(filepath.Join(dir, SecretFile))
	if err != nil {
		t.Fatalf("round %d: reading secrets: %v", round, err)
	}
	var sf secretFile
	if err := decodeJSON(SecretFile, data, &sf); err != nil {
		t.Fatalf("round %d: secret file torn: %v", round, err)
	}
	for name, s := range sf.Tokens {
		if !validWriterSecret(name, s) {
			t.Fatalf("round %d: secret file holds a partial or foreign token for %s", round, name)
		}
	}
	for name, m := range st.Profiles {
		if _, ok := sf.Tokens[name]; !ok {
			t.Fatalf("round %d: state names %s but the secret file lacks it", round, name)
		}
		if m.Fingerprint != Fingerprint(sf.Tokens[name]) {
			// Allowed: killed between the two writes of a replace; the
			// secret file is newer, and still a complete token. Open
			// reconciles the fingerprint.
			midReplace = true
		}
	}
	return midReplace
}
