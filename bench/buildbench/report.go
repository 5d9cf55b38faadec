package main

import (
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"
)

// targetOverhead is the most wharf may add to a build's wall time.
const targetOverhead = 2 * time.Second

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

func column[T any](xs []T, f func(T) time.Duration) []time.Duration {
	out := make([]time.Duration, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

// row prints name, the cold value and the warm median and min of f.
func row[T any](w io.Writer, name string, xs []T, f func(T) time.Duration) {
	warm := column(xs[1:], f)
	fmt.Fprintf(w, "| %s | %s | %s | %s |\n", name, secs(f(xs[0])), secs(median(warm)), secs(slices.Min(warm)))
}

func printReport(w io.Writer, o options, ws []wharfBuild, ds []directRun) {
	dockerVersion, _ := exec.Command("docker", "version", "--format", "{{.Server.Version}}").Output()
	fmt.Fprintf(w, "\n## buildbench: test/e2e/testdata/buildapp, 1 cold + %d warm builds on each side\n\n", o.runs)
	fmt.Fprintf(w, "machine: %s/%s, %d CPUs, %s, Docker Engine %s; every build is of a new commit\n\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), strings.TrimSpace(string(dockerVersion)))

	fmt.Fprintln(w, "| build | wharf | direct (bash) | overhead (wharf − direct) | wharf / direct |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|")
	wWall := column(ws, func(b wharfBuild) time.Duration { return b.wall })
	dWall := column(ds, func(r directRun) time.Duration { return r.wall })
	line := func(name string, wv, dv time.Duration) time.Duration {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %.2f× |\n", name, secs(wv), secs(dv), secs(wv-dv), float64(wv)/float64(dv))
		return wv - dv
	}
	cold := line("cold", wWall[0], dWall[0])
	warm := line(fmt.Sprintf("warm, median of %d", o.runs), median(wWall[1:]), median(dWall[1:]))
	line(fmt.Sprintf("warm, min of %d", o.runs), slices.Min(wWall[1:]), slices.Min(dWall[1:]))
	verdict := func(d time.Duration) string {
		if d <= targetOverhead {
			return "met"
		}
		return "NOT met"
	}
	fmt.Fprintf(w, "\ntarget: overhead ≤ %s per build. cold %s: %s; warm (median) %s: %s\n\n",
		secs(targetOverhead), secs(cold), verdict(cold), secs(warm), verdict(warm))

	fmt.Fprintln(w, "| CPU time (wharf server and build processes; dockerd not counted) | wharf | direct | wharf − direct |")
	fmt.Fprintln(w, "|---|--:|--:|--:|")
	wCPU := column(ws, func(b wharfBuild) time.Duration { return b.cpu.total() })
	dCPU := column(ds, func(r directRun) time.Duration { return r.cpu })
	for _, c := range []struct {
		name   string
		wv, dv time.Duration
	}{{"cold", wCPU[0], dCPU[0]}, {"warm, median", median(wCPU[1:]), median(dCPU[1:])}} {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", c.name, secs(c.wv), secs(c.dv), secs(c.wv-c.dv))
	}
	fmt.Fprintln(w)

	fmt.Fprintln(w, "| wharf (times from BatchGetBuilds) | cold | warm median | warm min |")
	fmt.Fprintln(w, "|---|--:|--:|--:|")
	row(w, "wall: StartBuild → buildComplete seen (50 ms polls)", ws, func(b wharfBuild) time.Duration { return b.wall })
	row(w, "StartBuild → DOWNLOAD_SOURCE start (queueing, provisioning)", ws, func(b wharfBuild) time.Duration { return b.queue })
	row(w, "sum of phase durations", ws, func(b wharfBuild) time.Duration { return b.phaseSum })
	row(w, "build end → buildComplete seen", ws, func(b wharfBuild) time.Duration { return b.seen })
	row(w, "wall − DOWNLOAD_SOURCE − FINALIZING (no source fetch, cache restore or save)", ws, func(b wharfBuild) time.Duration {
		return b.wall - b.phase["DOWNLOAD_SOURCE"] - b.phase["FINALIZING"]
	})
	row(w, "CPU of the server process", ws, func(b wharfBuild) time.Duration { return b.cpu.self })
	row(w, "CPU of the build's processes (shell and its children)", ws, func(b wharfBuild) time.Duration { return b.cpu.children })
	for _, p := range phases {
		row(w, p, ws, func(b wharfBuild) time.Duration { return b.phase[p] })
	}

	fmt.Fprintln(w, "\n| direct (bash) | cold | warm median | warm min |")
	fmt.Fprintln(w, "|---|--:|--:|--:|")
	row(w, "wall", ds, func(r directRun) time.Duration { return r.wall })
	names := map[string]string{"clone": "git clone + pre_build", "go-build": "go build", "docker-build": "docker build",
		"docker-push": "docker push + imagedefinitions.json"}
	for _, s := range steps {
		row(w, names[s], ds, func(r directRun) time.Duration { return r.step[s] })
	}
}
