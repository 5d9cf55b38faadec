package cache

import (
	"strings"
	"sync"

	"github.com/wharfhq/wharf/internal/store"
)

// Change is one update seen by the cache. For puts Obj is the new object
// and PrevObj the one it replaced (nil on create); for deletes Obj is nil
// and PrevObj the removed object. Revision is the store revision of the
// change.
type Change struct {
	Type     store.EventType
	Key      string
	Obj      any
	PrevObj  any
	Revision int64
}

// Subscribe delivers every change under prefix, in revision order, until
// the returned cancel func is called (which closes the channel). To see
// everything, subscribe first and then List: changes that raced with the
// List arrive again, which is harmless for level-based controllers.
//
// Each subscription has an unbounded queue drained by its own goroutine,
// so a slow subscriber never blocks the watch loop or other subscribers; it
// only costs memory until it catches up. After a compaction-triggered
// relist, subscribers receive the differences between the old and the new
// snapshot as ordinary changes.
func (c *Cache) Subscribe(prefix string) (<-chan Change, func()) {
	sub := &subscription{
		prefix: prefix,
		wake:   make(chan struct{}, 1),
		out:    make(chan Change, 64),
		done:   make(chan struct{}),
	}
	c.subs.add(sub)
	go sub.pump()
	var once sync.Once
	return sub.out, func() {
		once.Do(func() {
			c.subs.remove(sub)
			close(sub.done)
		})
	}
}

type subscribers struct {
	mu  sync.Mutex
	set map[*subscription]struct{}
}

func (s *subscribers) add(sub *subscription) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.set == nil {
		s.set = make(map[*subscription]struct{})
	}
	s.set[sub] = struct{}{}
}

func (s *subscribers) remove(sub *subscription) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.set, sub)
}

// publish queues changes for every interested subscriber. It never blocks
// on a subscriber. Only the cache's watch goroutine (or Start) calls it, so
// changes are queued in revision order.
func (s *subscribers) publish(changes []Change) {
	if len(changes) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for sub := range s.set {
		sub.enqueue(changes)
	}
}

type subscription struct {
	prefix string

	mu    sync.Mutex
	queue []Change

	wake chan struct{} // capacity 1: "queue may be non-empty"
	out  chan Change
	done chan struct{}
}

func (s *subscription) enqueue(changes []Change) {
	s.mu.Lock()
	n := len(s.queue)
	for _, ch := range changes {
		if strings.HasPrefix(ch.Key, s.prefix) {
			s.queue = append(s.queue, ch)
		}
	}
	added := len(s.queue) > n
	s.mu.Unlock()
	if added {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// pump moves queued changes to the subscriber's channel until cancelled.
func (s *subscription) pump() {
	defer close(s.out)
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			s.queue = nil // let a burst's backing array go
			s.mu.Unlock()
			select {
			case <-s.wake:
				continue
			case <-s.done:
				return
			}
		}
		ch := s.queue[0]
		s.queue[0] = Change{}
		s.queue = s.queue[1:]
		s.mu.Unlock()
		select {
		case s.out <- ch:
		case <-s.done:
			return
		}
	}
}
