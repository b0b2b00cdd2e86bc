package tokens

import (
	"errors"
	"fmt"
	"time"
)

var (
	// ErrNotFound: the named profile does not exist.
	ErrNotFound = errors.New("not found")
	// ErrNoToken: no profile is active and ALIASD_TOKEN is not set.
	ErrNoToken = errors.New("no token: add one with `aliasd token add NAME` (the token on stdin), or set ALIASD_TOKEN")
	// ErrKeyringUnavailable: the OS keyring failed or did not answer in
	// time. Errors that match it are *KeyringError.
	ErrKeyringUnavailable = errors.New("OS keyring unavailable")
	// ErrSecretMissing: a profile exists but its backend no longer holds the
	// secret (e.g. it was deleted from the keyring by another tool).
	ErrSecretMissing = errors.New("secret missing")
	// ErrInsecure: a token file or directory is owned by another user, or is
	// not a plain file or directory; the vault refuses to use it.
	ErrInsecure = errors.New("refusing an insecure token file")
)

// errStillWaiting is the cause when an earlier keyring call never returned.
var errStillWaiting = errors.New("an earlier keyring call has not returned yet (a locked keyring may be waiting for an unlock prompt)")

// KeyringError reports a keyring call that failed or timed out. It matches
// ErrKeyringUnavailable with errors.Is.
type KeyringError struct {
	Op      string        // "get", "set" or "delete"
	Timeout time.Duration // set when the call did not answer in time
	Err     error         // the backend's error, when it answered with one
	msg     string        // Err's message, redacted
}

func (e *KeyringError) Error() string {
	if e.Timeout > 0 {
		return fmt.Sprintf("keyring %s: no answer within %s (a locked keyring may be waiting for an unlock prompt)", e.Op, e.Timeout)
	}
	return "keyring " + e.Op + ": " + e.msg
}

// Is makes every KeyringError match ErrKeyringUnavailable.
func (e *KeyringError) Is(target error) bool { return target == ErrKeyringUnavailable }

// Unwrap returns the backend's error.
func (e *KeyringError) Unwrap() error { return e.Err }
