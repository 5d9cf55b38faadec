package lb

import (
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/model"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestNextHealth(t *testing.T) {
	ok := probeResult{OK: true}
	codeFail := probeResult{Reason: ReasonResponseCodeMismatch, Description: "Health checks failed with these codes: [500]"}
	timeout := probeResult{Reason: ReasonTimeout, Description: "Request timed out"}
	connFail := probeResult{Reason: ReasonFailedHealthChecks, Description: "Health checks failed"}
	type step struct {
		r          probeResult
		wantState  string
		wantReason string
	}
	cases := []struct {
		name               string
		healthy, unhealthy int
		steps              []step
	}{
		{"initial becomes healthy after threshold", 3, 2, []step{
			{ok, model.TargetInitial, ReasonInitialHealthChecking},
			{ok, model.TargetInitial, ReasonInitialHealthChecking},
			{ok, model.TargetHealthy, ""},
		}},
		{"initial becomes unhealthy after threshold", 3, 2, []step{
			{codeFail, model.TargetInitial, ReasonInitialHealthChecking},
			{codeFail, model.TargetUnhealthy, ReasonResponseCodeMismatch},
		}},
		{"failures reset the success streak", 2, 3, []step{
			{ok, model.TargetInitial, ReasonInitialHealthChecking},
			{timeout, model.TargetInitial, ReasonInitialHealthChecking},
			{ok, model.TargetInitial, ReasonInitialHealthChecking},
			{ok, model.TargetHealthy, ""},
		}},
		{"healthy tolerates fewer failures than threshold", 1, 3, []step{
			{ok, model.TargetHealthy, ""},
			{connFail, model.TargetHealthy, ""},
			{connFail, model.TargetHealthy, ""},
			{ok, model.TargetHealthy, ""},
			{connFail, model.TargetHealthy, ""},
			{connFail, model.TargetHealthy, ""},
			{timeout, model.TargetUnhealthy, ReasonTimeout},
		}},
		{"unhealthy reason follows the latest failure, recovers after threshold", 2, 1, []step{
			{codeFail, model.TargetUnhealthy, ReasonResponseCodeMismatch},
			{timeout, model.TargetUnhealthy, ReasonTimeout},
			{connFail, model.TargetUnhealthy, ReasonFailedHealthChecks},
			{ok, model.TargetUnhealthy, ReasonFailedHealthChecks},
			{ok, model.TargetHealthy, ""},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := initialHealth(t0)
			if s.State != model.TargetInitial || s.Reason != ReasonRegistrationInProgress {
				t.Fatalf("initial state %+v", s)
			}
			now := t0
			for i, st := range c.steps {
				now = now.Add(10 * time.Second)
				prev := s
				s = nextHealth(s, st.r, c.healthy, c.unhealthy, now)
				if s.State != st.wantState || s.Reason != st.wantReason {
					t.Fatalf("step %d: got %s/%s, want %s/%s", i, s.State, s.Reason, st.wantState, st.wantReason)
				}
				changed := prev.State != s.State || prev.Reason != s.Reason
				if changed != s.Since.Equal(now) {
					t.Errorf("step %d: Since %v, changed %v", i, s.Since, changed)
				}
				if s.State == model.TargetHealthy && prev.State != model.TargetHealthy && !s.HealthySince.Equal(now) {
					t.Errorf("step %d: HealthySince %v, want %v", i, s.HealthySince, now)
				}
			}
		})
	}
}

func TestDrained(t *testing.T) {
	cases := []struct {
		name     string
		inflight int64
		delay    time.Duration
		elapsed  time.Duration
		want     bool
	}{
		{"idle target drains at once", 0, 300 * time.Second, 0, true},
		{"busy target within delay", 2, 300 * time.Second, 10 * time.Second, false},
		{"busy target at delay", 2, 300 * time.Second, 300 * time.Second, true},
		{"busy target past delay", 1, 30 * time.Second, time.Hour, true},
		{"zero delay", 5, 0, 0, true},
		{"in-flight finished", 0, 300 * time.Second, time.Second, true},
	}
	for _, c := range cases {
		if got := drained(t0, c.inflight, c.delay, t0.Add(c.elapsed)); got != c.want {
			t.Errorf("%s: drained = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestSlowStartWeight(t *testing.T) {
	d := 100 * time.Second
	cases := []struct {
		since   time.Time
		elapsed time.Duration
		d       time.Duration
		want    float64
	}{
		{t0, 0, d, minSlowStartWeight},
		{t0, time.Second, d, minSlowStartWeight},
		{t0, 25 * time.Second, d, 0.25},
		{t0, 50 * time.Second, d, 0.5},
		{t0, 100 * time.Second, d, 1},
		{t0, time.Hour, d, 1},
		{t0, 0, 0, 1},
		{time.Time{}, 0, d, 1},
	}
	for _, c := range cases {
		if got := slowStartWeight(c.since, t0.Add(c.elapsed), c.d); got != c.want {
			t.Errorf("weight after %v of %v = %v, want %v", c.elapsed, c.d, got, c.want)
		}
	}
}

func TestSlowStartEnd(t *testing.T) {
	d := time.Minute
	old := &target{health: healthState{State: model.TargetHealthy, HealthySince: t0.Add(-time.Hour)}}
	fresh := &target{health: healthState{State: model.TargetHealthy, HealthySince: t0.Add(-10 * time.Second)}}
	fresher := &target{health: healthState{State: model.TargetHealthy, HealthySince: t0}}
	if end := slowStartEnd([]*target{old, fresh, fresher}, d, t0); !end.Equal(t0.Add(d)) {
		t.Errorf("end = %v, want %v", end, t0.Add(d))
	}
	if end := slowStartEnd([]*target{fresh, fresher}, d, t0); !end.IsZero() {
		t.Errorf("no settled target: end = %v, want none (no slow start)", end)
	}
	if end := slowStartEnd([]*target{old}, d, t0); !end.IsZero() {
		t.Errorf("nothing ramps: end = %v", end)
	}
}

func TestShouldRetry(t *testing.T) {
	dialErr := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	readErr := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	cases := []struct {
		name        string
		method      string
		bodyStarted bool
		err         error
		attempt     int
		want        bool
	}{
		{"GET dial refused", "GET", false, dialErr, 0, true},
		{"wrapped dial error", "HEAD", false, fmt.Errorf("x: %w", dialErr), 0, true},
		{"PUT without body read", "PUT", false, dialErr, 0, true},
		{"only once", "GET", false, dialErr, 1, false},
		{"POST not idempotent", "POST", false, dialErr, 0, false},
		{"PATCH not idempotent", "PATCH", false, dialErr, 0, false},
		{"body already read", "PUT", true, dialErr, 0, false},
		{"reset after sending", "GET", false, readErr, 0, false},
		{"no response on the connection loop", "GET", false, &noResponseError{readErr}, 0, true},
		{"no response, POST", "POST", false, &noResponseError{readErr}, 0, false},
		{"EOF after sending", "GET", false, io.ErrUnexpectedEOF, 0, false},
		{"other error", "GET", false, errors.New("boom"), 0, false},
		{"no error", "GET", false, nil, 0, false},
	}
	for _, c := range cases {
		if got := shouldRetry(c.method, c.bodyStarted, c.err, c.attempt); got != c.want {
			t.Errorf("%s: shouldRetry = %v, want %v", c.name, got, c.want)
		}
	}
}

func mkTargets(n int) []*target {
	ts := make([]*target, n)
	for i := range ts {
		ts[i] = &target{key: fmt.Sprintf("t%d", i), cookie: fmt.Sprintf("c%d", i),
			health: healthState{State: model.TargetHealthy, HealthySince: t0.Add(-time.Hour)}}
		ts[i].healthySince.Store(t0.Add(-time.Hour).UnixNano())
	}
	return ts
}

func TestPickTargetRoundRobin(t *testing.T) {
	ts := mkTargets(3)
	var got []string
	for seq := uint64(0); seq < 6; seq++ {
		got = append(got, pickTarget(ts, algoRoundRobin, seq, nil, slowStart{}).key)
	}
	if fmt.Sprint(got) != "[t0 t1 t2 t0 t1 t2]" {
		t.Errorf("round robin order %v", got)
	}
	for seq := uint64(0); seq < 6; seq++ {
		if p := pickTarget(ts, algoRoundRobin, seq, ts[1], slowStart{}); p == ts[1] {
			t.Errorf("excluded target picked at seq %d", seq)
		}
	}
	if p := pickTarget(ts[:1], algoRoundRobin, 0, ts[0], slowStart{}); p != nil {
		t.Errorf("only target excluded: picked %v", p.key)
	}
	if p := pickTarget(nil, algoRoundRobin, 0, nil, slowStart{}); p != nil {
		t.Error("empty set picked a target")
	}
}

func TestPickTargetLeastOutstanding(t *testing.T) {
	ts := mkTargets(3)
	ts[0].inflight.Store(5)
	ts[1].inflight.Store(1)
	ts[2].inflight.Store(3)
	for seq := uint64(0); seq < 5; seq++ {
		if p := pickTarget(ts, algoLeastOutstanding, seq, nil, slowStart{}); p != ts[1] {
			t.Errorf("seq %d picked %s, want t1", seq, p.key)
		}
	}
	if p := pickTarget(ts, algoLeastOutstanding, 0, ts[1], slowStart{}); p != ts[2] {
		t.Errorf("with t1 excluded picked %s, want t2", p.key)
	}
	// Ties rotate.
	ts[0].inflight.Store(0)
	ts[1].inflight.Store(0)
	ts[2].inflight.Store(0)
	seen := map[string]bool{}
	for seq := uint64(0); seq < 3; seq++ {
		seen[pickTarget(ts, algoLeastOutstanding, seq, nil, slowStart{}).key] = true
	}
	if len(seen) != 3 {
		t.Errorf("ties not rotated: %v", seen)
	}
}

func TestPickTargetSlowStart(t *testing.T) {
	ts := mkTargets(2)
	ts[1].healthySince.Store(t0.Add(-10 * time.Second).UnixNano()) // 10% into a 100 s ramp
	ss := slowStart{d: 100 * time.Second, now: t0}
	counts := map[string]int{}
	for i := 0; i < 20000; i++ {
		counts[pickTarget(ts, algoRoundRobin, uint64(i), nil, ss).key]++
	}
	share := float64(counts["t1"]) / 20000
	if want := 0.1 / 1.1; share < want-0.02 || share > want+0.02 {
		t.Errorf("ramping target share %.3f, want ≈ %.3f", share, want)
	}
	// Least outstanding: a ramping target with equal load loses the tie.
	if p := pickTarget(ts, algoLeastOutstanding, 1, nil, ss); p != ts[0] {
		t.Errorf("LOR with slow start picked %s", p.key)
	}
}

func TestStickyTarget(t *testing.T) {
	ts := mkTargets(3)
	if p := stickyTarget(ts, "c2", nil); p != ts[2] {
		t.Errorf("cookie c2 → %v", p)
	}
	if p := stickyTarget(ts, "c2", ts[2]); p != nil {
		t.Errorf("excluded sticky target returned %v", p.key)
	}
	if p := stickyTarget(ts, "gone", nil); p != nil {
		t.Errorf("unknown cookie → %v", p.key)
	}
}

func TestCodeMatcher(t *testing.T) {
	cases := []struct {
		m    string
		code int
		want bool
	}{
		{"200", 200, true}, {"200", 201, false}, {"200-299", 204, true}, {"200-299", 301, false},
		{"200,302", 302, true}, {"200,302", 301, false}, {"", 200, true}, {" 200 - 204 , 404", 404, true},
	}
	for _, c := range cases {
		if got := parseMatcher(c.m).match(c.code); got != c.want {
			t.Errorf("matcher %q code %d = %v", c.m, c.code, got)
		}
	}
}
