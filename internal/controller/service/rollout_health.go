package service

import (
	"time"

	"github.com/wharfhq/wharf/internal/model"
)

// healthyAfterRunning is how long a task without container health checks
// and without a load balancer must have been RUNNING before it counts as
// healthy (ECS's 40-second rule).
const healthyAfterRunning = 40 * time.Second

// phase is where a task stands for a rollout.
//
//	pending ──▶ running ──▶ stopping ──▶ stopped
//	   └────────────┴──────────┴────────────▲
//
// pending and running tasks are "active" (desiredStatus RUNNING); pending,
// running and stopping tasks are "live" and count toward maximumPercent.
type phase int

const (
	phasePending  phase = iota // not yet RUNNING, not asked to stop
	phaseRunning               // RUNNING, not asked to stop
	phaseStopping              // asked to stop, or past RUNNING, not yet STOPPED
	phaseStopped               // STOPPED: history only
)

func phaseOf(t *Task) phase {
	switch {
	case t.Status >= model.TaskStopped:
		return phaseStopped
	case t.DesiredStopped || t.Status > model.TaskRunning:
		return phaseStopping
	case t.Status == model.TaskRunning:
		return phaseRunning
	default: // zero (not yet observed), PROVISIONING, PENDING, ACTIVATING
		return phasePending
	}
}

// health is how a running task counts toward minimumHealthyPercent.
type health int

const (
	healthNone           health = iota // not running
	healthWaiting                      // running, not yet counted (40 s rule, UNKNOWN health)
	healthUnhealthyGrace               // UNHEALTHY within the grace period: not replaced
	healthUnhealthy                    // UNHEALTHY after the grace period: replaced
	healthHealthy                      // counts toward minimumHealthyPercent
)

// healthOf classifies a task at now. Only running tasks (RUNNING, not
// asked to stop) have a health; the rest are healthNone.
func healthOf(t *Task, now time.Time, grace time.Duration) health {
	if phaseOf(t) != phaseRunning {
		return healthNone
	}
	if _, unhealthy := unhealthyTarget(t); unhealthy {
		if now.Before(graceEnd(t, grace)) {
			return healthUnhealthyGrace
		}
		return healthUnhealthy
	}
	if t.HasHealthCheck {
		switch t.HealthStatus {
		case model.HealthHealthy:
			if targetsHealthy(t) {
				return healthHealthy
			}
			return healthWaiting
		case model.HealthUnhealthy:
			if now.Before(graceEnd(t, grace)) {
				return healthUnhealthyGrace
			}
			return healthUnhealthy
		default:
			return healthWaiting
		}
	}
	if len(t.Targets) > 0 {
		// Behind a load balancer the ELB health checks decide, as in ECS:
		// the 40-second rule is only for tasks nothing checks.
		if targetsHealthy(t) {
			return healthHealthy
		}
		return healthWaiting
	}
	if now.Before(t.RunningSince.Add(healthyAfterRunning)) {
		return healthWaiting
	}
	return healthHealthy
}

// graceEnd is when healthCheckGracePeriodSeconds ends for a task: the grace
// period runs from the moment the task first reached RUNNING.
func graceEnd(t *Task, grace time.Duration) time.Time {
	start := t.RunningSince
	if start.IsZero() {
		start = t.CreatedAt
	}
	return start.Add(grace)
}

// healthWake is when a task's health changes without any event: a task
// without health checks crossing the 40-second mark, or the grace period
// of an UNHEALTHY task ending. Zero when nothing is due.
func healthWake(t *Task, h health, grace time.Duration) time.Time {
	switch {
	case h == healthWaiting && !t.HasHealthCheck && len(t.Targets) == 0:
		return t.RunningSince.Add(healthyAfterRunning)
	case h == healthUnhealthyGrace:
		return graceEnd(t, grace)
	}
	return time.Time{}
}

// targetsHealthy: with load balancers a task also has to be healthy in
// every target group before it counts.
func targetsHealthy(t *Task) bool {
	for _, tg := range t.Targets {
		if tg.State != model.TargetHealthy {
			return false
		}
	}
	return true
}

// unhealthyTarget returns the first target group in which the task's
// target failed its health checks.
func unhealthyTarget(t *Task) (TargetHealth, bool) {
	for _, tg := range t.Targets {
		if tg.State == model.TargetUnhealthy {
			return tg, true
		}
	}
	return TargetHealth{}, false
}

// unhealthyReason is the stoppedReason of a task replaced for being
// unhealthy: ELB health checks first, as ECS words them.
func unhealthyReason(t *Task) string {
	if tg, ok := unhealthyTarget(t); ok {
		return "Task failed ELB health checks in (target-group " + tg.TargetGroupARN + ")"
	}
	return reasonUnhealthy
}

// stoppedOnRequest reports whether someone asked for the task to stop (the
// service scheduler, StopTask, a Spot reclaim) rather than the task ending
// on its own (failing to start, an essential container exiting).
func stoppedOnRequest(t *Task) bool {
	switch t.StopCode {
	case model.StopServiceSchedulerInitiated, model.StopUserInitiated,
		model.StopSpotInterruption, model.StopTerminationNotice:
		return true
	}
	return false
}

// everHealthy reports whether a task that has ended counted as healthy at
// some point while it ran, as far as its record tells.
func everHealthy(t *Task, now time.Time) bool {
	if t.RunningSince.IsZero() {
		return false
	}
	if t.HasHealthCheck {
		return t.HealthStatus == model.HealthHealthy
	}
	end := t.StoppedAt
	if end.IsZero() {
		end = now
	}
	return end.Sub(t.RunningSince) >= healthyAfterRunning
}
