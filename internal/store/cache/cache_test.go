package cache_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/store"
	"github.com/wharfhq/wharf/internal/store/cache"
)

type service struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.Open(testContext(t), store.Config{DataDir: t.TempDir(), Logger: quietLogger()})
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// startCache registers services/ and taskdefs/ (JSON services) and starts.
func startCache(t *testing.T, s *store.Store) *cache.Cache {
	t.Helper()
	c := cache.New(s, quietLogger())
	c.Register("services/", cache.JSONDecoder[service]())
	c.Register("taskdefs/", cache.JSONDecoder[service]())
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := c.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return c
}

func put(t *testing.T, s *store.Store, key string, svc service) int64 {
	t.Helper()
	b, err := store.JSONCodec[service]{}.Encode(svc)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	rev, err := s.Put(testContext(t), key, b)
	if err != nil {
		t.Fatalf("Put(%s): %v", key, err)
	}
	return rev
}

func waitRev(t *testing.T, c *cache.Cache, rev int64) {
	t.Helper()
	if err := c.WaitForRevision(testContext(t), rev); err != nil {
		t.Fatalf("WaitForRevision(%d): %v", rev, err)
	}
}

func TestPrime(t *testing.T) {
	s := openStore(t)
	put(t, s, "services/b", service{Name: "b", Count: 2})
	put(t, s, "services/a", service{Name: "a", Count: 1})
	put(t, s, "unregistered/x", service{Name: "x"})
	if _, err := s.Put(testContext(t), "services/broken", []byte("{not json")); err != nil {
		t.Fatalf("Put: %v", err)
	}
	last := put(t, s, "taskdefs/web/1", service{Name: "web"})

	c := startCache(t, s)
	if c.Revision() < last {
		t.Fatalf("Revision() = %d after Start, want >= %d", c.Revision(), last)
	}
	got, rev, ok := cache.Typed[service](c, "services/a")
	if !ok || got != (service{Name: "a", Count: 1}) || rev == 0 {
		t.Fatalf("Typed(services/a) = %+v, %d, %v", got, rev, ok)
	}
	if _, _, ok := c.Get("services/broken"); ok {
		t.Fatalf("undecodable value is cached")
	}
	if _, _, ok := c.Get("unregistered/x"); ok {
		t.Fatalf("unregistered key is cached")
	}
	if names := names(cache.ListTyped[service](c, "services/")); !slices.Equal(names, []string{"a", "b"}) {
		t.Fatalf("ListTyped(services/) = %v, want [a b]", names)
	}
	if n := len(c.List("")); n != 3 {
		t.Fatalf("List(\"\") = %d entries, want 3", n)
	}
}

func names(svcs []service) []string {
	out := make([]string, 0, len(svcs))
	for _, s := range svcs {
		out = append(out, s.Name)
	}
	return out
}

func TestReadYourWrites(t *testing.T) {
	s := openStore(t)
	c := startCache(t, s)
	for i := range 50 {
		rev := put(t, s, "services/web", service{Name: "web", Count: i})
		waitRev(t, c, rev)
		got, modRev, ok := cache.Typed[service](c, "services/web")
		if !ok || got.Count != i || modRev != rev {
			t.Fatalf("after write %d at %d: Typed = %+v, %d, %v", i, rev, got, modRev, ok)
		}
	}

	// A transaction becomes visible as a whole.
	ctx := testContext(t)
	var ops []store.Op
	for i := range 20 {
		ops = append(ops, store.Op{Key: fmt.Sprintf("taskdefs/batch/%02d", i), Value: []byte(`{"name":"batch"}`)})
	}
	rev, err := s.Txn(ctx, nil, ops)
	if err != nil {
		t.Fatalf("Txn: %v", err)
	}
	waitRev(t, c, rev)
	if n := len(c.List("taskdefs/batch/")); n != 20 {
		t.Fatalf("after txn at %d: %d entries, want 20", rev, n)
	}

	// Writes outside registered prefixes still advance the revision.
	rev = put(t, s, "elsewhere", service{})
	waitRev(t, c, rev)

	// Waiting for a future revision honours the context.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := c.WaitForRevision(short, rev+1000); err == nil {
		t.Fatalf("WaitForRevision(future) returned nil")
	}
}

func TestDeletes(t *testing.T) {
	s := openStore(t)
	c := startCache(t, s)
	put(t, s, "services/a", service{Name: "a"})
	rev := put(t, s, "services/b", service{Name: "b"})
	waitRev(t, c, rev)
	rev, err := s.Delete(testContext(t), "services/a", 0)
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	waitRev(t, c, rev)
	if _, _, ok := c.Get("services/a"); ok {
		t.Fatalf("deleted key still cached")
	}
	if names := names(cache.ListTyped[service](c, "services/")); !slices.Equal(names, []string{"b"}) {
		t.Fatalf("List after delete = %v, want [b]", names)
	}
}

func TestPrefixListing(t *testing.T) {
	s := openStore(t)
	ctx := testContext(t)
	const families, revisions = 100, 100 // 10,000 task definitions
	var ops []store.Op
	for f := range families {
		for r := range revisions {
			key := fmt.Sprintf("taskdefs/fam%03d/%03d", f, r)
			ops = append(ops, store.Op{Key: key, Value: fmt.Appendf(nil, `{"name":%q,"count":%d}`, key, r)})
			if len(ops) == 100 {
				if _, err := s.Txn(ctx, nil, ops); err != nil {
					t.Fatalf("Txn: %v", err)
				}
				ops = nil
			}
		}
	}
	put(t, s, "services/z", service{Name: "services/z"})
	c := startCache(t, s)
	rev := put(t, s, "taskdefs/fam042/100", service{Name: "taskdefs/fam042/100"})
	waitRev(t, c, rev)

	got := cache.ListTyped[service](c, "taskdefs/fam042/")
	if len(got) != revisions+1 {
		t.Fatalf("List(taskdefs/fam042/) = %d entries, want %d", len(got), revisions+1)
	}
	for i, svc := range got {
		if want := fmt.Sprintf("taskdefs/fam042/%03d", i); svc.Name != want {
			t.Fatalf("entry %d = %s, want %s", i, svc.Name, want)
		}
	}
	all := c.List("")
	if len(all) != families*revisions+2 {
		t.Fatalf("List(\"\") = %d entries, want %d", len(all), families*revisions+2)
	}
	if !slices.IsSortedFunc(all, func(a, b cache.Entry) int { return compare(a.Key, b.Key) }) {
		t.Fatalf("List(\"\") not sorted by key")
	}
	if all[len(all)-1].Key != "taskdefs/fam099/099" || all[0].Key != "services/z" {
		t.Fatalf("List(\"\") spans %s..%s", all[0].Key, all[len(all)-1].Key)
	}
	if n := len(c.List("taskdefs/fam1")); n != 0 {
		t.Fatalf("List(taskdefs/fam1) = %d entries, want 0", n)
	}
	if n := len(c.List("taskdefs/fam04")); n != 10*revisions+1 {
		t.Fatalf("List(taskdefs/fam04) = %d entries, want %d", n, 10*revisions+1)
	}
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestSubscribe(t *testing.T) {
	s := openStore(t)
	put(t, s, "services/existing", service{Name: "existing"})
	c := startCache(t, s)
	ctx := testContext(t)

	changes, cancel := c.Subscribe("services/")
	put(t, s, "taskdefs/ignored", service{Name: "ignored"})
	r1 := put(t, s, "services/a", service{Name: "a", Count: 1})
	r2 := put(t, s, "services/a", service{Name: "a", Count: 2})
	r3, err := s.Delete(ctx, "services/a", r2)
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	want := []string{
		fmt.Sprintf("put services/a obj=1 prev=<nil> @%d", r1),
		fmt.Sprintf("put services/a obj=2 prev=1 @%d", r2),
		fmt.Sprintf("delete services/a obj=<nil> prev=2 @%d", r3),
	}
	for i, w := range want {
		if got := describe(nextChange(t, changes)); got != w {
			t.Fatalf("change %d = %s, want %s", i, got, w)
		}
	}

	// A subscriber that does not read never holds up the cache.
	const burst = 500
	var last int64
	for i := range burst {
		last = put(t, s, "services/burst", service{Name: "burst", Count: i})
	}
	waitRev(t, c, last)
	for i := range burst {
		ch := nextChange(t, changes)
		if svc := ch.Obj.(service); svc.Count != i {
			t.Fatalf("burst change %d has count %d", i, svc.Count)
		}
	}

	cancel()
	cancel() // idempotent
	for range changes {
	}
}

func count(obj any) string {
	if obj == nil {
		return "<nil>"
	}
	return fmt.Sprint(obj.(service).Count)
}

func describe(ch cache.Change) string {
	return fmt.Sprintf("%s %s obj=%s prev=%s @%d", ch.Type, ch.Key, count(ch.Obj), count(ch.PrevObj), ch.Revision)
}

func nextChange(t *testing.T, changes <-chan cache.Change) cache.Change {
	t.Helper()
	select {
	case ch, ok := <-changes:
		if !ok {
			t.Fatalf("subscription closed unexpectedly")
		}
		return ch
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for a change")
	}
	panic("unreachable")
}
