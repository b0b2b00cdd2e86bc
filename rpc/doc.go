// Package rpc owns aliasd's wire: the JSON-RPC method names and their
// param/result types, the frame reader and writer (LSP Content-Length
// headers or newline-delimited JSON), ordered dispatch with per-request
// contexts and cancellation, the one mapping from Go errors to JSON-RPC
// codes, and a small client used by the CLI and tests.
//
// It wraps github.com/sourcegraph/jsonrpc2 and fixes what that library
// lacks: capped frames, parse errors answered without closing the session,
// panics recovered per request, $/cancelRequest, and handlers that never
// block the read loop.
package rpc
