package main

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"
)

type report struct {
	opts       options
	machine    machine
	quickstart coldRun
	emptyCache *pushSample
	warm       []pushSample
	manual     []manualSample
}

// warmTarget is the target for a warm push → served.
const warmTarget = 20 * time.Second

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return unknown
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func minOf(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return unknown
	}
	return slices.Min(ds)
}

func maxOf(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return unknown
	}
	return slices.Max(ds)
}

func col[T any](xs []T, f func(T) time.Duration) []time.Duration {
	out := make([]time.Duration, 0, len(xs))
	for _, x := range xs {
		if d := f(x); d != unknown {
			out = append(out, d)
		}
	}
	return out
}

// secs formats d in seconds; "–" for an unknown span.
func secs(d time.Duration) string {
	if d == unknown {
		return "–"
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func (r *report) print(w io.Writer) {
	m := r.machine
	dirty := ""
	if m.dirty {
		dirty = " + uncommitted changes"
	}
	fmt.Fprintf(w, "# pipelinebench: examples/hello as scripts/quickstart.sh sets it up\n\n")
	fmt.Fprintf(w, "%s, %d CPUs, %s, Docker %s, commit %s%s\n", m.start.UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), m.goVersion, m.docker, m.commit, dirty)
	fmt.Fprintf(w, "load average before: %s (CPU busy in the 3 s before: %.0f%%); at the end: %s; CPU busy during the run (everything, the builds included): %.0f%%; wall time %s\n\n",
		m.loadStart, 100*m.busyBefore, m.loadEnd, 100*m.busy(), m.end.Sub(m.start).Round(time.Second))

	r.printQuickstart(w)
	r.printWarm(w)
	r.printTimeline(w)
	r.printBuild(w)
	if len(r.manual) > 0 {
		r.printManual(w)
	}
}

func (r *report) printQuickstart(w io.Writer) {
	q := r.quickstart
	fmt.Fprintf(w, "## Cold\n\nscripts/quickstart.sh took %s. Its steps (from its output):\n\n| step | at | took |\n|---|--:|--:|\n", secs(q.total))
	var heads []line
	for _, l := range q.lines {
		if strings.HasPrefix(l.text, "==> ") {
			heads = append(heads, l)
		}
	}
	for i, h := range heads {
		end := q.total
		if i+1 < len(heads) {
			end = heads[i+1].at
		}
		fmt.Fprintf(w, "| %s | %.1f s | %s |\n", strings.TrimPrefix(h.text, "==> "), h.at.Seconds(), secs(end-h.at))
	}
	fmt.Fprintf(w, "\n(the bootstrap version was first served %s after the start)\n\nThe quickstart's pipeline output:\n\n```\n", secs(q.push.bootstrapServed))
	in := false
	for _, l := range q.lines {
		t := strings.TrimSpace(l.text)
		if strings.HasPrefix(l.text, "==> Pushing") {
			in = true
		}
		if in && strings.HasPrefix(t, "hello is served") {
			break
		}
		if in && t != "" {
			fmt.Fprintf(w, "%6.1f s  %s\n", l.at.Seconds(), l.text)
		}
	}
	fmt.Fprintf(w, "```\n\n")

	runs := []pushSample{q.push}
	names := []string{"quickstart's first run (host GOCACHE)"}
	if r.emptyCache != nil {
		runs = append(runs, *r.emptyCache)
		names = append(names, "one push with an empty GOCACHE")
	}
	fmt.Fprintf(w, "| cold run | push → execution start | Source | Build | Deploy | push → served | push → only new | push → Succeeded | Deploy start → first new target healthy | Deploy start → served | old targets seen healthy |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for i, s := range runs {
		dep := s.action("Deploy").start
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d of %d |\n", names[i], secs(sub(s.execStart, s.pushed)),
			secs(s.action("Source").d()), secs(s.action("Build").d()), secs(s.action("Deploy").d()),
			secs(s.served()), secs(s.allNew()), secs(s.succeededAt()),
			secs(sub(s.roll.newHealthyFirst, dep)), secs(sub(s.lb.firstNew, dep)), s.roll.oldHealthy, s.roll.oldTargets)
	}
	fmt.Fprintf(w, "\n(the quickstart's push time is when its \"pushed …\" line was read, its Succeeded the execution's lastUpdateTime; the quickstart polls the pipeline every 500 ms. Old targets: those registered before the push. The load balancer fails open: while no target of the group is healthy it routes to all of them, so a new version can be served before any of its targets is healthy.)\n\n")
}

func (r *report) printWarm(w io.Writer) {
	ws := r.warm
	fmt.Fprintf(w, "## Warm: %d pushes of a changed main.go\n\n", len(ws))
	fmt.Fprintf(w, "| push | load (1 min) | git push | push → execution start | Source | Build | Deploy | push → served | push → only new | push → Succeeded |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, s := range ws {
		fmt.Fprintf(w, "| hello %d | %.2f | %s | %s | %s | %s | %s | **%s** | %s | %s |\n", s.n, s.load1, secs(s.pushed.Sub(s.pushStart)),
			secs(sub(s.execStart, s.pushed)), secs(s.action("Source").d()), secs(s.action("Build").d()), secs(s.action("Deploy").d()),
			secs(s.served()), secs(s.allNew()), secs(s.succeededAt()))
	}
	served := col(ws, pushSample.served)
	succ := col(ws, pushSample.succeededAt)
	met := "**met**"
	if median(served) > warmTarget {
		met = "**not met**"
	}
	fmt.Fprintf(w, "\n| warm, from `git push` returning | median | min | max | target |\n|---|--:|--:|--:|---|\n")
	fmt.Fprintf(w, "| (a) load balancer serves the new greeting | **%s** | %s | %s | ≤ %s: %s |\n", secs(median(served)), secs(minOf(served)), secs(maxOf(served)), secs(warmTarget), met)
	all := col(ws, pushSample.allNew)
	fmt.Fprintf(w, "| (a') … and only the new one | %s | %s | %s | |\n", secs(median(all)), secs(minOf(all)), secs(maxOf(all)))
	fmt.Fprintf(w, "| (b) execution Succeeded (ListPipelineExecutions) | %s | %s | %s | |\n\n", secs(median(succ)), secs(minOf(succ)), secs(maxOf(succ)))
	if len(r.manual) > 0 {
		ms := col(r.manual, manualSample.served)
		mc := col(r.manual, manualSample.completedAt)
		fmt.Fprintf(w, "| median | wharf pipeline (from `git push` returning) | by hand (from `go test`) | ratio |\n|---|--:|--:|--:|\n")
		fmt.Fprintf(w, "| served | **%s** | %s | **%s** |\n", secs(median(served)), secs(median(ms)), ratio(median(served), median(ms)))
		fmt.Fprintf(w, "| served, fastest run | %s | %s | %s |\n", secs(minOf(served)), secs(minOf(ms)), ratio(minOf(served), minOf(ms)))
		fmt.Fprintf(w, "| only new served | %s | %s | %s |\n", secs(median(all)), secs(median(col(r.manual, manualSample.allNew))),
			ratio(median(all), median(col(r.manual, manualSample.allNew))))
		fmt.Fprintf(w, "| Succeeded / deployment COMPLETED | %s | %s | %s |\n\n", secs(median(succ)), secs(median(mc)), ratio(median(succ), median(mc)))
	}
}

func ratio(a, b time.Duration) string {
	if a == unknown || b == unknown || b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a.Seconds()/b.Seconds())
}

// event is one row of a timeline: its offset in a run.
type event struct {
	name string
	f    func(pushSample) time.Duration
}

func (r *report) printTimeline(w io.Writer) {
	ws := r.warm
	fmt.Fprintf(w, "### Where a warm push's time goes\n\nMedian over the %d pushes of each event's time after `git push` returned (server timestamps: ListPipelineExecutions, ListActionExecutions, BatchGetBuilds, DescribeTasks; target states from DescribeTargetHealth every %s; the load balancer's answers from GET every %s):\n\n",
		len(ws), targetPollInterval, r.opts.poll)
	at := func(f func(pushSample) time.Time) func(pushSample) time.Duration {
		return func(s pushSample) time.Duration { return sub(f(s), s.pushed) }
	}
	evs := []event{
		{"execution startTime (push trigger)", at(func(s pushSample) time.Time { return s.execStart })},
		{"Source action start", at(func(s pushSample) time.Time { return s.action("Source").start })},
		{"Source action end", at(func(s pushSample) time.Time { return s.action("Source").end })},
		{"Build action start", at(func(s pushSample) time.Time { return s.action("Build").start })},
		{"build startTime", at(func(s pushSample) time.Time { return s.build.start })},
		{"build endTime", at(func(s pushSample) time.Time { return s.build.end })},
		{"Build action end", at(func(s pushSample) time.Time { return s.action("Build").end })},
		{"Deploy action start", at(func(s pushSample) time.Time { return s.action("Deploy").start })},
		{"new tasks created (earliest createdAt)", at(func(s pushSample) time.Time { return s.roll.tasksCreated })},
		{"new tasks started (latest startedAt)", at(func(s pushSample) time.Time { return s.roll.tasksStarted })},
		{"first new target registered", at(func(s pushSample) time.Time { return s.roll.newRegistered })},
		{"first new target healthy", at(func(s pushSample) time.Time { return s.roll.newHealthyFirst })},
		{"**load balancer serves the new greeting**", at(func(s pushSample) time.Time { return s.lb.firstNew })},
		{"last new target healthy", at(func(s pushSample) time.Time { return s.roll.newHealthyLast })},
		{"first old target out of service (draining, or removed: drained at once)", at(func(s pushSample) time.Time { return s.roll.oldOut })},
		{"load balancer serves only the new greeting", at(func(s pushSample) time.Time { return s.lb.allNew })},
		{"last old target removed (last listed)", at(func(s pushSample) time.Time { return s.roll.oldGone })},
		{"old tasks stopping (earliest stoppingAt)", at(func(s pushSample) time.Time { return s.roll.oldStopping })},
		{"old tasks stopping (latest stoppingAt)", at(func(s pushSample) time.Time { return s.roll.oldStoppingLast })},
		{"old tasks stopped (latest stoppedAt)", at(func(s pushSample) time.Time { return s.roll.oldStopped })},
		{"Deploy action end", at(func(s pushSample) time.Time { return s.action("Deploy").end })},
		{"execution lastUpdateTime (Succeeded)", at(func(s pushSample) time.Time { return s.execEnd })},
		{"client sees Succeeded", at(func(s pushSample) time.Time { return s.succeeded })},
	}
	fmt.Fprintf(w, "| event | median | min | max |\n|---|--:|--:|--:|\n")
	for _, e := range evs {
		c := col(ws, e.f)
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", e.name, secs(median(c)), secs(minOf(c)), secs(maxOf(c)))
	}
	fmt.Fprintf(w, "\nStages and the engine's hand-offs (median):\n\n| span | median | min | max |\n|---|--:|--:|--:|\n")
	spans := []event{
		{"push → execution start", func(s pushSample) time.Duration { return sub(s.execStart, s.pushed) }},
		{"execution start → Source start", func(s pushSample) time.Duration { return sub(s.action("Source").start, s.execStart) }},
		{"Source", func(s pushSample) time.Duration { return s.action("Source").d() }},
		{"Source end → Build start", func(s pushSample) time.Duration { return sub(s.action("Build").start, s.action("Source").end) }},
		{"Build", func(s pushSample) time.Duration { return s.action("Build").d() }},
		{"  of which the build (startTime → endTime)", func(s pushSample) time.Duration { return sub(s.build.end, s.build.start) }},
		{"Build end → Deploy start", func(s pushSample) time.Duration { return sub(s.action("Deploy").start, s.action("Build").end) }},
		{"Deploy", func(s pushSample) time.Duration { return s.action("Deploy").d() }},
		{"  Deploy start → new tasks started (latest)", func(s pushSample) time.Duration {
			return sub(s.roll.tasksStarted, s.action("Deploy").start)
		}},
		{"  new tasks started → first new target healthy", func(s pushSample) time.Duration {
			return sub(s.roll.newHealthyFirst, s.roll.tasksStarted)
		}},
		{"  Deploy start → served", func(s pushSample) time.Duration { return sub(s.lb.firstNew, s.action("Deploy").start) }},
		{"  first new target healthy → first old target out", func(s pushSample) time.Duration { return sub(s.roll.oldOut, s.roll.newHealthyFirst) }},
		{"  last old target removed → last old task stopping", func(s pushSample) time.Duration {
			return sub(s.roll.oldStoppingLast, s.roll.oldGone)
		}},
		{"  last old task stopped → Deploy end", func(s pushSample) time.Duration { return sub(s.action("Deploy").end, s.roll.oldStopped) }},
		{"Deploy end → execution Succeeded", func(s pushSample) time.Duration { return sub(s.execEnd, s.action("Deploy").end) }},
	}
	for _, e := range spans {
		c := col(ws, e.f)
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", e.name, secs(median(c)), secs(minOf(c)), secs(maxOf(c)))
	}
	var rh []time.Duration
	for _, s := range ws {
		rh = append(rh, s.roll.regToHealthy...)
	}
	fmt.Fprintf(w, "\nNew target registered → healthy in the load balancer, per target (%d targets): median %s, min %s, max %s; %d of them took more than 7.5 s (the first health check failed).\n\n",
		len(rh), secs(median(rh)), secs(minOf(rh)), secs(maxOf(rh)), countOver(rh, 7500*time.Millisecond))
}

var phaseOrder = []string{"SUBMITTED", "QUEUED", "PROVISIONING", "DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD",
	"BUILD", "POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING"}

// commandKey shortens a buildspec command to its first two words.
func commandKey(c string) string {
	f := strings.Fields(c)
	if len(f) > 2 {
		f = f[:2]
	}
	return strings.Join(f, " ")
}

func (b buildInfo) command(key string) time.Duration {
	var d time.Duration
	for _, c := range b.commands {
		if commandKey(c.text) == key {
			d += c.d
		}
	}
	return d
}

func (r *report) printBuild(w io.Writer) {
	cols := []string{"quickstart (cold)"}
	builds := []buildInfo{r.quickstart.push.build}
	if r.emptyCache != nil {
		cols = append(cols, "empty GOCACHE")
		builds = append(builds, r.emptyCache.build)
	}
	fmt.Fprintf(w, "### The Build action's build\n\nPhases (BatchGetBuilds) and, inside them, the buildspec's commands (from the build log: \"Running command\" to the next line of the build agent):\n\n| phase / command | %s | warm median | warm min | warm max |\n|---|%s--:|--:|--:|\n",
		strings.Join(cols, " | "), strings.Repeat("--:|", len(cols)))
	row := func(name string, f func(buildInfo) time.Duration) {
		fmt.Fprintf(w, "| %s |", name)
		for _, b := range builds {
			fmt.Fprintf(w, " %s |", secs(f(b)))
		}
		c := col(r.warm, func(s pushSample) time.Duration { return f(s.build) })
		fmt.Fprintf(w, " %s | %s | %s |\n", secs(median(c)), secs(minOf(c)), secs(maxOf(c)))
	}
	var keys []string
	for _, b := range append(builds, col2(r.warm)...) {
		for _, c := range b.commands {
			if k := commandKey(c.text); !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	for _, p := range phaseOrder {
		row(p, func(b buildInfo) time.Duration {
			if d, ok := b.phases[p]; ok {
				return d
			}
			return unknown
		})
		for _, k := range keys {
			if phaseOf(k) == p {
				row("  `"+k+"`", func(b buildInfo) time.Duration { return b.command(k) })
			}
		}
	}
	row("build startTime → endTime", func(b buildInfo) time.Duration { return sub(b.end, b.start) })
	fmt.Fprintln(w)
}

func col2(ws []pushSample) []buildInfo {
	out := make([]buildInfo, 0, len(ws))
	for _, s := range ws {
		out = append(out, s.build)
	}
	return out
}

// phaseOf is the phase examples/hello/buildspec.yml runs a command in.
func phaseOf(key string) string {
	switch {
	case strings.HasPrefix(key, "export GOCACHE"), key == "go version":
		return "INSTALL"
	case strings.HasPrefix(key, "go test"), strings.HasPrefix(key, "go build"), strings.HasPrefix(key, "docker build"):
		return "BUILD"
	case strings.HasPrefix(key, "docker push"), strings.HasPrefix(key, "printf"), strings.HasPrefix(key, "cat"), strings.HasPrefix(key, "["):
		return "POST_BUILD"
	}
	return "PRE_BUILD"
}

func (r *report) printManual(w io.Writer) {
	ms := r.manual
	fmt.Fprintf(w, "## By hand, without the pipeline\n\nIn the work tree: the buildspec's commands with its environment and the same GOCACHE, then RegisterTaskDefinition (the service's revision with the new image) and UpdateService through the SDK, until the load balancer serves the new greeting; measured from the start of `go test`.\n\n")
	fmt.Fprintf(w, "| run | load (1 min) | go test | go build | docker build | docker push | register + update | update → served | **start → served** | start → only new | start → COMPLETED |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, s := range ms {
		fmt.Fprintf(w, "| hello %d | %.2f | %s | %s | %s | %s | %s | %s | **%s** | %s | %s |\n", s.n, s.load1,
			secs(s.step("go test")), secs(s.step("go build")), secs(s.step("docker build")), secs(s.step("docker push")),
			secs(sum(s.step("RegisterTaskDefinition"), s.step("UpdateService"))), secs(sub(s.lb.firstNew, s.updated)),
			secs(s.served()), secs(s.allNew()), secs(s.completedAt()))
	}
	c := func(f func(manualSample) time.Duration) string {
		v := col(ms, f)
		return fmt.Sprintf("%s (min %s)", secs(median(v)), secs(minOf(v)))
	}
	fmt.Fprintf(w, "| median (min) | | %s | %s | %s | %s | | %s | **%s** | %s | %s |\n\n",
		c(func(s manualSample) time.Duration { return s.step("go test") }),
		c(func(s manualSample) time.Duration { return s.step("go build") }),
		c(func(s manualSample) time.Duration { return s.step("docker build") }),
		c(func(s manualSample) time.Duration { return s.step("docker push") }),
		c(func(s manualSample) time.Duration { return sub(s.lb.firstNew, s.updated) }),
		c(manualSample.served), c(manualSample.allNew), c(manualSample.completedAt))

	fmt.Fprintf(w, "The rollout alone, wharf's Deploy action against the manual UpdateService (median offsets):\n\n| event | from Deploy action start | from UpdateService returned |\n|---|--:|--:|\n")
	type rowDef struct {
		name string
		p    func(pushSample) time.Time
		m    func(manualSample) time.Time
	}
	rows := []rowDef{
		{"new tasks created", func(s pushSample) time.Time { return s.roll.tasksCreated }, func(s manualSample) time.Time { return s.roll.tasksCreated }},
		{"new tasks started", func(s pushSample) time.Time { return s.roll.tasksStarted }, func(s manualSample) time.Time { return s.roll.tasksStarted }},
		{"first new target registered", func(s pushSample) time.Time { return s.roll.newRegistered }, func(s manualSample) time.Time { return s.roll.newRegistered }},
		{"first new target healthy", func(s pushSample) time.Time { return s.roll.newHealthyFirst }, func(s manualSample) time.Time { return s.roll.newHealthyFirst }},
		{"served", func(s pushSample) time.Time { return s.lb.firstNew }, func(s manualSample) time.Time { return s.lb.firstNew }},
		{"last new target healthy", func(s pushSample) time.Time { return s.roll.newHealthyLast }, func(s manualSample) time.Time { return s.roll.newHealthyLast }},
		{"first old target out of service", func(s pushSample) time.Time { return s.roll.oldOut }, func(s manualSample) time.Time { return s.roll.oldOut }},
		{"only new served", func(s pushSample) time.Time { return s.lb.allNew }, func(s manualSample) time.Time { return s.lb.allNew }},
		{"last old target removed", func(s pushSample) time.Time { return s.roll.oldGone }, func(s manualSample) time.Time { return s.roll.oldGone }},
		{"old tasks stopping (earliest)", func(s pushSample) time.Time { return s.roll.oldStopping }, func(s manualSample) time.Time { return s.roll.oldStopping }},
		{"old tasks stopping (latest)", func(s pushSample) time.Time { return s.roll.oldStoppingLast }, func(s manualSample) time.Time { return s.roll.oldStoppingLast }},
		{"old tasks stopped (latest)", func(s pushSample) time.Time { return s.roll.oldStopped }, func(s manualSample) time.Time { return s.roll.oldStopped }},
		{"Deploy end / COMPLETED seen", func(s pushSample) time.Time { return s.action("Deploy").end }, func(s manualSample) time.Time { return s.completed }},
	}
	for _, rw := range rows {
		p := col(r.warm, func(s pushSample) time.Duration { return sub(rw.p(s), s.action("Deploy").start) })
		m := col(ms, func(s manualSample) time.Duration { return sub(rw.m(s), s.updated) })
		fmt.Fprintf(w, "| %s | %s | %s |\n", rw.name, secs(median(p)), secs(median(m)))
	}
	fmt.Fprintln(w)
}

func countOver(ds []time.Duration, limit time.Duration) int {
	n := 0
	for _, d := range ds {
		if d > limit {
			n++
		}
	}
	return n
}

// sum adds spans; unknown if one is.
func sum(ds ...time.Duration) time.Duration {
	var t time.Duration
	for _, d := range ds {
		if d == unknown {
			return unknown
		}
		t += d
	}
	return t
}
