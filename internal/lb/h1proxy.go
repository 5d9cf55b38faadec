package lb

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"
)

// serveFast serves the request whose head h (n bytes) sits in hc.br. It
// returns whether the connection stays open, or errHandOff (nothing of
// the request consumed) when net/http must serve it.
func (l *listener) serveFast(hc *h1conn, lc *listenerConfig, h *reqHead, n int) (bool, error) {
	start := time.Now()
	var v reqView
	if len(lc.rules) > 0 {
		p, q, ok := targetPath(h.targetBytes())
		if !ok {
			return false, errHandOff
		}
		v = reqView{h: h, path: p, rawQuery: q, remote: hc.remote()}
	}
	a := lc.def
	if rl := matchRule(lc.rules, &v); rl != nil {
		a = rl.action
	}
	switch a.kind {
	case actFixed:
		if h.contentLength > 0 {
			return false, errHandOff // let net/http read and discard the body
		}
		if l.b.accessLog != nil {
			l.b.accessLog.write(&logEntry{at: start, port: lc.port, client: hc.remote(), method: h.str(h.method), uri: h.str(h.target),
				proto: "HTTP/1.1", elbStatus: a.status, reqProc: -1, targetProc: -1, respProc: -1})
		}
		keep := !h.close && !l.closing.Load()
		writeFixedFast(hc.bw, a, keep, h.methodIs(http.MethodHead))
		if _, err := hc.br.Discard(n); err != nil {
			return false, err
		}
		return keep, hc.bw.Flush()
	case actRedirect:
		return false, errHandOff
	}
	size := n + int(h.contentLength)
	if h.contentLength > 0 {
		// Bodies that fit the buffer are forwarded from it (and can be sent
		// again on a retry); larger ones stream through net/http.
		if size > hc.br.Size() {
			return false, errHandOff
		}
		all, err := hc.br.Peek(size)
		if err != nil {
			return false, err
		}
		// Peek may have moved the buffered bytes: parse again in place.
		if !parseRequestHead(all[:n], h) {
			return false, errHandOff
		}
	}
	var e *logEntry
	if l.b.accessLog != nil {
		e = &logEntry{at: start, port: lc.port, client: hc.remote(), method: h.str(h.method), uri: h.str(h.target),
			proto: "HTTP/1.1", reqProc: -1, targetProc: -1, respProc: -1}
		if h.ua >= 0 {
			e.ua = string(h.fieldVal(h.ua))
		}
		defer l.b.accessLog.write(e)
	}
	isHead := h.methodIs(http.MethodHead)
	ok, keep := l.forwardFast(hc, lc, a, h, size, start, e, !h.close, isHead)
	if _, err := hc.br.Discard(size); err != nil {
		return false, err
	}
	if !ok {
		return false, nil
	}
	return keep, hc.bw.Flush()
}

// forwardFast proxies the request to a target of the forward action's
// group and relays the response. ok is false when the client connection
// must close at once (a broken response or a write error); keep is false
// when it closes after the response (the client asked, or the listener
// shuts down).
func (l *listener) forwardFast(hc *h1conn, lc *listenerConfig, a *action, h *reqHead, size int, start time.Time, e *logEntry, keep, isHead bool) (ok, _ bool) {
	var groupCookie string
	if a.groupSticky > 0 && h.cookie {
		groupCookie = h.cookieValue("AWSALBTG")
	}
	wg, setGroupCookie := a.pickGroup(groupCookie)
	tg := wg.tg
	cfg := tg.cfg.Load()
	var stickyCookie string
	if cfg.sticky > 0 && h.cookie {
		stickyCookie = h.cookieValue("AWSALB")
	}
	if e != nil {
		e.group = tg.arn
		if h.trace >= 0 {
			e.trace = string(h.fieldVal(h.trace))
		}
	}
	idem := idempotent(string(h.bytes(h.method)))
	var t, failed *target
	var uc *upConn
	var rn int
	var err error
	var sent time.Time
	for attempt := 0; ; attempt++ {
		t = acquireTarget(tg, failed, stickyCookie)
		if t == nil {
			break
		}
		sent = start // a clock read less per request: the rule match took nanoseconds
		if attempt > 0 {
			sent = time.Now()
		}
		uc, rn, err = t.up.exchange(idem, sent, func(bw *bufio.Writer) {
			writeRequest(bw, h, hc, lc, size, start, e)
		})
		if err == nil {
			break
		}
		t.release(l.b)
		if !shouldRetry(string(h.bytes(h.method)), false, err, attempt) { // the body is buffered: sent again whole
			break
		}
		l.b.log.Debug("retrying on another target", "targetGroup", tg.arn, "target", t.key, "err", err)
		failed, t = t, nil
	}
	if t == nil && err == nil {
		tg.metrics.observe(0, http.StatusServiceUnavailable, 0, false)
		if e != nil {
			e.elbStatus, e.reqProc = http.StatusServiceUnavailable, time.Since(start)
		}
		keep = keep && !l.closing.Load()
		return writeELBErrorFast(hc.bw, http.StatusServiceUnavailable, keep, isHead), keep
	}
	keep = keep && !l.closing.Load()
	if err != nil {
		code := http.StatusBadGateway
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			code = http.StatusGatewayTimeout
		}
		tg.metrics.observe(0, code, 0, false)
		if e != nil {
			e.target, e.elbStatus, e.reqProc = t.addrOr(failed), code, time.Since(start)
		}
		l.b.log.Debug("target request failed", "targetGroup", tg.arn, "status", code, "err", err)
		return writeELBErrorFast(hc.bw, code, keep, isHead), keep
	}
	defer t.release(l.b)
	got := time.Now()
	keep = keep && !l.closing.Load() // as late as possible: the target may have been slow

	rh := &hc.s.resp
	var resp *http.Response
	if rn < 0 || !parseResponseHead(peekN(uc.br, rn), rh) {
		// A head the strict parser leaves alone: net/http reads it.
		req := getRequest
		if isHead {
			req = headRequest
		}
		resp, err = http.ReadResponse(uc.br, req)
		if err == nil && resp.StatusCode == http.StatusSwitchingProtocols {
			err = errors.New("101 Switching Protocols without an upgrade request")
		}
		if err != nil {
			uc.c.Close()
			tg.metrics.observe(0, http.StatusBadGateway, 0, false)
			if e != nil {
				e.target, e.elbStatus, e.reqProc = t.addr, http.StatusBadGateway, sent.Sub(start)
			}
			return writeELBErrorFast(hc.bw, http.StatusBadGateway, keep, isHead), keep
		}
		rh.respInfo = respInfo{code: resp.StatusCode, contentLength: resp.ContentLength, close: resp.Close}
	} else if rh.code == http.StatusSwitchingProtocols {
		uc.c.Close()
		tg.metrics.observe(0, http.StatusBadGateway, 0, false)
		return writeELBErrorFast(hc.bw, http.StatusBadGateway, keep, isHead), keep
	}
	tg.metrics.observe(rh.code, rh.code, got.Sub(sent), true)
	if e != nil {
		e.target, e.targetStatus, e.elbStatus = t.addr, rh.code, rh.code
		e.reqProc, e.targetProc = sent.Sub(start), got.Sub(sent)
		defer func() { e.respProc = time.Since(got) }()
	}

	bw := hc.bw
	bw.WriteString("HTTP/1.1 ")
	chunkOut := false
	if resp != nil {
		bw.WriteString(resp.Status)
		bw.WriteString("\r\n")
		removeHopHeaders(resp.Header)
		resp.Header.Del("Content-Length")
		resp.Header.Write(bw)
		if resp.ContentLength >= 0 && rh.hasBody(false) {
			bw.WriteString("Content-Length: ")
			bw.Write(strconv.AppendInt(bw.AvailableBuffer(), resp.ContentLength, 10))
			bw.WriteString("\r\n")
		}
		chunkOut = resp.ContentLength < 0 && rh.hasBody(isHead)
	} else {
		bw.Write(rh.statusLineRest())
		bw.WriteString("\r\n")
		for i := 0; i < rh.n; i++ {
			f := &rh.fields[i]
			switch {
			case f.hopByNamed, f.kind == hdrContentLength && rh.chunked:
				continue
			}
			switch f.kind {
			case hdrHop, hdrTE, hdrUpgrade, hdrConnection, hdrTransferEncoding:
				continue
			}
			bw.Write(rh.fieldLine(i))
			bw.WriteString("\r\n")
		}
		chunkOut = rh.hasBody(isHead) && (rh.chunked || rh.contentLength < 0)
	}
	if cfg.sticky > 0 {
		bw.WriteString("Set-Cookie: ")
		bw.WriteString(stickCookie("AWSALB", t.cookie, cfg.sticky, start))
		bw.WriteString("\r\n")
	}
	if setGroupCookie {
		bw.WriteString("Set-Cookie: ")
		bw.WriteString(stickCookie("AWSALBTG", wg.cookie, a.groupSticky, start))
		bw.WriteString("\r\n")
	}
	if chunkOut {
		bw.WriteString("Transfer-Encoding: chunked\r\n")
	}
	if !keep {
		bw.WriteString("Connection: close\r\n")
	}
	bw.WriteString("\r\n")

	// The body. reusable: the target connection can serve another request.
	var reusable bool
	var rerr, werr error
	switch {
	case resp != nil:
		uc.clearDeadline()
		werr, rerr = relayBody(bw, resp.Body, chunkOut)
		resp.Body.Close()
		reusable = false
	case !rh.hasBody(isHead):
		uc.br.Discard(rn)
		reusable = !rh.close
		if rh.hasBody(false) && isHead && rh.chunked {
			reusable = false // a HEAD answered with a body would desync
		}
	case rh.chunked:
		uc.br.Discard(rn)
		uc.clearDeadline()
		werr, rerr = relayChunked(bw, uc.br)
		reusable = !rh.close
	case rh.contentLength >= 0:
		uc.br.Discard(rn)
		if int64(uc.br.Buffered()) < rh.contentLength {
			uc.clearDeadline() // a slow body is not a response timeout
		}
		werr, rerr = copyN(bw, uc.br, rh.contentLength)
		reusable = !rh.close
	default: // delimited by the target closing the connection
		uc.br.Discard(rn)
		uc.clearDeadline()
		werr, rerr = relayBody(bw, uc.br, true)
		reusable = false
	}
	if rerr == nil && werr == nil && reusable {
		t.up.put(uc, got)
	} else {
		uc.c.Close()
	}
	if rerr != nil {
		// The target broke off mid-body; the client must see a broken
		// response, not a short one.
		l.b.log.Debug("target response body failed", "targetGroup", tg.arn, "target", t.key, "err", rerr)
		return false, false
	}
	return werr == nil, keep
}

// writeRequest writes the forwarded request: the client's request line
// and fields minus hop-by-hop ones, the X-Forwarded-* fields, a trace id
// when the client sent none, and the body (already buffered), into bw;
// exchange sends it.
func writeRequest(bw *bufio.Writer, h *reqHead, hc *h1conn, lc *listenerConfig, size int, start time.Time, e *logEntry) {
	b := h.buf
	bw.Write(b[:int(h.target[1])+len(" HTTP/1.1\r\n")]) // the request line, as parsed
	for i := 0; i < h.n; i++ {
		switch h.fields[i].kind {
		case hdrHop, hdrForwardedProto, hdrXFF, hdrConnection:
			continue
		}
		bw.Write(h.fieldLine(i))
		bw.WriteString("\r\n")
	}
	bw.WriteString("X-Forwarded-For: ")
	if h.hasXFF {
		for i := 0; i < h.n; i++ {
			if h.fields[i].kind == hdrXFF {
				bw.Write(h.fieldVal(i))
				bw.WriteString(", ")
			}
		}
	}
	bw.WriteString(hc.clientIP())
	bw.WriteString("\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Port: ")
	bw.WriteString(lc.port)
	bw.WriteString("\r\n")
	if h.trace < 0 {
		bw.WriteString("X-Amzn-Trace-Id: ")
		id := appendTraceID(bw.AvailableBuffer(), start)
		if e != nil {
			e.trace = string(id)
		}
		bw.Write(id)
		bw.WriteString("\r\n")
	}
	bw.WriteString("\r\n")
	if size > len(b) {
		// The body follows the head in the same buffer (serveFast peeked it).
		bw.Write(b[len(b):size])
	}
}

// exchange sends a request on a pooled (or new) connection and waits for
// the response head, returning its length in uc.br (-1: larger than the
// buffer). A pooled connection found dead before a byte of the response
// arrived is replaced once for an idempotent request, as net/http does; a
// non-idempotent one is only sent on a pooled connection the target has
// not closed. A dial error is returned as is (see shouldRetry).
func (u *upstream) exchange(idempotent bool, now time.Time, write func(*bufio.Writer)) (*upConn, int, error) {
	for attempt := 0; ; attempt++ {
		uc, err := u.getFast(!idempotent)
		if err != nil {
			return nil, 0, err
		}
		uc.refreshDeadline(u.timeout, now)
		write(uc.bw)
		err = uc.flushAwait() // also reports a failed write of an earlier part
		n := 0
		if err == nil {
			n, err = peekHead(uc.br)
			if err == errHeadTooLarge {
				n, err = -1, nil
			}
		}
		if err != nil {
			uc.c.Close()
			if staleConnError(err) {
				if uc.reused && attempt == 0 && idempotent {
					continue
				}
				err = &noResponseError{err}
			}
			return nil, 0, err
		}
		// Skip interim responses (100 Continue, 103 Early Hints).
		for n > 0 {
			b := peekN(uc.br, n)
			if len(b) < 12 || b[9] != '1' || string(b[9:12]) == "101" {
				break
			}
			uc.br.Discard(n)
			if n, err = peekHead(uc.br); err == errHeadTooLarge {
				n, err = -1, nil
			}
			if err != nil {
				uc.c.Close()
				return nil, 0, err
			}
		}
		return uc, n, nil
	}
}

// getFast takes a pooled connection (checking, if asked, that the target
// has not closed it) or dials one.
func (u *upstream) getFast(checkAlive bool) (*upConn, error) {
	for {
		u.mu.Lock()
		n := len(u.idle)
		if n == 0 {
			u.mu.Unlock()
			break
		}
		uc := u.idle[n-1]
		u.idle = u.idle[:n-1]
		u.mu.Unlock()
		if checkAlive && !connAlive(uc.c) {
			uc.c.Close()
			continue
		}
		uc.reused = true
		return uc, nil
	}
	c, err := u.dialer.Dial("tcp", u.addr)
	if err != nil {
		return nil, err
	}
	return newUpConn(c), nil
}

// connAlive peeks at an idle connection without blocking: a connection
// the peer closed reads EOF (or an error), a healthy idle one EAGAIN.
func connAlive(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	alive := false
	var b [1]byte
	err = rc.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		alive = n < 0 && (err == syscall.EAGAIN || err == syscall.EWOULDBLOCK)
		return true
	})
	return err == nil && alive
}

// refreshDeadline keeps the response timeout: the read deadline is at
// least timeout and at most 9/8 of it ahead, moved only when needed
// (a timer update per request is measurable).
func (uc *upConn) refreshDeadline(timeout time.Duration, now time.Time) {
	if timeout <= 0 {
		return
	}
	if !uc.deadline.IsZero() && uc.deadline.Sub(now) >= timeout {
		return
	}
	uc.deadline = now.Add(timeout + timeout/8)
	uc.c.SetReadDeadline(uc.deadline)
}

func (uc *upConn) clearDeadline() {
	if !uc.deadline.IsZero() {
		uc.deadline = time.Time{}
		uc.c.SetReadDeadline(time.Time{})
	}
}

// noResponseError: the target connection failed (reset, closed) before a
// byte of the response arrived. An idempotent request may then be sent to
// another target (RFC 9110 §9.2.2): this is what a target that just died
// behind a port proxy looks like (Docker's userland proxy accepts, then
// resets).
type noResponseError struct{ err error }

func (e *noResponseError) Error() string { return "no response: " + e.err.Error() }
func (e *noResponseError) Unwrap() error { return e.err }

func isNoResponse(err error) bool {
	var nr *noResponseError
	return errors.As(err, &nr)
}

func peekN(br *bufio.Reader, n int) []byte {
	b, _ := br.Peek(n)
	return b
}

// copyN copies n body bytes; it reports write and read errors apart.
func copyN(w *bufio.Writer, r *bufio.Reader, n int64) (werr, rerr error) {
	for n > 0 {
		if r.Buffered() == 0 {
			if w.Buffered() > 0 {
				if werr = w.Flush(); werr != nil {
					return
				}
			}
			if _, rerr = r.Peek(1); rerr != nil {
				return nil, noEOF(rerr)
			}
		}
		b, _ := r.Peek(min(r.Buffered(), int(min(n, 1<<30))))
		if _, werr = w.Write(b); werr != nil {
			return
		}
		r.Discard(len(b))
		n -= int64(len(b))
	}
	return nil, nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// relayChunked copies a chunked body verbatim (chunk extensions and
// trailers included), flushing whenever the target has sent nothing more.
func relayChunked(w *bufio.Writer, r *bufio.Reader) (werr, rerr error) {
	for {
		if r.Buffered() == 0 && w.Buffered() > 0 {
			if werr = w.Flush(); werr != nil {
				return
			}
		}
		line, err := r.ReadSlice('\n')
		if err != nil {
			return nil, noEOF(err)
		}
		size, ok := chunkSize(line)
		if !ok {
			return nil, errors.New("malformed chunk size line")
		}
		if _, werr = w.Write(line); werr != nil {
			return
		}
		if size == 0 {
			// Trailer fields, then the blank line.
			for {
				line, err := r.ReadSlice('\n')
				if err != nil {
					return nil, noEOF(err)
				}
				if _, werr = w.Write(line); werr != nil {
					return
				}
				if len(line) <= 2 {
					return nil, nil
				}
			}
		}
		if werr, rerr = copyN(w, r, size); werr != nil || rerr != nil {
			return
		}
		crlf, err := r.Peek(2)
		if err != nil || crlf[0] != '\r' || crlf[1] != '\n' {
			return nil, errors.New("malformed chunk end")
		}
		r.Discard(2)
		if _, werr = w.WriteString("\r\n"); werr != nil {
			return
		}
	}
}

// chunkSize parses "HEX[;ext]\r\n".
func chunkSize(line []byte) (int64, bool) {
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return 0, false
	}
	var n int64
	digits := 0
	for _, c := range line[:len(line)-2] {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		case c == ';' || c == ' ' || c == '\t':
			return n, digits > 0
		default:
			return 0, false
		}
		if digits == 15 {
			return 0, false
		}
		n = n<<4 | int64(d)
		digits++
	}
	return n, digits > 0
}

// relayBody copies a body of unknown length, chunk-encoding it for the
// client when chunked is set, flushing whenever the source has nothing
// more buffered.
func relayBody(w *bufio.Writer, r io.Reader, chunked bool) (werr, rerr error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if chunked {
				w.Write(strconv.AppendInt(w.AvailableBuffer(), int64(n), 16))
				w.WriteString("\r\n")
			}
			w.Write(buf[:n])
			if chunked {
				w.WriteString("\r\n")
			}
			if werr = w.Flush(); werr != nil {
				return
			}
		}
		if err == io.EOF {
			if chunked {
				_, werr = w.WriteString("0\r\n\r\n")
			}
			return
		}
		if err != nil {
			return nil, err
		}
	}
}

// Requests http.ReadResponse needs to know whether a body follows.
var (
	getRequest  = &http.Request{Method: http.MethodGet}
	headRequest = &http.Request{Method: http.MethodHead}
)

// writeFixedFast answers with a fixed-response action.
func writeFixedFast(bw *bufio.Writer, a *action, keep, isHead bool) {
	writeStatusLine(bw, a.status)
	bw.WriteString("Content-Type: ")
	bw.WriteString(a.contentType)
	writeDateAndLength(bw, len(a.body), keep)
	if !isHead {
		bw.WriteString(a.body)
	}
}

func writeStatusLine(bw *bufio.Writer, code int) {
	bw.WriteString("HTTP/1.1 ")
	bw.Write(strconv.AppendInt(bw.AvailableBuffer(), int64(code), 10))
	bw.WriteString(" ")
	bw.WriteString(http.StatusText(code))
	bw.WriteString("\r\n")
}

// writeDateAndLength ends a head that the proxy writes itself.
func writeDateAndLength(bw *bufio.Writer, n int, keep bool) {
	bw.WriteString("\r\nDate: ")
	bw.Write(time.Now().UTC().AppendFormat(bw.AvailableBuffer(), http.TimeFormat))
	bw.WriteString("\r\nContent-Length: ")
	bw.Write(strconv.AppendInt(bw.AvailableBuffer(), int64(n), 10))
	if !keep {
		bw.WriteString("\r\nConnection: close")
	}
	bw.WriteString("\r\n\r\n")
}

// writeELBErrorFast writes ALB's own error page.
func writeELBErrorFast(bw *bufio.Writer, code int, keep, isHead bool) bool {
	body := errorBodies[code]
	writeStatusLine(bw, code)
	bw.WriteString("Server: awselb/2.0\r\nContent-Type: text/html")
	writeDateAndLength(bw, len(body), keep)
	if !isHead {
		bw.WriteString(body)
	}
	return true
}
