package lb

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/lbapi"
	"github.com/wharfhq/wharf/internal/model"
)

const (
	testLB  = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/test/1"
	testTG  = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/1"
	testTG2 = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/api/2"
)

// dialPort connects to a listener on 127.0.0.1; the test closes it.
func dialPort(t testing.TB, port int32) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", "127.0.0.1:"+itoa32(port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// postFailures sends n POSTs through the listener and counts the 502s.
func postFailures(t testing.TB, client *http.Client, port int32, n int) int {
	t.Helper()
	failed := 0
	for i := 0; i < n; i++ {
		resp, err := client.Post(lbURL(port, "/"), "text/plain", strings.NewReader("x"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusBadGateway {
			failed++
		}
	}
	return failed
}

func freePort(t testing.TB) int32 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return int32(ln.Addr().(*net.TCPAddr).Port)
}

// backend is an httptest server answering with its name.
type backend struct {
	*httptest.Server
	name  string
	conns atomic.Int64
	hits  atomic.Int64
}

func newBackend(t testing.TB, name string, h http.HandlerFunc, opts ...func(*http.Server)) *backend {
	t.Helper()
	b := &backend{name: name}
	if h == nil {
		h = func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, name) }
	}
	b.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			return
		}
		b.hits.Add(1)
		w.Header().Set("X-Backend", name)
		h(w, r)
	}))
	b.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if s == http.StateNew {
			b.conns.Add(1)
		}
	}
	for _, o := range opts {
		o(b.Config)
	}
	b.Start()
	t.Cleanup(b.Close)
	return b
}

func (b *backend) target(registered time.Time) model.Target {
	ap := b.Listener.Addr().(*net.TCPAddr)
	return model.Target{ID: "10.0.0." + b.name, Port: int32(ap.Port), Address: ap.String(), RegisteredAt: registered}
}

func deadTarget(t testing.TB, name string) model.Target {
	p := freePort(t)
	return model.Target{ID: "10.0.1." + name, Port: p, Address: "127.0.0.1:" + strconv.Itoa(int(p))}
}

// cfgBuilder assembles an lbapi.Config for one load balancer.
type cfgBuilder struct{ cfg lbapi.Config }

func newCfg(rev int64) *cfgBuilder {
	return &cfgBuilder{cfg: lbapi.Config{Revision: rev, LoadBalancers: []model.LoadBalancer{{ARN: testLB, Name: "test", IPAddress: "127.0.0.1"}}}}
}

func (c *cfgBuilder) lbAttr(k, v string) *cfgBuilder {
	if c.cfg.LoadBalancers[0].Attributes == nil {
		c.cfg.LoadBalancers[0].Attributes = map[string]string{}
	}
	c.cfg.LoadBalancers[0].Attributes[k] = v
	return c
}

func (c *cfgBuilder) group(arn string, attrs map[string]string, targets ...model.Target) *cfgBuilder {
	c.cfg.TargetGroups = append(c.cfg.TargetGroups, lbapi.TargetGroup{
		TargetGroup: model.TargetGroup{ARN: arn, Protocol: "HTTP", Attributes: attrs,
			HealthCheck: model.HealthCheckConfig{Enabled: true, Path: "/health", Port: "traffic-port",
				IntervalSeconds: 5, TimeoutSeconds: 2, HealthyThreshold: 1, UnhealthyThreshold: 1000, Matcher: "200"}},
		Targets: targets,
	})
	return c
}

func (c *cfgBuilder) healthCheck(arn string, f func(*model.HealthCheckConfig)) *cfgBuilder {
	for i := range c.cfg.TargetGroups {
		if c.cfg.TargetGroups[i].ARN == arn {
			f(&c.cfg.TargetGroups[i].HealthCheck)
		}
	}
	return c
}

func forward(arns ...string) []model.Action {
	a := model.Action{Type: "forward"}
	for _, arn := range arns {
		a.TargetGroups = append(a.TargetGroups, model.WeightedTargetGroup{ARN: arn, Weight: 1})
	}
	return []model.Action{a}
}

func (c *cfgBuilder) listener(port int32, def []model.Action) *cfgBuilder {
	c.cfg.Listeners = append(c.cfg.Listeners, model.Listener{ARN: "listener-" + itoa32(port), LoadBalancerARN: testLB,
		Protocol: "HTTP", Port: port, DefaultActions: def})
	return c
}

func (c *cfgBuilder) rule(port int32, prio int32, conds []model.Condition, actions []model.Action) *cfgBuilder {
	c.cfg.Rules = append(c.cfg.Rules, model.Rule{ARN: fmt.Sprintf("rule-%d-%d", port, prio), ListenerARN: "listener-" + itoa32(port),
		Priority: prio, Conditions: conds, Actions: actions})
	return c
}

func newTestBalancer(t testing.TB, o Options) *Balancer {
	t.Helper()
	if o.HealthCheckInterval == 0 {
		o.HealthCheckInterval = 20 * time.Millisecond
	}
	if o.HealthCheckTimeout == 0 {
		o.HealthCheckTimeout = 500 * time.Millisecond
	}
	if o.DrainTimeout == 0 {
		o.DrainTimeout = 5 * time.Second
	}
	b := New(o)
	t.Cleanup(func() { b.Close() })
	return b
}

// waitFor polls cond until it holds (component tests on real sockets).
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func waitHealthy(t testing.TB, b *Balancer, tg string, n int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d healthy targets in %s", n, tg), func() bool {
		c := 0
		for _, h := range b.Health().Targets[tg] {
			if h.State == model.TargetHealthy {
				c++
			}
		}
		return c >= n
	})
}

func lbURL(port int32, path string) string { return "http://127.0.0.1:" + itoa32(port) + path }

func get(t testing.TB, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	var buf [4096]byte
	n, _ := ioReadFull(resp.Body, buf[:])
	return resp, string(buf[:n])
}
