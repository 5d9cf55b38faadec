package scheduler

// Placement pipeline, one decision per copy of the request:
//
//	 Snapshot ──► compile request (Validate strategies/constraints, parse CQL)
//	     │
//	     ▼
//	 FILTER  once per Place call, cached per filter set across calls:
//	     │     ACTIVE? agent connected? requiresAttributes? static memberOf?
//	     │   then per call: fits CPU/memory? static host ports free?
//	     │     distinctInstance: no task of the group yet?
//	     ▼
//	 candidates ─────────────┐   (none left ──► explain: Failures + Explanation)
//	     │                   │
//	     ▼                   │
//	 RANK   per copy: drop candidates the previous copies exhausted, check
//	     │   dynamic memberOf (task:group, runningTasksCount), then score by
//	     │   each strategy in order — binpack: least remaining cpu|memory;
//	     │   spread: fewest tasks of the group on the instance or in its
//	     │   attribute bucket — keeping only the best-scoring ties
//	     ▼                   │
//	 PICK   uniformly among the ties with rng (random strategy = stop ranking)
//	     │                   │
//	     ▼                   │
//	 reserve on the plan's overlay (copies per instance) ──┘ next copy
//
// The overlay is only "n copies planned on instance i", from which remaining
// CPU, memory, ports, group counts and task counts all follow, so the snapshot
// is never copied or modified while planning.

import (
	"math/rand/v2"
	"time"
)

// Place plans count copies of req on instances. It is pure: instances are not
// modified, and the same inputs and rng seed give the same plan. A nil rng
// means a fixed seed. Invalid strategies or constraints give a
// *ParameterError (wrapping ErrInvalidParameter).
func Place(instances []Instance, req TaskRequest, count int, rng *rand.Rand) (Plan, error) {
	return NewSnapshot(instances).Place(req, count, rng)
}

// Place plans count copies of req against the snapshot without changing it;
// use Apply to record the plan before placing the next batch.
func (s *Snapshot) Place(req TaskRequest, count int, rng *rand.Rand) (Plan, error) {
	if count < 0 {
		return Plan{}, invalidf("The count must be greater than or equal to 0.")
	}
	r, err := compileRequest(req, s.parse)
	if err != nil {
		return Plan{}, err
	}
	if rng == nil {
		rng = rand.New(rand.NewPCG(0, 0))
	}
	var plan Plan
	if count == 0 {
		return plan, nil
	}
	p := newPlacer(s, r)
	defer p.release()
	plan.Placements = make([]Decision, 0, min(count, 1024))
	for k := range count {
		pos, ok := p.pick(rng)
		if !ok {
			plan.Failures, plan.Explanation = p.explain()
			break
		}
		i := p.commit(pos)
		plan.Placements = append(plan.Placements, Decision{Index: k, InstanceARN: s.inst[i].ARN})
	}
	return plan, nil
}

// candidate is an instance that passed the per-call filters.
type candidate struct {
	i int32 // instance index in the snapshot
	n int32 // copies planned on it so far
}

type placer struct {
	s        *Snapshot
	r        *request
	counts   []int32 // tasks of r.group per instance; nil if none anywhere
	ports    bool    // the request needs static host ports
	dynamics bool    // the request has memberOf expressions to re-check per copy
	cands    []candidate
	buckets  [MaxStrategies][]int32 // spread-attribute strategies: bucket per instance
	totals   [MaxStrategies][]int64 // … and tasks of r.group per bucket
	planned  map[int32]int32        // copies per instance, for explain
	ties     []int32
	best     [MaxStrategies]int64
	target   snapshotTarget
}

// newPlacer filters the snapshot down to the candidates for one Place call.
// Placers are pooled per snapshot so a call allocates next to nothing.
func newPlacer(s *Snapshot, r *request) *placer {
	p, _ := s.placers.Get().(*placer)
	if p == nil {
		p = &placer{planned: make(map[int32]int32)}
	}
	p.s, p.r = s, r
	p.counts = s.counts(r.group)
	p.ports = len(r.tcp)+len(r.udp) > 0
	p.dynamics = len(r.cons.dynamic) > 0
	p.target = snapshotTarget{s: s, r: r}
	for k, key := range r.rank {
		if key.kind != rankSpreadAttribute {
			continue
		}
		col := s.column(key.attr)
		p.buckets[k] = col.bucket
		totals := p.totals[k][:0]
		for range col.buckets {
			totals = append(totals, 0)
		}
		for i, c := range p.counts {
			if c > 0 && s.inst[i].Status == StatusActive {
				totals[col.bucket[i]] += int64(c)
			}
		}
		p.totals[k] = totals
	}
	eligible := s.eligibleFor(r)
	cands := p.cands[:0]
	for i, ok := range eligible {
		i := int32(i)
		if !ok || s.cpu[i] < r.cpu || s.mem[i] < r.mem || p.ports && !s.portsFree(i, r) {
			continue
		}
		if r.cons.distinct && p.count(i) > 0 {
			continue
		}
		cands = append(cands, candidate{i: i})
	}
	p.cands = cands
	return p
}

// release returns p to its snapshot's pool.
func (p *placer) release() {
	clear(p.planned)
	p.s.placers.Put(p)
}

func (p *placer) count(i int32) int32 {
	if p.counts == nil {
		return 0
	}
	return p.counts[i]
}

func (s *Snapshot) portsFree(i int32, r *request) bool {
	for _, k := range r.tcp {
		if s.portUsed(i, k) {
			return false
		}
	}
	for _, k := range r.udp {
		if s.portUsed(i, k) {
			return false
		}
	}
	return true
}

// pick returns the position in p.cands of the instance for the next copy.
func (p *placer) pick(rng *rand.Rand) (int32, bool) {
	r := p.r
	cpu, mem, rank := p.s.cpu, p.s.mem, r.rank
	reqCPU, reqMem := r.cpu, r.mem
	single := p.ports || r.cons.distinct // at most one copy per instance
	nk := len(rank)
	best := &p.best
	p.ties = p.ties[:0]
	cands := p.cands
	for j := 0; j < len(cands); {
		c := &cands[j]
		n := int64(c.n)
		rc := cpu[c.i] - n*reqCPU
		rm := mem[c.i] - n*reqMem
		if rc < reqCPU || rm < reqMem || c.n > 0 && single {
			// Exhausted by earlier copies; it stays so for this plan.
			last := len(cands) - 1
			cands[j] = cands[last]
			cands = cands[:last]
			continue
		}
		if p.dynamics && !p.dynamicOK(c.i, c.n) {
			j++
			continue
		}
		// Score strategy by strategy, stopping as soon as the candidate is
		// worse than the best so far (cmp > 0).
		var sc [MaxStrategies]int64
		cmp := -1 // first candidate is the best so far
		if len(p.ties) > 0 {
			cmp = 0
		}
		for k := 0; k < nk; k++ {
			var v int64
			switch rank[k].kind {
			case rankBinpackCPU:
				v = rc
			case rankBinpackMemory:
				v = rm
			case rankSpreadInstance:
				v = int64(p.count(c.i)) + n
			case rankSpreadAttribute:
				v = p.totals[k][p.buckets[k][c.i]]
			}
			sc[k] = v
			if cmp == 0 {
				if v < best[k] {
					cmp = -1
				} else if v > best[k] {
					cmp = 1
					break
				}
			}
		}
		switch cmp {
		case -1:
			*best = sc
			p.ties = append(p.ties[:0], int32(j))
		case 0:
			p.ties = append(p.ties, int32(j))
		}
		j++
	}
	p.cands = cands
	switch len(p.ties) {
	case 0:
		return 0, false
	case 1:
		return p.ties[0], true
	}
	return p.ties[rng.IntN(len(p.ties))], true
}

// commit plans one more copy on candidate pos and returns its instance index.
func (p *placer) commit(pos int32) int32 {
	c := &p.cands[pos]
	c.n++
	for k, key := range p.r.rank {
		if key.kind == rankSpreadAttribute {
			p.totals[k][p.buckets[k][c.i]]++
		}
	}
	p.planned[c.i]++
	return c.i
}

func (p *placer) dynamicOK(i, n int32) bool {
	p.target.i, p.target.n = i, n
	for _, e := range p.r.cons.dynamic {
		if !e.eval(&p.target) {
			return false
		}
	}
	return true
}

// snapshotTarget evaluates CQL on a snapshot row plus n planned copies of r.
type snapshotTarget struct {
	s *Snapshot
	r *request
	i int32
	n int32
}

func (t *snapshotTarget) in() *Instance { return &t.s.inst[t.i] }

func (t *snapshotTarget) attribute(name string) (string, bool) {
	v, ok := t.in().Attributes[name]
	return v, ok
}
func (t *snapshotTarget) ec2InstanceID() string   { return t.in().EC2InstanceID }
func (t *snapshotTarget) agentConnected() bool    { return !t.in().AgentDisconnected }
func (t *snapshotTarget) agentVersion() string    { return t.in().AgentVersion }
func (t *snapshotTarget) registeredAt() time.Time { return t.in().RegisteredAt }
func (t *snapshotTarget) runningTasks() int64     { return t.s.running[t.i] + int64(t.n) }

func (t *snapshotTarget) hasGroup(name string) bool {
	if name == t.r.group && t.n > 0 {
		return true
	}
	c := t.s.counts(name)
	return c != nil && c[t.i] > 0
}

func (t *snapshotTarget) anyGroup(match func(string) bool) bool {
	if t.n > 0 && match(t.r.group) {
		return true
	}
	for g, name := range t.s.groupNames {
		if t.s.groupCount[g][t.i] > 0 && match(name) {
			return true
		}
	}
	return false
}

// instanceID is the container instance id for messages.
func instanceID(in *Instance) string {
	if in.ID != "" {
		return in.ID
	}
	for k := len(in.ARN) - 1; k >= 0; k-- {
		if in.ARN[k] == '/' {
			return in.ARN[k+1:]
		}
	}
	return in.ARN
}
