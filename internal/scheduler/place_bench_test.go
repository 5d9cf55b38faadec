package scheduler

import (
	"fmt"
	"runtime"
	"testing"
)

// benchCluster is 1,000 instances over 3 AZs and two instance types, each
// with room for well over 100 small tasks.
func benchCluster() []Instance {
	azs := []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	out := make([]Instance, 1000)
	for i := range out {
		in := newInst(fmt.Sprintf("ci-%04d", i), azs[i%3], 4096, 16384)
		if i%4 == 0 {
			in.Attributes["ecs.instance-type"] = "m5.large"
		}
		in.UsedPorts = map[PortKey]bool{{"tcp", 22}: true, {"tcp", 51678}: true}
		out[i] = in
	}
	return out
}

// BenchmarkPlace places 100,000 tasks of 20 services (batches of 10, the
// RunTask maximum) into one snapshot that accumulates them, with the ECS
// service default spread(AZ) + spread(instanceId), a binpack tie-breaker and
// a memberOf constraint.
func BenchmarkPlace(b *testing.B) {
	const total, batch = 100_000, 10
	reqs := make([]TaskRequest, 20)
	for k := range reqs {
		reqs[k] = TaskRequest{
			Group: fmt.Sprintf("service:svc-%d", k), Family: fmt.Sprintf("svc-%d", k),
			CPU: 32, Memory: 128,
			Strategy: []Strategy{
				{Type: "spread", Field: "attribute:ecs.availability-zone"},
				{Type: "spread", Field: "instanceId"},
				{Type: "binpack", Field: "memory"},
			},
			Constraints: []Constraint{{Type: "memberOf", Expression: "attribute:ecs.os-type == linux and attribute:ecs.instance-type =~ t3.*|m5.*"}},
		}
	}
	cluster := benchCluster()
	rng := seeded(1)
	var placed int
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	b.ResetTimer()
	for b.Loop() {
		snap := NewSnapshot(cluster)
		for k := 0; k < total/batch; k++ {
			req := reqs[k%len(reqs)]
			plan, err := snap.Place(req, batch, rng)
			if err != nil {
				b.Fatal(err)
			}
			if len(plan.Placements) != batch {
				b.Fatalf("batch %d: %s", k, fmtPlan(plan))
			}
			if err := snap.Apply(req, plan); err != nil {
				b.Fatal(err)
			}
			placed += len(plan.Placements)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(float64(placed)/b.Elapsed().Seconds(), "placements/s")
	b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/float64(placed), "B/task")
}
