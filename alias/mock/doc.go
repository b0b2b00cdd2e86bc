// Package mock is a faithful local stand-in for the alias marketplace API
// (https://api.alias.org/api/v1): the offline sandbox behind `aliasd mock`
// and `aliasd demo`, and the upstream every aliasd test talks to.
//
// It is built from the one endpoint catalog, alias.Endpoints, and routes
// with alias.Match, so /listings/batch… is never read as a listing id. It
// keeps deterministic in-memory state seeded from Config.Seed (catalog
// items, market data, listings, orders, batches), checks bearer tokens and
// per-token scope groups, validates parameters the way the real API does
// (400 code 3 "Missing parameter: input.Size", whole-dollar prices, enum
// names or numbers, page-size maxima), pages each resource with its own
// shape, serves strong ETags and 304s, processes batches asynchronously,
// and injects faults on demand: per-request X-Mock-* headers, Fault rules
// (Config.Faults, AddFault, or the admin endpoint /_mock/faults), a random
// 5xx share and a per-token rate limit.
//
// Behaviour the public documentation leaves open is chosen and written
// down in README.md beside this file: unknown routes answer 415 with the
// gRPC content-type message the real API sent, invented enum members are
// listed, and so on.
//
// Tests use Example and Failing to get, for any catalog endpoint, a call
// that succeeds against the current state and one that fails with a
// documented status and code.
package mock
