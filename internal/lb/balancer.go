package lb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/wharfhq/wharf/internal/lbapi"
	"github.com/wharfhq/wharf/internal/model"
)

// Options configure a Balancer.
type Options struct {
	Logger *slog.Logger
	// Now is the clock of health and draining decisions (default time.Now).
	Now func() time.Time
	// AccessLog receives one line per request; nil disables it.
	AccessLog io.Writer
	// HealthCheckInterval and HealthCheckTimeout, when set, override every
	// target group's (tests and benchmarks).
	HealthCheckInterval time.Duration
	HealthCheckTimeout  time.Duration
	// DrainTimeout bounds how long a removed listener, and Close, wait for
	// in-flight requests (default 60 s).
	DrainTimeout time.Duration
	// NetHTTPServer serves listeners with net/http's server alone, without
	// the connection loop of h1.go (benchmarks compare the two).
	NetHTTPServer bool
}

// Balancer is the data plane: the listeners, target groups and health
// checkers of one configuration.
type Balancer struct {
	opts      Options
	log       *slog.Logger
	accessLog *accessLog
	hcClient  *http.Client
	changed   chan struct{}

	mu        sync.Mutex
	listeners map[string]*listener
	groups    map[string]*targetGroup
	revision  int64
	closed    bool
	draining  sync.WaitGroup
}

// New returns a Balancer with no listeners; Apply gives it a configuration.
func New(opts Options) *Balancer {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.DrainTimeout <= 0 {
		opts.DrainTimeout = 60 * time.Second
	}
	b := &Balancer{
		opts:      opts,
		log:       opts.Logger.With("component", "lb"),
		changed:   make(chan struct{}, 1),
		listeners: map[string]*listener{},
		groups:    map[string]*targetGroup{},
		hcClient: &http.Client{
			Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true, DisableCompression: true,
				DialContext: (&net.Dialer{Timeout: 10 * time.Second}).DialContext},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	if opts.AccessLog != nil {
		b.accessLog = &accessLog{w: opts.AccessLog}
	}
	return b
}

func (b *Balancer) now() time.Time {
	if b.opts.Now != nil {
		return b.opts.Now()
	}
	return time.Now()
}

// notify signals Changes without blocking.
func (b *Balancer) notify() {
	select {
	case b.changed <- struct{}{}:
	default:
	}
}

// Changes signals (coalesced) whenever a target's reported health may have
// changed: a health transition, a target drained, a new configuration.
func (b *Balancer) Changes() <-chan struct{} { return b.changed }

// Revision is the revision of the configuration last applied.
func (b *Balancer) Revision() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.revision
}

// ListenerAddrs returns the bound address of every listener, by the
// address it was configured with ("ip:port").
func (b *Balancer) ListenerAddrs() map[string]net.Addr {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]net.Addr, len(b.listeners))
	for k, l := range b.listeners {
		out[k] = l.Addr()
	}
	return out
}

// Apply makes cfg the running configuration without dropping a
// connection. Target groups are updated first (new targets start health
// checks, deregistered ones drain), then every listener's routing table is
// swapped in one atomic store, new listeners are bound, and listeners no
// longer configured stop accepting and finish their in-flight requests in
// the background. Problems confined to one listener or rule (a port in use,
// an unknown target group) are returned joined, while the rest of cfg is
// applied; a listener that failed to bind is tried again by the next Apply.
func (b *Balancer) Apply(cfg lbapi.Config) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return errors.New("lb: balancer is closed")
	}
	now := b.now()
	var errs []error

	lbs := make(map[string]model.LoadBalancer, len(cfg.LoadBalancers))
	for _, l := range cfg.LoadBalancers {
		lbs[l.ARN] = l
	}
	rulesOf := map[string][]model.Rule{}
	for _, r := range cfg.Rules {
		rulesOf[r.ListenerARN] = append(rulesOf[r.ListenerARN], r)
	}
	// Which groups receive traffic, and the longest idle timeout in front.
	inUse := map[string]time.Duration{}
	for _, ln := range cfg.Listeners {
		lbc, ok := lbs[ln.LoadBalancerARN]
		if !ok {
			continue
		}
		idle := secondsAttr(lbc.Attributes, attrIdleTimeout, defaultIdleTimeout)
		mark := func(as []model.Action) {
			for _, a := range as {
				for _, wg := range a.TargetGroups {
					if idle > inUse[wg.ARN] {
						inUse[wg.ARN] = idle
					}
				}
			}
		}
		mark(ln.DefaultActions)
		for _, r := range rulesOf[ln.ARN] {
			mark(r.Actions)
		}
	}

	groups := make(map[string]*targetGroup, len(cfg.TargetGroups))
	for _, tgc := range cfg.TargetGroups {
		tg := b.groups[tgc.ARN]
		if tg == nil {
			tg = newTargetGroup(b, tgc.ARN)
		}
		gc := parseGroupConfig(tgc)
		gc.idleTimeout, gc.inUse = inUse[tgc.ARN]
		if gc.idleTimeout == 0 {
			gc.idleTimeout = defaultIdleTimeout
		}
		tg.update(gc, tgc.Targets, now)
		groups[tgc.ARN] = tg
	}

	type compiled struct {
		lc   *listenerConfig
		idle time.Duration
	}
	next := map[string]compiled{}
	for _, ln := range cfg.Listeners {
		lbc, ok := lbs[ln.LoadBalancerARN]
		if !ok {
			errs = append(errs, fmt.Errorf("listener %s: unknown load balancer %s", ln.ARN, ln.LoadBalancerARN))
			continue
		}
		ip := lbc.IPAddress
		if ip == "" {
			ip = defaultLBAddress
		}
		addr := net.JoinHostPort(ip, itoa32(ln.Port))
		if _, dup := next[addr]; dup {
			errs = append(errs, fmt.Errorf("listener %s: address %s is taken by another listener", ln.ARN, addr))
			continue
		}
		lc := &listenerConfig{arn: ln.ARN, port: itoa32(ln.Port), portHeader: portHeader(ln.Port)}
		def, err := compileActions(ln.DefaultActions, groups)
		if err != nil {
			errs = append(errs, fmt.Errorf("listener %s default action: %w", ln.ARN, err))
			def = &action{kind: actFixed, status: http.StatusServiceUnavailable, contentType: "text/plain; charset=utf-8", body: "listener misconfigured\n"}
		}
		lc.def = def
		for _, mr := range rulesOf[ln.ARN] {
			r, err := compileRule(mr, groups)
			if err != nil {
				errs = append(errs, fmt.Errorf("rule %s: %w", mr.ARN, err))
				continue
			}
			lc.rules = append(lc.rules, r)
		}
		sortRules(lc.rules)
		lc.idle = secondsAttr(lbc.Attributes, attrIdleTimeout, defaultIdleTimeout)
		next[addr] = compiled{lc: lc, idle: lc.idle}
	}

	for addr, c := range next {
		if l := b.listeners[addr]; l != nil {
			l.cfg.Store(c.lc)
			continue
		}
		l, err := b.newListener(addr, c.idle, c.lc)
		if err != nil {
			errs = append(errs, fmt.Errorf("listener %s: %w", c.lc.arn, err))
			continue
		}
		b.listeners[addr] = l
	}
	for addr, l := range b.listeners {
		if _, keep := next[addr]; keep {
			continue
		}
		delete(b.listeners, addr)
		b.draining.Add(1)
		go func() {
			defer b.draining.Done()
			ctx, cancel := context.WithTimeout(context.Background(), b.opts.DrainTimeout)
			defer cancel()
			l.shutdown(ctx)
		}()
	}
	for arn, tg := range b.groups {
		if _, keep := groups[arn]; !keep {
			tg.close()
		}
	}
	b.groups = groups
	b.revision = cfg.Revision
	b.notify()
	return errors.Join(errs...)
}

func compileRule(mr model.Rule, groups map[string]*targetGroup) (rule, error) {
	r := rule{arn: mr.ARN, priority: mr.Priority}
	for _, c := range mr.Conditions {
		cc, err := compileCondition(c)
		if err != nil {
			return r, err
		}
		r.conditions = append(r.conditions, cc)
	}
	a, err := compileActions(mr.Actions, groups)
	if err != nil {
		return r, err
	}
	r.action = a
	return r, nil
}

// Health reports every target of every target group.
func (b *Balancer) Health() lbapi.HealthReport {
	b.mu.Lock()
	groups := make([]*targetGroup, 0, len(b.groups))
	for _, tg := range b.groups {
		groups = append(groups, tg)
	}
	b.mu.Unlock()
	now := b.now()
	rep := lbapi.HealthReport{Targets: make(map[string]map[string]model.TargetHealth, len(groups))}
	for _, tg := range groups {
		rep.Targets[tg.arn] = tg.health(now)
	}
	return rep
}

// Close stops every listener gracefully: no new connections, in-flight
// requests finish (up to DrainTimeout), then health checks stop.
func (b *Balancer) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	ls := b.listeners
	b.listeners = map[string]*listener{}
	gs := b.groups
	b.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), b.opts.DrainTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, l := range ls {
		wg.Add(1)
		go func() { defer wg.Done(); l.shutdown(ctx) }()
	}
	wg.Wait()
	b.draining.Wait()
	for _, tg := range gs {
		tg.close()
	}
	return nil
}
