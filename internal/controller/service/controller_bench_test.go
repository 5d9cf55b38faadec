package service

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/arn"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/state"
	"github.com/wharfhq/wharf/internal/store"
	"github.com/wharfhq/wharf/internal/tasks"
)

// Shape of BenchmarkReconcilePass.
const (
	benchServices  = 1_000
	benchPerSvc    = 10
	benchInstances = 100
	benchCluster   = "bench"
)

// BenchmarkReconcilePass measures the service controller over 1,000
// services of 10 tasks each, all steady, in one cluster of 100 container
// instances, on the real State over an embedded etcd (store.Open in a temp
// dir). Set-up (not timed): the controller's own Reconcile launches every
// service's 10 tasks through the real Launcher; then each task's state is
// written with State.PutTaskState as its agent would report it (RUNNING,
// HEALTHY, started an hour ago; the task definition has a container health
// check), and two more passes record COMPLETED and steady state. The clock
// is frozen so that nothing ages during the run.
//
// Each iteration is one full pass: Reconcile once per service, as the
// controller's periodic resync (every 5 s) does. Sub-benchmarks:
//
//   - reconcile: Controller.Reconcile (snapshot from the cache, Compute,
//     apply: the service state is written back to etcd);
//   - decide: the same snapshot + Compute without apply, to separate the
//     in-memory work from the store write.
//
// With RECONCILE_CPUPROFILE=PATH set, the passes of each sub-benchmark
// (not the set-up) are CPU-profiled into PATH-<sub-benchmark>.pprof.
//
// Metrics: the pass time, the etcd revisions one pass adds (writes), p50/p99/max of one service's Reconcile, process
// CPU time per pass (user+sys, includes the in-process etcd), heap in use
// after GC and the process RSS (VmRSS / VmHWM) with everything loaded.
//
//	go test ./internal/controller/service/ -run '^$' -bench BenchmarkReconcilePass -benchtime 3x -timeout 30m
func BenchmarkReconcilePass(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, names := steadyServices(ctx, b)

	b.Run("reconcile", func(b *testing.B) {
		passBench(b, c.State.Cache(), names, func(name string) {
			if err := c.Reconcile(ctx, benchCluster, name); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("decide", func(b *testing.B) {
		passBench(b, c.State.Cache(), names, func(name string) {
			svc, _ := c.State.Service(benchCluster, name)
			st, _ := c.State.ServiceState(benchCluster, name)
			plan := Compute(c.snapshot(svc, c.State.Deployments(benchCluster, name), st))
			if !plan.Steady || len(plan.Start)+len(plan.Stop) > 0 {
				b.Fatalf("service %s is not steady: %+v", name, plan)
			}
		})
	})
}

// passBench runs one full pass per iteration and reports its metrics.
func passBench(b *testing.B, cache interface{ Revision() int64 }, names []string, reconcile func(name string)) {
	per := make([]time.Duration, 0, len(names)*b.N)
	var passes, cpu time.Duration
	rev0 := cache.Revision()
	if path := os.Getenv("RECONCILE_CPUPROFILE"); path != "" {
		// Profile the passes only, not the set-up.
		f, err := os.Create(path + "-" + b.Name()[strings.LastIndex(b.Name(), "/")+1:] + ".pprof")
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	runtime.GC()
	b.ResetTimer()
	for b.Loop() {
		cpu0 := cpuTime()
		start := time.Now()
		for _, name := range names {
			t := time.Now()
			reconcile(name)
			per = append(per, time.Since(t))
		}
		passes += time.Since(start)
		cpu += cpuTime() - cpu0
	}
	b.StopTimer()
	n := time.Duration(b.N)
	b.ReportMetric(float64(cache.Revision()-rev0)/float64(b.N), "etcd-writes/pass")
	slices.Sort(per)
	pct := func(p float64) time.Duration { return per[min(len(per)-1, int(p*float64(len(per))))] }
	b.ReportMetric(float64((passes / n).Milliseconds()), "ms/pass")
	b.ReportMetric(float64((cpu / n).Milliseconds()), "cpu-ms/pass")
	b.ReportMetric(float64(pct(0.50).Microseconds()), "p50-µs/svc")
	b.ReportMetric(float64(pct(0.99).Microseconds()), "p99-µs/svc")
	b.ReportMetric(float64(per[len(per)-1].Microseconds()), "max-µs/svc")
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MiB")
	rss, hwm := procRSS()
	b.ReportMetric(rss, "rss-MiB")
	b.ReportMetric(hwm, "rss-peak-MiB")
}

// steadyServices builds the store, the cluster and the steady services.
func steadyServices(ctx context.Context, b *testing.B) (*Controller, []string) {
	b.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(ctx, store.Config{DataDir: b.TempDir(), Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s, err := state.New(ctx, state.Config{
		Store: st, ARNs: arn.Builder{Region: "us-east-1", Account: "000000000000"},
		Now: func() time.Time { return now }, Logger: logger,
	})
	if err != nil {
		b.Fatal(err)
	}
	cluster, err := s.CreateCluster(ctx, model.Cluster{Name: benchCluster})
	if err != nil {
		b.Fatal(err)
	}
	for i := range benchInstances {
		id := fmt.Sprintf("%032x", i)
		_, err := s.RegisterInstance(ctx, benchCluster, model.ContainerInstance{
			ARN: s.ARNs.ContainerInstance(benchCluster, id), ID: id, ClusterARN: cluster.ARN,
			EC2InstanceID: fmt.Sprintf("i-%017x", i), Status: model.InstanceActive, AgentConnected: true,
			RegisteredResources: []model.Resource{
				{Name: "CPU", Type: "INTEGER", IntegerValue: 1_000_000},
				{Name: "MEMORY", Type: "INTEGER", IntegerValue: 1_000_000},
				{Name: "PORTS", Type: "STRINGSET", StringSetValue: []string{"22"}},
				{Name: "PORTS_UDP", Type: "STRINGSET"},
			},
			Attributes: []model.Attribute{
				{Name: "ecs.availability-zone", Value: []string{"us-east-1a", "us-east-1b", "us-east-1c"}[i%3]},
				{Name: "ecs.os-type", Value: "linux"},
			},
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	mem := int32(64)
	td, err := s.RegisterTaskDefinition(ctx, model.TaskDefinition{
		Family: "web", NetworkMode: model.NetworkBridge, Compatibilities: []string{"EC2"},
		ContainerDefinitions: []model.ContainerDefinition{{
			Name: "app", Image: "wharf-testapp:bench", Essential: true, CPU: 10, Memory: &mem,
			HealthCheck: &model.HealthCheck{Command: []string{"CMD", "/testapp", "healthcheck"}, Interval: 5, Timeout: 2, Retries: 1},
		}},
	})
	if err != nil {
		b.Fatal(err)
	}
	names := make([]string, benchServices)
	for i := range names {
		names[i] = fmt.Sprintf("svc-%04d", i)
		svc := model.Service{
			ARN: s.ARNs.Service(benchCluster, names[i]), Name: names[i], ClusterARN: cluster.ARN, ClusterName: benchCluster,
			Status: model.ServiceActive, DesiredCount: benchPerSvc, SchedulingStrategy: model.SchedulingReplica, LaunchType: "EC2",
			DeploymentConfiguration: model.DeploymentConfiguration{MaximumPercent: 200, MinimumHealthyPercent: 100},
			DeploymentController:    "ECS", CreatedAt: now,
		}
		dep := model.Deployment{ID: model.NewDeploymentID(), ServiceName: names[i], TaskDefinitionARN: td.ARN, LaunchType: "EC2", CreatedAt: now}
		if err := s.CreateService(ctx, svc, dep); err != nil {
			b.Fatal(err)
		}
	}
	seed := uint64(0)
	c := &Controller{State: s, Logger: logger, Launcher: &tasks.Launcher{State: s, Rand: func() *rand.Rand {
		seed++
		return rand.New(rand.NewPCG(1, seed))
	}}}
	t0 := time.Now()
	for _, name := range names {
		if err := c.Reconcile(ctx, benchCluster, name); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("launched %d tasks in %s", len(s.Tasks(benchCluster)), time.Since(t0).Round(time.Millisecond))

	// What the agents would report: every task RUNNING and HEALTHY.
	t0 = time.Now()
	all := s.Tasks(benchCluster)
	if len(all) != benchServices*benchPerSvc {
		b.Fatalf("%d tasks launched, want %d", len(all), benchServices*benchPerSvc)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(all))
	work := make(chan *model.Task)
	for range 32 {
		wg.Go(func() {
			for t := range work {
				ts := model.TaskState{TaskARN: t.ARN, LastStatus: model.TaskRunning, HealthStatus: model.HealthHealthy,
					PullStartedAt: now.Add(-time.Hour), PullStoppedAt: now.Add(-time.Hour), StartedAt: now.Add(-time.Hour), ConnectivityAt: now.Add(-time.Hour),
					Containers: []model.ContainerState{{Name: "app", RuntimeID: strings.Repeat("f", 64), Image: "wharf-testapp:bench",
						LastStatus: model.ContainerRunning, HealthStatus: model.HealthHealthy}},
					Version: 3}
				if err := s.PutTaskState(ctx, benchCluster, t.ID, ts); err != nil {
					errs <- err
				}
			}
		})
	}
	for _, t := range all {
		work <- t
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.Logf("reported %d task states in %s", len(all), time.Since(t0).Round(time.Millisecond))
	for range 2 {
		for _, name := range names {
			if err := c.Reconcile(ctx, benchCluster, name); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, name := range names {
		if st, ok := s.ServiceState(benchCluster, name); !ok || !st.Steady {
			b.Fatalf("service %s is not steady after set-up", name)
		}
	}
	return c, names
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procRSS reads VmRSS and VmHWM (peak) in MiB from /proc/self/status.
func procRSS() (rss, hwm float64) {
	buf, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	for line := range strings.SplitSeq(string(buf), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			continue
		}
		switch f[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			hwm = kb / 1024
		}
	}
	return rss, hwm
}
