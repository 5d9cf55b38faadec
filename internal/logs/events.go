package logs

import (
	"cmp"
	"container/heap"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// Age limits of PutLogEvents.
const (
	MaxEventAge    = 14 * 24 * time.Hour // older events are rejected (tooOld)
	MaxEventFuture = 2 * time.Hour       // newer events are rejected (tooNew)
	MaxBatchSpan   = 24 * time.Hour      // a batch may not span more
)

// PutResult says which events of a batch were stored. The batch is
// chronological, so the rejected events are a prefix (too old, or older
// than the group's retention) and a suffix (too far in the future).
type PutResult struct {
	Accepted int
	// TooOldEnd is the number of leading events older than MaxEventAge,
	// ExpiredEnd the number older than the group's retention; the events
	// before max(TooOldEnd, ExpiredEnd) were dropped.
	TooOldEnd, ExpiredEnd int
	// TooNewStart is the index of the first event more than MaxEventFuture
	// ahead; len(batch) when there is none.
	TooNewStart int
}

// Put appends a chronological batch of events to a stream. Events outside
// the accepted time window are dropped and reported in the result, as
// CloudWatch Logs does; a batch out of order or spanning more than 24 hours
// is refused whole with an error wrapping ErrInvalid.
func (s *Store) Put(groupName, streamName string, events []InputEvent) (PutResult, error) {
	if len(events) == 0 {
		return PutResult{}, invalidf("logEvents must contain at least one event.")
	}
	for i := 1; i < len(events); i++ {
		if events[i].Timestamp < events[i-1].Timestamp {
			return PutResult{}, invalidf("Log events in a single PutLogEvents request must be in chronological order.")
		}
	}
	if time.Duration(events[len(events)-1].Timestamp-events[0].Timestamp)*time.Millisecond > MaxBatchSpan {
		return PutResult{}, invalidf("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, st, err := s.lookupStream(groupName, streamName)
	if err != nil {
		return PutResult{}, err
	}
	now := s.now()
	tooOld := now.Add(-MaxEventAge).UnixMilli()
	tooNew := now.Add(MaxEventFuture).UnixMilli()
	res := PutResult{TooNewStart: len(events)}
	res.TooOldEnd = sort.Search(len(events), func(i int) bool { return events[i].Timestamp >= tooOld })
	if days := g.meta.RetentionInDays; days > 0 {
		expired := now.Add(-time.Duration(days) * 24 * time.Hour).UnixMilli()
		res.ExpiredEnd = sort.Search(len(events), func(i int) bool { return events[i].Timestamp >= expired })
	}
	res.TooNewStart = sort.Search(len(events), func(i int) bool { return events[i].Timestamp > tooNew })
	keep := events[min(max(res.TooOldEnd, res.ExpiredEnd), res.TooNewStart):res.TooNewStart]
	if len(keep) == 0 {
		return res, nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.append(keep, now.UnixMilli()); err != nil {
		return PutResult{}, err
	}
	res.Accepted = len(keep)
	return res, nil
}

// Cursor is a position in a stream's order: events sort by timestamp, then
// by sequence number (order of arrival).
type Cursor struct {
	Timestamp int64
	Seq       int64
}

// Head is before every event, Tail after every event.
var (
	Head = Cursor{Timestamp: math.MinInt64, Seq: math.MinInt64}
	Tail = Cursor{Timestamp: math.MaxInt64, Seq: math.MaxInt64}
)

func compareCursors(a, b Cursor) int {
	if c := cmp.Compare(a.Timestamp, b.Timestamp); c != 0 {
		return c
	}
	return cmp.Compare(a.Seq, b.Seq)
}

// ReadOptions select events of one stream.
type ReadOptions struct {
	// Start and End bound the timestamps: Start <= t < End; End 0 means
	// no upper bound.
	Start, End int64
	// From is where reading starts, exclusive: forward reads return the
	// events after it, backward reads the events before it closest to it.
	From     Cursor
	Backward bool
	// Limit caps the number of events (default and maximum 10000);
	// MaxBytes caps the sum of message sizes (0: no cap) but at least one
	// event is returned if there is one.
	Limit, MaxBytes int
}

// MaxEvents is the most events one read returns.
const MaxEvents = 10000

// Read returns events of one stream in ascending order.
func (s *Store) Read(groupName, streamName string, o ReadOptions) ([]Event, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, st, err := s.lookupStream(groupName, streamName)
	if err != nil {
		return nil, err
	}
	st.mu.RLock()
	defer st.mu.RUnlock()
	limit := o.Limit
	if limit <= 0 || limit > MaxEvents {
		limit = MaxEvents
	}
	lo, hi := st.timeRange(o.Start, o.End)
	var sel []entry
	if o.Backward {
		// The events before From, at most limit, closest to From.
		j := lo + sort.Search(hi-lo, func(i int) bool { return compareCursors(st.index[lo+i].cursor(), o.From) >= 0 })
		i := j
		var bytes int
		for i > lo && j-i < limit {
			e := st.index[i-1]
			if o.MaxBytes > 0 && j-i > 0 && bytes+int(e.size) > o.MaxBytes {
				break
			}
			bytes += int(e.size)
			i--
		}
		sel = st.index[i:j]
	} else {
		i := lo + sort.Search(hi-lo, func(i int) bool { return compareCursors(st.index[lo+i].cursor(), o.From) > 0 })
		j := i
		var bytes int
		for j < hi && j-i < limit {
			e := st.index[j]
			if o.MaxBytes > 0 && j-i > 0 && bytes+int(e.size) > o.MaxBytes {
				break
			}
			bytes += int(e.size)
			j++
		}
		sel = st.index[i:j]
	}
	if len(sel) == 0 {
		return []Event{}, nil
	}
	r, err := st.openReader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	out := make([]Event, 0, len(sel))
	for _, e := range sel {
		ev, err := r.read(e)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}

// timeRange returns the index range [lo, hi) of events with
// start <= timestamp < end (end 0: unbounded). The caller holds st.mu.
func (st *stream) timeRange(start, end int64) (int, int) {
	lo := sort.Search(len(st.index), func(i int) bool { return st.index[i].ts >= start })
	hi := len(st.index)
	if end != 0 {
		hi = sort.Search(len(st.index), func(i int) bool { return st.index[i].ts >= end })
	}
	return lo, max(lo, hi)
}

// FilterCursor is a position in the interleaved order of a group's events:
// by timestamp, then stream name, then sequence number.
type FilterCursor struct {
	Timestamp int64
	Stream    string
	Seq       int64
}

func compareFilterCursors(a, b FilterCursor) int {
	if c := cmp.Compare(a.Timestamp, b.Timestamp); c != 0 {
		return c
	}
	if c := strings.Compare(a.Stream, b.Stream); c != 0 {
		return c
	}
	return cmp.Compare(a.Seq, b.Seq)
}

// FilterOptions select events across the streams of a group.
type FilterOptions struct {
	// Streams names the streams to search; empty means every stream whose
	// name starts with Prefix.
	Streams []string
	Prefix  string
	// Start <= timestamp < End; End 0 means no upper bound.
	Start, End int64
	// After, if set, resumes after that position (exclusive).
	After *FilterCursor
	// Match selects events by message; nil matches all.
	Match func(message string) bool
	// Limit caps matching events (default and maximum 10000), MaxBytes
	// their message bytes (0: no cap), MaxScan the events examined in one
	// call (default 100000), so that a rare pattern over much data returns
	// in bounded time with More set.
	Limit, MaxBytes, MaxScan int
}

// FilterResult is one page of a filter.
type FilterResult struct {
	Events []Event
	// Streams lists the streams searched.
	Streams []string
	// More is set when the filter stopped before the end; Next is where
	// to resume.
	More bool
	Next FilterCursor
}

// Filter returns matching events of a group's streams, interleaved in
// timestamp order.
func (s *Store) Filter(groupName string, o FilterOptions) (FilterResult, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, err := s.lookup(groupName)
	if err != nil {
		return FilterResult{}, err
	}
	var names []string
	if len(o.Streams) > 0 {
		for _, n := range o.Streams {
			if g.streams[n] != nil && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	} else {
		for n := range g.streams {
			if strings.HasPrefix(n, o.Prefix) {
				names = append(names, n)
			}
		}
	}
	// Lock the streams in name order, so that concurrent filters cannot
	// deadlock with writers waiting between them.
	slices.Sort(names)
	limit := o.Limit
	if limit <= 0 || limit > MaxEvents {
		limit = MaxEvents
	}
	maxScan := o.MaxScan
	if maxScan <= 0 {
		maxScan = 100000
	}
	res := FilterResult{Events: []Event{}, Streams: names}
	h := &mergeHeap{}
	for _, n := range names {
		st := g.streams[n]
		st.mu.RLock()
		defer st.mu.RUnlock()
		lo, hi := st.timeRange(o.Start, o.End)
		if o.After != nil {
			after := *o.After
			lo += sort.Search(hi-lo, func(i int) bool {
				e := st.index[lo+i]
				return compareFilterCursors(FilterCursor{e.ts, n, e.seq}, after) > 0
			})
		}
		if lo < hi {
			h.items = append(h.items, &mergeItem{st: st, pos: lo, end: hi})
		}
	}
	heap.Init(h)
	readers := map[*stream]*eventReader{}
	defer func() {
		for _, r := range readers {
			r.Close()
		}
	}()
	var bytes, scanned int
	for h.Len() > 0 {
		if len(res.Events) >= limit || scanned >= maxScan {
			res.More = true
			break
		}
		it := h.items[0]
		e := it.st.index[it.pos]
		if o.MaxBytes > 0 && len(res.Events) > 0 && bytes+int(e.size) > o.MaxBytes {
			res.More = true
			break
		}
		r := readers[it.st]
		if r == nil {
			if r, err = it.st.openReader(); err != nil {
				return FilterResult{}, fmt.Errorf("filter %s: %w", it.st.name, err)
			}
			readers[it.st] = r
		}
		ev, err := r.read(e)
		if err != nil {
			return FilterResult{}, err
		}
		scanned++
		res.Next = FilterCursor{Timestamp: e.ts, Stream: it.st.name, Seq: e.seq}
		if o.Match == nil || o.Match(ev.Message) {
			res.Events = append(res.Events, ev)
			bytes += int(e.size)
		}
		if it.pos++; it.pos >= it.end {
			heap.Pop(h)
		} else {
			heap.Fix(h, 0)
		}
	}
	return res, nil
}

type mergeItem struct {
	st       *stream
	pos, end int
}

// mergeHeap orders stream positions by the FilterCursor of their next event.
type mergeHeap struct{ items []*mergeItem }

func (h *mergeHeap) Len() int { return len(h.items) }
func (h *mergeHeap) Less(i, j int) bool {
	a, b := h.items[i], h.items[j]
	ea, eb := a.st.index[a.pos], b.st.index[b.pos]
	return compareFilterCursors(FilterCursor{ea.ts, a.st.name, ea.seq}, FilterCursor{eb.ts, b.st.name, eb.seq}) < 0
}
func (h *mergeHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *mergeHeap) Push(x any)    { h.items = append(h.items, x.(*mergeItem)) }
func (h *mergeHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}
