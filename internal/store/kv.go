package store

import (
	"context"
	"errors"
	"fmt"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// KV is one stored key. Key is relative to the store prefix.
type KV struct {
	Key            string
	Value          []byte
	CreateRevision int64
	ModRevision    int64
}

// Cond is a Txn precondition on one key. ModRevision 0 means "the key must
// not exist"; otherwise the key's ModRevision must equal it.
type Cond struct {
	Key         string
	ModRevision int64
}

// Op is a Txn write: a put of Value, or a delete when Delete is set.
type Op struct {
	Key    string
	Value  []byte
	Delete bool
}

// listPageSize bounds the size of one etcd range response in List.
const listPageSize = 1000

func (s *Store) kv(kv *mvccpb.KeyValue) KV {
	return KV{Key: s.rel(kv.Key), Value: kv.Value, CreateRevision: kv.CreateRevision, ModRevision: kv.ModRevision}
}

// Get reads one key; ErrNotFound when it does not exist.
func (s *Store) Get(ctx context.Context, key string) (KV, error) {
	resp, err := s.client.Get(ctx, s.abs(key))
	if err != nil {
		return KV{}, fmt.Errorf("store: get %s: %w", key, mapErr(err))
	}
	if len(resp.Kvs) == 0 {
		return KV{}, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	return s.kv(resp.Kvs[0]), nil
}

// List returns every key under prefix, sorted by key, and the revision the
// list was read at. Large prefixes are read in pages, all at that revision.
func (s *Store) List(ctx context.Context, prefix string) ([]KV, int64, error) {
	for {
		rev, err := s.Revision(ctx)
		if err != nil {
			return nil, 0, err
		}
		kvs, err := s.ListAtRevision(ctx, prefix, rev)
		// Compaction can overtake a long paginated read; start over at a
		// newer revision.
		if errors.Is(err, ErrCompacted) {
			continue
		}
		return kvs, rev, err
	}
}

// ListAtRevision is List at a given past revision, so that several prefixes
// can be read as one consistent snapshot. ErrCompacted if rev is compacted.
func (s *Store) ListAtRevision(ctx context.Context, prefix string, rev int64) ([]KV, error) {
	start := s.abs(prefix)
	end := clientv3.GetPrefixRangeEnd(start)
	var kvs []KV
	for {
		resp, err := s.client.Get(ctx, start,
			clientv3.WithRange(end),
			clientv3.WithRev(rev),
			clientv3.WithLimit(listPageSize),
			clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend))
		if err != nil {
			return nil, fmt.Errorf("store: list %s at %d: %w", prefix, rev, mapErr(err))
		}
		for _, kv := range resp.Kvs {
			kvs = append(kvs, s.kv(kv))
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return kvs, nil
		}
		start = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}

// Create writes key only if it does not exist; ErrExists otherwise. It
// returns the new revision.
func (s *Store) Create(ctx context.Context, key string, value []byte) (int64, error) {
	k := s.abs(key)
	resp, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(k), "=", 0)).
		Then(clientv3.OpPut(k, string(value))).
		Commit()
	if err != nil {
		return 0, fmt.Errorf("store: create %s: %w", key, mapErr(err))
	}
	if !resp.Succeeded {
		return 0, fmt.Errorf("%w: %s", ErrExists, key)
	}
	return resp.Header.Revision, nil
}

// Update replaces key's value if its ModRevision is still modRev:
// ErrConflict if it changed, ErrNotFound if it is gone.
func (s *Store) Update(ctx context.Context, key string, value []byte, modRev int64) (int64, error) {
	if modRev <= 0 {
		return 0, fmt.Errorf("store: update %s: ModRevision %d is not a revision of an existing key", key, modRev)
	}
	k := s.abs(key)
	resp, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(k), "=", modRev)).
		Then(clientv3.OpPut(k, string(value))).
		Else(clientv3.OpGet(k, clientv3.WithKeysOnly())).
		Commit()
	if err != nil {
		return 0, fmt.Errorf("store: update %s: %w", key, mapErr(err))
	}
	if !resp.Succeeded {
		return 0, casFailure(resp, key, modRev)
	}
	return resp.Header.Revision, nil
}

// Put writes key unconditionally and returns the new revision.
func (s *Store) Put(ctx context.Context, key string, value []byte) (int64, error) {
	resp, err := s.client.Put(ctx, s.abs(key), string(value))
	if err != nil {
		return 0, fmt.Errorf("store: put %s: %w", key, mapErr(err))
	}
	return resp.Header.Revision, nil
}

// Delete removes key. With modRev 0 it is unconditional; otherwise the key's
// ModRevision must still be modRev (ErrConflict). ErrNotFound if absent.
func (s *Store) Delete(ctx context.Context, key string, modRev int64) (int64, error) {
	k := s.abs(key)
	if modRev == 0 {
		resp, err := s.client.Delete(ctx, k)
		if err != nil {
			return 0, fmt.Errorf("store: delete %s: %w", key, mapErr(err))
		}
		if resp.Deleted == 0 {
			return 0, fmt.Errorf("%w: %s", ErrNotFound, key)
		}
		return resp.Header.Revision, nil
	}
	resp, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(k), "=", modRev)).
		Then(clientv3.OpDelete(k)).
		Else(clientv3.OpGet(k, clientv3.WithKeysOnly())).
		Commit()
	if err != nil {
		return 0, fmt.Errorf("store: delete %s: %w", key, mapErr(err))
	}
	if !resp.Succeeded {
		return 0, casFailure(resp, key, modRev)
	}
	return resp.Header.Revision, nil
}

// casFailure explains a failed single-key compare from the Else OpGet.
func casFailure(resp *clientv3.TxnResponse, key string, modRev int64) error {
	kvs := resp.Responses[0].GetResponseRange().GetKvs()
	if len(kvs) == 0 {
		return fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	return fmt.Errorf("%w: %s is at revision %d, not %d", ErrConflict, key, kvs[0].ModRevision, modRev)
}

// Txn applies all ops atomically if every cond holds, and returns the new
// revision; otherwise nothing is written and the error wraps ErrConflict and
// names the first failing key. etcd limits conds+ops per txn (128 by
// default, see --max-txn-ops) and rejects two ops on the same key.
func (s *Store) Txn(ctx context.Context, conds []Cond, ops []Op) (int64, error) {
	cmps := make([]clientv3.Cmp, 0, len(conds))
	elses := make([]clientv3.Op, 0, len(conds))
	for _, c := range conds {
		k := s.abs(c.Key)
		if c.ModRevision == 0 {
			cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(k), "=", 0))
		} else {
			cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(k), "=", c.ModRevision))
		}
		elses = append(elses, clientv3.OpGet(k, clientv3.WithKeysOnly()))
	}
	thens := make([]clientv3.Op, 0, len(ops))
	for _, op := range ops {
		if op.Delete {
			thens = append(thens, clientv3.OpDelete(s.abs(op.Key)))
		} else {
			thens = append(thens, clientv3.OpPut(s.abs(op.Key), string(op.Value)))
		}
	}
	resp, err := s.client.Txn(ctx).If(cmps...).Then(thens...).Else(elses...).Commit()
	if err != nil {
		return 0, fmt.Errorf("store: txn: %w", mapErr(err))
	}
	if resp.Succeeded {
		return resp.Header.Revision, nil
	}
	for i, c := range conds {
		var cur int64
		if kvs := resp.Responses[i].GetResponseRange().GetKvs(); len(kvs) > 0 {
			cur = kvs[0].ModRevision
		}
		if cur != c.ModRevision {
			if c.ModRevision == 0 {
				return 0, fmt.Errorf("%w: %s exists (revision %d)", ErrConflict, c.Key, cur)
			}
			if cur == 0 {
				return 0, fmt.Errorf("%w: %s no longer exists", ErrConflict, c.Key)
			}
			return 0, fmt.Errorf("%w: %s is at revision %d, not %d", ErrConflict, c.Key, cur, c.ModRevision)
		}
	}
	return 0, fmt.Errorf("%w: txn conditions did not hold", ErrConflict)
}
