package mock

import (
	"fmt"
	"net/http"
)

// gRPC status codes the API reports in its error body (google.rpc.Status).
const (
	codeUnknown            = 2
	codeInvalidArgument    = 3
	codeDeadlineExceeded   = 4
	codeNotFound           = 5
	codeAlreadyExists      = 6
	codePermissionDenied   = 7
	codeResourceExhausted  = 8
	codeFailedPrecondition = 9
	codeAborted            = 10
	codeUnimplemented      = 12
	codeInternal           = 13
	codeUnavailable        = 14
	codeUnauthenticated    = 16
)

// httpStatusForCode is grpc-gateway's default mapping (alias-api.md §6).
// Business-rule refusals do not go through it: they carry code 9 with the
// documented HTTP 402 (see apiError.Status).
func httpStatusForCode(code int) int {
	switch code {
	case codeInvalidArgument, codeFailedPrecondition:
		return http.StatusBadRequest
	case codeNotFound:
		return http.StatusNotFound
	case codeAlreadyExists, codeAborted:
		return http.StatusConflict
	case codePermissionDenied:
		return http.StatusForbidden
	case codeResourceExhausted:
		return http.StatusTooManyRequests
	case codeInternal, codeUnknown:
		return http.StatusInternalServerError
	case codeUnavailable:
		return http.StatusServiceUnavailable
	case codeUnauthenticated:
		return http.StatusUnauthorized
	case codeDeadlineExceeded:
		return http.StatusGatewayTimeout
	case codeUnimplemented:
		return http.StatusNotImplemented
	}
	return http.StatusInternalServerError
}

// codeForHTTPStatus picks the gRPC code an injected HTTP status carries.
func codeForHTTPStatus(status int) int {
	switch status {
	case http.StatusBadRequest:
		return codeInvalidArgument
	case http.StatusUnauthorized:
		return codeUnauthenticated
	case http.StatusPaymentRequired:
		return codeFailedPrecondition
	case http.StatusForbidden:
		return codePermissionDenied
	case http.StatusNotFound:
		return codeNotFound
	case http.StatusConflict:
		return codeAborted
	case http.StatusTooManyRequests:
		return codeResourceExhausted
	case http.StatusInternalServerError:
		return codeInternal
	case http.StatusNotImplemented:
		return codeUnimplemented
	case http.StatusBadGateway, http.StatusServiceUnavailable:
		return codeUnavailable
	case http.StatusGatewayTimeout:
		return codeDeadlineExceeded
	}
	return codeUnknown
}

// apiError is one error answer: {"code":N,"message":"…","details":[]}.
type apiError struct {
	Status  int // HTTP status
	Code    int // gRPC code
	Message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d code %d: %s", e.Status, e.Code, e.Message) }

func newError(code int, format string, args ...any) *apiError {
	return &apiError{Status: httpStatusForCode(code), Code: code, Message: fmt.Sprintf(format, args...)}
}

// errMissing is the observed message for an absent required field; the
// name is the Go field name of the request message (input.Size).
func errMissing(param string) *apiError {
	return newError(codeInvalidArgument, "Missing parameter: input.%s", goFieldName(param))
}

func errInvalid(param, format string, args ...any) *apiError {
	return newError(codeInvalidArgument, "Invalid parameter: input.%s: %s", goFieldName(param), fmt.Sprintf(format, args...))
}

func errNotFound(what, id string) *apiError {
	return newError(codeNotFound, "%s %q not found", what, id)
}

// errRefused is a business-rule refusal: valid parameters, request failed
// (documented HTTP 402, code 9 FAILED_PRECONDITION).
func errRefused(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusPaymentRequired, Code: codeFailedPrecondition, Message: fmt.Sprintf(format, args...)}
}

// errorBody renders the error model. Details is always an array.
func errorBody(e *apiError) []byte {
	return mustJSON(struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Details []any  `json:"details"`
	}{e.Code, e.Message, []any{}})
}

// goFieldName turns a proto field name into the Go field name the API's
// messages use: catalog_id -> CatalogId, order.sort_by -> Order.SortBy.
func goFieldName(name string) string {
	out := make([]byte, 0, len(name))
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_':
			upper = true
			continue
		case c == '.':
			out = append(out, '.')
			upper = true
			continue
		case upper && c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		}
		upper = false
		out = append(out, c)
	}
	return string(out)
}
