package server

import (
	"context"
	"os"
	"strconv"
	"time"

	"go.etcd.io/etcd/client/v3/concurrency"
)

// electionPrefix is the etcd key prefix of the controller election.
const electionPrefix = "/wharf-election/controllers"

// runAsLeader runs the controllers only while this server holds the
// controller lease: with several servers on one etcd, exactly one of them
// reconciles at a time (etcd leader election, as Kubernetes does). When the
// lease is lost (etcd unreachable, the process paused) the controllers
// stop and the server campaigns again.
func (s *Server) runAsLeader(ctx context.Context, run func(context.Context)) {
	host, _ := os.Hostname()
	id := host + "/" + strconv.Itoa(os.Getpid()) + "/" + s.Addr()
	for ctx.Err() == nil {
		session, err := concurrency.NewSession(s.store.Client(), concurrency.WithTTL(10), concurrency.WithContext(ctx))
		if err != nil {
			s.logger.Warn("controller election: new session", "err", err)
			sleepCtx(ctx, time.Second)
			continue
		}
		election := concurrency.NewElection(session, electionPrefix)
		if err := election.Campaign(ctx, id); err != nil {
			_ = session.Close()
			if ctx.Err() == nil {
				s.logger.Warn("controller election: campaign", "err", err)
				sleepCtx(ctx, time.Second)
			}
			continue
		}
		s.logger.Info("this server now runs the controllers", "id", id)
		leadCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); run(leadCtx) }()
		select {
		case <-ctx.Done():
		case <-session.Done():
			s.logger.Warn("controller lease lost; stopping controllers")
		}
		cancel()
		<-done
		resignCtx, rc := context.WithTimeout(context.Background(), 2*time.Second)
		_ = election.Resign(resignCtx)
		rc()
		_ = session.Close()
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
