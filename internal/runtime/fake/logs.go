package fake

import (
	"context"

	"github.com/wharfhq/wharf/internal/runtime"
)

// Logs streams what the container printed (Behavior.Output and WriteOutput),
// each line stamped with the fake time it was printed at. Following ends
// when the container exits or is removed.
func (r *Runtime) Logs(ctx context.Context, id string, opts runtime.LogOptions) (<-chan runtime.LogLine, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.processDue()
	c, err := r.lookup("logs of", id)
	r.mu.Unlock()
	if err != nil {
		return nil, err
	}
	out := make(chan runtime.LogLine, 16)
	go func() {
		defer close(out)
		next := 0
		for {
			r.mu.Lock()
			lines := c.logs[next:] // append-only: safe to read after unlocking
			next = len(c.logs)
			_, exists := r.containers[c.st.ID]
			following := opts.Follow && exists && c.st.Running
			var changed, done chan struct{}
			if following {
				if c.logChanged == nil {
					c.logChanged = make(chan struct{})
				}
				changed, done = c.logChanged, c.done
			}
			r.mu.Unlock()

			for _, l := range lines {
				if !opts.Since.IsZero() && l.Time.Before(opts.Since) {
					continue
				}
				select {
				case out <- l:
				case <-ctx.Done():
					return
				}
			}
			if !following {
				return
			}
			select {
			case <-changed:
			case <-done:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}
