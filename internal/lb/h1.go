package lb

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The listener serves HTTP/1.1 with its own connection loop rather than
// net/http's server, which costs a header map, a context and a background
// read per request (docs/benchmarks.md has the profile). The loop reads a
// request head into the connection's buffer, parses it in place and, for a
// forward action, writes it to a pooled target connection and relays the
// response, all on the connection's goroutine.
//
// Whatever the loop does not handle itself — upgrades, chunked or large
// request bodies, Expect, HTTP/1.0, heads over the buffer size, malformed
// input, fixed-response and redirect actions — it hands off, before it has
// consumed a byte of the request, to the listener's net/http server: the
// connection, with what was already read, becomes an ordinary net/http
// connection for the rest of its life (listener.ServeHTTP).

// clientBufSize is the read buffer of a client connection: heads, and
// bodies that come with them, up to this size take the fast path.
// upstreamBufSize is a target connection's.
const (
	clientBufSize   = 4 << 10
	upstreamBufSize = 8 << 10
)

// A request's scratch space comes from pools and goes back when the
// response is written, so an idle keep-alive connection holds only its
// read buffer and a small goroutine stack.
type scratch struct {
	req  reqHead
	resp respHead
	bw   bufio.Writer
}

var scratchPool = sync.Pool{New: func() any {
	s := new(scratch)
	s.bw = *bufio.NewWriterSize(nil, 4<<10)
	return s
}}

// Connection states, for graceful shutdown.
const (
	connIdle int32 = iota // between requests
	connActive
	connClosed
)

type h1conn struct {
	c     net.Conn
	br    *bufio.Reader
	bw    *bufio.Writer // during a request: s.bw
	s     *scratch      // during a request
	state atomic.Int32
	// deadline is the read deadline last set (see refreshDeadline).
	deadline   time.Time
	remoteAddr string
	ip         string
}

// accept runs the listener's accept loop.
func (l *listener) accept() {
	var delay time.Duration
	for {
		c, err := l.ln.Accept()
		if err != nil {
			if l.closing.Load() {
				return
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				// Out of file descriptors and the like: back off, as net/http does.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				l.b.log.Error("accept failed; retrying", "addr", l.addr, "err", err, "delay", delay)
				time.Sleep(delay)
				continue
			}
			l.b.log.Error("listener stopped", "addr", l.addr, "err", err)
			return
		}
		delay = 0
		hc := &h1conn{c: c}
		if !l.track(hc, true) {
			c.Close()
			continue
		}
		go l.serveConn(hc)
	}
}

// track adds or removes a connection of the fast loop; adding fails once
// the listener shuts down.
func (l *listener) track(hc *h1conn, add bool) bool {
	l.hmu.Lock()
	defer l.hmu.Unlock()
	if add {
		if l.closing.Load() {
			return false
		}
		l.conns[hc] = struct{}{}
		return true
	}
	delete(l.conns, hc)
	if len(l.conns) == 0 && l.connsIdle != nil {
		close(l.connsIdle)
		l.connsIdle = nil
	}
	return true
}

func (l *listener) serveConn(hc *h1conn) {
	out := connWait
	defer func() {
		if out != connHandOff || !l.handOff(hc) {
			hc.c.Close()
		}
		l.track(hc, false)
	}()
	src := &clientIO{c: hc.c, fd: -1}
	hc.br = bufio.NewReaderSize(src, clientBufSize)
	var rc syscall.RawConn
	if sc, ok := hc.c.(syscall.Conn); ok {
		rc, _ = sc.SyscallConn()
	}
	if rc == nil {
		out = l.serveRequests(hc, src) // blocking reads: src.fd stays -1
		return
	}
	// The loop runs inside RawConn.Read, which waits for the poller's
	// read events between calls of the function: see clientIO.
	serve := func(fd uintptr) bool {
		src.fd, src.drained = int(fd), false
		out = l.serveRequests(hc, src)
		return out != connWait
	}
	for out == connWait {
		err := rc.Read(serve)
		src.fd = -1
		if err != nil {
			out = connEnded
		}
	}
}

// Outcomes of serveRequests.
const (
	connEnded   = iota // close the connection
	connWait           // more bytes are needed, none can be read yet
	connHandOff        // hand the connection to net/http
)

// serveRequests serves requests from hc.br until the connection ends, is
// handed off, or needs bytes the client has not sent yet.
func (l *listener) serveRequests(hc *h1conn, src *clientIO) int {
	for {
		if hc.br.Buffered() == 0 {
			hc.refreshDeadline(l.cfg.Load().idle)
		}
		n, err := peekHead(hc.br)
		switch {
		case err == errWouldBlock:
			return connWait
		case err == errHeadTooLarge:
			return connHandOff
		case err != nil:
			return connEnded
		}
		// Active from the first complete head on; a request waiting for
		// the rest of its body stays active.
		if hc.state.Load() != connActive && !hc.state.CompareAndSwap(connIdle, connActive) {
			return connEnded // shutting down
		}
		lc := l.cfg.Load() // the table as of the request's arrival
		head, _ := hc.br.Peek(n)
		hc.s = scratchPool.Get().(*scratch)
		hc.bw = &hc.s.bw
		hc.bw.Reset(src)
		keep := false
		if parseRequestHead(head, &hc.s.req) {
			keep, err = l.serveFast(hc, lc, &hc.s.req, n)
		} else {
			err = errHandOff
		}
		if err == errHandOff && hc.bw.Buffered() > 0 && hc.bw.Flush() != nil {
			err = errHandOffFailed
		}
		hc.bw.Reset(nil)
		hc.s.req.buf, hc.s.resp.buf = nil, nil
		scratchPool.Put(hc.s)
		hc.s, hc.bw = nil, nil
		switch {
		case err == errWouldBlock:
			return connWait // the body is on its way: serve the request again once here
		case err == errHandOff:
			return connHandOff
		case err != nil || !keep || !hc.state.CompareAndSwap(connActive, connIdle):
			return connEnded
		}
	}
}

// clientIO reads and writes a client connection under its bufio.Reader
// and Writer. Inside RawConn.Read (fd set) it uses the socket itself
// (rawio.go) and, where a read would block, returns errWouldBlock instead
// of waiting: the loop then returns to RawConn.Read, which waits for the
// poller.
//
// That saves a read(2) per request. net.Conn.Read resets the poller's
// readiness and tries read(2) first, which between keep-alive requests is
// EAGAIN nearly every time. Within one RawConn.Read call the readiness is
// not reset, so, as nginx does with edge-triggered epoll, a read that
// returned less than asked for is taken to have drained the socket (data
// arriving after it is an event the next wait sees), and the next read
// waits for that event instead of trying first.
type clientIO struct {
	c       net.Conn
	fd      int  // -1: outside RawConn.Read, use c
	drained bool // the last read returned less than asked for
}

var errWouldBlock = errors.New("lb: read would block")

func (r *clientIO) Read(p []byte) (int, error) {
	if r.fd < 0 {
		return r.c.Read(p)
	}
	if r.drained || len(p) == 0 {
		return 0, errWouldBlock
	}
	n, e := rawRead(r.fd, p)
	switch {
	case e == syscall.EAGAIN:
		r.drained = true
		return 0, errWouldBlock
	case e != 0:
		return 0, &net.OpError{Op: "read", Net: "tcp", Addr: r.c.RemoteAddr(), Err: os.NewSyscallError("read", e)}
	case n == 0:
		return 0, io.EOF
	}
	r.drained = n < len(p)
	return n, nil
}

// Write writes what the socket takes at once; the rest (a full send
// buffer) and errors go through c, which waits and reports as net does.
func (r *clientIO) Write(p []byte) (int, error) {
	n := 0
	if r.fd >= 0 && len(p) > 0 {
		if m, e := rawWrite(r.fd, p); e == 0 {
			n = m
		}
	}
	if n == len(p) {
		return n, nil
	}
	m, err := r.c.Write(p[n:])
	return n + m, err
}

// refreshDeadline keeps the connection's read deadline at most idle ahead.
// Resetting it on every request costs a timer update each time, so it is
// moved only once an eighth of idle has passed: a connection is closed
// after between 7/8 of idle and idle without a new request.
func (hc *h1conn) refreshDeadline(idle time.Duration) {
	if idle <= 0 {
		return
	}
	now := time.Now()
	if d := hc.deadline.Sub(now); d > idle-idle/8 && d <= idle {
		return
	}
	hc.deadline = now.Add(idle)
	hc.c.SetReadDeadline(hc.deadline)
}

var (
	errHeadTooLarge  = &headError{"request head larger than the buffer"}
	errHandOff       = &headError{"request left to net/http"}
	errHandOffFailed = &headError{"request left to net/http, but the connection failed"}
)

type headError struct{ s string }

func (e *headError) Error() string { return e.s }

// peekHead waits until the buffer holds a complete head and returns its
// length, without consuming it.
func peekHead(br *bufio.Reader) (int, error) {
	for {
		if n := br.Buffered(); n > 0 {
			b, _ := br.Peek(n)
			if i := headEnd(b); i >= 0 {
				return i, nil
			}
			if n == br.Size() {
				return 0, errHeadTooLarge
			}
		}
		if _, err := br.Peek(br.Buffered() + 1); err != nil {
			if err == bufio.ErrBufferFull {
				return 0, errHeadTooLarge
			}
			return 0, err
		}
	}
}

// handOff passes the connection, with what was read of it, to the
// listener's net/http server.
func (l *listener) handOff(hc *h1conn) bool {
	hc.c.SetReadDeadline(time.Time{})
	return l.handoff.push(&prefixConn{Conn: hc.c, br: hc.br})
}

// prefixConn is a connection whose first bytes were already read into br.
type prefixConn struct {
	net.Conn
	br *bufio.Reader
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if c.br != nil {
		if c.br.Buffered() > 0 {
			return c.br.Read(p)
		}
		c.br = nil
	}
	return c.Conn.Read(p)
}

// handoffListener is the net.Listener the listener's net/http server
// accepts handed-off connections from.
type handoffListener struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newHandoffListener(addr net.Addr) *handoffListener {
	return &handoffListener{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

func (h *handoffListener) push(c net.Conn) bool {
	select {
	case h.ch <- c:
		return true
	case <-h.done:
		return false
	}
}

func (h *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-h.ch:
		return c, nil
	case <-h.done:
		return nil, net.ErrClosed
	}
}

func (h *handoffListener) Close() error {
	h.once.Do(func() { close(h.done) })
	return nil
}

func (h *handoffListener) Addr() net.Addr { return h.addr }

// shutdownFast closes idle connections of the fast loop until none is
// left (an active one closes itself after its response), or closes them
// all when ctx ends.
func (l *listener) shutdownFast(ctx context.Context) error {
	l.hmu.Lock()
	done := make(chan struct{})
	if len(l.conns) == 0 {
		close(done)
	} else {
		l.connsIdle = done
	}
	l.hmu.Unlock()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		l.hmu.Lock()
		for hc := range l.conns {
			if hc.state.CompareAndSwap(connIdle, connClosed) {
				hc.c.Close()
			}
		}
		l.hmu.Unlock()
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			// A connection's Close waits until its loop leaves RawConn.Read,
			// which an active one does after its response: not under hmu.
			l.hmu.Lock()
			for hc := range l.conns {
				hc.state.Store(connClosed)
				go hc.c.Close()
			}
			l.hmu.Unlock()
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// remote is the client's address as net/http's RemoteAddr has it.
func (hc *h1conn) remote() string {
	if hc.remoteAddr == "" {
		hc.remoteAddr = hc.c.RemoteAddr().String()
	}
	return hc.remoteAddr
}

// clientIP is the client's IP, for X-Forwarded-For.
func (hc *h1conn) clientIP() string {
	if hc.ip == "" {
		hc.ip = clientIP(hc.remote())
	}
	return hc.ip
}

// cookieValue returns the value of the named cookie, or "".
func (h *reqHead) cookieValue(name string) string {
	for i := 0; i < h.n; i++ {
		if h.fields[i].kind != hdrCookie {
			continue
		}
		v := h.fieldVal(i)
		for len(v) > 0 {
			var pair []byte
			pair, v, _ = bytes.Cut(v, []byte(";"))
			pair = bytes.TrimSpace(pair)
			k, val, ok := bytes.Cut(pair, []byte("="))
			if ok && string(k) == name {
				if len(val) > 1 && val[0] == '"' && val[len(val)-1] == '"' {
					val = val[1 : len(val)-1]
				}
				return string(val)
			}
		}
	}
	return ""
}
