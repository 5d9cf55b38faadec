package docker

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/wharfhq/wharf/internal/runtime"
)

// Stats takes one sample of a container's CPU and memory usage.
func (r *Runtime) Stats(ctx context.Context, id string) (runtime.Stats, error) {
	res, err := r.client.ContainerStats(ctx, id, client.ContainerStatsOptions{Stream: false})
	if err != nil {
		return runtime.Stats{}, containerErr("stats of", id, ctxErr(ctx, err))
	}
	defer res.Body.Close()
	var s container.StatsResponse
	if err := json.NewDecoder(res.Body).Decode(&s); err != nil {
		return runtime.Stats{}, fmt.Errorf("stats of container %s: decode: %w", id, ctxErr(ctx, err))
	}
	return runtimeStats(s), nil
}

// runtimeStats maps Docker's stats sample. Memory usage excludes the page
// cache like `docker stats` does (inactive_file on cgroup v2, total_inactive_file
// or cache on v1).
func runtimeStats(s container.StatsResponse) runtime.Stats {
	mem := s.MemoryStats.Usage
	for _, key := range []string{"inactive_file", "total_inactive_file"} {
		if v, ok := s.MemoryStats.Stats[key]; ok {
			if v < mem {
				mem -= v
			}
			break
		}
	}
	online := s.CPUStats.OnlineCPUs
	if online == 0 {
		online = uint32(len(s.CPUStats.CPUUsage.PercpuUsage))
	}
	return runtime.Stats{
		Time:             s.Read,
		CPUTotalNanos:    s.CPUStats.CPUUsage.TotalUsage,
		SystemCPUNanos:   s.CPUStats.SystemUsage,
		OnlineCPUs:       online,
		MemoryUsageBytes: mem,
		MemoryLimitBytes: s.MemoryStats.Limit,
	}
}
