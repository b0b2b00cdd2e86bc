package tokens

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aliasd/aliasd/internal/redact"
)

// PATPrefix starts every alias personal access token.
const PATPrefix = redact.PATPrefix

const (
	// MinSecretLen and MaxSecretLen bound an accepted token, in bytes.
	MinSecretLen = 8
	MaxSecretLen = 4096
	// MaxNameLen bounds a profile name.
	MaxNameLen = 64
	// EnvProfile is the profile name of the ALIASD_TOKEN override; it cannot
	// be used for a stored profile.
	EnvProfile = "env"
)

// fingerprintTailMin is the shortest secret whose last four characters are
// shown in its fingerprint; for shorter ones they would be too much of it.
const fingerprintTailMin = 16

// Fingerprint identifies secret without revealing it: "sha256:" and the
// first 8 hex digits of its SHA-256, then "…" and its last 4 characters
// (omitted for secrets shorter than 16 bytes), e.g. "sha256:1f2e3d4c…wxyz".
// It is the only form of a token that leaves the vault.
func Fingerprint(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	fp := "sha256:" + hex.EncodeToString(sum[:4])
	if len(secret) < fingerprintTailMin {
		return fp
	}
	tail := secret
	for n := 0; n < 4 && len(tail) > 0; n++ {
		_, size := utf8.DecodeLastRuneInString(tail)
		tail = tail[:len(tail)-size]
	}
	return fp + "…" + secret[len(tail):]
}

// InvalidError reports bad input: a token, a profile name or a setting. Its
// message never contains the token.
type InvalidError struct {
	Field  string // "token", "profile name", "token_storage", "ALIASD_TOKEN"
	Reason string
}

func (e *InvalidError) Error() string { return "invalid " + e.Field + ": " + e.Reason }

// ValidateSecret checks a token as typed or piped by a user (see
// NormalizeSecret) and returns warnings for tokens that are accepted but do
// not look like a PAT.
func ValidateSecret(s string) (warnings []string, err error) {
	_, warnings, err = NormalizeSecret(s)
	return warnings, err
}

// NormalizeSecret trims one trailing newline (what `echo` or a file on stdin
// adds) and checks the rest: it must be 8 to 4096 bytes of UTF-8 without
// whitespace, control or invisible formatting characters. Errors say what is
// wrong and where, never what the token is. A token that does not start with
// goatapi_ is accepted with a warning.
func NormalizeSecret(s string) (secret string, warnings []string, err error) {
	field := "token"
	s = strings.TrimSuffix(s, "\n")
	s = strings.TrimSuffix(s, "\r")
	invalid := func(format string, args ...any) (string, []string, error) {
		return "", nil, &InvalidError{Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case s == "":
		return invalid("it is empty; give the personal access token on stdin, e.g. `aliasd token add NAME < token.txt`")
	case !utf8.ValidString(s):
		return invalid("it is not valid UTF-8 text")
	case len(s) > 6 && strings.EqualFold(s[:7], "bearer "):
		return invalid(`it starts with "Bearer "; give the token alone, without the scheme`)
	}
	pos := 0
	for _, r := range s {
		pos++
		switch {
		case unicode.IsSpace(r):
			return invalid("it contains %s at character %d; a token has no whitespace", describeSpace(r), pos)
		case unicode.IsControl(r):
			return invalid("it contains a control character (%U) at character %d", r, pos)
		case unicode.Is(unicode.Cf, r):
			return invalid("it contains an invisible formatting character (%U) at character %d, often left by copy and paste", r, pos)
		}
	}
	switch {
	case len(s) < MinSecretLen:
		return invalid("it is too short (%d characters); an alias personal access token is much longer", pos)
	case len(s) > MaxSecretLen:
		return invalid("it is too long (%d bytes, at most %d)", len(s), MaxSecretLen)
	}
	if !strings.HasPrefix(s, PATPrefix) {
		warnings = append(warnings, "the token does not start with "+PATPrefix+", as alias personal access tokens do; "+
			"a session token from the seller web app is rejected by the API with 401: create a personal access token in the token manager")
	} else if strings.ContainsFunc(s[len(PATPrefix):], func(r rune) bool { return !isAlnum(r) }) || len(s) == len(PATPrefix) {
		warnings = append(warnings, "the token starts with "+PATPrefix+" but is not followed by letters and digits only, as personal access tokens are; check that it was copied whole")
	}
	return s, warnings, nil
}

func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

func describeSpace(r rune) string {
	switch r {
	case ' ':
		return "a space"
	case '\t':
		return "a tab"
	case '\n':
		return "a line break"
	case '\r':
		return "a carriage return"
	}
	return fmt.Sprintf("whitespace (%U)", r)
}

// ValidateName checks a profile name: 1 to 64 letters, digits, '.', '_' or
// '-', not "env" (reserved for ALIASD_TOKEN) and not something that looks
// like a token (a common slip: the token typed where the name goes).
func ValidateName(name string) error {
	invalid := func(reason string) error { return &InvalidError{Field: "profile name", Reason: reason} }
	if len(name) >= len(PATPrefix) && strings.EqualFold(name[:len(PATPrefix)], PATPrefix) {
		return invalid("it looks like a token (it starts with " + PATPrefix + "); name the profile, and give the token on stdin: `aliasd token add NAME < token.txt`")
	}
	const rule = "use 1 to 64 letters, digits, '.', '_' or '-'"
	if name == "" {
		return invalid("it is empty; " + rule)
	}
	if len(name) > MaxNameLen {
		return invalid(fmt.Sprintf("it is %d characters long; %s", len(name), rule))
	}
	for i, c := range []byte(name) {
		if !(isAlnum(rune(c)) || c == '.' || c == '_' || c == '-') {
			return invalid(fmt.Sprintf("character %d (%q) is not allowed; %s", i+1, c, rule))
		}
	}
	if name == EnvProfile {
		return invalid(`"env" is reserved for the ALIASD_TOKEN override; choose another name`)
	}
	return nil
}
