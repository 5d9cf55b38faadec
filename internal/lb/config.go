package lb

import (
	"strconv"
	"strings"
	"time"

	"github.com/wharfhq/wharf/internal/lbapi"
	"github.com/wharfhq/wharf/internal/model"
)

// Target group attribute names (ELBv2) and ALB defaults.
const (
	attrDeregDelay       = "deregistration_delay.timeout_seconds"
	attrSlowStart        = "slow_start.duration_seconds"
	attrAlgorithm        = "load_balancing.algorithm.type"
	attrStickyEnabled    = "stickiness.enabled"
	attrStickyType       = "stickiness.type"
	attrStickyDuration   = "stickiness.lb_cookie.duration_seconds"
	attrIdleTimeout      = "idle_timeout.timeout_seconds"
	defaultDeregDelay    = 300 * time.Second
	defaultIdleTimeout   = 60 * time.Second
	defaultStickiness    = 24 * time.Hour
	defaultLBAddress     = "127.0.0.1"
	algoRoundRobin       = 0
	algoLeastOutstanding = 1
)

// groupConfig is the parsed, immutable configuration of a target group.
type groupConfig struct {
	hc          healthCheck
	algorithm   int
	slowStart   time.Duration
	sticky      time.Duration // lb_cookie stickiness duration; 0 = off
	deregDelay  time.Duration
	idleTimeout time.Duration // of the load balancer(s) in front: upstream response timeout
	inUse       bool          // referenced by a listener of a known load balancer
}

// healthCheck is a parsed HealthCheckConfig with ALB defaults filled in.
type healthCheck struct {
	enabled   bool
	path      string
	port      string // "traffic-port" or a number
	interval  time.Duration
	timeout   time.Duration
	healthy   int
	unhealthy int
	matcher   codeMatcher
}

func parseGroupConfig(tg lbapi.TargetGroup) groupConfig {
	a := tg.Attributes
	c := groupConfig{
		hc:         parseHealthCheck(tg.HealthCheck),
		deregDelay: secondsAttr(a, attrDeregDelay, defaultDeregDelay),
		slowStart:  secondsAttr(a, attrSlowStart, 0),
	}
	if a[attrAlgorithm] == "least_outstanding_requests" {
		c.algorithm = algoLeastOutstanding
	}
	if a[attrStickyEnabled] == "true" && (a[attrStickyType] == "" || a[attrStickyType] == "lb_cookie") {
		c.sticky = secondsAttr(a, attrStickyDuration, defaultStickiness)
	}
	return c
}

func parseHealthCheck(h model.HealthCheckConfig) healthCheck {
	out := healthCheck{
		// A zero config (a server that does not fill defaults) is enabled.
		enabled:   h.Enabled || (h.Path == "" && h.IntervalSeconds == 0 && h.Matcher == ""),
		path:      h.Path,
		port:      h.Port,
		interval:  time.Duration(h.IntervalSeconds) * time.Second,
		timeout:   time.Duration(h.TimeoutSeconds) * time.Second,
		healthy:   int(h.HealthyThreshold),
		unhealthy: int(h.UnhealthyThreshold),
		matcher:   parseMatcher(h.Matcher),
	}
	if out.path == "" {
		out.path = "/"
	}
	if out.port == "" {
		out.port = "traffic-port"
	}
	if out.interval <= 0 {
		out.interval = 30 * time.Second
	}
	if out.timeout <= 0 {
		out.timeout = 5 * time.Second
	}
	if out.healthy <= 0 {
		out.healthy = 5
	}
	if out.unhealthy <= 0 {
		out.unhealthy = 2
	}
	return out
}

func secondsAttr(a map[string]string, k string, def time.Duration) time.Duration {
	v, ok := a[k]
	if !ok || v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return def
	}
	return time.Duration(n) * time.Second
}

// codeMatcher holds HTTP code ranges from a matcher like "200", "200-299"
// or "200,302".
type codeMatcher [][2]int

func parseMatcher(s string) codeMatcher {
	var m codeMatcher
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			continue
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil {
				continue
			}
		}
		m = append(m, [2]int{a, b})
	}
	if len(m) == 0 {
		m = codeMatcher{{200, 200}}
	}
	return m
}

func (m codeMatcher) match(code int) bool {
	for _, r := range m {
		if code >= r[0] && code <= r[1] {
			return true
		}
	}
	return false
}
