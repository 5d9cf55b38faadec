package main

import (
	"encoding/json"
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	var s []time.Duration
	for i := 1; i <= 100; i++ {
		s = append(s, time.Duration(i))
	}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{50, 50}, {90, 90}, {99, 99}, {100, 100}, {0.5, 1}} {
		if got := percentile(s, tc.p); got != tc.want {
			t.Errorf("percentile(1..100, %v) = %v, want %v", tc.p, got, tc.want)
		}
	}
	if got := percentile(s[:1], 99); got != 1 {
		t.Errorf("percentile of one sample = %v, want 1", got)
	}
}

func TestSummariseMergesWorkers(t *testing.T) {
	l := summarise([][]time.Duration{{3, 1}, {2}, nil, {4}})
	if l.n != 4 || l.p50 != 2 || l.max != 4 {
		t.Fatalf("summarise = %+v", l)
	}
}

func TestTaskDefBodyIsRealistic(t *testing.T) {
	b, err := taskDefBody(7, 42)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(b); n < 1300 || n > 1800 {
		t.Errorf("body is %d bytes, want about 1.5–1.8 KB", n)
	}
	var v struct {
		Family               string
		ContainerDefinitions []json.RawMessage
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if v.Family != "bench-svc-007" || len(v.ContainerDefinitions) != 2 {
		t.Errorf("family %q with %d containers", v.Family, len(v.ContainerDefinitions))
	}
}
