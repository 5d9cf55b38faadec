package logcapture

import (
	"context"
	"time"
)

// Lines ships lines that the caller produces (a build's output rather than
// a container's) to group/stream with the same batching and retries as
// Capture. Push it lines; Close flushes what is buffered and returns once
// it is shipped or ctx ended and the final flush gave up.
type Lines struct {
	buf  *buffer
	done chan struct{}
}

// Lines starts shipping to group/stream.
func (c *Capturer) Lines(ctx context.Context, group, stream string) *Lines {
	l := &Lines{buf: newBuffer(c.maxBuffered), done: make(chan struct{})}
	log := c.logger.With("group", group, "stream", stream)
	go func() {
		defer close(l.done)
		s := &shipper{c: c, group: group, stream: stream, buf: l.buf, log: log}
		if pending, cancelled := s.run(ctx); cancelled {
			s.finalFlush(ctx, pending)
		}
	}()
	return l
}

// Push queues one line stamped t; empty lines are skipped as in Capture.
func (l *Lines) Push(t time.Time, text string) { l.buf.push(t, text) }

// Close flushes and waits for the shipper.
func (l *Lines) Close() {
	l.buf.close()
	<-l.done
}
