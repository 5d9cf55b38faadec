// Command buildbench measures the end-to-end CodeBuild build of the
// example in test/e2e/testdata/buildapp on wharf, next to the same
// commands run directly in bash in the same run.
//
// The build compiles the small Go app, builds a FROM scratch image, pushes
// it to wharf's registry tagged with the commit and writes
// imagedefinitions.json. The benchmark builds cmd/wharf, starts
// `wharf server --local-agent-clusters bench`, creates the cluster (so the
// local agent registers the instance builds are placed on), the ECR
// repository, the SSM parameter the buildspec reads and a LINUX_HOST
// project with a LOCAL cache (LOCAL_SOURCE_CACHE, LOCAL_CUSTOM_CACHE); the
// buildspec puts GOCACHE in $CODEBUILD_SRC_DIR/.gocache, which cache.paths
// keeps. Every build, wharf's or direct, is of a new commit (one line
// added to main.go), so the app package is compiled again, the image layer
// is new to the engine and to the registry, and the tag is new.
//
//  1. cold: the project's first build on the fresh server (empty caches:
//     the standard library is compiled), then the direct commands with an
//     empty GOCACHE;
//  2. warm: -runs builds of the project and -runs direct runs, alternating,
//     the direct ones reusing their GOCACHE.
//
// wharf's wall time runs from the StartBuild call until BatchGetBuilds
// (polled every 50 ms) shows buildComplete; the direct one is the bash
// process's (a fresh `git clone`, go build, docker build, docker push,
// imagedefinitions.json). It prints both, wharf's overhead (median wharf −
// median direct) against the 2 s target, the CPU time of each side (less
// disturbed by other work on the machine than wall time; see cpu.go) and
// where each side's time went. -show-log prints the cold and the last warm
// build's log (/aws/codebuild/buildapp) with each line's time from
// StartBuild.
//
//	go run ./bench/buildbench [-runs 5 -binary path -server-log path -show-log]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/wharfhq/wharf/bench/internal/benchkit"
)

type options struct {
	runs      int
	binary    string
	tmpDir    string
	serverLog string
	logLevel  string
	showLog   bool
}

func main() {
	var o options
	flag.IntVar(&o.runs, "runs", 5, "warm builds of each kind")
	flag.StringVar(&o.binary, "binary", "", "wharf binary to run (default: go build ./cmd/wharf)")
	flag.StringVar(&o.tmpDir, "tmpdir", os.TempDir(), "where to create the server's data directory and the direct builds")
	flag.StringVar(&o.serverLog, "server-log", "", "copy the server's log to this file")
	flag.StringVar(&o.logLevel, "log-level", "info", "the server's --log-level")
	flag.BoolVar(&o.showLog, "show-log", false, "print the cold and the last warm build's log with times from StartBuild")
	flag.Parse()
	if o.runs < 1 {
		fmt.Fprintln(os.Stderr, "buildbench: -runs must be ≥ 1")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "buildbench:", err)
		os.Exit(1)
	}
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "buildbench: "+format+"\n", args...)
}

func run(ctx context.Context, o options) error {
	dir, err := os.MkdirTemp(o.tmpDir, "buildbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	label := filepath.Base(dir) // wharf.test=<label> on every image the builds make

	bin := o.binary
	if bin == "" {
		progress("building wharf")
		if bin, err = benchkit.BuildWharf(ctx, dir); err != nil {
			return err
		}
	}
	repo, err := newRepo(ctx, filepath.Join(dir, "repo"))
	if err != nil {
		return err
	}

	dataDir := filepath.Join(dir, "data")
	defer removeDocker(label, dataDir) // after the server has stopped
	logPath := o.serverLog
	if logPath == "" {
		logPath = filepath.Join(dir, "server.log")
	}
	srv, err := benchkit.StartWharf(ctx, bin, dataDir, logPath, o.logLevel, "bench")
	if err != nil {
		return err
	}
	defer srv.Stop()
	progress("server %s ready (log %s)", srv.URL, logPath)

	pid, err := serverPID(dataDir)
	if err != nil {
		return err
	}
	w, err := setupWharf(ctx, srv.URL, pid, label, repo.dir)
	if err != nil {
		return err
	}
	d, err := newDirect(ctx, w, dir, label, repo.dir)
	if err != nil {
		return err
	}

	var ws []wharfBuild
	var ds []directRun
	wharfRun := func(kind string) error {
		if err := repo.commit(ctx); err != nil {
			return err
		}
		b, err := w.build(ctx)
		if err != nil {
			return err
		}
		progress("%s wharf build %s: %s (CPU: server %s, build processes %s; StartBuild → DOWNLOAD_SOURCE %s, DOWNLOAD_SOURCE %s, BUILD %s, FINALIZING %s)",
			kind, b.id, secs(b.wall), secs(b.cpu.self), secs(b.cpu.children), secs(b.queue), secs(b.phase["DOWNLOAD_SOURCE"]), secs(b.phase["BUILD"]), secs(b.phase["FINALIZING"]))
		ws = append(ws, b)
		return nil
	}
	directRun := func(kind string) error {
		if err := repo.commit(ctx); err != nil {
			return err
		}
		r, err := d.run(ctx)
		if err != nil {
			return err
		}
		progress("%s direct build: %s (CPU %s)", kind, secs(r.wall), secs(r.cpu))
		ds = append(ds, r)
		return nil
	}
	// Cold: the project's first build on the fresh server, then the direct
	// commands with an empty GOCACHE.
	if err := wharfRun("cold"); err != nil {
		return err
	}
	if err := directRun("cold"); err != nil {
		return err
	}
	for i := range o.runs {
		first, second := wharfRun, directRun
		if i%2 == 1 {
			first, second = directRun, wharfRun
		}
		if err := first(fmt.Sprintf("warm %d/%d", i+1, o.runs)); err != nil {
			return err
		}
		if err := second(fmt.Sprintf("warm %d/%d", i+1, o.runs)); err != nil {
			return err
		}
	}
	printReport(os.Stdout, o, ws, ds)
	if o.showLog {
		for _, b := range []wharfBuild{ws[0], ws[len(ws)-1]} {
			if err := w.printLog(ctx, os.Stdout, b); err != nil {
				return err
			}
		}
	}
	return nil
}

// removeDocker force-removes the images the builds made (labelled
// wharf.test=label) and any container of the server or of ours.
func removeDocker(label, dataDir string) {
	for _, f := range []string{"label=wharf.test=" + label, "label=wharf.data-dir=" + dataDir} {
		out, _ := exec.Command("docker", "ps", "-aq", "--filter", f).Output()
		for _, id := range strings.Fields(string(out)) {
			_ = exec.Command("docker", "rm", "-f", id).Run()
		}
	}
	out, _ := exec.Command("docker", "images", "-q", "--filter", "label=wharf.test="+label).Output()
	seen := map[string]bool{}
	for _, id := range strings.Fields(string(out)) {
		if !seen[id] {
			seen[id] = true
			_ = exec.Command("docker", "rmi", "-f", id).Run()
		}
	}
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
