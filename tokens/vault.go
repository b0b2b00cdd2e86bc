package tokens

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aliasd/aliasd/internal/redact"
)

// Storage values: Config.Storage takes the first four (and "" for auto);
// Info.Storage and Credential.Storage report keyring, file, env or memory.
const (
	StorageAuto    = "auto"
	StorageKeyring = "keyring"
	StorageFile    = "file"
	StorageMemory  = "memory"
	StorageEnv     = "env"
)

// Config configures Open. Dir is required; every other field has a default.
type Config struct {
	// Dir is the directory of tokens.json and tokens.secret.json (the
	// config directory). Required. Created with mode 0700 if missing.
	Dir string
	// Storage is token_storage: "auto" (default: the keyring, else the
	// plain file, reported), "keyring" (fail closed), "file", or "memory"
	// (secrets in Keyring, default a fresh MemoryKeyring; for tests).
	Storage string
	// KeyringTimeout bounds every keyring call. Default 3s.
	KeyringTimeout time.Duration
	// Keyring is the secret store. Default: the OS keyring (go-keyring).
	Keyring Keyring
	// EnvToken is ALIASD_TOKEN: when set it is the active token, profile
	// "env", storage "env", and it is never written anywhere.
	EnvToken string
	// Redactor receives every secret the vault adds or loads. Default: a
	// new one (see Vault.Redactor).
	Redactor *redact.Redactor
	// Logger gets events with fingerprints only. Default: discard.
	Logger *slog.Logger
	// RecheckAfter lets reads trust the files they last read for this long
	// before looking at them again. The daemon, their only writer (its own
	// writes update what it knows at once), sets it so that hot paths such
	// as alias/status do not stat two files per call; edits by another
	// process then show after at most this delay. Default 0: every read
	// looks.
	RecheckAfter time.Duration
}

// Info describes a profile without its secret.
type Info struct {
	Name        string
	Fingerprint string
	Storage     string // keyring, file, env or memory
	Active      bool
	Created     time.Time // zero for the env profile
}

// Credential is a resolved token. Secret goes into the Authorization header
// and nowhere else; everything else uses Fingerprint.
type Credential struct {
	Profile     string
	Secret      string
	Fingerprint string
	Storage     string
}

// Removed reports a removed profile and what is active afterwards.
type Removed struct {
	Info             // the removed profile (Active: whether it was active)
	NewActive string // the active profile now; "" when none
}

// Vault holds the profiles. It is safe for concurrent use.
type Vault struct {
	dir, statePath, secretPath string
	mode                       string // auto, keyring, file or memory
	krStorage                  string // label of secrets in kr: keyring or memory
	kr                         *timedKeyring
	env                        string // ALIASD_TOKEN, normalised; "" when unset
	envFP                      string
	envWarnings                []string
	red                        *redact.Redactor
	log                        *slog.Logger
	recheckAfter               time.Duration

	writeMu sync.Mutex // serialises Add, Use and Remove (held across backend calls)

	mu           sync.Mutex // guards the fields below
	state        stateFile
	stateStamp   fileStamp
	secrets      map[string]string // tokens.secret.json as last read
	secretsStamp fileStamp
	cache        map[string]string // profile -> secret read from kr
	registered   map[string]bool   // secrets given to red
	keyringErr   error             // last keyring failure in auto mode; nil after a success
	checkedAt    time.Time         // when refreshLocked last looked at the files
}

// Open opens the vault in cfg.Dir, creating the directory if needed,
// securing the modes of existing files, deleting temporary files left by an
// interrupted write and dropping file secrets no profile refers to.
func Open(cfg Config) (*Vault, error) {
	if cfg.Dir == "" {
		return nil, errors.New("opening token vault: Config.Dir is required")
	}
	v := &Vault{
		dir:          cfg.Dir,
		statePath:    filepath.Join(cfg.Dir, StateFile),
		secretPath:   filepath.Join(cfg.Dir, SecretFile),
		mode:         cfg.Storage,
		krStorage:    StorageKeyring,
		red:          cfg.Redactor,
		cache:        make(map[string]string),
		registered:   make(map[string]bool),
		recheckAfter: cfg.RecheckAfter,
		secrets:      make(map[string]string),
		state:        stateFile{Version: fileVersion, Profiles: map[string]profileMeta{}},
	}
	if v.mode == "" {
		v.mode = StorageAuto
	}
	switch v.mode {
	case StorageAuto, StorageKeyring, StorageFile, StorageMemory:
	default:
		return nil, &InvalidError{Field: "token_storage", Reason: fmt.Sprintf(`%q is not one of "auto", "keyring", "file"`, cfg.Storage)}
	}
	if v.red == nil {
		v.red = redact.New()
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	v.log = slog.New(redact.NewHandler(logger.Handler(), v.red))
	kr := cfg.Keyring
	if kr == nil {
		kr = SystemKeyring()
		if v.mode == StorageMemory {
			kr = NewMemoryKeyring()
		}
	}
	if v.mode == StorageMemory {
		v.krStorage = StorageMemory
	}
	timeout := cfg.KeyringTimeout
	if timeout <= 0 {
		timeout = DefaultKeyringTimeout
	}
	v.kr = &timedKeyring{kr: kr, timeout: timeout, red: v.red}
	if cfg.EnvToken != "" {
		secret, warns, err := NormalizeSecret(cfg.EnvToken)
		if err != nil {
			var inv *InvalidError
			if errors.As(err, &inv) {
				inv.Field = "ALIASD_TOKEN"
			}
			return nil, err
		}
		v.env, v.envFP, v.envWarnings = secret, Fingerprint(secret), warns
		v.register(secret)
	}

	fixed, err := secureDir(v.dir)
	if err != nil {
		return nil, fmt.Errorf("opening token vault: %w", err)
	}
	if fixed {
		v.log.Warn("token directory was accessible to other users; restricted it to mode 0700", "dir", v.dir)
	}
	removed, err := removeStaleTemps(v.dir)
	if err != nil {
		return nil, fmt.Errorf("opening token vault: removing temporary files: %w", err)
	}
	for _, p := range removed {
		v.log.Warn("removed a temporary token file left by an interrupted write", "file", p)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.refreshLocked(); err != nil {
		return nil, fmt.Errorf("opening token vault: %w", err)
	}
	if err := v.pruneSecretsLocked(); err != nil {
		return nil, fmt.Errorf("opening token vault: %w", err)
	}
	if err := v.reconcileLocked(); err != nil {
		return nil, fmt.Errorf("opening token vault: %w", err)
	}
	return v, nil
}

// Redactor returns the redactor that knows every secret of this vault.
func (v *Vault) Redactor() *redact.Redactor { return v.red }

// register gives secret to the redactor once.
func (v *Vault) register(secret string) {
	// Called with or without v.mu; registered is only touched under v.mu
	// except during Open, before the vault is shared.
	if !v.registered[secret] {
		v.registered[secret] = true
		v.red.Add(secret)
	}
}

// refreshLocked re-reads tokens.json and tokens.secret.json when they
// changed on disk since last read.
func (v *Vault) refreshLocked() error {
	now := time.Now()
	if v.recheckAfter > 0 && !v.checkedAt.IsZero() && now.Sub(v.checkedAt) < v.recheckAfter {
		return nil
	}
	st, err := statFile(v.statePath)
	if err != nil {
		return err
	}
	if st != v.stateStamp {
		data, st, fixed, err := readSecure(v.statePath)
		if err != nil {
			return err
		}
		if fixed {
			v.log.Warn("token state file was accessible to other users; restricted it to mode 0600", "file", v.statePath)
		}
		state := stateFile{Version: fileVersion, Profiles: map[string]profileMeta{}}
		if data != nil {
			if err := decodeJSON(v.statePath, data, &state); err != nil {
				return fmt.Errorf("%w; it holds no secrets: fix it, or remove it and add the tokens again", err)
			}
			if state.Version > fileVersion {
				return fmt.Errorf("%s was written by a newer aliasd (version %d)", v.statePath, state.Version)
			}
			if state.Profiles == nil {
				state.Profiles = map[string]profileMeta{}
			}
		}
		for name, m := range v.state.Profiles {
			if nm, ok := state.Profiles[name]; !ok || nm.Fingerprint != m.Fingerprint || nm.Storage != m.Storage {
				delete(v.cache, name)
			}
		}
		v.state, v.stateStamp = state, st
	}

	st, err = statFile(v.secretPath)
	if err != nil {
		return err
	}
	if st != v.secretsStamp {
		data, st, fixed, err := readSecure(v.secretPath)
		if err != nil {
			return err
		}
		if fixed {
			v.log.Warn("token secret file was accessible to other users; restricted it to mode 0600", "file", v.secretPath)
		}
		sf := secretFile{Tokens: map[string]string{}}
		if data != nil {
			if err := decodeJSON(v.secretPath, data, &sf); err != nil {
				return fmt.Errorf("%w; it holds plain-text tokens: fix it by hand, or remove it and add the tokens again", err)
			}
			if sf.Tokens == nil {
				sf.Tokens = map[string]string{}
			}
		}
		for _, s := range sf.Tokens {
			v.register(s)
		}
		v.secrets, v.secretsStamp = sf.Tokens, st
	}
	v.checkedAt = now
	return nil
}

// pruneSecretsLocked drops secrets of the file that no file profile refers
// to (left by an interrupted Add or Remove).
func (v *Vault) pruneSecretsLocked() error {
	var orphans []string
	for name := range v.secrets {
		if m, ok := v.state.Profiles[name]; !ok || m.Storage != StorageFile {
			orphans = append(orphans, name)
		}
	}
	if len(orphans) == 0 {
		return nil
	}
	next := make(map[string]string, len(v.secrets))
	for k, s := range v.secrets {
		if !slices.Contains(orphans, k) {
			next[k] = s
		}
	}
	if err := v.writeSecretsLocked(next); err != nil {
		return err
	}
	v.log.Info("dropped plain-file token secrets no profile refers to", "profiles", orphans)
	return nil
}

// reconcileLocked corrects the recorded fingerprint of file profiles whose
// secret was replaced but whose state write was interrupted.
func (v *Vault) reconcileLocked() error {
	var state *stateFile
	for name, m := range v.state.Profiles {
		s, ok := v.secrets[name]
		if m.Storage != StorageFile || !ok || Fingerprint(s) == m.Fingerprint {
			continue
		}
		if state == nil {
			st := copyState(v.state)
			state = &st
		}
		m.Fingerprint = Fingerprint(s)
		state.Profiles[name] = m
		v.log.Info("corrected the fingerprint of a token replaced by an interrupted write", "profile", name, "fingerprint", m.Fingerprint)
	}
	if state == nil {
		return nil
	}
	return v.writeStateLocked(*state)
}

func (v *Vault) writeStateLocked(state stateFile) error {
	state.Version = fileVersion
	data, err := json.MarshalIndent(state, "", "  ")
	if err != nil {
		return err
	}
	if err := writeAtomic(v.dir, StateFile, append(data, '\n')); err != nil {
		return err
	}
	v.state = state
	v.stateStamp, err = statFile(v.statePath)
	return err
}

// writeSecretsLocked replaces the secret file with tokens; with none left it
// deletes the file.
func (v *Vault) writeSecretsLocked(tokens map[string]string) error {
	if len(tokens) == 0 {
		if err := removeFile(v.secretPath); err != nil {
			return fmt.Errorf("removing %s: %w", SecretFile, err)
		}
		if err := syncDir(v.dir); err != nil {
			return err
		}
		v.secrets, v.secretsStamp = map[string]string{}, fileStamp{}
		return nil
	}
	data, err := json.MarshalIndent(secretFile{Version: fileVersion, Note: secretFileNote, Tokens: tokens}, "", "  ")
	if err != nil {
		return err
	}
	if err := writeAtomic(v.dir, SecretFile, append(data, '\n')); err != nil {
		return err
	}
	v.secrets = tokens
	v.secretsStamp, err = statFile(v.secretPath)
	return err
}

func (v *Vault) profileNamesLocked() string {
	names := make([]string, 0, len(v.state.Profiles))
	for n := range v.state.Profiles {
		names = append(names, n)
	}
	if len(names) == 0 {
		return "there are no profiles; add one with `aliasd token add NAME`"
	}
	slices.Sort(names)
	return "profiles: " + strings.Join(names, ", ")
}

func (v *Vault) notFoundLocked(name string) error {
	return fmt.Errorf("token profile %q %w (%s)", name, ErrNotFound, v.profileNamesLocked())
}

func copyState(s stateFile) stateFile {
	out := s
	out.Profiles = make(map[string]profileMeta, len(s.Profiles))
	for k, m := range s.Profiles {
		out.Profiles[k] = m
	}
	return out
}

func copySecrets(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for k, s := range m {
		out[k] = s
	}
	return out
}
