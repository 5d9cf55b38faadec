package service

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/model"
)

// sim is a tiny world to apply plans in: started tasks come up PENDING and
// reach RUNNING after a few passes (or fail to start), become HEALTHY or
// UNHEALTHY, and stopped tasks go STOPPING, then STOPPED. It plays the
// controller's part too: it applies deployment changes and rollbacks.
type sim struct {
	t     *testing.T
	rng   *rand.Rand
	now   time.Time
	svc   Service
	deps  []Deployment
	bad   map[string]bool // deployments whose tasks always fail to start
	tasks []*simTask
	seq   int

	// chaos knobs (zero: a world where nothing fails)
	failStart, unhealthy, crash, placeFail float64

	stuckSeen bool
	plans     int
}

type simTask struct {
	Task
	wait      int // passes until the next transition
	willFail  bool
	sick      bool
	healthSet bool
}

func newSim(t *testing.T, seed uint64, svc Service) *sim {
	s := &sim{t: t, rng: rand.New(rand.NewPCG(seed, 0x5eed)), now: t0, svc: svc, bad: map[string]bool{}}
	return s
}

func (s *sim) newDeployment(bad bool) string {
	s.seq++
	id := fmt.Sprintf("ecs-svc/%010d", s.seq)
	s.deps = append(s.deps, Deployment{ID: id, TaskDefinitionARN: id, CreatedAt: s.now})
	s.bad[id] = bad
	return id
}

// seedSteady gives the service a COMPLETED deployment with n healthy tasks.
func (s *sim) seedSteady(n int) {
	id := s.newDeployment(false)
	d := &s.deps[len(s.deps)-1]
	d.RolloutState, d.RolloutStateReason, d.Completed = RolloutCompleted, reasonCompleted(id), true
	for range n {
		s.seq++
		s.tasks = append(s.tasks, &simTask{Task: Task{ID: fmt.Sprintf("t%05d", s.seq), DeploymentID: id,
			CreatedAt: s.now.Add(-time.Hour), Status: model.TaskRunning, RunningSince: s.now.Add(-time.Hour)}})
	}
}

func (s *sim) snapshot() Snapshot {
	snap := Snapshot{Now: s.now, Service: s.svc, Deployments: slices.Clone(s.deps)}
	for _, t := range s.tasks {
		snap.Tasks = append(snap.Tasks, t.Task)
	}
	return snap
}

func (s *sim) primary() *Deployment { return &s.deps[len(s.deps)-1] }

// pass runs Compute on the current world, checks the plan and applies it.
func (s *sim) pass() Plan {
	snap := s.snapshot()
	p := Compute(snap)
	s.plans++
	checkPlanInvariants(s.t, snap, p)
	s.checkPlan(snap, p)
	if slices.Contains(p.Events, eventStuck(s.svc.Name)) {
		s.stuckSeen = true
	}
	s.apply(p)
	s.advance()
	return p
}

// checkPlan checks what the simulator can see beyond checkPlanInvariants.
func (s *sim) checkPlan(snap Snapshot, p Plan) {
	t := s.t
	t.Helper()
	byID := map[string]Task{}
	for _, tk := range snap.Tasks {
		byID[tk.ID] = tk
	}
	for _, st := range p.Stop {
		tk, ok := byID[st.TaskID]
		if !ok || tk.DesiredStopped || tk.Status >= model.TaskStopped {
			t.Fatalf("stop of a task that is not active: %+v", tk)
		}
	}
	prim := snap.Deployments[len(snap.Deployments)-1]
	for _, st := range p.Start {
		if st.DeploymentID != prim.ID {
			t.Fatalf("start for a deployment that is not PRIMARY: %+v", st)
		}
		if prim.RolloutState == RolloutFailed {
			t.Fatalf("start for a FAILED deployment")
		}
	}
	for _, c := range p.Deployments {
		if c.ID == prim.ID && c.Inactive {
			t.Fatalf("PRIMARY dropped: %+v", c)
		}
		if c.ID == prim.ID && prim.RolloutState == RolloutFailed && c.RolloutState != RolloutFailed {
			t.Fatalf("FAILED is not sticky: %+v", c)
		}
	}
}

func (s *sim) apply(p Plan) {
	for _, st := range p.Stop {
		for _, t := range s.tasks {
			if t.ID == st.TaskID {
				t.DesiredStopped, t.StopCode, t.StoppedReason = true, model.StopServiceSchedulerInitiated, st.Reason
				t.wait = 1 + s.rng.IntN(2)
			}
		}
	}
	for _, st := range p.Start {
		for range st.Count {
			if s.rng.Float64() < s.placeFail {
				continue // no capacity: the task is never created
			}
			s.seq++
			tk := &simTask{Task: Task{ID: fmt.Sprintf("t%05d", s.seq), DeploymentID: st.DeploymentID, CreatedAt: s.now,
				Status: model.TaskPending, HasHealthCheck: s.rng.IntN(2) == 0}, wait: 1 + s.rng.IntN(3)}
			tk.willFail = s.bad[st.DeploymentID] || s.rng.Float64() < s.failStart
			tk.sick = s.rng.Float64() < s.unhealthy
			s.tasks = append(s.tasks, tk)
		}
	}
	for _, c := range p.Deployments {
		i := slices.IndexFunc(s.deps, func(d Deployment) bool { return d.ID == c.ID })
		if i < 0 {
			s.t.Fatalf("change for an unknown deployment %s", c.ID)
		}
		if c.Inactive {
			s.deps = slices.Delete(s.deps, i, i+1)
			continue
		}
		d := &s.deps[i]
		d.RolloutState, d.RolloutStateReason, d.FailedTasks, d.Completed = c.RolloutState, c.RolloutStateReason, c.FailedTasks, c.Completed
	}
	if p.Rollback != nil {
		s.newDeployment(s.bad[p.Rollback.To])
	}
}

// advance moves time on by one pass interval and the tasks along.
func (s *sim) advance() {
	s.now = s.now.Add(time.Duration(5+s.rng.IntN(11)) * time.Second)
	kept := s.tasks[:0]
	for _, t := range s.tasks {
		if t.Status == model.TaskStopped && s.now.Sub(t.StoppedAt) > 20*time.Minute {
			continue // forgotten
		}
		kept = append(kept, t)
		if t.Status == model.TaskStopped {
			continue
		}
		if t.wait > 0 {
			t.wait--
		}
		switch {
		case t.DesiredStopped:
			if t.wait == 0 {
				t.Status, t.StoppedAt = model.TaskStopped, s.now
			} else if t.Status == model.TaskRunning {
				t.Status = model.TaskStopping
			}
		case t.Status < model.TaskRunning:
			if t.wait > 0 {
				continue
			}
			if t.willFail {
				t.Status, t.StoppedAt, t.StopCode, t.StoppedReason = model.TaskStopped, s.now, model.StopTaskFailedToStart, "CannotStartContainerError"
				continue
			}
			t.Status, t.RunningSince, t.wait = model.TaskRunning, s.now, 1+s.rng.IntN(3)
			if t.HasHealthCheck {
				t.HealthStatus = model.HealthUnknown
			}
		case t.Status == model.TaskRunning:
			if s.rng.Float64() < s.crash {
				t.Status, t.StoppedAt, t.StopCode = model.TaskStopped, s.now, model.StopEssentialContainerExited
				continue
			}
			if t.HasHealthCheck && t.wait == 0 && !t.healthSet {
				t.healthSet = true
				t.HealthStatus = model.HealthHealthy
				if t.sick {
					t.HealthStatus = model.HealthUnhealthy
				}
			}
		}
	}
	s.tasks = kept
}

// rolledOut reports the end of a rollout: one COMPLETED deployment, steady.
func (s *sim) rolledOut(p Plan) bool {
	return p.Steady && len(s.deps) == 1 && s.deps[0].RolloutState == RolloutCompleted
}

// TestRolloutInvariants drives random worlds — failures to start, crashes,
// unhealthy tasks, placement failures, desired-count changes, new
// deployments, circuit breaker with rollback — and checks at every pass
// that no stop the plan chose takes healthy below minH, no start takes
// live above maxT, and that Compute is deterministic and pure.
func TestRolloutInvariants(t *testing.T) {
	configs := [][2]int32{{100, 200}, {50, 100}, {0, 100}, {100, 100}, {75, 200}, {100, 125}, {50, 150}, {0, 200}}
	seeds, passes := 400, 120
	if testing.Short() {
		seeds = 50
	}
	total := 0
	for seed := range uint64(seeds) {
		cfg := configs[seed%uint64(len(configs))]
		svc := Service{Name: "web", MinimumHealthyPercent: cfg[0], MaximumPercent: cfg[1], Desired: int32(seed % 7),
			CircuitBreaker: seed%3 != 0, Rollback: seed%2 == 0, HealthCheckGrace: time.Duration(seed%4) * 15 * time.Second}
		s := newSim(t, seed, svc)
		s.failStart, s.unhealthy, s.crash, s.placeFail = 0.15, 0.1, 0.02, 0.2
		s.seedSteady(int(svc.Desired))
		s.newDeployment(s.rng.IntN(4) == 0)
		for range passes {
			switch r := s.rng.Float64(); {
			case r < 0.03:
				s.svc.Desired = int32(s.rng.IntN(9))
			case r < 0.05:
				s.newDeployment(s.rng.IntN(4) == 0)
			}
			s.pass()
			if t.Failed() {
				t.Fatalf("seed %d (%d/%d, desired %d)", seed, cfg[0], cfg[1], s.svc.Desired)
			}
		}
		total += s.plans
	}
	t.Logf("%d passes checked", total)
}

// TestRolloutCompletes checks liveness: when nothing fails, every rollout
// that min/max allow completes in bounded passes; a deadlocked one (100/100)
// never does and says why.
func TestRolloutCompletes(t *testing.T) {
	for _, cfg := range [][2]int32{{100, 200}, {50, 100}, {0, 100}, {50, 200}, {75, 200}, {50, 125}, {100, 100}} {
		for d := range int32(9) {
			for seed := range uint64(20) {
				svc := Service{Name: "web", Desired: d, MinimumHealthyPercent: cfg[0], MaximumPercent: cfg[1]}
				s := newSim(t, seed*31+uint64(d), svc)
				s.seedSteady(int(d))
				s.newDeployment(false)
				done := false
				for range 200 {
					if p := s.pass(); s.rolledOut(p) {
						done = true
						break
					}
				}
				// No room to start first (maxT ≤ D) nor to stop first (minH ≥ D):
				// 100/100, but also 50/100 or 75/125 for a single task.
				maxT, minH := d*cfg[1]/100, (d*cfg[0]+99)/100
				deadlock := d > 0 && maxT <= d && minH >= d
				switch {
				case deadlock && (done || !s.stuckSeen):
					t.Fatalf("%d/%d D=%d seed %d: done=%v stuck=%v, want stuck", cfg[0], cfg[1], d, seed, done, s.stuckSeen)
				case !deadlock && !done:
					t.Fatalf("%d/%d D=%d seed %d: rollout did not complete in 200 passes (deployments %+v)", cfg[0], cfg[1], d, seed, s.deps)
				case !deadlock && s.stuckSeen:
					t.Fatalf("%d/%d D=%d seed %d: stuck event in a rollout that completes", cfg[0], cfg[1], d, seed)
				}
			}
		}
	}
}

// TestRolloutRollsBack: a deployment whose tasks never start trips the
// breaker, the service rolls back, and the rollback deployment completes
// while the old tasks serve throughout (100/200).
func TestRolloutRollsBack(t *testing.T) {
	for seed := range uint64(50) {
		d := int32(1 + seed%8)
		svc := Service{Name: "web", Desired: d, MinimumHealthyPercent: 100, MaximumPercent: 200, CircuitBreaker: true, Rollback: true}
		s := newSim(t, seed, svc)
		s.seedSteady(int(d))
		bad := s.newDeployment(true)
		done, failed := false, false
		for range 300 {
			p := s.pass()
			if h := countHealthy(s.snapshot()); h < int(d) && s.now.Sub(t0) > time.Minute {
				// minH = D: the old tasks keep serving.
				t.Fatalf("seed %d: healthy %d < %d", seed, h, d)
			}
			for _, c := range p.Deployments {
				if c.ID == bad && c.RolloutState == RolloutFailed {
					failed = true
				}
			}
			if s.rolledOut(p) {
				done = true
				break
			}
		}
		if !failed || !done || s.deps[0].ID == bad {
			t.Fatalf("seed %d: failed=%v done=%v deployments=%+v", seed, failed, done, s.deps)
		}
	}
}
