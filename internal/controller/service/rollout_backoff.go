package service

import (
	"time"

	"github.com/wharfhq/wharf/internal/model"
)

// Launch throttling (ecs.md 4.10): tasks of the PRIMARY that go to STOPPED
// without ever reaching RUNNING make the service back off before it
// launches again, exponentially from backoffBase up to backoffMax. Tasks
// that reached RUNNING and then died do not throttle. Only the PRIMARY's
// tasks count, so a new deployment starts with no backoff.
//
// The count is of consecutive failed launch ATTEMPTS, newest first, since
// the newest PRIMARY task that reached RUNNING; tasks launched within
// launchBatchWindow of each other are one attempt (one pass that started
// ten tasks which all failed is one failed attempt, not ten, so it backs
// off 10 s rather than the 15-minute cap). The backoff runs from the
// newest failure: after n failed attempts the next launch waits until
// lastFailure + min(backoffBase·2^(n−1), backoffMax).
const (
	backoffBase       = 10 * time.Second
	backoffMax        = 15 * time.Minute
	launchBatchWindow = 2 * time.Second
)

// backoffUntil returns the end of the current backoff (zero if none).
func (r *rollout) backoffUntil() time.Time {
	attempts := 0
	var last, batch time.Time
	for _, i := range r.primaryTasks { // newest launch first
		t := r.info[i].t
		switch {
		case !t.RunningSince.IsZero():
			return backoffEnd(attempts, last)
		case t.Status < model.TaskStopped || stoppedOnRequest(t):
			continue // in flight, or stopped by someone: says nothing
		}
		if attempts == 0 || batch.Sub(t.CreatedAt) > launchBatchWindow {
			attempts++
			batch = t.CreatedAt
		}
		end := t.StoppedAt
		if end.IsZero() {
			end = t.CreatedAt
		}
		if end.After(last) {
			last = end
		}
	}
	return backoffEnd(attempts, last)
}

func backoffEnd(attempts int, last time.Time) time.Time {
	if attempts == 0 {
		return time.Time{}
	}
	d := backoffMax
	if attempts <= 10 { // 10 s · 2^9 is already past the cap
		d = min(backoffBase<<(attempts-1), backoffMax)
	}
	return last.Add(d)
}
