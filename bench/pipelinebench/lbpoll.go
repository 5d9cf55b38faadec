package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// observation is one GET of the load balancer.
type observation struct {
	at   time.Time // when the response (or the error) came
	ok   bool      // 200
	body string
}

type observations []observation

// lbPoller GETs the listener every interval until stopped.
type lbPoller struct {
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	obs    observations
}

func startLBPoller(ctx context.Context, url string, interval time.Duration) *lbPoller {
	ctx, cancel := context.WithCancel(ctx)
	p := &lbPoller{cancel: cancel, done: make(chan struct{})}
	c := &http.Client{Timeout: 2 * time.Second}
	go func() {
		defer close(p.done)
		defer c.CloseIdleConnections()
		for ctx.Err() == nil {
			o := observation{}
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			resp, err := c.Do(req)
			if err == nil {
				b, rerr := io.ReadAll(resp.Body)
				resp.Body.Close()
				o.ok = rerr == nil && resp.StatusCode == http.StatusOK
				o.body = strings.TrimSpace(string(b))
			}
			o.at = time.Now()
			if ctx.Err() != nil {
				return
			}
			p.mu.Lock()
			p.obs = append(p.obs, o)
			p.mu.Unlock()
			t := time.NewTimer(interval)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
	}()
	return p
}

// seen reports whether a 200 with a body starting with prefix came.
func (p *lbPoller) seen(prefix string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.obs.firstBody(prefix).IsZero()
}

func (p *lbPoller) stop() observations {
	p.cancel()
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.obs
}

func (obs observations) firstBody(prefix string) time.Time {
	for _, o := range obs {
		if o.ok && strings.HasPrefix(o.body, prefix) {
			return o.at
		}
	}
	return time.Time{}
}

// lbResult is what the load balancer answered during one run.
type lbResult struct {
	firstNew time.Time // the first 200 with the new greeting
	allNew   time.Time // the first of the new answers after the last other one
	requests int
	old      int // 200s with another body after firstNew
	errors   int // non-200 or failed requests after the first 200
}

// analyse finds when the load balancer started to serve bodies starting
// with prefix, and when it served nothing else any more.
func analyse(obs observations, prefix string) lbResult {
	var r lbResult
	r.requests = len(obs)
	lastOther := -1
	answered := false
	for i, o := range obs {
		isNew := o.ok && strings.HasPrefix(o.body, prefix)
		if o.ok {
			answered = true
		}
		if isNew && r.firstNew.IsZero() {
			r.firstNew = o.at
		}
		if !isNew {
			lastOther = i
			if !r.firstNew.IsZero() && o.ok {
				r.old++
			}
			if answered && !o.ok {
				r.errors++
			}
		}
	}
	if lastOther+1 < len(obs) && !r.firstNew.IsZero() {
		r.allNew = obs[lastOther+1].at
	}
	return r
}
