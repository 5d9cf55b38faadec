package lb

import (
	"context"
	"math/rand/v2"
	"net"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharfhq/wharf/internal/lbapi"
	"github.com/wharfhq/wharf/internal/model"
)

// target is one registered (or draining) target of a target group. Its
// identity is "<id>:<port>"; it keeps its health, in-flight count and
// upstream connection pool across configuration changes.
type target struct {
	key    string
	addr   string // host:port the proxy connects to
	cookie string // AWSALB value naming it

	transport *http.Transport // requests with bodies, upgrades, other methods
	up        *upstream       // bodiless idempotent requests

	inflight     atomic.Int64
	deregistered atomic.Bool
	// healthySince mirrors health.HealthySince (unix ns) for lock-free
	// slow start weights.
	healthySince atomic.Int64

	// guarded by the group's mu
	registeredAt   time.Time
	deregisteredAt time.Time
	health         healthState
	stopChecks     context.CancelFunc
	drainTimer     *time.Timer
}

// acquire counts a request in flight on t. It fails if t was deregistered
// in the meantime: the check after the increment guarantees that a Drained
// report (which reads the count after setting deregistered) never misses a
// request that still goes to the target.
func (t *target) acquire() bool {
	t.inflight.Add(1)
	if t.deregistered.Load() {
		t.inflight.Add(-1)
		return false
	}
	return true
}

func newTransport(responseTimeout time.Duration) *http.Transport {
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          0, // no global cap: one pool per target
		MaxIdleConnsPerHost:   1024,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: responseTimeout,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
		ForceAttemptHTTP2:     false,
	}
}

// groupView is the routing snapshot of a target group, rebuilt whenever a
// target's health or registration changes and read lock-free per request.
type groupView struct {
	targets  []*target // routable targets, in key order
	failOpen bool      // no healthy target: all registered ones are routed to
	// slowStartEnd is non-zero while some target of targets ramps up.
	slowStartEnd time.Time
}

// targetGroup is the runtime state of a target group.
type targetGroup struct {
	arn string
	b   *Balancer

	cfg  atomic.Pointer[groupConfig]
	view atomic.Pointer[groupView]
	seq  atomic.Uint64

	metrics groupMetrics

	mu      sync.Mutex
	targets map[string]*target
	order   []*target
	removed bool
}

func newTargetGroup(b *Balancer, arn string) *targetGroup {
	tg := &targetGroup{arn: arn, b: b, targets: map[string]*target{}}
	tg.view.Store(&groupView{})
	return tg
}

// update applies a new configuration and target list.
func (tg *targetGroup) update(cfg groupConfig, targets []model.Target, now time.Time) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	old := tg.cfg.Load()
	tg.cfg.Store(&cfg)
	seen := make(map[string]bool, len(targets))
	for _, mt := range targets {
		key := lbapi.TargetKey(mt.ID, mt.Port)
		seen[key] = true
		addr := mt.Address
		if addr == "" {
			addr = net.JoinHostPort(mt.ID, itoa32(mt.Port))
		}
		t := tg.targets[key]
		if t != nil && (t.addr != addr || (old != nil && old.idleTimeout != cfg.idleTimeout)) {
			// New address or response timeout: a fresh target with a fresh
			// pool; in-flight requests finish on the old one.
			nt := &target{key: key, addr: addr, cookie: t.cookie, transport: newTransport(cfg.idleTimeout), up: newUpstream(addr, cfg.idleTimeout),
				registeredAt: t.registeredAt, deregisteredAt: t.deregisteredAt, health: t.health}
			nt.deregistered.Store(t.deregistered.Load())
			tg.retire(t)
			t = nt
			tg.targets[key] = t
		}
		if t == nil {
			t = &target{key: key, addr: addr, cookie: cookieHash(tg.arn + "|" + key),
				transport: newTransport(cfg.idleTimeout), up: newUpstream(addr, cfg.idleTimeout), health: initialHealth(now)}
			tg.targets[key] = t
		}
		wasDereg := t.deregistered.Load()
		t.registeredAt = mt.RegisteredAt
		t.deregisteredAt = mt.DeregisteredAt
		nowDereg := !mt.DeregisteredAt.IsZero()
		t.deregistered.Store(nowDereg)
		switch {
		case nowDereg && !wasDereg:
			d := mt.DeregisteredAt.Add(cfg.deregDelay).Sub(now)
			if d < 0 {
				d = 0
			}
			t.drainTimer = time.AfterFunc(d, tg.b.notify)
		case !nowDereg && wasDereg:
			t.health = initialHealth(now) // registered again
			if t.drainTimer != nil {
				t.drainTimer.Stop()
			}
		}
		switch {
		case !cfg.inUse:
			if t.health.State != model.TargetUnused {
				t.health = healthState{State: model.TargetUnused, Reason: ReasonNotInUse,
					Description: "Target group is not configured to receive traffic from the load balancer", Since: now}
			}
		case !cfg.hc.enabled:
			if t.health.State != StateUnavailable {
				t.health = healthState{State: StateUnavailable, Reason: ReasonHealthCheckDisabled,
					Description: "Health checks are disabled", Since: now}
			}
		case t.health.State == model.TargetUnused || t.health.State == StateUnavailable:
			t.health = initialHealth(now)
		}
		if t.stopChecks == nil {
			ctx, cancel := context.WithCancel(context.Background())
			t.stopChecks = cancel
			go tg.checkLoop(ctx, t)
		}
	}
	for key, t := range tg.targets {
		if !seen[key] {
			tg.retire(t)
			delete(tg.targets, key)
		}
	}
	tg.order = tg.order[:0]
	for _, t := range tg.targets {
		tg.order = append(tg.order, t)
	}
	sort.Slice(tg.order, func(i, j int) bool { return tg.order[i].key < tg.order[j].key })
	tg.rebuildLocked(now)
}

// retire stops a target that left the group. Requests in flight finish;
// its idle upstream connections close.
func (tg *targetGroup) retire(t *target) {
	t.deregistered.Store(true)
	if t.stopChecks != nil {
		t.stopChecks()
	}
	if t.drainTimer != nil {
		t.drainTimer.Stop()
	}
	t.transport.CloseIdleConnections()
	t.up.closeIdle(true)
}

// close retires every target (the group left the configuration).
func (tg *targetGroup) close() {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	tg.removed = true
	for _, t := range tg.targets {
		tg.retire(t)
	}
}

// rebuildLocked recomputes the routing view. ALB routes to healthy targets
// only; with none healthy it fails open to every registered target.
func (tg *targetGroup) rebuildLocked(now time.Time) {
	cfg := tg.cfg.Load()
	var healthy, registered []*target
	for _, t := range tg.order {
		if hs := t.health.HealthySince; hs.IsZero() {
			t.healthySince.Store(0)
		} else {
			t.healthySince.Store(hs.UnixNano())
		}
		if t.deregistered.Load() {
			continue
		}
		registered = append(registered, t)
		if t.health.routable() {
			healthy = append(healthy, t)
		}
	}
	v := &groupView{targets: healthy}
	if len(healthy) == 0 {
		v.targets, v.failOpen = registered, len(registered) > 0
	}
	if cfg != nil && cfg.slowStart > 0 && !v.failOpen {
		v.slowStartEnd = slowStartEnd(healthy, cfg.slowStart, now)
	}
	tg.view.Store(v)
}

// slowStartEnd returns when the last ramping target of a healthy set ends
// its slow start, or zero if none ramps. As with ALB, targets are only put
// in slow start if at least one healthy target is not.
func slowStartEnd(healthy []*target, d time.Duration, now time.Time) time.Time {
	var end time.Time
	settled := 0
	for _, t := range healthy {
		hs := t.health.HealthySince
		if hs.IsZero() || now.Sub(hs) >= d {
			settled++
			continue
		}
		if e := hs.Add(d); e.After(end) {
			end = e
		}
	}
	if settled == 0 {
		return time.Time{}
	}
	return end
}

// pick chooses a target for a request; exclude (a target that just failed)
// is skipped. cookie is the request's AWSALB stickiness cookie.
func (tg *targetGroup) pick(exclude *target, cookie string) *target {
	v := tg.view.Load()
	cfg := tg.cfg.Load()
	if len(v.targets) == 0 || cfg == nil {
		return nil
	}
	if cfg.sticky > 0 && cookie != "" {
		if t := stickyTarget(v.targets, cookie, exclude); t != nil {
			return t
		}
	}
	var ss slowStart
	if !v.slowStartEnd.IsZero() {
		if now := tg.b.now(); now.Before(v.slowStartEnd) {
			ss = slowStart{d: cfg.slowStart, now: now}
		}
	}
	return pickTarget(v.targets, cfg.algorithm, tg.seq.Add(1), exclude, ss)
}

type slowStart struct {
	d   time.Duration
	now time.Time // zero: no target ramps
}

func (s slowStart) weight(t *target) float64 {
	ns := t.healthySince.Load()
	if ns == 0 {
		return 1
	}
	return slowStartWeight(time.Unix(0, ns), s.now, s.d)
}

// stickyTarget is the routable target an AWSALB cookie names, if any.
func stickyTarget(ts []*target, cookie string, exclude *target) *target {
	for _, t := range ts {
		if t.cookie == cookie && t != exclude {
			return t
		}
	}
	return nil
}

// pickTarget is the load balancing algorithm: round robin or least
// outstanding requests (ties broken in rotation), both weighted by slow
// start while a target ramps up.
func pickTarget(ts []*target, algo int, seq uint64, exclude *target, ss slowStart) *target {
	n := uint64(len(ts))
	if n == 0 {
		return nil
	}
	if algo == algoLeastOutstanding {
		var best *target
		var bestScore float64
		for i := uint64(0); i < n; i++ {
			t := ts[(seq+i)%n]
			if t == exclude {
				continue
			}
			score := float64(t.inflight.Load())
			if !ss.now.IsZero() {
				score = (score + 1) / ss.weight(t)
			}
			if best == nil || score < bestScore {
				best, bestScore = t, score
			}
		}
		return best
	}
	if !ss.now.IsZero() {
		var sum float64
		for _, t := range ts {
			if t != exclude {
				sum += ss.weight(t)
			}
		}
		x := rand.Float64() * sum
		var last *target
		for _, t := range ts {
			if t == exclude {
				continue
			}
			last = t
			if x -= ss.weight(t); x < 0 {
				return t
			}
		}
		return last
	}
	for i := uint64(0); i < n; i++ {
		if t := ts[(seq+i)%n]; t != exclude {
			return t
		}
	}
	return nil
}

// checkLoop health-checks one target until it leaves the group.
func (tg *targetGroup) checkLoop(ctx context.Context, t *target) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		cfg := tg.cfg.Load()
		interval, timeout := cfg.hc.interval, cfg.hc.timeout
		if o := tg.b.opts.HealthCheckInterval; o > 0 {
			interval = o
		}
		if o := tg.b.opts.HealthCheckTimeout; o > 0 {
			timeout = o
		}
		if cfg.inUse && cfg.hc.enabled && !t.deregistered.Load() {
			res := probe(ctx, tg.b.hcClient, cfg.hc, t.addr, timeout)
			if ctx.Err() != nil {
				return
			}
			tg.record(t, res)
		}
		timer.Reset(interval)
	}
}

// record feeds one check result into the target's state machine.
func (tg *targetGroup) record(t *target, res probeResult) {
	now := tg.b.now()
	tg.mu.Lock()
	if tg.removed || tg.targets[t.key] != t || t.deregistered.Load() {
		tg.mu.Unlock()
		return
	}
	cfg := tg.cfg.Load()
	if !cfg.inUse || !cfg.hc.enabled {
		tg.mu.Unlock()
		return
	}
	old := t.health
	t.health = nextHealth(old, res, cfg.hc.healthy, cfg.hc.unhealthy, now)
	cur := t.health
	changed := old.State != cur.State || old.Reason != cur.Reason
	if changed {
		tg.rebuildLocked(now)
	}
	tg.mu.Unlock()
	if changed {
		tg.b.log.Info("target health changed", "targetGroup", tg.arn, "target", t.key,
			"from", old.State, "to", cur.State, "reason", cur.Reason)
		tg.b.notify()
	}
}

// health reports every target of the group.
func (tg *targetGroup) health(now time.Time) map[string]model.TargetHealth {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	cfg := tg.cfg.Load()
	out := make(map[string]model.TargetHealth, len(tg.targets))
	for key, t := range tg.targets {
		if t.deregistered.Load() {
			out[key] = model.TargetHealth{State: model.TargetDraining, Reason: ReasonDeregistrationInProgress,
				Description: "Target deregistration is in progress", UpdatedAt: t.deregisteredAt,
				Drained: drained(t.deregisteredAt, t.inflight.Load(), cfg.deregDelay, now)}
			continue
		}
		out[key] = model.TargetHealth{State: t.health.State, Reason: t.health.Reason,
			Description: t.health.Description, UpdatedAt: t.health.Since}
	}
	return out
}

func itoa32(n int32) string { return lbapi.TargetKey("", n)[1:] }
