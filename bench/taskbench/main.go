// Command taskbench measures how long a task takes to start on the local
// Docker engine through wharf, next to a plain `docker run -d` of the same
// image.
//
// It builds cmd/wharf and the FROM-scratch test app image
// (testdata/testapp, tagged wharf-testapp:<hash> like
// internal/testutil/dockertest), starts `wharf server` with its local agent
// in one cluster, registers a bridge task definition with a dynamic host
// port, then alternates, -runs times each:
//
//   - wharf: RunTask, then DescribeTasks every -poll until RUNNING, then
//     GET on the host port until the app answers; StopTask and wait for
//     STOPPED outside the timing;
//   - docker: ContainerCreate + ContainerStart through the Docker API with
//     the same image, memory limit and port publishing, ContainerInspect
//     until running, then GET until the app answers; removed outside the
//     timing.
//
// One untimed warm-up run of each comes first. It prints percentiles, the
// ratio of medians and, for wharf, where the time went, from the task's
// own timestamps (createdAt, pullStartedAt, pullStoppedAt, startedAt).
//
//	go run ./bench/taskbench [-runs 20 -poll 5ms -server-log path -log-level debug]
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
	poll      time.Duration
	binary    string
	tmpDir    string
	serverLog string
	logLevel  string
	cluster   string
}

func main() {
	var o options
	flag.IntVar(&o.runs, "runs", 20, "timed runs of each kind (wharf and docker, alternating)")
	flag.DurationVar(&o.poll, "poll", 5*time.Millisecond, "DescribeTasks / inspect / HTTP polling interval")
	flag.StringVar(&o.binary, "binary", "", "wharf binary to run (default: go build ./cmd/wharf)")
	flag.StringVar(&o.tmpDir, "tmpdir", os.TempDir(), "where to create the server's data directory")
	flag.StringVar(&o.serverLog, "server-log", "", "copy the server's log to this file")
	flag.StringVar(&o.logLevel, "log-level", "info", "the server's --log-level (debug shows the agent's steps)")
	flag.StringVar(&o.cluster, "cluster", "bench", "cluster the local agent serves")
	flag.Parse()
	if o.runs < 1 || o.poll <= 0 {
		fmt.Fprintln(os.Stderr, "taskbench: -runs must be ≥ 1 and -poll positive")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "taskbench:", err)
		os.Exit(1)
	}
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "taskbench: "+format+"\n", args...)
}

func run(ctx context.Context, o options) (err error) {
	dir, err := os.MkdirTemp(o.tmpDir, "taskbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	dk, err := newDockerRunner(o.poll)
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
	// Whatever happens, remove the server's containers and ours.
	defer func() {
		if cerr := dk.removeLabelled(context.WithoutCancel(ctx), labelDataDir, dataDir); cerr != nil {
			err = errors.Join(err, cerr)
		}
		if cerr := dk.removeLabelled(context.WithoutCancel(ctx), labelTest, testLabelValue); cerr != nil {
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

	wh, err := newWharfRunner(ctx, srv.URL, o.cluster, image, o.poll)
	if err != nil {
		return err
	}
	wh.remove = dk.remove

	progress("warm-up (not timed)")
	if _, err := wh.once(ctx); err != nil {
		return fmt.Errorf("wharf warm-up: %w", err)
	}
	if _, err := dk.once(ctx, image); err != nil {
		return fmt.Errorf("docker warm-up: %w", err)
	}

	var ws []wharfSample
	var ds []dockerSample
	for i := range o.runs {
		// Alternate which goes first so that drift hits both alike.
		order := []string{"wharf", "docker"}
		if i%2 == 1 {
			order = []string{"docker", "wharf"}
		}
		for _, kind := range order {
			switch kind {
			case "wharf":
				s, err := wh.once(ctx)
				if err != nil {
					return fmt.Errorf("wharf run %d: %w", i+1, err)
				}
				ws = append(ws, s)
			case "docker":
				s, err := dk.once(ctx, image)
				if err != nil {
					return fmt.Errorf("docker run %d: %w", i+1, err)
				}
				ds = append(ds, s)
			}
		}
		progress("run %d/%d: wharf running %s http %s | docker running %s http %s", i+1, o.runs,
			ms(ws[i].running), ms(ws[i].http), ms(ds[i].running), ms(ds[i].http))
	}
	printReport(os.Stdout, o, image, ws, ds)
	return nil
}
