// Command registrybench measures push and pull throughput of wharf's
// embedded registry next to copying the same bytes on the same disk, in one
// run.
//
// It writes -layers files of random bytes (-size MiB in all) under -tmpdir,
// starts `wharf server` (registry auto-create on, no local agent) with its
// data directory there too, and measures, sequentially:
//
//   - disk copy: each layer file copied to another file in the same
//     directory and fsynced — the baseline;
//   - registry API push/pull: the same files as blobs through the OCI
//     distribution API (POST, one streamed PATCH with Content-Length, PUT
//     ?digest=; GET written to a file, verified and fsynced), first one
//     layer at a time, then as many at a time as dockerd does (5 uploads,
//     3 downloads) — the registry alone. Each push round starts from an
//     empty blob store;
//   - docker push/pull: an image FROM scratch with one layer per file,
//     built once, pushed with the stock Docker CLI, removed from the
//     engine, pulled again — what users see, including dockerd's gzip on
//     push and gunzip plus layer extraction on pull.
//
// Throughput is the image's uncompressed size over the wall time; ratios
// are against the disk copy's median. Every row reports the median and
// the spread (min–max) of -rounds rounds, the wharf server's CPU time and
// the machine's busy and stolen CPU time (all cores; it tells a CPU-bound
// round from one that waited on the disk or on other load). The server's
// resident memory (VmRSS) is sampled every 50 ms while it serves.
//
//	go run ./bench/registrybench [-size 500 -layers 10 -rounds 5 -tmpdir /var/tmp -docker=true]
package main

import (
	"compress/gzip"
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/opencontainers/go-digest"
)

type options struct {
	sizeMiB, layers, rounds int
	tmpDir, binary          string
	docker                  bool
}

func main() {
	var o options
	flag.IntVar(&o.sizeMiB, "size", 500, "image size in MiB (random, incompressible)")
	flag.IntVar(&o.layers, "layers", 10, "number of layers")
	flag.IntVar(&o.rounds, "rounds", 5, "rounds of the disk, API and gzip measurements (median reported)")
	flag.StringVar(&o.tmpDir, "tmpdir", os.TempDir(), "where the layers, copies and registry data go (one disk)")
	flag.StringVar(&o.binary, "binary", "", "wharf binary (default: go build ./cmd/wharf)")
	flag.BoolVar(&o.docker, "docker", true, "also measure docker push and pull")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "registrybench:", err)
		os.Exit(1)
	}
}

func progress(format string, args ...any) { fmt.Fprintf(os.Stderr, "· "+format+"\n", args...) }

// result is one row: every round's wall time, in run order, and per
// round the wharf server's CPU time and the machine's busy and stolen
// CPU time (all cores).
type result struct {
	name                 string
	ds                   []time.Duration
	server, busy, stolen []float64 // seconds
}

func (r result) sorted() []time.Duration {
	s := append([]time.Duration(nil), r.ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s
}

func (r result) median() time.Duration { return r.sorted()[len(r.ds)/2] }

func run(ctx context.Context, o options) error {
	work, err := os.MkdirTemp(o.tmpDir, "registrybench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	bin := o.binary
	if bin == "" {
		bin = filepath.Join(work, "wharf")
		progress("building cmd/wharf")
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/wharf").CombinedOutput(); err != nil {
			return fmt.Errorf("go build: %v\n%s", err, out)
		}
	}
	layerDir := filepath.Join(work, "layers")
	if err := os.MkdirAll(layerDir, 0o755); err != nil {
		return err
	}
	per := int64(o.sizeMiB) << 20 / int64(o.layers)
	var files []string
	progress("writing %d random layers of %d MiB", o.layers, per>>20)
	for i := range o.layers {
		p := filepath.Join(layerDir, fmt.Sprintf("layer%02d", i))
		if err := writeRandom(p, per); err != nil {
			return err
		}
		files = append(files, p)
	}
	total := per * int64(o.layers)

	port, err := freePort()
	if err != nil {
		return err
	}
	host := fmt.Sprintf("127.0.0.1:%d", port)
	srv := exec.Command(bin, "server", "--listen", host, "--data-dir", filepath.Join(work, "data"),
		"--local-agent=false", "--load-balancer=false", "--registry-auto-create", "--registry-gc-interval", "-1s", "--log-level", "warn")
	srv.Stdout, srv.Stderr = os.Stderr, os.Stderr
	srv.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() { _ = srv.Process.Signal(syscall.SIGTERM); _ = srv.Wait() }()
	if err := waitHealthy("http://" + host); err != nil {
		return err
	}
	mem := startRSS(srv.Process.Pid)
	idle := mem.now()

	var results []result
	// timeN times fn n times; setup, when given, runs untimed before each
	// round.
	timeN := func(n int, name string, fn func() error, setup ...func() error) error {
		progress("%s", name)
		var ds []time.Duration
		var r result
		for range n {
			for _, s := range setup {
				if err := s(); err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
			}
			srv0 := procCPU(srv.Process.Pid)
			busy0, steal0 := machineCPU()
			start := time.Now()
			if err := fn(); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			ds = append(ds, time.Since(start))
			srv1 := procCPU(srv.Process.Pid)
			busy1, steal1 := machineCPU()
			r.server = append(r.server, srv1-srv0)
			r.busy = append(r.busy, busy1-busy0)
			r.stolen = append(r.stolen, steal1-steal0)
		}
		r.name, r.ds = name, ds
		results = append(results, r)
		return nil
	}
	timeIt := func(name string, fn func() error) error { return timeN(1, name, fn) }
	copyDir := filepath.Join(work, "copies")
	_ = os.MkdirAll(copyDir, 0o755)
	digests := make([]digest.Digest, len(files))
	for i, f := range files {
		if digests[i], err = fileDigest(f); err != nil {
			return err
		}
	}
	if err := timeN(o.rounds, "disk copy (+fsync)", func() error {
		for _, f := range files {
			if err := copyFile(f, filepath.Join(copyDir, filepath.Base(f))); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	_ = os.RemoveAll(copyDir)

	if err := timeN(o.rounds, "sha256 of the layers (the registry's verification floor, 1 core)", func() error {
		for _, f := range files {
			if _, err := fileDigest(f); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	base := "http://" + host
	// Every push round stores the blobs anew: the previous round's blob
	// files are removed first (a blob already stored would make the
	// upload's commit a delete instead of a rename).
	dropBlobs := func() error {
		for _, d := range digests {
			dir := filepath.Join(work, "data", "registry", "docker", "registry", "v2", "blobs", string(d.Algorithm()), d.Encoded()[:2], d.Encoded())
			if err := os.RemoveAll(dir); err != nil {
				return err
			}
		}
		return nil
	}
	// docker push uploads up to 5 layers at once and docker pull
	// downloads 3 at once (dockerd's max-concurrent-uploads/-downloads
	// defaults); the API rows are run both ways.
	pullDir := filepath.Join(work, "pulled")
	_ = os.MkdirAll(pullDir, 0o755)
	for _, par := range []struct{ push, pull int }{{1, 1}, {5, 3}} {
		if err := timeN(o.rounds, fmt.Sprintf("registry API push, %s (POST, one streamed PATCH, PUT per layer)", atATime(par.push)), func() error {
			return forEach(len(files), par.push, func(i int) error { return pushBlob(base, "bench/blobs", files[i], digests[i]) })
		}, dropBlobs); err != nil {
			return err
		}
		if err := timeN(o.rounds, fmt.Sprintf("registry API pull, %s (+fsync, verified)", atATime(par.pull)), func() error {
			return forEach(len(digests), par.pull, func(i int) error {
				return pullBlob(base, "bench/blobs", digests[i], filepath.Join(pullDir, fmt.Sprint(i)))
			})
		}); err != nil {
			return err
		}
	}
	_ = os.RemoveAll(pullDir)

	// dockerd gzips every layer on push (compress/gzip, default level)
	// and gunzips it on pull: its floor, on the same cores.
	if err := timeN(o.rounds, "gzip of the layers (docker push's floor, 2 at a time)", func() error { return gzipAll(files, 2) }); err != nil {
		return err
	}

	if !o.docker {
		report(o, total, results, idle, mem.stop())
		return nil
	}
	progress("docker build (one layer per file, FROM scratch)")
	image := host + "/bench/app:1"
	var df strings.Builder
	df.WriteString("FROM scratch\n")
	for _, f := range files {
		fmt.Fprintf(&df, "COPY %s /%s\n", filepath.Base(f), filepath.Base(f))
	}
	if err := os.WriteFile(filepath.Join(layerDir, "Dockerfile"), []byte(df.String()), 0o644); err != nil {
		return err
	}
	if out, err := exec.CommandContext(ctx, "docker", "build", "-q", "--label", "wharf.test=registrybench", "-t", image, layerDir).CombinedOutput(); err != nil {
		return fmt.Errorf("docker build: %v\n%s", err, out)
	}
	defer func() { _ = exec.Command("docker", "rmi", "-f", image).Run() }()
	if err := timeIt("docker push", func() error { return docker(ctx, "push", image) }); err != nil {
		return err
	}
	if err := docker(ctx, "rmi", image); err != nil {
		return err
	}
	if err := timeIt("docker pull", func() error { return docker(ctx, "pull", image) }); err != nil {
		return err
	}
	peak := mem.stop()
	report(o, total, results, idle, peak)
	return nil
}

func report(o options, total int64, rs []result, idle, peak int64) {
	mib := float64(total) / (1 << 20)
	base := rs[0].median().Seconds()
	fmt.Printf("\n### registrybench: %d MiB image, %d random layers, %d rounds\n\n", o.sizeMiB, o.layers, o.rounds)
	fmt.Printf("| what | time: median (min–max) | throughput: median (min–max) | vs disk copy (median) | server CPU | machine CPU busy (stolen) |\n|---|---|---|---|---|---|\n")
	for _, r := range rs {
		ds := r.sorted()
		lo, med, hi := ds[0].Seconds(), r.median().Seconds(), ds[len(ds)-1].Seconds()
		cpu := fmt.Sprintf("%.2f s | %.2f s (%.2f s)", median(r.server), median(r.busy), median(r.stolen))
		if len(r.ds) == 1 {
			fmt.Printf("| %s | %.2f s | %.0f MiB/s | %.2f× | %s |\n", r.name, med, mib/med, base/med, cpu)
			continue
		}
		fmt.Printf("| %s | %.2f s (%.2f–%.2f) | %.0f MiB/s (%.0f–%.0f) | %.2f× | %s |\n", r.name, med, lo, hi, mib/med, mib/hi, mib/lo, base/med, cpu)
	}
	fmt.Printf("\nrounds in run order (s):\n")
	for _, r := range rs {
		fmt.Printf("  %s:", r.name)
		for _, d := range r.ds {
			fmt.Printf(" %.3f", d.Seconds())
		}
		fmt.Println()
	}
	fmt.Printf("\nwharf server memory (VmRSS): %.0f MiB idle, %.0f MiB peak while serving\n", float64(idle)/(1<<20), float64(peak)/(1<<20))
	out, _ := exec.Command("docker", "version", "--format", "{{.Server.Version}}").Output()
	fmt.Printf("docker %s, %d CPUs, data under %s\n", strings.TrimSpace(string(out)), numCPU(), o.tmpDir)
}

// forEach runs fn(0) … fn(n-1), parallel at a time, and returns the
// first error.
func forEach(n, parallel int, fn func(i int) error) error {
	sem := make(chan struct{}, parallel)
	errs := make(chan error, n)
	for i := range n {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			errs <- fn(i)
		}()
	}
	var first error
	for range n {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

func atATime(n int) string {
	if n == 1 {
		return "one layer at a time"
	}
	return fmt.Sprintf("%d layers at a time", n)
}

func gzipAll(files []string, parallel int) error {
	return forEach(len(files), parallel, func(i int) error {
		in, err := os.Open(files[i])
		if err != nil {
			return err
		}
		defer in.Close()
		zw := gzip.NewWriter(io.Discard)
		if _, err := io.Copy(zw, in); err != nil {
			return err
		}
		return zw.Close()
	})
}

func writeRandom(path string, n int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(f, rand.Reader, n); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func fileDigest(path string) (digest.Digest, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return digest.FromReader(f)
}

// pushBlob uploads a file as one streamed PATCH and a closing PUT.
func pushBlob(base, repo, path string, d digest.Digest) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	resp, err := http.Post(base+"/v2/"+repo+"/blobs/uploads/", "", nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("start upload: %s", resp.Status)
	}
	loc := absolute(base, resp.Header.Get("Location"))
	req, _ := http.NewRequest(http.MethodPatch, loc, f)
	req.ContentLength = fi.Size() // lets the client send the file with sendfile
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("upload: %s", resp.Status)
	}
	loc = absolute(base, resp.Header.Get("Location"))
	sep := "?"
	if strings.Contains(loc, "?") {
		sep = "&"
	}
	req, _ = http.NewRequest(http.MethodPut, loc+sep+"digest="+d.String(), nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("finish upload: %s", resp.Status)
	}
	return nil
}

func absolute(base, loc string) string {
	if strings.HasPrefix(loc, "/") {
		return base + loc
	}
	return loc
}

// pullBlob downloads a blob into a file and fsyncs it.
func pullBlob(base, repo string, d digest.Digest, dst string) error {
	resp, err := http.Get(base + "/v2/" + repo + "/blobs/" + d.String())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("get blob: %s", resp.Status)
	}
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	v := d.Verifier()
	if _, err := io.CopyBuffer(struct{ io.Writer }{out}, io.TeeReader(resp.Body, v), make([]byte, 1<<20)); err != nil {
		out.Close()
		return err
	}
	if !v.Verified() {
		out.Close()
		return fmt.Errorf("blob %s: content does not match", d)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func docker(ctx context.Context, args ...string) error {
	if out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitHealthy(base string) error {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("wharf server not healthy within 1m")
}

// rss samples a process's resident memory.
type rss struct {
	pid  int
	mu   sync.Mutex
	peak int64
	done chan struct{}
	wg   sync.WaitGroup
}

func startRSS(pid int) *rss {
	r := &rss{pid: pid, done: make(chan struct{})}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			v := r.now()
			r.mu.Lock()
			r.peak = max(r.peak, v)
			r.mu.Unlock()
			select {
			case <-r.done:
				return
			case <-t.C:
			}
		}
	}()
	return r
}

func (r *rss) now() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", r.pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

func (r *rss) stop() int64 {
	close(r.done)
	r.wg.Wait()
	return r.peak
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// clockTick is USER_HZ, the unit of /proc CPU times.
const clockTick = 100

// procCPU is a process's user+system CPU time in seconds.
func procCPU(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command (which may hold spaces) in parentheses.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return (u + s) / clockTick
}

// machineCPU is the machine's busy (not idle, not iowait, not stolen) and
// stolen CPU time in seconds, summed over cores.
func machineCPU() (busy, stolen float64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	if len(f) < 9 {
		return 0, 0
	}
	v := func(i int) float64 { x, _ := strconv.ParseFloat(f[i], 64); return x / clockTick }
	return v(1) + v(2) + v(3) + v(6) + v(7), v(8)
}

func numCPU() int {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return strings.Count(string(b), "processor\t:")
}
