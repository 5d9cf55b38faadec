// Command lbbench measures the wharf load balancer data plane next to nginx
// and a direct connection, side by side in one run.
//
// It starts -backends small Go HTTP servers in a child process (so they do
// not share the Go scheduler with the proxy under test), then:
//
//   - wharf: an in-process lb.Balancer with one listener forwarding to one
//     target group of the backends (round robin, health checks on);
//   - nginx: the Debian nginx as a foreground child, with an upstream block
//     of the same backends, keepalive 64, the same X-Forwarded-* headers;
//   - wharf-nethttp: the same Balancer with Options.NetHTTPServer: its
//     listeners on net/http's server instead of wharf's connection loop
//     (the data plane before that loop existed);
//   - reverseproxy: net/http/httputil.ReverseProxy, in-process, with a
//     tuned Transport and a 32 KiB BufferPool — the usual Go baseline;
//   - direct: straight to one backend;
//
// and drives each with wrk (same threads, connections, duration), -reps
// times in interleaved order, reporting the median run's requests/s and
// p50/p99/p99.9, and the proxy's CPU time per request (median of the runs). Then: the wharf listener with 100 target groups and 1,000
// path rules with requests hitting the last rules (vs 1 rule, same script),
// and the memory per idle keep-alive connection (wharf: Go heap+stacks and
// RSS; nginx: RSS of master and workers).
//
//	go run ./bench/lbbench [-backends 4 -threads 2 -conns 64 -duration 10s -reps 3 -idle 5000]
//
// wrk and nginx come from Debian: apt-get install -y wrk nginx.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wharfhq/wharf/internal/lb"
	"github.com/wharfhq/wharf/internal/lbapi"
	"github.com/wharfhq/wharf/internal/model"
)

func main() {
	role := flag.String("role", "bench", "bench | backends | idle (internal)")
	nBackends := flag.Int("backends", 4, "number of backend servers")
	threads := flag.Int("threads", 2, "wrk threads")
	conns := flag.Int("conns", 64, "wrk connections")
	duration := flag.Duration("duration", 10*time.Second, "wrk duration per run")
	reps := flag.Int("reps", 3, "runs per target (median reported)")
	idle := flag.Int("idle", 5000, "idle keep-alive connections for the memory test")
	only := flag.String("only", "", "comma-separated targets to run (direct,nginx,wharf,wharf-nethttp,reverseproxy); default all")
	skipExtra := flag.Bool("skip-extra", false, "skip the rules and memory scenarios")
	maxLoad := flag.Float64("max-load", 2, "wait until the 1-minute load average is below this before starting")
	ports := flag.String("ports", "", "backend ports (role backends)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the bench process (the in-process proxies) to this file")
	addr := flag.String("addr", "", "address to connect to (role idle)")
	procs := flag.Int("procs", 0, "GOMAXPROCS of the bench process, i.e. of the in-process proxies (0: the default); the backends keep theirs")
	flag.Parse()
	if *procs > 0 && *role == "bench" {
		runtime.GOMAXPROCS(*procs)
	}

	var err error
	switch *role {
	case "backends":
		err = runBackends(*ports)
	case "idle":
		err = runIdle(*addr, *idle)
	default:
		if *cpuProfile != "" {
			f, ferr := os.Create(*cpuProfile)
			if ferr != nil {
				fmt.Fprintln(os.Stderr, ferr)
				os.Exit(1)
			}
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
		err = runBench(benchOpts{backends: *nBackends, threads: *threads, conns: *conns, duration: *duration,
			reps: *reps, idle: *idle, only: *only, skipExtra: *skipExtra, maxLoad: *maxLoad})
	}
	if err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "lbbench:", err)
		os.Exit(1)
	}
}

type benchOpts struct {
	backends, threads, conns, reps, idle int
	duration                             time.Duration
	only                                 string
	skipExtra                            bool
	maxLoad                              float64
}

// ---- child roles ----

var helloBody = []byte("hello, world\n")

func runBackends(ports string) error {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd["Content-Type"] = []string{"text/plain"}
		hd["Content-Length"] = []string{"13"}
		w.Write(helloBody)
	})
	for _, p := range strings.Split(ports, ",") {
		ln, err := net.Listen("tcp", "127.0.0.1:"+p)
		if err != nil {
			return err
		}
		go (&http.Server{Handler: h}).Serve(ln)
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin) // until the parent goes away
	return nil
}

func runIdle(addr string, n int) error {
	conns := make([]net.Conn, 0, n)
	buf := make([]byte, 4096)
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return fmt.Errorf("connection %d: %w", i, err)
		}
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: bench\r\n\r\n"); err != nil {
			return err
		}
		resp, err := http.ReadResponse(bufio.NewReaderSize(c, 512), nil)
		if err != nil {
			return fmt.Errorf("connection %d: %w", i, err)
		}
		io.CopyBuffer(io.Discard, resp.Body, buf)
		resp.Body.Close()
		conns = append(conns, c)
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		c.Close()
	}
	return nil
}

// ---- orchestration ----

type result struct {
	CPU        time.Duration `json:"-"` // the proxy's CPU time during the run (0: not measured)
	Requests   int64         `json:"requests"`
	DurationUS int64         `json:"duration_us"`
	Errors     int64         `json:"errors"`
	Non2xx     int64         `json:"non2xx"`
	P50        float64       `json:"p50"`
	P99        float64       `json:"p99"`
	P999       float64       `json:"p999"`
}

func (r result) rps() float64 { return float64(r.Requests) / (float64(r.DurationUS) / 1e6) }

// cpuPerReq is the proxy's CPU time per request in µs.
func (r result) cpuPerReq() float64 { return float64(r.CPU.Microseconds()) / float64(r.Requests) }

const wrkReport = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"duration_us":%d,"errors":%d,"non2xx":%d,"p50":%d,"p99":%d,"p999":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9)))
end
`

// rulesScript requests /svc/<i>/x for i in [from, to) in rotation.
func rulesScript(prefix string, from, to int) string {
	return fmt.Sprintf(`
local i = %d
request = function()
  local p = "/%s/" .. i .. "/x"
  i = i + 1
  if i >= %d then i = %d end
  return wrk.format("GET", p)
end
`, from, prefix, to, from) + wrkReport
}

func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, _ := strconv.ParseFloat(strings.Fields(string(b))[0], 64)
	return f
}

func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	var ps []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ps = append(ps, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ps, nil
}

func runBench(o benchOpts) error {
	for _, bin := range []string{"wrk", "nginx"} {
		if _, err := exec.LookPath(bin); err != nil {
			return fmt.Errorf("%s not found: apt-get install -y wrk nginx", bin)
		}
	}
	for start := time.Now(); loadAvg() > o.maxLoad; {
		if time.Since(start) > 10*time.Minute {
			fmt.Fprintf(os.Stderr, "load average still %.2f after 10 minutes; running anyway\n", loadAvg())
			break
		}
		fmt.Fprintf(os.Stderr, "load average %.2f > %.2f, waiting...\n", loadAvg(), o.maxLoad)
		time.Sleep(15 * time.Second)
	}
	tmp, err := os.MkdirTemp("", "lbbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	script := filepath.Join(tmp, "report.lua")
	if err := os.WriteFile(script, []byte(wrkReport), 0o644); err != nil {
		return err
	}

	ports, err := freePorts(o.backends + 5)
	if err != nil {
		return err
	}
	bePorts, wharfPort, nginxPort, rpPort, rulesPort := ports[:o.backends], ports[o.backends], ports[o.backends+1], ports[o.backends+2], ports[o.backends+3]
	stdPort := ports[o.backends+4]

	// Backends in a child process.
	self, _ := os.Executable()
	var ps []string
	for _, p := range bePorts {
		ps = append(ps, strconv.Itoa(p))
	}
	beCmd := exec.Command(self, "-role", "backends", "-ports", strings.Join(ps, ","))
	beIn, _ := beCmd.StdinPipe()
	beOut, _ := beCmd.StdoutPipe()
	beCmd.Stderr = os.Stderr
	if err := beCmd.Start(); err != nil {
		return err
	}
	defer func() { beIn.Close(); beCmd.Wait() }()
	if line, _ := bufio.NewReader(beOut).ReadString('\n'); strings.TrimSpace(line) != "ready" {
		return fmt.Errorf("backends did not start: %q", line)
	}

	// wharf, in process.
	bal := lb.New(lb.Options{Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		DrainTimeout: 5 * time.Second})
	defer bal.Close()
	if err := bal.Apply(singleConfig(1, bePorts, wharfPort)); err != nil {
		return err
	}
	if err := waitHealthy(bal, 1, o.backends); err != nil {
		return err
	}
	// The same data plane on net/http's server.
	balStd := lb.New(lb.Options{Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		DrainTimeout: 5 * time.Second, NetHTTPServer: true})
	defer balStd.Close()
	if err := balStd.Apply(singleConfig(1, bePorts, stdPort)); err != nil {
		return err
	}
	if err := waitHealthy(balStd, 1, o.backends); err != nil {
		return err
	}

	// nginx, as a foreground child.
	nginx, err := startNginx(tmp, bePorts, nginxPort, o.idle+1024)
	if err != nil {
		return err
	}
	defer nginx.stop()

	// httputil.ReverseProxy baseline, in process.
	rpSrv, err := startReverseProxy(bePorts, rpPort)
	if err != nil {
		return err
	}
	defer rpSrv.Close()

	targets := []struct {
		name, url string
		cpu       func() time.Duration // the proxy's CPU time so far; nil: none
	}{
		{"direct", fmt.Sprintf("http://127.0.0.1:%d/", bePorts[0]), nil},
		{"nginx", fmt.Sprintf("http://127.0.0.1:%d/", nginxPort), nginx.cpu},
		{"wharf", fmt.Sprintf("http://127.0.0.1:%d/", wharfPort), selfCPU},
		{"wharf-nethttp", fmt.Sprintf("http://127.0.0.1:%d/", stdPort), selfCPU},
		{"reverseproxy", fmt.Sprintf("http://127.0.0.1:%d/", rpPort), selfCPU},
	}
	if o.only != "" {
		keep := targets[:0]
		for _, t := range targets {
			if strings.Contains(","+o.only+",", ","+t.name+",") {
				keep = append(keep, t)
			}
		}
		targets = keep
	}
	// Warm-up: fill keep-alive pools everywhere.
	for _, t := range targets {
		if _, err := runWrk(o.threads, o.conns, 2*time.Second, script, t.url); err != nil {
			return fmt.Errorf("warm-up %s: %w", t.name, err)
		}
	}
	fmt.Printf("# lbbench %s, %d CPUs, GOMAXPROCS %d, %s, nginx %s\n", time.Now().Format(time.RFC3339), runtime.NumCPU(),
		runtime.GOMAXPROCS(0), runtime.Version(), nginxVersion())
	fmt.Printf("# wrk -t%d -c%d -d%s, %d backends (Go net/http, 13-byte body), %d runs each, interleaved; median run by req/s\n\n",
		o.threads, o.conns, o.duration, o.backends, o.reps)

	runs := map[string][]result{}
	for rep := 0; rep < o.reps; rep++ {
		for _, t := range targets {
			var cpu0 time.Duration
			if t.cpu != nil {
				cpu0 = t.cpu()
			}
			r, err := runWrk(o.threads, o.conns, o.duration, script, t.url)
			if err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			if t.cpu != nil {
				r.CPU = t.cpu() - cpu0
			}
			fmt.Fprintf(os.Stderr, "run %d %-12s %9.0f req/s p50 %.3f ms p99 %.3f ms %5.1f µs CPU/req errors %d non2xx %d (load %.2f)\n",
				rep+1, t.name, r.rps(), r.P50/1000, r.P99/1000, r.cpuPerReq(), r.Errors, r.Non2xx, loadAvg())
			runs[t.name] = append(runs[t.name], r)
		}
	}
	med := map[string]result{}
	fmt.Println("| target | req/s | p50 ms | p99 ms | p99.9 ms | errors | vs nginx req/s | p50 over direct | proxy CPU µs/req (median of runs) |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, t := range targets {
		rs := runs[t.name]
		sort.Slice(rs, func(i, j int) bool { return rs[i].rps() < rs[j].rps() })
		m := rs[len(rs)/2]
		med[t.name] = m
	}
	for _, t := range targets {
		m := med[t.name]
		vsNginx, overDirect := "", ""
		if n, ok := med["nginx"]; ok {
			vsNginx = fmt.Sprintf("%.2f×", m.rps()/n.rps())
		}
		if d, ok := med["direct"]; ok {
			overDirect = fmt.Sprintf("%+.3f ms", (m.P50-d.P50)/1000)
		}
		var errs int64
		for _, r := range runs[t.name] {
			errs += r.Errors + r.Non2xx
		}
		cpu := "–"
		if t.cpu != nil {
			var per []float64
			for _, r := range runs[t.name] {
				per = append(per, r.cpuPerReq())
			}
			sort.Float64s(per)
			cpu = fmt.Sprintf("%.1f", per[len(per)/2])
		}
		fmt.Printf("| %s | %.0f | %.3f | %.3f | %.3f | %d | %s | %s | %s |\n", t.name, m.rps(), m.P50/1000, m.P99/1000, m.P999/1000, errs, vsNginx, overDirect, cpu)
	}

	// Added latency without queueing: one connection, one request at a time.
	fmt.Println()
	fmt.Println("| one connection (wrk -t1 -c1) | req/s | p50 ms | p99 ms | p50 over direct |")
	fmt.Println("|---|---:|---:|---:|---:|")
	lat := map[string]result{}
	for _, t := range targets {
		var rs []result
		for rep := 0; rep < o.reps; rep++ {
			r, err := runWrk(1, 1, o.duration/2, script, t.url)
			if err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			rs = append(rs, r)
		}
		lat[t.name] = median(rs)
	}
	for _, t := range targets {
		m := lat[t.name]
		over := ""
		if d, ok := lat["direct"]; ok {
			over = fmt.Sprintf("%+.3f ms", (m.P50-d.P50)/1000)
		}
		fmt.Printf("| %s | %.0f | %.3f | %.3f | %s |\n", t.name, m.rps(), m.P50/1000, m.P99/1000, over)
	}
	if o.skipExtra {
		return nil
	}

	// 100 target groups, 1,000 rules, requests hitting the last ten rules.
	fmt.Println()
	if err := bal.Apply(rulesConfig(2, bePorts, wharfPort, rulesPort)); err != nil {
		return err
	}
	if err := waitHealthy(bal, 100, o.backends); err != nil {
		return err
	}
	oneRule := filepath.Join(tmp, "one.lua")
	lastRules := filepath.Join(tmp, "last.lua")
	os.WriteFile(oneRule, []byte(rulesScript("svc", 990, 1000)), 0o644)
	os.WriteFile(lastRules, []byte(rulesScript("svc", 990, 1000)), 0o644)
	var one, many []result
	for rep := 0; rep < o.reps; rep++ {
		r1, err := runWrk(o.threads, o.conns, o.duration, oneRule, fmt.Sprintf("http://127.0.0.1:%d/", wharfPort))
		if err != nil {
			return err
		}
		r2, err := runWrk(o.threads, o.conns, o.duration, lastRules, fmt.Sprintf("http://127.0.0.1:%d/", rulesPort))
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "rules run %d: 1 rule %.0f req/s, 1000 rules %.0f req/s (errors %d/%d)\n", rep+1, r1.rps(), r2.rps(), r1.Errors+r1.Non2xx, r2.Errors+r2.Non2xx)
		one, many = append(one, r1), append(many, r2)
	}
	m1, m2 := median(one), median(many)
	fmt.Println("| wharf listener | req/s | p50 ms | p99 ms | vs 1 rule |")
	fmt.Println("|---|---:|---:|---:|---:|")
	fmt.Printf("| 1 target group, default action | %.0f | %.3f | %.3f | 1.00× |\n", m1.rps(), m1.P50/1000, m1.P99/1000)
	fmt.Printf("| 100 target groups, 1,000 path rules, hits on rules 991–1000 | %.0f | %.3f | %.3f | %.2f× |\n", m2.rps(), m2.P50/1000, m2.P99/1000, m2.rps()/m1.rps())

	// Memory per idle keep-alive connection.
	fmt.Println()
	if err := bal.Apply(singleConfig(3, bePorts, wharfPort)); err != nil {
		return err
	}
	balStd.Close()
	wm, err := idleMemory(self, fmt.Sprintf("127.0.0.1:%d", wharfPort), o.idle, func() (int64, int64) {
		runtime.GC()
		debug.FreeOSMemory()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return int64(ms.HeapInuse + ms.StackInuse), rss(os.Getpid())
	})
	if err != nil {
		return err
	}
	nm, err := idleMemory(self, fmt.Sprintf("127.0.0.1:%d", nginxPort), o.idle, func() (int64, int64) {
		return 0, nginx.rss()
	})
	if err != nil {
		return err
	}
	fmt.Printf("| %d idle keep-alive client connections | Go heap+stacks per conn | RSS per conn |\n|---|---:|---:|\n", o.idle)
	fmt.Printf("| wharf | %.1f KiB | %.1f KiB |\n", float64(wm[0])/float64(o.idle)/1024, float64(wm[1])/float64(o.idle)/1024)
	fmt.Printf("| nginx | – | %.1f KiB |\n", float64(nm[1])/float64(o.idle)/1024)
	return nil
}

func median(rs []result) result {
	sort.Slice(rs, func(i, j int) bool { return rs[i].rps() < rs[j].rps() })
	return rs[len(rs)/2]
}

func idleMemory(self, addr string, n int, measure func() (int64, int64)) ([2]int64, error) {
	h0, r0 := measure()
	cmd := exec.Command(self, "-role", "idle", "-addr", addr, "-idle", strconv.Itoa(n))
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return [2]int64{}, err
	}
	defer func() { in.Close(); cmd.Wait() }()
	if line, _ := bufio.NewReader(out).ReadString('\n'); strings.TrimSpace(line) != "ready" {
		return [2]int64{}, fmt.Errorf("idle client failed: %q", line)
	}
	time.Sleep(500 * time.Millisecond)
	h1, r1 := measure()
	fmt.Fprintf(os.Stderr, "idle %s: heap %d → %d, rss %d → %d\n", addr, h0, h1, r0, r1)
	return [2]int64{h1 - h0, r1 - r0}, nil
}

func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			kb, _ := strconv.ParseInt(strings.Fields(l)[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func runWrk(threads, conns int, d time.Duration, script, url string) (result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "wrk", "-t", strconv.Itoa(threads), "-c", strconv.Itoa(conns),
		"-d", fmt.Sprintf("%ds", int(d.Seconds())), "--timeout", "5s", "-s", script, url)
	out, err := cmd.Output()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %w: %s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var r result
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		return result{}, fmt.Errorf("wrk output: %w: %s", err, out)
	}
	return r, nil
}

// ---- configurations ----

const (
	benchLB = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/bench/1"
)

func tgARN(i int) string {
	return fmt.Sprintf("arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/bench-%d/%d", i, i)
}

func group(i int, ports []int) lbapi.TargetGroup {
	tg := lbapi.TargetGroup{TargetGroup: model.TargetGroup{ARN: tgARN(i), Name: fmt.Sprintf("bench-%d", i), Protocol: "HTTP",
		HealthCheck: model.HealthCheckConfig{Enabled: true, Path: "/", Port: "traffic-port", IntervalSeconds: 5,
			TimeoutSeconds: 2, HealthyThreshold: 2, UnhealthyThreshold: 2, Matcher: "200"}}}
	for _, p := range ports {
		tg.Targets = append(tg.Targets, model.Target{ID: "127.0.0.1", Port: int32(p), Address: fmt.Sprintf("127.0.0.1:%d", p)})
	}
	return tg
}

func fwd(arn string) []model.Action {
	return []model.Action{{Type: "forward", TargetGroups: []model.WeightedTargetGroup{{ARN: arn, Weight: 1}}}}
}

func singleConfig(rev int64, bePorts []int, port int) lbapi.Config {
	return lbapi.Config{Revision: rev,
		LoadBalancers: []model.LoadBalancer{{ARN: benchLB, Name: "bench", IPAddress: "127.0.0.1"}},
		Listeners:     []model.Listener{{ARN: "l-main", LoadBalancerARN: benchLB, Protocol: "HTTP", Port: int32(port), DefaultActions: fwd(tgARN(0))}},
		TargetGroups:  []lbapi.TargetGroup{group(0, bePorts)},
	}
}

// rulesConfig keeps the main listener and adds one with 1,000 path rules
// over 100 target groups (rule i: /svc/<i>/* → group i mod 100).
func rulesConfig(rev int64, bePorts []int, mainPort, rulesPort int) lbapi.Config {
	c := singleConfig(rev, bePorts, mainPort)
	c.Listeners = append(c.Listeners, model.Listener{ARN: "l-rules", LoadBalancerARN: benchLB, Protocol: "HTTP",
		Port: int32(rulesPort), DefaultActions: []model.Action{{Type: "fixed-response", StatusCode: "404"}}})
	for i := 1; i < 100; i++ {
		c.TargetGroups = append(c.TargetGroups, group(i, bePorts))
	}
	for i := 0; i < 1000; i++ {
		c.Rules = append(c.Rules, model.Rule{ARN: fmt.Sprintf("rule-%d", i), ListenerARN: "l-rules", Priority: int32(i + 1),
			Conditions: []model.Condition{{Field: "path-pattern", Values: []string{fmt.Sprintf("/svc/%d/*", i)}}},
			Actions:    fwd(tgARN(i % 100))})
	}
	return c
}

func waitHealthy(b *lb.Balancer, groups, perGroup int) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		n := 0
		for _, ts := range b.Health().Targets {
			for _, h := range ts {
				if h.State == model.TargetHealthy {
					n++
				}
			}
		}
		if n >= groups*perGroup {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("targets did not become healthy")
}

// ---- httputil.ReverseProxy baseline ----

type bufPool struct{ ch chan []byte }

func (p bufPool) Get() []byte {
	select {
	case b := <-p.ch:
		return b
	default:
		return make([]byte, 32<<10)
	}
}

func (p bufPool) Put(b []byte) {
	select {
	case p.ch <- b:
	default:
	}
}

func startReverseProxy(bePorts []int, port int) (*http.Server, error) {
	var urls []*url.URL
	for _, p := range bePorts {
		u, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", p))
		urls = append(urls, u)
	}
	var seq atomic.Uint64
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(urls[seq.Add(1)%uint64(len(urls))])
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
		},
		Transport:  &http.Transport{Proxy: nil, MaxIdleConns: 0, MaxIdleConnsPerHost: 1024, IdleConnTimeout: 90 * time.Second, DisableCompression: true},
		BufferPool: bufPool{ch: make(chan []byte, 1024)},
		ErrorLog:   nil,
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: rp, IdleTimeout: 60 * time.Second}
	go srv.Serve(ln)
	return srv, nil
}

// ---- nginx ----

type nginxProc struct {
	cmd *exec.Cmd
}

func nginxVersion() string {
	out, _ := exec.Command("nginx", "-v").CombinedOutput()
	return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), "nginx version: "))
}

func startNginx(dir string, bePorts []int, port, maxConns int) (*nginxProc, error) {
	var ups strings.Builder
	for _, p := range bePorts {
		fmt.Fprintf(&ups, "    server 127.0.0.1:%d;\n", p)
	}
	user := ""
	if os.Getuid() == 0 {
		user = "user root;"
	}
	conf := fmt.Sprintf(`%s
daemon off;
master_process on;
worker_processes auto;
worker_rlimit_nofile %d;
pid %s/nginx.pid;
error_log %s/error.log warn;
events { worker_connections %d; multi_accept on; }
http {
  access_log off;
  client_body_temp_path %s/body;
  proxy_temp_path %s/proxy;
  fastcgi_temp_path %s/fastcgi;
  uwsgi_temp_path %s/uwsgi;
  scgi_temp_path %s/scgi;
  keepalive_timeout 120s;
  keepalive_requests 1000000;
  upstream backends {
%s    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:%d;
    location / {
      proxy_pass http://backends;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Port $server_port;
    }
  }
}
`, user, maxConns*2+1024, dir, dir, maxConns, dir, dir, dir, dir, dir, ups.String(), port)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command("nginx", "-p", dir, "-c", path)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			return nil, fmt.Errorf("nginx did not start (see %s/error.log)", dir)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return &nginxProc{cmd: cmd}, nil
}

func (n *nginxProc) stop() {
	n.cmd.Process.Signal(syscall.SIGQUIT) // graceful
	done := make(chan struct{})
	go func() { n.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		n.cmd.Process.Kill()
		<-done
	}
}

// pids lists the nginx master and its workers.
func (n *nginxProc) pids() []int {
	master := n.cmd.Process.Pid
	pids := []int{master}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if f := procStat(pid); len(f) > 2 && f[1] == strconv.Itoa(master) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// rss sums the resident memory of the nginx master and its workers.
func (n *nginxProc) rss() int64 {
	var total int64
	for _, pid := range n.pids() {
		total += rss(pid)
	}
	return total
}

// cpu is the CPU time (user+system) nginx has used so far.
func (n *nginxProc) cpu() time.Duration {
	var ticks int64
	for _, pid := range n.pids() {
		if f := procStat(pid); len(f) > 12 {
			u, _ := strconv.ParseInt(f[11], 10, 64)
			s, _ := strconv.ParseInt(f[12], 10, 64)
			ticks += u + s
		}
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}

// procStat returns the fields of /proc/<pid>/stat after the command name
// (f[0] is field 3, the state).
func procStat(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(s[i+1:])
}

// selfCPU is the CPU time (user+system) of this process: the in-process
// proxies (backends and wrk run in other processes).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
