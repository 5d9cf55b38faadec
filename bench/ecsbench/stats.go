package main

import (
	"slices"
	"time"
)

// latencies summarises the latency samples of one phase.
type latencies struct {
	n                  int
	p50, p90, p99, max time.Duration
}

// summarise merges the per-worker samples, sorts them and reads the
// percentiles off (nearest rank). It is exact, which is affordable at these
// sample counts.
func summarise(perWorker [][]time.Duration) latencies {
	n := 0
	for _, s := range perWorker {
		n += len(s)
	}
	all := make([]time.Duration, 0, n)
	for _, s := range perWorker {
		all = append(all, s...)
	}
	if len(all) == 0 {
		return latencies{}
	}
	slices.Sort(all)
	return latencies{
		n:   len(all),
		p50: percentile(all, 50),
		p90: percentile(all, 90),
		p99: percentile(all, 99),
		max: all[len(all)-1],
	}
}

// percentile returns the nearest-rank p-th percentile of sorted samples.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted))+0.999999999) - 1
	return sorted[max(0, min(rank, len(sorted)-1))]
}
