package buildqueue

import (
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/model"
)

func TestPlan(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	inst := func(id, status string, connected bool) *model.ContainerInstance {
		return &model.ContainerInstance{ID: id, ClusterARN: "arn:aws:ecs:us-east-1:000000000000:cluster/c",
			Status: status, AgentConnected: connected, LastHeartbeat: now.Add(-10 * time.Second)}
	}
	build := func(id, instance string, queuedFor time.Duration) *model.Build {
		b := &model.Build{ID: "p:" + id, Project: "p", StartTime: now.Add(-queuedFor), QueuedTimeout: 5}
		if instance != "" {
			b.Cluster, b.InstanceID = "c", instance
		}
		return b
	}
	inProgress := &model.BuildState{Status: model.BuildInProgress}
	done := &model.BuildState{Status: model.BuildSucceeded, Complete: true}

	tests := []struct {
		name      string
		builds    []Candidate
		instances []*model.ContainerInstance
		want      map[string]string // build id → "place:ID" or "end:STATUS"
	}{
		{
			name:      "queued builds spread over instances by running count",
			builds:    []Candidate{{build("busy", "i1", 0), inProgress}, {build("a", "", 0), inProgress}, {build("b", "", 0), inProgress}},
			instances: []*model.ContainerInstance{inst("i1", model.InstanceActive, true), inst("i2", model.InstanceActive, true)},
			want:      map[string]string{"p:a": "place:i2", "p:b": "place:i1"},
		},
		{
			name:      "no eligible instance leaves the build queued",
			builds:    []Candidate{{build("a", "", time.Minute), inProgress}},
			instances: []*model.ContainerInstance{inst("i1", model.InstanceActive, false), inst("i2", model.InstanceDraining, true)},
			want:      map[string]string{},
		},
		{
			name:      "queued past queuedTimeoutInMinutes times out",
			builds:    []Candidate{{build("a", "", 5*time.Minute), inProgress}},
			instances: nil,
			want:      map[string]string{"p:a": "end:TIMED_OUT"},
		},
		{
			name:      "a build on a deregistered instance faults",
			builds:    []Candidate{{build("a", "gone", 0), inProgress}, {build("b", "i1", 0), inProgress}},
			instances: []*model.ContainerInstance{inst("i1", model.InstanceInactive, false)},
			want:      map[string]string{"p:a": "end:FAULT", "p:b": "end:FAULT"},
		},
		{
			name:      "complete and stop-requested builds are left alone",
			builds:    []Candidate{{build("a", "", 10*time.Minute), done}, {func() *model.Build { b := build("b", "", 0); b.StopRequested = true; return b }(), inProgress}},
			instances: []*model.ContainerInstance{inst("i1", model.InstanceActive, true)},
			want:      map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]string{}
			for _, a := range Plan(tt.builds, tt.instances, now) {
				if a.End != "" {
					got[a.Build.ID] = "end:" + a.End
				} else {
					got[a.Build.ID] = "place:" + a.InstanceID
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestEnd(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	st := model.BuildState{Version: 3, Status: model.BuildInProgress, Phases: []model.BuildPhase{
		{Type: "SUBMITTED", Status: "SUCCEEDED"}, {Type: "QUEUED"},
	}}
	got := End(st, model.BuildTimedOut, "waited too long", now)
	if !got.Complete || got.Status != model.BuildTimedOut || got.Version != 4 || got.CurrentPhase != "COMPLETED" {
		t.Fatalf("End = %+v", got)
	}
	if q := got.Phases[1]; q.Status != model.BuildTimedOut || len(q.Contexts) != 1 || !q.End.Equal(now) {
		t.Fatalf("QUEUED phase = %+v", q)
	}
	if st.Phases[1].Status != "" {
		t.Fatal("End modified its input")
	}
}
