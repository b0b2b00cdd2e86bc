package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// JSON-RPC and LSP error codes used by aliasd.
const (
	CodeParseError           = -32700
	CodeInvalidRequest       = -32600
	CodeMethodNotFound       = -32601
	CodeInvalidParams        = -32602
	CodeInternalError        = -32603
	CodeServerNotInitialized = -32002
	CodeRequestFailed        = -32803 // LSP: well-formed request that failed (no token, not found, ...)
	CodeRequestCancelled     = -32800
)

// Error is a JSON-RPC error a handler returns to choose its code.
type Error struct {
	Code    int64
	Message string
	Data    any
}

func (e *Error) Error() string { return fmt.Sprintf("%s (code %d)", e.Message, e.Code) }

// Errorf returns an *Error with a formatted message.
func Errorf(code int64, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ParamError reports a bad request parameter; it maps to -32602 with a
// message naming the field.
type ParamError struct {
	Field string // JSON name, dotted for nested fields
	Msg   string
}

func (e *ParamError) Error() string {
	if e.Field == "" {
		return "invalid params: " + e.Msg
	}
	return fmt.Sprintf("invalid params: %s: %s", e.Field, e.Msg)
}

// InvalidParam returns a *ParamError for field.
func InvalidParam(field, format string, args ...any) error {
	return &ParamError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Failed returns a -32803 error: the request was well formed but could not
// be carried out (no token configured, profile not found, ...).
func Failed(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: CodeRequestFailed, Message: err.Error()}
}

// errCancelled is what a request cancelled by $/cancelRequest answers.
var errCancelled = &Error{Code: CodeRequestCancelled, Message: "request cancelled"}

// toWire is the one mapping from Go errors to JSON-RPC error objects.
// redact scrubs secrets from messages that came from deeper layers.
func toWire(err error, redact func(string) string) *WireError {
	var e *Error
	var pe *ParamError
	var ute *json.UnmarshalTypeError
	switch {
	case errors.As(err, &e):
		w := &WireError{Code: e.Code, Message: redact(e.Message)}
		if e.Data != nil {
			if b, merr := json.Marshal(e.Data); merr == nil {
				w.Data = b
			}
		}
		return w
	case errors.As(err, &pe):
		return &WireError{Code: CodeInvalidParams, Message: redact(pe.Error())}
	case errors.As(err, &ute):
		field := ute.Field
		if field == "" {
			field = "params"
		}
		return &WireError{Code: CodeInvalidParams, Message: fmt.Sprintf("invalid params: %s: expected %s, got JSON %s", field, ute.Type, ute.Value)}
	case errors.Is(err, context.Canceled):
		return &WireError{Code: CodeRequestCancelled, Message: "request cancelled"}
	}
	return &WireError{Code: CodeInternalError, Message: redact("internal error: " + err.Error())}
}
