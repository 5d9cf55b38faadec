package agent

import (
	"context"
	"errors"
	"time"

	"github.com/wharfhq/wharf/internal/agent/buildrun"
)

// runBuilds long-polls the builds placed on this instance and hands them
// to a buildrun.Runner until ctx ends; running builds stop with it.
func (a *Agent) runBuilds(ctx context.Context) {
	bs := a.cfg.Builds
	r := buildrun.New(ctx, buildrun.Config{
		Server: a.client, Runtime: a.cfg.Runtime, Logs: a.cfg.BuildLogs,
		WorkDir: bs.WorkDir, CacheDir: bs.CacheDir,
		DataDir: a.cfg.DataDir, Instance: a.instanceID,
		ServerURL: a.cfg.ServerURL, Region: a.cfg.Region, Token: a.cfg.Token,
		Registry: bs.Registry, RegistryAuth: bs.RegistryAuth,
		Logger: a.logger,
	})
	defer r.Wait()
	r.RemoveOrphans(ctx)
	var after int64
	backoff := time.Second
	for ctx.Err() == nil {
		desired, err := a.client.desiredBuilds(ctx, a.cfg.Cluster, a.instanceID, after, a.cfg.PollWait)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, errGone) {
				return
			}
			a.logger.Warn("poll desired builds", "err", err, "retry_in", backoff)
			sleep(ctx, backoff)
			backoff = min(backoff*2, 30*time.Second)
			continue
		}
		backoff = time.Second
		after = desired.Revision
		r.Sync(ctx, desired.Builds)
	}
}
