package scheduler

import (
	"fmt"
	"sync"
)

// Snapshot is an indexed, read-mostly copy of a cluster's container instances
// for placing many requests in a row: per-instance remaining resources, used
// ports and per-group task counts live in flat slices so a placement decision
// costs O(instances) with no per-instance map lookups.
//
// Place never changes a Snapshot's observable state and may be called
// concurrently; Apply records a plan and must not run concurrently with
// anything else.
type Snapshot struct {
	inst    []Instance // caller's values; never written through
	cpu     []int64
	mem     []int64
	running []int64
	ports   []map[PortKey]bool // aliases inst[i].UsedPorts until portsOwn[i]
	portOwn []bool
	byARN   map[string]int32

	groupID    map[string]int32
	groupNames []string
	groupCount [][]int32 // [group][instance]: tasks of that group on the instance

	mu       sync.Mutex
	eligible map[string][]bool  // staticKey → instances passing count-independent filters
	columns  map[string]*column // attribute name → value bucket per instance
	exprs    map[string]Expr    // parsed memberOf expressions
	placers  sync.Pool          // *placer scratch space
}

// parse is ParseExpression with a per-snapshot cache of successful parses.
func (s *Snapshot) parse(src string) (Expr, error) {
	s.mu.Lock()
	e, ok := s.exprs[src]
	s.mu.Unlock()
	if ok {
		return e, nil
	}
	e, err := ParseExpression(src)
	if err != nil {
		return e, err
	}
	s.mu.Lock()
	if s.exprs == nil || len(s.exprs) >= maxCachedFilters {
		s.exprs = make(map[string]Expr)
	}
	s.exprs[src] = e
	s.mu.Unlock()
	return e, nil
}

// column buckets instances by one attribute's value; bucket 0 holds the
// instances without the attribute.
type column struct {
	bucket  []int32
	buckets int
}

// maxCachedFilters bounds the eligibility cache; it is reset when full.
const maxCachedFilters = 256

// NewSnapshot indexes instances. It keeps references to the Attributes and
// UsedPorts maps but never modifies them.
func NewSnapshot(instances []Instance) *Snapshot {
	n := len(instances)
	s := &Snapshot{
		inst:    instances,
		cpu:     make([]int64, n),
		mem:     make([]int64, n),
		running: make([]int64, n),
		ports:   make([]map[PortKey]bool, n),
		portOwn: make([]bool, n),
		byARN:   make(map[string]int32, n),
		groupID: make(map[string]int32),
	}
	for i := range instances {
		in := &instances[i]
		s.cpu[i], s.mem[i], s.running[i] = in.RemainingCPU, in.RemainingMemory, int64(len(in.Tasks))
		s.ports[i] = in.UsedPorts
		s.byARN[in.ARN] = int32(i)
		for _, t := range in.Tasks {
			s.countFor(t.Group)[i]++
		}
	}
	return s
}

// countFor returns the per-instance counts of group, creating them.
func (s *Snapshot) countFor(group string) []int32 {
	g, ok := s.groupID[group]
	if !ok {
		g = int32(len(s.groupNames))
		s.groupID[group] = g
		s.groupNames = append(s.groupNames, group)
		s.groupCount = append(s.groupCount, make([]int32, len(s.inst)))
	}
	return s.groupCount[g]
}

// counts returns the per-instance counts of group, or nil when no instance
// has a task of it.
func (s *Snapshot) counts(group string) []int32 {
	if g, ok := s.groupID[group]; ok {
		return s.groupCount[g]
	}
	return nil
}

// Apply records a plan made by s.Place(req, …): it reserves CPU, memory and
// ports and counts the tasks in their group, so the next Place sees them.
func (s *Snapshot) Apply(req TaskRequest, plan Plan) error {
	r, err := compileRequest(req, s.parse)
	if err != nil {
		return err
	}
	idx := make([]int32, len(plan.Placements))
	for k, d := range plan.Placements {
		i, ok := s.byARN[d.InstanceARN]
		if !ok {
			return fmt.Errorf("apply placement %d: unknown container instance %s", d.Index, d.InstanceARN)
		}
		idx[k] = i
	}
	counts := s.countFor(r.group)
	for _, i := range idx {
		s.cpu[i] -= r.cpu
		s.mem[i] -= r.mem
		s.running[i]++
		counts[i]++
		if len(r.tcp)+len(r.udp) == 0 {
			continue
		}
		if !s.portOwn[i] {
			own := make(map[PortKey]bool, len(s.ports[i])+len(r.tcp)+len(r.udp))
			for k, used := range s.ports[i] {
				if used {
					own[normalPort(k)] = true
				}
			}
			s.ports[i], s.portOwn[i] = own, true
		}
		for _, p := range r.tcp {
			s.ports[i][p] = true
		}
		for _, p := range r.udp {
			s.ports[i][p] = true
		}
	}
	return nil
}

func normalPort(k PortKey) PortKey {
	if k.Protocol == "" || k.Protocol == "TCP" {
		k.Protocol = "tcp"
	}
	if k.Protocol == "UDP" {
		k.Protocol = "udp"
	}
	return k
}

// portUsed reports whether port p (normalised) is taken on instance i.
func (s *Snapshot) portUsed(i int32, p PortKey) bool {
	m := s.ports[i]
	if m[p] {
		return true
	}
	if s.portOwn[i] {
		return false
	}
	switch p.Protocol {
	case "tcp":
		return m[PortKey{Port: p.Port}] || m[PortKey{Protocol: "TCP", Port: p.Port}]
	default:
		return m[PortKey{Protocol: "UDP", Port: p.Port}]
	}
}

// eligibleFor returns, per instance, whether it passes the filters that do
// not depend on how many tasks are placed: ACTIVE, agent connected,
// requiresAttributes and memberOf expressions without task:group or
// runningTasksCount. Results are cached per distinct filter set.
func (s *Snapshot) eligibleFor(r *request) []bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.eligible[r.staticKey]; ok {
		return e
	}
	e := make([]bool, len(s.inst))
	for i := range s.inst {
		e[i] = s.staticOK(int32(i), r)
	}
	if s.eligible == nil || len(s.eligible) >= maxCachedFilters {
		s.eligible = make(map[string][]bool)
	}
	s.eligible[r.staticKey] = e
	return e
}

func (s *Snapshot) staticOK(i int32, r *request) bool {
	in := &s.inst[i]
	if in.Status != StatusActive || in.AgentDisconnected {
		return false
	}
	if !hasAttributes(in, r.requires) {
		return false
	}
	t := instanceTarget{in}
	for _, e := range r.cons.static {
		if !e.eval(t) {
			return false
		}
	}
	return true
}

func hasAttributes(in *Instance, required []Attribute) bool {
	for _, a := range required {
		v, ok := in.Attributes[a.Name]
		if !ok || a.Value != "" && v != a.Value {
			return false
		}
	}
	return true
}

// column returns the value buckets of attribute name, cached.
func (s *Snapshot) column(name string) *column {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.columns[name]; ok {
		return c
	}
	c := &column{bucket: make([]int32, len(s.inst)), buckets: 1}
	ids := map[string]int32{}
	for i := range s.inst {
		v, ok := s.inst[i].Attributes[name]
		if !ok {
			continue
		}
		id, seen := ids[v]
		if !seen {
			id = int32(c.buckets)
			ids[v] = id
			c.buckets++
		}
		c.bucket[i] = id
	}
	if s.columns == nil {
		s.columns = make(map[string]*column)
	}
	s.columns[name] = c
	return c
}
