package docker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/wharfhq/wharf/internal/runtime"
)

// Logs streams a container's output line by line, stdout and stderr apart.
// Lines are delivered in the order the engine sends them; each carries the
// engine's receive timestamp.
func (r *Runtime) Logs(ctx context.Context, id string, opts runtime.LogOptions) (<-chan runtime.LogLine, error) {
	logOpts := client.ContainerLogsOptions{
		ShowStdout: true,
		ShowStderr: true,
		Timestamps: true,
		Follow:     opts.Follow,
	}
	if !opts.Since.IsZero() {
		logOpts.Since = fmt.Sprintf("%d.%09d", opts.Since.Unix(), opts.Since.Nanosecond())
	}
	body, err := r.client.ContainerLogs(ctx, id, logOpts)
	if err != nil {
		return nil, containerErr("logs of", id, ctxErr(ctx, err))
	}
	out := make(chan runtime.LogLine, 64)
	go func() {
		defer close(out)
		defer body.Close()
		stdout := &lineWriter{ctx: ctx, stream: runtime.Stdout, out: out, since: opts.Since}
		stderr := &lineWriter{ctx: ctx, stream: runtime.Stderr, out: out, since: opts.Since}
		_, err := stdcopy.StdCopy(stdout, stderr, body)
		if err == nil {
			err = stdout.flush()
		}
		if err == nil {
			err = stderr.flush()
		}
		if err != nil && ctx.Err() == nil && !errors.Is(err, context.Canceled) {
			select {
			case out <- runtime.LogLine{Err: fmt.Errorf("logs of container %s: %w", id, err)}:
			case <-ctx.Done():
			}
		}
	}()
	return out, nil
}

// lineWriter splits one demultiplexed stream into timestamped lines.
type lineWriter struct {
	ctx    context.Context
	stream runtime.LogStream
	out    chan<- runtime.LogLine
	since  time.Time
	buf    []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(w.buf[:i])
		w.buf = w.buf[i+1:]
		if err := w.emit(line); err != nil {
			return 0, err
		}
	}
}

func (w *lineWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	line := string(w.buf)
	w.buf = nil
	return w.emit(line)
}

// emit sends one "<RFC3339Nano timestamp> <text>" line.
func (w *lineWriter) emit(raw string) error {
	ll := runtime.LogLine{Stream: w.stream, Text: raw}
	if ts, text, ok := bytes.Cut([]byte(raw), []byte{' '}); ok {
		if t, err := time.Parse(time.RFC3339Nano, string(ts)); err == nil {
			ll.Time, ll.Text = t, string(text)
		}
	}
	// The engine's since has one-second resolution in old API versions;
	// filter precisely here.
	if !w.since.IsZero() && !ll.Time.IsZero() && ll.Time.Before(w.since) {
		return nil
	}
	ll.Text = trimCR(ll.Text)
	select {
	case w.out <- ll:
		return nil
	case <-w.ctx.Done():
		return w.ctx.Err()
	}
}

func trimCR(s string) string {
	if n := len(s); n > 0 && s[n-1] == '\r' {
		return s[:n-1]
	}
	return s
}
