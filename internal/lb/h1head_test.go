package lb

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestParseRequestHead(t *testing.T) {
	cases := []struct {
		name string
		head string
		ok   bool
		cl   int64
		cls  bool
	}{
		{"simple", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", true, 0, false},
		{"body", "POST /x?y=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n", true, 12, false},
		{"close", "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Close\r\n\r\n", true, 0, true},
		{"no host", "GET / HTTP/1.1\r\nX: y\r\n\r\n", false, 0, false},
		{"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", false, 0, false},
		{"http/1.0", "GET / HTTP/1.0\r\nHost: a\r\n\r\n", false, 0, false},
		{"absolute form", "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", false, 0, false},
		{"asterisk", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", false, 0, false},
		{"chunked body", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", false, 0, false},
		{"two lengths", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", false, 0, false},
		{"bad length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", false, 0, false},
		{"upgrade", "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", false, 0, false},
		{"connection option", "GET / HTTP/1.1\r\nHost: a\r\nConnection: X-Foo\r\n\r\n", false, 0, false},
		{"expect", "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n", false, 0, false},
		{"te", "GET / HTTP/1.1\r\nHost: a\r\nTE: trailers\r\n\r\n", false, 0, false},
		{"bare lf", "GET / HTTP/1.1\nHost: a\n\n", false, 0, false},
		{"folding", "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", false, 0, false},
		{"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", false, 0, false},
		{"ctl in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n", false, 0, false},
		{"space in target", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", false, 0, false},
		{"lowercase method", "get / HTTP/1.1\r\nHost: a\r\n\r\n", true, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var h reqHead
			ok := parseRequestHead([]byte(c.head), &h)
			if ok != c.ok {
				t.Fatalf("ok = %v, want %v", ok, c.ok)
			}
			if ok && (h.contentLength != c.cl || h.close != c.cls) {
				t.Errorf("content length %d close %v", h.contentLength, h.close)
			}
		})
	}
}

func TestParseResponseHead(t *testing.T) {
	cases := []struct {
		name    string
		head    string
		ok      bool
		code    int
		cl      int64
		chunked bool
		close   bool
	}{
		{"length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", true, 200, 5, false, false},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", true, 200, -1, true, false},
		{"chunked wins over length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", true, 200, -1, true, false},
		{"until close", "HTTP/1.1 200 OK\r\n\r\n", true, 200, -1, false, false},
		{"1.0", "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n", true, 200, 1, false, true},
		{"1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n", true, 200, 1, false, false},
		{"close", "HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", true, 404, 0, false, true},
		{"no reason", "HTTP/1.1 204\r\n\r\n", true, 204, -1, false, false},
		{"gzip encoding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", false, 0, 0, false, false},
		{"conflicting lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", false, 0, 0, false, false},
		{"bad code", "HTTP/1.1 2x0 OK\r\n\r\n", false, 0, 0, false, false},
		{"http/2", "HTTP/2.0 200 OK\r\n\r\n", false, 0, 0, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r respHead
			ok := parseResponseHead([]byte(c.head), &r)
			if ok != c.ok {
				t.Fatalf("ok = %v, want %v", ok, c.ok)
			}
			if ok && (r.code != c.code || r.contentLength != c.cl || r.chunked != c.chunked || r.close != c.close) {
				t.Errorf("code %d length %d chunked %v close %v", r.code, r.contentLength, r.chunked, r.close)
			}
		})
	}
	var r respHead
	if !parseResponseHead([]byte("HTTP/1.1 200 OK\r\nConnection: x-hop, close\r\nX-Hop: 1\r\nX-Keep: 2\r\n\r\n"), &r) {
		t.Fatal("not parsed")
	}
	if !r.fields[1].hopByNamed || r.fields[2].hopByNamed {
		t.Errorf("fields named in Connection: %+v", r.fields[:3])
	}
}

// Heads parsed before the fuzzed one, with fields a later head lacks: a
// parse must not depend on what an earlier one left in the pooled scratch.
const (
	usedRequest  = "POST /used HTTP/1.1\r\nHost: used\r\nContent-Length: 9\r\nConnection: close\r\nX-Forwarded-For: 9.9.9.9\r\nX-Amzn-Trace-Id: Root=1\r\nUser-Agent: u\r\nCookie: AWSALB=z\r\n\r\n"
	usedResponse = "HTTP/1.1 200 OK\r\nConnection: close, X-A\r\nX-A: 1\r\nContent-Length: 4\r\nX-B: 2\r\n\r\n"
)

// fuzzHeads runs check on the complete heads (up to their blank line) of
// the seeds and of the fuzzer's inputs.
func fuzzHeads(f *testing.F, seeds []string, check func(t *testing.T, head []byte)) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if n := headEnd(b); n >= 0 {
			check(t, b[:n])
		}
	})
}

// FuzzParseRequestHead checks the fast path against net/http: a head it
// accepts, net/http accepts too, with the same method, target, host,
// body length and fields. (What it refuses goes to net/http anyway.)
func FuzzParseRequestHead(f *testing.F) {
	fuzzHeads(f, []string{
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST /x?y=%20 HTTP/1.1\r\nHost: a:80\r\nContent-Length: 3\r\nCookie: AWSALB=x; b=c\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n",
		"GET /%zz HTTP/1.1\r\nHost: [::1]:8080\r\nUser-Agent: \t x \r\n\r\n",
	}, func(t *testing.T, b []byte) {
		var h reqHead
		if !parseRequestHead([]byte(usedRequest), &h) {
			t.Fatal("the used head does not parse")
		}
		if !parseRequestHead(b, &h) {
			return
		}
		r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(b)))
		if err != nil {
			t.Fatalf("fast path accepts what net/http refuses (%v): %q", err, b)
		}
		if r.Method != h.str(h.method) || r.RequestURI != h.str(h.target) || r.Host != string(h.fieldVal(h.host)) ||
			r.ContentLength != h.contentLength || r.Close != h.close {
			t.Fatalf("disagreement on %q: net/http %s %s host %q length %d close %v", b, r.Method, r.RequestURI, r.Host, r.ContentLength, r.Close)
		}
		for i := 0; i < h.n; i++ {
			name := http.CanonicalHeaderKey(string(h.fieldName(i)))
			if name == "Host" {
				continue
			}
			if !slices.Contains(r.Header[name], string(h.fieldVal(i))) {
				t.Fatalf("field %s: %q not in net/http's %q (%q)", name, h.fieldVal(i), r.Header[name], b)
			}
		}
		if p, q, ok := targetPath(h.targetBytes()); ok && (p != r.URL.Path || q != r.URL.RawQuery) {
			t.Fatalf("path %q query %q, net/http %q %q", p, q, r.URL.Path, r.URL.RawQuery)
		}
	})
}

// FuzzParseResponseHead: a head the fast path accepts is one
// http.ReadResponse accepts, with the same status and framing.
func FuzzParseResponseHead(f *testing.F) {
	fuzzHeads(f, []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X\r\n\r\n",
		"HTTP/1.0 304 Not Modified\r\nConnection: keep-alive, x-a\r\nX-A: 1\r\n\r\n",
	}, func(t *testing.T, b []byte) {
		var rh respHead
		if !parseResponseHead([]byte(usedResponse), &rh) {
			t.Fatal("the used head does not parse")
		}
		if !parseResponseHead(b, &rh) {
			return
		}
		resp, err := http.ReadResponse(bufio.NewReader(io.MultiReader(bytes.NewReader(b), strings.NewReader(strings.Repeat("x", 64)))), getRequest)
		if err != nil {
			t.Fatalf("fast path accepts what net/http refuses (%v): %q", err, b)
		}
		if resp.StatusCode != rh.code {
			t.Fatalf("status %d, net/http %d: %q", rh.code, resp.StatusCode, b)
		}
		if !rh.hasBody(false) {
			return // 1xx are skipped before parsing; 204 and 304 have no body
		}
		chunked := len(resp.TransferEncoding) > 0 && resp.TransferEncoding[0] == "chunked"
		if chunked != rh.chunked {
			t.Fatalf("chunked %v, net/http %v: %q", rh.chunked, chunked, b)
		}
		if !rh.chunked && resp.ContentLength != rh.contentLength {
			t.Fatalf("length %d, net/http %d: %q", rh.contentLength, resp.ContentLength, b)
		}
	})
}

func TestChunkSize(t *testing.T) {
	for line, want := range map[string]int64{"0\r\n": 0, "1a\r\n": 26, "FF;ext=1\r\n": 255, "10 \r\n": 16} {
		if n, ok := chunkSize([]byte(line)); !ok || n != want {
			t.Errorf("%q: %d %v", line, n, ok)
		}
	}
	for _, line := range []string{"\r\n", "x\r\n", "1\n", "1234567890abcdef0\r\n"} {
		if _, ok := chunkSize([]byte(line)); ok {
			t.Errorf("%q accepted", line)
		}
	}
}
