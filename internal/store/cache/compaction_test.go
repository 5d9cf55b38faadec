package cache

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/testutil/syncbuf"

	"github.com/wharfhq/wharf/internal/store"
)

// TestCompactionRecovery stops the watch loop, lets the store move on and
// compacts past the cache's revision, then restarts the loop: it must get
// ErrCompacted, keep serving the old data, relist, swap in the new
// snapshot and tell subscribers what changed.
func TestCompactionRecovery(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var logs syncbuf.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	s, err := store.Open(ctx, store.Config{DataDir: t.TempDir(), Logger: logger})
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	defer s.Close()
	for _, k := range []string{"svc/keep", "svc/change", "svc/gone"} {
		if _, err := s.Put(ctx, k, []byte(k+"@1")); err != nil {
			t.Fatalf("Put: %v", err)
		}
	}

	c := New(s, logger)
	c.Register("svc/", func(_ string, v []byte) (any, error) { return string(v), nil })
	runCtx, stopRun := context.WithCancel(ctx)
	if err := c.Start(runCtx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopRun()
	<-c.runDone
	changes, unsubscribe := c.Subscribe("svc/")
	defer unsubscribe()

	if _, err := s.Put(ctx, "svc/change", []byte("svc/change@2")); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if _, err := s.Delete(ctx, "svc/gone", 0); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	latest, err := s.Put(ctx, "svc/new", []byte("svc/new@2"))
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if _, err := s.Client().Compact(ctx, latest); err != nil {
		t.Fatalf("Compact: %v", err)
	}
	if obj, _, ok := c.Get("svc/gone"); !ok || obj != "svc/gone@1" {
		t.Fatalf("old data not served before relist: %v, %v", obj, ok)
	}

	go c.run(ctx)
	if err := c.WaitForRevision(ctx, latest); err != nil {
		t.Fatalf("WaitForRevision: %v", err)
	}
	var got []string
	for _, e := range c.List("svc/") {
		got = append(got, e.Obj.(string))
	}
	want := []string{"svc/change@2", "svc/keep@1", "svc/new@2"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("after relist List = %v, want %v", got, want)
	}

	if !strings.Contains(logs.String(), "cache watch lost, relisting") || !strings.Contains(logs.String(), store.ErrCompacted.Error()) {
		t.Fatalf("cache did not relist after ErrCompacted; logs:\n%s", logs.String())
	}

	wantChanges := map[string]bool{"put svc/change": false, "put svc/new": false, "delete svc/gone": false}
	for range wantChanges {
		select {
		case ch := <-changes:
			k := ch.Type.String() + " " + ch.Key
			if _, ok := wantChanges[k]; !ok {
				t.Fatalf("unexpected change %s", k)
			}
			wantChanges[k] = true
		case <-time.After(10 * time.Second):
			t.Fatalf("missing relist changes: %v", wantChanges)
		}
	}
}
