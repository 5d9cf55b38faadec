package logcapture

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"

	"github.com/wharfhq/wharf/internal/runtime"
)

// logsAPI is the part of the CloudWatch Logs client the capturer uses.
type logsAPI interface {
	CreateLogGroup(context.Context, *cloudwatchlogs.CreateLogGroupInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogGroupOutput, error)
	CreateLogStream(context.Context, *cloudwatchlogs.CreateLogStreamInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogStreamOutput, error)
	PutLogEvents(context.Context, *cloudwatchlogs.PutLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutLogEventsOutput, error)
}

// Capturer ships container output to CloudWatch Logs streams.
type Capturer struct {
	client logsAPI
	rt     runtime.Runtime
	logger *slog.Logger

	// Tunables, set by New; tests shrink them.
	flushInterval     time.Duration // ship what is buffered at least this often
	maxBuffered       int           // events kept while the server is unreachable
	minBackoff        time.Duration // first retry delay, doubling up to maxBackoff
	maxBackoff        time.Duration
	finalFlushTimeout time.Duration // how long shipping may go on after ctx ends
	maxReopens        int           // how often a broken log stream is reopened
}

// New returns a Capturer that reads output from rt and ships it with client.
func New(client *cloudwatchlogs.Client, rt runtime.Runtime, logger *slog.Logger) *Capturer {
	return newCapturer(client, rt, logger)
}

func newCapturer(client logsAPI, rt runtime.Runtime, logger *slog.Logger) *Capturer {
	return &Capturer{
		client:            client,
		rt:                rt,
		logger:            logger.With("component", "logcapture"),
		flushInterval:     time.Second,
		maxBuffered:       100000,
		minBackoff:        250 * time.Millisecond,
		maxBackoff:        30 * time.Second,
		finalFlushTimeout: 5 * time.Second,
		maxReopens:        5,
	}
}

// Capture follows the container's output from since into group/stream
// until the output ends (the container exited) and everything read has
// been shipped, or until ctx ends; after that it still tries for a few
// seconds to ship what it holds.
func (c *Capturer) Capture(ctx context.Context, containerID string, group, stream string, since time.Time) {
	log := c.logger.With("container", shortID(containerID), "group", group, "stream", stream)
	buf := newBuffer(c.maxBuffered)
	followed := make(chan struct{})
	go func() {
		defer close(followed)
		defer buf.close()
		c.follow(ctx, containerID, since, buf, log)
	}()
	s := &shipper{c: c, group: group, stream: stream, buf: buf, log: log}
	pending, cancelled := s.run(ctx)
	<-followed // it stops with ctx too, after handing over what it read
	if cancelled {
		s.finalFlush(ctx, pending)
	}
	if n := buf.droppedCount(); n > 0 {
		log.Warn("log events were dropped while the server was unreachable", "dropped", n)
	}
}

// follow reads the container's output into buf until it ends. A stream
// that breaks while the container still runs is reopened from the last
// line read.
func (c *Capturer) follow(ctx context.Context, id string, since time.Time, buf *buffer, log *slog.Logger) {
	last := since
	for attempt := 0; ; attempt++ {
		lines, err := c.rt.Logs(ctx, id, runtime.LogOptions{Follow: true, Since: since})
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("cannot follow container output", "err", err)
			}
			return
		}
		var broken error
		for l := range lines {
			if l.Err != nil {
				broken = l.Err
				continue
			}
			if !l.Time.After(last) && attempt > 0 {
				continue // already read before the stream was reopened
			}
			last = l.Time
			buf.push(l.Time, l.Text)
		}
		if broken == nil || ctx.Err() != nil || attempt >= c.maxReopens {
			if broken != nil && ctx.Err() == nil {
				log.Warn("container output stream broke", "err", broken)
			}
			return
		}
		st, err := c.rt.Inspect(ctx, id)
		if err != nil || !st.Running {
			return
		}
		log.Info("container output stream broke; reopening", "err", broken)
		since = last
		if !sleep(ctx, c.minBackoff) {
			return
		}
	}
}

// shipper sends the buffered events of one stream.
type shipper struct {
	c             *Capturer
	group, stream string
	buf           *buffer
	log           *slog.Logger
	ready         bool // group and stream known to exist
	failing       bool // the last attempt failed (logged once per outage)
}

// run ships batches until the buffer is closed and empty. If ctx ends
// first it returns cancelled and the batch it was sending, if any.
func (s *shipper) run(ctx context.Context) (pending []types.InputLogEvent, cancelled bool) {
	ticker := time.NewTicker(s.c.flushInterval)
	defer ticker.Stop()
	for {
		if !s.buf.full() && !s.buf.isClosed() {
			select {
			case <-ctx.Done():
				return nil, true
			case <-s.buf.signal:
				continue
			case <-ticker.C:
			}
		}
		batch := s.buf.take()
		if len(batch) == 0 {
			if s.buf.isClosed() {
				return nil, false
			}
			continue
		}
		if !s.send(ctx, batch) {
			return batch, true
		}
	}
}

// finalFlush ships pending and then everything buffered after ctx ended,
// for at most finalFlushTimeout.
func (s *shipper) finalFlush(ctx context.Context, pending []types.InputLogEvent) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.c.finalFlushTimeout)
	defer cancel()
	for {
		batch := pending
		if len(batch) == 0 {
			batch = s.buf.take()
		}
		pending = nil
		if len(batch) == 0 {
			return
		}
		if !s.send(fctx, batch) {
			s.log.Warn("gave up shipping log events after the capture ended", "events", len(batch)+s.buf.pending())
			return
		}
	}
}

// send puts one batch, retrying with backoff until it is accepted, refused
// for good (dropped with an error logged) or ctx ends (false).
func (s *shipper) send(ctx context.Context, batch []types.InputLogEvent) bool {
	backoff := s.c.minBackoff
	for {
		err := s.ensure(ctx)
		if err == nil {
			var out *cloudwatchlogs.PutLogEventsOutput
			out, err = s.c.client.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{
				LogGroupName: aws.String(s.group), LogStreamName: aws.String(s.stream), LogEvents: batch,
			})
			if err == nil {
				s.accepted(out, len(batch))
				return true
			}
		}
		var ae smithy.APIError
		switch {
		case errors.As(err, &ae) && ae.ErrorCode() == "ResourceNotFoundException":
			s.ready = false // deleted behind our back: create again
		case errors.As(err, &ae) && ae.ErrorFault() == smithy.FaultClient && !retryableCode(ae.ErrorCode()):
			s.log.Error("log events refused; dropping the batch", "events", len(batch), "err", err)
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		if !s.failing {
			s.log.Warn("cannot ship log events; retrying", "err", err, "buffered", s.buf.pending()+len(batch))
			s.failing = true
		} else {
			s.log.Debug("cannot ship log events; retrying", "err", err, "backoff", backoff)
		}
		if !sleep(ctx, backoff) {
			return false
		}
		backoff = min(2*backoff, s.c.maxBackoff)
	}
}

func (s *shipper) accepted(out *cloudwatchlogs.PutLogEventsOutput, n int) {
	if s.failing {
		s.log.Info("shipping log events again", "dropped", s.buf.droppedCount())
		s.failing = false
	}
	if r := out.RejectedLogEventsInfo; r != nil {
		s.log.Warn("the server rejected some log events", "events", n,
			"too_old_end", aws.ToInt32(r.TooOldLogEventEndIndex), "expired_end", aws.ToInt32(r.ExpiredLogEventEndIndex),
			"too_new_start", r.TooNewLogEventStartIndex)
	}
}

// ensure creates the log group and stream unless they are known to exist.
func (s *shipper) ensure(ctx context.Context) error {
	if s.ready {
		return nil
	}
	_, err := s.c.client.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(s.group)})
	var exists *types.ResourceAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		return err
	}
	_, err = s.c.client.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{
		LogGroupName: aws.String(s.group), LogStreamName: aws.String(s.stream),
	})
	if err != nil && !errors.As(err, &exists) {
		return err
	}
	s.ready = true
	return nil
}

func retryableCode(code string) bool {
	switch code {
	case "ThrottlingException", "ServiceUnavailableException", "RequestTimeout", "RequestCanceled":
		return true
	}
	return false
}

// sleep waits d or until ctx ends; false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
