// Package controller holds what wharf's controllers share. Each controller
// lives in a subpackage with a pure Plan function and a thin loop around it.
package controller

import (
	"context"
	"time"
)

// Every runs once at once and then every interval until ctx is cancelled.
// Controllers are level-triggered, so a pass that fails is simply retried
// by the next one.
func Every(ctx context.Context, interval time.Duration, once func(context.Context)) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		once(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
