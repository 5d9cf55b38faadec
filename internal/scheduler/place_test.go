package scheduler

import (
	"reflect"
	"strings"
	"testing"
)

func TestPlaceFailures(t *testing.T) {
	web := TaskRequest{Family: "web", CPU: 256, Memory: 512}
	withPort := func(r TaskRequest, ports ...PortKey) TaskRequest { r.Ports = ports; return r }
	withCons := func(r TaskRequest, cs ...Constraint) TaskRequest { r.Constraints = cs; return r }
	tests := []struct {
		name      string
		cluster   []Instance
		req       TaskRequest
		count     int
		placed    []string
		failures  []Failure
		explained string // substring of Explanation
	}{
		{
			name: "empty cluster", req: web, count: 1,
			failures:  []Failure{{Reason: "MISSING", Detail: "No Container Instances were found in your cluster."}},
			explained: "no container instance met all of its requirements. Reason: No Container Instances were found in your cluster.",
		},
		{
			name:    "only draining instances",
			cluster: []Instance{with(newInst("a", "z1", 4096, 4096), func(in *Instance) { in.Status = "DRAINING" })},
			req:     web, count: 1,
			failures:  []Failure{{Reason: "MISSING", Detail: "No Container Instances were found in your cluster."}},
			explained: "Reason: No Container Instances were found in your cluster.",
		},
		{
			name:    "cpu",
			cluster: []Instance{newInst("a", "z1", 128, 4096)},
			req:     web, count: 1,
			failures:  []Failure{{Arn: testCluster + "a", Reason: "RESOURCE:CPU"}},
			explained: "no container instance met all of its requirements. The closest matching (container-instance a) has insufficient CPU units available. For more information, see the Troubleshooting section.",
		},
		{
			name:    "memory",
			cluster: []Instance{newInst("a", "z1", 4096, 256)},
			req:     web, count: 1,
			failures:  []Failure{{Arn: testCluster + "a", Reason: "RESOURCE:MEMORY"}},
			explained: "(container-instance a) has insufficient memory available.",
		},
		{
			name:    "tcp port in use",
			cluster: []Instance{with(newInst("a", "z1", 4096, 4096), func(in *Instance) { in.UsedPorts = map[PortKey]bool{{"tcp", 80}: true} })},
			req:     withPort(web, PortKey{"tcp", 80}), count: 1,
			failures:  []Failure{{Arn: testCluster + "a", Reason: "RESOURCE:PORTS"}},
			explained: "(container-instance a) is already using a port required by your task.",
		},
		{
			name:    "empty protocol means tcp",
			cluster: []Instance{with(newInst("a", "z1", 4096, 4096), func(in *Instance) { in.UsedPorts = map[PortKey]bool{{"", 80}: true} })},
			req:     withPort(web, PortKey{"tcp", 80}), count: 1,
			failures: []Failure{{Arn: testCluster + "a", Reason: "RESOURCE:PORTS"}},
		},
		{
			name:    "udp port in use",
			cluster: []Instance{with(newInst("a", "z1", 4096, 4096), func(in *Instance) { in.UsedPorts = map[PortKey]bool{{"udp", 53}: true} })},
			req:     withPort(web, PortKey{"udp", 53}), count: 1,
			failures: []Failure{{Arn: testCluster + "a", Reason: "RESOURCE:PORTS_UDP"}},
		},
		{
			name:    "tcp and udp ports are distinct",
			cluster: []Instance{with(newInst("a", "z1", 4096, 4096), func(in *Instance) { in.UsedPorts = map[PortKey]bool{{"tcp", 53}: true} })},
			req:     withPort(web, PortKey{"udp", 53}), count: 1,
			placed: []string{"a"},
		},
		{
			name:    "copies of one request conflict on their static port",
			cluster: []Instance{newInst("a", "z1", 4096, 4096), newInst("b", "z1", 4096, 4096)},
			req:     withPort(web, PortKey{"tcp", 8080}), count: 3,
			placed: []string{"a", "b"}, // a/b tie broken by the seeded rng
			failures: []Failure{
				{Arn: testCluster + "a", Reason: "RESOURCE:PORTS"},
				{Arn: testCluster + "b", Reason: "RESOURCE:PORTS"},
			},
		},
		{
			name:    "agent disconnected",
			cluster: []Instance{with(newInst("a", "z1", 4096, 4096), func(in *Instance) { in.AgentDisconnected = true })},
			req:     web, count: 1,
			failures:  []Failure{{Arn: testCluster + "a", Reason: "AGENT"}},
			explained: `(container-instance a) encountered error "AGENT".`,
		},
		{
			name:      "requiresAttributes",
			cluster:   []Instance{newInst("a", "z1", 4096, 4096)},
			req:       TaskRequest{Family: "web", RequiresAttributes: []Attribute{{Name: "ecs.capability.task-eni"}}},
			count:     1,
			failures:  []Failure{{Arn: testCluster + "a", Reason: "ATTRIBUTE"}},
			explained: "is missing an attribute required by your task",
		},
		{
			name:    "requiresAttributes with value",
			cluster: []Instance{with(newInst("a", "z1", 4096, 4096), func(in *Instance) { in.Attributes["ecs.os-type"] = "windows" }), newInst("b", "z1", 4096, 4096)},
			req:     TaskRequest{Family: "web", RequiresAttributes: []Attribute{{Name: "ecs.os-type", Value: "linux"}}},
			count:   1,
			placed:  []string{"b"},
		},
		{
			name:      "memberOf",
			cluster:   []Instance{newInst("a", "z1", 4096, 4096)},
			req:       withCons(web, Constraint{"memberOf", "attribute:ecs.instance-type =~ m5.*"}),
			count:     1,
			failures:  []Failure{{Arn: testCluster + "a", Reason: "ATTRIBUTE", Detail: "MemberOf placement constraint unsatisfied."}},
			explained: `encountered error "MemberOf placement constraint unsatisfied."`,
		},
		{
			name: "distinctInstance counts existing tasks of the group",
			cluster: []Instance{
				with(newInst("a", "z1", 4096, 4096), func(in *Instance) { in.Tasks = tasks("family:web", 1) }),
				with(newInst("b", "z1", 4096, 4096), func(in *Instance) { in.Tasks = tasks("family:other", 3) }),
			},
			req:    withCons(web, Constraint{Type: "distinctInstance"}),
			count:  2,
			placed: []string{"b"},
			failures: []Failure{
				{Arn: testCluster + "a", Reason: "DistinctInstance placement constraint unsatisfied."},
				{Arn: testCluster + "b", Reason: "DistinctInstance placement constraint unsatisfied."},
			},
			explained: `encountered error "DistinctInstance placement constraint unsatisfied."`,
		},
		{
			name:    "resource exhaustion over copies, partial plan",
			cluster: []Instance{newInst("a", "z1", 512, 4096), newInst("b", "z1", 256, 4096)},
			req:     TaskRequest{Family: "web", CPU: 256, Memory: 512, Strategy: []Strategy{{"binpack", "cpu"}}},
			count:   5,
			placed:  []string{"b", "a", "a"},
			failures: []Failure{
				{Arn: testCluster + "a", Reason: "RESOURCE:CPU"},
				{Arn: testCluster + "b", Reason: "RESOURCE:CPU"},
			},
			explained: "(container-instance b) has insufficient CPU units available", // both fail CPU; b has more memory left
		},
		{
			name: "closest is the instance failing fewest requirements",
			cluster: []Instance{
				newInst("a", "z1", 1, 1),    // cpu and memory
				newInst("b", "z1", 4096, 1), // memory only
				with(newInst("c", "z1", 4096, 4096), func(in *Instance) { in.AgentDisconnected = true; in.RemainingCPU = 1 }),
			},
			req: web, count: 1,
			failures: []Failure{
				{Arn: testCluster + "a", Reason: "RESOURCE:CPU"},
				{Arn: testCluster + "b", Reason: "RESOURCE:MEMORY"},
				{Arn: testCluster + "c", Reason: "AGENT"},
			},
			explained: "(container-instance b) has insufficient memory available",
		},
		{
			name:    "closest ties go to the most remaining memory",
			cluster: []Instance{newInst("a", "z1", 4096, 100), newInst("b", "z1", 4096, 300), newInst("c", "z1", 4096, 200)},
			req:     web, count: 1,
			failures:  []Failure{{Arn: testCluster + "a", Reason: "RESOURCE:MEMORY"}, {Arn: testCluster + "b", Reason: "RESOURCE:MEMORY"}, {Arn: testCluster + "c", Reason: "RESOURCE:MEMORY"}},
			explained: "(container-instance b)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := Place(tt.cluster, tt.req, tt.count, seeded(7))
			if err != nil {
				t.Fatal(err)
			}
			if got := placedIDs(t, plan); !reflect.DeepEqual(got, tt.placed) && len(got)+len(tt.placed) > 0 {
				t.Errorf("placed on %v, want %v", got, tt.placed)
			}
			if !reflect.DeepEqual(plan.Failures, tt.failures) {
				t.Errorf("failures = %+v, want %+v", plan.Failures, tt.failures)
			}
			if !strings.Contains(plan.Explanation, tt.explained) || (tt.failures == nil) != (plan.Explanation == "") {
				t.Errorf("explanation = %q, want it to contain %q", plan.Explanation, tt.explained)
			}
		})
	}
}

func TestPlaceDoesNotModifyInput(t *testing.T) {
	cluster := []Instance{with(newInst("a", "z1", 4096, 4096), func(in *Instance) {
		in.UsedPorts = map[PortKey]bool{{"tcp", 22}: true}
		in.Tasks = tasks("family:web", 1)
	})}
	before := with(cluster[0], func(in *Instance) {
		in.UsedPorts = map[PortKey]bool{{"tcp", 22}: true}
		in.Tasks = tasks("family:web", 1)
	})
	req := TaskRequest{Family: "web", CPU: 100, Memory: 100, Ports: []PortKey{{"tcp", 80}}}
	snap := NewSnapshot(cluster)
	plan, err := snap.Place(req, 1, nil)
	if err != nil || len(plan.Placements) != 1 {
		t.Fatalf("%s, %v", fmtPlan(plan), err)
	}
	if err := snap.Apply(req, plan); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cluster[0], before) {
		t.Errorf("instance changed:\n%+v\nwant\n%+v", cluster[0], before)
	}
	// The snapshot did record the port.
	if plan, _ := snap.Place(req, 1, nil); len(plan.Failures) != 1 || plan.Failures[0].Reason != ReasonPorts {
		t.Errorf("second placement after Apply: %s", fmtPlan(plan))
	}
	if err := snap.Apply(req, Plan{Placements: []Decision{{InstanceARN: "nope"}}}); err == nil {
		t.Error("Apply with an unknown instance succeeded")
	}
}

func TestStrategies(t *testing.T) {
	// a, b in z1; c in z2; d in z3; e has no AZ attribute.
	cluster := func() []Instance {
		return []Instance{
			with(newInst("a", "z1", 1024, 2048), func(in *Instance) { in.Tasks = tasks("family:web", 2) }),
			newInst("b", "z1", 2048, 1024),
			with(newInst("c", "z2", 3072, 3072), func(in *Instance) { in.Tasks = tasks("family:web", 1) }),
			with(newInst("d", "z3", 4096, 512), func(in *Instance) { in.Tasks = tasks("family:other", 5) }),
		}
	}
	noAZ := with(newInst("e", "", 4096, 4096), func(in *Instance) { delete(in.Attributes, "ecs.availability-zone") })
	tests := []struct {
		name       string
		cluster    []Instance
		strategies []Strategy
		count      int
		want       []string
	}{
		{"binpack cpu", cluster(), []Strategy{{"binpack", "cpu"}}, 5, []string{"a", "a", "a", "a", "b"}},
		{"binpack memory", cluster(), []Strategy{{"binpack", "memory"}}, 3, []string{"d", "d", "b"}},
		{"spread instanceId", cluster(), []Strategy{{"spread", "instanceId"}, {"binpack", "cpu"}}, 6, []string{"b", "d", "b", "c", "d", "a"}},
		{"spread host is an alias", cluster(), []Strategy{{"spread", "host"}, {"binpack", "cpu"}}, 6, []string{"b", "d", "b", "c", "d", "a"}},
		// z1 has 2 web tasks, z2 1, z3 0: z3 (d); z2 and z3 tie, binpack picks d;
		// then z2 (c) is alone at 1; then all at 2 and d is full, binpack picks b.
		{"spread attribute", cluster(), []Strategy{{"spread", "attribute:ecs.availability-zone"}, {"binpack", "memory"}}, 4, []string{"d", "d", "c", "b"}},
		{"spread attribute: missing attribute is its own bucket", append(cluster(), noAZ), []Strategy{{"spread", "attribute:ecs.availability-zone"}, {"binpack", "memory"}}, 3, []string{"d", "e", "d"}},
		{"spread then spread then binpack", cluster(), []Strategy{{"spread", "attribute:ecs.availability-zone"}, {"spread", "instanceId"}, {"binpack", "cpu"}}, 4, []string{"d", "c", "d", "b"}},
		{"binpack first ignores later spread", cluster(), []Strategy{{"binpack", "memory"}, {"spread", "attribute:ecs.availability-zone"}}, 2, []string{"d", "d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := TaskRequest{Family: "web", CPU: 256, Memory: 256, Strategy: tt.strategies}
			plan, err := Place(tt.cluster, req, tt.count, seeded(1))
			if err != nil {
				t.Fatal(err)
			}
			if got := placedIDs(t, plan); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("placed on %v, want %v (%s)", got, tt.want, fmtPlan(plan))
			}
		})
	}
}

func TestRandomIsDeterministicAndSpreadsOut(t *testing.T) {
	var cluster []Instance
	for _, id := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		cluster = append(cluster, newInst(id, "z1", 1<<20, 1<<20))
	}
	for _, strategies := range [][]Strategy{nil, {{Type: "random"}}, {{Type: "random"}, {"binpack", "cpu"}}} {
		req := TaskRequest{Family: "web", CPU: 1, Memory: 1, Strategy: strategies}
		p1, _ := Place(cluster, req, 200, seeded(42))
		p2, _ := Place(cluster, req, 200, seeded(42))
		p3, _ := Place(cluster, req, 200, seeded(43))
		if !reflect.DeepEqual(p1, p2) {
			t.Errorf("%v: same seed gave different plans", strategies)
		}
		if reflect.DeepEqual(p1, p3) {
			t.Errorf("%v: different seeds gave the same plan", strategies)
		}
		seen := map[string]int{}
		for _, d := range p1.Placements {
			seen[d.InstanceARN]++
		}
		if len(seen) != len(cluster) {
			t.Errorf("%v: random used only %d of %d instances", strategies, len(seen), len(cluster))
		}
	}
}

func TestConstraints(t *testing.T) {
	cluster := func() []Instance {
		return []Instance{
			with(newInst("a", "z1", 4096, 4096), func(in *Instance) { in.Tasks = tasks("service:db", 1) }),
			with(newInst("b", "z2", 4096, 4096), func(in *Instance) { in.Attributes["ecs.instance-type"] = "m5.large" }),
			with(newInst("c", "z3", 4096, 4096), func(in *Instance) { in.Tasks = tasks("service:web", 2) }),
		}
	}
	binpack := []Strategy{{"binpack", "cpu"}}
	tests := []struct {
		name        string
		constraints []Constraint
		count       int
		want        []string
	}{
		{"none", nil, 3, []string{"c", "c", "c"}},                                             // equal cpu: rng picks, binpack then sticks
		{"distinctInstance", []Constraint{{Type: "distinctInstance"}}, 3, []string{"a", "b"}}, // c already runs service:web
		{"memberOf instance type", []Constraint{{"memberOf", "attribute:ecs.instance-type =~ m5.*"}}, 2, []string{"b", "b"}},
		{"memberOf AZ list", []Constraint{{"memberOf", "attribute:ecs.availability-zone in [z2, z3]"}}, 1, []string{"b"}},
		{"affinity with task:group", []Constraint{{"memberOf", "task:group == service:db"}}, 2, []string{"a", "a"}},
		{"anti-affinity with own group", []Constraint{{"memberOf", "not(task:group == service:web)"}}, 3, []string{"a", "b"}},
		{"runningTasksCount", []Constraint{{"memberOf", "runningTasksCount < 2"}}, 3, []string{"a", "b", "b"}},
		{"two constraints both bind", []Constraint{{Type: "distinctInstance"}, {"memberOf", "attribute:ecs.availability-zone != z2"}}, 2, []string{"a"}},
		{"ec2InstanceId", []Constraint{{"memberOf", "ec2InstanceId in ['i-c']"}}, 1, []string{"c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := TaskRequest{Group: "service:web", Family: "web", CPU: 1024, Memory: 1024, Strategy: binpack, Constraints: tt.constraints}
			plan, err := Place(cluster(), req, tt.count, seeded(3))
			if err != nil {
				t.Fatal(err)
			}
			if got := placedIDs(t, plan); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("placed on %v, want %v (%s)", got, tt.want, fmtPlan(plan))
			}
			if wantFail := len(tt.want) < tt.count; wantFail != (len(plan.Failures) > 0) {
				t.Errorf("failures = %v, want some: %v", plan.Failures, wantFail)
			}
		})
	}
}

func TestSnapshotPlaceConcurrently(t *testing.T) {
	var cluster []Instance
	for i := range 50 {
		cluster = append(cluster, newInst(string(rune('A'+i)), []string{"z1", "z2"}[i%2], 4096, 4096))
	}
	snap := NewSnapshot(cluster)
	req := TaskRequest{Family: "web", CPU: 10, Memory: 10, Strategy: []Strategy{{"spread", "attribute:ecs.availability-zone"}},
		Constraints: []Constraint{{"memberOf", "attribute:ecs.os-type == linux"}}}
	want, _ := snap.Place(req, 10, seeded(9))
	done := make(chan Plan)
	for range 4 {
		go func() {
			p, _ := snap.Place(req, 10, seeded(9))
			done <- p
		}()
	}
	for range 4 {
		if got := <-done; !reflect.DeepEqual(got, want) {
			t.Errorf("concurrent Place differed: %s", fmtPlan(got))
		}
	}
}
