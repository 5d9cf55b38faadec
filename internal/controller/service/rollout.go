package service

// Compute is the ECS rolling-update decision (ecs.md 4.6–4.11) as a pure
// function: a Snapshot of the service, its deployments and tasks at one
// moment in, a Plan out. The controller loop builds snapshots and applies
// plans; Compute never reads the store or the clock, and never changes the
// snapshot.
//
// One pass:
//
//	            ┌───────────────────────────────────────────────────────────┐
//	 Snapshot ─▶│ classify tasks: phase (pending/running/stopping/stopped), │
//	            │ health (waiting/unhealthy/healthy), D, maxT, minH         │
//	            └───────────────┬───────────────────────────────────────────┘
//	          Service.Draining? ├─yes─▶ stop every active task; INACTIVE once
//	                            │        every task is STOPPING or STOPPED
//	                            ▼
//	     circuit breaker, backoff (PRIMARY's task history)
//	                            ▼
//	     stop UNHEALTHY tasks past their grace period ("failed container
//	     health checks"; they never count as healthy, so this is free)
//	                            ▼
//	   REPLICA                          │ DAEMON (rollout_daemon.go)
//	   scale-in surplus PRIMARY tasks   │ per eligible instance: at most one
//	   stop old / draining-instance     │ task, of the PRIMARY; old tasks
//	     tasks within the healthy budget│ stop within the healthy budget, then
//	   start min(D−active(P), maxT−live)│ the instance gets a PRIMARY task
//	                            ▼
//	     stuck? (nothing can move and nothing is in flight) → event
//	     deployments: IN_PROGRESS → COMPLETED | FAILED (+ Rollback);
//	                  old deployments with no live task → Inactive
//	     steady state, counts, events, WakeAt
//
// Vocabulary: D is the desired count (DAEMON: eligible instances);
// maxT = ⌊D·maximumPercent/100⌋, minH = ⌈D·minimumHealthyPercent/100⌉.
// "active" tasks are pending or running and not asked to stop; "live"
// tasks are active or stopping (a STOPPING task still counts toward maxT,
// ecs.md 4.3 and 10.7). "healthy" tasks are running and HEALTHY (with
// container health checks) or RUNNING for 40 s (without); the load
// balancer hook is targetsHealthy.
//
// The healthy budget. Every stop of a healthy task spends one unit of
// healthy−minH; stops of tasks that are not healthy (pending, waiting for
// the 40 s mark, UNHEALTHY) are free, since they cannot lower the healthy
// count. So no stop this function chooses takes the healthy count below
// minH (or below where it already was). Starts are bounded by maxT−live, so
// no start takes live above maxT.
//
// Semantics chosen where the references are silent or ambiguous:
//
//   - Starts are min(D − active(P), maxT − live): a PRIMARY task that is
//     stopping no longer counts toward D (its replacement may start) but
//     still counts toward maxT, as in ECS.
//   - Old-deployment tasks that are not healthy are stopped at once, without
//     waiting for budget (ECS stops the tasks of a superseded deployment
//     that are still coming up); healthy old tasks go within the budget,
//     pending first, then waiting/unhealthy, then oldest (CreatedAt).
//     PRIMARY tasks on DRAINING instances are replaced the same way
//     (ecs.md 7.2: pending ones stop at once, running ones subject to
//     min/max); they do not count toward D.
//   - Scale-in (more active non-draining PRIMARY tasks than D) stops pending
//     tasks first, then unhealthy, then waiting, then the newest healthy:
//     ECS keeps the most proven tasks. It shares the healthy budget, which
//     never blocks it (the D kept tasks satisfy minH).
//   - UNHEALTHY tasks past the grace period (which runs from RunningSince)
//     are stopped with "Task failed container health checks", whatever
//     their deployment; the replacement starts in the same pass when maxT
//     allows (the stopping task still counts toward maxT), otherwise once
//     the task is STOPPED. Within the grace period they are kept.
//   - Every stop uses stopCode ServiceSchedulerInitiated and, unless it is a
//     health replacement, "Scaling activity initiated by (deployment
//     <PRIMARY id>)" — also when a deleted service drains, which is the
//     wording ECS uses for its scale-in to 0.
//   - A deleted (draining) service is INACTIVE once every task is STOPPING
//     or STOPPED (ECS DeleteService API documentation); tasks may still be
//     finishing their stop.
//   - Circuit breaker: see rollout_breaker.go. Besides the two documented
//     stages, a task that reached RUNNING but ended on its own before it
//     ever counted as healthy (a container that exits a second after it
//     started) is a failure too: this is how a crash-looping image trips
//     ECS's breaker even when the runtime briefly reported it running.
//     Throttling keeps the narrower documented rule (never reached RUNNING).
//     The failures are counted from the snapshot's history, so a task
//     stopped for health in this pass counts from the next pass on.
//   - When the breaker trips, FAILED is set and Rollback requested in that
//     same pass only (FAILED is sticky, so the request is not repeated);
//     the controller must store both together. While the PRIMARY is FAILED
//     nothing launches for it and its old tasks are left alone (the
//     deployment stalls), but unhealthy tasks are still stopped and a
//     desired-count decrease still scales in.
//   - An old deployment is dropped (Inactive) once it has no live task,
//     except the newest COMPLETED one while the PRIMARY is IN_PROGRESS: it is
//     the rollback target (for the breaker and StopServiceDeployment), and
//     ECS lists it as ACTIVE with 0 tasks until the rollout resolves.
//   - Steady state: no start or stop planned, and the live tasks are exactly
//     D running healthy PRIMARY tasks (DAEMON: one per eligible instance),
//     none on a DRAINING instance and none stopping. "has reached a steady
//     state." is emitted on every steady pass; the controller suppresses
//     repeats (and may re-emit it periodically as ECS does).
//   - The stuck event is emitted when old (or draining-instance) tasks
//     remain to be replaced, the plan neither starts nor stops anything and
//     nothing is in flight (no pending, stopping or waiting task), the
//     PRIMARY is not FAILED and no backoff holds launches.
//   - Counts reflect the state after the plan is applied: tasks this plan
//     stops are neither pending nor running. Old deployments' desired count
//     is their active task count after the plan (they shrink toward 0).
//     failedTasks is evaluated while the PRIMARY is IN_PROGRESS; otherwise
//     the stored value is reported.
//   - Tasks whose deployment is not in the snapshot are treated as old.

import (
	"cmp"
	"slices"
	"time"

	"github.com/wharfhq/wharf/internal/model"
)

// rollout is one pass of Compute.
type rollout struct {
	s       Snapshot
	now     time.Time
	primary *Deployment
	d       int // desired count (DAEMON: eligible instances)
	maxT    int
	minH    int

	info         []taskInfo // parallel to s.Tasks
	primaryTasks []int      // indices of the PRIMARY's tasks, newest launch first

	live   int // live tasks, including those this plan stops
	budget int // healthy tasks this pass may still stop

	failedTasks int
	tripped     bool
	rollbackTo  string
	backoff     time.Time // end of the launch backoff, if one holds
	backingOff  bool      // a launch was held back by the backoff

	plan    Plan
	stopped []string // IDs of the tasks this plan stops, in order
}

// taskInfo is a task classified for this pass.
type taskInfo struct {
	t       *Task
	phase   phase
	health  health
	primary bool
	stop    bool // this plan stops it
}

func (ti *taskInfo) active() bool {
	return !ti.stop && (ti.phase == phasePending || ti.phase == phaseRunning)
}

// Compute decides one rollout pass. See the comment above for the rules.
func Compute(s Snapshot) Plan {
	r := newRollout(s)
	switch {
	case s.Service.Draining:
		r.drainService()
	case r.primary == nil:
		// No deployment yet: nothing to decide.
	default:
		r.evaluateBreaker()
		r.backoff = r.backoffUntil()
		r.stopUnhealthy()
		var replaceable bool
		if s.Service.Daemon {
			replaceable = r.daemon()
		} else {
			replaceable = r.replica()
		}
		if r.isStuck(replaceable) {
			r.plan.Events = append(r.plan.Events, eventStuck(s.Service.Name))
		}
		if r.backingOff {
			r.plan.Events = append(r.plan.Events, eventStartImpaired(s.Service.Name))
		}
		r.finishDeployments()
	}
	r.finish()
	return r.plan
}

func newRollout(s Snapshot) *rollout {
	r := &rollout{s: s, now: s.Now, info: make([]taskInfo, len(s.Tasks))}
	if n := len(s.Deployments); n > 0 {
		r.primary = &s.Deployments[n-1]
	}
	svc := s.Service
	if svc.Daemon {
		for _, in := range s.Instances {
			if !in.Draining {
				r.d++
			}
		}
	} else {
		r.d = max(int(svc.Desired), 0)
	}
	r.maxT = int(int64(r.d) * int64(max(svc.MaximumPercent, 0)) / 100)
	r.minH = int((int64(r.d)*int64(max(svc.MinimumHealthyPercent, 0)) + 99) / 100)

	healthy := 0
	for i := range s.Tasks {
		t := &s.Tasks[i]
		ti := taskInfo{t: t, phase: phaseOf(t), health: healthOf(t, s.Now, svc.HealthCheckGrace)}
		ti.primary = r.primary != nil && t.DeploymentID == r.primary.ID
		if ti.phase != phaseStopped {
			r.live++
		}
		if ti.health == healthHealthy {
			healthy++
		}
		if ti.primary {
			r.primaryTasks = append(r.primaryTasks, i)
		}
		r.info[i] = ti
	}
	r.budget = healthy - r.minH
	slices.SortFunc(r.primaryTasks, func(a, b int) int { // newest launch first
		ta, tb := s.Tasks[a], s.Tasks[b]
		return cmp.Or(tb.CreatedAt.Compare(ta.CreatedAt), cmp.Compare(tb.ID, ta.ID))
	})
	return r
}

func (r *rollout) primaryInProgress() bool {
	st := r.primary.RolloutState
	return st == "" || st == RolloutInProgress
}

// primaryFailed reports whether nothing may launch for the PRIMARY.
func (r *rollout) primaryFailed() bool {
	return r.tripped || r.primary.RolloutState == RolloutFailed
}

// stopReason is the scheduler's reason for a scaling or rollout stop.
func (r *rollout) stopReason(ti *taskInfo) string {
	if r.primary != nil {
		return reasonScaling(r.primary.ID)
	}
	return reasonScaling(ti.t.DeploymentID)
}

// stopTask records a stop. It spends budget for a healthy task.
func (r *rollout) stopTask(i int, reason string) {
	ti := &r.info[i]
	if ti.health == healthHealthy {
		r.budget--
	}
	ti.stop = true
	r.plan.Stop = append(r.plan.Stop, Stop{TaskID: ti.t.ID, Reason: reason})
	r.stopped = append(r.stopped, ti.t.ID)
}

// tryStop stops a task if the healthy budget allows.
func (r *rollout) tryStop(i int) bool {
	if r.info[i].health == healthHealthy && r.budget <= 0 {
		return false
	}
	r.stopTask(i, r.stopReason(&r.info[i]))
	return true
}

// drainService stops every active task of a deleted service.
func (r *rollout) drainService() {
	inactive := true
	for i := range r.info {
		ti := &r.info[i]
		if ti.active() {
			r.stopTask(i, r.stopReason(ti))
		}
		if ti.t.Status < model.TaskStopping {
			inactive = false
		}
	}
	r.plan.ServiceInactive = inactive
}

// stopUnhealthy stops the tasks that failed their health checks after the
// grace period.
func (r *rollout) stopUnhealthy() {
	for _, i := range r.byLaunch(func(ti *taskInfo) bool { return ti.active() && ti.health == healthUnhealthy }) {
		r.stopTask(i, unhealthyReason(r.info[i].t))
	}
}

// replica runs the REPLICA rules; it reports whether tasks remain that the
// rollout still has to replace.
func (r *rollout) replica() bool {
	failed := r.primaryFailed()

	// Scale in surplus PRIMARY tasks.
	useful := r.filter(func(ti *taskInfo) bool { return ti.primary && ti.active() && !ti.t.OnDrainingInstance })
	if surplus := len(useful) - r.d; surplus > 0 {
		slices.SortFunc(useful, r.scaleInOrder)
		for _, i := range useful {
			if surplus == 0 {
				break
			}
			if r.tryStop(i) {
				surplus--
			}
		}
	}

	// Replace old-deployment tasks and tasks on draining instances.
	replace := r.filter(func(ti *taskInfo) bool {
		return ti.active() && (!ti.primary || ti.t.OnDrainingInstance)
	})
	if !failed {
		slices.SortFunc(replace, r.replaceOrder)
		for _, i := range replace {
			r.tryStop(i)
		}
	}

	// Start PRIMARY tasks.
	activeP := len(r.filter(func(ti *taskInfo) bool { return ti.primary && ti.active() && !ti.t.OnDrainingInstance }))
	if n := min(r.d-activeP, r.maxT-r.live); n > 0 && !failed {
		if r.holdLaunch() {
			return r.anyActive(replace)
		}
		r.plan.Start = append(r.plan.Start, Start{DeploymentID: r.primary.ID, Count: n})
	}
	return r.anyActive(replace)
}

// holdLaunch reports (and records) that the backoff holds launches back.
func (r *rollout) holdLaunch() bool {
	if r.backoff.After(r.now) {
		r.backingOff = true
		return true
	}
	return false
}

// isStuck reports the deployment-configuration deadlock: tasks remain to be
// replaced, but the plan can neither stop nor start one, and nothing in
// flight will change that.
func (r *rollout) isStuck(replaceable bool) bool {
	if !replaceable || len(r.plan.Start) > 0 || len(r.plan.Stop) > 0 || r.primaryFailed() || r.backingOff {
		return false
	}
	for i := range r.info {
		ti := &r.info[i]
		switch {
		case ti.phase == phasePending, ti.phase == phaseStopping:
			return false
		case ti.phase == phaseRunning && ti.health != healthHealthy:
			return false
		}
	}
	return true
}

// finishDeployments updates the deployment records: the PRIMARY's rollout
// state, failedTasks and completion; old deployments with no live task are
// dropped.
func (r *rollout) finishDeployments() {
	p := r.primary
	steady := r.isSteady()
	r.plan.Steady = steady

	ch := DeploymentChange{
		ID: p.ID, RolloutState: p.RolloutState, RolloutStateReason: p.RolloutStateReason,
		FailedTasks: p.FailedTasks, Completed: p.Completed,
	}
	inProgress := r.primaryInProgress()
	if inProgress {
		ch.RolloutState, ch.RolloutStateReason = RolloutInProgress, reasonInProgress(p.ID)
		ch.FailedTasks = int32(r.failedTasks)
	}
	var events []string
	switch {
	case r.tripped:
		ch.RolloutState, ch.RolloutStateReason = RolloutFailed, reasonBreakerFailed
		if r.rollbackTo != "" {
			ch.RolloutStateReason = reasonBreakerRollback(r.rollbackTo)
			r.plan.Rollback = &Rollback{To: r.rollbackTo}
		}
	case inProgress && steady:
		ch.RolloutState, ch.RolloutStateReason, ch.Completed = RolloutCompleted, reasonCompleted(p.ID), true
		events = append(events, eventDeploymentCompleted(r.s.Service.Name, p.ID))
	}
	if steady {
		events = append(events, eventSteady(r.s.Service.Name))
	}

	// Old deployments.
	liveBy := make(map[string]int, len(r.s.Deployments))
	for i := range r.info {
		if r.info[i].phase != phaseStopped {
			liveBy[r.info[i].t.DeploymentID]++
		}
	}
	keep := ""
	if ch.RolloutState == RolloutInProgress {
		keep = r.newestCompleted()
	}
	for _, d := range r.s.Deployments[:len(r.s.Deployments)-1] {
		if liveBy[d.ID] > 0 || d.ID == keep || d.ID == r.rollbackTo {
			continue
		}
		r.plan.Deployments = append(r.plan.Deployments, DeploymentChange{
			ID: d.ID, RolloutState: d.RolloutState, RolloutStateReason: d.RolloutStateReason,
			FailedTasks: d.FailedTasks, Completed: d.Completed, Inactive: true,
		})
	}
	if ch.RolloutState != p.RolloutState || ch.RolloutStateReason != p.RolloutStateReason ||
		ch.FailedTasks != p.FailedTasks || ch.Completed != p.Completed {
		r.plan.Deployments = append(r.plan.Deployments, ch)
	}
	r.plan.Events = append(r.plan.Events, events...)
	r.failedTasks = int(ch.FailedTasks)
}

// isSteady reports ECS steady state after this plan: nothing to start or
// stop, and the live tasks are exactly D healthy running PRIMARY tasks on
// instances that are not draining.
func (r *rollout) isSteady() bool {
	if len(r.plan.Start) > 0 || len(r.plan.Stop) > 0 {
		return false
	}
	n := 0
	for i := range r.info {
		ti := &r.info[i]
		if ti.phase == phaseStopped {
			continue
		}
		if !ti.primary || ti.health != healthHealthy || ti.t.OnDrainingInstance {
			return false
		}
		n++
	}
	if r.s.Service.Daemon && !r.onePerEligibleInstance() {
		return false
	}
	return n == r.d
}

// finish adds the stop event, counts and the wake-up time.
func (r *rollout) finish() {
	if len(r.stopped) > 0 {
		r.plan.Events = append([]string{eventStopped(r.s.Service.Name, r.stopped)}, r.plan.Events...)
	}
	r.counts()
	r.wakeAt()
}

// counts reports per-deployment counts after the plan.
func (r *rollout) counts() {
	if len(r.s.Deployments) == 0 {
		return
	}
	r.plan.Counts = make(map[string]Counts, len(r.s.Deployments))
	for i := range r.info {
		ti := &r.info[i]
		if !ti.active() {
			continue
		}
		c := r.plan.Counts[ti.t.DeploymentID]
		if ti.phase == phaseRunning {
			c.Running++
		} else {
			c.Pending++
		}
		r.plan.Counts[ti.t.DeploymentID] = c
	}
	for _, d := range r.s.Deployments {
		c := r.plan.Counts[d.ID]
		c.Desired = c.Running + c.Pending
		c.Failed = d.FailedTasks
		if r.primary != nil && d.ID == r.primary.ID {
			c.Desired = int32(r.d)
			if !r.s.Service.Draining {
				c.Failed = int32(r.failedTasks)
			} else {
				c.Desired = 0
			}
		}
		r.plan.Counts[d.ID] = c
	}
	// Tasks of deployments that are not in the snapshot have no row.
	for id := range r.plan.Counts {
		if !slices.ContainsFunc(r.s.Deployments, func(d Deployment) bool { return d.ID == id }) {
			delete(r.plan.Counts, id)
		}
	}
}

// wakeAt is the earliest future moment something changes without an event.
func (r *rollout) wakeAt() {
	var at time.Time
	consider := func(t time.Time) {
		if t.After(r.now) && (at.IsZero() || t.Before(at)) {
			at = t
		}
	}
	if r.backingOff {
		consider(r.backoff)
	}
	for i := range r.info {
		ti := &r.info[i]
		if !ti.stop {
			consider(healthWake(ti.t, ti.health, r.s.Service.HealthCheckGrace))
		}
	}
	r.plan.WakeAt = at
}

// filter returns the indices of the tasks that satisfy keep.
func (r *rollout) filter(keep func(*taskInfo) bool) []int {
	var out []int
	for i := range r.info {
		if keep(&r.info[i]) {
			out = append(out, i)
		}
	}
	return out
}

// byLaunch is filter in launch order (oldest first).
func (r *rollout) byLaunch(keep func(*taskInfo) bool) []int {
	out := r.filter(keep)
	slices.SortFunc(out, r.oldestFirst)
	return out
}

func (r *rollout) anyActive(idx []int) bool {
	for _, i := range idx {
		if r.info[i].active() {
			return true
		}
	}
	return false
}

func (r *rollout) oldestFirst(a, b int) int {
	ta, tb := r.info[a].t, r.info[b].t
	return cmp.Or(ta.CreatedAt.Compare(tb.CreatedAt), cmp.Compare(ta.ID, tb.ID))
}

// stopRank orders tasks for stopping: pending, then unhealthy (in grace),
// then waiting, then healthy.
func stopRank(ti *taskInfo) int {
	switch {
	case ti.phase == phasePending:
		return 0
	case ti.health == healthUnhealthyGrace, ti.health == healthUnhealthy:
		return 1
	case ti.health == healthWaiting:
		return 2
	}
	return 3
}

// replaceOrder: pending, unhealthy, waiting, then the oldest healthy.
func (r *rollout) replaceOrder(a, b int) int {
	return cmp.Or(cmp.Compare(stopRank(&r.info[a]), stopRank(&r.info[b])), r.oldestFirst(a, b))
}

// scaleInOrder: pending, unhealthy, waiting, then the newest healthy.
func (r *rollout) scaleInOrder(a, b int) int {
	return cmp.Or(cmp.Compare(stopRank(&r.info[a]), stopRank(&r.info[b])), r.oldestFirst(b, a))
}
