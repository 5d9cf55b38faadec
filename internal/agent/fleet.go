package agent

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// Fleet runs one agent per cluster on the same host: the in-process agent
// of `wharf server`, which joins every ACTIVE cluster (or the ones listed)
// so that tasks run out of the box on one machine. It discovers clusters
// through the ECS API like any client, every Interval.
type Fleet struct {
	// Template is copied for each cluster; Cluster is filled in.
	Template Config
	// Clusters restricts the fleet to these cluster names (nil: all).
	Clusters []string
	Interval time.Duration // default 2s
	Logger   *slog.Logger

	mu      sync.Mutex
	running map[string]context.CancelFunc
	agents  map[string]*Agent
}

// Run keeps an agent running in each wanted cluster until ctx ends.
func (f *Fleet) Run(ctx context.Context) error {
	if f.Interval == 0 {
		f.Interval = 2 * time.Second
	}
	f.running = map[string]context.CancelFunc{}
	f.agents = map[string]*Agent{}
	api := New(f.Template).ecs
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		names, err := listClusters(ctx, api)
		if err != nil && ctx.Err() == nil {
			f.Logger.Warn("local agent: list clusters", "err", err)
		}
		if err == nil {
			f.sync(ctx, &wg, names)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(f.Interval):
		}
	}
}

func (f *Fleet) sync(ctx context.Context, wg *sync.WaitGroup, active []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, name := range active {
		if f.Clusters != nil && !slices.Contains(f.Clusters, name) {
			continue
		}
		if _, ok := f.running[name]; ok {
			continue
		}
		cctx, cancel := context.WithCancel(ctx)
		f.running[name] = cancel
		cfg := f.Template
		cfg.Cluster = name
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.runAgent(cctx, cfg)
		}()
	}
	for name, cancel := range f.running {
		if !slices.Contains(active, name) {
			cancel() // cluster deleted
			delete(f.running, name)
		}
	}
}

// runAgent runs one cluster's agent, restarting it after failures.
func (f *Fleet) runAgent(ctx context.Context, cfg Config) {
	backoff := time.Second
	for ctx.Err() == nil {
		a := New(cfg)
		f.mu.Lock()
		f.agents[cfg.Cluster] = a
		f.mu.Unlock()
		err := a.Run(ctx)
		if ctx.Err() != nil {
			return
		}
		f.Logger.Warn("local agent stopped; restarting", "cluster", cfg.Cluster, "err", err, "in", backoff)
		sleep(ctx, backoff)
		backoff = min(backoff*2, 30*time.Second)
	}
}

// Agent returns the agent of a cluster, if one runs.
func (f *Fleet) Agent(cluster string) *Agent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.agents[cluster]
}

func listClusters(ctx context.Context, c *ecs.Client) ([]string, error) {
	var names []string
	p := ecs.NewListClustersPaginator(c, &ecs.ListClustersInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range out.ClusterArns {
			names = append(names, lastSegment(a))
		}
	}
	return names, nil
}
