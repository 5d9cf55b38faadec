package service

import "strings"

import "time"

// The deployment circuit breaker (ecs.md 4.7).
//
// failedTasks is the number of CONSECUTIVE failed tasks of a deployment, in
// launch order (CreatedAt, then ID), read from the task history in the
// snapshot. Walking the deployment's tasks from the newest launch back:
//
//	failure  (+1)  stage 1: the task ended on its own before it ever counted
//	               as healthy: STOPPED without reaching RUNNING, or (our
//	               extension, see rollout.go) RUNNING briefly and then exited;
//	               stage 2: the service stopped it for failing its health
//	               checks (stoppedReason "Task failed container health checks")
//	success (stop) the task is healthy now, or ran healthy before it stopped:
//	               everything launched before it is forgiven
//	neither (skip) still pending or waiting to count as healthy; stopped on
//	               request (scale-in, StopTask) without having run healthy
//
// The breaker trips when failedTasks reaches
// clamp(⌈desired / 2⌉, 3, 200), only while the deployment is IN_PROGRESS,
// and never for a deployment that already had a healthy task when it began.

const (
	breakerMin = 3
	breakerMax = 200
)

// breakerThreshold is clamp(⌈0.5·desired⌉, 3, 200).
func breakerThreshold(desired int) int {
	return min(max((desired+1)/2, breakerMin), breakerMax)
}

type outcome int

const (
	outcomeNone outcome = iota
	outcomeFailure
	outcomeSuccess
)

// outcomeOf classifies one task of a deployment for the breaker.
func outcomeOf(t *Task, h health, now time.Time) outcome {
	if h == healthHealthy {
		return outcomeSuccess
	}
	ph := phaseOf(t)
	if (t.StoppedReason == reasonUnhealthy || strings.HasPrefix(t.StoppedReason, "Task failed ELB health checks")) && ph >= phaseStopping {
		return outcomeFailure // stage 2
	}
	ended := ph == phaseStopped || (ph == phaseStopping && !t.DesiredStopped)
	if !ended {
		return outcomeNone
	}
	if everHealthy(t, now) {
		return outcomeSuccess
	}
	if stoppedOnRequest(t) {
		return outcomeNone
	}
	return outcomeFailure // stage 1
}

// consecutiveFailures counts the failed tasks among tasks (newest launch
// first) since the newest success.
func (r *rollout) consecutiveFailures(tasks []int) int {
	n := 0
	for _, i := range tasks {
		switch outcomeOf(r.info[i].t, r.info[i].health, r.now) {
		case outcomeFailure:
			n++
		case outcomeSuccess:
			return n
		}
	}
	return n
}

// healthyAtStart reports whether the deployment had a healthy task when it
// began (such a deployment never trips).
func (r *rollout) healthyAtStart(d *Deployment, tasks []int) bool {
	for _, i := range tasks {
		ti := r.info[i]
		if ti.health == healthHealthy && !ti.t.RunningSince.After(d.CreatedAt) {
			return true
		}
	}
	return false
}

// evaluateBreaker computes the PRIMARY's failedTasks and trips the breaker.
func (r *rollout) evaluateBreaker() {
	p := r.primary
	if !r.primaryInProgress() {
		r.failedTasks = int(p.FailedTasks)
		return
	}
	r.failedTasks = r.consecutiveFailures(r.primaryTasks)
	if !r.s.Service.CircuitBreaker || r.failedTasks < breakerThreshold(r.d) ||
		r.healthyAtStart(p, r.primaryTasks) {
		return
	}
	r.tripped = true
	if r.s.Service.Rollback {
		r.rollbackTo = r.newestCompleted()
	}
}

// newestCompleted is the newest deployment before the PRIMARY that reached
// COMPLETED, or "".
func (r *rollout) newestCompleted() string {
	ds := r.s.Deployments
	for i := len(ds) - 2; i >= 0; i-- {
		if ds[i].Completed {
			return ds[i].ID
		}
	}
	return ""
}
