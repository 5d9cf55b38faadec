package logs

import (
	"context"
	"log/slog"
	"time"
)

// Prune drops the events older than their group's retention, measured from
// now, and returns how many it dropped. Streams stay, even when empty.
func (s *Store) Prune(now time.Time) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return 0, ErrClosed
	}
	total := 0
	for _, g := range s.groups {
		days := g.meta.RetentionInDays
		if days <= 0 {
			continue
		}
		cutoff := now.Add(-time.Duration(days) * 24 * time.Hour).UnixMilli()
		for _, st := range g.streams {
			st.mu.Lock()
			n, err := st.prune(cutoff, s.logger)
			st.mu.Unlock()
			if err != nil {
				return total, err
			}
			total += n
		}
	}
	return total, nil
}

// Pruner applies retention periodically.
type Pruner struct {
	Store    *Store
	Interval time.Duration // default 1h
	Logger   *slog.Logger
}

// Run prunes once at start and then every Interval until ctx is cancelled.
func (p *Pruner) Run(ctx context.Context) error {
	interval := p.Interval
	if interval <= 0 {
		interval = time.Hour
	}
	logger := p.Logger
	if logger == nil {
		logger = p.Store.logger
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := p.Store.Prune(p.Store.now())
		switch {
		case err != nil:
			logger.Warn("apply log retention", "err", err)
		case n > 0:
			logger.Info("dropped expired log events", "events", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
