package lb

import (
	"context"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// listenerConfig is the compiled, immutable routing table of a listener.
// Apply swaps it atomically; a request reads one pointer and sees either
// the old or the new table, never a mix.
type listenerConfig struct {
	arn        string
	port       string
	portHeader []string
	idle       time.Duration // the load balancer's idle timeout
	rules      []rule        // by ascending priority
	def        *action
}

// listener is a bound socket, its connection loop (h1.go) and the
// net/http server that loop hands unusual connections to. It lives as long
// as its address (load balancer IP and port) stays in the configuration;
// rule and action changes only swap cfg, so connections are never
// interrupted.
type listener struct {
	b       *Balancer
	addr    string
	ln      net.Listener
	handoff *handoffListener
	srv     *http.Server
	cfg     atomic.Pointer[listenerConfig]
	closing atomic.Bool

	hmu       sync.Mutex
	hijacked  map[net.Conn]struct{}
	hwg       sync.WaitGroup
	conns     map[*h1conn]struct{}
	connsIdle chan struct{} // closed when conns empties during shutdown
}

func (b *Balancer) newListener(addr string, idle time.Duration, lc *listenerConfig) (*listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	l := &listener{b: b, addr: addr, ln: ln, handoff: newHandoffListener(ln.Addr()),
		hijacked: map[net.Conn]struct{}{}, conns: map[*h1conn]struct{}{}}
	l.cfg.Store(lc)
	l.srv = &http.Server{
		Handler:           l,
		ReadHeaderTimeout: idle,
		IdleTimeout:       idle,
		ErrorLog:          log.New(slogWriter{b.log}, "", 0),
	}
	serveLn := net.Listener(l.handoff)
	if b.opts.NetHTTPServer {
		serveLn = ln
	}
	go func() {
		if err := l.srv.Serve(serveLn); err != nil && err != http.ErrServerClosed && !l.closing.Load() {
			b.log.Error("listener stopped", "addr", addr, "err", err)
		}
	}()
	if !b.opts.NetHTTPServer {
		go l.accept()
	}
	b.log.Info("listener bound", "addr", ln.Addr().String(), "listener", lc.arn)
	return l, nil
}

// Addr is the bound address.
func (l *listener) Addr() net.Addr { return l.ln.Addr() }

func (l *listener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	lc := l.cfg.Load()
	start := time.Now()
	var e *logEntry
	if l.b.accessLog != nil {
		e = &logEntry{at: start, port: lc.port, client: r.RemoteAddr, method: r.Method, uri: r.RequestURI,
			proto: r.Proto, ua: r.UserAgent(), reqProc: -1, targetProc: -1, respProc: -1}
		defer l.b.accessLog.write(e)
	}
	v := reqView{r: r}
	a := lc.def
	if rl := matchRule(lc.rules, &v); rl != nil {
		a = rl.action
	}
	switch a.kind {
	case actForward:
		l.forward(w, r, lc, a, start, e)
	case actFixed:
		w.Header().Set("Content-Type", a.contentType)
		w.WriteHeader(a.status)
		io.WriteString(w, a.body)
		if e != nil {
			e.elbStatus = a.status
		}
	case actRedirect:
		http.Redirect(w, r, a.redirect.location(r, lc.port), a.redirect.status)
		if e != nil {
			e.elbStatus = a.redirect.status
		}
	}
}

func (l *listener) trackHijacked(c net.Conn, add bool) {
	l.hmu.Lock()
	defer l.hmu.Unlock()
	if add {
		l.hijacked[c] = struct{}{}
		l.hwg.Add(1)
	} else {
		delete(l.hijacked, c)
		l.hwg.Done()
	}
}

// shutdown stops accepting, lets in-flight requests (and upgraded
// connections) finish until ctx ends, then closes what is left.
func (l *listener) shutdown(ctx context.Context) {
	l.closing.Store(true)
	l.ln.Close()
	fastDone := make(chan error, 1)
	go func() { fastDone <- l.shutdownFast(ctx) }()
	err := l.srv.Shutdown(ctx)
	if ferr := <-fastDone; err == nil {
		err = ferr
	}
	done := make(chan struct{})
	go func() { l.hwg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		l.srv.Close()
		l.hmu.Lock()
		for c := range l.hijacked {
			c.Close()
		}
		l.hmu.Unlock()
	}
	l.b.log.Info("listener closed", "addr", l.addr, "graceful", err == nil)
}

// slogWriter routes net/http's server error log to slog at debug level
// (client resets and TLS probes are not errors of the balancer).
type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.log.Debug("http server", "msg", string(p))
	return len(p), nil
}
