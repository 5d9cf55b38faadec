package tasks

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/arn"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/scheduler"
	"github.com/wharfhq/wharf/internal/state"
	"github.com/wharfhq/wharf/internal/store"
)

// Shape of BenchmarkLaunchPersisted.
const (
	benchInstances = 1_000
	benchTasks     = 100_000
	benchBatch     = 100    // tasks per Launch: etcd allows 128 ops per txn
	benchWindow    = 10_000 // tasks per throughput window
)

// BenchmarkLaunchPersisted launches 100,000 tasks, 100 per Launch call,
// into a cluster of 1,000 container instances over 3 AZs with the
// strategy spread(AZ) + binpack(memory), through the real State: every
// Launch takes a snapshot from the cache, places, and commits its tasks in
// one etcd transaction of the embedded store. Each iteration uses a new
// cluster in the same store.
//
// Metrics: tasks/s over the whole run, the tasks/s of each 10,000-task
// window (w01…w10, to show how throughput changes as tasks accumulate) and
// the live heap growth per task (state cache plus the in-process etcd).
//
//	go test ./internal/tasks/ -run '^$' -bench BenchmarkLaunchPersisted -benchtime 1x -timeout 30m
func BenchmarkLaunchPersisted(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(ctx, store.Config{DataDir: b.TempDir(), Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	// A frozen clock: instances must stay "connected" (AgentTimeout) however
	// long the run takes, and no agent heartbeats here.
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s, err := state.New(ctx, state.Config{
		Store: st, ARNs: arn.Builder{Region: "us-east-1", Account: "000000000000"},
		Now: func() time.Time { return now }, Logger: logger,
	})
	if err != nil {
		b.Fatal(err)
	}
	mem := int32(64)
	td := &model.TaskDefinition{
		ARN:    s.ARNs.TaskDefinition("web", 1),
		Family: "web", Revision: 1, Status: "ACTIVE", NetworkMode: model.NetworkBridge,
		ContainerDefinitions: []model.ContainerDefinition{{
			Name: "app", Image: "wharf-testapp:bench", Essential: true, CPU: 10, Memory: &mem,
			PortMappings: []model.PortMapping{{ContainerPort: ptr(int32(8080))}},
		}},
	}
	strategy := []scheduler.Strategy{
		{Type: "spread", Field: "attribute:ecs.availability-zone"},
		{Type: "binpack", Field: "memory"},
	}

	var iter int
	for b.Loop() {
		b.StopTimer()
		iter++
		cluster := benchCluster(ctx, b, s, fmt.Sprintf("bench-%d", iter))
		l := &Launcher{State: s, Rand: func() *rand.Rand { return rand.New(rand.NewPCG(1, uint64(iter))) }}
		runtime.GC()
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		b.StartTimer()

		start := time.Now()
		windowStart := start
		var windows []float64
		for launched := 0; launched < benchTasks; {
			created, failures, err := l.Launch(ctx, Request{
				Cluster: cluster, TaskDef: td, Count: min(benchBatch, benchTasks-launched),
				Group: "family:web", Strategy: strategy,
			})
			if err != nil {
				b.Fatal(err)
			}
			if len(failures) > 0 || len(created) == 0 {
				b.Fatalf("after %d tasks: %d created, failures %+v", launched, len(created), failures)
			}
			launched += len(created)
			if launched%benchWindow == 0 {
				t := time.Now()
				windows = append(windows, benchWindow/t.Sub(windowStart).Seconds())
				windowStart = t
			}
		}
		elapsed := time.Since(start)

		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&ms1)
		b.ReportMetric(benchTasks/elapsed.Seconds(), "tasks/s")
		b.ReportMetric(float64(int64(ms1.HeapAlloc)-int64(ms0.HeapAlloc))/benchTasks, "heapB/task")
		var line strings.Builder
		for i, w := range windows {
			b.ReportMetric(w, fmt.Sprintf("w%02d-tasks/s", i+1))
			fmt.Fprintf(&line, " %.0f", w)
		}
		b.Logf("cluster %s: %d tasks in %s; tasks/s per %d-task window:%s", cluster.Name, benchTasks, elapsed.Round(time.Millisecond), benchWindow, line.String())
		b.StartTimer()
	}
}

// benchCluster creates a cluster of benchInstances instances over 3 AZs,
// with far more CPU and memory than the run needs.
func benchCluster(ctx context.Context, b *testing.B, s *state.State, name string) *model.Cluster {
	b.Helper()
	cluster, err := s.CreateCluster(ctx, model.Cluster{Name: name})
	if err != nil {
		b.Fatal(err)
	}
	azs := []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	for i := range benchInstances {
		id := fmt.Sprintf("%032x", i)
		_, err := s.RegisterInstance(ctx, name, model.ContainerInstance{
			ARN: s.ARNs.ContainerInstance(name, id), ID: id, ClusterARN: cluster.ARN,
			EC2InstanceID: fmt.Sprintf("i-%017x", i), Status: model.InstanceActive, AgentConnected: true,
			RegisteredResources: []model.Resource{
				{Name: "CPU", Type: "INTEGER", IntegerValue: 1_000_000},
				{Name: "MEMORY", Type: "INTEGER", IntegerValue: 1_000_000},
				{Name: "PORTS", Type: "STRINGSET", StringSetValue: []string{"22", "2375", "2376", "51678", "51679"}},
				{Name: "PORTS_UDP", Type: "STRINGSET"},
			},
			Attributes: []model.Attribute{
				{Name: "ecs.availability-zone", Value: azs[i%len(azs)]},
				{Name: "ecs.os-type", Value: "linux"},
			},
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return cluster
}

func ptr[T any](v T) *T { return &v }
