// Package alias is aliasd's knowledge of the alias marketplace API: the
// endpoint catalog (one declaration used by the client, the mock, the
// daemon and the editors), the HTTP client with its error model, retries,
// per-token rate governor and per-resource pagination, and the diagnostics
// that explain failed calls.
package alias
