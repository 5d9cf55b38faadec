package lb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/wharfhq/wharf/internal/model"
)

// Target health, as ALB reports it. A registered target moves
//
//	            register
//	               │
//	               ▼
//	   initial (Elb.RegistrationInProgress)
//	               │ first check
//	               ▼
//	   initial (Elb.InitialHealthChecking)
//	      │ healthy-threshold OK      │ unhealthy-threshold failed
//	      ▼                           ▼
//	   healthy ◄──── healthy-threshold OK ──── unhealthy (Target.ResponseCodeMismatch |
//	      └────── unhealthy-threshold failed ───►          Target.Timeout | Target.FailedHealthChecks)
//
// and, once deregistered, draining (Target.DeregistrationInProgress) until
// drained. Checks disabled: unavailable (Target.HealthCheckDisabled), routed
// to. Group behind no listener: unused (Target.NotInUse), not checked.

// Reason codes.
const (
	ReasonRegistrationInProgress   = "Elb.RegistrationInProgress"
	ReasonInitialHealthChecking    = "Elb.InitialHealthChecking"
	ReasonResponseCodeMismatch     = "Target.ResponseCodeMismatch"
	ReasonTimeout                  = "Target.Timeout"
	ReasonFailedHealthChecks       = "Target.FailedHealthChecks"
	ReasonDeregistrationInProgress = "Target.DeregistrationInProgress"
	ReasonHealthCheckDisabled      = "Target.HealthCheckDisabled"
	ReasonNotInUse                 = "Target.NotInUse"
	StateUnavailable               = "unavailable"
)

// healthState is the health-check state of one registered target.
type healthState struct {
	State       string
	Reason      string
	Description string
	Successes   int       // consecutive
	Failures    int       // consecutive
	Since       time.Time // last change of State or Reason
	// HealthySince is when the target last became healthy (slow start).
	HealthySince time.Time
}

// probeResult is the outcome of one health check.
type probeResult struct {
	OK          bool
	Reason      string // failure reason code
	Description string
}

func initialHealth(now time.Time) healthState {
	return healthState{State: model.TargetInitial, Reason: ReasonRegistrationInProgress,
		Description: "Target registration is in progress", Since: now}
}

// nextHealth is the health-check state machine: the state after one more
// check result. Thresholds count consecutive results.
func nextHealth(s healthState, r probeResult, healthyThreshold, unhealthyThreshold int, now time.Time) healthState {
	if r.OK {
		s.Successes++
		s.Failures = 0
	} else {
		s.Failures++
		s.Successes = 0
	}
	set := func(state, reason, desc string) {
		if s.State != state || s.Reason != reason {
			s.Since = now
		}
		s.State, s.Reason, s.Description = state, reason, desc
	}
	switch s.State {
	case model.TargetHealthy:
		if !r.OK && s.Failures >= unhealthyThreshold {
			set(model.TargetUnhealthy, r.Reason, r.Description)
		}
	case model.TargetUnhealthy:
		switch {
		case r.OK && s.Successes >= healthyThreshold:
			set(model.TargetHealthy, "", "")
			s.HealthySince = now
		case !r.OK:
			set(model.TargetUnhealthy, r.Reason, r.Description)
		}
	default: // initial (or a state reset by the caller)
		switch {
		case r.OK && s.Successes >= healthyThreshold:
			set(model.TargetHealthy, "", "")
			s.HealthySince = now
		case !r.OK && s.Failures >= unhealthyThreshold:
			set(model.TargetUnhealthy, r.Reason, r.Description)
		default:
			set(model.TargetInitial, ReasonInitialHealthChecking, "Initial health checks in progress")
		}
	}
	return s
}

// routable reports whether a registered target in this state gets traffic
// while at least one target of its group does.
func (s healthState) routable() bool {
	return s.State == model.TargetHealthy || s.State == StateUnavailable
}

// probe runs one HTTP health check against a target.
func probe(ctx context.Context, client *http.Client, hc healthCheck, addr string, timeout time.Duration) probeResult {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return probeResult{Reason: ReasonFailedHealthChecks, Description: "Health checks failed: bad target address " + addr}
	}
	if hc.port != "traffic-port" && hc.port != "" {
		port = hc.port
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+hc.path, nil)
	if err != nil {
		return probeResult{Reason: ReasonFailedHealthChecks, Description: "Health checks failed: " + err.Error()}
	}
	req.Header.Set("User-Agent", "ELB-HealthChecker/2.0")
	resp, err := client.Do(req)
	if err != nil {
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
			return probeResult{Reason: ReasonTimeout, Description: "Request timed out"}
		}
		return probeResult{Reason: ReasonFailedHealthChecks, Description: "Health checks failed"}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if !hc.matcher.match(resp.StatusCode) {
		return probeResult{Reason: ReasonResponseCodeMismatch,
			Description: fmt.Sprintf("Health checks failed with these codes: [%d]", resp.StatusCode)}
	}
	return probeResult{OK: true}
}

// drained reports whether a deregistered target may be stopped: it has no
// request in flight, or the deregistration delay has passed since it was
// deregistered — whichever comes first.
func drained(deregisteredAt time.Time, inflight int64, delay time.Duration, now time.Time) bool {
	return inflight <= 0 || !now.Before(deregisteredAt.Add(delay))
}

// slowStartWeight is a newly healthy target's share of a full target's
// traffic: it ramps linearly from minSlowStartWeight to 1 over d.
func slowStartWeight(healthySince, now time.Time, d time.Duration) float64 {
	if d <= 0 || healthySince.IsZero() {
		return 1
	}
	el := now.Sub(healthySince)
	if el >= d {
		return 1
	}
	w := float64(el) / float64(d)
	if w < minSlowStartWeight {
		w = minSlowStartWeight
	}
	return w
}

const minSlowStartWeight = 0.05
