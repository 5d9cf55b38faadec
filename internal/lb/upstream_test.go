package lb

import (
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

func TestUpstreamFastPath(t *testing.T) {
	be := newBackend(t, "1", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/chunked":
			for i := 0; i < 3; i++ {
				fmt.Fprintf(w, "part%d;", i)
				w.(http.Flusher).Flush()
			}
		case "/close":
			w.Header().Set("Connection", "close")
			fmt.Fprint(w, "bye")
		default:
			w.Header().Set("X-Method", r.Method)
			fmt.Fprint(w, "body")
		}
	}, func(s *http.Server) { s.IdleTimeout = 30 * time.Millisecond }) // the target closes idle keep-alive connections
	b := newTestBalancer(t, Options{HealthCheckInterval: time.Hour})
	port := freePort(t)
	if err := b.Apply(newCfg(1).group(testTG, nil, be.target(t0)).listener(port, forward(testTG)).cfg); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, b, testTG, 1)
	cases := []struct {
		method, path string
		wantBody     string
	}{
		{"GET", "/", "body"},
		{"HEAD", "/", ""},
		{"OPTIONS", "/", "body"},
		{"GET", "/chunked", "part0;part1;part2;"},
		{"GET", "/close", "bye"},
		{"GET", "/", "body"},
		{"DELETE", "/", "body"}, // not on the fast path, same result
	}
	for round := 0; round < 2; round++ {
		for _, c := range cases {
			req, _ := http.NewRequest(c.method, lbURL(port, c.path), nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", c.method, c.path, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(body) != c.wantBody {
				t.Errorf("%s %s: %d %q, want %q", c.method, c.path, resp.StatusCode, body, c.wantBody)
			}
			if c.path == "/" && resp.Header.Get("X-Method") != c.method {
				t.Errorf("%s reached the target as %q", c.method, resp.Header.Get("X-Method"))
			}
		}
		// Let the target close every pooled connection: the next requests
		// must transparently use fresh ones.
		time.Sleep(100 * time.Millisecond)
	}
	if n := b.Metrics().TargetGroups[0].ELB5xxCount; n != 0 {
		t.Errorf("%d ELB 5xx", n)
	}
}
