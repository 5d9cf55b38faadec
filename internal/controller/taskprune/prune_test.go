package taskprune

import (
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/model"
)

func TestPlan(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	c := func(id string, status model.TaskStatus, stoppedAgo time.Duration) Candidate {
		st := &model.TaskState{LastStatus: status}
		if stoppedAgo > 0 {
			st.StoppedAt = now.Add(-stoppedAgo)
		}
		return Candidate{Task: &model.Task{ID: id}, State: st}
	}
	cs := []Candidate{
		c("running", model.TaskRunning, 0),
		c("stopping", model.TaskStopping, 0),
		c("stopped-old", model.TaskStopped, 2*time.Hour),
		c("stopped-recent", model.TaskStopped, time.Minute),
		{Task: &model.Task{ID: "never-reported"}},
	}
	got := Plan(cs, now, time.Hour)
	if len(got) != 1 || got[0].ID != "stopped-old" {
		t.Fatalf("Plan = %v, want only stopped-old", got)
	}
}
