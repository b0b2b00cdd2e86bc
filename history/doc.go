// Package history records every API call aliasd makes — its request IDs,
// status, the API's error, a diagnostic and the capped, redacted request and
// response — in buckets of the shared bbolt file, and answers the queries the
// editors and the CLI ask of it.
//
// An entry is durable once Append returns. Appends are group-committed:
// one appender at a time writes everything queued in one transaction, so
// concurrent callers share one fsync and an idle append waits only for its
// own (commit.go explains why this beats bbolt's Batch here). With
// Config.Journal, as the daemon runs it, the group goes to a journal file
// with a single sync and is answered; a folder goroutine
// moves the entries into bbolt right after, and Open replays what a crash
// left unfolded (journal.go). Ids are time-ordered, sortable and handed out
// in commit order; the entries bucket is keyed by their big-endian form, so
// bucket order is time order. Secondary buckets index request IDs, status
// classes and errors so that the common queries (one request ID, the newest
// errors, one status class) never read the whole history. Retention (a
// maximum count and age) runs in small background transactions so it never
// holds the writer for long, and bbolt reuses the pages it frees, so the file
// stops growing once the history is full.
//
// The package also exports the history as HAR 1.2 or NDJSON and formats it
// for a terminal (a table and a support-ready block).
//
// History does not open the bbolt file: the store package owns it and passes
// an open *bbolt.DB in Config.
package history
