package lb

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/lbapi"
	"github.com/wharfhq/wharf/internal/model"
)

func TestProxyHeadersAndKeepAlive(t *testing.T) {
	var seen atomic.Pointer[http.Request]
	be := newBackend(t, "1", func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r)
		w.Header().Set("Connection", "X-Hop")
		w.Header().Set("X-Hop", "must not pass")
		fmt.Fprint(w, "ok")
	})
	b := newTestBalancer(t, Options{HealthCheckInterval: time.Hour}) // one check only
	port := freePort(t)
	if err := b.Apply(newCfg(1).group(testTG, nil, be.target(t0)).listener(port, forward(testTG)).cfg); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, b, testTG, 1)
	conns0 := be.conns.Load() // the health check's

	client := &http.Client{Transport: &http.Transport{}}
	reused := 0
	for i := 0; i < 20; i++ {
		req, _ := http.NewRequest("GET", lbURL(port, "/p?q=1"), nil)
		req.Host = "app.example.com"
		req.Header.Set("X-Forwarded-For", "203.0.113.9")
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			GotConn: func(i httptrace.GotConnInfo) {
				if i.Reused {
					reused++
				}
			}}))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "ok" {
			t.Fatalf("status %d body %q", resp.StatusCode, body)
		}
		if resp.Header.Get("X-Hop") != "" {
			t.Error("hop-by-hop header named in Connection was forwarded")
		}
	}
	if reused != 19 {
		t.Errorf("client connection reused %d times, want 19", reused)
	}
	if n := be.conns.Load() - conns0; n != 1 {
		t.Errorf("backend saw %d connections for 20 requests, want 1 (upstream keep-alive)", n)
	}
	r := seen.Load()
	if got := r.Header.Get("X-Forwarded-For"); got != "203.0.113.9, 127.0.0.1" {
		t.Errorf("X-Forwarded-For = %q", got)
	}
	if got := r.Header.Get("X-Forwarded-Proto"); got != "http" {
		t.Errorf("X-Forwarded-Proto = %q", got)
	}
	if got := r.Header.Get("X-Forwarded-Port"); got != itoa32(port) {
		t.Errorf("X-Forwarded-Port = %q", got)
	}
	if got := r.Header.Get("X-Amzn-Trace-Id"); !regexp.MustCompile(`^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$`).MatchString(got) {
		t.Errorf("X-Amzn-Trace-Id = %q", got)
	}
	if r.Host != "app.example.com" || r.URL.RawQuery != "q=1" {
		t.Errorf("host %q query %q not preserved", r.Host, r.URL.RawQuery)
	}

	// An incoming trace id is kept.
	req, _ := http.NewRequest("GET", lbURL(port, "/"), nil)
	req.Header.Set("X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := seen.Load().Header.Get("X-Amzn-Trace-Id"); got != "Root=1-5759e988-bd862e3fe1be46a994272793" {
		t.Errorf("trace id replaced: %q", got)
	}
}

func TestProxyStreamsBothWays(t *testing.T) {
	release := make(chan struct{})
	be := newBackend(t, "1", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" {
			http.NewResponseController(w).EnableFullDuplex()
			// Echo the request body as it arrives.
			buf := make([]byte, 64)
			for {
				n, err := r.Body.Read(buf)
				if n > 0 {
					w.Write(buf[:n])
					w.(http.Flusher).Flush()
				}
				if err != nil {
					return
				}
			}
		}
		w.Write([]byte("first\n"))
		w.(http.Flusher).Flush()
		<-release
		w.Write([]byte("second\n"))
	})
	b := newTestBalancer(t, Options{})
	port := freePort(t)
	if err := b.Apply(newCfg(1).group(testTG, nil, be.target(t0)).listener(port, forward(testTG)).cfg); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, b, testTG, 1)

	resp, err := http.Get(lbURL(port, "/stream"))
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	if err != nil || line != "first\n" {
		t.Fatalf("first chunk %q %v (response not streamed)", line, err)
	}
	close(release)
	line, _ = br.ReadString('\n')
	resp.Body.Close()
	if line != "second\n" {
		t.Fatalf("second chunk %q", line)
	}

	// Request body streaming: the echo of the first write arrives before
	// the second write is sent.
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", lbURL(port, "/echo"), pr)
	done := make(chan *http.Response, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			close(done)
			return
		}
		done <- resp
	}()
	pw.Write([]byte("ping\n"))
	resp = <-done
	if resp == nil {
		t.FailNow()
	}
	br = bufio.NewReader(resp.Body)
	if line, _ := br.ReadString('\n'); line != "ping\n" {
		t.Fatalf("echo %q", line)
	}
	pw.Write([]byte("pong\n"))
	pw.Close()
	if line, _ := br.ReadString('\n'); line != "pong\n" {
		t.Fatalf("echo %q", line)
	}
	resp.Body.Close()
}

func TestProxyWebSocketUpgrade(t *testing.T) {
	be := newBackend(t, "1", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "websocket" {
			http.Error(w, "want upgrade", 400)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		brw.Flush()
		// Echo lines until the client closes.
		for {
			line, err := brw.ReadString('\n')
			if err != nil {
				return
			}
			brw.WriteString("echo " + line)
			brw.Flush()
		}
	})
	b := newTestBalancer(t, Options{})
	port := freePort(t)
	if err := b.Apply(newCfg(1).group(testTG, nil, be.target(t0)).listener(port, forward(testTG)).cfg); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, b, testTG, 1)

	conn := dialPort(t, port)
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 101 || resp.Header.Get("Upgrade") != "websocket" {
		t.Fatalf("status %d upgrade %q", resp.StatusCode, resp.Header.Get("Upgrade"))
	}
	for _, msg := range []string{"hello\n", "again\n"} {
		conn.Write([]byte(msg))
		line, err := br.ReadString('\n')
		if err != nil || line != "echo "+msg {
			t.Fatalf("got %q %v", line, err)
		}
	}
	// The upgraded connection counts as in flight on its target.
	tgt := b.groups[testTG].order[0]
	if n := tgt.inflight.Load(); n != 1 {
		t.Errorf("in flight during websocket = %d, want 1", n)
	}
	conn.Close()
	waitFor(t, "websocket released", func() bool { return tgt.inflight.Load() == 0 })
}

func TestProxyELBStatuses(t *testing.T) {
	slow := newBackend(t, "1", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
		}
	})
	b := newTestBalancer(t, Options{})
	p502, p503, p504 := freePort(t), freePort(t), freePort(t)
	cfg := newCfg(1).lbAttr(attrIdleTimeout, "1").
		group(testTG, nil, deadTarget(t, "1"), deadTarget(t, "2")).
		group(testTG2, nil).
		group("tg-slow", nil, slow.target(t0)).
		listener(p502, forward(testTG)).listener(p503, forward(testTG2)).listener(p504, forward("tg-slow")).cfg
	if err := b.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, b, "tg-slow", 1)
	cases := []struct {
		name   string
		method string
		url    string
		want   int
	}{
		{"all targets refuse (after retry)", "GET", lbURL(p502, "/"), 502},
		{"POST to a refusing target", "POST", lbURL(p502, "/"), 502},
		{"no registered target", "GET", lbURL(p503, "/"), 503},
		{"target slower than the idle timeout", "GET", lbURL(p504, "/"), 504},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, c.url, strings.NewReader(""))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: status %d, want %d", c.name, resp.StatusCode, c.want)
		}
	}
	m := b.Metrics()
	for _, g := range m.TargetGroups {
		if g.TargetGroupARN == testTG && g.ELB5xxCount != 2 {
			t.Errorf("ELB 5xx count of %s = %d, want 2", g.TargetGroupARN, g.ELB5xxCount)
		}
	}
}

func TestProxyFailsOpen(t *testing.T) {
	// Health checks fail, yet the targets serve: with no healthy target ALB
	// routes to all of them.
	be1 := newBackend(t, "1", nil)
	be2 := newBackend(t, "2", nil)
	b := newTestBalancer(t, Options{})
	port := freePort(t)
	cfg := newCfg(1).group(testTG, nil, be1.target(t0), be2.target(t0)).
		healthCheck(testTG, func(h *model.HealthCheckConfig) { h.Matcher = "201"; h.UnhealthyThreshold = 1 }).
		listener(port, forward(testTG)).cfg
	if err := b.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "targets unhealthy", func() bool {
		for _, h := range b.Health().Targets[testTG] {
			if h.State != model.TargetUnhealthy || h.Reason != ReasonResponseCodeMismatch {
				return false
			}
		}
		return true
	})
	seen := map[string]bool{}
	for i := 0; i < 10; i++ {
		resp, body := get(t, http.DefaultClient, lbURL(port, "/"))
		if resp.StatusCode != 200 {
			t.Fatalf("fail-open status %d", resp.StatusCode)
		}
		seen[body] = true
	}
	if len(seen) != 2 {
		t.Errorf("fail open reached %v, want both targets", seen)
	}
}

func TestProxyRetriesDeadTarget(t *testing.T) {
	be1 := newBackend(t, "1", nil)
	be2 := newBackend(t, "2", nil)
	b := newTestBalancer(t, Options{HealthCheckInterval: time.Hour}) // no health check notices the death
	port := freePort(t)
	if err := b.Apply(newCfg(1).group(testTG, nil, be1.target(t0), be2.target(t0)).listener(port, forward(testTG)).cfg); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, b, testTG, 2)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 10}}
	for i := 0; i < 10; i++ { // warm keep-alive pools to both targets
		get(t, client, lbURL(port, "/"))
	}
	be2.Close() // the target dies behind the balancer's back
	for i := 0; i < 50; i++ {
		resp, body := get(t, client, lbURL(port, "/"))
		if resp.StatusCode != 200 || body != "1" {
			t.Fatalf("request %d after the target died: %d %q", i, resp.StatusCode, body)
		}
	}
	// A non-idempotent request is not retried.
	if postFailures(t, client, port, 4) == 0 {
		t.Error("POSTs to the dead target were retried")
	}
}

func TestDrainingFinishesInFlight(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	be1 := newBackend(t, "1", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			started <- struct{}{}
			<-release
		}
		fmt.Fprint(w, "1")
	})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	be2 := newBackend(t, "2", nil)
	b := newTestBalancer(t, Options{})
	port := freePort(t)
	t1, t2 := be1.target(t0), be2.target(t0)
	build := func(rev int64, t1 model.Target) *cfgBuilder {
		return newCfg(rev).group(testTG, map[string]string{attrAlgorithm: "least_outstanding_requests"}, t1, t2).listener(port, forward(testTG))
	}
	if err := b.Apply(build(1, t1).cfg); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, b, testTG, 2)

	// Route the slow request to target 1 (least outstanding: load target 2
	// is idle too; retry until it lands on 1).
	type result struct {
		code int
		body string
		err  error
	}
	res := make(chan result, 1)
	go func() {
		for {
			resp, err := http.Get(lbURL(port, "/slow"))
			if err != nil {
				res <- result{err: err}
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(body) == "2" {
				continue
			}
			res <- result{code: resp.StatusCode, body: string(body)}
			return
		}
	}()
	<-started

	t1.DeregisteredAt = time.Now()
	if err := b.Apply(build(2, t1).cfg); err != nil {
		t.Fatal(err)
	}
	key1 := t1.ID + ":" + itoa32(t1.Port)
	h := b.Health().Targets[testTG][key1]
	if h.State != model.TargetDraining || h.Reason != ReasonDeregistrationInProgress || h.Drained {
		t.Fatalf("deregistered target with a request in flight: %+v", h)
	}
	// New requests avoid the draining target.
	for i := 0; i < 10; i++ {
		if _, body := get(t, http.DefaultClient, lbURL(port, "/")); body != "2" {
			t.Fatalf("request went to the draining target: %q", body)
		}
	}
	select {
	case <-b.Changes(): // drain the apply notification
	default:
	}
	once.Do(func() { close(release) })
	r := <-res
	if r.err != nil || r.code != 200 || r.body != "1" {
		t.Fatalf("in-flight request on the draining target: %+v", r)
	}
	waitFor(t, "drained", func() bool { return b.Health().Targets[testTG][key1].Drained })
	select {
	case <-b.Changes():
	case <-time.After(time.Second):
		t.Error("no change notification when the target drained")
	}
}

func TestDrainingDelayWithInjectedClock(t *testing.T) {
	var now atomic.Pointer[time.Time]
	n := t0
	now.Store(&n)
	release := make(chan struct{})
	started := make(chan struct{})
	be := newBackend(t, "1", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
	})
	defer close(release)
	b := newTestBalancer(t, Options{Now: func() time.Time { return *now.Load() }})
	port := freePort(t)
	tg := be.target(t0)
	attrs := map[string]string{attrDeregDelay: "30"}
	if err := b.Apply(newCfg(1).group(testTG, attrs, tg).listener(port, forward(testTG)).cfg); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, b, testTG, 1)
	go http.Get(lbURL(port, "/"))
	<-started
	tg.DeregisteredAt = t0
	if err := b.Apply(newCfg(2).group(testTG, attrs, tg).listener(port, forward(testTG)).cfg); err != nil {
		t.Fatal(err)
	}
	key := tg.ID + ":" + itoa32(tg.Port)
	for _, c := range []struct {
		at   time.Duration
		want bool
	}{{0, false}, {29 * time.Second, false}, {30 * time.Second, true}} {
		x := t0.Add(c.at)
		now.Store(&x)
		if got := b.Health().Targets[testTG][key].Drained; got != c.want {
			t.Errorf("at +%v drained = %v, want %v", c.at, got, c.want)
		}
	}
}

func TestStickinessCookie(t *testing.T) {
	be1 := newBackend(t, "1", nil)
	be2 := newBackend(t, "2", nil)
	b := newTestBalancer(t, Options{})
	port := freePort(t)
	attrs := map[string]string{attrStickyEnabled: "true", attrStickyType: "lb_cookie", attrStickyDuration: "60"}
	if err := b.Apply(newCfg(1).group(testTG, attrs, be1.target(t0), be2.target(t0)).listener(port, forward(testTG)).cfg); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, b, testTG, 2)
	resp, first := get(t, http.DefaultClient, lbURL(port, "/"))
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "AWSALB" {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatal("no AWSALB cookie")
	}
	for i := 0; i < 10; i++ {
		req, _ := http.NewRequest("GET", lbURL(port, "/"), nil)
		req.AddCookie(cookie)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != first {
			t.Fatalf("sticky request %d went to %q, first to %q", i, body, first)
		}
	}
}

func TestRulesFixedResponseAndRedirect(t *testing.T) {
	web := newBackend(t, "1", nil)
	api := newBackend(t, "2", nil)
	var logBuf syncBuffer
	b := newTestBalancer(t, Options{AccessLog: &logBuf})
	port := freePort(t)
	cfg := newCfg(1).group(testTG, nil, web.target(t0)).group(testTG2, nil, api.target(t0)).
		listener(port, forward(testTG)).
		rule(port, 10, []model.Condition{{Field: "path-pattern", Values: []string{"/api/*"}}}, forward(testTG2)).
		rule(port, 20, []model.Condition{{Field: "path-pattern", Values: []string{"/old/*"}}},
			[]model.Action{{Type: "redirect", RedirectPath: "/new/#{path}", RedirectStatus: "HTTP_301"}}).
		rule(port, 30, []model.Condition{{Field: "host-header", Values: []string{"down.*"}}},
			[]model.Action{{Type: "fixed-response", StatusCode: "503", ContentType: "text/plain", MessageBody: "maintenance"}}).cfg
	if err := b.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, b, testTG, 1)
	waitHealthy(t, b, testTG2, 1)
	if _, body := get(t, http.DefaultClient, lbURL(port, "/api/x")); body != "2" {
		t.Errorf("/api/x → %q", body)
	}
	if _, body := get(t, http.DefaultClient, lbURL(port, "/x")); body != "1" {
		t.Errorf("/x → %q", body)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, _ := get(t, noRedirect, lbURL(port, "/old/page?a=1"))
	if resp.StatusCode != 301 || resp.Header.Get("Location") != "http://127.0.0.1:"+itoa32(port)+"/new/old/page?a=1" {
		t.Errorf("redirect %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	req, _ := http.NewRequest("GET", lbURL(port, "/"), nil)
	req.Host = "down.example.com"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || string(body) != "maintenance" || resp.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("fixed response %d %q %q", resp.StatusCode, body, resp.Header.Get("Content-Type"))
	}
	lines := strings.Split(strings.TrimSpace(logBuf.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("access log has %d lines, want 4:\n%s", len(lines), logBuf.String())
	}
	if !regexp.MustCompile(`^\S+Z \d+ 127\.0\.0\.1:\d+ 127\.0\.0\.1:\d+ [0-9.]+ [0-9.]+ [0-9.]+ 200 200 "GET /api/x HTTP/1.1" "Go-http-client/1.1" ` + regexp.QuoteMeta(testTG2) + ` "Root=1-`).MatchString(lines[0]) {
		t.Errorf("access log line: %s", lines[0])
	}
	if !strings.Contains(lines[2], " - -1 -1 -1 301 - ") {
		t.Errorf("redirect log line: %s", lines[2])
	}

	var prom bytes.Buffer
	if err := WritePrometheus(&prom, b.Metrics()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`wharf_lb_requests_total{target_group="` + testTG2 + `"} 1`,
		`wharf_lb_healthy_targets{target_group="` + testTG + `"} 1`,
		`wharf_lb_target_response_seconds_count{target_group="` + testTG + `"} 1`,
	} {
		if !strings.Contains(prom.String(), want) {
			t.Errorf("metrics lack %q:\n%s", want, prom.String())
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestApplyUnderLoadLosesNothing changes rules, targets (with draining) and
// listeners while a constant request stream flows.
func TestApplyUnderLoadLosesNothing(t *testing.T) {
	var bes []*backend
	for i := 1; i <= 4; i++ {
		bes = append(bes, newBackend(t, itoa32(int32(i)), func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(time.Millisecond)
			fmt.Fprint(w, "ok")
		}))
	}
	b := newTestBalancer(t, Options{})
	port, extra := freePort(t), freePort(t)
	build := func(rev int64) lbapi.Config {
		c := newCfg(rev)
		var ts []model.Target
		for i, be := range bes {
			tg := be.target(t0)
			// Rotate one target through draining each revision.
			if int(rev)%len(bes) == i {
				tg.DeregisteredAt = t0.Add(time.Duration(rev) * time.Second)
			}
			ts = append(ts, tg)
		}
		c.group(testTG, nil, ts...).group(testTG2, nil, ts...)
		c.listener(port, forward(testTG))
		if rev%2 == 0 {
			c.rule(port, 10, []model.Condition{{Field: "path-pattern", Values: []string{"/*"}}}, forward(testTG2))
			c.listener(extra, forward(testTG))
		} else {
			c.rule(port, 5, []model.Condition{{Field: "http-request-method", Values: []string{"GET"}}}, forward(testTG, testTG2))
		}
		return c.cfg
	}
	if err := b.Apply(build(1)); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, b, testTG, 3)
	waitHealthy(t, b, testTG2, 3)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
			for ctx.Err() == nil {
				resp, err := client.Get(lbURL(port, "/x"))
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || string(body) != "ok" {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("status %d body %q", resp.StatusCode, body))
					continue
				}
				ok.Add(1)
			}
		}()
	}
	rev := int64(1)
	for ctx.Err() == nil {
		rev++
		if err := b.Apply(build(rev)); err != nil {
			t.Errorf("apply %d: %v", rev, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	t.Logf("%d requests, %d configurations applied, %d failed", ok.Load(), rev, failed.Load())
	if failed.Load() != 0 {
		t.Fatalf("%d requests failed during reconfiguration; first: %v", failed.Load(), firstErr.Load())
	}
	if ok.Load() < 200 {
		t.Fatalf("only %d requests went through", ok.Load())
	}
}

func TestListenerAddRemoveKeepsConnections(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	be := newBackend(t, "1", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			started <- struct{}{}
			<-release
		}
		fmt.Fprint(w, "ok")
	})
	b := newTestBalancer(t, Options{})
	pa, pb, pc := freePort(t), freePort(t), freePort(t)
	base := func(rev int64) *cfgBuilder { return newCfg(rev).group(testTG, nil, be.target(t0)) }
	if err := b.Apply(base(1).listener(pa, forward(testTG)).listener(pc, forward(testTG)).cfg); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, b, testTG, 1)

	conns := 0
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, n, a string) (net.Conn, error) {
		conns++
		return (&net.Dialer{}).DialContext(ctx, n, a)
	}}}
	get(t, client, lbURL(pa, "/"))

	// A slow request on listener C, which is then removed.
	res := make(chan int, 1)
	go func() {
		resp, err := http.Get(lbURL(pc, "/slow"))
		if err != nil {
			res <- -1
			return
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
		res <- resp.StatusCode
	}()
	<-started
	if err := b.Apply(base(2).listener(pa, forward(testTG)).listener(pb, forward(testTG)).cfg); err != nil {
		t.Fatal(err)
	}
	// B is new and serves; A's keep-alive connection still works.
	if resp, _ := get(t, http.DefaultClient, lbURL(pb, "/")); resp.StatusCode != 200 {
		t.Fatalf("new listener: %d", resp.StatusCode)
	}
	if resp, _ := get(t, client, lbURL(pa, "/")); resp.StatusCode != 200 {
		t.Fatalf("kept listener: %d", resp.StatusCode)
	}
	if conns != 1 {
		t.Errorf("client opened %d connections to the kept listener, want 1", conns)
	}
	// C no longer accepts, but its in-flight request finishes.
	waitFor(t, "removed listener closed", func() bool {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+itoa32(pc), 100*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	close(release)
	if code := <-res; code != 200 {
		t.Fatalf("in-flight request on the removed listener: %d", code)
	}
}
