package alias

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
)

// ErrInvalidCall is matched (errors.Is) by every *FieldError: the call could
// not be made as asked. The daemon answers it with JSON-RPC -32602.
var ErrInvalidCall = errors.New("invalid call")

// ErrNotPaginated is matched by the error Walk returns for a path that has no
// pager in the catalog.
var ErrNotPaginated = errors.New("path is not paginated")

// ErrNoCredential is matched by *CredentialError.
var ErrNoCredential = errors.New("no usable token")

// FieldError says which field of a call (or of an RPC query map) is bad and
// why. Field uses the RPC's names: "method", "path", "query.size", "body",
// "header.Authorization", "maxPages", ...
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return "invalid " + e.Field + ": " + e.Msg }

// Is makes errors.Is(err, ErrInvalidCall) true.
func (e *FieldError) Is(target error) bool { return target == ErrInvalidCall }

// fieldErr builds a FieldError; caller input quoted in it is masked when it
// looks like a token.
func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Msg: baselineRedact(fmt.Sprintf(format, args...))}
}

// CredentialError reports that the token source could not supply a usable
// token for a profile. Its text is redacted; the call was not sent.
type CredentialError struct {
	Profile string // as asked; "" = the active profile
	Msg     string
}

func (e *CredentialError) Error() string {
	p := e.Profile
	if p == "" {
		p = "active profile"
	} else {
		p = "profile " + p
	}
	return "token for " + p + ": " + e.Msg
}

// Is makes errors.Is(err, ErrNoCredential) true.
func (e *CredentialError) Is(target error) bool { return target == ErrNoCredential }

// NetClass names the kind of failure when no complete HTTP response was
// received (Response.Status 0). It is stable text, stored in history.
type NetClass string

// Transport failure classes.
const (
	NetNone      NetClass = ""
	NetDNS       NetClass = "dns"
	NetRefused   NetClass = "refused"
	NetTimeout   NetClass = "timeout"
	NetTLS       NetClass = "tls"
	NetReset     NetClass = "reset"
	NetRedirect  NetClass = "redirect"
	NetBodyCap   NetClass = "body_cap"
	NetTruncated NetClass = "truncated"
	NetCanceled  NetClass = "canceled"
	NetOther     NetClass = "other"
)

// NetError is a transport failure with redacted text. Unwrap reaches the
// original error (for errors.Is(err, context.Canceled) and the like); print
// NetError itself, never what it wraps.
type NetError struct {
	Class NetClass
	Msg   string // redacted
	cause error
}

func (e *NetError) Error() string { return e.Msg }

// Unwrap returns the underlying error.
func (e *NetError) Unwrap() error { return e.cause }

// errRequestTimeout is the context cause set when RequestTimeout expires.
var errRequestTimeout = errors.New("request timeout")

// errBodyCap marks a body that passed MaxBodyBytes.
var errBodyCap = errors.New("response body over cap")

// redirectError is returned by CheckRedirect for a hop the client refuses.
type redirectError struct {
	status   int
	location string // origin + path only, not yet redacted
	reason   string
}

func (e *redirectError) Error() string {
	return "refused redirect to " + e.location + ": " + e.reason
}

// classify names the failure class of a transport or body-read error. cause
// is the context cause of the attempt (errRequestTimeout when the client's
// own timeout fired).
func classify(err error, ctxCause error) NetClass {
	var re *redirectError
	switch {
	case err == nil:
		return NetNone
	case errors.As(err, &re):
		return NetRedirect
	case errors.Is(err, errBodyCap):
		return NetBodyCap
	case errors.Is(ctxCause, errRequestTimeout):
		return NetTimeout
	case errors.Is(err, context.Canceled):
		return NetCanceled
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return NetTimeout
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		if dnsErr.IsTimeout {
			return NetTimeout
		}
		return NetDNS
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return NetRefused
	}
	if isTLSError(err) {
		return NetTLS
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) {
		return NetReset
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return NetTimeout
	}
	// The HTTP/1 transport reports a connection closed before any response
	// byte as a plain error ("server closed connection", "EOF").
	msg := err.Error()
	if strings.Contains(msg, "EOF") || strings.Contains(msg, "connection reset") ||
		strings.Contains(msg, "server closed") {
		return NetReset
	}
	return NetOther
}

func isTLSError(err error) bool {
	var (
		rh    tls.RecordHeaderError
		cv    *tls.CertificateVerificationError
		ua    x509.UnknownAuthorityError
		hn    x509.HostnameError
		ci    x509.CertificateInvalidError
		alert tls.AlertError
		ech   *tls.ECHRejectionError
	)
	if errors.As(err, &rh) || errors.As(err, &cv) || errors.As(err, &ua) ||
		errors.As(err, &hn) || errors.As(err, &ci) || errors.As(err, &alert) ||
		errors.As(err, &ech) {
		return true
	}
	return strings.Contains(err.Error(), "tls: ")
}
