package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// Targets the ECS control plane is held to.
const (
	targetRegisterRate = 1_000
	targetDescribeRate = 10_000
	targetRSS          = 200 << 20
)

type namedWalks struct {
	name string
	walks
}

// report collects the results of one run and prints them as markdown.
type report struct {
	opts         options
	args         []string
	machine      machine
	fsType       string
	loadAvg      string
	wharfVersion string
	serverArgs   string
	fsync        latencies
	results      []result
	seeded       int
	walks        []namedWalks
	afterSeed    serverSnapshot
	atEnd        serverSnapshot
}

func (r *report) add(res result) { r.results = append(r.results, res) }

func (r *report) find(prefix string) (result, bool) {
	for _, res := range r.results {
		if strings.HasPrefix(res.name, prefix) {
			return res, true
		}
	}
	return result{}, false
}

func (r *report) write(w io.Writer) {
	m := r.machine
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("### ECS API benchmark (ecsbench)")
	p("")
	p("- command: `%s`", strings.Join(append([]string{"go run ./bench/ecsbench"}, r.args...), " "))
	p("- machine: %d CPUs (%s), %s, Linux %s, %s; load average at start %s", m.cpus, m.cpuModel, m.platform, m.kernel, m.goVersion, r.loadAvg)
	p("- server: `%s`, run as `wharf %s`", r.wharfVersion, r.serverArgs)
	p("- load: %d workers over keep-alive HTTP/1.1; **the load generator runs on the same %d CPUs as the server** "+
		"(client and server CPU are shown per phase)", r.opts.concurrency, m.cpus)
	if r.fsync.n > 0 {
		p("- data dir on %s; 4 KiB write+fdatasync: p50 %s, p99 %s, max %s (%d samples)",
			r.fsType, ms(r.fsync.p50), ms(r.fsync.p99), ms(r.fsync.max), r.fsync.n)
	} else {
		p("- data dir on %s", r.fsType)
	}
	p("")

	floor, _ := r.find("GET /healthz")
	p("| phase | ok | errors | wall | req/s | vs /healthz | p50 | p90 | p99 | max | client CPU | server CPU | server CPU/req | other CPU | CPU busy |")
	p("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, res := range r.results {
		ratio := "—"
		if floor.rate() > 0 && res.name != floor.name {
			ratio = fmt.Sprintf("%.2f×", res.rate()/floor.rate())
		}
		perReq := "—"
		if res.ok > 0 {
			perReq = fmt.Sprintf("%.0f µs", float64(res.serverCPU.Microseconds())/float64(res.ok))
		}
		busy := float64(res.clientCPU+res.serverCPU+res.otherCPU) / float64(res.elapsed) / float64(m.cpus) * 100
		p("| %s | %d | %d | %.2f s | %.0f | %s | %s | %s | %s | %s | %.2f s | %.2f s | %s | %.2f s | %.0f%% |",
			res.name, res.ok, res.errors, res.elapsed.Seconds(), res.rate(), ratio,
			ms(res.lat.p50), ms(res.lat.p90), ms(res.lat.p99), ms(res.lat.max),
			res.clientCPU.Seconds(), res.serverCPU.Seconds(), perReq, res.otherCPU.Seconds(), busy)
	}
	p("")
	p("Other CPU = machine-wide CPU (/proc/stat) minus client and server: interrupts, softirq "+
		"(loopback TCP is partly charged here) and any other process; a large value means a disturbed run. "+
		"CPU busy = all three / (wall × %d CPUs). List rows count one request per page; "+
		"latencies are of successful requests only.", m.cpus)
	p("")

	p("| server | VmRSS | RssAnon | RssFile | VmHWM (peak) | data dir (allocated) | data dir (apparent) |")
	p("|---|--:|--:|--:|--:|--:|--:|")
	for _, s := range []struct {
		when string
		snap serverSnapshot
	}{
		{fmt.Sprintf("after seeding (%d task definitions)", r.seeded), r.afterSeed},
		{"at the end", r.atEnd},
	} {
		if s.snap.err != nil {
			p("| %s | error: %v | | | | | |", s.when, s.snap.err)
			continue
		}
		p("| %s | %s | %s | %s | %s | %s | %s |", s.when, mib(s.snap.mem.rss), mib(s.snap.mem.anon), mib(s.snap.mem.file), mib(s.snap.mem.hwm),
			mib(s.snap.diskAllocated), mib(s.snap.diskApparent))
	}
	p("")

	p("| target | measured | met |")
	p("|---|--:|---|")
	if res, ok := r.find("RegisterTaskDefinition"); ok {
		p("| RegisterTaskDefinition ≥ %d/s | %.0f/s | %s |", targetRegisterRate, res.rate(), yesNo(res.rate() >= targetRegisterRate && res.errors == 0))
	}
	if res, ok := r.find("DescribeTaskDefinition"); ok {
		p("| DescribeTaskDefinition ≥ %d/s | %.0f/s | %s |", targetDescribeRate, res.rate(), yesNo(res.rate() >= targetDescribeRate && res.errors == 0))
	}
	peak := max(r.afterSeed.mem.hwm, r.atEnd.mem.hwm)
	p("| server RSS ≤ %s (peak VmHWM) | %s | %s |", mib(targetRSS), mib(peak), yesNo(peak <= targetRSS))
	p("")

	for _, nw := range r.walks {
		p("- %s: %d complete walks; %d of them listed a different number of revisions than were stored", nw.name, nw.complete, nw.wrong)
	}
	for _, res := range r.results {
		if res.errors == 0 {
			continue
		}
		p("- %s errors:", res.name)
		for _, text := range slices.Sorted(maps.Keys(res.errText)) {
			p("  - %d× `%s`", res.errText[text], strings.ReplaceAll(text, "`", "'"))
		}
	}
}

func ms(d time.Duration) string {
	switch {
	case d == 0:
		return "—"
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	}
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}
