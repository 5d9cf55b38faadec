// Command deploybench measures a rolling deployment of a service on the
// local Docker engine through wharf, next to the lower bound the same run's
// own container numbers allow (../shared/ref/performance.md, "C. Lower
// bound for a rolling deploy of N tasks").
//
// It builds cmd/wharf and the FROM-scratch test app image (tagged
// wharf-testapp:<hash> like internal/testutil/dockertest), starts
// `wharf server --local-agent-clusters bench`, registers a bridge task
// definition of the test app with a container health check
// (`/testapp healthcheck`, interval -interval, timeout 2 s, retries 1,
// start period 0, stopTimeout 2 s), creates a service of -desired tasks
// with the ECS defaults (minimumHealthyPercent 100, maximumPercent 200) and
// waits until it is steady. Then, -runs times:
//
//  1. register a new revision (only VERSION differs) and call
//     UpdateService;
//
//  2. poll DescribeServices every -poll until the PRIMARY deployment's
//     rolloutState is COMPLETED: the measured wall time T;
//
//  3. from the Docker event stream of the server's containers
//     (create/start/health_status/kill/die, nanosecond timestamps) and the
//     tasks' own timestamps, compute the lower bound
//
//     LB = S + H + t_stop
//
//     S      start of the batch: with 100/200 all N new tasks may start at
//     once (B = N), so S is the span from the first new container's
//     `create` to the last one's `start` event, as Docker did it here;
//     H      time to the first HEALTHY: Docker runs the first probe one
//     interval after `start` (this engine has no start interval) and
//     marks the container healthy on the first pass, so H is the
//     median of `health_status: healthy` − `start` (= I + probe time);
//     D      0: no load balancer, nothing to drain;
//     t_stop the median SIGTERM → exit (`kill` → `die`) of the old tasks.
//
//     The last new task is healthy at S + H at the earliest; minimum
//     healthy 100% keeps the last old task until then, and it then needs
//     t_stop to exit. ECS's "counts as healthy" 40 s rule does not apply:
//     the tasks have health checks.
//
// It prints T, LB and T/LB for each run, their medians, and where T went
// (controller reaction, agent pick-up, Docker starts, health checks, stop
// decision, exit, stop report, completion).
//
//	go run ./bench/deploybench [-runs 3 -desired 10 -interval 5 -poll 50ms -server-log path -log-level debug]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/wharfhq/wharf/bench/internal/benchkit"
)

type options struct {
	runs      int
	desired   int
	interval  int
	poll      time.Duration
	binary    string
	tmpDir    string
	serverLog string
	logLevel  string
	cluster   string
}

func main() {
	var o options
	flag.IntVar(&o.runs, "runs", 3, "rolling deployments to measure (one after the other, same server)")
	flag.IntVar(&o.desired, "desired", 10, "desired count of the service")
	flag.IntVar(&o.interval, "interval", 5, "health check interval in seconds")
	flag.DurationVar(&o.poll, "poll", 50*time.Millisecond, "DescribeServices polling interval")
	flag.StringVar(&o.binary, "binary", "", "wharf binary to run (default: go build ./cmd/wharf)")
	flag.StringVar(&o.tmpDir, "tmpdir", os.TempDir(), "where to create the server's data directory")
	flag.StringVar(&o.serverLog, "server-log", "", "copy the server's log to this file")
	flag.StringVar(&o.logLevel, "log-level", "info", "the server's --log-level")
	flag.StringVar(&o.cluster, "cluster", "bench", "cluster the local agent serves")
	flag.Parse()
	if o.runs < 1 || o.desired < 1 || o.interval < 1 || o.poll <= 0 {
		fmt.Fprintln(os.Stderr, "deploybench: -runs, -desired, -interval must be ≥ 1 and -poll positive")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "deploybench:", err)
		os.Exit(1)
	}
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "deploybench: "+format+"\n", args...)
}

func run(ctx context.Context, o options) (err error) {
	dir, err := os.MkdirTemp(o.tmpDir, "deploybench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	dk, err := newDocker()
	if err != nil {
		return err
	}
	defer dk.close()
	progress("building the test app image")
	image, err := benchkit.BuildTestApp(ctx, dk.c, dir)
	if err != nil {
		return err
	}
	bin := o.binary
	if bin == "" {
		progress("building wharf")
		if bin, err = benchkit.BuildWharf(ctx, dir); err != nil {
			return err
		}
	}

	dataDir := filepath.Join(dir, "data")
	defer func() {
		if cerr := dk.removeLabelled(context.WithoutCancel(ctx), labelDataDir, dataDir); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}()
	logPath := o.serverLog
	if logPath == "" {
		logPath = filepath.Join(dir, "server.log")
	}
	srv, err := benchkit.StartWharf(ctx, bin, dataDir, logPath, o.logLevel, o.cluster)
	if err != nil {
		return err
	}
	defer srv.Stop()
	progress("server %s ready (log %s)", srv.URL, logPath)

	// Record the server's container events from now on.
	rec, err := dk.record(ctx, dataDir)
	if err != nil {
		return err
	}

	wh, err := newService(ctx, srv.URL, o, image)
	if err != nil {
		return err
	}
	progress("service of %d tasks is steady", o.desired)

	var samples []sample
	for i := range o.runs {
		s, err := wh.rollout(ctx, i+2, rec)
		if err != nil {
			return fmt.Errorf("rollout %d: %w", i+1, err)
		}
		samples = append(samples, s)
		progress("run %d/%d: T %s, lower bound %s, ratio %.2f", i+1, o.runs, secs(s.total), secs(s.lowerBound()), s.ratio())
	}
	printReport(os.Stdout, o, image, samples)
	return nil
}
