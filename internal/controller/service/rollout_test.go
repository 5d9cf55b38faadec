package service

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/model"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

const (
	depA = "ecs-svc/1000000001"
	depB = "ecs-svc/1000000002"
	depC = "ecs-svc/1000000003"
)

func replica(desired, minPct, maxPct int32) Service {
	return Service{Name: "web", Desired: desired, MinimumHealthyPercent: minPct, MaximumPercent: maxPct}
}

func daemonSvc(minPct int32) Service {
	return Service{Name: "agent", Daemon: true, MinimumHealthyPercent: minPct, MaximumPercent: 100}
}

func completed(id string) Deployment {
	return Deployment{ID: id, RolloutState: RolloutCompleted, RolloutStateReason: reasonCompleted(id), Completed: true, CreatedAt: t0.Add(-time.Hour)}
}

func inProgress(id string) Deployment {
	return Deployment{ID: id, RolloutState: RolloutInProgress, RolloutStateReason: reasonInProgress(id), CreatedAt: t0.Add(-10 * time.Minute)}
}

// newDep is a deployment the controller just created (no rollout state yet).
func newDep(id string) Deployment { return Deployment{ID: id, CreatedAt: t0.Add(-time.Second)} }

// task builders; launched counts minutes before t0 so that IDs sort by age.
func healthy(id, dep string) Task {
	return Task{ID: id, DeploymentID: dep, CreatedAt: t0.Add(-5 * time.Minute), Status: model.TaskRunning, RunningSince: t0.Add(-4 * time.Minute)}
}

func waiting(id, dep string, runningFor time.Duration) Task {
	return Task{ID: id, DeploymentID: dep, CreatedAt: t0.Add(-runningFor - time.Second), Status: model.TaskRunning, RunningSince: t0.Add(-runningFor)}
}

func pending(id, dep string) Task {
	return Task{ID: id, DeploymentID: dep, CreatedAt: t0.Add(-time.Second), Status: model.TaskPending}
}

func stopping(id, dep string) Task {
	t := healthy(id, dep)
	t.DesiredStopped, t.StopCode, t.StoppedReason = true, model.StopServiceSchedulerInitiated, reasonScaling(dep)
	return t
}

func stopped(t Task) Task {
	t.Status, t.StoppedAt = model.TaskStopped, t0.Add(-30*time.Second)
	if t.StopCode == "" {
		t.StopCode = model.StopServiceSchedulerInitiated
	}
	return t
}

// failedStart is a task that went to STOPPED without reaching RUNNING.
func failedStart(id, dep string, stoppedAgo time.Duration) Task {
	return Task{ID: id, DeploymentID: dep, CreatedAt: t0.Add(-stoppedAgo - 5*time.Second), Status: model.TaskStopped,
		StoppedAt: t0.Add(-stoppedAgo), StopCode: model.StopTaskFailedToStart, StoppedReason: "CannotPullContainerError: pull access denied"}
}

// healthFailed is a task the service stopped for failing its health checks.
func healthFailed(id, dep string, ago time.Duration) Task {
	return Task{ID: id, DeploymentID: dep, CreatedAt: t0.Add(-ago - time.Minute), Status: model.TaskStopped,
		RunningSince: t0.Add(-ago - 50*time.Second), StoppedAt: t0.Add(-ago), HasHealthCheck: true, HealthStatus: model.HealthUnhealthy,
		DesiredStopped: true, StopCode: model.StopServiceSchedulerInitiated, StoppedReason: reasonUnhealthy}
}

func checked(t Task, status string) Task {
	t.HasHealthCheck, t.HealthStatus = true, status
	return t
}

func onInstance(t Task, inst string) Task { t.InstanceID = inst; return t }

func draining(t Task) Task { t.OnDrainingInstance = true; return t }

func launchedAt(t Task, at time.Time) Task { t.CreatedAt = at; return t }

func ids(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i+1)
	}
	return out
}

func many(n int, prefix, dep string, mk func(id, dep string) Task) []Task {
	var out []Task
	for i, id := range ids(prefix, n) {
		t := mk(id, dep)
		t.CreatedAt = t.CreatedAt.Add(time.Duration(i) * time.Second)
		out = append(out, t)
	}
	return out
}

func cat(ts ...[]Task) []Task { return slices.Concat(ts...) }

func scalingStops(dep string, taskIDs ...string) []Stop {
	var out []Stop
	for _, id := range taskIDs {
		out = append(out, Stop{TaskID: id, Reason: reasonScaling(dep)})
	}
	return out
}

func stopEvent(svc string, taskIDs ...string) string { return eventStopped(svc, taskIDs) }

type row struct {
	name   string
	snap   Snapshot
	start  []Start
	stop   []Stop
	events []string
	check  func(t *testing.T, p Plan)
}

func snap(svc Service, deps []Deployment, tasks ...[]Task) Snapshot {
	return Snapshot{Now: t0, Service: svc, Deployments: deps, Tasks: cat(tasks...)}
}

func wantChange(t *testing.T, p Plan, want DeploymentChange) {
	t.Helper()
	for _, c := range p.Deployments {
		if c.ID == want.ID {
			if c != want {
				t.Errorf("deployment change %s = %+v, want %+v", want.ID, c, want)
			}
			return
		}
	}
	t.Errorf("no deployment change for %s in %+v", want.ID, p.Deployments)
}

func wantNoChange(t *testing.T, p Plan, id string) {
	t.Helper()
	for _, c := range p.Deployments {
		if c.ID == id {
			t.Errorf("unexpected deployment change %+v", c)
		}
	}
}

func wantCounts(t *testing.T, p Plan, id string, want Counts) {
	t.Helper()
	if got := p.Counts[id]; got != want {
		t.Errorf("counts[%s] = %+v, want %+v", id, got, want)
	}
}

func started(id string) DeploymentChange {
	return DeploymentChange{ID: id, RolloutState: RolloutInProgress, RolloutStateReason: reasonInProgress(id)}
}

func TestCompute(t *testing.T) {
	stuck := eventStuck("web")
	rows := []row{
		{
			name:  "100/200 surges all new tasks first",
			snap:  snap(replica(4, 100, 200), []Deployment{completed(depA), newDep(depB)}, many(4, "a", depA, healthy)),
			start: []Start{{DeploymentID: depB, Count: 4}},
			check: func(t *testing.T, p Plan) {
				wantChange(t, p, started(depB))
				wantCounts(t, p, depA, Counts{Desired: 4, Running: 4})
				wantCounts(t, p, depB, Counts{Desired: 4})
			},
		},
		{
			name: "100/200 stops the oldest old tasks as new ones become healthy",
			snap: snap(replica(4, 100, 200), []Deployment{completed(depA), inProgress(depB)},
				many(4, "a", depA, healthy), many(2, "b", depB, healthy), []Task{pending("b3", depB), pending("b4", depB)}),
			stop:   scalingStops(depB, "a1", "a2"),
			events: []string{stopEvent("web", "a1", "a2")},
			check: func(t *testing.T, p Plan) {
				wantCounts(t, p, depA, Counts{Desired: 2, Running: 2})
				wantCounts(t, p, depB, Counts{Desired: 4, Running: 2, Pending: 2})
			},
		},
		{
			name:   "50/100 stops half first",
			snap:   snap(replica(4, 50, 100), []Deployment{completed(depA), newDep(depB)}, many(4, "a", depA, healthy)),
			stop:   scalingStops(depB, "a1", "a2"),
			events: []string{stopEvent("web", "a1", "a2")},
		},
		{
			name: "50/100 waits while stopping tasks still count toward max",
			snap: snap(replica(4, 50, 100), []Deployment{completed(depA), inProgress(depB)},
				many(2, "a", depA, healthy), []Task{stopping("a3", depA), stopping("a4", depA)}),
		},
		{
			name: "50/100 starts once the old tasks are STOPPED",
			snap: snap(replica(4, 50, 100), []Deployment{completed(depA), inProgress(depB)},
				many(2, "a", depA, healthy), []Task{stopped(stopping("a3", depA)), stopped(stopping("a4", depA))}),
			start: []Start{{DeploymentID: depB, Count: 2}},
		},
		{
			name:   "0/100 stops every old task first",
			snap:   snap(replica(3, 0, 100), []Deployment{completed(depA), newDep(depB)}, many(3, "a", depA, healthy)),
			stop:   scalingStops(depB, "a1", "a2", "a3"),
			events: []string{stopEvent("web", "a1", "a2", "a3")},
		},
		{
			name:   "0/100 starts on freed room; old completed deployment kept as rollback target",
			snap:   snap(replica(3, 0, 100), []Deployment{completed(depA), inProgress(depB)}, []Task{stopped(stopping("a1", depA))}),
			start:  []Start{{DeploymentID: depB, Count: 3}},
			events: nil,
			check: func(t *testing.T, p Plan) {
				wantNoChange(t, p, depA)
				wantCounts(t, p, depA, Counts{})
			},
		},
		{
			name:   "100/100 deadlocks and says so",
			snap:   snap(replica(2, 100, 100), []Deployment{completed(depA), newDep(depB)}, many(2, "a", depA, healthy)),
			events: []string{stuck},
		},
		{
			name:  "75% of 2 rounds minH up to 2: start first",
			snap:  snap(replica(2, 75, 200), []Deployment{completed(depA), newDep(depB)}, many(2, "a", depA, healthy)),
			start: []Start{{DeploymentID: depB, Count: 2}},
		},
		{
			name:   "75% of 2 with max 100 is stuck",
			snap:   snap(replica(2, 75, 100), []Deployment{completed(depA), newDep(depB)}, many(2, "a", depA, healthy)),
			events: []string{stuck},
		},
		{
			name:   "125% of 3 rounds maxT down to 3: stop first",
			snap:   snap(replica(3, 50, 125), []Deployment{completed(depA), newDep(depB)}, many(3, "a", depA, healthy)),
			stop:   scalingStops(depB, "a1"),
			events: []string{stopEvent("web", "a1")},
		},
		{
			name:   "125% of 3 with min 100 is stuck",
			snap:   snap(replica(3, 100, 125), []Deployment{completed(depA), newDep(depB)}, many(3, "a", depA, healthy)),
			events: []string{stuck},
		},
		{
			name: "no stuck event while new tasks are still coming up",
			snap: snap(replica(2, 100, 200), []Deployment{completed(depA), inProgress(depB)},
				many(2, "a", depA, healthy), many(2, "b", depB, pending)),
		},
		{
			name: "desired count raised mid-rollout",
			snap: snap(replica(6, 100, 200), []Deployment{completed(depA), inProgress(depB)},
				many(4, "a", depA, healthy), many(4, "b", depB, pending)),
			start: []Start{{DeploymentID: depB, Count: 2}},
			check: func(t *testing.T, p Plan) { wantCounts(t, p, depB, Counts{Desired: 6, Pending: 4}) },
		},
		{
			name: "desired count lowered mid-rollout: scale in newest, replace old within minH",
			snap: snap(replica(2, 100, 200), []Deployment{completed(depA), inProgress(depB)},
				many(4, "a", depA, healthy), many(4, "b", depB, healthy)),
			stop:   slices.Concat(scalingStops(depB, "b4", "b3"), scalingStops(depB, "a1", "a2", "a3", "a4")),
			events: []string{stopEvent("web", "b4", "b3", "a1", "a2", "a3", "a4")},
			check: func(t *testing.T, p Plan) {
				wantCounts(t, p, depA, Counts{})
				wantCounts(t, p, depB, Counts{Desired: 2, Running: 2})
			},
		},
		{
			name: "desired count lowered keeps minH when new tasks are not yet healthy",
			snap: snap(replica(2, 100, 200), []Deployment{completed(depA), inProgress(depB)},
				many(4, "a", depA, healthy), many(4, "b", depB, pending)),
			stop:   slices.Concat(scalingStops(depB, "b4", "b3"), scalingStops(depB, "a1", "a2")),
			events: []string{stopEvent("web", "b4", "b3", "a1", "a2")},
		},
		{
			name: "a new deployment supersedes one in progress: its unready tasks stop at once",
			snap: snap(replica(4, 100, 200), []Deployment{completed(depA), inProgress(depB), newDep(depC)},
				many(4, "a", depA, healthy), many(4, "b", depB, func(id, dep string) Task { return waiting(id, dep, 10*time.Second) })),
			stop:   scalingStops(depC, "b1", "b2", "b3", "b4"),
			events: []string{stopEvent("web", "b1", "b2", "b3", "b4")},
			check: func(t *testing.T, p Plan) {
				wantChange(t, p, started(depC))
				wantNoChange(t, p, depA)
				wantNoChange(t, p, depB)
			},
		},
		{
			name: "three deployments: the emptied middle one is dropped, the old completed one drains",
			snap: snap(replica(4, 100, 200), []Deployment{completed(depA), inProgress(depB), inProgress(depC)},
				many(4, "a", depA, healthy), []Task{stopped(stopping("b1", depB))}, many(4, "c", depC, healthy)),
			stop:   scalingStops(depC, "a1", "a2", "a3", "a4"),
			events: []string{stopEvent("web", "a1", "a2", "a3", "a4")},
			check: func(t *testing.T, p Plan) {
				wantChange(t, p, DeploymentChange{ID: depB, RolloutState: RolloutInProgress, RolloutStateReason: reasonInProgress(depB), Inactive: true})
				wantNoChange(t, p, depA)
			},
		},
		{
			name: "rollout completes: old dropped, completed and steady events",
			snap: snap(replica(4, 100, 200), []Deployment{completed(depA), inProgress(depB)},
				[]Task{stopped(stopping("a1", depA))}, many(4, "b", depB, healthy)),
			events: []string{eventDeploymentCompleted("web", depB), eventSteady("web")},
			check: func(t *testing.T, p Plan) {
				if !p.Steady {
					t.Error("not steady")
				}
				wantChange(t, p, DeploymentChange{ID: depA, RolloutState: RolloutCompleted, RolloutStateReason: reasonCompleted(depA), Completed: true, Inactive: true})
				wantChange(t, p, DeploymentChange{ID: depB, RolloutState: RolloutCompleted, RolloutStateReason: reasonCompleted(depB), Completed: true})
				wantCounts(t, p, depB, Counts{Desired: 4, Running: 4})
			},
		},
		{
			name:   "steady service: steady event, nothing to store",
			snap:   snap(replica(2, 100, 200), []Deployment{completed(depB)}, many(2, "b", depB, healthy)),
			events: []string{eventSteady("web")},
			check: func(t *testing.T, p Plan) {
				if !p.Steady || len(p.Deployments) != 0 {
					t.Errorf("steady=%v deployments=%+v", p.Steady, p.Deployments)
				}
			},
		},
		{
			name: "self-healing: a dead task is replaced",
			snap: snap(replica(3, 100, 200), []Deployment{completed(depB)},
				many(2, "b", depB, healthy), []Task{stopped(Task{ID: "b9", DeploymentID: depB, CreatedAt: t0.Add(-time.Hour), Status: model.TaskRunning,
					RunningSince: t0.Add(-time.Hour), StopCode: model.StopEssentialContainerExited})}),
			start: []Start{{DeploymentID: depB, Count: 1}},
		},
		{
			name: "breaker stage 1: tasks never reach RUNNING → FAILED and roll back",
			snap: func() Snapshot {
				s := snap(replica(4, 100, 200), []Deployment{completed(depA), inProgress(depB)}, many(4, "a", depA, healthy),
					[]Task{failedStart("b1", depB, 90*time.Second), failedStart("b2", depB, 60*time.Second), failedStart("b3", depB, 30*time.Second), pending("b4", depB)})
				s.Service.CircuitBreaker, s.Service.Rollback = true, true
				return s
			}(),
			check: func(t *testing.T, p Plan) {
				wantChange(t, p, DeploymentChange{ID: depB, RolloutState: RolloutFailed, RolloutStateReason: reasonBreakerRollback(depA), FailedTasks: 3})
				if p.Rollback == nil || p.Rollback.To != depA {
					t.Errorf("rollback = %+v, want to %s", p.Rollback, depA)
				}
				wantNoChange(t, p, depA)
				wantCounts(t, p, depB, Counts{Desired: 4, Pending: 1, Failed: 3})
			},
		},
		{
			name: "breaker without a completed deployment: FAILED, stalls",
			snap: func() Snapshot {
				s := snap(replica(2, 100, 200), []Deployment{inProgress(depB)},
					[]Task{failedStart("b1", depB, 90*time.Second), failedStart("b2", depB, 60*time.Second), failedStart("b3", depB, 30*time.Second)})
				s.Service.CircuitBreaker, s.Service.Rollback = true, true
				return s
			}(),
			check: func(t *testing.T, p Plan) {
				wantChange(t, p, DeploymentChange{ID: depB, RolloutState: RolloutFailed, RolloutStateReason: reasonBreakerFailed, FailedTasks: 3})
				if p.Rollback != nil {
					t.Errorf("rollback = %+v", p.Rollback)
				}
			},
		},
		{
			name: "FAILED deployment launches nothing and leaves old tasks alone",
			snap: func() Snapshot {
				b := inProgress(depB)
				b.RolloutState, b.RolloutStateReason, b.FailedTasks = RolloutFailed, reasonBreakerFailed, 3
				s := snap(replica(2, 50, 200), []Deployment{inProgress(depA), b}, many(2, "a", depA, healthy))
				s.Service.CircuitBreaker = true
				return s
			}(),
			check: func(t *testing.T, p Plan) { wantCounts(t, p, depB, Counts{Desired: 2, Failed: 3}) },
		},
		{
			name: "breaker disabled: failures only counted",
			snap: snap(replica(1, 100, 200), []Deployment{inProgress(depB)},
				[]Task{failedStart("b1", depB, 20*time.Minute), failedStart("b2", depB, 19*time.Minute), failedStart("b3", depB, 18*time.Minute)}),
			start: []Start{{DeploymentID: depB, Count: 1}},
			check: func(t *testing.T, p Plan) {
				wantChange(t, p, DeploymentChange{ID: depB, RolloutState: RolloutInProgress, RolloutStateReason: reasonInProgress(depB), FailedTasks: 3})
			},
		},
		{
			name: "breaker counts consecutively: a healthy task resets the count",
			snap: func() Snapshot {
				s := snap(replica(4, 100, 200), []Deployment{inProgress(depB)},
					[]Task{failedStart("b1", depB, 20*time.Minute), failedStart("b2", depB, 19*time.Minute),
						launchedAt(healthy("b3", depB), t0.Add(-18*time.Minute)), failedStart("b4", depB, 17*time.Minute)})
				s.Service.CircuitBreaker = true
				return s
			}(),
			start: []Start{{DeploymentID: depB, Count: 3}},
			check: func(t *testing.T, p Plan) {
				wantChange(t, p, DeploymentChange{ID: depB, RolloutState: RolloutInProgress, RolloutStateReason: reasonInProgress(depB), FailedTasks: 1})
			},
		},
		{
			name: "breaker stage 2: tasks stopped for failing health checks",
			snap: func() Snapshot {
				s := snap(replica(2, 100, 200), []Deployment{completed(depA), inProgress(depB)}, many(2, "a", depA, healthy),
					[]Task{healthFailed("b1", depB, 3*time.Minute), healthFailed("b2", depB, 2*time.Minute), healthFailed("b3", depB, time.Minute)})
				s.Service.CircuitBreaker, s.Service.Rollback = true, true
				return s
			}(),
			check: func(t *testing.T, p Plan) {
				wantChange(t, p, DeploymentChange{ID: depB, RolloutState: RolloutFailed, RolloutStateReason: reasonBreakerRollback(depA), FailedTasks: 3})
				if p.Rollback == nil || p.Rollback.To != depA {
					t.Errorf("rollback = %+v", p.Rollback)
				}
			},
		},
		{
			name: "breaker: a task that runs and exits before counting healthy is a failure",
			snap: func() Snapshot {
				crash := func(id string, ago time.Duration) Task {
					return Task{ID: id, DeploymentID: depB, CreatedAt: t0.Add(-ago - 5*time.Second), Status: model.TaskStopped,
						RunningSince: t0.Add(-ago - time.Second), StoppedAt: t0.Add(-ago), StopCode: model.StopEssentialContainerExited}
				}
				s := snap(replica(2, 100, 200), []Deployment{completed(depA), inProgress(depB)}, many(2, "a", depA, healthy),
					[]Task{crash("b1", 3*time.Minute), crash("b2", 2*time.Minute), crash("b3", time.Minute)})
				s.Service.CircuitBreaker = true
				return s
			}(),
			check: func(t *testing.T, p Plan) {
				wantChange(t, p, DeploymentChange{ID: depB, RolloutState: RolloutFailed, RolloutStateReason: reasonBreakerFailed, FailedTasks: 3})
				if len(p.Start) != 0 {
					t.Errorf("start = %+v", p.Start)
				}
			},
		},
		{
			name: "unhealthy PRIMARY task after grace: stop and replace in the same pass",
			snap: snap(replica(2, 100, 200), []Deployment{completed(depB)},
				[]Task{checked(healthy("b1", depB), model.HealthHealthy), checked(healthy("b2", depB), model.HealthUnhealthy)}),
			start:  []Start{{DeploymentID: depB, Count: 1}},
			stop:   []Stop{{TaskID: "b2", Reason: reasonUnhealthy}},
			events: []string{stopEvent("web", "b2")},
		},
		{
			name: "unhealthy task with no surge room: stop it, start once it is gone",
			snap: snap(replica(2, 100, 100), []Deployment{completed(depB)},
				[]Task{checked(healthy("b1", depB), model.HealthHealthy), checked(healthy("b2", depB), model.HealthUnhealthy)}),
			stop:   []Stop{{TaskID: "b2", Reason: reasonUnhealthy}},
			events: []string{stopEvent("web", "b2")},
		},
		{
			name: "unhealthy task within the grace period is kept; wake at grace end",
			snap: func() Snapshot {
				s := snap(replica(2, 100, 200), []Deployment{completed(depB)},
					[]Task{checked(healthy("b1", depB), model.HealthHealthy), checked(waiting("b2", depB, 30*time.Second), model.HealthUnhealthy)})
				s.Service.HealthCheckGrace = time.Minute
				return s
			}(),
			check: func(t *testing.T, p Plan) {
				if want := t0.Add(30 * time.Second); !p.WakeAt.Equal(want) {
					t.Errorf("WakeAt = %v, want %v", p.WakeAt, want)
				}
				if p.Steady {
					t.Error("steady with an unhealthy task")
				}
			},
		},
		{
			name: "40 s rule: not yet healthy, no old task stops, wake when it counts",
			snap: snap(replica(2, 100, 200), []Deployment{completed(depA), inProgress(depB)},
				many(2, "a", depA, healthy), []Task{waiting("b1", depB, 25*time.Second), waiting("b2", depB, 39*time.Second)}),
			check: func(t *testing.T, p Plan) {
				if want := t0.Add(time.Second); !p.WakeAt.Equal(want) {
					t.Errorf("WakeAt = %v, want %v", p.WakeAt, want)
				}
			},
		},
		{
			name: "40 s rule: healthy at exactly 40 s",
			snap: snap(replica(2, 100, 200), []Deployment{completed(depA), inProgress(depB)},
				many(2, "a", depA, healthy), []Task{waiting("b1", depB, 40*time.Second), waiting("b2", depB, 39*time.Second)}),
			stop:   scalingStops(depB, "a1"),
			events: []string{stopEvent("web", "a1")},
		},
		{
			name: "health-checked task counts once HEALTHY, not by time",
			snap: snap(replica(1, 100, 200), []Deployment{completed(depA), inProgress(depB)},
				many(1, "a", depA, healthy), []Task{checked(waiting("b1", depB, 5*time.Minute), model.HealthUnknown)}),
		},
		{
			name: "capacity for only part of the surge: retry the rest, keep minH",
			snap: snap(replica(4, 100, 200), []Deployment{completed(depA), inProgress(depB)},
				many(4, "a", depA, healthy), many(2, "b", depB, pending)),
			start: []Start{{DeploymentID: depB, Count: 2}},
		},
		{
			name: "partial surge, placed tasks healthy: stop as many old as are covered",
			snap: snap(replica(4, 100, 200), []Deployment{completed(depA), inProgress(depB)},
				many(4, "a", depA, healthy), many(2, "b", depB, healthy)),
			start:  []Start{{DeploymentID: depB, Count: 2}},
			stop:   scalingStops(depB, "a1", "a2"),
			events: []string{stopEvent("web", "a1", "a2")},
		},
		{
			name:   "scale to 0",
			snap:   snap(replica(0, 100, 200), []Deployment{completed(depB)}, many(3, "b", depB, healthy)),
			stop:   scalingStops(depB, "b3", "b2", "b1"),
			events: []string{stopEvent("web", "b3", "b2", "b1")},
		},
		{
			name:   "scaled to 0 and stopped: steady",
			snap:   snap(replica(0, 100, 200), []Deployment{completed(depB)}, []Task{stopped(stopping("b1", depB))}),
			events: []string{eventSteady("web")},
		},
		{
			name: "scale-in prefers pending, then unready, then newest",
			snap: snap(replica(2, 100, 200), []Deployment{completed(depB)},
				[]Task{healthy("b1", depB), launchedAt(healthy("b2", depB), t0.Add(-time.Minute)), waiting("b3", depB, 10*time.Second), pending("b4", depB)}),
			stop:   scalingStops(depB, "b4", "b3"),
			events: []string{stopEvent("web", "b4", "b3")},
		},
		{
			name: "draining service stops every active task",
			snap: func() Snapshot {
				s := snap(replica(0, 100, 200), []Deployment{completed(depB)},
					[]Task{healthy("b1", depB), pending("b2", depB), stopping("b3", depB), stopped(stopping("b4", depB))})
				s.Service.Draining = true
				return s
			}(),
			stop:   scalingStops(depB, "b1", "b2"),
			events: []string{stopEvent("web", "b1", "b2")},
			check: func(t *testing.T, p Plan) {
				if p.ServiceInactive {
					t.Error("inactive while tasks still run")
				}
			},
		},
		{
			name: "draining service becomes INACTIVE once every task is STOPPING or STOPPED",
			snap: func() Snapshot {
				st := stopping("b1", depB)
				st.Status = model.TaskStopping
				s := snap(replica(0, 100, 200), []Deployment{completed(depB)}, []Task{st, stopped(stopping("b2", depB))})
				s.Service.Draining = true
				return s
			}(),
			check: func(t *testing.T, p Plan) {
				if !p.ServiceInactive {
					t.Error("not inactive")
				}
			},
		},
		{
			name: "task on a draining instance: replacement first (100/200), not steady",
			snap: snap(replica(2, 100, 200), []Deployment{completed(depB)},
				[]Task{healthy("b1", depB), draining(healthy("b2", depB))}),
			start: []Start{{DeploymentID: depB, Count: 1}},
		},
		{
			name: "task on a draining instance stops once its replacement is healthy",
			snap: snap(replica(2, 100, 200), []Deployment{completed(depB)},
				[]Task{healthy("b1", depB), draining(healthy("b2", depB)), waiting("b3", depB, time.Minute)}),
			stop:   scalingStops(depB, "b2"),
			events: []string{stopEvent("web", "b2")},
		},
		{
			name:   "draining instance with 100/100 is stuck",
			snap:   snap(replica(2, 100, 100), []Deployment{completed(depB)}, []Task{healthy("b1", depB), draining(healthy("b2", depB))}),
			events: []string{stuck},
		},
		{
			name: "backoff: launches wait after tasks fail to start",
			snap: snap(replica(2, 100, 200), []Deployment{completed(depA), inProgress(depB)}, many(2, "a", depA, healthy),
				[]Task{failedStart("b1", depB, time.Minute), failedStart("b2", depB, 5*time.Second)}),
			events: []string{eventStartImpaired("web")},
			check: func(t *testing.T, p Plan) {
				// two failed attempts: 20 s from the newest failure
				if want := t0.Add(15 * time.Second); !p.WakeAt.Equal(want) {
					t.Errorf("WakeAt = %v, want %v", p.WakeAt, want)
				}
			},
		},
		{
			name: "backoff: a batch that failed together is one attempt",
			snap: snap(replica(4, 100, 200), []Deployment{completed(depA), inProgress(depB)}, many(4, "a", depA, healthy),
				[]Task{failedStart("b1", depB, 5*time.Second), failedStart("b2", depB, 5*time.Second), failedStart("b3", depB, 4*time.Second)}),
			events: []string{eventStartImpaired("web")},
			check: func(t *testing.T, p Plan) {
				if want := t0.Add(6 * time.Second); !p.WakeAt.Equal(want) {
					t.Errorf("WakeAt = %v, want %v", p.WakeAt, want)
				}
			},
		},
		{
			name: "backoff over: launch again",
			snap: snap(replica(2, 100, 200), []Deployment{completed(depA), inProgress(depB)}, many(2, "a", depA, healthy),
				[]Task{failedStart("b1", depB, time.Minute), failedStart("b2", depB, 21*time.Second)}),
			start: []Start{{DeploymentID: depB, Count: 2}},
		},
		{
			name: "backoff: even the 15-minute cap has passed an hour later",
			snap: func() Snapshot {
				var ts []Task
				for i := range 12 {
					ts = append(ts, failedStart(fmt.Sprintf("b%02d", i), depB, time.Duration(12-i)*time.Hour))
				}
				return snap(replica(1, 100, 200), []Deployment{inProgress(depB)}, ts)
			}(),
			start: []Start{{DeploymentID: depB, Count: 1}},
		},
		{
			name: "backoff reset by a new deployment",
			snap: snap(replica(2, 100, 200), []Deployment{inProgress(depB), newDep(depC)},
				[]Task{failedStart("b1", depB, 10*time.Second), failedStart("b2", depB, 5*time.Second)}),
			start: []Start{{DeploymentID: depC, Count: 2}},
		},
		{
			name: "tasks that ran and died do not throttle",
			snap: snap(replica(1, 100, 200), []Deployment{completed(depB)},
				[]Task{stopped(Task{ID: "b1", DeploymentID: depB, CreatedAt: t0.Add(-time.Minute), Status: model.TaskRunning,
					RunningSince: t0.Add(-50 * time.Second), StopCode: model.StopEssentialContainerExited})}),
			start: []Start{{DeploymentID: depB, Count: 1}},
		},
	}
	rows = append(rows, row{
		name: "backoff after many failed attempts waits 15 minutes",
		snap: func() Snapshot {
			var ts []Task
			for i := range 12 {
				ts = append(ts, failedStart(fmt.Sprintf("b%02d", i), depB, time.Duration(12-i)*time.Minute))
			}
			return snap(replica(1, 100, 200), []Deployment{inProgress(depB)}, ts)
		}(),
		events: []string{eventStartImpaired("web")},
		check: func(t *testing.T, p Plan) {
			if want := t0.Add(-time.Minute + 15*time.Minute); !p.WakeAt.Equal(want) {
				t.Errorf("WakeAt = %v, want %v", p.WakeAt, want)
			}
		},
	})
	rows = append(rows, daemonRows()...)
	for _, rw := range rows {
		t.Run(rw.name, func(t *testing.T) {
			p := Compute(rw.snap)
			if got := p.Start; !reflect.DeepEqual(got, rw.start) {
				t.Errorf("start = %+v, want %+v", got, rw.start)
			}
			if got := p.Stop; !reflect.DeepEqual(got, rw.stop) {
				t.Errorf("stop = %+v, want %+v", got, rw.stop)
			}
			if got := p.Events; !reflect.DeepEqual(got, rw.events) {
				t.Errorf("events = %q, want %q", got, rw.events)
			}
			if rw.check != nil {
				rw.check(t, p)
			}
			checkPlanInvariants(t, rw.snap, p)
		})
	}
}

func daemonRows() []row {
	on := func(t Task, inst string) Task { return onInstance(t, inst) }
	insts := func(ids ...string) []Instance {
		var out []Instance
		for _, id := range ids {
			out = append(out, Instance{ID: id})
		}
		return out
	}
	dsnap := func(minPct int32, deps []Deployment, in []Instance, tasks ...Task) Snapshot {
		return Snapshot{Now: t0, Service: daemonSvc(minPct), Deployments: deps, Tasks: tasks, Instances: in}
	}
	return []row{
		{
			name:  "DAEMON: a new instance gets a task",
			snap:  dsnap(0, []Deployment{completed(depB)}, insts("i1", "i2"), on(healthy("b1", depB), "i1")),
			start: []Start{{DeploymentID: depB, Count: 1, InstanceID: "i2"}},
			check: func(t *testing.T, p Plan) { wantCounts(t, p, depB, Counts{Desired: 2, Running: 1}) },
		},
		{
			name: "DAEMON: a removed instance's task stops",
			snap: dsnap(0, []Deployment{completed(depB)}, insts("i1"),
				on(healthy("b1", depB), "i1"), on(healthy("b2", depB), "i3")),
			stop:   scalingStops(depB, "b2"),
			events: []string{"(service agent) has stopped 1 running tasks: (task b2)."},
		},
		{
			name: "DAEMON: a draining instance's task stops and gets no replacement",
			snap: dsnap(0, []Deployment{completed(depB)}, []Instance{{ID: "i1"}, {ID: "i2", Draining: true}},
				on(healthy("b1", depB), "i1"), draining(on(healthy("b2", depB), "i2"))),
			stop:   scalingStops(depB, "b2"),
			events: []string{"(service agent) has stopped 1 running tasks: (task b2)."},
			check:  func(t *testing.T, p Plan) { wantCounts(t, p, depB, Counts{Desired: 1, Running: 1}) },
		},
		{
			name: "DAEMON: steady with one healthy task per instance",
			snap: dsnap(0, []Deployment{completed(depB)}, insts("i1", "i2"),
				on(healthy("b1", depB), "i1"), on(healthy("b2", depB), "i2")),
			events: []string{"(service agent) has reached a steady state."},
		},
		{
			name: "DAEMON rollout 0/100: stop the old tasks first",
			snap: dsnap(0, []Deployment{completed(depA), newDep(depB)}, insts("i1", "i2"),
				on(healthy("a1", depA), "i1"), on(healthy("a2", depA), "i2")),
			stop:   scalingStops(depB, "a1", "a2"),
			events: []string{"(service agent) has stopped 2 running tasks: (task a1) (task a2)."},
		},
		{
			name: "DAEMON rollout: start once the instance is free",
			snap: dsnap(0, []Deployment{completed(depA), inProgress(depB)}, insts("i1", "i2"),
				on(stopped(stopping("a1", depA)), "i1"), on(stopping("a2", depA), "i2")),
			start: []Start{{DeploymentID: depB, Count: 1, InstanceID: "i1"}},
		},
		{
			name: "DAEMON rollout 50/100: one instance at a time",
			snap: dsnap(50, []Deployment{completed(depA), newDep(depB)}, insts("i1", "i2"),
				on(healthy("a1", depA), "i1"), on(healthy("a2", depA), "i2")),
			stop:   scalingStops(depB, "a1"),
			events: []string{"(service agent) has stopped 1 running tasks: (task a1)."},
		},
		{
			name: "DAEMON rollout 100/100 is stuck",
			snap: dsnap(100, []Deployment{completed(depA), newDep(depB)}, insts("i1"),
				on(healthy("a1", depA), "i1")),
			events: []string{eventStuck("agent")},
		},
		{
			name: "DAEMON: duplicate tasks on one instance, keep the healthy one",
			snap: dsnap(0, []Deployment{completed(depB)}, insts("i1"),
				on(healthy("b1", depB), "i1"), on(pending("b2", depB), "i1")),
			stop:   scalingStops(depB, "b2"),
			events: []string{"(service agent) has stopped 1 running tasks: (task b2)."},
		},
	}
}

// checkPlanInvariants checks, for any snapshot, what every plan must hold.
func checkPlanInvariants(t *testing.T, s Snapshot, p Plan) {
	t.Helper()
	before := cloneSnapshot(s)
	again := Compute(s)
	if !reflect.DeepEqual(p, again) {
		t.Errorf("Compute is not deterministic:\n%+v\n%+v", p, again)
	}
	if !reflect.DeepEqual(before, s) {
		t.Error("Compute changed its snapshot")
	}
	if s.Service.Draining || s.Service.Daemon {
		return
	}
	d := int(s.Service.Desired)
	maxT := d * int(s.Service.MaximumPercent) / 100
	minH := (d*int(s.Service.MinimumHealthyPercent) + 99) / 100
	h, live := countHealthy(s), countLive(s)
	stopping := map[string]bool{}
	for _, st := range p.Stop {
		if stopping[st.TaskID] {
			t.Errorf("task %s stopped twice", st.TaskID)
		}
		stopping[st.TaskID] = true
	}
	hAfter := 0
	for _, tk := range s.Tasks {
		if !stopping[tk.ID] && isHealthy(tk, s.Now) {
			hAfter++
		}
	}
	if hAfter < min(minH, h) {
		t.Errorf("healthy %d → %d after stops, minH %d", h, hAfter, minH)
	}
	n := 0
	for _, st := range p.Start {
		n += st.Count
	}
	if n > 0 && live+n > maxT {
		t.Errorf("live %d + start %d > maxT %d", live, n, maxT)
	}
}

// isHealthy is the healthy rule, restated independently of health.go.
func isHealthy(t Task, now time.Time) bool {
	if t.Status != model.TaskRunning || t.DesiredStopped {
		return false
	}
	if t.HasHealthCheck {
		return t.HealthStatus == model.HealthHealthy
	}
	return !now.Before(t.RunningSince.Add(40 * time.Second))
}

func countHealthy(s Snapshot) int {
	n := 0
	for _, t := range s.Tasks {
		if isHealthy(t, s.Now) {
			n++
		}
	}
	return n
}

func countLive(s Snapshot) int {
	n := 0
	for _, t := range s.Tasks {
		if t.Status != model.TaskStopped {
			n++
		}
	}
	return n
}

func cloneSnapshot(s Snapshot) Snapshot {
	c := s
	c.Deployments = slices.Clone(s.Deployments)
	c.Tasks = slices.Clone(s.Tasks)
	c.Instances = slices.Clone(s.Instances)
	return c
}

func TestBreakerThreshold(t *testing.T) {
	for d, want := range map[int]int{0: 3, 1: 3, 5: 3, 6: 3, 7: 4, 25: 13, 399: 200, 400: 200, 1000: 200} {
		if got := breakerThreshold(d); got != want {
			t.Errorf("breakerThreshold(%d) = %d, want %d", d, got, want)
		}
	}
}

func TestRounding(t *testing.T) {
	for _, c := range []struct {
		d, minPct, maxPct int32
		minH, maxT        int
	}{
		{2, 75, 200, 2, 4}, {3, 100, 125, 3, 3}, {4, 50, 100, 2, 4}, {3, 50, 150, 2, 4}, {1, 50, 150, 1, 1}, {0, 100, 200, 0, 0}, {7, 33, 133, 3, 9},
	} {
		r := newRollout(Snapshot{Service: replica(c.d, c.minPct, c.maxPct)})
		if r.minH != c.minH || r.maxT != c.maxT {
			t.Errorf("D=%d %d/%d: minH %d maxT %d, want %d %d", c.d, c.minPct, c.maxPct, r.minH, r.maxT, c.minH, c.maxT)
		}
	}
}
