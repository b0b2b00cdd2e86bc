// Package tokens is aliasd's token vault: named profiles of alias personal
// access tokens (PATs), one of them active.
//
// Secrets live in the OS keyring (go-keyring: the Secret Service on Linux,
// the Keychain on macOS, the Credential Manager on Windows), service
// "aliasd", user = profile name. Every keyring call is bounded by a timeout,
// because a locked keyring can wait for an unlock prompt forever. When the
// keyring is unavailable and token_storage allows it ("auto" or "file"),
// secrets go to a plain file, tokens.secret.json (mode 0600 in a 0700
// directory, written atomically); the vault then says so in every Info
// (Storage "file") and in Warnings. token_storage = "keyring" fails closed.
// ALIASD_TOKEN, passed in as Config.EnvToken, overrides the active profile
// and is never stored (Storage "env", profile "env").
//
// Non-secret metadata (profiles, backend, active profile, created time,
// fingerprint) lives in tokens.json next to it. A secret never appears in
// that file, in an error message or in a log line: outside the vault a token
// is known by its Fingerprint only, and every secret the vault adds or loads
// is registered with the shared redact.Redactor.
package tokens
