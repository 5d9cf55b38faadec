package lb

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/model"
)

// rawBackend answers each request path with scripted bytes, so the tests
// control framing exactly: chunked with trailers, close-delimited, 1xx.
type rawBackend struct {
	tgt   model.Target
	conns atomic.Int64
	mu    sync.Mutex
	seen  []*http.Request
	// bodies of the requests, in order
	bodies []string
}

var rawResponses = map[string]string{
	"/len":     "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello",
	"/chunked": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 42\r\n\r\n",
	"/early":   "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
	"/nobody":  "HTTP/1.1 204 No Content\r\nX-B: 2\r\n\r\n",
	"/close":   "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\nbye",
	"/hop":     "HTTP/1.1 200 OK\r\nConnection: X-Hop\r\nX-Hop: secret\r\nKeep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\nok",
	"/until":   "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nstreamed until close",
	"/big":     "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("b", 10<<10) + "\r\nContent-Length: 3\r\n\r\nbig",
	"/broken":  "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this",
	"/large":   "HTTP/1.1 200 OK\r\nContent-Length: 4194304\r\n\r\n" + strings.Repeat("z", 4<<20),
}

func newRawBackend(t *testing.T) *rawBackend {
	rb := &rawBackend{}
	rb.tgt = tcpTarget(t, "10.0.0.9", func(c net.Conn) {
		rb.conns.Add(1)
		rb.serve(c)
	})
	return rb
}

// tcpTarget serves each connection to a new loopback listener with handle
// (on its own goroutine) and returns the listener as a target.
func tcpTarget(t *testing.T, id string, handle func(c net.Conn)) model.Target {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go handle(c)
		}
	}()
	ap := ln.Addr().(*net.TCPAddr)
	return model.Target{ID: id, Port: int32(ap.Port), Address: ap.String(), RegisteredAt: t0}
}

func (rb *rawBackend) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		r, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/health" {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			return
		}
		rb.mu.Lock()
		rb.seen = append(rb.seen, r)
		rb.bodies = append(rb.bodies, string(body))
		rb.mu.Unlock()
		switch r.URL.Path {
		case "/slow":
			time.Sleep(100 * time.Millisecond)
		case "/drop":
			// Keep-alive, then the target closes the idle connection.
			time.AfterFunc(20*time.Millisecond, func() { c.Close() })
		}
		out, ok := rawResponses[r.URL.Path]
		if !ok {
			out = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\necho"
		}
		if r.Method == http.MethodHead {
			out = out[:strings.Index(out, "\r\n\r\n")+4]
		}
		io.WriteString(c, out)
		if r.URL.Path == "/until" || r.URL.Path == "/close" || r.URL.Path == "/broken" {
			return
		}
	}
}

// rawListener starts a rawBackend behind a listener forwarding to it and
// returns the listener's port once the target is healthy.
func rawListener(t *testing.T) (*rawBackend, int32) {
	rb := newRawBackend(t)
	b := newTestBalancer(t, Options{HealthCheckInterval: time.Hour})
	port := freePort(t)
	if err := b.Apply(newCfg(1).group(testTG, nil, rb.target()).listener(port, forward(testTG)).cfg); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, b, testTG, 1)
	return rb, port
}

func (rb *rawBackend) target() model.Target { return rb.tgt }

func (rb *rawBackend) last() (*http.Request, string) {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	return rb.seen[len(rb.seen)-1], rb.bodies[len(rb.bodies)-1]
}

// TestFastPathWire speaks raw HTTP/1.1 to a listener and checks the bytes
// and framing the connection loop produces, on one keep-alive connection.
func TestFastPathWire(t *testing.T) {
	rb := newRawBackend(t)
	b := newTestBalancer(t, Options{HealthCheckInterval: time.Hour})
	port := freePort(t)
	if err := b.Apply(newCfg(1).group(testTG, nil, rb.target()).listener(port, forward(testTG)).
		rule(port, 1, []model.Condition{{Field: "path-pattern", Values: []string{"/fixed"}}},
			[]model.Action{{Type: "fixed-response", StatusCode: "418", ContentType: "text/plain", MessageBody: "teapot"}}).cfg); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, b, testTG, 1)
	c := dialPort(t, port)
	br := bufio.NewReader(c)
	roundTrip := func(req string, method string) (*http.Response, string) {
		t.Helper()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			t.Fatalf("%q: %v", req, err)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("%q body: %v", req, err)
		}
		return resp, string(body)
	}

	resp, body := roundTrip("GET /len HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.1.1.1\r\nX-Forwarded-For: 2.2.2.2\r\nX-Forwarded-Proto: https\r\nKeep-Alive: 5\r\nProxy-Authorization: x\r\n\r\n", "GET")
	if body != "hello" || resp.Header.Get("X-A") != "1" {
		t.Fatalf("/len: %q %v", body, resp.Header)
	}
	r, _ := rb.last()
	if got := r.Header.Get("X-Forwarded-For"); got != "1.1.1.1, 2.2.2.2, 127.0.0.1" {
		t.Errorf("X-Forwarded-For %q", got)
	}
	if len(r.Header["X-Forwarded-For"]) != 1 || r.Header.Get("X-Forwarded-Proto") != "http" || r.Header.Get("X-Forwarded-Port") != itoa32(port) {
		t.Errorf("forwarded fields %v", r.Header)
	}
	if r.Header.Get("Keep-Alive") != "" || r.Header.Get("Proxy-Authorization") != "" {
		t.Errorf("hop-by-hop fields forwarded: %v", r.Header)
	}
	if r.Header.Get("X-Amzn-Trace-Id") == "" || r.Host != "h" {
		t.Errorf("trace id %q host %q", r.Header.Get("X-Amzn-Trace-Id"), r.Host)
	}

	resp, body = roundTrip("GET /chunked HTTP/1.1\r\nHost: h\r\n\r\n", "GET")
	if body != "hello world" || resp.Trailer.Get("X-Sum") != "42" {
		t.Errorf("/chunked: %q trailer %v", body, resp.Trailer)
	}
	resp, body = roundTrip("GET /early HTTP/1.1\r\nHost: h\r\n\r\n", "GET")
	if resp.StatusCode != 200 || body != "ok" {
		t.Errorf("/early: %d %q (103 not skipped)", resp.StatusCode, body)
	}
	resp, body = roundTrip("GET /nobody HTTP/1.1\r\nHost: h\r\n\r\n", "GET")
	if resp.StatusCode != 204 || body != "" || resp.Header.Get("X-B") != "2" {
		t.Errorf("/nobody: %d %q", resp.StatusCode, body)
	}
	resp, body = roundTrip("HEAD /len HTTP/1.1\r\nHost: h\r\n\r\n", "HEAD")
	if resp.StatusCode != 200 || resp.ContentLength != 5 || body != "" {
		t.Errorf("HEAD /len: %d length %d %q", resp.StatusCode, resp.ContentLength, body)
	}
	resp, body = roundTrip("GET /hop HTTP/1.1\r\nHost: h\r\n\r\n", "GET")
	if body != "ok" || resp.Header.Get("X-Hop") != "" || resp.Header.Get("Keep-Alive") != "" {
		t.Errorf("/hop: %q %v", body, resp.Header)
	}
	conns := rb.conns.Load()
	resp, body = roundTrip("GET /close HTTP/1.1\r\nHost: h\r\n\r\n", "GET")
	if body != "bye" || resp.Close {
		t.Errorf("/close: %q, client told to close: %v (the target's close is hop-by-hop)", body, resp.Close)
	}
	roundTrip("GET /len HTTP/1.1\r\nHost: h\r\n\r\n", "GET")
	if n := rb.conns.Load() - conns; n != 1 {
		t.Errorf("after the target closed, %d new target connections, want 1", n)
	}
	resp, body = roundTrip("GET /until HTTP/1.1\r\nHost: h\r\n\r\n", "GET")
	if body != "streamed until close" || len(resp.TransferEncoding) == 0 {
		t.Errorf("/until: %q transfer encoding %v (want re-chunked)", body, resp.TransferEncoding)
	}
	resp, body = roundTrip("GET /big HTTP/1.1\r\nHost: h\r\n\r\n", "GET")
	if body != "big" || len(resp.Header.Get("X-Big")) != 10<<10 {
		t.Errorf("/big: %q, X-Big of %d bytes", body, len(resp.Header.Get("X-Big")))
	}
	resp, body = roundTrip("POST /post HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\n\r\npayload", "POST")
	if _, got := rb.last(); body != "echo" || got != "payload" {
		t.Errorf("POST: %q, target got %q", body, got)
	}
	resp, body = roundTrip("GET /fixed HTTP/1.1\r\nHost: h\r\n\r\n", "GET")
	if resp.StatusCode != 418 || body != "teapot" || resp.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("fixed response: %d %q %v", resp.StatusCode, body, resp.Header)
	}

	// Pipelined requests are answered in order.
	io.WriteString(c, "GET /len HTTP/1.1\r\nHost: h\r\n\r\nGET /chunked HTTP/1.1\r\nHost: h\r\n\r\n")
	for _, want := range []string{"hello", "hello world"} {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		if string(got) != want {
			t.Errorf("pipelined: %q, want %q", got, want)
		}
	}

	// Requests the loop leaves to net/http are still served, on the same
	// connection: a chunked body, then (the connection now being net/http's)
	// an ordinary request.
	resp, body = roundTrip("POST /chunked-in HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", "POST")
	if _, got := rb.last(); body != "echo" || got != "abc" {
		t.Errorf("chunked request: %q, target got %q", body, got)
	}
	resp, body = roundTrip("GET /len HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", "GET")
	if body != "hello" || !resp.Close {
		t.Errorf("after hand-off: %q close %v", body, resp.Close)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("connection not closed after Connection: close: %v", err)
	}

	// A target that breaks off mid-body: the client sees a broken response.
	c2 := dialPort(t, port)
	c2.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c2, "GET /broken HTTP/1.1\r\nHost: h\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c2), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(resp.Body); err != io.ErrUnexpectedEOF {
		t.Errorf("short body read as %v, want unexpected EOF", err)
	}
}

// TestFastPathHandsOff checks requests the loop does not serve itself.
func TestFastPathHandsOff(t *testing.T) {
	rb, port := rawListener(t)
	for _, c := range []struct {
		name, req string
		status    int
		body      string // what the target must have received
	}{
		{"http/1.0", "GET /len HTTP/1.0\r\nHost: h\r\n\r\n", 200, ""},
		{"huge head", "GET /len HTTP/1.1\r\nHost: h\r\nX-Big: " + strings.Repeat("x", 20<<10) + "\r\n\r\n", 200, ""},
		{"large body", "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 20000\r\n\r\n" + strings.Repeat("y", 20000), 200, strings.Repeat("y", 20000)},
		{"expect", "POST /p HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi", 200, "hi"},
		{"no host", "GET /len HTTP/1.1\r\n\r\n", 400, ""},
		{"bad escape", "GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n", 400, ""},
		{"bare lf", "GET /len HTTP/1.1\nHost: h\n\n", 200, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn := dialPort(t, port)
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			go io.WriteString(conn, c.req)
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			for err == nil && resp.StatusCode == http.StatusContinue {
				resp, err = http.ReadResponse(br, nil)
			}
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			if resp.StatusCode != c.status {
				t.Errorf("status %d, want %d", resp.StatusCode, c.status)
			}
			if _, got := rb.last(); c.status == 200 && got != c.body {
				t.Errorf("target got a body of %d bytes, want %d", len(got), len(c.body))
			}
		})
	}
}

// TestFastPathShutdownClosesIdle: a removed listener closes its idle
// keep-alive connections and lets an in-flight request finish.
func TestFastPathShutdown(t *testing.T) {
	release := make(chan struct{})
	be := newBackend(t, "1", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			<-release
		}
		io.WriteString(w, "done")
	})
	b := newTestBalancer(t, Options{HealthCheckInterval: time.Hour})
	port := freePort(t)
	if err := b.Apply(newCfg(1).group(testTG, nil, be.target(t0)).listener(port, forward(testTG)).cfg); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, b, testTG, 1)
	idle := dialPort(t, port)
	io.WriteString(idle, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	ibr := bufio.NewReader(idle)
	if resp, err := http.ReadResponse(ibr, nil); err != nil {
		t.Fatal(err)
	} else {
		io.Copy(io.Discard, resp.Body)
	}
	busy := dialPort(t, port)
	io.WriteString(busy, "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n")
	waitFor(t, "slow request at the target", func() bool { return be.hits.Load() == 2 })

	if err := b.Apply(newCfg(2).group(testTG, nil, be.target(t0)).cfg); err != nil { // listener removed
		t.Fatal(err)
	}
	idle.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := ibr.ReadByte(); err != io.EOF {
		t.Errorf("idle connection: %v, want closed", err)
	}
	close(release)
	busy.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(busy), nil)
	if err != nil {
		t.Fatalf("in-flight request: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "done" || !resp.Close {
		t.Errorf("in-flight request: %q close %v", body, resp.Close)
	}
}

// TestFastPathRetriesReset: a target that accepts and then resets without
// answering (a dead container behind Docker's port proxy) costs an
// idempotent request nothing; a POST is not retried.
func TestFastPathRetriesReset(t *testing.T) {
	good := newBackend(t, "1", nil)
	reset := tcpTarget(t, "10.0.0.8", func(c net.Conn) {
		r, err := http.ReadRequest(bufio.NewReader(c))
		if err == nil && r.URL.Path == "/health" {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		}
		c.(*net.TCPConn).SetLinger(0)
		c.Close()
	})
	b := newTestBalancer(t, Options{HealthCheckInterval: time.Hour})
	port := freePort(t)
	if err := b.Apply(newCfg(1).group(testTG, nil, good.target(t0), reset).listener(port, forward(testTG)).cfg); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, b, testTG, 2)
	client := &http.Client{Transport: &http.Transport{}}
	for i := 0; i < 20; i++ {
		if resp, body := get(t, client, lbURL(port, "/")); resp.StatusCode != 200 || body != "1" {
			t.Fatalf("GET %d: %d %q", i, resp.StatusCode, body)
		}
	}
	if postFailures(t, client, port, 4) == 0 {
		t.Error("POSTs to the resetting target were retried")
	}
}

// TestFastPathReadiness: the loop waits for the poller instead of trying
// a read it expects to block (clientIO, upConn.flushAwait). Each case
// sends bytes at a moment when such a wait could miss them; the short
// deadlines make a missed wake-up fail the test rather than wait for the
// listener's 60 s idle timeout.
func TestFastPathReadiness(t *testing.T) {
	rb, port := rawListener(t)
	dial := func(t *testing.T) (net.Conn, *bufio.Reader) {
		c := dialPort(t, port)
		c.SetDeadline(time.Now().Add(2 * time.Second))
		return c, bufio.NewReader(c)
	}
	expect := func(t *testing.T, br *bufio.Reader, want string) {
		t.Helper()
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("want %q: %v", want, err)
		}
		body, _ := io.ReadAll(resp.Body)
		if string(body) != want {
			t.Fatalf("body %q, want %q", body, want)
		}
	}
	// send writes the parts with a pause between them, so each arrives
	// while the loop waits.
	send := func(c net.Conn, parts ...string) {
		for i, part := range parts {
			if i > 0 {
				time.Sleep(30 * time.Millisecond)
			}
			io.WriteString(c, part)
		}
	}

	t.Run("head in pieces", func(t *testing.T) {
		c, br := dial(t)
		send(c, "GET /len HT", "TP/1.1\r\nHost: h\r\n", "\r\n")
		expect(t, br, "hello")
	})
	t.Run("body after the head", func(t *testing.T) {
		c, br := dial(t)
		send(c, "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\n\r\n", "pay", "load")
		expect(t, br, "echo")
		if _, got := rb.last(); got != "payload" {
			t.Fatalf("target got %q", got)
		}
		// and the connection goes on
		io.WriteString(c, "GET /len HTTP/1.1\r\nHost: h\r\n\r\n")
		expect(t, br, "hello")
	})
	t.Run("next request while one is served", func(t *testing.T) {
		// The second request arrives after the loop read the first and
		// before it looks for the next: its readiness event must not be
		// lost on the way.
		c, br := dial(t)
		send(c, "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n", "GET /len HTTP/1.1\r\nHost: h\r\n\r\n")
		expect(t, br, "echo")
		expect(t, br, "hello")
	})
	t.Run("keep-alive after a pause", func(t *testing.T) {
		c, br := dial(t)
		for i := 0; i < 3; i++ {
			io.WriteString(c, "GET /len HTTP/1.1\r\nHost: h\r\n\r\n")
			expect(t, br, "hello")
			time.Sleep(30 * time.Millisecond)
		}
	})
	t.Run("client reads late", func(t *testing.T) {
		// A response larger than the socket buffers to a client that
		// does not read yet: writes that would block go the waiting way.
		c, br := dial(t)
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, "GET /large HTTP/1.1\r\nHost: h\r\n\r\n")
		time.Sleep(200 * time.Millisecond)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		if err != nil || n != 4<<20 {
			t.Fatalf("%d bytes of 4 MiB: %v", n, err)
		}
		io.WriteString(c, "GET /len HTTP/1.1\r\nHost: h\r\n\r\n")
		expect(t, br, "hello")
	})
	t.Run("target closed the pooled connection", func(t *testing.T) {
		// The target's FIN arrives while the connection is pooled; the
		// next request's wait must end with the reset it gets, and the
		// request is sent again on a new connection.
		c, br := dial(t)
		io.WriteString(c, "GET /drop HTTP/1.1\r\nHost: h\r\n\r\n")
		expect(t, br, "echo")
		time.Sleep(100 * time.Millisecond)
		conns := rb.conns.Load()
		io.WriteString(c, "GET /len HTTP/1.1\r\nHost: h\r\n\r\n")
		expect(t, br, "hello")
		if rb.conns.Load() == conns {
			t.Fatal("served without a new target connection: the test did not hit a closed pooled one")
		}
	})
}

// TestFastPathAllocs: a proxied GET on a keep-alive connection, with no
// rules and no access log, allocates nothing (docs/lb.md). The target and
// the client are raw loops over fixed buffers, so that every allocation
// counted is the proxy's.
func TestFastPathAllocs(t *testing.T) {
	answer := []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	target := tcpTarget(t, "10.0.0.7", func(c net.Conn) {
		defer c.Close()
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			if bytes.Contains(buf[:n], []byte("/health")) {
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
				return
			}
			c.Write(answer)
		}
	})
	b := newTestBalancer(t, Options{HealthCheckInterval: time.Hour})
	port := freePort(t)
	if err := b.Apply(newCfg(1).group(testTG, nil, target).listener(port, forward(testTG)).cfg); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, b, testTG, 1)
	c := dialPort(t, port)
	req := []byte("GET /x HTTP/1.1\r\nHost: h\r\nX-Amzn-Trace-Id: Root=1-00000000-000000000000000000000000\r\n\r\n")
	buf := make([]byte, 4096)
	var failed error
	roundTrip := func() {
		if _, err := c.Write(req); err != nil {
			failed = err
			return
		}
		got := 0
		for got == 0 || !bytes.HasSuffix(buf[:got], []byte("\r\n\r\nok")) {
			n, err := c.Read(buf[got:])
			if err != nil {
				failed = err
				return
			}
			got += n
		}
	}
	for i := 0; i < 20; i++ { // warm the pools
		roundTrip()
	}
	allocs := testing.AllocsPerRun(200, roundTrip)
	if failed != nil {
		t.Fatal(failed)
	}
	if allocs >= 1 {
		t.Errorf("%.1f allocations per proxied request, want 0", allocs)
	}
}
