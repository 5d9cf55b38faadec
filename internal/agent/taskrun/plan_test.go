package taskrun

import (
	"slices"
	"testing"

	"github.com/wharfhq/wharf/internal/model"
)

func TestNext(t *testing.T) {
	fail := &failure{Code: model.StopTaskFailedToStart, Reason: "CannotPullContainerError: x"}
	notCreated := pending("a")
	notCreated.Created = false
	base := func(status model.TaskStatus, cs ...containerView) snapshot {
		return snapshot{Status: status, Desired: model.DesiredRunning, Pulled: true, Containers: cs, Now: t0}
	}
	with := func(s snapshot, f func(*snapshot)) snapshot { f(&s); return s }
	tests := []struct {
		name string
		s    snapshot
		want action
	}{
		// Starting.
		{"bridge: PROVISIONING moves on to PENDING", base(model.TaskProvisioning, notCreated), action{Kind: actAdvance, To: model.TaskPending}},
		{"awsvpc: PROVISIONING makes the pause container", with(base(model.TaskProvisioning), func(s *snapshot) { s.NeedsPause = true }), action{Kind: actProvision}},
		{"awsvpc: with the pause container, on to PENDING", with(base(model.TaskProvisioning), func(s *snapshot) { s.NeedsPause, s.PauseID = true, "p" }), action{Kind: actAdvance, To: model.TaskPending}},
		{"PENDING pulls first", with(base(model.TaskPending, notCreated), func(s *snapshot) { s.Pulled = false }), action{Kind: actPull}},
		{"PENDING then creates", base(model.TaskPending, notCreated), action{Kind: actCreate}},
		{"created: on to ACTIVATING", base(model.TaskPending, pending("a")), action{Kind: actAdvance, To: model.TaskActivating}},
		{"ACTIVATING starts what is ready", base(model.TaskActivating, pending("a"), pending("b", dep("a", model.DependsHealthy))), action{Kind: actStart, Containers: []string{"a"}}},
		{"ACTIVATING waits for a dependency", base(model.TaskActivating, running("a", t0, model.HealthUnknown), pending("b", dep("a", model.DependsHealthy))), action{Kind: actWait, Wake: t0.Add(60e9)}},
		{"ACTIVATING fails an unmet dependency", base(model.TaskActivating, exited("a", 1), pending("b", dep("a", model.DependsSuccess))), action{Kind: actFail}},
		{"everything started: RUNNING", base(model.TaskActivating, nonEssential(exited("init", 0)), running("a", t0, "")), action{Kind: actAdvance, To: model.TaskRunning}},
		{"RUNNING waits", base(model.TaskRunning, running("a", t0, "")), action{Kind: actWait}},
		{"RUNNING: an essential exit fails the task", base(model.TaskRunning, exited("a", 0)), action{Kind: actFail}},
		{"RUNNING: a non-essential exit does not", base(model.TaskRunning, running("a", t0, ""), nonEssential(exited("b", 1))), action{Kind: actWait}},
		// Stopping.
		{"desired STOPPED: RUNNING → DEACTIVATING", with(base(model.TaskRunning, running("a", t0, "")), func(s *snapshot) { s.Desired = model.DesiredStopped }), action{Kind: actAdvance, To: model.TaskDeactivating}},
		{"DEACTIVATING → STOPPING", with(base(model.TaskDeactivating, running("a", t0, "")), func(s *snapshot) { s.Desired = model.DesiredStopped }), action{Kind: actAdvance, To: model.TaskStopping}},
		{"STOPPING stops in reverse dependency order", with(base(model.TaskStopping, running("db", t0, ""), running("app", t0, "", dep("db", model.DependsStart))), func(s *snapshot) { s.Desired = model.DesiredStopped }), action{Kind: actStop, Containers: []string{"app"}}},
		{"nothing runs: STOPPING → DEPROVISIONING", with(base(model.TaskStopping, exited("a", 0)), func(s *snapshot) { s.Desired = model.DesiredStopped }), action{Kind: actAdvance, To: model.TaskDeprovisioning}},
		{"DEPROVISIONING removes the pause container", with(base(model.TaskDeprovisioning, exited("a", 0)), func(s *snapshot) { s.Desired, s.PauseID = model.DesiredStopped, "p" }), action{Kind: actDeprovision}},
		{"DEPROVISIONING → STOPPED", with(base(model.TaskDeprovisioning, exited("a", 0)), func(s *snapshot) { s.Desired = model.DesiredStopped }), action{Kind: actAdvance, To: model.TaskStopped}},
		{"a failure before anything runs jumps to STOPPED", with(base(model.TaskPending, notCreated), func(s *snapshot) { s.Failure = fail }), action{Kind: actAdvance, To: model.TaskStopped}},
		{"a failure with a pause container deprovisions it first", with(base(model.TaskPending, notCreated), func(s *snapshot) { s.Failure, s.PauseID = fail, "p" }), action{Kind: actAdvance, To: model.TaskDeprovisioning}},
		{"a failure while some containers run stops them", with(base(model.TaskActivating, running("a", t0, ""), pending("b")), func(s *snapshot) { s.Failure = fail }), action{Kind: actAdvance, To: model.TaskStopping}},
		{"desired STOPPED before the start: straight to STOPPED", with(base(model.TaskProvisioning, notCreated), func(s *snapshot) { s.Desired = model.DesiredStopped }), action{Kind: actAdvance, To: model.TaskStopped}},
		{"STOPPED is done", base(model.TaskStopped), action{Kind: actDone}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := next(tt.s)
			if got.Kind != tt.want.Kind || got.To != tt.want.To || !slices.Equal(got.Containers, tt.want.Containers) || !got.Wake.Equal(tt.want.Wake) {
				t.Errorf("next = %+v, want %+v", got, tt.want)
			}
		})
	}
}
