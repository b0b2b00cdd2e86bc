package tokens

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Add stores secret under profile name, replacing that profile's previous
// token, and returns the profile with warnings to show the user (a token
// that does not look like a PAT, a plain-file fallback, an ALIASD_TOKEN
// override). secret is checked and normalised by NormalizeSecret. The first
// profile added becomes active.
//
// Where the secret goes depends on token_storage: the keyring; in "auto",
// the plain file when the keyring fails or does not answer in time (Storage
// "file" and a warning); in "keyring", nowhere (an error matching
// ErrKeyringUnavailable that says how to fix it).
func (v *Vault) Add(ctx context.Context, name, secret string) (Info, []string, error) {
	if err := ValidateName(name); err != nil {
		return Info{}, nil, err
	}
	secret, warnings, err := NormalizeSecret(secret)
	if err != nil {
		return Info{}, nil, err
	}
	v.writeMu.Lock()
	defer v.writeMu.Unlock()

	v.mu.Lock()
	// Register first, so that a backend error echoing the secret is redacted.
	v.register(secret)
	err = v.refreshLocked()
	prev, existed := v.state.Profiles[name]
	v.mu.Unlock()
	if err != nil {
		return Info{}, nil, fmt.Errorf("adding token %q: %w", name, err)
	}

	storage, warn, err := v.storeSecret(ctx, name, secret)
	if err != nil {
		return Info{}, nil, fmt.Errorf("adding token %q: %w", name, err)
	}
	if warn != "" {
		warnings = append(warnings, warn)
	}

	v.mu.Lock()
	if err := v.refreshLocked(); err != nil {
		v.mu.Unlock()
		return Info{}, nil, fmt.Errorf("adding token %q: %w", name, err)
	}
	state := copyState(v.state)
	meta := profileMeta{Storage: storage, Fingerprint: Fingerprint(secret), Created: time.Now().UTC().Truncate(time.Second)}
	state.Profiles[name] = meta
	if _, ok := state.Profiles[state.Active]; !ok {
		state.Active = name
	}
	if err := v.writeStateLocked(state); err != nil {
		v.mu.Unlock()
		return Info{}, nil, fmt.Errorf("adding token %q: %w", name, err)
	}
	delete(v.cache, name)
	if storage != StorageFile {
		v.cache[name] = secret
	}
	// Take the old token out of a backend that no longer holds the profile.
	dropFromKeyring := false
	if existed && prev.Storage != storage {
		switch prev.Storage {
		case StorageFile:
			rest := copySecrets(v.secrets)
			delete(rest, name)
			if err := v.writeSecretsLocked(rest); err != nil {
				warnings = append(warnings, fmt.Sprintf("the previous token of %q is still in %s: %v", name, v.secretPath, err))
			}
		case StorageKeyring, StorageMemory:
			dropFromKeyring = true
		}
	}
	info := v.infoLocked(name, meta)
	v.mu.Unlock()

	if dropFromKeyring {
		if err := v.kr.delete(ctx, name); err != nil && !isNotFound(err) {
			warnings = append(warnings, fmt.Sprintf("the previous token of %q is still in the OS keyring (service %q): %v", name, KeyringService, err))
		}
	}
	if v.env != "" {
		warnings = append(warnings, "ALIASD_TOKEN is set: it is used instead of any stored profile until it is unset")
	}
	v.log.Info("token added", "profile", name, "fingerprint", meta.Fingerprint, "storage", storage, "active", info.Active)
	return info, warnings, nil
}

// storeSecret puts secret in the backend token_storage selects and returns
// that backend's name and, for a fallback, a warning.
func (v *Vault) storeSecret(ctx context.Context, name, secret string) (storage, warning string, err error) {
	switch v.mode {
	case StorageFile:
		return StorageFile, "", v.storeInFile(name, secret)
	case StorageKeyring, StorageMemory:
		if err := v.kr.set(ctx, name, secret); err != nil {
			if errors.Is(err, ErrKeyringUnavailable) && v.mode == StorageKeyring {
				return "", "", failClosed(err)
			}
			return "", "", err
		}
		return v.krStorage, "", nil
	}
	err = v.kr.set(ctx, name, secret)
	v.noteKeyring(err)
	if err == nil {
		return StorageKeyring, "", nil
	}
	if !errors.Is(err, ErrKeyringUnavailable) {
		return "", "", err
	}
	v.log.Warn("OS keyring unavailable; storing the token in a plain file", "profile", name, "file", v.secretPath, "cause", err)
	if err := v.storeInFile(name, secret); err != nil {
		return "", "", err
	}
	return StorageFile, v.fileWarning(err.Error()), nil
}

func (v *Vault) storeInFile(name, secret string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.refreshLocked(); err != nil {
		return err
	}
	next := copySecrets(v.secrets)
	next[name] = secret
	return v.writeSecretsLocked(next)
}

// failClosed explains a keyring failure in token_storage = "keyring" mode.
func failClosed(err error) error {
	return fmt.Errorf("%w; token_storage = \"keyring\" does not fall back to a plain file: make the OS keyring available "+
		"(on Linux: start and unlock a Secret Service such as gnome-keyring in your D-Bus session), "+
		"or set token_storage = \"file\" or \"auto\"", err)
}

func (v *Vault) fileWarning(cause string) string {
	return fmt.Sprintf("tokens are stored in a plain file: %s (the OS keyring is unavailable: %s); "+
		"make the keyring available and add the token again to move it there, "+
		"or set token_storage = \"keyring\" to refuse the fallback", v.secretPath, cause)
}

// noteKeyring records the outcome of a keyring call for "auto" reporting.
func (v *Vault) noteKeyring(err error) {
	if isNotFound(err) {
		err = nil // the keyring answered
	}
	if v.mode != StorageAuto || (err != nil && !errors.Is(err, ErrKeyringUnavailable)) {
		return
	}
	v.mu.Lock()
	v.keyringErr = err
	v.mu.Unlock()
}

func (v *Vault) infoLocked(name string, m profileMeta) Info {
	return Info{
		Name:        name,
		Fingerprint: m.Fingerprint,
		Storage:     m.Storage,
		Active:      v.env == "" && v.state.Active == name,
		Created:     m.Created,
	}
}

// List returns the profiles sorted by name, the ALIASD_TOKEN override
// ("env", active) first when it is set.
func (v *Vault) List(ctx context.Context) ([]Info, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.refreshLocked(); err != nil {
		return nil, fmt.Errorf("listing tokens: %w", err)
	}
	var out []Info
	if v.env != "" {
		out = append(out, Info{Name: EnvProfile, Fingerprint: v.envFP, Storage: StorageEnv, Active: true})
	}
	names := make([]string, 0, len(v.state.Profiles))
	for n := range v.state.Profiles {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		out = append(out, v.infoLocked(n, v.state.Profiles[n]))
	}
	return out, nil
}

// Use makes name the active profile; the next Credential("") returns it.
// While ALIASD_TOKEN is set it stays in effect (see Warnings).
func (v *Vault) Use(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if name == EnvProfile {
		if v.env != "" {
			return nil
		}
		return fmt.Errorf("token profile %q %w: ALIASD_TOKEN is not set", name, ErrNotFound)
	}
	if err := ValidateName(name); err != nil {
		return err
	}
	v.writeMu.Lock()
	defer v.writeMu.Unlock()
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.refreshLocked(); err != nil {
		return fmt.Errorf("switching token: %w", err)
	}
	if _, ok := v.state.Profiles[name]; !ok {
		return v.notFoundLocked(name)
	}
	state := copyState(v.state)
	state.Active = name
	if err := v.writeStateLocked(state); err != nil {
		return fmt.Errorf("switching token: %w", err)
	}
	v.log.Info("active token switched", "profile", name, "fingerprint", state.Profiles[name].Fingerprint)
	return nil
}

// Remove deletes a profile and its secret. When it was the active profile
// and exactly one profile remains, that one becomes active; with several
// left none is (the user picks with Use). A keyring that cannot delete the
// secret keeps the profile and returns an error matching
// ErrKeyringUnavailable.
func (v *Vault) Remove(ctx context.Context, name string) (Removed, error) {
	if name == EnvProfile {
		return Removed{}, &InvalidError{Field: "profile name", Reason: `"env" is ALIASD_TOKEN; unset the variable to stop using it`}
	}
	if err := ValidateName(name); err != nil {
		return Removed{}, err
	}
	v.writeMu.Lock()
	defer v.writeMu.Unlock()

	v.mu.Lock()
	if err := v.refreshLocked(); err != nil {
		v.mu.Unlock()
		return Removed{}, fmt.Errorf("removing token %q: %w", name, err)
	}
	meta, ok := v.state.Profiles[name]
	if !ok {
		defer v.mu.Unlock()
		return Removed{}, v.notFoundLocked(name)
	}
	v.mu.Unlock()

	if meta.Storage != StorageFile {
		if err := v.kr.delete(ctx, name); err != nil && !isNotFound(err) {
			return Removed{}, fmt.Errorf("removing token %q: %w; the profile is kept: try again when the keyring answers", name, err)
		}
	}

	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.refreshLocked(); err != nil {
		return Removed{}, fmt.Errorf("removing token %q: %w", name, err)
	}
	res := Removed{Info: v.infoLocked(name, meta)}
	res.Active = v.state.Active == name
	state := copyState(v.state)
	delete(state.Profiles, name)
	if state.Active == name {
		state.Active = ""
		if len(state.Profiles) == 1 {
			for n := range state.Profiles {
				state.Active = n
			}
		}
	}
	res.NewActive = state.Active
	if err := v.writeStateLocked(state); err != nil {
		return Removed{}, fmt.Errorf("removing token %q: %w", name, err)
	}
	delete(v.cache, name)
	if _, ok := v.secrets[name]; ok {
		rest := copySecrets(v.secrets)
		delete(rest, name)
		if err := v.writeSecretsLocked(rest); err != nil {
			return res, fmt.Errorf("token profile %q removed, but its secret is still in %s: %w", name, v.secretPath, err)
		}
	}
	v.log.Info("token removed", "profile", name, "fingerprint", meta.Fingerprint, "active", res.NewActive)
	return res, nil
}

// Credential resolves a profile's token: "" means the active one, which is
// the ALIASD_TOKEN override when it is set ("env" names it explicitly). A
// named profile is returned even while the override is set. A profile
// switch (Use) applies to the next call.
func (v *Vault) Credential(ctx context.Context, profile string) (Credential, error) {
	if err := ctx.Err(); err != nil {
		return Credential{}, err
	}
	if v.env != "" && (profile == "" || profile == EnvProfile) {
		return Credential{Profile: EnvProfile, Secret: v.env, Fingerprint: v.envFP, Storage: StorageEnv}, nil
	}
	if profile == EnvProfile {
		return Credential{}, fmt.Errorf("token profile %q %w: ALIASD_TOKEN is not set", profile, ErrNotFound)
	}
	if profile != "" {
		if err := ValidateName(profile); err != nil {
			return Credential{}, err
		}
	}
	v.mu.Lock()
	if err := v.refreshLocked(); err != nil {
		v.mu.Unlock()
		return Credential{}, fmt.Errorf("reading tokens: %w", err)
	}
	name := profile
	if name == "" {
		name = v.state.Active
	}
	meta, ok := v.state.Profiles[name]
	switch {
	case !ok && profile != "":
		defer v.mu.Unlock()
		return Credential{}, v.notFoundLocked(name)
	case !ok && name != "":
		v.mu.Unlock()
		return Credential{}, fmt.Errorf("the active token profile %q no longer exists: %w", name, ErrNoToken)
	case !ok:
		v.mu.Unlock()
		return Credential{}, ErrNoToken
	}
	if meta.Storage == StorageFile {
		secret, ok := v.secrets[name]
		v.mu.Unlock()
		if !ok {
			return Credential{}, fmt.Errorf("token profile %q: %w from %s; add it again with `aliasd token add %s`", name, ErrSecretMissing, v.secretPath, name)
		}
		return credential(name, secret, meta.Storage), nil
	}
	if secret, ok := v.cache[name]; ok {
		v.mu.Unlock()
		return credential(name, secret, meta.Storage), nil
	}
	v.mu.Unlock()

	secret, err := v.kr.get(ctx, name)
	v.noteKeyring(err)
	if isNotFound(err) {
		return Credential{}, fmt.Errorf("token profile %q: %w from the OS keyring (service %q; removed by another program?); add it again with `aliasd token add %s`",
			name, ErrSecretMissing, KeyringService, name)
	}
	if err != nil {
		return Credential{}, fmt.Errorf("reading token %q: %w", name, err)
	}
	v.mu.Lock()
	v.register(secret)
	if cur, ok := v.state.Profiles[name]; ok && cur == meta {
		v.cache[name] = secret
	}
	v.mu.Unlock()
	if fp := Fingerprint(secret); fp != meta.Fingerprint {
		v.log.Warn("the keyring holds a different token than the one added", "profile", name, "fingerprint", fp, "recorded", meta.Fingerprint)
	}
	return credential(name, secret, meta.Storage), nil
}

func credential(name, secret, storage string) Credential {
	return Credential{Profile: name, Secret: secret, Fingerprint: Fingerprint(secret), Storage: storage}
}

// Active returns the active profile: "env" while ALIASD_TOKEN is set, ""
// when there is none.
func (v *Vault) Active() string {
	if v.env != "" {
		return EnvProfile
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	_ = v.refreshLocked() // on error keep what was last read
	if _, ok := v.state.Profiles[v.state.Active]; !ok {
		return ""
	}
	return v.state.Active
}

// Storage returns the storage in effect, for alias/status: "env" while
// ALIASD_TOKEN is set, else the active profile's storage, else where a new
// token would go (in "auto": "file" after the keyring last failed).
func (v *Vault) Storage() string {
	if v.env != "" {
		return StorageEnv
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	_ = v.refreshLocked()
	if m, ok := v.state.Profiles[v.state.Active]; ok {
		return m.Storage
	}
	switch {
	case v.mode != StorageAuto:
		return v.mode
	case v.keyringErr != nil:
		return StorageFile
	}
	return StorageKeyring
}

// Warnings returns what the user should know about how tokens are held:
// plain-file storage, an unavailable keyring, an ALIASD_TOKEN override.
func (v *Vault) Warnings() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []string
	if err := v.refreshLocked(); err != nil {
		out = append(out, "cannot read the token files: "+err.Error())
	}
	for _, w := range v.envWarnings {
		out = append(out, "ALIASD_TOKEN: "+w)
	}
	if v.env != "" {
		if _, ok := v.state.Profiles[v.state.Active]; ok {
			out = append(out, fmt.Sprintf("ALIASD_TOKEN is set: it is used instead of the active profile %q", v.state.Active))
		}
	}
	var inFile []string
	for n, m := range v.state.Profiles {
		if m.Storage == StorageFile {
			inFile = append(inFile, n)
		}
	}
	slices.Sort(inFile)
	if len(inFile) > 0 {
		var why string
		switch {
		case v.mode == StorageFile:
			why = `token_storage = "file"`
		case v.mode == StorageKeyring:
			why = `added before token_storage = "keyring"; add them again to move them to the keyring`
		case v.keyringErr != nil:
			why = "the OS keyring is unavailable: " + v.keyringErr.Error()
		default:
			why = "the OS keyring was unavailable when they were added; add them again to move them to the keyring"
		}
		out = append(out, fmt.Sprintf("tokens are stored in a plain file: %s (profiles %s; %s)", v.secretPath, strings.Join(inFile, ", "), why))
	} else if v.mode == StorageAuto && v.keyringErr != nil {
		out = append(out, "the OS keyring is unavailable ("+v.keyringErr.Error()+"); new tokens will be stored in a plain file")
	}
	return out
}

// CheckKeyring asks the keyring for an item that does not exist, bounded by
// the timeout: nil means the keyring answered.
func (v *Vault) CheckKeyring(ctx context.Context) error {
	_, err := v.kr.get(ctx, probeUser)
	v.noteKeyring(err)
	if isNotFound(err) {
		return nil
	}
	return err
}
