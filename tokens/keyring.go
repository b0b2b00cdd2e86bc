package tokens

import (
	"context"
	"errors"
	"sync"
	"time"

	gokeyring "github.com/zalando/go-keyring"

	"github.com/aliasd/aliasd/internal/redact"
)

// KeyringService is the keyring service name; the user is the profile name.
const KeyringService = "aliasd"

// DefaultKeyringTimeout bounds each keyring call unless Config says otherwise.
const DefaultKeyringTimeout = 3 * time.Second

// probeUser is looked up by CheckKeyring; it cannot be a profile name.
const probeUser = ":probe"

// Keyring is a secret store keyed by service and user. Get and Delete report
// a missing item with an error matching go-keyring's keyring.ErrNotFound or
// this package's ErrNotFound. Implementations may block; the vault bounds
// every call by its timeout.
type Keyring interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	Delete(service, user string) error
}

// SystemKeyring returns the OS keyring (go-keyring). On Linux and the BSDs
// it fails at once, without starting a D-Bus session, when no session bus
// is running.
func SystemKeyring() Keyring { return systemKeyring{} }

type systemKeyring struct{}

func (systemKeyring) Get(service, user string) (string, error) {
	if err := sessionBusCheck(); err != nil {
		return "", err
	}
	return gokeyring.Get(service, user)
}

func (systemKeyring) Set(service, user, password string) error {
	if err := sessionBusCheck(); err != nil {
		return err
	}
	return gokeyring.Set(service, user, password)
}

func (systemKeyring) Delete(service, user string) error {
	if err := sessionBusCheck(); err != nil {
		return err
	}
	return gokeyring.Delete(service, user)
}

// MemoryKeyring is a Keyring held in memory, for tests and for
// token_storage = "memory". It is safe for concurrent use.
type MemoryKeyring struct {
	mu    sync.Mutex        // guards items
	items map[string]string // service + "\x00" + user -> secret
}

// NewMemoryKeyring returns an empty MemoryKeyring.
func NewMemoryKeyring() *MemoryKeyring { return &MemoryKeyring{items: make(map[string]string)} }

// Get returns the secret for service and user.
func (m *MemoryKeyring) Get(service, user string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.items[service+"\x00"+user]
	if !ok {
		return "", gokeyring.ErrNotFound
	}
	return s, nil
}

// Set stores the secret for service and user.
func (m *MemoryKeyring) Set(service, user, password string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.items[service+"\x00"+user] = password
	return nil
}

// Delete removes the secret for service and user.
func (m *MemoryKeyring) Delete(service, user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := service + "\x00" + user
	if _, ok := m.items[k]; !ok {
		return gokeyring.ErrNotFound
	}
	delete(m.items, k)
	return nil
}

func isNotFound(err error) bool {
	return errors.Is(err, gokeyring.ErrNotFound) || errors.Is(err, ErrNotFound)
}

// timedKeyring bounds every call to a Keyring by a timeout. A call that
// times out keeps running in its goroutine; until it returns, further calls
// fail at once instead of piling up goroutines behind a hung keyring.
type timedKeyring struct {
	kr      Keyring
	timeout time.Duration
	red     *redact.Redactor

	mu      sync.Mutex // guards pending
	pending int        // abandoned calls that have not returned yet
}

type krResult struct {
	val string
	err error
}

// call runs fn with the timeout. Backend errors are returned as
// *KeyringError, except a missing item (returned as is, see isNotFound) and
// the context's error.
func (t *timedKeyring) call(ctx context.Context, op string, fn func() (string, error)) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	t.mu.Lock()
	if t.pending > 0 {
		t.mu.Unlock()
		return "", &KeyringError{Op: op, Err: errStillWaiting, msg: errStillWaiting.Error()}
	}
	t.mu.Unlock()

	done := make(chan krResult, 1)
	var abandoned bool // guarded by t.mu
	go func() {
		v, err := fn()
		// Send under the lock (done is buffered): the abandoning side then
		// either sees the result or sets abandoned before we look at it.
		t.mu.Lock()
		if abandoned {
			t.pending--
		}
		done <- krResult{v, err}
		t.mu.Unlock()
	}()
	timer := time.NewTimer(t.timeout)
	defer timer.Stop()
	var cause error
	select {
	case r := <-done:
		return r.val, t.wrap(op, r.err)
	case <-timer.C:
	case <-ctx.Done():
		cause = ctx.Err()
	}
	t.mu.Lock()
	select {
	case r := <-done: // finished while we were deciding
		t.mu.Unlock()
		return r.val, t.wrap(op, r.err)
	default:
	}
	abandoned = true
	t.pending++
	t.mu.Unlock()
	if cause != nil {
		return "", cause
	}
	return "", &KeyringError{Op: op, Timeout: t.timeout}
}

func (t *timedKeyring) wrap(op string, err error) error {
	if err == nil || isNotFound(err) {
		return err
	}
	return &KeyringError{Op: op, Err: err, msg: t.red.String(err.Error())}
}

func (t *timedKeyring) get(ctx context.Context, user string) (string, error) {
	return t.call(ctx, "get", func() (string, error) { return t.kr.Get(KeyringService, user) })
}

func (t *timedKeyring) set(ctx context.Context, user, secret string) error {
	_, err := t.call(ctx, "set", func() (string, error) { return "", t.kr.Set(KeyringService, user, secret) })
	return err
}

func (t *timedKeyring) delete(ctx context.Context, user string) error {
	_, err := t.call(ctx, "delete", func() (string, error) { return "", t.kr.Delete(KeyringService, user) })
	return err
}
