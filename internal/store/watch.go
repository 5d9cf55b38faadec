package store

import (
	"context"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// EventType says what happened to a key.
type EventType int

const (
	EventPut EventType = iota + 1
	EventDelete
)

func (t EventType) String() string {
	switch t {
	case EventPut:
		return "put"
	case EventDelete:
		return "delete"
	}
	return "unknown"
}

// WatchEvent is one change. For deletes KV carries the key and the
// revision of the delete in ModRevision, no value. When Err is set
// (ErrCompacted) it is the last event and the channel closes after it.
type WatchEvent struct {
	Type EventType
	KV   KV
	Err  error
}

// WatchBatch is everything that happened at one or more revisions up to
// and including Revision, as delivered by etcd: all events of one
// transaction arrive in the same batch. A batch without events is a
// progress report: nothing under the prefix changed up to Revision.
type WatchBatch struct {
	Revision int64
	Events   []WatchEvent
	Err      error
}

// watch retry bounds when etcd closes a watch channel that we did not ask
// to close (leader loss, server shutdown, cancelled stream).
const (
	watchRetryMin = 50 * time.Millisecond
	watchRetryMax = 2 * time.Second
)

// Watch streams changes under prefix starting at fromRev (fromRev <= 0:
// changes after the current revision), in revision order. If fromRev has
// been compacted, it sends one event with Err = ErrCompacted and closes.
// Otherwise it survives reconnects and closes only when ctx is done or the
// store is closed.
func (s *Store) Watch(ctx context.Context, prefix string, fromRev int64) <-chan WatchEvent {
	out := make(chan WatchEvent, 64)
	batches := s.WatchBatches(ctx, prefix, fromRev)
	go func() {
		defer close(out)
		for b := range batches {
			if b.Err != nil {
				b.Events = append(b.Events, WatchEvent{Err: b.Err})
			}
			for _, ev := range b.Events {
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

// WatchBatches is Watch with events grouped per etcd response, for
// consumers that track a revision (such as a cache offering
// read-your-writes): after a batch, every change up to Revision is known.
func (s *Store) WatchBatches(ctx context.Context, prefix string, fromRev int64) <-chan WatchBatch {
	out := make(chan WatchBatch, 16)
	// "From now" means from the moment of the call, so resolve it before
	// returning; if that read fails the loop keeps trying.
	if fromRev <= 0 {
		if rev, err := s.Revision(ctx); err == nil {
			fromRev = rev + 1
		}
	}
	go s.watchLoop(ctx, prefix, fromRev, out)
	return out
}

func (s *Store) watchLoop(ctx context.Context, prefix string, fromRev int64, out chan<- WatchBatch) {
	defer close(out)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-s.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	send := func(b WatchBatch) bool {
		select {
		case out <- b:
			return true
		case <-ctx.Done():
			return false
		}
	}

	// lastRev is the revision up to which everything has been delivered.
	lastRev := fromRev - 1
	for lastRev < 0 {
		rev, err := s.Revision(ctx)
		if err == nil {
			lastRev = rev
			break
		}
		if !sleepCtx(ctx, watchRetryMin) {
			return
		}
	}

	key := s.abs(prefix)
	backoff := watchRetryMin
	for {
		// WithRequireLeader: on an external cluster, a member that loses
		// its leader cancels the watch instead of silently going stale; we
		// then reconnect, possibly to another member.
		wctx := clientv3.WithRequireLeader(ctx)
		wch := s.client.Watch(wctx, key,
			clientv3.WithPrefix(),
			clientv3.WithRev(lastRev+1),
			clientv3.WithProgressNotify())
		for resp := range wch {
			if resp.CompactRevision != 0 {
				send(WatchBatch{Revision: lastRev, Err: ErrCompacted})
				return
			}
			if err := resp.Err(); err != nil {
				s.logger.Debug("watch interrupted", "prefix", prefix, "rev", lastRev, "err", err)
				break
			}
			backoff = watchRetryMin
			if resp.IsProgressNotify() {
				if resp.Header.Revision > lastRev {
					lastRev = resp.Header.Revision
					if !send(WatchBatch{Revision: lastRev}) {
						return
					}
				}
				continue
			}
			if len(resp.Events) == 0 {
				continue
			}
			b := WatchBatch{Events: make([]WatchEvent, 0, len(resp.Events))}
			for _, ev := range resp.Events {
				we := WatchEvent{Type: EventPut, KV: s.kv(ev.Kv)}
				if ev.Type == clientv3.EventTypeDelete {
					we.Type = EventDelete
					we.KV.Value = nil
				}
				b.Events = append(b.Events, we)
			}
			lastRev = resp.Events[len(resp.Events)-1].Kv.ModRevision
			b.Revision = lastRev
			if !send(b) {
				return
			}
		}
		if ctx.Err() != nil {
			return
		}
		// The channel closed while we still want events: re-establish from
		// where we left off.
		if !sleepCtx(ctx, backoff) {
			return
		}
		backoff = min(2*backoff, watchRetryMax)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
