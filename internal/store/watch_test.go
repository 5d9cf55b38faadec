package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/store"
)

// TestWatchSurvivesEtcdRestart kills the etcd server under an open watch,
// starts it again on the same data and ports, and expects the watch to
// carry on from where it was, missing nothing written in between.
func TestWatchSurvivesEtcdRestart(t *testing.T) {
	p := startEtcdProcess(t)
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	s, err := store.Open(ctx, store.Config{Endpoints: []string{p.clientURL}, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()

	w := s.Watch(ctx, "r/", 0)
	r1, err := s.Put(ctx, "r/before", []byte("1"))
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	expectEvent(t, w, fmt.Sprintf("r/before@%d", r1))

	p.kill()
	if err := p.start(t); err != nil {
		t.Fatalf("restart etcd: %v\nstderr:\n%s", err, p.stderr.String())
	}
	r2, err := s.Put(ctx, "r/after", []byte("2"))
	if err != nil {
		t.Fatalf("Put after restart: %v", err)
	}
	expectEvent(t, w, fmt.Sprintf("r/after@%d", r2))
}

func expectEvent(t *testing.T, w <-chan store.WatchEvent, want string) {
	t.Helper()
	select {
	case ev, ok := <-w:
		if !ok {
			t.Fatalf("watch closed, want %s", want)
		}
		if got := fmt.Sprintf("%s@%d", ev.KV.Key, ev.KV.ModRevision); ev.Err != nil || got != want {
			t.Fatalf("event = %s (err %v), want %s", got, ev.Err, want)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("timed out waiting for %s", want)
	}
}
