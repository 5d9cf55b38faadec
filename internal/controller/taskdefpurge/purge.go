// Package taskdefpurge removes task definition revisions that were deleted
// (DELETE_IN_PROGRESS) once nothing uses them any more, as ECS does.
//
//	ACTIVE --Deregister--> INACTIVE --DeleteTaskDefinitions--> DELETE_IN_PROGRESS
//	      --(no task or service references it, grace period over)--> purged
package taskdefpurge

import (
	"context"
	"log/slog"
	"time"

	"github.com/wharfhq/wharf/internal/controller"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/state"
)

// Plan returns the revisions to purge now: DELETE_IN_PROGRESS ones whose
// deletion was requested at least grace ago and that inUse does not claim.
func Plan(tds []*model.TaskDefinition, now time.Time, grace time.Duration, inUse func(arn string) bool) []*model.TaskDefinition {
	var out []*model.TaskDefinition
	for _, td := range tds {
		if td.Status != model.TaskDefDeleteInProgress || now.Sub(td.DeleteRequestedAt) < grace {
			continue
		}
		if inUse != nil && inUse(td.ARN) {
			continue
		}
		out = append(out, td)
	}
	return out
}

// Purger runs Plan periodically and deletes what it returns.
type Purger struct {
	State    *state.State
	Interval time.Duration // how often to look; default 10s
	Grace    time.Duration // how long a deleted revision stays describable
	// InUse reports whether a task or service still references a revision.
	InUse  func(arn string) bool
	Logger *slog.Logger
}

// Run purges until ctx is cancelled.
func (p *Purger) Run(ctx context.Context) error {
	interval := p.Interval
	if interval <= 0 {
		interval = 10 * time.Second
	}
	return controller.Every(ctx, interval, p.Once)
}

// Once runs one purge pass.
func (p *Purger) Once(ctx context.Context) {
	for _, td := range Plan(p.State.TaskDefinitions(), p.State.Now(), p.Grace, p.InUse) {
		if err := p.State.PurgeTaskDefinition(ctx, td.Family, td.Revision); err != nil {
			p.Logger.Warn("purge task definition", "arn", td.ARN, "err", err)
			continue
		}
		p.Logger.Info("purged deleted task definition", "arn", td.ARN)
	}
}
