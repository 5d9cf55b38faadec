package service

import (
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/model"
)

// TestLoadBalancerHealth: with target groups a task counts as healthy only
// once healthy in all of them, and an unhealthy target after the grace
// period replaces the task with ECS's ELB reason.
func TestLoadBalancerHealth(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	running := func(id string, targets ...TargetHealth) Task {
		return Task{ID: id, DeploymentID: "ecs-svc/1", Status: model.TaskRunning, RunningSince: now.Add(-time.Minute),
			HasHealthCheck: true, HealthStatus: model.HealthHealthy, Targets: targets, CreatedAt: now.Add(-2 * time.Minute)}
	}
	snap := func(grace time.Duration, tasks ...Task) Snapshot {
		return Snapshot{Now: now,
			Service:     Service{Name: "web", Desired: 2, MinimumHealthyPercent: 100, MaximumPercent: 200, HealthCheckGrace: grace},
			Deployments: []Deployment{{ID: "ecs-svc/1", RolloutState: RolloutInProgress, CreatedAt: now.Add(-time.Hour)}},
			Tasks:       tasks}
	}
	tgA, tgB := "arn:tg/a", "arn:tg/b"

	// Healthy in one group but initial in the other: not steady yet.
	p := Compute(snap(0,
		running("t1", TargetHealth{tgA, model.TargetHealthy, ""}, TargetHealth{tgB, model.TargetInitial, ""}),
		running("t2", TargetHealth{tgA, model.TargetHealthy, ""}, TargetHealth{tgB, model.TargetHealthy, ""})))
	if p.Steady {
		t.Fatalf("steady while a target is still initial")
	}
	// Healthy everywhere: steady.
	p = Compute(snap(0,
		running("t1", TargetHealth{tgA, model.TargetHealthy, ""}),
		running("t2", TargetHealth{tgA, model.TargetHealthy, ""})))
	if !p.Steady {
		t.Fatalf("not steady with all targets healthy: %+v", p)
	}
	// Unhealthy in a target group after the grace period: replaced.
	p = Compute(snap(0,
		running("t1", TargetHealth{tgA, model.TargetUnhealthy, "Target.ResponseCodeMismatch"}),
		running("t2", TargetHealth{tgA, model.TargetHealthy, ""})))
	if len(p.Stop) != 1 || p.Stop[0].TaskID != "t1" || p.Stop[0].Reason != "Task failed ELB health checks in (target-group arn:tg/a)" {
		t.Fatalf("stops = %+v", p.Stop)
	}
	// Within the grace period it is left alone.
	p = Compute(snap(time.Hour,
		running("t1", TargetHealth{tgA, model.TargetUnhealthy, "Target.Timeout"}),
		running("t2", TargetHealth{tgA, model.TargetHealthy, ""})))
	if len(p.Stop) != 0 {
		t.Fatalf("stopped a task within its grace period: %+v", p.Stop)
	}
}

// TestHealthBehindLoadBalancer: without container health checks, a task
// behind a load balancer counts as healthy as soon as its targets are, not
// after ECS's 40-second rule; without a load balancer the rule applies.
func TestHealthBehindLoadBalancer(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	task := func(targets ...TargetHealth) *Task {
		return &Task{Status: model.TaskRunning, RunningSince: now.Add(-5 * time.Second), CreatedAt: now.Add(-10 * time.Second), Targets: targets}
	}
	tests := []struct {
		name string
		t    *Task
		want health
	}{
		{"healthy target", task(TargetHealth{TargetGroupARN: "tg", State: model.TargetHealthy}), healthHealthy},
		{"initial target", task(TargetHealth{TargetGroupARN: "tg", State: model.TargetInitial}), healthWaiting},
		{"one of two targets healthy", task(TargetHealth{TargetGroupARN: "a", State: model.TargetHealthy}, TargetHealth{TargetGroupARN: "b", State: "initial"}), healthWaiting},
		{"no load balancer: the 40-second rule", task(), healthWaiting},
	}
	for _, tt := range tests {
		if got := healthOf(tt.t, now, 0); got != tt.want {
			t.Errorf("%s: health %v, want %v", tt.name, got, tt.want)
		}
	}
}
