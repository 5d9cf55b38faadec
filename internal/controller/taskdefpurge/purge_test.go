package taskdefpurge

import (
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/model"
)

func TestPlan(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	td := func(arn, status string, requested time.Duration) *model.TaskDefinition {
		return &model.TaskDefinition{ARN: arn, Status: status, DeleteRequestedAt: now.Add(-requested)}
	}
	tds := []*model.TaskDefinition{
		td("active", model.TaskDefActive, time.Hour),
		td("inactive", model.TaskDefInactive, time.Hour),
		td("deleted-old", model.TaskDefDeleteInProgress, time.Hour),
		td("deleted-new", model.TaskDefDeleteInProgress, time.Second),
		td("deleted-used", model.TaskDefDeleteInProgress, time.Hour),
	}
	inUse := func(arn string) bool { return arn == "deleted-used" }
	got := Plan(tds, now, time.Minute, inUse)
	if len(got) != 1 || got[0].ARN != "deleted-old" {
		t.Fatalf("Plan = %v, want only deleted-old", got)
	}
	if got := Plan(tds, now, 0, nil); len(got) != 3 {
		t.Fatalf("Plan without grace or users = %d revisions, want 3", len(got))
	}
}
