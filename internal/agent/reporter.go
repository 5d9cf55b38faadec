package agent

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/wharfhq/wharf/internal/model"
)

// reporter sends task states to the server. Runners never wait for it:
// the latest state of each task replaces any unsent one, and failed sends
// are retried with backoff (the server ignores stale reports, so resending
// is always safe).
type reporter struct {
	client  *client
	cluster string
	logger  *slog.Logger

	mu      sync.Mutex
	pending map[string]model.TaskState // by task id
	wake    chan struct{}
}

func newReporter(c *client, cluster string, logger *slog.Logger) *reporter {
	return &reporter{client: c, cluster: cluster, logger: logger, pending: map[string]model.TaskState{}, wake: make(chan struct{}, 1)}
}

func (r *reporter) report(taskID string, st model.TaskState) {
	r.mu.Lock()
	if old, ok := r.pending[taskID]; !ok || st.Version >= old.Version {
		r.pending[taskID] = st
	}
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *reporter) run(ctx context.Context) {
	backoff := 200 * time.Millisecond
	for {
		r.mu.Lock()
		batch := r.pending
		r.pending = map[string]model.TaskState{}
		r.mu.Unlock()
		failed := false
		for id, st := range batch {
			err := r.client.putState(ctx, r.cluster, id, st)
			switch {
			case err == nil:
			case errors.Is(err, errGone):
				r.logger.Info("server no longer knows the task; dropping its report", "task", id)
			default:
				failed = true
				r.logger.Warn("report task state", "task", id, "err", err)
				r.report(id, st) // keep it unless a newer one arrived
			}
		}
		if failed {
			sleep(ctx, backoff)
			backoff = min(backoff*2, 10*time.Second)
		} else {
			backoff = 200 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		}
	}
}
