package main

import (
	"fmt"
	"io"
	"slices"
	"time"
)

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func maxOf(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return slices.Max(ds)
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d.Microseconds())/1000) }

// printReport prints each run, the medians and where the time went.
func printReport(w io.Writer, o options, image string, ss []sample) {
	fmt.Fprintf(w, "rolling deployment of %d tasks (%s), health check interval %d s, 100/200, %d runs\n\n", o.desired, image, o.interval, len(ss))
	fmt.Fprintf(w, "| run | T (UpdateService → COMPLETED) | S (batch start) | H (start → healthy, median) | t_stop (median) | lower bound | T / LB |\n|---|---|---|---|---|---|---|\n")
	var ts, lbs []time.Duration
	var ratios []float64
	for i, s := range ss {
		fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s | %.2f |\n", i+1, secs(s.total), ms(s.startSpan), ms(median(s.toHealthy)), ms(median(s.stopTime)),
			secs(s.lowerBound()), s.ratio())
		ts, lbs, ratios = append(ts, s.total), append(lbs, s.lowerBound()), append(ratios, s.ratio())
	}
	slices.Sort(ratios)
	fmt.Fprintf(w, "\nmedian T %s, median lower bound %s, median ratio %.2f (target ≤ 1.3)\n\n", secs(median(ts)), secs(median(lbs)), ratios[len(ratios)/2])

	fmt.Fprintf(w, "timeline from UpdateService (per run)\n\n| event | %s |\n|---|%s\n", runHeads(len(ss)), repeatCols(len(ss)))
	rows := []struct {
		name string
		f    func(sample) time.Duration
	}{
		{"UpdateService returned", func(s sample) time.Duration { return s.api }},
		{"first new task createdAt (controller reacts, places)", func(s sample) time.Duration { return s.firstTask }},
		{"first new container created (agent picks up)", func(s sample) time.Duration { return s.firstCreate }},
		{"last new container started", func(s sample) time.Duration { return s.lastStart }},
		{"last new container healthy (Docker event)", func(s sample) time.Duration { return s.lastHealthy }},
		{"first old container SIGTERM", func(s sample) time.Duration { return s.firstKill }},
		{"last old container SIGTERM", func(s sample) time.Duration { return s.lastKill }},
		{"last old container exited", func(s sample) time.Duration { return s.lastDie }},
		{"last old task stoppedAt", func(s sample) time.Duration { return s.lastStopped }},
		{"PRIMARY COMPLETED seen", func(s sample) time.Duration { return s.total }},
	}
	for _, r := range rows {
		fmt.Fprintf(w, "| %s |", r.name)
		for _, s := range ss {
			fmt.Fprintf(w, " %s |", ms(r.f(s)))
		}
		fmt.Fprintln(w)
	}

	fmt.Fprintf(w, "\nper-task steps (median / max over the %d tasks of each run)\n\n| step | %s |\n|---|%s\n", o.desired, runHeads(len(ss)), repeatCols(len(ss)))
	steps := []struct {
		name string
		f    func(sample) []time.Duration
	}{
		{"new: Docker create → start", func(s sample) []time.Duration { return s.perStart }},
		{"new: start → healthy", func(s sample) []time.Duration { return s.toHealthy }},
		{"k-th new healthy → k-th old SIGTERM", func(s sample) []time.Duration { return s.stopReact }},
		{"old: SIGTERM → exit", func(s sample) []time.Duration { return s.stopTime }},
		{"old: exit → Docker `stop` event (ContainerStop returns)", func(s sample) []time.Duration { return s.stopDone }},
		{"old: exit → stoppedAt (agent stamps STOPPED)", func(s sample) []time.Duration { return s.stopReport }},
	}
	for _, st := range steps {
		fmt.Fprintf(w, "| %s |", st.name)
		for _, s := range ss {
			fmt.Fprintf(w, " %s / %s |", ms(median(st.f(s))), ms(maxOf(st.f(s))))
		}
		fmt.Fprintln(w)
	}
}

func runHeads(n int) string {
	s := ""
	for i := range n {
		if i > 0 {
			s += " | "
		}
		s += fmt.Sprintf("run %d", i+1)
	}
	return s
}

func repeatCols(n int) string {
	s := ""
	for range n {
		s += "---|"
	}
	return s
}
