package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/btree"

	"github.com/wharfhq/wharf/internal/store"
)

// Decoder turns stored bytes under a registered prefix into an object.
type Decoder func(key string, value []byte) (any, error)

// Entry is one cached object.
type Entry struct {
	Key            string
	Obj            any
	ModRevision    int64
	CreateRevision int64
}

// Relist retry bounds after a compaction or a lost watch.
const (
	relistRetryMin = 100 * time.Millisecond
	relistRetryMax = 5 * time.Second
)

// Cache is a watch-fed, read-only view of registered key prefixes. Reads
// are safe for concurrent use; Register must happen before Start.
type Cache struct {
	store  *store.Store
	logger *slog.Logger

	mu      sync.RWMutex
	indexes []*index // sorted by prefix, non-overlapping
	rev     int64
	revCh   chan struct{} // closed and replaced whenever rev advances
	started bool

	subs    subscribers
	runDone chan struct{} // closed when the watch loop has returned

}

// index holds the objects under one registered prefix, ordered by key so
// that prefix sub-ranges are read without scanning anything else.
type index struct {
	prefix string
	dec    Decoder
	tree   *btree.BTreeG[Entry]
}

func lessKey(a, b Entry) bool { return a.Key < b.Key }

func newTree() *btree.BTreeG[Entry] { return btree.NewG(32, lessKey) }

// New returns an empty cache over s. Register prefixes, then Start it.
func New(s *store.Store, logger *slog.Logger) *Cache {
	if logger == nil {
		logger = slog.Default()
	}
	return &Cache{
		store:   s,
		logger:  logger.With("component", "cache"),
		revCh:   make(chan struct{}),
		runDone: make(chan struct{}),
	}
}

// Register caches every key under prefix, decoded with dec. Prefixes must
// not overlap (neither may be a prefix of another), and Register must be
// called before Start; it panics otherwise, as both are programming errors.
func (c *Cache) Register(prefix string, dec Decoder) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started {
		panic("cache: Register after Start")
	}
	for _, ix := range c.indexes {
		if strings.HasPrefix(prefix, ix.prefix) || strings.HasPrefix(ix.prefix, prefix) {
			panic(fmt.Sprintf("cache: prefix %q overlaps registered prefix %q", prefix, ix.prefix))
		}
	}
	c.indexes = append(c.indexes, &index{prefix: prefix, dec: dec, tree: newTree()})
	slices.SortFunc(c.indexes, func(a, b *index) int { return strings.Compare(a.prefix, b.prefix) })
}

// Start lists all registered prefixes at one revision, then watches the
// whole store namespace from the next revision in the background until ctx
// is done. It returns once the cache is primed.
func (c *Cache) Start(ctx context.Context) error {
	c.mu.Lock()
	if c.started {
		c.mu.Unlock()
		return errors.New("cache: already started")
	}
	c.started = true
	c.mu.Unlock()

	trees, rev, err := c.list(ctx)
	for errors.Is(err, store.ErrCompacted) {
		trees, rev, err = c.list(ctx)
	}
	if err != nil {
		return fmt.Errorf("cache: prime: %w", err)
	}
	c.replace(trees, rev)
	c.logger.Debug("cache primed", "revision", rev)
	go func() {
		defer close(c.runDone)
		c.run(ctx)
	}()
	return nil
}

// list reads every registered prefix at one revision into fresh trees,
// decoding as it goes.
func (c *Cache) list(ctx context.Context) ([]*btree.BTreeG[Entry], int64, error) {
	rev, err := c.store.Revision(ctx)
	if err != nil {
		return nil, 0, err
	}
	trees := make([]*btree.BTreeG[Entry], len(c.indexes))
	for i, ix := range c.indexes {
		kvs, err := c.store.ListAtRevision(ctx, ix.prefix, rev)
		if err != nil {
			return nil, 0, err
		}
		trees[i] = newTree()
		for _, kv := range kvs {
			if e, ok := c.decode(ix, kv); ok {
				trees[i].ReplaceOrInsert(e)
			}
		}
	}
	return trees, rev, nil
}

func (c *Cache) decode(ix *index, kv store.KV) (Entry, bool) {
	obj, err := ix.dec(kv.Key, kv.Value)
	if err != nil {
		c.logger.Error("skipping undecodable value", "key", kv.Key, "revision", kv.ModRevision, "err", err)
		return Entry{}, false
	}
	return Entry{Key: kv.Key, Obj: obj, ModRevision: kv.ModRevision, CreateRevision: kv.CreateRevision}, true
}

// run applies watch batches; on compaction (or a watch that ends while ctx
// is live) it relists, swaps the new snapshot in atomically and resumes.
func (c *Cache) run(ctx context.Context) {
	for {
		for b := range c.store.WatchBatches(ctx, "", c.Revision()+1) {
			if b.Err != nil {
				c.logger.Warn("cache watch lost, relisting", "revision", c.Revision(), "err", b.Err)
				break
			}
			c.apply(b)
		}
		if ctx.Err() != nil {
			return
		}
		if !c.relist(ctx) {
			return
		}
	}
}

// relist retries until it has a new snapshot or ctx is done. Readers keep
// seeing the old data until the swap.
func (c *Cache) relist(ctx context.Context) bool {
	backoff := relistRetryMin
	for {
		trees, rev, err := c.list(ctx)
		if err == nil {
			c.replace(trees, rev)
			c.logger.Info("cache relisted", "revision", rev)
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		c.logger.Warn("cache relist failed", "err", err, "retry_in", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return false
		}
		backoff = min(2*backoff, relistRetryMax)
	}
}

// indexFor returns the registered index owning key, or nil.
func (c *Cache) indexFor(key string) (int, *index) {
	for i, ix := range c.indexes {
		if strings.HasPrefix(key, ix.prefix) {
			return i, ix
		}
	}
	return -1, nil
}

// apply folds one watch batch in. Decoding happens before taking the lock;
// the revision advances only after the whole batch (one or more complete
// transactions) is visible.
func (c *Cache) apply(b store.WatchBatch) {
	type pending struct {
		ix    int
		typ   store.EventType
		entry Entry
	}
	ops := make([]pending, 0, len(b.Events))
	for _, ev := range b.Events {
		i, ix := c.indexFor(ev.KV.Key)
		if ix == nil {
			continue
		}
		switch ev.Type {
		case store.EventPut:
			e, ok := c.decode(ix, ev.KV)
			if !ok {
				continue // keep whatever was cached before
			}
			ops = append(ops, pending{ix: i, typ: store.EventPut, entry: e})
		case store.EventDelete:
			ops = append(ops, pending{ix: i, typ: store.EventDelete, entry: Entry{Key: ev.KV.Key, ModRevision: ev.KV.ModRevision}})
		}
	}

	changes := make([]Change, 0, len(ops))
	c.mu.Lock()
	for _, op := range ops {
		tree := c.indexes[op.ix].tree
		ch := Change{Type: op.typ, Key: op.entry.Key, Revision: op.entry.ModRevision}
		if op.typ == store.EventPut {
			ch.Obj = op.entry.Obj
			if prev, ok := tree.ReplaceOrInsert(op.entry); ok {
				ch.PrevObj = prev.Obj
			}
		} else {
			prev, ok := tree.Delete(op.entry)
			if !ok {
				continue
			}
			ch.PrevObj = prev.Obj
		}
		changes = append(changes, ch)
	}
	c.advanceLocked(b.Revision)
	c.mu.Unlock()
	c.subs.publish(changes)
}

// replace swaps in freshly listed trees and tells subscribers what differs
// from what they have seen.
func (c *Cache) replace(trees []*btree.BTreeG[Entry], rev int64) {
	var changes []Change
	c.mu.Lock()
	for i, ix := range c.indexes {
		changes = appendDiff(changes, ix.tree, trees[i], rev)
		ix.tree = trees[i]
	}
	c.advanceLocked(rev)
	c.mu.Unlock()
	c.subs.publish(changes)
}

// appendDiff appends the changes that turn old into new. Deletes found this
// way carry the relist revision, the only one known.
func appendDiff(changes []Change, old, new *btree.BTreeG[Entry], rev int64) []Change {
	new.Ascend(func(e Entry) bool {
		prev, ok := old.Get(e)
		switch {
		case !ok:
			changes = append(changes, Change{Type: store.EventPut, Key: e.Key, Obj: e.Obj, Revision: e.ModRevision})
		case prev.ModRevision != e.ModRevision:
			changes = append(changes, Change{Type: store.EventPut, Key: e.Key, Obj: e.Obj, PrevObj: prev.Obj, Revision: e.ModRevision})
		}
		return true
	})
	old.Ascend(func(e Entry) bool {
		if !new.Has(e) {
			changes = append(changes, Change{Type: store.EventDelete, Key: e.Key, PrevObj: e.Obj, Revision: rev})
		}
		return true
	})
	return changes
}

func (c *Cache) advanceLocked(rev int64) {
	if rev <= c.rev {
		return
	}
	c.rev = rev
	close(c.revCh)
	c.revCh = make(chan struct{})
}

// Revision is the store revision the cache reflects: every write up to and
// including it is visible.
func (c *Cache) Revision() int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.rev
}

// WaitForRevision blocks until the cache reflects rev (typically the
// revision a store write just returned) or ctx is done.
func (c *Cache) WaitForRevision(ctx context.Context, rev int64) error {
	for {
		c.mu.RLock()
		cur, ch := c.rev, c.revCh
		c.mu.RUnlock()
		if cur >= rev {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("cache: waiting for revision %d (at %d): %w", rev, cur, ctx.Err())
		}
	}
}

// Get returns the cached object at key and its ModRevision.
func (c *Cache) Get(key string) (obj any, modRev int64, ok bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	_, ix := c.indexFor(key)
	if ix == nil {
		return nil, 0, false
	}
	e, ok := ix.tree.Get(Entry{Key: key})
	if !ok {
		return nil, 0, false
	}
	return e.Obj, e.ModRevision, true
}

// List returns the cached entries under prefix, sorted by key. prefix may be
// a registered prefix, a sub-range of one (read in O(log n + k)), or a
// shorter prefix spanning several.
func (c *Cache) List(prefix string) []Entry {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []Entry
	for _, ix := range c.indexes {
		switch {
		case strings.HasPrefix(prefix, ix.prefix):
			ix.tree.AscendGreaterOrEqual(Entry{Key: prefix}, func(e Entry) bool {
				if !strings.HasPrefix(e.Key, prefix) {
					return false
				}
				out = append(out, e)
				return true
			})
		case strings.HasPrefix(ix.prefix, prefix):
			if out == nil {
				out = make([]Entry, 0, ix.tree.Len())
			}
			ix.tree.Ascend(func(e Entry) bool {
				out = append(out, e)
				return true
			})
		}
	}
	// Indexes are sorted and non-overlapping, so their concatenation is
	// already in key order.
	return out
}

// Scan calls fn for the entries under prefix in key order (descending when
// desc), starting strictly after the key after ("" starts at the first or,
// descending, the last entry), until fn returns false. It reads in
// O(log n + k) when prefix lies within one registered prefix.
func (c *Cache) Scan(prefix, after string, desc bool, fn func(Entry) bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, ix := range c.indexes {
		if !strings.HasPrefix(prefix, ix.prefix) {
			continue
		}
		visit := func(e Entry) bool {
			if !strings.HasPrefix(e.Key, prefix) {
				return !desc && e.Key < prefix // before the range (only when descending from the end)
			}
			if e.Key == after {
				return true
			}
			return fn(e)
		}
		switch {
		case !desc && after == "":
			ix.tree.AscendGreaterOrEqual(Entry{Key: prefix}, func(e Entry) bool {
				if !strings.HasPrefix(e.Key, prefix) {
					return false
				}
				return fn(e)
			})
		case !desc:
			ix.tree.AscendGreaterOrEqual(Entry{Key: after}, func(e Entry) bool {
				if !strings.HasPrefix(e.Key, prefix) {
					return false
				}
				return visit(e)
			})
		default:
			pivot := after
			if pivot == "" {
				pivot = prefix + "\xff\xff\xff\xff"
			}
			ix.tree.DescendLessOrEqual(Entry{Key: pivot}, func(e Entry) bool {
				if !strings.HasPrefix(e.Key, prefix) {
					return e.Key > prefix // skip keys above the range, stop below it
				}
				return visit(e)
			})
		}
		return
	}
	for _, e := range c.List(prefix) {
		if !fn(e) {
			return
		}
	}
}
