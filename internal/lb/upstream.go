package lb

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"time"
)

// upstream is a lean HTTP/1.1 client for one target, used for the common
// request — an idempotent method without a body and without an upgrade.
// It writes the request and reads the response on the handler's goroutine,
// where net/http's Transport hands each request to a writer goroutine and
// each response back from a reader goroutine (channels, selects, a
// background read per response). Everything else (bodies, upgrades, other
// methods) takes the Transport. docs/benchmarks.md has the measured gain.
type upstream struct {
	addr    string
	timeout time.Duration // response header timeout (the LB idle timeout)
	dialer  net.Dialer

	mu     sync.Mutex
	idle   []*upConn
	closed bool
}

const maxIdlePerTarget = 1024

type upConn struct {
	since    time.Time // pooled since
	deadline time.Time // read deadline last set (refreshDeadline)
	c        net.Conn
	rc       syscall.RawConn // nil: flushAwait is a plain flush
	br       *bufio.Reader
	bw       *bufio.Writer // writes through upWriter
	reused   bool
	armed    bool // the next write to c is the request's last (flushAwait)
	// answered: flushAwait saw the answer arrive on socket fd; the next
	// read is a plain read(2) (rawio.go).
	answered bool
	fd       int
	// The state of upWriter's armed write, and its callback for
	// RawConn.Read, made once rather than a closure per request.
	await        func(fd uintptr) bool
	awaitP       []byte
	awaitN       int
	awaitWaiting bool
}

func newUpConn(c net.Conn) *upConn {
	uc := &upConn{c: c}
	if sc, ok := c.(syscall.Conn); ok {
		uc.rc, _ = sc.SyscallConn()
		uc.await = uc.awaitStep
	}
	uc.br = bufio.NewReaderSize(upReader{uc}, upstreamBufSize)
	uc.bw = bufio.NewWriterSize(upWriter{uc}, 4096)
	return uc
}

// flushAwait sends the rest of a request and returns once the target's
// answer can be read (or the read deadline passed, or the connection
// failed: the read that follows reports it).
//
// It saves a read(2) per request. A plain Write and Read try read(2) first
// and, the response not being there yet, get EAGAIN before parking in the
// netpoller. Here the last write(2) of the request happens inside
// RawConn.Read, after the poller's read readiness was reset, so the
// response's arrival is the event that wakes the goroutine and the next
// read(2) finds it. Nothing the target sends can be missed: an answer
// cannot precede the request, and a target that closed the idle connection
// earlier answers the write with a reset, which is an event too.
func (uc *upConn) flushAwait() error {
	if uc.rc == nil || uc.bw.Buffered() == 0 {
		return uc.bw.Flush()
	}
	uc.armed = true
	err := uc.bw.Flush()
	uc.armed = false
	return err
}

// upWriter is the writer under upConn.bw.
type upWriter struct{ uc *upConn }

func (w upWriter) Write(p []byte) (int, error) {
	uc := w.uc
	if !uc.armed {
		return uc.c.Write(p)
	}
	uc.armed = false
	uc.awaitP, uc.awaitN, uc.awaitWaiting = p, 0, false
	err := uc.rc.Read(uc.await)
	n := uc.awaitN
	uc.awaitP = nil
	if n < len(p) {
		m, werr := uc.c.Write(p[n:])
		return n + m, werr
	}
	// The request is sent. If the wait failed (deadline, closed), the
	// read that follows meets the same failure.
	uc.answered = err == nil
	return n, nil
}

// awaitStep is called by RawConn.Read: first to write the request's last
// part, then, once the poller saw the socket readable, to end the wait.
func (uc *upConn) awaitStep(fd uintptr) bool {
	if uc.awaitWaiting {
		uc.fd = int(fd)
		return true
	}
	if m, e := rawWrite(int(fd), uc.awaitP); e == 0 {
		uc.awaitN = m
	}
	// A short or failed write: the rest goes the usual way, which also
	// reports the error as net does.
	uc.awaitWaiting = uc.awaitN == len(uc.awaitP)
	return !uc.awaitWaiting
}

// upReader is the reader under upConn.br.
type upReader struct{ uc *upConn }

func (r upReader) Read(p []byte) (int, error) {
	uc := r.uc
	if !uc.answered || len(p) == 0 {
		return uc.c.Read(p)
	}
	uc.answered = false
	n, e := rawRead(uc.fd, p)
	switch {
	case e == syscall.EAGAIN:
		return uc.c.Read(p) // a wake-up without data: wait as usual
	case e != 0:
		return 0, &net.OpError{Op: "read", Net: "tcp", Addr: uc.c.RemoteAddr(), Err: os.NewSyscallError("read", e)}
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

func newUpstream(addr string, timeout time.Duration) *upstream {
	return &upstream{addr: addr, timeout: timeout, dialer: net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}}
}

func (u *upstream) get(r *http.Request) (*upConn, error) {
	u.mu.Lock()
	if n := len(u.idle); n > 0 {
		uc := u.idle[n-1]
		u.idle = u.idle[:n-1]
		u.mu.Unlock()
		uc.reused = true
		return uc, nil
	}
	u.mu.Unlock()
	c, err := u.dialer.DialContext(r.Context(), "tcp", u.addr)
	if err != nil {
		return nil, err
	}
	return newUpConn(c), nil
}

const upstreamIdleTimeout = 90 * time.Second

// put pools uc. now is when its last response started or later (an
// earlier time only makes the connection look older to the stale check).
func (u *upstream) put(uc *upConn, now time.Time) {
	uc.since = now
	var stale *upConn
	u.mu.Lock()
	if u.closed || len(u.idle) >= maxIdlePerTarget {
		u.mu.Unlock()
		uc.c.Close()
		return
	}
	// The pool is a stack: the oldest connection is at the bottom.
	if len(u.idle) > 0 && uc.since.Sub(u.idle[0].since) > upstreamIdleTimeout {
		stale = u.idle[0]
		u.idle = append(u.idle[:0], u.idle[1:]...)
	}
	u.idle = append(u.idle, uc)
	u.mu.Unlock()
	if stale != nil {
		stale.c.Close()
	}
}

// closeIdle closes pooled connections; with final set, later returns
// close too (the target left).
func (u *upstream) closeIdle(final bool) {
	u.mu.Lock()
	idle := u.idle
	u.idle = nil
	if final {
		u.closed = true
	}
	u.mu.Unlock()
	for _, uc := range idle {
		uc.c.Close()
	}
}

// fastPathOK reports whether a request may use the lean client.
func fastPathOK(r *http.Request, upType string) bool {
	if upType != "" || (r.Body != nil && r.Body != http.NoBody) || r.ContentLength > 0 {
		return false
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	return false
}

// roundTrip sends a bodiless idempotent request. A pooled connection that
// turns out dead before a byte of the response arrived (the target closed
// it while idle) is replaced by a fresh one once, as net/http does; a dial
// error is returned as is (a *net.OpError "dial": shouldRetry picks
// another target).
func (u *upstream) roundTrip(out *http.Request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		uc, err := u.get(out)
		if err != nil {
			return nil, err
		}
		uc.refreshDeadline(u.timeout, time.Now())
		err = out.Write(uc.bw)
		if err == nil {
			err = uc.bw.Flush()
		}
		var resp *http.Response
		if err == nil {
			resp, err = http.ReadResponse(uc.br, out)
			for err == nil && resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
				resp.Body.Close()
				resp, err = http.ReadResponse(uc.br, out) // skip 1xx (103 Early Hints)
			}
		}
		if err != nil {
			uc.c.Close()
			if uc.reused && attempt == 0 && staleConnError(err) {
				continue
			}
			return nil, err
		}
		// The header deadline must not cut a slow body short — unless the
		// body is already buffered and the connection will not be read
		// again before the next request sets a new deadline.
		if resp.ContentLength < 0 || int64(uc.br.Buffered()) < resp.ContentLength {
			uc.clearDeadline()
		}
		resp.Body = &upBody{rc: resp.Body, uc: uc, u: u, keep: !resp.Close}
		return resp, nil
	}
}

// staleConnError: the connection was closed under us before a response
// byte arrived.
func staleConnError(err error) bool {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) && !op.Timeout() {
		return op.Op == "read" || op.Op == "write"
	}
	return false
}

// upBody returns its connection to the pool once the body was read to the
// end; a body closed early takes its connection down with it.
type upBody struct {
	rc   io.ReadCloser
	uc   *upConn
	u    *upstream
	keep bool
	done bool
}

func (b *upBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	n, err := b.rc.Read(p)
	if err == io.EOF {
		b.done = true
		if b.keep {
			b.u.put(b.uc, time.Now())
		} else {
			b.uc.c.Close()
		}
	}
	return n, err
}

func (b *upBody) Close() error {
	if !b.done {
		b.done = true
		b.uc.c.Close()
	}
	return nil
}
