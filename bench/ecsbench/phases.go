package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"
)

// ECS operations the benchmark drives.
const (
	opRegister = "RegisterTaskDefinition"
	opDescribe = "DescribeTaskDefinition"
	opList     = "ListTaskDefinitions"
)

// Rough rates, used only to size the sample slices up front.
const (
	expectHealthz  = 40_000
	expectDescribe = 20_000
	expectList     = 10_000
)

// seed is what the register phase stored: registered[f] revisions of
// family f, numbered 1..registered[f] (ECS revisions are gapless).
type seed struct {
	registered []int
}

func (s seed) total() int {
	n := 0
	for _, r := range s.registered {
		n += r
	}
	return n
}

// registerOrder is how the register jobs are spread over families.
type registerOrder string

const (
	// orderInterleaved has job j register family j%families, so that
	// concurrent requests mostly hit different families.
	orderInterleaved registerOrder = "interleaved"
	// orderFamily registers family after family: all workers contend for
	// one family's revision counter, the worst case for the server.
	orderFamily registerOrder = "family"
)

// registerPhase registers families×revisions task definitions.
func registerPhase(ctx context.Context, l *load, c *client, families, revisions int, order registerOrder) (result, seed, error) {
	total := families * revisions
	bodies := make([][]byte, total)
	famOf := make([]int, total)
	for j := range total {
		f, n := j%families, j/families
		if order == orderFamily {
			f, n = j/revisions, j%revisions
		}
		b, err := taskDefBody(f, n+1)
		if err != nil {
			return result{}, seed{}, err
		}
		bodies[j], famOf[j] = b, f
	}
	c.prepare(opRegister)
	ok := make([]atomic.Int32, families)
	r := l.runCount(ctx, "RegisterTaskDefinition", total, func(w *worker, j int) {
		if w.timed(func() error { return c.call(opRegister, bodies[j], &w.buf) }) == nil {
			ok[famOf[j]].Add(1)
		}
	})
	s := seed{registered: make([]int, families)}
	for f := range ok {
		s.registered[f] = int(ok[f].Load())
	}
	return r, s, nil
}

// healthzPhase is the HTTP floor: GET /healthz through the same client.
func healthzPhase(ctx context.Context, l *load, c *client, d time.Duration) result {
	return l.runFor(ctx, "GET /healthz (floor)", d, expectHealthz, func(w *worker) {
		w.timed(func() error { return c.get("/healthz", &w.buf) })
	})
}

// describePhase describes random stored family:revision pairs.
func describePhase(ctx context.Context, l *load, c *client, s seed, d time.Duration) result {
	var bodies [][]byte
	for f, n := range s.registered {
		for rev := 1; rev <= n; rev++ {
			bodies = append(bodies, fmt.Appendf(nil, `{"taskDefinition":"%s:%d"}`, familyName(f), rev))
		}
	}
	c.prepare(opDescribe)
	return l.runFor(ctx, "DescribeTaskDefinition", d, expectDescribe, func(w *worker) {
		if len(bodies) == 0 {
			return
		}
		b := bodies[w.rng.IntN(len(bodies))]
		w.timed(func() error { return c.call(opDescribe, b, &w.buf) })
	})
}

type listRequest struct {
	FamilyPrefix string `json:"familyPrefix,omitempty"`
	MaxResults   int    `json:"maxResults"`
	NextToken    string `json:"nextToken,omitempty"`
}

type listResponse struct {
	TaskDefinitionArns []string `json:"taskDefinitionArns"`
	NextToken          string   `json:"nextToken"`
}

// listPhase walks ListTaskDefinitions with maxResults 100, following
// nextToken to the end, over and over: a random family's revisions when
// byFamily, else every revision. Each page is one request. A completed
// walk that does not list exactly the stored revisions is a walk error.
func listPhase(ctx context.Context, l *load, c *client, s seed, d time.Duration, byFamily bool) (result, walks) {
	name := "ListTaskDefinitions (all, 100/page)"
	if byFamily {
		name = "ListTaskDefinitions (familyPrefix, 100/page)"
	}
	c.prepare(opList)
	var done, bad atomic.Int64
	r := l.runFor(ctx, name, d, expectList, func(w *worker) {
		req := listRequest{MaxResults: 100}
		want := s.total()
		if byFamily {
			f := w.rng.IntN(len(s.registered))
			req.FamilyPrefix, want = familyName(f), s.registered[f]
		}
		got := 0
		for !w.stop() {
			body, err := json.Marshal(req)
			if err != nil {
				panic(err) // a struct of strings and an int always encodes
			}
			if w.timed(func() error { return c.call(opList, body, &w.buf) }) != nil {
				return
			}
			// Decoding is client work, kept out of the page latency.
			var page listResponse
			if err := json.Unmarshal(w.buf.Bytes(), &page); err != nil {
				bad.Add(1)
				return
			}
			got += len(page.TaskDefinitionArns)
			if page.NextToken == "" {
				done.Add(1)
				if got != want {
					bad.Add(1)
				}
				return
			}
			req.NextToken = page.NextToken
		}
	})
	return r, walks{complete: int(done.Load()), wrong: int(bad.Load())}
}

// walks counts the complete paginated listings of a list phase.
type walks struct {
	complete, wrong int
}
