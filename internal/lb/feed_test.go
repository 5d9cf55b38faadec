package lb

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/lbapi"
	"github.com/wharfhq/wharf/internal/model"
)

// fakeLBAPI is the server side of lbapi, as a test double.
type fakeLBAPI struct {
	*httptest.Server
	token string

	mu      sync.Mutex
	cfg     lbapi.Config
	changed chan struct{}
	reports []lbapi.HealthReport
	polls   int
}

func newFakeLBAPI(t *testing.T, token string, cfg lbapi.Config) *fakeLBAPI {
	f := &fakeLBAPI{token: token, cfg: cfg, changed: make(chan struct{})}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeLBAPI) set(cfg lbapi.Config) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cfg = cfg
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *fakeLBAPI) lastReport() (lbapi.HealthReport, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reports) == 0 {
		return lbapi.HealthReport{}, 0
	}
	return f.reports[len(f.reports)-1], len(f.reports)
}

func (f *fakeLBAPI) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	switch {
	case r.Method == "GET" && r.URL.Path == "/lb/v1/config":
		after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
		wait, _ := strconv.Atoi(r.URL.Query().Get("wait"))
		timer := time.NewTimer(time.Duration(wait) * time.Second)
		defer timer.Stop()
		for {
			f.mu.Lock()
			f.polls++
			cfg, ch := f.cfg, f.changed
			f.mu.Unlock()
			if cfg.Revision > after {
				json.NewEncoder(w).Encode(cfg)
				return
			}
			select {
			case <-ch:
			case <-timer.C:
				json.NewEncoder(w).Encode(cfg)
				return
			case <-r.Context().Done():
				return
			}
		}
	case r.Method == "PUT" && r.URL.Path == "/lb/v1/health":
		var rep lbapi.HealthReport
		if err := json.NewDecoder(r.Body).Decode(&rep); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		f.mu.Lock()
		f.reports = append(f.reports, rep)
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		http.NotFound(w, r)
	}
}

func savedRevision(t *testing.T, dir string) int64 {
	buf, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if err != nil {
		return -1
	}
	var c lbapi.Config
	if err := json.Unmarshal(buf, &c); err != nil {
		t.Fatalf("saved config is not valid JSON: %v", err)
	}
	return c.Revision
}

func TestFeedAppliesPersistsAndSurvivesTheServer(t *testing.T) {
	be := newBackend(t, "1", nil)
	port := freePort(t)
	dir := t.TempDir()
	tgt := be.target(t0)
	key := lbapi.TargetKey(tgt.ID, tgt.Port)
	api := newFakeLBAPI(t, "s3cret", newCfg(1).group(testTG, nil, tgt).listener(port, forward(testTG)).cfg)

	b := newTestBalancer(t, Options{})
	feed := NewFeed(FeedOptions{ServerURL: api.URL, Token: "s3cret", StateDir: dir, Balancer: b,
		PollWait: time.Second, ReportEvery: 50 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
	if found, err := feed.LoadSaved(); found || err != nil {
		t.Fatalf("empty state dir: found %v err %v", found, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { feed.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	waitFor(t, "config applied", func() bool { return b.Revision() == 1 })
	if _, body := get(t, http.DefaultClient, lbURL(port, "/")); body != "1" {
		t.Fatalf("through the listener: %q", body)
	}
	waitFor(t, "config saved", func() bool { return savedRevision(t, dir) == 1 })
	waitFor(t, "healthy target reported", func() bool {
		rep, _ := api.lastReport()
		return rep.Targets[testTG][key].State == model.TargetHealthy
	})

	// A new revision arrives through the long poll.
	api.set(newCfg(2).group(testTG, nil, tgt).listener(port, forward(testTG)).
		rule(port, 1, []model.Condition{{Field: "path-pattern", Values: []string{"/fixed"}}},
			[]model.Action{{Type: "fixed-response", StatusCode: "200", MessageBody: "fixed"}}).cfg)
	waitFor(t, "revision 2", func() bool { return b.Revision() == 2 && savedRevision(t, dir) == 2 })
	if _, body := get(t, http.DefaultClient, lbURL(port, "/fixed")); body != "fixed" {
		t.Fatalf("rule of revision 2: %q", body)
	}

	// The server goes away: traffic and health checks go on.
	api.CloseClientConnections()
	api.Close()
	for i := 0; i < 20; i++ {
		if resp, body := get(t, http.DefaultClient, lbURL(port, "/")); resp.StatusCode != 200 || body != "1" {
			t.Fatalf("without the server: %d %q", resp.StatusCode, body)
		}
	}
	if h := b.Health().Targets[testTG][key]; h.State != model.TargetHealthy {
		t.Fatalf("health without the server: %+v", h)
	}
	cancel()
	<-done
	b.Close()

	// A restarted data plane serves the saved configuration at once, with
	// the server still down.
	b2 := newTestBalancer(t, Options{})
	feed2 := NewFeed(FeedOptions{ServerURL: api.URL, Token: "s3cret", StateDir: dir, Balancer: b2, MaxBackoff: 100 * time.Millisecond})
	if found, err := feed2.LoadSaved(); !found || err != nil {
		t.Fatalf("saved config: found %v err %v", found, err)
	}
	if b2.Revision() != 2 {
		t.Fatalf("restarted at revision %d", b2.Revision())
	}
	if resp, body := get(t, http.DefaultClient, lbURL(port, "/fixed")); resp.StatusCode != 200 || body != "fixed" {
		t.Fatalf("restarted: %d %q", resp.StatusCode, body)
	}
	if resp, body := get(t, http.DefaultClient, lbURL(port, "/")); resp.StatusCode != 200 || body != "1" {
		t.Fatalf("restarted, forward: %d %q", resp.StatusCode, body)
	}
}

func TestFeedReportsDrainedPromptly(t *testing.T) {
	be := newBackend(t, "1", nil)
	port := freePort(t)
	tgt := be.target(t0)
	key := lbapi.TargetKey(tgt.ID, tgt.Port)
	api := newFakeLBAPI(t, "tok", newCfg(1).group(testTG, nil, tgt).listener(port, forward(testTG)).cfg)
	b := newTestBalancer(t, Options{})
	// A long report period: only the change notification can deliver it.
	feed := NewFeed(FeedOptions{ServerURL: api.URL, Token: "tok", StateDir: t.TempDir(), Balancer: b,
		PollWait: time.Second, ReportEvery: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { feed.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "healthy reported", func() bool {
		rep, _ := api.lastReport()
		return rep.Targets[testTG][key].State == model.TargetHealthy
	})
	tgt.DeregisteredAt = time.Now()
	api.set(newCfg(2).group(testTG, nil, tgt).listener(port, forward(testTG)).cfg)
	waitFor(t, "drained reported", func() bool {
		rep, _ := api.lastReport()
		h := rep.Targets[testTG][key]
		return h.State == model.TargetDraining && h.Drained
	})
}

func TestFeedWrongTokenKeepsServing(t *testing.T) {
	be := newBackend(t, "1", nil)
	port := freePort(t)
	dir := t.TempDir()
	if err := saveConfig(dir, newCfg(7).group(testTG, nil, be.target(t0)).listener(port, forward(testTG)).cfg); err != nil {
		t.Fatal(err)
	}
	api := newFakeLBAPI(t, "right", lbapi.Config{Revision: 9})
	b := newTestBalancer(t, Options{})
	feed := NewFeed(FeedOptions{ServerURL: api.URL, Token: "wrong", StateDir: dir, Balancer: b, MaxBackoff: 50 * time.Millisecond})
	if _, err := feed.LoadSaved(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	feed.Run(ctx)
	if b.Revision() != 7 {
		t.Fatalf("revision %d after rejected polls, want the saved 7", b.Revision())
	}
	if resp, _ := get(t, http.DefaultClient, lbURL(port, "/")); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

func TestLock(t *testing.T) {
	dir := t.TempDir()
	if _, running, err := LockHolder(dir); running || err != nil {
		t.Fatalf("no lock file: running %v err %v", running, err)
	}
	l, err := AcquireLock(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = AcquireLock(dir)
	var le *LockedError
	if !errors.As(err, &le) || le.PID != os.Getpid() {
		t.Fatalf("second lock: %v", err)
	}
	if pid, running, err := LockHolder(dir); !running || pid != os.Getpid() || err != nil {
		t.Fatalf("holder: pid %d running %v err %v", pid, running, err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if _, running, _ := LockHolder(dir); running {
		t.Fatal("lock still held after release")
	}
	l2, err := AcquireLock(dir)
	if err != nil {
		t.Fatalf("re-acquire: %v", err)
	}
	l2.Release()
}
