package buildrun

import (
	"context"
	"log/slog"
	"time"

	"github.com/wharfhq/wharf/internal/model"
)

// reporter sends a build's state to the server off the build's path:
// intermediate states are coalesced (only the newest pending one is sent),
// the final state is retried until the server takes it.
type reporter struct {
	quit   <-chan struct{} // the agent is stopping: stop retrying
	server Server
	id     string
	log    *slog.Logger
	next   chan model.BuildState // capacity 1: the newest unsent state
	done   chan struct{}
}

func newReporter(quit <-chan struct{}, server Server, id string, log *slog.Logger) *reporter {
	r := &reporter{quit: quit, server: server, id: id, log: log, next: make(chan model.BuildState, 1), done: make(chan struct{})}
	go r.run()
	return r
}

// put queues st, replacing a queued older state.
func (r *reporter) put(st model.BuildState) {
	for {
		select {
		case r.next <- st:
			return
		default:
		}
		select {
		case <-r.next:
		default:
		}
	}
}

// final queues the last state; close waits until it is delivered.
func (r *reporter) final(st model.BuildState) { r.put(st) }

// close delivers what is queued and stops.
func (r *reporter) close() {
	close(r.next)
	<-r.done
}

func (r *reporter) run() {
	defer close(r.done)
	for st := range r.next {
		r.send(st)
	}
}

// send delivers st; a final state is retried for up to ten minutes (the
// server may be restarting) unless the agent stops, an intermediate one is
// dropped on failure because a newer one follows.
func (r *reporter) send(st model.BuildState) {
	backoff := 250 * time.Millisecond
	deadline := time.Now().Add(10 * time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := r.server.PutBuildState(ctx, r.id, st)
		cancel()
		if err == nil {
			return
		}
		if !st.Complete || time.Now().After(deadline) {
			r.log.Warn("report build state", "phase", st.CurrentPhase, "err", err)
			return
		}
		select {
		case <-r.quit:
			r.log.Warn("agent stopping; build state not reported (the next agent reports the build as interrupted)", "err", err)
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}
