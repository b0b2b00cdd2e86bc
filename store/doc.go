// Package store is the one owner of aliasd's bbolt file, aliasd.db, which
// the response cache and the request history share.
//
// Open gives the file mode 0600 (its directory 0700), bounds the wait for
// bbolt's file lock with a timeout, and serialises owners through a
// companion lock file, aliasd.db.lock, which also names the owner's pid so
// that a second process gets a clear ErrLocked instead of a hang.
//
// A damaged file never stops the daemon and never turns into a crash loop.
// Open treats these as damage: a zero-length file (bbolt would silently
// re-initialise it), both meta pages invalid, a file shorter than its own
// high-water mark (truncation, which would otherwise fault on first read),
// an error or a panic from bbolt while opening or while checking, and a
// leftover crash marker, aliasd.db.opening, which Open writes before it
// touches the file and removes once the file has opened and passed its
// check: when the marker is still there at the next start, the previous
// open crashed the process (a fault recover cannot catch), so the file is
// not opened again. A damaged file is renamed aliasd.db.corrupt-<UTC time>
// and an empty store starts; Warnings says what happened and where the old
// file went.
//
// Full checks. bbolt's tx.Check reads every page, so it costs time in
// proportion to the file: BenchmarkOpen measured 1.6 ms for a clean open of
// a 526 MiB file and 160 ms with the full check, with the file in the page
// cache (a cold disk adds the time to read the whole file). Open therefore
// runs it only when the previous owner did not shut down cleanly: Close writes
// "state closed" into aliasd.db.lock, Open writes "state open" there, so a
// killed or crashed process leaves "state open" behind and the next Open
// checks. A recovered panic from bbolt during the session also marks the
// file for a check at the next start. Every open, checked or not, compares
// the file's size with the high-water mark in its meta page, which catches
// truncation at no cost. Options.AlwaysCheck forces the full check.
//
// Components keep their schema version in the meta bucket; Migrate runs
// the pending steps of one component in one transaction and refuses a file
// written by a newer aliasd.
package store
