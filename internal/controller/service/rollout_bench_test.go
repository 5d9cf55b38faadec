package service

import (
	"fmt"
	"testing"
	"time"
)

// rolloutSnapshot is a service of n desired tasks in the middle of a
// 100/200 rollout with the circuit breaker on: n old healthy tasks, n new
// ones in every state, and n/2 stopped tasks of history (2.5·n tasks).
func rolloutSnapshot(n int) Snapshot {
	s := Snapshot{Now: t0, Service: Service{Name: "web", Desired: int32(n), MinimumHealthyPercent: 100, MaximumPercent: 200,
		CircuitBreaker: true, Rollback: true}, Deployments: []Deployment{completed(depA), inProgress(depB)}}
	for i := range n {
		s.Tasks = append(s.Tasks, launchedAt(healthy(fmt.Sprintf("a%05d", i), depA), t0.Add(-time.Hour+time.Duration(i)*time.Millisecond)))
		id := fmt.Sprintf("b%05d", i)
		var t Task
		switch i % 4 {
		case 0:
			t = pending(id, depB)
		case 1:
			t = waiting(id, depB, 20*time.Second)
		case 2:
			t = checked(healthy(id, depB), "HEALTHY")
		default:
			t = healthy(id, depB)
		}
		s.Tasks = append(s.Tasks, launchedAt(t, t0.Add(-time.Minute+time.Duration(i)*time.Millisecond)))
	}
	for i := range n / 2 {
		s.Tasks = append(s.Tasks, stopped(stopping(fmt.Sprintf("z%05d", i), depA)))
	}
	return s
}

func BenchmarkCompute(b *testing.B) {
	for _, total := range []int{10, 1000} {
		s := rolloutSnapshot(total * 2 / 5)
		b.Run(fmt.Sprintf("tasks=%d", len(s.Tasks)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Compute(s)
			}
		})
	}
}
