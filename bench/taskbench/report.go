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

// targetRatio is the target for wharf's median time to RUNNING
// over docker's median time to running.
const targetRatio = 1.2

// percentile returns the nearest-rank p-th percentile of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(p/100*float64(len(s))+0.999999) - 1
	return s[max(0, min(rank, len(s)-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func column[T any](xs []T, f func(T) time.Duration) []time.Duration {
	out := make([]time.Duration, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

func row(w io.Writer, name string, ds []time.Duration) {
	fmt.Fprintf(w, "| %s | %s | %s | %s |\n", name, ms(percentile(ds, 50)), ms(percentile(ds, 90)), ms(slices.Max(ds)))
}

func printReport(w io.Writer, o options, image string, ws []wharfSample, ds []dockerSample) {
	fmt.Fprintf(w, "## taskbench: %d runs each, alternating, poll %s\n\n", o.runs, o.poll)
	fmt.Fprintf(w, "machine: %s/%s, %d CPUs, %s, docker %s; image %s\n\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), dockerVersion(), image)
	fmt.Fprintln(w, "| measurement (from the first API call) | p50 | p90 | max |")
	fmt.Fprintln(w, "|---|---|---|---|")
	wRun := column(ws, func(s wharfSample) time.Duration { return s.running })
	dRun := column(ds, func(s dockerSample) time.Duration { return s.running })
	wHTTP := column(ws, func(s wharfSample) time.Duration { return s.http })
	dHTTP := column(ds, func(s dockerSample) time.Duration { return s.http })
	row(w, "wharf RunTask → DescribeTasks RUNNING", wRun)
	row(w, "docker create+start → inspect running", dRun)
	row(w, "wharf RunTask → HTTP 200", wHTTP)
	row(w, "docker create+start → HTTP 200", dHTTP)
	ratio := float64(percentile(wRun, 50)) / float64(percentile(dRun, 50))
	verdict := "met"
	if ratio > targetRatio {
		verdict = "NOT met"
	}
	fmt.Fprintf(w, "\nratio of medians, running: %.2f (target ≤ %.1f: %s); HTTP: %.2f\n\n", ratio, targetRatio, verdict,
		float64(percentile(wHTTP, 50))/float64(percentile(dHTTP, 50)))

	fmt.Fprintln(w, "wharf breakdown (each step's own duration; task timestamps are milliseconds):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| step | p50 | p90 | max |")
	fmt.Fprintln(w, "|---|---|---|---|")
	step := func(name string, f func(wharfSample) time.Duration) { row(w, name, column(ws, f)) }
	step("RunTask call (place + persist)", func(s wharfSample) time.Duration { return s.api })
	step("createdAt → pullStartedAt (long poll wakes, agent starts runner)", func(s wharfSample) time.Duration { return s.pullStartedAt - s.createdAt })
	step("pullStartedAt → pullStoppedAt (ImageExists)", func(s wharfSample) time.Duration { return s.pullStoppedAt - s.pullStartedAt })
	step("pullStoppedAt → startedAt (create + start + inspect)", func(s wharfSample) time.Duration { return s.startedAt - s.pullStoppedAt })
	step("startedAt → client sees RUNNING (report + DescribeTasks poll)", func(s wharfSample) time.Duration { return s.running - s.startedAt })
	step("client sees RUNNING → HTTP 200", func(s wharfSample) time.Duration { return s.http - s.running })
	fmt.Fprintln(w)
	fmt.Fprintln(w, "docker breakdown:")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| step | p50 | p90 | max |")
	fmt.Fprintln(w, "|---|---|---|---|")
	drow := func(name string, f func(dockerSample) time.Duration) { row(w, name, column(ds, f)) }
	drow("ContainerCreate", func(s dockerSample) time.Duration { return s.create })
	drow("ContainerStart", func(s dockerSample) time.Duration { return s.start - s.create })
	drow("inspect until running", func(s dockerSample) time.Duration { return s.running - s.start })
	drow("running → HTTP 200", func(s dockerSample) time.Duration { return s.http - s.running })

	fmt.Fprintln(w, "\nper run (ms): wharf api/pending/running/http createdAt/pullStarted/pullStopped/startedAt | docker create/start/running/http")
	for i := range ws {
		s, d := ws[i], ds[i]
		fmt.Fprintf(w, "%2d: %6.1f %6.1f %6.1f %6.1f  %6.1f %6.1f %6.1f %6.1f | %6.1f %6.1f %6.1f %6.1f\n", i+1,
			f(s.api), f(s.pending), f(s.running), f(s.http), f(s.createdAt), f(s.pullStartedAt), f(s.pullStoppedAt), f(s.startedAt),
			f(d.create), f(d.start), f(d.running), f(d.http))
	}
}

func f(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func dockerVersion() string {
	out, err := exec.Command("docker", "version", "--format", "{{.Server.Version}}").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}
