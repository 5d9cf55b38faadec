package logcapture

import (
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// Limits of one PutLogEvents batch and event.
const (
	maxBatchEvents = 10000
	maxBatchBytes  = 1 << 20 // messages plus eventOverhead each
	eventOverhead  = 26
	maxEventBytes  = 256<<10 - eventOverhead
	maxBatchSpan   = 24 * time.Hour
)

// buffer holds the events read but not yet shipped, oldest first. When
// more than max are held the oldest are dropped and counted.
type buffer struct {
	mu      sync.Mutex
	events  []types.InputLogEvent
	head    int // events[head:] are pending
	bytes   int // of the pending events, overhead included
	max     int
	last    int64 // timestamp of the newest event pushed
	dropped int64
	closed  bool
	// signal has a value after a push that filled a batch, and on close.
	signal chan struct{}
}

func newBuffer(max int) *buffer {
	return &buffer{max: max, signal: make(chan struct{}, 1)}
}

func (b *buffer) push(t time.Time, text string) {
	if text == "" {
		return
	}
	if len(text) > maxEventBytes {
		text = truncateUTF8(text, maxEventBytes)
	}
	ts := t.UnixMilli()
	b.mu.Lock()
	if ts < b.last {
		ts = b.last // keep batches chronological
	}
	b.last = ts
	if len(b.events)-b.head >= b.max {
		b.bytes -= len(aws.ToString(b.events[b.head].Message)) + eventOverhead
		b.events[b.head] = types.InputLogEvent{}
		b.head++
		b.dropped++
	}
	if b.head > 0 && b.head >= len(b.events)/2 {
		n := copy(b.events, b.events[b.head:])
		clear(b.events[n:])
		b.events = b.events[:n]
		b.head = 0
	}
	b.events = append(b.events, types.InputLogEvent{Timestamp: aws.Int64(ts), Message: aws.String(text)})
	b.bytes += len(text) + eventOverhead
	full := b.fullLocked()
	b.mu.Unlock()
	if full {
		b.notify()
	}
}

func (b *buffer) notify() {
	select {
	case b.signal <- struct{}{}:
	default:
	}
}

func (b *buffer) fullLocked() bool {
	return len(b.events)-b.head >= maxBatchEvents || b.bytes >= maxBatchBytes
}

// full reports whether a whole batch is waiting.
func (b *buffer) full() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.fullLocked()
}

// take removes and returns the next batch: the oldest events within the
// batch limits.
func (b *buffer) take() []types.InputLogEvent {
	b.mu.Lock()
	defer b.mu.Unlock()
	pending := b.events[b.head:]
	n, size := 0, 0
	for n < len(pending) && n < maxBatchEvents {
		es := len(aws.ToString(pending[n].Message)) + eventOverhead
		if size+es > maxBatchBytes {
			break
		}
		if n > 0 && time.Duration(*pending[n].Timestamp-*pending[0].Timestamp)*time.Millisecond > maxBatchSpan {
			break
		}
		size += es
		n++
	}
	if n == 0 {
		return nil
	}
	batch := make([]types.InputLogEvent, n)
	copy(batch, pending[:n])
	clear(pending[:n])
	b.head += n
	b.bytes -= size
	if b.head == len(b.events) {
		b.events, b.head = b.events[:0], 0
	}
	return batch
}

func (b *buffer) pending() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.events) - b.head
}

func (b *buffer) droppedCount() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropped
}

func (b *buffer) close() {
	b.mu.Lock()
	already := b.closed
	b.closed = true
	b.mu.Unlock()
	if !already {
		b.notify()
	}
}

func (b *buffer) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
