package main

import (
	"bytes"
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// worker is one load-generating goroutine. Its samples slice is
// preallocated so that recording a latency never allocates on the hot path.
type worker struct {
	id      int
	rng     *rand.Rand
	buf     bytes.Buffer // response body, reused
	samples []time.Duration
	errors  int
	errText map[string]int
	stop    func() bool // true once the phase is over
}

// record adds the outcome of one request. Only successful requests enter
// the latency histogram; failures are counted by message.
func (w *worker) record(d time.Duration, err error) {
	if err == nil {
		w.samples = append(w.samples, d)
		return
	}
	w.errors++
	if w.errText == nil {
		w.errText = make(map[string]int)
	}
	if len(w.errText) < 10 {
		w.errText[errorText(err)]++
	}
}

// timed runs fn, records its latency and outcome, and returns its error.
func (w *worker) timed(fn func() error) error {
	t := time.Now()
	err := fn()
	w.record(time.Since(t), err)
	return err
}

// result is the outcome of one phase.
type result struct {
	name      string
	ok        int
	errors    int
	errText   map[string]int
	elapsed   time.Duration
	lat       latencies
	clientCPU time.Duration
	serverCPU time.Duration
	// otherCPU is what the rest of the machine used meanwhile (kernel
	// work on behalf of nobody in particular, and other processes): a
	// large value means the run was disturbed.
	otherCPU time.Duration
}

// rate is successful requests per second.
func (r result) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.ok) / r.elapsed.Seconds()
}

// load runs phases with a fixed number of workers against one server and
// measures the CPU both sides spend.
type load struct {
	concurrency int
	serverPID   int
	seed        uint64
}

// runCount has the workers share jobs 0..total-1 (each job is one call of
// fn) and returns once all are done or ctx is cancelled.
func (l *load) runCount(ctx context.Context, name string, total int, fn func(w *worker, job int)) result {
	var next atomic.Int64
	return l.run(ctx, name, total/l.concurrency+1, func(w *worker) {
		for !w.stop() {
			j := int(next.Add(1) - 1)
			if j >= total {
				return
			}
			fn(w, j)
		}
	})
}

// runFor has every worker call fn repeatedly for d. fn may issue several
// requests per call (a paginated walk) and should check w.stop between them.
func (l *load) runFor(ctx context.Context, name string, d time.Duration, expectedRate float64, fn func(w *worker)) result {
	perWorker := int(expectedRate*d.Seconds())/l.concurrency + 1
	deadline := time.Now().Add(d)
	return l.run(ctx, name, perWorker, func(w *worker) {
		stop := w.stop
		w.stop = func() bool { return stop() || !time.Now().Before(deadline) }
		for !w.stop() {
			fn(w)
		}
	})
}

func (l *load) run(ctx context.Context, name string, samplesPerWorker int, body func(w *worker)) result {
	workers := make([]*worker, l.concurrency)
	for i := range workers {
		workers[i] = &worker{
			id:      i,
			rng:     rand.New(rand.NewPCG(l.seed, uint64(i))),
			samples: make([]time.Duration, 0, samplesPerWorker),
			stop:    func() bool { return ctx.Err() != nil },
		}
	}
	cpu0, srv0, sys0 := selfCPU(), l.serverCPU(), systemCPU()
	start := time.Now()
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() { body(w) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	r := result{
		name:      name,
		elapsed:   elapsed,
		clientCPU: selfCPU() - cpu0,
		serverCPU: l.serverCPU() - srv0,
		errText:   make(map[string]int),
	}
	r.otherCPU = max(0, systemCPU()-sys0-r.clientCPU-r.serverCPU)
	all := make([][]time.Duration, len(workers))
	for i, w := range workers {
		all[i] = w.samples
		r.ok += len(w.samples)
		r.errors += w.errors
		for k, v := range w.errText {
			r.errText[k] += v
		}
	}
	r.lat = summarise(all)
	return r
}

func (l *load) serverCPU() time.Duration {
	d, err := processCPU(l.serverPID)
	if err != nil {
		return 0
	}
	return d
}
