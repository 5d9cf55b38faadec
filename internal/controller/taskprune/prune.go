// Package taskprune forgets STOPPED tasks once they have stayed describable
// for the retention period (ECS keeps stopped tasks for about an hour).
package taskprune

import (
	"context"
	"log/slog"
	"time"

	"github.com/wharfhq/wharf/internal/controller"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/state"
)

// DefaultRetention is how long stopped tasks stay describable.
const DefaultRetention = time.Hour

// Candidate is a task with its observed state, as Plan sees it.
type Candidate struct {
	Task  *model.Task
	State *model.TaskState // nil when never reported
}

// Plan returns the tasks to forget: STOPPED for at least retention.
func Plan(cs []Candidate, now time.Time, retention time.Duration) []*model.Task {
	var out []*model.Task
	for _, c := range cs {
		if c.State == nil || c.State.LastStatus < model.TaskStopped {
			continue
		}
		stopped := c.State.StoppedAt
		if stopped.IsZero() {
			stopped = c.State.ExecutionStoppedAt
		}
		if !stopped.IsZero() && now.Sub(stopped) >= retention {
			out = append(out, c.Task)
		}
	}
	return out
}

// Pruner runs Plan periodically.
type Pruner struct {
	State     *state.State
	Retention time.Duration // default DefaultRetention
	Interval  time.Duration // default 1 minute
	Logger    *slog.Logger
}

// Run prunes until ctx is cancelled.
func (p *Pruner) Run(ctx context.Context) error {
	if p.Retention == 0 {
		p.Retention = DefaultRetention
	}
	interval := p.Interval
	if interval == 0 {
		interval = time.Minute
	}
	return controller.Every(ctx, interval, p.Once)
}

// Once runs one pass.
func (p *Pruner) Once(ctx context.Context) {
	var cs []Candidate
	for _, t := range p.State.AllTasks() {
		st, _ := p.State.TaskState(t.ClusterName, t.ID)
		cs = append(cs, Candidate{Task: t, State: st})
	}
	for _, t := range Plan(cs, p.State.Now(), p.Retention) {
		if err := p.State.DeleteTask(ctx, t.ClusterName, t.ID); err != nil {
			p.Logger.Warn("prune stopped task", "task", t.ARN, "err", err)
		}
	}
}
