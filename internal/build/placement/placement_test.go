package placement

import (
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/model"
)

var now = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// inst returns an ACTIVE, connected instance that called in just now.
func inst(cluster, id string, mod ...func(*model.ContainerInstance)) *model.ContainerInstance {
	ci := &model.ContainerInstance{
		ID: id, ClusterARN: "arn:aws:ecs:us-east-1:000000000000:cluster/" + cluster,
		Status: model.InstanceActive, AgentConnected: true, LastHeartbeat: now,
	}
	for _, m := range mod {
		m(ci)
	}
	return ci
}

func TestPlace(t *testing.T) {
	tests := []struct {
		name      string
		instances []*model.ContainerInstance
		running   map[string]int
		want      string // Key(cluster, id), "" for none
	}{
		{"no instances", nil, nil, ""},
		{"one idle instance", []*model.ContainerInstance{inst("default", "a")}, nil, "default/a"},
		{"fewest running builds wins",
			[]*model.ContainerInstance{inst("default", "a"), inst("default", "b"), inst("default", "c")},
			map[string]int{"default/a": 2, "default/b": 1, "default/c": 3}, "default/b"},
		{"tie goes to the lowest id", []*model.ContainerInstance{inst("default", "b"), inst("default", "a")},
			map[string]int{"default/a": 1, "default/b": 1}, "default/a"},
		{"tie goes to the lowest cluster first", []*model.ContainerInstance{inst("prod", "a"), inst("build", "z")},
			nil, "build/z"},
		{"running counts are per cluster", []*model.ContainerInstance{inst("build", "a"), inst("prod", "a")},
			map[string]int{"build/a": 1}, "prod/a"},
		{"draining instance is skipped", []*model.ContainerInstance{
			inst("default", "a", func(ci *model.ContainerInstance) { ci.Status = model.InstanceDraining }),
			inst("default", "b")}, map[string]int{"default/b": 5}, "default/b"},
		{"inactive instance is skipped", []*model.ContainerInstance{
			inst("default", "a", func(ci *model.ContainerInstance) { ci.Status = model.InstanceInactive })}, nil, ""},
		{"disconnected agent is skipped", []*model.ContainerInstance{
			inst("default", "a", func(ci *model.ContainerInstance) { ci.AgentConnected = false }), inst("default", "b")},
			map[string]int{"default/b": 1}, "default/b"},
		{"stale heartbeat is skipped", []*model.ContainerInstance{
			inst("default", "a", func(ci *model.ContainerInstance) { ci.LastHeartbeat = now.Add(-HeartbeatTimeout - time.Second) }),
			inst("default", "b")}, map[string]int{"default/b": 1}, "default/b"},
		{"heartbeat exactly at the timeout is fresh", []*model.ContainerInstance{
			inst("default", "a", func(ci *model.ContainerInstance) { ci.LastHeartbeat = now.Add(-HeartbeatTimeout) })}, nil, "default/a"},
		{"no heartbeat but connected is eligible", []*model.ContainerInstance{
			inst("default", "a", func(ci *model.ContainerInstance) { ci.LastHeartbeat = time.Time{} })}, nil, "default/a"},
		{"no heartbeat and not connected is not", []*model.ContainerInstance{
			inst("default", "a", func(ci *model.ContainerInstance) { ci.LastHeartbeat, ci.AgentConnected = time.Time{}, false })}, nil, ""},
		{"bare cluster name instead of an ARN", []*model.ContainerInstance{
			inst("x", "a", func(ci *model.ContainerInstance) { ci.ClusterARN = "local" })}, nil, "local/a"},
		{"unparseable cluster ARN is skipped", []*model.ContainerInstance{
			inst("x", "a", func(ci *model.ContainerInstance) { ci.ClusterARN = "arn:aws:ecs:us-east-1:0:service/x" }), nil}, nil, ""},
		{"all busy: the least busy still wins", []*model.ContainerInstance{inst("default", "a"), inst("default", "b")},
			map[string]int{"default/a": 9, "default/b": 8}, "default/b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, id, ok := Place(tt.instances, tt.running, now)
			got := ""
			if ok {
				got = Key(c, id)
			}
			if got != tt.want {
				t.Fatalf("Place = %q (ok %v), want %q", got, ok, tt.want)
			}
		})
	}
}

// TestPlaceOrderIndependent checks that the input order does not change the
// choice: every rotation of the same instances picks the same one.
func TestPlaceOrderIndependent(t *testing.T) {
	all := []*model.ContainerInstance{inst("b", "2"), inst("a", "3"), inst("a", "1"), inst("b", "1"), inst("c", "0")}
	running := map[string]int{"a/3": 1, "c/0": 1}
	for r := range all {
		rotated := append(append([]*model.ContainerInstance{}, all[r:]...), all[:r]...)
		c, id, ok := Place(rotated, running, now)
		if !ok || Key(c, id) != "a/1" {
			t.Fatalf("rotation %d: %s/%s %v, want a/1", r, c, id, ok)
		}
	}
}

func TestEligibleReasons(t *testing.T) {
	tests := []struct {
		ci   *model.ContainerInstance
		want string
	}{
		{inst("d", "a"), ""},
		{nil, "no instance"},
		{inst("d", "a", func(ci *model.ContainerInstance) { ci.Status = model.InstanceDraining }), "instance is DRAINING, not ACTIVE"},
		{inst("d", "a", func(ci *model.ContainerInstance) { ci.AgentConnected = false }), "agent is not connected"},
		{inst("d", "a", func(ci *model.ContainerInstance) { ci.LastHeartbeat = now.Add(-3 * time.Minute) }), "last heartbeat 3m0s ago"},
		{inst("d", "", nil...), "instance has no cluster or id"},
	}
	for _, tt := range tests {
		ok, reason := Eligible(tt.ci, now)
		if ok != (tt.want == "") || reason != tt.want {
			t.Errorf("Eligible = %v %q, want %q", ok, reason, tt.want)
		}
	}
}
