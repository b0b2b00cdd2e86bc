package history

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/aliasd/aliasd/internal/binrec"
)

// The journal (Config.Journal) puts a write-ahead log in front of the bbolt
// commit. A bbolt commit writes the dirty pages of six buckets and syncs
// twice (pages, then meta); appending a group's records to one file and
// syncing once costs about a quarter of that on the disks measured here.
// So with a journal a group is answered once its records are in
// the journal and synced (acknowledged ⇒ durable still holds), and a second
// goroutine, the folder, writes them into bbolt. In the same transaction it
// stores the newest folded id (keyFolded), so a restart replays exactly
// the records bbolt lacks.
//
// The folder lets groups gather for up to foldDelay, so that its commit
// (two syncs of the bbolt file) rarely runs while an append waits on the
// journal's sync: on ext4 the two queue behind each other. Readers first
// ask for a fold at once and wait until everything acknowledged when they
// started has been folded (settle), so an entry is visible to every query
// once its Append has returned, as without a journal.
//
// The file is a sequence of frames:
//
//	u32 payload length | u32 CRC-32C of the payload | payload
//	payload: the record's summary and bodies, length-prefixed (codec.go)
//
// Everything else a record holds (its id, request IDs, error flag) is
// derived from the summary, as when it was first prepared.
//
// A frame that is cut short or fails its checksum ends the replay: only the
// last group, unacknowledged because it was never synced, can be torn by a
// crash. Once the file has grown past journalTrim, the writer asks the
// folder to catch up, waits for it and empties the file.
//
// The writer overwrites zeros it wrote earlier instead of appending: the
// file is extended journalChunk at a time, zero-filled, and the frames go
// into that space. A sync after an append must also commit the file's new
// size and blocks to the filesystem's journal; a sync after an overwrite
// of allocated blocks writes only the data, which on the disks measured
// here is a third faster for a 2–3 KB record (BenchmarkJournalSync). Eight
// zero bytes where a frame would start therefore mark the clean end of
// the frames. Everything past the written frames is zeros: a failed write
// cuts the file back to the last frame, and the next write extends it
// again.

// foldDelay is how long the folder lets journaled groups gather.
const foldDelay = 25 * time.Millisecond

// journalTrim is the size past which the journal is emptied once fully
// folded.
const journalTrim = 4 << 20

// journalChunk is how much zero-filled space the writer adds when the
// frames reach the end of the file.
const journalChunk = 1 << 20

// zeroChunk is what extends the file; it is only read.
var zeroChunk [journalChunk]byte

// maxFrame bounds a frame's payload: two capped bodies and headers fit many
// times over; anything larger is damage.
const maxFrame = 64 << 20

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// keyFolded (in bucketState) holds the newest id the folder has written.
var keyFolded = []byte("folded")

// journal is the open journal file. Once the history is open, only the
// appender holding h.writer writes it.
type journal struct {
	f    *os.File
	path string
	size int64 // the end of the frames: where the next one goes
	end  int64 // the end of the file; zeros from size to end
	buf  []byte
	// dead is set when a failed write could not be cut back: frames
	// after the damage would not replay, so the writers stop using
	// the file.
	dead bool
}

// encodeFrame appends rec's frame to b.
func encodeFrame(b []byte, rec *record) []byte {
	start := len(b)
	enc := binrec.Encoder{B: append(b, make([]byte, 8)...)}
	enc.Bytes(rec.summary)
	enc.Bytes(rec.bodies)
	b = enc.B
	payload := b[start+8:]
	binary.BigEndian.PutUint32(b[start:], uint32(len(payload)))
	binary.BigEndian.PutUint32(b[start+4:], crc32.Checksum(payload, crcTable))
	return b
}

// errTorn marks the end of the readable frames.
var errTorn = errors.New("torn or damaged journal frame")

// decodeFrame reads the frame at the start of b and returns its record and
// length. The record points into b.
func decodeFrame(b []byte) (*record, int, error) {
	if len(b) < 8 {
		return nil, 0, errTorn
	}
	n := binary.BigEndian.Uint32(b)
	if n > maxFrame || int(n) > len(b)-8 {
		return nil, 0, errTorn
	}
	payload := b[8 : 8+n]
	if crc32.Checksum(payload, crcTable) != binary.BigEndian.Uint32(b[4:]) {
		return nil, 0, errTorn
	}
	d := binrec.Decoder{B: payload}
	rec := &record{summary: d.Raw(), bodies: d.Raw()}
	if d.End() != nil {
		return nil, 0, fmt.Errorf("%w: bad payload", errTorn)
	}
	if err := decodeSummary(rec.summary, &rec.entry); err != nil {
		return nil, 0, fmt.Errorf("%w: %v", errTorn, err)
	}
	id, err := parseID(rec.entry.ID)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", errTorn, err)
	}
	rec.id = id
	rec.derive()
	return rec, 8 + int(n), nil
}

// openJournal opens (creating) the journal at path, folds into bbolt every
// record it holds past the folded mark, and empties it.
func (h *History) openJournal(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("opening the journal: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("opening the journal: %w", err)
	}
	var folded uint64
	if err := h.db.View(func(tx *bolt.Tx) error {
		folded = getUint(tx.Bucket(bucketState), keyFolded)
		return nil
	}); err != nil {
		f.Close()
		return err
	}
	replayed, torn, err := h.replay(f, folded)
	if err != nil {
		f.Close()
		return fmt.Errorf("replaying the journal: %w", err)
	}
	if torn > 0 {
		// The unsynced tail of a crashed group: none of it was answered.
		h.log.Warn("history: dropped the unfinished end of the journal", "path", path, "bytes", torn)
	}
	if replayed > 0 {
		h.log.Info("history: replayed the journal", "path", path, "replayed", replayed)
	}
	if fi, err := f.Stat(); err != nil || fi.Size() > 0 {
		if err := f.Truncate(0); err != nil {
			f.Close()
			return fmt.Errorf("emptying the journal: %w", err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return fmt.Errorf("emptying the journal: %w", err)
		}
	}
	h.jr = &journal{f: f, path: path}
	return nil
}

// replayBatch bounds the bytes of frames replay holds before it folds
// them, so a journal that grew during a long database outage is not read
// into memory whole.
const replayBatch = 16 << 20

// replay reads the journal from r frame by frame and folds every record
// past folded into bbolt, a group at a time. It returns how many records
// it stored and how many bytes past the last whole frame were not the
// zeros that end a clean journal.
func (h *History) replay(r io.Reader, folded uint64) (replayed int, torn int64, err error) {
	var batch []*record
	held := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		failed, err := h.fold(batch)
		if err == nil && len(failed) > 0 {
			err = fmt.Errorf("entry %s cannot be stored", formatID(failed[0].id))
		}
		if err != nil {
			return err
		}
		for _, rec := range batch {
			h.ids.observe(rec.id)
			h.count.Add(1)
		}
		replayed += len(batch)
		batch, held = batch[:0], 0
		return nil
	}
	torn, err = scanFrames(r, func(rec *record, size int) error {
		if rec.id <= folded {
			return nil
		}
		batch = append(batch, rec)
		if held += size; len(batch) == maxGroup || held >= replayBatch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return replayed, 0, err
	}
	return replayed, torn, flush()
}

// scanFrames reads frames from r and calls fn with each whole one and its
// size, until the zeros that end a clean journal, the end of r, or a frame
// that is cut short or damaged. It returns the bytes past the last whole
// frame that are not those zeros; an error is r's or fn's.
func scanFrames(r io.Reader, fn func(rec *record, size int) error) (torn int64, err error) {
	br := bufio.NewReaderSize(r, 1<<20)
	var hdr [8]byte
	for {
		n, err := io.ReadFull(br, hdr[:])
		switch {
		case err == io.EOF:
			return 0, nil
		case err != nil && err != io.ErrUnexpectedEOF:
			return 0, err
		case cleanEnd(hdr[:n]):
			// Zeros: the end of the frames, unless something follows.
			return nonZero(br)
		}
		size := binary.BigEndian.Uint32(hdr[:])
		if n < len(hdr) || size > maxFrame {
			return int64(n) + drain(br), nil
		}
		frame := make([]byte, 8+int(size))
		copy(frame, hdr[:])
		if m, err := io.ReadFull(br, frame[8:]); err != nil {
			if err != io.ErrUnexpectedEOF && err != io.EOF {
				return 0, err
			}
			return int64(8+m) + drain(br), nil
		}
		rec, _, err := decodeFrame(frame)
		if err != nil {
			return int64(len(frame)) + drain(br), nil
		}
		if err := fn(rec, len(frame)); err != nil {
			return 0, err
		}
	}
}

// nonZero reads r to its end and returns the bytes from the first one that
// is not zero, or 0 when all are zeros.
func nonZero(r io.Reader) (int64, error) {
	buf := make([]byte, 64<<10)
	var total, first int64 = 0, -1
	for {
		n, err := r.Read(buf)
		if first < 0 {
			if i := slices.IndexFunc(buf[:n], func(c byte) bool { return c != 0 }); i >= 0 {
				first = total + int64(i)
			}
		}
		total += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	if first < 0 {
		return 0, nil
	}
	return total - first, nil
}

// drain reads r to its end and returns how many bytes it read.
func drain(r io.Reader) int64 {
	n, _ := io.Copy(io.Discard, r)
	return n
}

// cleanEnd reports whether b is where the frames end: nothing left, or the
// zeros past the last frame.
func cleanEnd(b []byte) bool {
	return !slices.ContainsFunc(b, func(c byte) bool { return c != 0 })
}

// write puts the group's frames after the last one and syncs them,
// extending the file with zeros first when they do not fit. On failure the
// file is cut back to the last frame, so the frames before stay readable
// and nothing but zeros follows them; if even that fails the journal is
// closed and the caller commits straight to bbolt.
func (j *journal) write(group []*pending) error {
	j.buf = j.buf[:0]
	for _, p := range group {
		j.buf = encodeFrame(j.buf, p.rec)
	}
	size := j.size + int64(len(j.buf))
	if size > j.end {
		// The extension is written before the frames, so a frame is
		// never followed by anything but zeros or the next frame.
		end := (size + journalChunk) / journalChunk * journalChunk
		for off := size; off < end; off += journalChunk {
			n := min(end-off, journalChunk)
			if _, err := j.f.WriteAt(zeroChunk[:n], off); err != nil {
				return j.undo(err)
			}
		}
		j.end = end
	}
	if _, err := j.f.WriteAt(j.buf, j.size); err != nil {
		return j.undo(err)
	}
	if err := datasync(j.f); err != nil {
		return j.undo(err)
	}
	j.size = size
	if cap(j.buf) > 1<<20 {
		j.buf = nil // a burst of large bodies: do not keep its buffer
	}
	return nil
}

func (j *journal) undo(err error) error {
	if terr := j.f.Truncate(j.size); terr != nil {
		j.dead = true
		return fmt.Errorf("%w (and cutting it back: %v)", err, terr)
	}
	j.end = j.size
	return err
}

// trim empties the journal; every record in it must be folded.
func (j *journal) trim() error {
	if err := j.f.Truncate(0); err != nil {
		return err
	}
	j.size, j.end = 0, 0
	return nil
}

// fold writes recs into bbolt in one transaction and advances the folded
// mark. As in commitGroup, when one entry's function fails the others are
// written one by one; the entries that failed alone are returned and the
// mark stays where it was, so a restart would replay them.
func (h *History) fold(recs []*record) (failed []*record, err error) {
	bad := -1
	err = h.db.Update(func(tx *bolt.Tx) error {
		for i, rec := range recs {
			if err := h.putFunc(rec)(tx); err != nil {
				bad = i
				return err
			}
		}
		return h.markFolded(tx, recs[len(recs)-1].id)
	})
	if bad < 0 {
		return nil, err
	}
	for _, rec := range recs {
		if err := h.db.Update(h.putFunc(rec)); err != nil {
			failed = append(failed, rec)
		}
	}
	if len(failed) > 0 {
		return failed, nil
	}
	return nil, h.db.Update(func(tx *bolt.Tx) error { return h.markFolded(tx, recs[len(recs)-1].id) })
}

// markFolded advances the folded mark to id.
func (h *History) markFolded(tx *bolt.Tx, id uint64) error {
	st := tx.Bucket(bucketState)
	if getUint(st, keyFolded) >= id {
		return nil
	}
	return putUint(st, keyFolded, id)
}

// foldAttempts bounds the tries for an entry that fails on its own (a
// transaction that fails as a whole is retried until Close).
const foldAttempts = 5

// foldLoop writes the journaled groups into bbolt until Close closes
// h.folds. A failure is retried with backoff: the records are safe in the
// journal meanwhile, and replayed at the next Open if the process ends
// first.
func (h *History) foldLoop() {
	defer close(h.foldDone)
	var recs []*record
	delay := time.NewTimer(foldDelay)
	for g := range h.folds {
		recs = append(recs[:0], g...)
		delay.Reset(foldDelay)
	gather:
		for len(recs) < maxGroup {
			select {
			case g, ok := <-h.folds:
				if !ok {
					break gather
				}
				recs = append(recs, g...)
			case <-h.foldNow:
				break gather
			case <-delay.C:
				break gather
			}
		}
		if h.onFold != nil {
			h.onFold()
		}
		last := recs[len(recs)-1].id
		attempts := 0
		for wait := 50 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
			failed, err := h.fold(recs)
			if err == nil && len(failed) == 0 {
				break
			}
			if err == nil {
				if attempts++; attempts >= foldAttempts {
					for _, rec := range failed {
						h.log.Error("history: a journaled entry could not be stored; it is lost", "id", formatID(rec.id))
					}
					if err := h.db.Update(func(tx *bolt.Tx) error { return h.markFolded(tx, last) }); err != nil {
						h.log.Error("history: advancing the folded mark", "err", err)
					}
					break
				}
				err = fmt.Errorf("%d entries failed on their own", len(failed))
			}
			h.log.Error("history: writing journaled entries to the database", "err", err, "retry", wait)
			if h.stopping.Load() {
				h.foldFailed = true // left in the journal for the next Open
				break
			}
			time.Sleep(wait)
		}
		h.setFolded(last)
	}
}

// setFolded publishes the newest folded id and wakes settling readers.
func (h *History) setFolded(id uint64) {
	h.foldMu.Lock()
	h.folded = id
	close(h.foldedCh)
	h.foldedCh = make(chan struct{})
	h.foldMu.Unlock()
}

// settleLimit bounds how long a reader waits for the folder; past it (a
// failing disk) the reader sees what bbolt has.
const settleLimit = 5 * time.Second

// settle waits until every entry acknowledged before the call is in bbolt.
func (h *History) settle() {
	if h.jr == nil {
		return
	}
	target := h.acked.Load()
	if folded, ok := h.waitFolded(target, settleLimit); !ok {
		h.log.Warn("history: reading before the journal is folded", "acked", formatID(target), "folded", formatID(folded))
	}
}

// waitFolded asks the folder to fold now and waits until it has folded
// target, for at most limit. It returns the folded id and whether it
// reached target.
func (h *History) waitFolded(target uint64, limit time.Duration) (uint64, bool) {
	var timer *time.Timer
	for {
		h.foldMu.Lock()
		folded, ch := h.folded, h.foldedCh
		h.foldMu.Unlock()
		if folded >= target {
			return folded, true
		}
		select {
		case h.foldNow <- struct{}{}:
		default: // a request is pending already
		}
		if timer == nil {
			timer = time.NewTimer(limit)
			defer timer.Stop()
		}
		select {
		case <-ch:
		case <-timer.C:
			return folded, false
		}
	}
}

// view is db.View after settle.
func (h *History) view(fn func(tx *bolt.Tx) error) error {
	h.settle()
	return h.db.View(fn)
}
