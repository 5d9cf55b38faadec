// Command pipelinebench measures wharf's pipeline from `git push` to the
// new version served by the load balancer, for examples/hello exactly as
// scripts/quickstart.sh sets it up, next to the same work done by hand
// without the pipeline.
//
// It runs scripts/quickstart.sh itself (WHARF_DATA in a temporary
// directory, WHARF_PORT and WHARF_LB_PORT on free loopback ports), so the
// server, the resources, the pipeline, the build project and the service
// are the ones users get. Then:
//
//  1. cold, quickstart: the quickstart's own first pipeline run (the push
//     of examples/hello): its output with times, the execution's stages
//     and the build's phases, and push → first response of the new
//     version through the load balancer (polled every -poll during the
//     quickstart);
//  2. cold, empty Go build cache: the project's WHARF_GOCACHE (the host's
//     GOCACHE, set by the quickstart) is pointed at an empty directory
//     with UpdateProject for one push, then restored;
//  3. warm: -runs pushes of a changed main.go ("hello N from"), each from
//     `git push` returning to (a) the load balancer serving the new
//     greeting (GET every -poll) and (b) the execution Succeeded
//     (ListPipelineExecutions every -poll). Each push is paired with a
//     manual run, the order alternating: in the work tree, the
//     buildspec's commands (go test, go build, docker build, docker push)
//     and a new task definition revision + UpdateService through the SDK,
//     until the load balancer serves the new greeting and the deployment
//     is COMPLETED.
//
// For every run it records the actions' times (ListActionExecutions), the
// build's phases (BatchGetBuilds) and commands (the build log's "Running
// command" lines), and the rollout: target states (DescribeTargetHealth
// every 100 ms, also during the quickstart), the new tasks' createdAt and
// startedAt, the old tasks' stoppingAt and stoppedAt. Per-target traces go
// to stderr, the report (markdown) to stdout. It records the load average
// before the start and before every push. At the end it runs
// `scripts/quickstart.sh --clean`, stops by pid any wharf process whose
// command line still names the quickstart's data directory (the server,
// `wharf lb`), and removes the images tagged 127.0.0.1:PORT/hello:*.
//
//	go run ./bench/pipelinebench [-runs 5 -poll 50ms -cold-gocache=true -manual=true -tmpdir DIR -server-log FILE]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

type options struct {
	runs        int
	poll        time.Duration
	tmpDir      string
	coldGoCache bool
	manual      bool
	keepLog     string
}

func main() {
	var o options
	flag.IntVar(&o.runs, "runs", 5, "warm pushes (and as many manual runs)")
	flag.DurationVar(&o.poll, "poll", 50*time.Millisecond, "polling interval of the load balancer and ListPipelineExecutions")
	flag.StringVar(&o.tmpDir, "tmpdir", os.TempDir(), "where to create WHARF_DATA and the empty Go build cache")
	flag.BoolVar(&o.coldGoCache, "cold-gocache", true, "measure one push with the project's WHARF_GOCACHE pointed at an empty directory")
	flag.BoolVar(&o.manual, "manual", true, "measure the manual baseline (go test/build, docker build/push, register + update-service)")
	flag.StringVar(&o.keepLog, "server-log", "", "copy the quickstart server's log to this file (and the load balancer's to FILE.lb) before cleaning up")
	flag.Parse()
	if o.runs < 1 || o.poll <= 0 {
		fmt.Fprintln(os.Stderr, "pipelinebench: -runs must be ≥ 1 and -poll positive")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pipelinebench:", err)
		os.Exit(1)
	}
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pipelinebench: "+format+"\n", args...)
}

func run(ctx context.Context, o options) (err error) {
	m := machineStart()
	qs, err := newQuickstart(ctx, o)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := qs.cleanup(context.WithoutCancel(ctx), o.keepLog); cerr != nil {
			progress("cleanup: %v", cerr)
			if err == nil {
				err = cerr
			}
		}
	}()

	progress("running scripts/quickstart.sh (WHARF_DATA=%s WHARF_PORT=%d WHARF_LB_PORT=%d)", qs.data, qs.port, qs.lbPort)
	cold, err := qs.run(ctx, o.poll)
	if err != nil {
		return err
	}
	w, err := connect(ctx, qs, o.poll)
	if err != nil {
		return err
	}
	if err := w.details(ctx, &cold.push); err != nil {
		return fmt.Errorf("quickstart execution: %w", err)
	}
	progress("quickstart: %s; first run push → served %s, push → Succeeded %s", secs(cold.total),
		secs(cold.push.served()), secs(cold.push.succeededAt()))
	trace(cold.push.roll)

	r := &report{opts: o, machine: m, quickstart: cold}
	n := 1
	if o.coldGoCache {
		s, err := w.emptyGoCachePush(ctx, n, o.tmpDir)
		if err != nil {
			return fmt.Errorf("push with an empty Go build cache: %w", err)
		}
		r.emptyCache = &s
		trace(s.roll)
		progress("empty GOCACHE push: served %s, Succeeded %s", secs(s.served()), secs(s.succeededAt()))
		n++
	}
	for i := range o.runs {
		wharfFirst := i%2 == 0 || !o.manual
		for _, wharfTurn := range []bool{wharfFirst, !wharfFirst} {
			if !wharfTurn && !o.manual {
				continue
			}
			if wharfTurn {
				s, err := w.push(ctx, n, "warm")
				if err != nil {
					return fmt.Errorf("warm push %d: %w", i+1, err)
				}
				r.warm = append(r.warm, s)
				trace(s.roll)
				progress("warm %d/%d: push → served %s, push → Succeeded %s (load %.2f)", i+1, o.runs, secs(s.served()), secs(s.succeededAt()), s.load1)
			} else {
				s, err := w.manualRun(ctx, n)
				if err != nil {
					return fmt.Errorf("manual run %d: %w", i+1, err)
				}
				r.manual = append(r.manual, s)
				trace(s.roll)
				progress("manual %d/%d: start → served %s, start → COMPLETED %s (load %.2f)", i+1, o.runs, secs(s.served()), secs(s.completedAt()), s.load1)
			}
			n++
		}
	}
	r.machine.finish()
	r.print(os.Stdout)
	return nil
}

func trace(r rollout) {
	for _, t := range r.trace {
		progress("    %s", t)
	}
}
