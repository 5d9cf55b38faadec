package docker

import (
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/network"

	"github.com/wharfhq/wharf/internal/runtime"
)

func TestRuntimeEvent(t *testing.T) {
	at := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	attrs := map[string]string{"name": "web", "image": "app:1", "exitCode": "137", runtime.LabelManaged: "true"}
	code := 137
	tests := []struct {
		action events.Action
		want   runtime.Event
		ok     bool
	}{
		{events.ActionStart, runtime.Event{Type: runtime.EventStart}, true},
		{events.ActionDie, runtime.Event{Type: runtime.EventDie, ExitCode: &code}, true},
		{events.ActionOOM, runtime.Event{Type: runtime.EventOOM}, true},
		{events.ActionDestroy, runtime.Event{Type: runtime.EventDestroy}, true},
		{events.ActionHealthStatusUnhealthy, runtime.Event{Type: runtime.EventHealthStatus, Health: "unhealthy"}, true},
		{events.ActionKill, runtime.Event{}, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.action), func(t *testing.T) {
			got, ok := runtimeEvent(events.Message{
				Type: events.ContainerEventType, Action: tt.action, TimeNano: at.UnixNano(),
				Actor: events.Actor{ID: "abc", Attributes: attrs},
			})
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			want := tt.want
			want.ContainerID, want.Name, want.Time = "abc", "web", time.Unix(0, at.UnixNano())
			want.Labels = map[string]string{runtime.LabelManaged: "true"}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestContainerState(t *testing.T) {
	port := network.MustParsePort("8080/tcp")
	in := container.InspectResponse{
		ID:     "abc",
		Name:   "/web",
		Config: &container.Config{Image: "app:1", Labels: map[string]string{"k": "v"}},
		State: &container.State{
			Status: container.StateExited, ExitCode: 3, OOMKilled: true,
			StartedAt: "2025-01-01T00:00:00.5Z", FinishedAt: "2025-01-01T00:01:00Z",
			Health: &container.Health{Status: container.Unhealthy},
		},
		NetworkSettings: &container.NetworkSettings{
			Ports: network.PortMap{port: {{HostIP: netip.MustParseAddr("0.0.0.0"), HostPort: "32768"}}},
			Networks: map[string]*network.EndpointSettings{
				"bridge": {IPAddress: netip.MustParseAddr("172.17.0.2")},
				"other":  {},
			},
		},
	}
	code := 3
	want := runtime.ContainerState{
		ID: "abc", Name: "web", Image: "app:1", Labels: map[string]string{"k": "v"},
		Status: "exited", ExitCode: &code, OOMKilled: true,
		StartedAt:  time.Date(2025, 1, 1, 0, 0, 0, 5e8, time.UTC),
		FinishedAt: time.Date(2025, 1, 1, 0, 1, 0, 0, time.UTC),
		Health:     "unhealthy",
		Ports:      []runtime.PortMapping{{ContainerPort: 8080, HostPort: 32768, Protocol: "tcp", HostIP: "0.0.0.0"}},
		Networks:   map[string]string{"bridge": "172.17.0.2", "other": ""},
	}
	if got := containerState(in); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}

	created := containerState(container.InspectResponse{State: &container.State{
		Status: container.StateCreated, StartedAt: "0001-01-01T00:00:00Z",
		Health: &container.Health{Status: container.NoHealthcheck},
	}})
	if created.ExitCode != nil || !created.StartedAt.IsZero() || created.Health != "" {
		t.Errorf("created container: %+v, want no exit code, start time or health", created)
	}
}

func TestRuntimeStatsExcludesPageCache(t *testing.T) {
	s := container.StatsResponse{
		CPUStats:    container.CPUStats{CPUUsage: container.CPUUsage{TotalUsage: 100, PercpuUsage: []uint64{60, 40}}, SystemUsage: 1000},
		MemoryStats: container.MemoryStats{Usage: 50 << 20, Limit: 64 << 20, Stats: map[string]uint64{"total_inactive_file": 10 << 20}},
	}
	got := runtimeStats(s)
	want := runtime.Stats{CPUTotalNanos: 100, SystemCPUNanos: 1000, OnlineCPUs: 2, MemoryUsageBytes: 40 << 20, MemoryLimitBytes: 64 << 20}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
