package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/store"
)

// Run runs the contract suite. open must return a usable, empty store (an
// empty key namespace; other namespaces may share the etcd cluster) and
// arrange for it to be closed when the test ends.
func Run(t *testing.T, open func(t *testing.T) *store.Store) {
	cases := []struct {
		name string
		fn   func(t *testing.T, s *store.Store)
	}{
		{"Ready", testReady},
		{"GetPut", testGetPut},
		{"CreateExists", testCreateExists},
		{"UpdateCAS", testUpdateCAS},
		{"Delete", testDelete},
		{"TxnAllOrNothing", testTxnAllOrNothing},
		{"ListOrderingAndPagination", testListPagination},
		{"PrefixIsolation", testPrefixIsolation},
		{"WatchFromRevision", testWatchFromRevision},
		{"WatchPutsAndDeletesInOrder", testWatchOrder},
		{"WatchBatchesGroupTxn", testWatchBatches},
		{"WatchCompacted", testWatchCompacted},
		{"ConcurrentCASIncrements", testConcurrentCAS},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.fn(t, open(t))
		})
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustPut(t *testing.T, s *store.Store, key, value string) int64 {
	t.Helper()
	rev, err := s.Put(testContext(t), key, []byte(value))
	if err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
	return rev
}

func testReady(t *testing.T, s *store.Store) {
	select {
	case <-s.Ready():
	default:
		t.Fatalf("Ready() not closed after open")
	}
	if s.Client() == nil {
		t.Fatalf("Client() = nil")
	}
}

func testGetPut(t *testing.T, s *store.Store) {
	ctx := testContext(t)
	if _, err := s.Get(ctx, "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(missing) err = %v, want ErrNotFound", err)
	}
	rev1 := mustPut(t, s, "k", "v1")
	kv, err := s.Get(ctx, "k")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if kv.Key != "k" || string(kv.Value) != "v1" || kv.ModRevision != rev1 || kv.CreateRevision != rev1 {
		t.Fatalf("Get = %+v, want key k value v1 at revision %d", kv, rev1)
	}
	rev2 := mustPut(t, s, "k", "v2")
	if rev2 <= rev1 {
		t.Fatalf("second Put revision %d not after %d", rev2, rev1)
	}
	kv, err = s.Get(ctx, "k")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if string(kv.Value) != "v2" || kv.ModRevision != rev2 || kv.CreateRevision != rev1 {
		t.Fatalf("Get after overwrite = %+v, want v2 mod %d create %d", kv, rev2, rev1)
	}
}

func testCreateExists(t *testing.T, s *store.Store) {
	ctx := testContext(t)
	rev, err := s.Create(ctx, "c", []byte("first"))
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := s.Create(ctx, "c", []byte("second")); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second Create err = %v, want ErrExists", err)
	}
	kv, err := s.Get(ctx, "c")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if string(kv.Value) != "first" || kv.ModRevision != rev {
		t.Fatalf("Get = %+v, want first at %d", kv, rev)
	}
}

func testUpdateCAS(t *testing.T, s *store.Store) {
	ctx := testContext(t)
	if _, err := s.Update(ctx, "u", []byte("x"), 1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Update(missing) err = %v, want ErrNotFound", err)
	}
	rev1 := mustPut(t, s, "u", "v1")
	rev2, err := s.Update(ctx, "u", []byte("v2"), rev1)
	if err != nil {
		t.Fatalf("Update at current revision: %v", err)
	}
	_, err = s.Update(ctx, "u", []byte("v3"), rev1)
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("Update at stale revision err = %v, want ErrConflict", err)
	}
	kv, err := s.Get(ctx, "u")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if string(kv.Value) != "v2" || kv.ModRevision != rev2 {
		t.Fatalf("Get = %+v, want v2 at %d", kv, rev2)
	}
}

func testDelete(t *testing.T, s *store.Store) {
	ctx := testContext(t)
	if _, err := s.Delete(ctx, "d", 0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Delete(missing, 0) err = %v, want ErrNotFound", err)
	}
	if _, err := s.Delete(ctx, "d", 5); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Delete(missing, 5) err = %v, want ErrNotFound", err)
	}
	rev1 := mustPut(t, s, "d", "v1")
	rev2 := mustPut(t, s, "d", "v2")
	if _, err := s.Delete(ctx, "d", rev1); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("Delete at stale revision err = %v, want ErrConflict", err)
	}
	drev, err := s.Delete(ctx, "d", rev2)
	if err != nil {
		t.Fatalf("Delete at current revision: %v", err)
	}
	if drev <= rev2 {
		t.Fatalf("Delete revision %d not after %d", drev, rev2)
	}
	if _, err := s.Get(ctx, "d"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get after Delete err = %v, want ErrNotFound", err)
	}
	mustPut(t, s, "d", "v3")
	if _, err := s.Delete(ctx, "d", 0); err != nil {
		t.Fatalf("unconditional Delete: %v", err)
	}
	if _, err := s.Get(ctx, "d"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get after unconditional Delete err = %v, want ErrNotFound", err)
	}
}

func testTxnAllOrNothing(t *testing.T, s *store.Store) {
	ctx := testContext(t)
	revA := mustPut(t, s, "t/a", "a1")
	revB := mustPut(t, s, "t/b", "b1")

	// A stale condition on b: nothing is applied, and the error names b.
	mustPut(t, s, "t/b", "b2")
	_, err := s.Txn(ctx,
		[]store.Cond{{Key: "t/a", ModRevision: revA}, {Key: "t/b", ModRevision: revB}},
		[]store.Op{{Key: "t/a", Value: []byte("a2")}, {Key: "t/new", Value: []byte("n")}})
	if !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "t/b") {
		t.Fatalf("Txn with stale cond err = %v, want ErrConflict naming t/b", err)
	}
	if kv, err := s.Get(ctx, "t/a"); err != nil || string(kv.Value) != "a1" {
		t.Fatalf("t/a after failed txn = %+v, %v; want a1 untouched", kv, err)
	}
	if _, err := s.Get(ctx, "t/new"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("t/new after failed txn err = %v, want ErrNotFound", err)
	}

	// "Must not exist" on an existing key fails too.
	_, err = s.Txn(ctx, []store.Cond{{Key: "t/a", ModRevision: 0}}, []store.Op{{Key: "t/x", Value: []byte("x")}})
	if !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "t/a") {
		t.Fatalf("Txn with must-not-exist on existing key err = %v, want ErrConflict naming t/a", err)
	}

	// All conditions hold: puts and deletes land at one revision.
	rev, err := s.Txn(ctx,
		[]store.Cond{{Key: "t/a", ModRevision: revA}, {Key: "t/new", ModRevision: 0}},
		[]store.Op{{Key: "t/a", Value: []byte("a2")}, {Key: "t/new", Value: []byte("n")}, {Key: "t/b", Delete: true}})
	if err != nil {
		t.Fatalf("Txn: %v", err)
	}
	kvs, _, err := s.List(ctx, "t/")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	got := make([]string, 0, len(kvs))
	for _, kv := range kvs {
		if kv.ModRevision != rev {
			t.Fatalf("%s ModRevision = %d, want txn revision %d", kv.Key, kv.ModRevision, rev)
		}
		got = append(got, kv.Key+"="+string(kv.Value))
	}
	if want := []string{"t/a=a2", "t/new=n"}; !slices.Equal(got, want) {
		t.Fatalf("after txn = %v, want %v", got, want)
	}
}

func testListPagination(t *testing.T, s *store.Store) {
	ctx := testContext(t)
	const n = 2500
	// Write in a scrambled order, 100 keys per transaction.
	var want []string
	var ops []store.Op
	var lastRev int64
	for i := range n {
		j := (i * 7919) % n // 7919 is prime, so this is a permutation
		key := fmt.Sprintf("items/%05d", j)
		want = append(want, key)
		ops = append(ops, store.Op{Key: key, Value: []byte(strconv.Itoa(j))})
		if len(ops) == 100 {
			rev, err := s.Txn(ctx, nil, ops)
			if err != nil {
				t.Fatalf("Txn: %v", err)
			}
			lastRev, ops = rev, nil
		}
	}
	slices.Sort(want)
	mustPut(t, s, "itemz", "outside the items/ prefix")

	kvs, rev, err := s.List(ctx, "items/")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if rev < lastRev {
		t.Fatalf("List revision %d before last write %d", rev, lastRev)
	}
	if len(kvs) != n {
		t.Fatalf("List returned %d keys, want %d", len(kvs), n)
	}
	for i, kv := range kvs {
		if kv.Key != want[i] {
			t.Fatalf("List[%d] = %s, want %s", i, kv.Key, want[i])
		}
		if strings.TrimPrefix(kv.Key, "items/") != fmt.Sprintf("%05s", string(kv.Value)) {
			t.Fatalf("List[%d] = %s=%s: value does not match key", i, kv.Key, kv.Value)
		}
	}

	sub, _, err := s.List(ctx, "items/012")
	if err != nil {
		t.Fatalf("List sub-prefix: %v", err)
	}
	if len(sub) != 100 || sub[0].Key != "items/01200" || sub[99].Key != "items/01299" {
		t.Fatalf("List(items/012) = %d keys, want items/01200..items/01299", len(sub))
	}

	// A past revision still shows the past.
	mustPut(t, s, "items/99999", "later")
	old, err := s.ListAtRevision(ctx, "items/", rev)
	if err != nil {
		t.Fatalf("ListAtRevision: %v", err)
	}
	if len(old) != n {
		t.Fatalf("ListAtRevision(%d) = %d keys, want %d", rev, len(old), n)
	}
}

func testPrefixIsolation(t *testing.T, s *store.Store) {
	ctx := testContext(t)
	mustPut(t, s, "a/1", "x")
	mustPut(t, s, "a/2", "x")
	mustPut(t, s, "ab/1", "x")
	mustPut(t, s, "a", "x")

	kvs, _, err := s.List(ctx, "a/")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if got := keys(kvs); !slices.Equal(got, []string{"a/1", "a/2"}) {
		t.Fatalf("List(a/) = %v, want [a/1 a/2]", got)
	}

	// A key next to this store's namespace is invisible to it.
	outside := strings.TrimSuffix(s.Prefix(), "/") + "-outside/k"
	w := s.Watch(ctx, "", 0)
	if _, err := s.Client().Put(ctx, outside, "x"); err != nil {
		t.Fatalf("raw Put: %v", err)
	}
	if _, err := s.Client().Put(ctx, s.Prefix()+"marker", "x"); err != nil {
		t.Fatalf("raw Put: %v", err)
	}
	kvs, _, err = s.List(ctx, "")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if got := keys(kvs); !slices.Equal(got, []string{"a", "a/1", "a/2", "ab/1", "marker"}) {
		t.Fatalf("List(\"\") = %v, want only this namespace", got)
	}
	if ev := next(t, w); ev.KV.Key != "marker" {
		t.Fatalf("first watch event = %+v, want marker (the outside key must not show)", ev)
	}
}

func keys(kvs []store.KV) []string {
	out := make([]string, 0, len(kvs))
	for _, kv := range kvs {
		out = append(out, kv.Key)
	}
	return out
}

func next(t *testing.T, w <-chan store.WatchEvent) store.WatchEvent {
	t.Helper()
	select {
	case ev, ok := <-w:
		if !ok {
			t.Fatalf("watch channel closed unexpectedly")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for watch event")
	}
	panic("unreachable")
}

func describe(ev store.WatchEvent) string {
	if ev.Err != nil {
		return "err:" + ev.Err.Error()
	}
	return fmt.Sprintf("%s %s=%s@%d", ev.Type, ev.KV.Key, ev.KV.Value, ev.KV.ModRevision)
}

func testWatchFromRevision(t *testing.T, s *store.Store) {
	ctx := testContext(t)
	mustPut(t, s, "w/a", "1")
	revB := mustPut(t, s, "w/b", "1")
	revC := mustPut(t, s, "w/c", "1")

	w := s.Watch(ctx, "w/", revB)
	revD := mustPut(t, s, "w/d", "1")
	want := []string{
		fmt.Sprintf("put w/b=1@%d", revB),
		fmt.Sprintf("put w/c=1@%d", revC),
		fmt.Sprintf("put w/d=1@%d", revD),
	}
	for i, wantEv := range want {
		if got := describe(next(t, w)); got != wantEv {
			t.Fatalf("event %d = %s, want %s", i, got, wantEv)
		}
	}
}

func testWatchOrder(t *testing.T, s *store.Store) {
	ctx := testContext(t)
	w := s.Watch(ctx, "o/", 0)
	r1 := mustPut(t, s, "o/x", "1")
	r2 := mustPut(t, s, "o/y", "1")
	r3, err := s.Delete(ctx, "o/x", 0)
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	r4 := mustPut(t, s, "o/x", "2")
	mustPut(t, s, "other", "not watched")
	r5, err := s.Delete(ctx, "o/y", r2)
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	want := []string{
		fmt.Sprintf("put o/x=1@%d", r1),
		fmt.Sprintf("put o/y=1@%d", r2),
		fmt.Sprintf("delete o/x=@%d", r3),
		fmt.Sprintf("put o/x=2@%d", r4),
		fmt.Sprintf("delete o/y=@%d", r5),
	}
	for i, wantEv := range want {
		if got := describe(next(t, w)); got != wantEv {
			t.Fatalf("event %d = %s, want %s", i, got, wantEv)
		}
	}
}

func testWatchBatches(t *testing.T, s *store.Store) {
	ctx := testContext(t)
	wb := s.WatchBatches(ctx, "b/", 0)
	rev, err := s.Txn(ctx, nil, []store.Op{{Key: "b/1", Value: []byte("x")}, {Key: "b/2", Value: []byte("y")}})
	if err != nil {
		t.Fatalf("Txn: %v", err)
	}
	select {
	case b := <-wb:
		if b.Err != nil || b.Revision != rev || len(b.Events) != 2 {
			t.Fatalf("batch = %+v, want both txn events at revision %d", b, rev)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for watch batch")
	}
}

func testWatchCompacted(t *testing.T, s *store.Store) {
	ctx := testContext(t)
	old := mustPut(t, s, "cmp/a", "1")
	mustPut(t, s, "cmp/a", "2")
	latest := mustPut(t, s, "cmp/a", "3")
	if _, err := s.Client().Compact(ctx, latest); err != nil {
		t.Fatalf("Compact: %v", err)
	}

	w := s.Watch(ctx, "cmp/", old)
	ev := next(t, w)
	if !errors.Is(ev.Err, store.ErrCompacted) {
		t.Fatalf("watch from compacted revision got %s, want ErrCompacted", describe(ev))
	}
	select {
	case ev, ok := <-w:
		if ok {
			t.Fatalf("watch sent %s after ErrCompacted, want closed channel", describe(ev))
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("watch channel not closed after ErrCompacted")
	}
	if _, err := s.ListAtRevision(ctx, "cmp/", old); !errors.Is(err, store.ErrCompacted) {
		t.Fatalf("ListAtRevision(compacted) err = %v, want ErrCompacted", err)
	}

	// Watching from the compaction point itself still works.
	w = s.Watch(ctx, "cmp/", latest)
	if got, want := describe(next(t, w)), fmt.Sprintf("put cmp/a=3@%d", latest); got != want {
		t.Fatalf("watch from compaction revision = %s, want %s", got, want)
	}
}

func testConcurrentCAS(t *testing.T, s *store.Store) {
	ctx := testContext(t)
	const workers = 50
	if _, err := s.Create(ctx, "counter", []byte("0")); err != nil {
		t.Fatalf("Create: %v", err)
	}
	var (
		mu   sync.Mutex
		seen []int
		wg   sync.WaitGroup
		errs = make(chan error, workers)
	)
	for range workers {
		wg.Go(func() {
			for {
				kv, err := s.Get(ctx, "counter")
				if err != nil {
					errs <- err
					return
				}
				n, err := strconv.Atoi(string(kv.Value))
				if err != nil {
					errs <- err
					return
				}
				_, err = s.Update(ctx, "counter", []byte(strconv.Itoa(n+1)), kv.ModRevision)
				if errors.Is(err, store.ErrConflict) {
					continue
				}
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				seen = append(seen, n+1)
				mu.Unlock()
				return
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("worker: %v", err)
	}
	slices.Sort(seen)
	for i, v := range seen {
		if v != i+1 {
			t.Fatalf("increments = %v, want exactly 1..%d", seen, workers)
		}
	}
	if len(seen) != workers {
		t.Fatalf("%d increments succeeded, want %d", len(seen), workers)
	}
	kv, err := s.Get(ctx, "counter")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if string(kv.Value) != strconv.Itoa(workers) {
		t.Fatalf("counter = %s, want %d", kv.Value, workers)
	}
}
