package lb

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The proxy is hand-rolled on net/http's server and Transport rather than
// httputil.ReverseProxy: it needs the retry on a failed dial, ALB's status
// mapping and per-target accounting, and it saves ReverseProxy's per-request
// header clone (see docs/benchmarks.md for the measured difference).

var bufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// Shared, read-only header values.
var (
	valHTTP         = []string{"http"}
	valUpgrade      = []string{"Upgrade"}
	valTrailers     = []string{"trailers"}
	serverELB       = []string{"awselb/2.0"}
	contentTypeHTML = []string{"text/html"}
)

// hopHeaders are removed when forwarding (RFC 9110 §7.6.1).
var hopHeaders = [...]string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

func removeHopHeaders(h http.Header) {
	for _, v := range h["Connection"] {
		for v != "" {
			var f string
			f, v, _ = strings.Cut(v, ",")
			if f = textproto.TrimString(f); f != "" {
				h.Del(f)
			}
		}
	}
	for _, k := range hopHeaders {
		delete(h, k)
	}
}

func upgradeType(h http.Header) string {
	if !headerHasToken(h["Connection"], "upgrade") {
		return ""
	}
	return h.Get("Upgrade")
}

func headerHasToken(vals []string, token string) bool {
	for _, v := range vals {
		for v != "" {
			var f string
			f, v, _ = strings.Cut(v, ",")
			if strings.EqualFold(textproto.TrimString(f), token) {
				return true
			}
		}
	}
	return false
}

// idempotent methods may be retried on another target (RFC 9110 §9.2.2).
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// shouldRetry decides whether a failed attempt is repeated on another
// target: only once, only for idempotent methods, only if no byte of the
// request body was consumed, and only if the target cannot have answered:
// the connection failed to open, or (connection loop) it was reset or
// closed before a byte of the response arrived (noResponseError). (On the
// net/http path, a reused keep-alive connection that turns out dead before
// the request was written is already retried by the Transport on a new
// connection, whose dial then fails here if the target died.)
func shouldRetry(method string, bodyStarted bool, err error, attempt int) bool {
	if err == nil || attempt > 0 || bodyStarted || !idempotent(method) {
		return false
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial" || isNoResponse(err)
}

// trackedBody lets a request body survive a failed attempt (the Transport
// closes the body it was given) and records whether it was read.
type trackedBody struct {
	rc   io.ReadCloser
	read bool
}

func (b *trackedBody) Read(p []byte) (int, error) {
	b.read = true
	return b.rc.Read(p)
}

func (b *trackedBody) Close() error { return nil }

// traceID returns a new X-Amzn-Trace-Id value "Root=1-<time>-<96 random bits>".
func traceID(now time.Time) string {
	return string(appendTraceID(nil, now))
}

func appendTraceID(dst []byte, now time.Time) []byte {
	var b [40]byte
	copy(b[:], "Root=1-")
	var t [4]byte
	s := uint32(now.Unix())
	t[0], t[1], t[2], t[3] = byte(s>>24), byte(s>>16), byte(s>>8), byte(s)
	hex.Encode(b[7:15], t[:])
	b[15] = '-'
	var r [12]byte
	x, y := rand.Uint64(), rand.Uint32()
	for i := 0; i < 8; i++ {
		r[i] = byte(x >> (8 * i))
	}
	r[8], r[9], r[10], r[11] = byte(y), byte(y>>8), byte(y>>16), byte(y>>24)
	hex.Encode(b[16:], r[:])
	return append(dst, b[:]...)
}

// clientIP is the host part of a RemoteAddr, without allocating.
func clientIP(remote string) string {
	i := strings.LastIndexByte(remote, ':')
	if i < 0 {
		return remote
	}
	h := remote[:i]
	if len(h) > 1 && h[0] == '[' && h[len(h)-1] == ']' {
		h = h[1 : len(h)-1]
	}
	return h
}

func cookieValue(r *http.Request, name string) string {
	if len(r.Header["Cookie"]) == 0 {
		return ""
	}
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

var errorBodies = map[int]string{
	http.StatusBadGateway:         "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n",
	http.StatusServiceUnavailable: "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n",
	http.StatusGatewayTimeout:     "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n</body>\r\n</html>\r\n",
}

func writeELBError(w http.ResponseWriter, code int) {
	h := w.Header()
	h["Server"] = serverELB
	h["Content-Type"] = contentTypeHTML
	w.WriteHeader(code)
	io.WriteString(w, errorBodies[code])
}

// classify maps a failed round trip to the status ALB would answer: 504 on
// a response timeout, 460 (logged only) when the client went away, else 502.
func classify(r *http.Request, err error) int {
	if r.Context().Err() != nil || errors.Is(err, context.Canceled) {
		return 460
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return http.StatusGatewayTimeout
	}
	return http.StatusBadGateway
}

// forward proxies a request to a target of the forward action's group.
func (l *listener) forward(w http.ResponseWriter, r *http.Request, lc *listenerConfig, a *action, start time.Time, e *logEntry) {
	var groupCookie string
	if a.groupSticky > 0 {
		groupCookie = cookieValue(r, "AWSALBTG")
	}
	wg, setGroupCookie := a.pickGroup(groupCookie)
	tg := wg.tg
	cfg := tg.cfg.Load()
	var stickyCookie string
	if cfg.sticky > 0 {
		stickyCookie = cookieValue(r, "AWSALB")
	}
	if e != nil {
		e.group = tg.arn
	}

	// The outgoing request shares the incoming one's header map, edited in
	// place: the handler owns it and nothing reads it afterwards.
	h := r.Header
	upType := upgradeType(h)
	te := headerHasToken(h["Te"], "trailers")
	removeHopHeaders(h)
	if upType != "" {
		h["Connection"] = valUpgrade
		h["Upgrade"] = []string{upType}
	}
	if te {
		h["Te"] = valTrailers
	}
	ip := clientIP(r.RemoteAddr)
	if prior := h["X-Forwarded-For"]; len(prior) > 0 {
		h["X-Forwarded-For"] = []string{strings.Join(prior, ", ") + ", " + ip}
	} else {
		h["X-Forwarded-For"] = []string{ip}
	}
	h["X-Forwarded-Proto"] = valHTTP
	h["X-Forwarded-Port"] = lc.portHeader
	if len(h["X-Amzn-Trace-Id"]) == 0 {
		h["X-Amzn-Trace-Id"] = []string{traceID(start)}
	}
	if e != nil {
		e.trace = h.Get("X-Amzn-Trace-Id")
	}

	out := new(http.Request)
	*out = *r
	u := *r.URL
	u.Scheme = "http"
	out.URL = &u
	out.RequestURI = ""
	out.Close = false
	var tb *trackedBody
	if r.Body != nil && r.Body != http.NoBody {
		tb = &trackedBody{rc: r.Body}
		out.Body = tb
		// Let the response stream back while the request body still
		// streams in (otherwise net/http consumes the body first).
		_ = http.NewResponseController(w).EnableFullDuplex()
	}

	fast := fastPathOK(r, upType)
	var t, failed *target
	var resp *http.Response
	var err error
	var sent time.Time
	for attempt := 0; ; attempt++ {
		t = acquireTarget(tg, failed, stickyCookie)
		if t == nil {
			break
		}
		u.Host = t.addr
		sent = time.Now()
		if fast {
			resp, err = t.up.roundTrip(out)
		} else {
			resp, err = t.transport.RoundTrip(out)
		}
		if err == nil {
			break
		}
		t.release(l.b)
		if !shouldRetry(r.Method, tb != nil && tb.read, err, attempt) {
			break
		}
		l.b.log.Debug("retrying on another target", "targetGroup", tg.arn, "target", t.key, "err", err)
		failed, t = t, nil
	}
	if t == nil && err == nil {
		// No registered target at all.
		tg.metrics.observe(0, http.StatusServiceUnavailable, 0, false)
		writeELBError(w, http.StatusServiceUnavailable)
		if e != nil {
			e.elbStatus, e.reqProc = http.StatusServiceUnavailable, time.Since(start)
		}
		return
	}
	if err != nil {
		code := classify(r, err)
		tg.metrics.observe(0, code, 0, false)
		if e != nil {
			e.target, e.elbStatus, e.reqProc = t.addrOr(failed), code, time.Since(start)
		}
		if code != 460 {
			l.b.log.Debug("target request failed", "targetGroup", tg.arn, "status", code, "err", err)
			writeELBError(w, code)
		}
		return
	}
	defer t.release(l.b)
	got := time.Now()
	tg.metrics.observe(resp.StatusCode, resp.StatusCode, got.Sub(sent), true)
	if e != nil {
		e.target, e.targetStatus, e.elbStatus = t.addr, resp.StatusCode, resp.StatusCode
		e.reqProc, e.targetProc = sent.Sub(start), got.Sub(sent)
		defer func() { e.respProc = time.Since(got) }()
	}

	if resp.StatusCode == http.StatusSwitchingProtocols {
		l.upgrade(w, resp, upType)
		return
	}

	dst := w.Header()
	removeHopHeaders(resp.Header)
	for k, vv := range resp.Header {
		dst[k] = vv
	}
	if cfg.sticky > 0 {
		dst["Set-Cookie"] = append(dst["Set-Cookie"], stickCookie("AWSALB", t.cookie, cfg.sticky, start))
	}
	if setGroupCookie {
		dst["Set-Cookie"] = append(dst["Set-Cookie"], stickCookie("AWSALBTG", wg.cookie, a.groupSticky, start))
	}
	if len(resp.Trailer) > 0 {
		keys := make([]string, 0, len(resp.Trailer))
		for k := range resp.Trailer {
			keys = append(keys, k)
		}
		dst["Trailer"] = []string{strings.Join(keys, ", ")}
	}
	w.WriteHeader(resp.StatusCode)
	err = copyBody(w, resp.Body, resp.ContentLength == -1)
	resp.Body.Close()
	if err != nil {
		if errors.Is(err, errUpstreamRead) {
			// The target broke off mid-body; the client must see a broken
			// response, not a short one.
			l.b.log.Debug("target response body failed", "targetGroup", tg.arn, "target", t.key, "err", err)
			panic(http.ErrAbortHandler)
		}
		return
	}
	for k, vv := range resp.Trailer {
		dst[http.TrailerPrefix+k] = vv
	}
}

func (t *target) addrOr(other *target) string {
	if t != nil {
		return t.addr
	}
	if other != nil {
		return other.addr
	}
	return ""
}

// acquireTarget picks a target and counts the request in flight on it,
// picking again if it was deregistered between the pick and the count.
func acquireTarget(tg *targetGroup, exclude *target, cookie string) *target {
	for i := 0; i < 8; i++ {
		t := tg.pick(exclude, cookie)
		if t == nil {
			return nil
		}
		if t.acquire() {
			return t
		}
	}
	return nil
}

func (t *target) release(b *Balancer) {
	if t.inflight.Add(-1) == 0 && t.deregistered.Load() {
		b.notify() // may be drained now
	}
}

func stickCookie(name, value string, d time.Duration, now time.Time) string {
	return name + "=" + value + "; Expires=" + now.Add(d).UTC().Format(http.TimeFormat) + "; Path=/"
}

var errUpstreamRead = errors.New("read from target")

// copyBody streams a response body with a pooled buffer, flushing after
// every chunk when the response has no length (streams, server-sent events).
func copyBody(w http.ResponseWriter, body io.Reader, flush bool) error {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	var rc *http.ResponseController
	if flush {
		rc = http.NewResponseController(w)
	}
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
			if rc != nil {
				_ = rc.Flush()
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return errors.Join(errUpstreamRead, rerr)
		}
	}
}

// upgrade completes a protocol switch (WebSocket and others): it hijacks
// the client connection and copies bytes both ways until either side
// closes. The request stays in flight on its target meanwhile.
func (l *listener) upgrade(w http.ResponseWriter, resp *http.Response, reqUp string) {
	backConn, ok := resp.Body.(io.ReadWriteCloser)
	if !ok || !strings.EqualFold(reqUp, upgradeType(resp.Header)) {
		resp.Body.Close()
		writeELBError(w, http.StatusBadGateway)
		return
	}
	defer backConn.Close()
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		writeELBError(w, http.StatusBadGateway)
		return
	}
	l.trackHijacked(conn, true)
	defer l.trackHijacked(conn, false)
	defer conn.Close()
	for k, vv := range resp.Header {
		w.Header()[k] = vv
	}
	resp.Header = w.Header()
	resp.Body = nil
	if err := resp.Write(brw); err != nil {
		return
	}
	if err := brw.Flush(); err != nil {
		return
	}
	if n := brw.Reader.Buffered(); n > 0 {
		pending, _ := brw.Reader.Peek(n)
		if _, err := backConn.Write(pending); err != nil {
			return
		}
	}
	errc := make(chan error, 2)
	go func() { _, err := io.Copy(backConn, conn); errc <- err }()
	go func() { _, err := io.Copy(conn, backConn); errc <- err }()
	<-errc
}

func portHeader(port int32) []string { return []string{strconv.Itoa(int(port))} }
