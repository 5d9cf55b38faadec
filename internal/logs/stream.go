package logs

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// record is one line of a stream's events file.
type record struct {
	Seq       int64  `json:"s"`
	Timestamp int64  `json:"t"`
	Ingestion int64  `json:"i"`
	Message   string `json:"m"`
}

// streamMeta is a stream's .json file.
type streamMeta struct {
	Name         string `json:"name"`
	CreationTime int64  `json:"creationTime"`
}

// entry indexes one event: its sort key and where its record is.
type entry struct {
	ts, seq   int64
	ingestion int64
	off       int64
	n         int32 // record length in bytes, newline included
	size      int32 // message length in bytes
}

func (e entry) cursor() Cursor { return Cursor{Timestamp: e.ts, Seq: e.seq} }

func compareEntries(a, b entry) int { return compareCursors(a.cursor(), b.cursor()) }

// stream is one log stream: its events file and the index over it.
// mu guards everything below it.
type stream struct {
	name       string
	num        uint64 // event ID prefix
	metaPath   string
	eventsPath string
	created    int64

	mu            sync.RWMutex
	index         []entry // sorted by (ts, seq)
	nextSeq       int64
	size          int64 // bytes in the events file
	storedBytes   int64 // message bytes
	lastIngestion int64
}

func newStream(name, metaPath, eventsPath string, created int64) *stream {
	return &stream{name: name, num: nameNumber(name), metaPath: metaPath, eventsPath: eventsPath, created: created}
}

// loadStream opens a stream from its files, rebuilding the index. A last
// line without its newline (a crash in the middle of an append) is cut off;
// a line that does not parse is skipped and logged.
func loadStream(metaPath, eventsPath string, logger *slog.Logger) (*stream, error) {
	var meta streamMeta
	if err := readJSONFile(metaPath, &meta); err != nil {
		return nil, err
	}
	st := newStream(meta.Name, metaPath, eventsPath, meta.CreationTime)
	f, err := os.Open(eventsPath)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 256<<10)
	var off int64
	for {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			if len(line) > 0 {
				logger.Warn("cutting off an incomplete log event", "stream", meta.Name, "file", eventsPath, "bytes", len(line))
				if terr := os.Truncate(eventsPath, off); terr != nil {
					return nil, fmt.Errorf("truncate %s: %w", eventsPath, terr)
				}
			}
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", eventsPath, err)
		}
		var rec record
		if err := json.Unmarshal(line, &rec); err != nil {
			logger.Warn("skipping an unreadable log event", "stream", meta.Name, "file", eventsPath, "offset", off, "err", err)
		} else {
			st.index = append(st.index, entry{ts: rec.Timestamp, seq: rec.Seq, ingestion: rec.Ingestion,
				off: off, n: int32(len(line)), size: int32(len(rec.Message))})
			st.nextSeq = max(st.nextSeq, rec.Seq+1)
			st.storedBytes += int64(len(rec.Message))
			st.lastIngestion = max(st.lastIngestion, rec.Ingestion)
		}
		off += int64(len(line))
	}
	st.size = off
	slices.SortFunc(st.index, compareEntries)
	return st, nil
}

// encodeRecords renders events as lines of the events file, starting at
// offset off with sequence number seq, and returns their index entries.
func encodeRecords(events []InputEvent, seq, ingestion, off int64) ([]byte, []entry) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	entries := make([]entry, 0, len(events))
	for _, e := range events {
		start := buf.Len()
		// Encode appends the newline; a record of strings and ints cannot fail.
		_ = enc.Encode(record{Seq: seq, Timestamp: e.Timestamp, Ingestion: ingestion, Message: e.Message})
		n := buf.Len() - start
		entries = append(entries, entry{ts: e.Timestamp, seq: seq, ingestion: ingestion,
			off: off, n: int32(n), size: int32(len(e.Message))})
		off += int64(n)
		seq++
	}
	return buf.Bytes(), entries
}

// append writes events (chronological) durably and indexes them. The
// caller holds st.mu.
func (st *stream) append(events []InputEvent, ingestion int64) error {
	data, entries := encodeRecords(events, st.nextSeq, ingestion, st.size)
	f, err := os.OpenFile(st.eventsPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// Leave no partial record behind for the next append to follow.
		_ = os.Truncate(st.eventsPath, st.size)
		return fmt.Errorf("append to %s: %w", st.eventsPath, err)
	}
	st.size += int64(len(data))
	st.nextSeq += int64(len(events))
	st.lastIngestion = max(st.lastIngestion, ingestion)
	for _, e := range entries {
		st.storedBytes += int64(e.size)
	}
	st.index = mergeEntries(st.index, entries)
	return nil
}

// mergeEntries merges sorted b into sorted a. Appends in time order, the
// common case, cost nothing more than append.
func mergeEntries(a, b []entry) []entry {
	if len(a) == 0 || compareEntries(a[len(a)-1], b[0]) < 0 {
		return append(a, b...)
	}
	out := make([]entry, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if compareEntries(a[i], b[j]) <= 0 {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// summary returns the stream's description. The caller holds st.mu (read).
func (st *stream) summary(group string) Stream {
	s := Stream{Group: group, Name: st.name, CreationTime: st.created, StoredBytes: st.storedBytes,
		Events: len(st.index), LastIngestionTime: st.lastIngestion}
	if len(st.index) > 0 {
		s.FirstEventTimestamp = st.index[0].ts
		s.LastEventTimestamp = st.index[len(st.index)-1].ts
	}
	return s
}

// eventReader reads the records of one stream.
type eventReader struct {
	st *stream
	f  *os.File
}

func (st *stream) openReader() (*eventReader, error) {
	f, err := os.Open(st.eventsPath)
	if err != nil {
		return nil, err
	}
	return &eventReader{st: st, f: f}, nil
}

func (r *eventReader) Close() error { return r.f.Close() }

func (r *eventReader) read(e entry) (Event, error) {
	buf := make([]byte, e.n)
	if _, err := r.f.ReadAt(buf, e.off); err != nil {
		return Event{}, fmt.Errorf("read %s at %d: %w", r.st.eventsPath, e.off, err)
	}
	var rec record
	if err := json.Unmarshal(buf, &rec); err != nil {
		return Event{}, fmt.Errorf("decode %s at %d: %w", r.st.eventsPath, e.off, err)
	}
	return Event{
		Stream:        r.st.name,
		ID:            fmt.Sprintf("%020d%020d", r.st.num, rec.Seq),
		Timestamp:     rec.Timestamp,
		IngestionTime: rec.Ingestion,
		Message:       rec.Message,
		Seq:           rec.Seq,
	}, nil
}

// prune rewrites the events file without the events older than cutoff and
// returns how many it dropped. The caller holds st.mu.
func (st *stream) prune(cutoff int64, logger *slog.Logger) (int, error) {
	if len(st.index) == 0 || st.index[0].ts >= cutoff {
		return 0, nil
	}
	in, err := os.Open(st.eventsPath)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(st.eventsPath), ".tmp-prune-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 256<<10)
	r := bufio.NewReaderSize(in, 256<<10)
	dropped := 0
	for {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tmp.Close()
			return 0, err
		}
		var rec record
		if json.Unmarshal(line, &rec) != nil || rec.Timestamp < cutoff {
			dropped++
			continue
		}
		if _, err := w.Write(line); err != nil {
			tmp.Close()
			return 0, err
		}
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return 0, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return 0, err
	}
	if err := tmp.Close(); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp.Name(), st.eventsPath); err != nil {
		return 0, err
	}
	if err := syncDir(filepath.Dir(st.eventsPath)); err != nil {
		return 0, err
	}
	fresh, err := loadStream(st.metaPath, st.eventsPath, logger)
	if err != nil {
		return 0, err
	}
	st.index, st.size, st.storedBytes = fresh.index, fresh.size, fresh.storedBytes
	// nextSeq and lastIngestion stay: event IDs are never reused.
	return dropped, nil
}
