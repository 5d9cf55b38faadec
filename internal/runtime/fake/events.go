package fake

import (
	"context"
	"sync"

	"github.com/wharfhq/wharf/internal/runtime"
)

// Events streams the lifecycle events of all containers (all of them carry
// wharf.managed=true) from now on. Events are queued without bound, so a
// slow reader never blocks the runtime.
func (r *Runtime) Events(ctx context.Context) (<-chan runtime.Event, <-chan error) {
	s := &subscriber{wake: make(chan struct{}, 1)}
	r.mu.Lock()
	r.subs[s] = struct{}{}
	r.mu.Unlock()

	out := make(chan runtime.Event)
	errs := make(chan error, 1)
	go func() {
		defer close(errs)
		defer close(out)
		defer func() {
			r.mu.Lock()
			delete(r.subs, s)
			r.mu.Unlock()
		}()
		for {
			for _, ev := range s.take() {
				select {
				case out <- ev:
				case <-ctx.Done():
					errs <- ctx.Err()
					return
				}
			}
			select {
			case <-s.wake:
			case <-ctx.Done():
				errs <- ctx.Err()
				return
			}
		}
	}()
	return out, errs
}

// subscriber is one Events stream's queue.
type subscriber struct {
	mu    sync.Mutex
	queue []runtime.Event
	wake  chan struct{}
}

func (s *subscriber) push(ev runtime.Event) {
	s.mu.Lock()
	s.queue = append(s.queue, ev)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *subscriber) take() []runtime.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue
	s.queue = nil
	return q
}
