// Command ecsbench measures the wharf control plane through its ECS API.
//
// It starts `wharf server` as a child process with a fresh data directory,
// then runs, with -concurrency keep-alive workers:
//
//  1. RegisterTaskDefinition of -families × -revisions realistic 2-container
//     task definitions (~1.75 KB each);
//  2. GET /healthz for -duration: the HTTP floor of this machine and
//     process, which the other phases are compared against;
//  3. DescribeTaskDefinition of random stored family:revision pairs;
//  4. ListTaskDefinitions walks (100 per page, following nextToken), filtered
//     by family and unfiltered.
//
// It prints a markdown report: throughput, latency percentiles, the CPU
// the client and the server each used, server memory and data dir size.
// The load generator runs on the same machine and shares its CPUs with the
// server; the per-phase CPU columns show the split.
//
//	go run ./bench/ecsbench [-families 100 -revisions 100 -duration 10s -concurrency 32 -binary path]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

type options struct {
	families    int
	revisions   int
	duration    time.Duration
	concurrency int
	binary      string
	order       registerOrder
	tmpDir      string
	fsyncProbes int
	skipList    bool
	serverEnv   envFlag
}

// envFlag collects repeated KEY=VALUE flags.
type envFlag []string

func (e *envFlag) String() string { return strings.Join(*e, " ") }

func (e *envFlag) Set(v string) error {
	if k, _, ok := strings.Cut(v, "="); !ok || k == "" {
		return fmt.Errorf("%q is not KEY=VALUE", v)
	}
	*e = append(*e, v)
	return nil
}

func main() {
	var o options
	var order string
	flag.IntVar(&o.families, "families", 100, "task definition families to register")
	flag.IntVar(&o.revisions, "revisions", 100, "revisions to register per family")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of each timed phase (healthz, describe, each list)")
	flag.IntVar(&o.concurrency, "concurrency", 32, "concurrent workers (and keep-alive connections)")
	flag.StringVar(&o.binary, "binary", "", "wharf binary to run (default: go build ./cmd/wharf)")
	flag.StringVar(&order, "order", string(orderInterleaved), "register order: interleaved (job j → family j%families) or family (one family at a time; every worker contends for its revision counter)")
	flag.StringVar(&o.tmpDir, "tmpdir", os.TempDir(), "where to create the server's data directory")
	flag.IntVar(&o.fsyncProbes, "fsync-probes", 200, "4 KiB write+fdatasync samples taken in -tmpdir before the run (0 skips)")
	flag.BoolVar(&o.skipList, "skip-list", false, "skip the ListTaskDefinitions phases")
	flag.Var(&o.serverEnv, "server-env", "KEY=VALUE added to the server's environment, e.g. GODEBUG=gctrace=1 or GOMEMLIMIT=150MiB (repeatable)")
	flag.Parse()
	o.order = registerOrder(order)
	if err := o.check(); err != nil {
		fmt.Fprintln(os.Stderr, "ecsbench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ecsbench:", err)
		os.Exit(1)
	}
}

func (o options) check() error {
	switch {
	case o.families < 1 || o.revisions < 1:
		return errors.New("-families and -revisions must be at least 1")
	case o.concurrency < 1:
		return errors.New("-concurrency must be at least 1")
	case o.duration <= 0:
		return errors.New("-duration must be positive")
	case o.order != orderInterleaved && o.order != orderFamily:
		return fmt.Errorf("-order must be %s or %s", orderInterleaved, orderFamily)
	}
	return nil
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "ecsbench: "+format+"\n", args...)
}

func run(ctx context.Context, o options) error {
	dir, err := os.MkdirTemp(o.tmpDir, "ecsbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	rep := report{opts: o, args: os.Args[1:], machine: describeMachine(), fsType: filesystemType(dir), loadAvg: loadAverage()}
	if o.fsyncProbes > 0 {
		if rep.fsync, err = fsyncProbe(dir, o.fsyncProbes); err != nil {
			return fmt.Errorf("fsync probe: %w", err)
		}
	}

	bin := o.binary
	if bin == "" {
		progress("building wharf")
		if bin, err = buildWharf(ctx, dir); err != nil {
			return err
		}
	}
	if out, err := exec.CommandContext(ctx, bin, "version").Output(); err == nil {
		rep.wharfVersion = strings.TrimSpace(string(out))
	}
	dataDir := filepath.Join(dir, "data")
	progress("starting %s server", bin)
	srv, err := startWharf(ctx, bin, dataDir, o.serverEnv)
	if err != nil {
		return err
	}
	defer srv.stop()
	progress("server %s (pid %d) ready", srv.url, srv.pid())
	rep.serverArgs = strings.ReplaceAll(strings.Join(srv.args, " "), dataDir, "<tmp>/data")

	l := &load{concurrency: o.concurrency, serverPID: srv.pid(), seed: uint64(time.Now().UnixNano())}
	c := newClient(srv.url, o.concurrency)

	progress("register: %d families × %d revisions, order %s", o.families, o.revisions, o.order)
	reg, sd, err := registerPhase(ctx, l, c, o.families, o.revisions, o.order)
	if err != nil {
		return err
	}
	rep.add(reg)
	rep.seeded = sd.total()
	rep.afterSeed = snapshotServer(srv)
	if err := ctx.Err(); err != nil {
		return err
	}

	progress("healthz for %s", o.duration)
	rep.add(healthzPhase(ctx, l, c, o.duration))
	progress("describe for %s", o.duration)
	rep.add(describePhase(ctx, l, c, sd, o.duration))
	if !o.skipList {
		progress("list by family for %s", o.duration)
		r, w := listPhase(ctx, l, c, sd, o.duration, true)
		rep.add(r)
		rep.walks = append(rep.walks, namedWalks{r.name, w})
		progress("list all for %s", o.duration)
		r, w = listPhase(ctx, l, c, sd, o.duration, false)
		rep.add(r)
		rep.walks = append(rep.walks, namedWalks{r.name, w})
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	rep.atEnd = snapshotServer(srv)
	rep.write(os.Stdout)
	return nil
}

// serverSnapshot is the server's memory and disk footprint at one moment.
type serverSnapshot struct {
	mem                         memory
	diskApparent, diskAllocated int64
	err                         error
}

func snapshotServer(p *wharfProcess) serverSnapshot {
	var s serverSnapshot
	var err1, err2 error
	s.mem, err1 = readMemory(p.pid())
	s.diskApparent, s.diskAllocated, err2 = diskUsage(p.dataDir)
	s.err = errors.Join(err1, err2)
	return s
}

// machine describes where the benchmark ran.
type machine struct {
	cpus      int
	cpuModel  string
	kernel    string
	goVersion string
	platform  string
}

func describeMachine() machine {
	m := machine{cpus: runtime.NumCPU(), goVersion: runtime.Version(), platform: runtime.GOOS + "/" + runtime.GOARCH}
	if buf, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(buf)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.cpuModel = strings.TrimSpace(v)
				break
			}
		}
	}
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		var b strings.Builder
		for _, c := range u.Release {
			if c == 0 {
				break
			}
			b.WriteByte(byte(c))
		}
		m.kernel = b.String()
	}
	return m
}

// loadAverage is the 1-, 5- and 15-minute load average, to show whether
// the machine was quiet when the run started.
func loadAverage() string {
	buf, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(buf))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
