package taskrun

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/model"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func code(n int32) *int32 { return &n }

// views for decision tests: helpers that build containers in given states.
func pending(name string, deps ...dependency) containerView {
	return containerView{Name: name, Essential: true, Deps: deps, Status: model.ContainerPending, Created: true, StartTimeout: time.Minute, HasHealthCheck: true, Health: model.HealthUnknown}
}

func running(name string, at time.Time, health string, deps ...dependency) containerView {
	c := pending(name, deps...)
	c.Status, c.StartedAt, c.Health = model.ContainerRunning, at, health
	return c
}

func exited(name string, exit int32, deps ...dependency) containerView {
	c := pending(name, deps...)
	c.Status, c.StartedAt, c.ExitCode = model.ContainerStopped, t0, code(exit)
	return c
}

func nonEssential(c containerView) containerView { c.Essential = false; return c }

func dep(name, cond string) dependency { return dependency{Container: name, Condition: cond} }

func TestActivation(t *testing.T) {
	now := t0.Add(30 * time.Second)
	tests := []struct {
		name     string
		cs       []containerView
		start    []string
		failWith string // substring of the failure reason; "" = no failure
		wake     time.Time
	}{
		{"no dependencies: everything starts", []containerView{pending("a"), pending("b")}, []string{"a", "b"}, "", time.Time{}},
		{"START waits for the dependency to start", []containerView{pending("db"), pending("app", dep("db", model.DependsStart))}, []string{"db"}, "", time.Time{}},
		{"START is met once the dependency runs", []containerView{running("db", t0, model.HealthUnknown), pending("app", dep("db", model.DependsStart))}, []string{"app"}, "", time.Time{}},
		{"START is met by a dependency that already exited", []containerView{exited("db", 1), pending("app", dep("db", model.DependsStart))}, []string{"app"}, "", time.Time{}},
		{"COMPLETE waits while the dependency runs, until its timeout", []containerView{running("init", t0, ""), pending("app", dep("init", model.DependsComplete))}, nil, "", t0.Add(time.Minute)},
		{"COMPLETE is met by any exit code", []containerView{exited("init", 3), pending("app", dep("init", model.DependsComplete))}, []string{"app"}, "", time.Time{}},
		{"SUCCESS is met by exit code 0", []containerView{exited("init", 0), pending("app", dep("init", model.DependsSuccess))}, []string{"app"}, "", time.Time{}},
		{"SUCCESS can never be met after a non-zero exit", []containerView{exited("init", 2), pending("app", dep("init", model.DependsSuccess))}, nil, "dependency init did not exit successfully (exit code 2)", time.Time{}},
		{"HEALTHY waits while the dependency is UNKNOWN", []containerView{running("db", t0, model.HealthUnknown), pending("app", dep("db", model.DependsHealthy))}, nil, "", t0.Add(time.Minute)},
		{"HEALTHY waits through UNHEALTHY too", []containerView{running("db", t0, model.HealthUnhealthy), pending("app", dep("db", model.DependsHealthy))}, nil, "", t0.Add(time.Minute)},
		{"HEALTHY is met once the dependency is healthy", []containerView{running("db", t0, model.HealthHealthy), pending("app", dep("db", model.DependsHealthy))}, []string{"app"}, "", time.Time{}},
		{"HEALTHY can never be met by a stopped dependency", []containerView{exited("db", 0), pending("app", dep("db", model.DependsHealthy))}, nil, "stopped before it became HEALTHY", time.Time{}},
		{"HEALTHY without a health check can never be met", []containerView{func() containerView {
			c := running("db", t0, model.HealthUnknown)
			c.HasHealthCheck = false
			return c
		}(), pending("app", dep("db", model.DependsHealthy))}, nil, "has no health check", time.Time{}},
		{"a wait times out at the dependency's start plus its startTimeout", []containerView{running("db", t0.Add(-31*time.Second), model.HealthUnknown), pending("app", dep("db", model.DependsHealthy))}, nil, "ContainerRuntimeTimeoutError: Could not transition to running; timed out after waiting 1m0s: container app waits for dependency db to be HEALTHY", time.Time{}},
		{"the earliest timeout wakes", []containerView{running("a", t0, ""), running("b", t0.Add(-10*time.Second), ""), pending("app", dep("a", model.DependsComplete), dep("b", model.DependsComplete))}, nil, "", t0.Add(50 * time.Second)},
		{"an unknown dependency fails", []containerView{pending("app", dep("ghost", model.DependsStart))}, nil, "depends on ghost, which is not in the task", time.Time{}},
		{"a dependency that never started fails its dependents", []containerView{func() containerView {
			c := nonEssential(pending("db"))
			c.Status = model.ContainerStopped
			return c
		}(), pending("app", dep("db", model.DependsStart))}, nil, "dependency db never started", time.Time{}},
		{"an essential container stopped before it started fails the task", []containerView{func() containerView {
			c := pending("app")
			c.Status = model.ContainerStopped
			return c
		}()}, nil, "essential container app stopped before it started", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start, fail, wake := activation(tt.cs, now)
			if !slices.Equal(start, tt.start) {
				t.Errorf("start = %v, want %v", start, tt.start)
			}
			switch {
			case tt.failWith == "" && fail != nil:
				t.Errorf("failure = %+v, want none", fail)
			case tt.failWith != "" && (fail == nil || !strings.Contains(fail.Reason, tt.failWith) || fail.Code != model.StopTaskFailedToStart):
				t.Errorf("failure = %+v, want TaskFailedToStart with %q", fail, tt.failWith)
			}
			if !wake.Equal(tt.wake) {
				t.Errorf("wake = %v, want %v", wake, tt.wake)
			}
		})
	}
}

func TestDependenciesImplyStartForLinksAndVolumesFrom(t *testing.T) {
	got := dependencies(model.ContainerDefinition{
		DependsOn:   []model.ContainerDependency{{ContainerName: "db", Condition: model.DependsHealthy}},
		Links:       []string{"db:database", "cache"},
		VolumesFrom: []model.VolumeFrom{{SourceContainer: "data"}},
	})
	want := []dependency{dep("db", model.DependsHealthy), dep("cache", model.DependsStart), dep("data", model.DependsStart)}
	if !slices.Equal(got, want) {
		t.Errorf("dependencies = %v, want %v", got, want)
	}
}

func TestStartOrder(t *testing.T) {
	tests := []struct {
		name string
		cs   []containerView
		want []string
		err  string
	}{
		{"definition order without dependencies", []containerView{pending("a"), pending("b")}, []string{"a", "b"}, ""},
		{"dependencies first", []containerView{pending("app", dep("db", model.DependsHealthy)), pending("db", dep("init", model.DependsSuccess)), pending("init")}, []string{"init", "db", "app"}, ""},
		{"cycle", []containerView{pending("a", dep("b", model.DependsStart)), pending("b", dep("a", model.DependsStart))}, nil, "dependency cycle between containers a, b"},
		{"unknown", []containerView{pending("a", dep("x", model.DependsStart))}, nil, "not in the task"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := startOrder(tt.cs)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("startOrder = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestStopWave(t *testing.T) {
	tests := []struct {
		name string
		cs   []containerView
		want []string
	}{
		{"independent containers stop together", []containerView{running("a", t0, ""), running("b", t0, "")}, []string{"a", "b"}},
		{"dependents stop before their dependencies", []containerView{running("db", t0, ""), running("app", t0, "", dep("db", model.DependsHealthy))}, []string{"app"}},
		{"a dependency goes once its dependents stopped", []containerView{running("db", t0, ""), exited("app", 0, dep("db", model.DependsHealthy))}, []string{"db"}},
		{"chains stop from the end", []containerView{running("a", t0, ""), running("b", t0, "", dep("a", model.DependsStart)), running("c", t0, "", dep("b", model.DependsStart))}, []string{"c"}},
		{"stopped containers are not stopped again", []containerView{exited("a", 0), running("b", t0, "")}, []string{"b"}},
		{"a cycle stops everything", []containerView{running("a", t0, "", dep("b", model.DependsStart)), running("b", t0, "", dep("a", model.DependsStart))}, []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := stopWave(tt.cs); !slices.Equal(got, tt.want) {
				t.Errorf("stopWave = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestExitFailure(t *testing.T) {
	tests := []struct {
		name       string
		cs         []containerView
		wantCode   string
		wantReason string
	}{
		{"all running", []containerView{running("a", t0, ""), nonEssential(running("b", t0, ""))}, "", ""},
		{"a non-essential exit changes nothing", []containerView{running("a", t0, ""), nonEssential(exited("b", 1))}, "", ""},
		{"an essential exit stops the task, whatever the code", []containerView{exited("a", 0), nonEssential(running("b", t0, ""))}, model.StopEssentialContainerExited, "Essential container in task exited"},
		{"all exited without an essential container", []containerView{nonEssential(exited("a", 0)), nonEssential(exited("b", 0))}, "", "All containers exited"},
		{"pending containers have not exited", []containerView{nonEssential(exited("a", 0)), nonEssential(pending("b"))}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := exitFailure(tt.cs)
			code, reason := "", ""
			if f != nil {
				code, reason = f.Code, f.Reason
			}
			if code != tt.wantCode || reason != tt.wantReason {
				t.Errorf("exitFailure = %q %q, want %q %q", code, reason, tt.wantCode, tt.wantReason)
			}
		})
	}
}
