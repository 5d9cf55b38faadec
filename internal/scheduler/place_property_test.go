package scheduler

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

var (
	propGroups      = []string{"service:a", "service:b", "family:c"}
	propPorts       = []PortKey{{"tcp", 80}, {"tcp", 443}, {"udp", 53}, {"tcp", 53}}
	propStrategies  = []Strategy{{"spread", "attribute:ecs.availability-zone"}, {"spread", "instanceId"}, {"binpack", "cpu"}, {"binpack", "memory"}, {"random", ""}, {"spread", "attribute:rack"}}
	propExpressions = []string{
		"attribute:ecs.instance-type =~ t3.*",
		"attribute:ecs.availability-zone in [z1, z2]",
		"attribute:rack exists",
		"not(task:group == service:a)",
		"task:group == service:b or runningTasksCount < 3",
		"attribute:ecs.availability-zone != z3 and agentConnected == true",
	}
)

func randomCluster(r *rand.Rand) []Instance {
	out := make([]Instance, r.IntN(30))
	for i := range out {
		in := newInst(fmt.Sprintf("p%02d", i), fmt.Sprintf("z%d", 1+r.IntN(3)), r.Int64N(4097), r.Int64N(8193))
		if r.IntN(6) == 0 {
			delete(in.Attributes, "ecs.availability-zone")
		}
		if r.IntN(2) == 0 {
			in.Attributes["ecs.instance-type"] = "m5.large"
		}
		if r.IntN(2) == 0 {
			in.Attributes["rack"] = fmt.Sprint(r.IntN(4))
		}
		if r.IntN(10) == 0 {
			in.Status = "DRAINING"
		}
		in.AgentDisconnected = r.IntN(10) == 0
		in.UsedPorts = map[PortKey]bool{}
		for _, p := range propPorts {
			if r.IntN(5) == 0 {
				in.UsedPorts[p] = true
			}
		}
		for range r.IntN(4) {
			in.Tasks = append(in.Tasks, PlacedTask{Group: propGroups[r.IntN(len(propGroups))]})
		}
		out[i] = in
	}
	return out
}

func randomRequest(r *rand.Rand) TaskRequest {
	req := TaskRequest{Group: propGroups[r.IntN(len(propGroups))], Family: "f", CPU: r.Int64N(1025), Memory: r.Int64N(2049)}
	for _, p := range propPorts {
		if r.IntN(6) == 0 {
			req.Ports = append(req.Ports, p)
		}
	}
	for range r.IntN(4) {
		req.Strategy = append(req.Strategy, propStrategies[r.IntN(len(propStrategies))])
	}
	if r.IntN(4) == 0 {
		req.Constraints = append(req.Constraints, Constraint{Type: "distinctInstance"})
	}
	for range r.IntN(3) {
		req.Constraints = append(req.Constraints, Constraint{"memberOf", propExpressions[r.IntN(len(propExpressions))]})
	}
	if r.IntN(5) == 0 {
		req.RequiresAttributes = []Attribute{{Name: "rack"}}
	}
	return req
}

// fits is the test's own, naive statement of the placement rules.
func fits(in *Instance, req TaskRequest) bool {
	group := req.Group
	if in.Status != StatusActive || in.AgentDisconnected || in.RemainingCPU < req.CPU || in.RemainingMemory < req.Memory {
		return false
	}
	for _, p := range req.Ports {
		if in.UsedPorts[p] {
			return false
		}
	}
	for _, a := range req.RequiresAttributes {
		if _, ok := in.Attributes[a.Name]; !ok {
			return false
		}
	}
	for _, c := range req.Constraints {
		switch c.Type {
		case "distinctInstance":
			if slices.ContainsFunc(in.Tasks, func(t PlacedTask) bool { return t.Group == group }) {
				return false
			}
		case "memberOf":
			if e, err := ParseExpression(c.Expression); err != nil || !e.Match(*in) {
				return false
			}
		}
	}
	return true
}

func reserve(in *Instance, req TaskRequest) {
	in.RemainingCPU -= req.CPU
	in.RemainingMemory -= req.Memory
	for _, p := range req.Ports {
		in.UsedPorts[p] = true
	}
	in.Tasks = append(in.Tasks, PlacedTask{Group: req.Group, TaskDefinitionFamily: req.Family})
}

func cloneCluster(c []Instance) []Instance {
	out := slices.Clone(c)
	for i := range out {
		out[i].Attributes = maps.Clone(c[i].Attributes)
		out[i].UsedPorts = maps.Clone(c[i].UsedPorts)
		out[i].Tasks = slices.Clone(c[i].Tasks)
	}
	return out
}

// TestPlaceProperties places random requests on random clusters, batch after
// batch on one Snapshot, and checks every decision against a naive model:
// no instance is over-committed, every placement satisfies its constraints,
// a failure means nothing fitted, and the accumulated Snapshot plans exactly
// like a fresh one built from the model.
func TestPlaceProperties(t *testing.T) {
	for seed := range uint64(300) {
		r := seeded(seed)
		model := randomCluster(r)
		snap := NewSnapshot(cloneCluster(model))
		byARN := map[string]*Instance{}
		for i := range model {
			byARN[model[i].ARN] = &model[i]
		}
		for round := range 8 {
			req := randomRequest(r)
			count := 1 + r.IntN(10)
			plan, err := snap.Place(req, count, seeded(seed*100+uint64(round)))
			if err != nil {
				t.Fatalf("seed %d round %d: %v", seed, round, err)
			}
			fresh, _ := NewSnapshot(cloneCluster(model)).Place(req, count, seeded(seed*100+uint64(round)))
			if !reflect.DeepEqual(plan, fresh) {
				t.Fatalf("seed %d round %d: accumulated snapshot planned\n%s\nfresh snapshot planned\n%s", seed, round, fmtPlan(plan), fmtPlan(fresh))
			}
			for _, d := range plan.Placements {
				in := byARN[d.InstanceARN]
				if !fits(in, req) {
					t.Fatalf("seed %d round %d: copy %d placed on %s which does not fit %+v: %+v", seed, round, d.Index, d.InstanceARN, req, *in)
				}
				reserve(in, req)
			}
			switch {
			case len(plan.Placements) == count && plan.Failures != nil:
				t.Fatalf("seed %d round %d: all placed but failures %v", seed, round, plan.Failures)
			case len(plan.Placements) < count:
				active := 0
				for i := range model {
					if fits(&model[i], req) {
						t.Fatalf("seed %d round %d: failed (%s) although %s fits", seed, round, plan.Explanation, model[i].ARN)
					}
					if model[i].Status == StatusActive {
						active++
					}
				}
				if want := max(active, 1); len(plan.Failures) != want || plan.Explanation == "" {
					t.Fatalf("seed %d round %d: %d failures for %d active instances: %s", seed, round, len(plan.Failures), active, fmtPlan(plan))
				}
			}
			if err := snap.Apply(req, plan); err != nil {
				t.Fatal(err)
			}
		}
		for _, in := range model {
			if in.RemainingCPU < 0 || in.RemainingMemory < 0 {
				t.Fatalf("seed %d: %s over-committed: cpu %d memory %d", seed, in.ARN, in.RemainingCPU, in.RemainingMemory)
			}
		}
	}
}
