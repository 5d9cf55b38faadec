package lb

import (
	"bytes"
	"net/url"
)

// The listener's own HTTP/1.1 loop (h1.go) parses request and response
// heads in place, without header maps. The parsers are strict on purpose:
// anything they do not accept goes to net/http (a request is handed off
// with its connection, a response is re-read by http.ReadResponse), which
// then serves it or rejects it with its own errors. So the fast path never
// accepts a message net/http would refuse.

// hdrKind classifies the header fields the proxy acts on.
type hdrKind uint8

const (
	hdrOther hdrKind = iota
	hdrHost
	hdrHop            // hop-by-hop (RFC 9110 §7.6.1), not forwarded
	hdrForwardedProto // X-Forwarded-Proto and -Port: replaced by the proxy
	hdrXFF
	hdrTrace
	hdrCookie
	hdrUserAgent
	hdrContentLength
	hdrTransferEncoding
	hdrConnection
	// Request fields whose semantics the fast path leaves to net/http; in
	// a response, Te and Upgrade are hop-by-hop and the others pass.
	hdrTE
	hdrUpgrade
	hdrTrailer
	hdrExpect
)

// maxHeadFields bounds the fields a fast-path head may have; more go the
// slow way.
const maxHeadFields = 64

type field struct {
	line       [2]int32 // the whole line, without CRLF
	name, val  [2]int32 // name, and value without surrounding whitespace
	kind       hdrKind
	hopByNamed bool // named by the Connection field (responses)
}

// reqHead is a parsed request head. Offsets point into buf, which aliases
// the connection's read buffer until the head is discarded.
type reqHead struct {
	reqInfo
	fields [maxHeadFields]field // the first n are set
}

// reqInfo is what a parse resets (fields past n are stale, and clearing
// them cost a memclr of 1.8 KiB per head).
type reqInfo struct {
	buf           []byte
	method        [2]int32
	target        [2]int32
	n             int
	host          int // index of the Host field
	contentLength int64
	close         bool
	hasXFF        bool
	trace         int // index of X-Amzn-Trace-Id, or -1
	cookie        bool
	ua            int // index of User-Agent, or -1
}

func (h *reqHead) str(o [2]int32) string    { return string(h.buf[o[0]:o[1]]) }
func (h *reqHead) bytes(o [2]int32) []byte  { return h.buf[o[0]:o[1]] }
func (h *reqHead) fieldVal(i int) []byte    { return h.bytes(h.fields[i].val) }
func (h *reqHead) fieldName(i int) []byte   { return h.bytes(h.fields[i].name) }
func (h *reqHead) fieldLine(i int) []byte   { return h.bytes(h.fields[i].line) }
func (h *reqHead) methodIs(m string) bool   { return string(h.bytes(h.method)) == m }
func (h *reqHead) targetBytes() []byte      { return h.bytes(h.target) }
func (r *respHead) bytes(o [2]int32) []byte { return r.buf[o[0]:o[1]] }
func (r *respHead) fieldLine(i int) []byte  { return r.bytes(r.fields[i].line) }
func (r *respHead) statusLineRest() []byte  { return r.bytes(r.status) }
func (r *respHead) fieldName(i int) []byte  { return r.bytes(r.fields[i].name) }
func (r *respHead) fieldVal(i int) []byte   { return r.bytes(r.fields[i].val) }
func (r *respHead) hasBody(head bool) bool {
	return !head && r.code >= 200 && r.code != 204 && r.code != 304
}
func (r *respHead) informational() bool           { return r.code >= 100 && r.code < 200 }
func (r *respHead) lengthKnown() bool             { return r.contentLength >= 0 || r.chunked }
func (r *respHead) closeDelimited(head bool) bool { return r.hasBody(head) && !r.lengthKnown() }

// headEnd returns the length of the head at the start of b (through the
// blank line), or -1 if b holds no complete head.
// A head ending in bare LFs is found too (the parser then refuses it).
func headEnd(b []byte) int {
	for off := 0; ; {
		i := bytes.IndexByte(b[off:], '\n')
		if i < 0 {
			return -1
		}
		i += off
		switch {
		case i+1 < len(b) && b[i+1] == '\n':
			return i + 2
		case i+2 < len(b) && b[i+1] == '\r' && b[i+2] == '\n':
			return i + 3
		}
		off = i + 1
	}
}

// parseRequestHead parses a complete head (as found by headEnd). It
// returns false for anything the fast path leaves to net/http: other
// versions than HTTP/1.1, targets not in origin form, bodies other than
// Content-Length, upgrades, Expect, Te, Trailer, Connection options other
// than close and keep-alive, bare LF, obsolete line folding, invalid bytes.
func parseRequestHead(b []byte, h *reqHead) bool {
	h.reqInfo = reqInfo{buf: b, host: -1, trace: -1, ua: -1}
	line, rest, ok := cutLine(b, 0)
	if !ok {
		return false
	}
	// METHOD SP origin-form SP HTTP/1.1
	sp1 := bytes.IndexByte(b[line[0]:line[1]], ' ')
	if sp1 <= 0 {
		return false
	}
	h.method = [2]int32{line[0], line[0] + int32(sp1)}
	for _, c := range h.bytes(h.method) {
		if !isTokenChar(c) {
			return false
		}
	}
	tstart := h.method[1] + 1
	sp2 := bytes.IndexByte(b[tstart:line[1]], ' ')
	if sp2 <= 0 {
		return false
	}
	h.target = [2]int32{tstart, tstart + int32(sp2)}
	if b[h.target[0]] != '/' {
		return false
	}
	tb := h.bytes(h.target)
	for i, c := range tb {
		if c <= ' ' || c >= 0x7f {
			return false
		}
		// net/http refuses a target with a malformed escape.
		if c == '%' && (i+2 >= len(tb) || !isHex(tb[i+1]) || !isHex(tb[i+2])) {
			return false
		}
	}
	if string(b[h.target[1]+1:line[1]]) != "HTTP/1.1" {
		return false
	}
	h.contentLength = -1
	for {
		f, done, ok := nextField(b, &rest, h.n)
		if !ok {
			return false
		}
		if done {
			break
		}
		val := b[f.val[0]:f.val[1]]
		switch f.kind {
		case hdrHost:
			if h.host >= 0 || !validHost(val) {
				return false
			}
			h.host = h.n
		case hdrContentLength:
			if h.contentLength >= 0 {
				return false
			}
			n, ok := parseLength(val)
			if !ok {
				return false
			}
			h.contentLength = n
		case hdrTransferEncoding:
			return false
		case hdrConnection:
			ok := forEachToken(val, func(tok []byte) bool {
				switch {
				case equalFold(tok, "close"):
					h.close = true
				case equalFold(tok, "keep-alive"):
				default:
					return false
				}
				return true
			})
			if !ok {
				return false
			}
		case hdrXFF:
			h.hasXFF = true
		case hdrTrace:
			h.trace = h.n
		case hdrCookie:
			h.cookie = true
		case hdrUserAgent:
			h.ua = h.n
		case hdrTE, hdrUpgrade, hdrTrailer, hdrExpect:
			return false
		}
		h.fields[h.n] = f
		h.n++
	}
	if h.host < 0 || rest != int32(len(b)) {
		return false
	}
	if h.contentLength < 0 {
		h.contentLength = 0
	}
	return true
}

// respHead is a parsed response head.
type respHead struct {
	respInfo
	fields [maxHeadFields]field // the first n are set
}

// respInfo is what a parse resets, as reqInfo.
type respInfo struct {
	buf           []byte
	code          int
	status        [2]int32 // "200 OK": the status line after the version
	n             int
	contentLength int64
	chunked       bool
	close         bool
}

// parseResponseHead parses a complete response head. False means the
// caller re-reads it with http.ReadResponse.
func parseResponseHead(b []byte, r *respHead) bool {
	r.respInfo = respInfo{buf: b, contentLength: -1}
	line, rest, ok := cutLine(b, 0)
	if !ok {
		return false
	}
	s := b[line[0]:line[1]]
	// HTTP/1.1 SP 3DIGIT SP reason  (the reason may be empty)
	if len(s) < 12 || string(s[:5]) != "HTTP/" || s[8] != ' ' {
		return false
	}
	switch string(s[5:8]) {
	case "1.1":
	case "1.0":
		r.close = true // unless it says keep-alive
	default:
		return false
	}
	code := 0
	for _, c := range s[9:12] {
		if c < '0' || c > '9' {
			return false
		}
		code = code*10 + int(c-'0')
	}
	if code < 100 || (len(s) > 12 && s[12] != ' ') {
		return false
	}
	r.code = code
	r.status = [2]int32{line[0] + 9, line[1]}
	var named [4][2]int32 // field names listed in Connection
	nnamed := 0
	for {
		f, done, ok := nextField(b, &rest, r.n)
		if !ok {
			return false
		}
		if done {
			break
		}
		val := b[f.val[0]:f.val[1]]
		switch f.kind {
		case hdrContentLength:
			n, ok := parseLength(val)
			if !ok || (r.contentLength >= 0 && n != r.contentLength) {
				return false
			}
			r.contentLength = n
		case hdrTransferEncoding:
			if !equalFold(val, "chunked") || string(s[5:8]) == "1.0" {
				return false
			}
			r.chunked = true
		case hdrConnection:
			ok := forEachToken(val, func(tok []byte) bool {
				switch {
				case equalFold(tok, "close"):
					r.close = true
				case equalFold(tok, "keep-alive"):
					if string(s[5:8]) == "1.0" {
						r.close = false
					}
				default:
					if nnamed == len(named) {
						return false
					}
					o := int32(cap(b) - cap(tok)) // offset of tok in b
					named[nnamed] = [2]int32{o, o + int32(len(tok))}
					nnamed++
				}
				return true
			})
			if !ok {
				return false
			}
		}
		r.fields[r.n] = f
		r.n++
	}
	if rest != int32(len(b)) {
		return false
	}
	if r.chunked {
		r.contentLength = -1 // Transfer-Encoding overrides Content-Length
	}
	for i := 0; i < r.n; i++ {
		for _, o := range named[:nnamed] {
			if equalFold(r.fieldName(i), string(b[o[0]:o[1]])) {
				r.fields[i].hopByNamed = true
			}
		}
	}
	return true
}

// cutLine returns the line starting at off (without its CRLF) and the
// offset after it. A bare LF or a missing CRLF is refused.
func cutLine(b []byte, off int32) (line [2]int32, next int32, ok bool) {
	i := bytes.IndexByte(b[off:], '\n')
	if i < 1 || b[off+int32(i)-1] != '\r' {
		return line, 0, false
	}
	end := off + int32(i) - 1
	if bytes.IndexByte(b[off:end], '\r') >= 0 {
		return line, 0, false
	}
	return [2]int32{off, end}, end + 2, true
}

// nextField parses the field line at *off, the head's n+1st, and moves
// *off past it. done: it was the blank line that ends the head. ok false:
// a malformed line, or more than maxHeadFields fields.
func nextField(b []byte, off *int32, n int) (f field, done, ok bool) {
	line, next, ok := cutLine(b, *off)
	if !ok {
		return f, false, false
	}
	*off = next
	if line[0] == line[1] {
		return f, true, true
	}
	if n == maxHeadFields {
		return f, false, false
	}
	if f, ok = parseField(b, line); !ok {
		return f, false, false
	}
	f.kind = fieldKind(b[f.name[0]:f.name[1]])
	return f, false, true
}

// parseField splits "Name: value" and checks both as net/http does.
func parseField(b []byte, line [2]int32) (field, bool) {
	s := b[line[0]:line[1]]
	colon := bytes.IndexByte(s, ':')
	if colon <= 0 {
		return field{}, false // also refuses obsolete folding (leading SP)
	}
	for _, c := range s[:colon] {
		if !isTokenChar(c) {
			return field{}, false
		}
	}
	vs, ve := colon+1, len(s)
	for vs < ve && (s[vs] == ' ' || s[vs] == '\t') {
		vs++
	}
	for ve > vs && (s[ve-1] == ' ' || s[ve-1] == '\t') {
		ve--
	}
	for _, c := range s[vs:ve] {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return field{}, false
		}
	}
	return field{
		line: line,
		name: [2]int32{line[0], line[0] + int32(colon)},
		val:  [2]int32{line[0] + int32(vs), line[0] + int32(ve)},
	}, true
}

// knownFields are the field names the proxy treats specially.
var knownFields = []struct {
	name string
	kind hdrKind
}{
	{"Te", hdrTE},
	{"Host", hdrHost},
	{"Cookie", hdrCookie},
	{"Expect", hdrExpect},
	{"Upgrade", hdrUpgrade},
	{"Trailer", hdrTrailer},
	{"Connection", hdrConnection},
	{"Keep-Alive", hdrHop},
	{"User-Agent", hdrUserAgent},
	{"Content-Length", hdrContentLength},
	{"X-Forwarded-For", hdrXFF},
	{"X-Amzn-Trace-Id", hdrTrace},
	{"Proxy-Connection", hdrHop},
	{"X-Forwarded-Port", hdrForwardedProto},
	{"Transfer-Encoding", hdrTransferEncoding},
	{"X-Forwarded-Proto", hdrForwardedProto},
	{"Proxy-Authenticate", hdrHop},
	{"Proxy-Authorization", hdrHop},
}

// fieldsByLen indexes knownFields by name length: a field name is compared
// with at most three of them.
var fieldsByLen = func() (t [20][]int) {
	for i, f := range knownFields {
		t[len(f.name)] = append(t[len(f.name)], i)
	}
	return t
}()

// fieldKind classifies a field name, for requests and responses alike.
func fieldKind(name []byte) hdrKind {
	if len(name) >= len(fieldsByLen) {
		return hdrOther
	}
	for _, i := range fieldsByLen[len(name)] {
		if equalFold(name, knownFields[i].name) {
			return knownFields[i].kind
		}
	}
	return hdrOther
}

// equalFold reports whether b equals the ASCII string s, ignoring case.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i], s[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// forEachToken calls fn with each non-empty comma-separated element of a
// list field, trimmed; it stops when fn returns false.
func forEachToken(v []byte, fn func([]byte) bool) bool {
	for len(v) > 0 {
		var tok []byte
		tok, v, _ = bytes.Cut(v, []byte(","))
		tok = bytes.Trim(tok, " \t")
		if len(tok) > 0 && !fn(tok) {
			return false
		}
	}
	return true
}

func parseLength(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isTokenChar(c byte) bool {
	return c < 0x80 && tokenTable[c]
}

var tokenTable = alnumAnd("!#$%&'*+-.^_`|~")

// alnumAnd is a table of the ASCII letters and digits and the bytes of extra.
func alnumAnd(extra string) (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range extra {
		t[c] = true
	}
	return t
}

// validHost accepts the bytes net/http accepts in a Host field
// (httpguts.ValidHostHeader) and refuses an empty one.
func validHost(v []byte) bool {
	if len(v) == 0 {
		return false
	}
	for _, c := range v {
		if c >= 0x80 || !hostTable[c] {
			return false
		}
	}
	return true
}

var hostTable = alnumAnd("!$%&'()*+,-.:;=[]_~")

// targetPath returns the decoded path of an origin-form target, as
// url.URL.Path has it, and the raw query.
func targetPath(t []byte) (path, rawQuery string, ok bool) {
	p := t
	if i := bytes.IndexByte(t, '?'); i >= 0 {
		p, rawQuery = t[:i], string(t[i+1:])
	}
	if bytes.IndexByte(p, '#') >= 0 {
		return "", "", false
	}
	if bytes.IndexByte(p, '%') < 0 {
		return string(p), rawQuery, true
	}
	s, err := url.PathUnescape(string(p))
	if err != nil {
		return "", "", false
	}
	return s, rawQuery, true
}
