package main

// In-process benchmarks of the same ECS calls, for profiling: the wharf
// server serves no pprof, so to see where it spends CPU and memory run the
// server code inside a test binary and let `go test` profile it, e.g.
//
//	go test ./bench/ecsbench -run '^$' -bench 'InProcess/ListAll' -cpuprofile /tmp/cpu.out
//	go tool pprof -top -cum /tmp/cpu.out
//	go test ./bench/ecsbench -run TestSeededHeap -heapprofile /tmp/heap.out -v
//	go tool pprof -sample_index=inuse_space -top /tmp/heap.out
//
// Client and server share the process here, so the profiles include the
// client; its functions are in package main.

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/server"
)

var heapProfile = flag.String("heapprofile", "", "TestSeededHeap writes the live heap of a seeded server here")

// Seed size of the in-process server, as in the default command-line run.
const (
	inprocFamilies  = 100
	inprocRevisions = 100
	inprocWorkers   = 32
)

// seeded is one server shared by the in-process benchmarks, started and
// seeded on first use and stopped by TestMain.
var seeded struct {
	once sync.Once
	srv  *server.Server
	c    *client
	sd   seed
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if seeded.srv != nil {
		_ = seeded.srv.Shutdown(context.Background())
		_ = os.RemoveAll(seeded.dir)
	}
	os.Exit(code)
}

func startInProcess(dir string) (*server.Server, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return server.Start(ctx, server.Config{
		Listen:  "127.0.0.1:0",
		DataDir: dir,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
}

// seededServer returns the shared server holding 100×100 task definitions.
func seededServer(tb testing.TB) (*client, seed) {
	tb.Helper()
	seeded.once.Do(func() {
		if seeded.dir, seeded.err = os.MkdirTemp("", "ecsbench-inproc-"); seeded.err != nil {
			return
		}
		if seeded.srv, seeded.err = startInProcess(seeded.dir); seeded.err != nil {
			return
		}
		seeded.c = newClient(seeded.srv.URL(), inprocWorkers)
		l := &load{concurrency: inprocWorkers, serverPID: os.Getpid(), seed: 1}
		var r result
		r, seeded.sd, seeded.err = registerPhase(context.Background(), l, seeded.c, inprocFamilies, inprocRevisions, orderInterleaved)
		if seeded.err == nil && r.errors > 0 {
			seeded.err = fmt.Errorf("seeding: %d registrations failed: %v", r.errors, r.errText)
		}
	})
	if seeded.err != nil {
		tb.Fatal(seeded.err)
	}
	return seeded.c, seeded.sd
}

// BenchmarkInProcess runs the benchmark's calls against an in-process
// server. Register gets a fresh server; the rest share a seeded one.
func BenchmarkInProcess(b *testing.B) {
	b.Run("Register", func(b *testing.B) {
		srv, err := startInProcess(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		defer srv.Shutdown(context.Background())
		c := newClient(srv.URL(), inprocWorkers)
		c.prepare(opRegister)
		bodies := make([][]byte, inprocFamilies)
		for f := range bodies {
			if bodies[f], err = taskDefBody(f, 1); err != nil {
				b.Fatal(err)
			}
		}
		var mu sync.Mutex
		next := 0
		b.SetParallelism(inprocWorkers / runtime.GOMAXPROCS(0))
		b.RunParallel(func(pb *testing.PB) {
			var buf bytes.Buffer
			for pb.Next() {
				mu.Lock()
				f := next % inprocFamilies
				next++
				mu.Unlock()
				if err := c.call(opRegister, bodies[f], &buf); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("Describe", func(b *testing.B) {
		c, sd := seededServer(b)
		c.prepare(opDescribe)
		body := []byte(`{"taskDefinition":"` + familyName(sd.total()%inprocFamilies) + `:50"}`)
		var buf bytes.Buffer
		for b.Loop() {
			if err := c.call(opDescribe, body, &buf); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, byFamily := range []bool{true, false} {
		name := "ListAll"
		if byFamily {
			name = "ListFamily"
		}
		b.Run(name, func(b *testing.B) {
			c, _ := seededServer(b)
			c.prepare(opList)
			req := listRequest{MaxResults: 100}
			if byFamily {
				req.FamilyPrefix = familyName(7)
			}
			var buf bytes.Buffer
			for b.Loop() {
				body, _ := json.Marshal(req)
				if err := c.call(opList, body, &buf); err != nil {
					b.Fatal(err)
				}
				var page listResponse
				if err := json.Unmarshal(buf.Bytes(), &page); err != nil {
					b.Fatal(err)
				}
				req.NextToken = page.NextToken // "" restarts the walk
			}
		})
	}
}

// TestSeededHeap reports the live heap of a server holding 10,000 task
// definitions and writes its heap profile to -heapprofile.
func TestSeededHeap(t *testing.T) {
	if *heapProfile == "" {
		t.Skip("a profiling aid: pass -heapprofile FILE")
	}
	seededServer(t)
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("live heap after seeding %d task definitions: HeapAlloc %d MiB, HeapInuse %d MiB, Sys %d MiB",
		seeded.sd.total(), ms.HeapAlloc>>20, ms.HeapInuse>>20, ms.Sys>>20)
	f, err := os.Create(*heapProfile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		t.Fatal(err)
	}
}
