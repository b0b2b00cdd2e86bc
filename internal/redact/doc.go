// Package redact scrubs secrets from text before it reaches a log, the
// request history, an export or an error result.
//
// A Redactor knows every token the daemon holds (registered with Add) and
// also recognises secrets by shape: Authorization and Cookie header values,
// "Bearer <credential>" in any letter case, and alias personal access tokens
// (the goatapi_ prefix followed by letters and digits). Each finding is
// replaced with Marker. The same Redactor serves strings, byte slices, HTTP
// headers and, through NewHandler, structured logs.
//
// Shapes are matched with care for prose: "Bearer" followed by a short
// lower-case word ("bearer token", "Bearer undefined") is kept, and a
// keyword counts only at the start of a word.
//
// Redaction is best effort for shapes and exhaustive for registered secrets:
// a registered secret is removed in its plain form and in the encodings a
// server is likely to echo it in (URL query and path escaping, JSON string
// escaping, and standard or URL-safe base64 at any alignment, which covers
// HTTP basic auth). Output never contains a registered secret, even one that
// would be formed by joining text to a marker, and redacting twice gives the
// same result as once. When nothing matches, String and Bytes return their
// input without allocating. A Redactor is safe for concurrent use.
package redact
