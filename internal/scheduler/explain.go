package scheduler

import "fmt"

// check is one placement requirement an instance can fail, in the order ECS
// evaluates them; the first failed check is the instance's failure reason.
type check struct {
	reason string
	detail string // Failure.Detail
	phrase string // completes "The closest matching (container-instance <id>) …"
}

var (
	checkAgent     = check{ReasonAgent, "", `encountered error "AGENT"`}
	checkCPU       = check{ReasonCPU, "", "has insufficient CPU units available"}
	checkMemory    = check{ReasonMemory, "", "has insufficient memory available"}
	checkPorts     = check{ReasonPorts, "", "is already using a port required by your task"}
	checkPortsUDP  = check{ReasonPortsUDP, "", "is already using a port required by your task"}
	checkRequires  = check{ReasonAttribute, "", "is missing an attribute required by your task"}
	checkMemberOf  = check{ReasonAttribute, "MemberOf placement constraint unsatisfied.", `encountered error "MemberOf placement constraint unsatisfied."`}
	checkDistinct  = check{ReasonDistinctInstance, "", `encountered error "DistinctInstance placement constraint unsatisfied."`}
	noInstancesMsg = "No Container Instances were found in your cluster."
)

// failedChecks lists every requirement instance i fails with n copies planned.
func (p *placer) failedChecks(i int32, n int32, out []check) []check {
	s, r := p.s, p.r
	in := &s.inst[i]
	if in.AgentDisconnected {
		out = append(out, checkAgent)
	}
	if s.cpu[i]-int64(n)*r.cpu < r.cpu {
		out = append(out, checkCPU)
	}
	if s.mem[i]-int64(n)*r.mem < r.mem {
		out = append(out, checkMemory)
	}
	for _, ports := range []struct {
		keys []PortKey
		c    check
	}{{r.tcp, checkPorts}, {r.udp, checkPortsUDP}} {
		for _, k := range ports.keys {
			if n > 0 || s.portUsed(i, k) {
				out = append(out, ports.c)
				break
			}
		}
	}
	if !hasAttributes(in, r.requires) {
		out = append(out, checkRequires)
	}
	member := true
	for _, e := range r.cons.static {
		member = member && e.eval(instanceTarget{in})
	}
	if member && len(r.cons.dynamic) > 0 {
		member = p.dynamicOK(i, n)
	}
	if !member {
		out = append(out, checkMemberOf)
	}
	if r.cons.distinct && p.count(i)+n > 0 {
		out = append(out, checkDistinct)
	}
	return out
}

// explain describes why no ACTIVE instance can take the next copy: one
// failure per ACTIVE instance with its first failed requirement, and an ECS
// service-event sentence naming the closest match (fewest failed
// requirements, then most remaining memory, then CPU).
func (p *placer) explain() ([]Failure, string) {
	s, r := p.s, p.r
	var failures []Failure
	var scratch []check
	closest, closestFailed, active := int32(-1), 0, 0
	var closestCheck check
	for idx := range s.inst {
		i := int32(idx)
		in := &s.inst[i]
		if in.Status != StatusActive {
			continue
		}
		active++
		n := p.planned[i]
		scratch = p.failedChecks(i, n, scratch[:0])
		if len(scratch) == 0 {
			continue // cannot happen: it would have been picked
		}
		failures = append(failures, Failure{Arn: in.ARN, Reason: scratch[0].reason, Detail: scratch[0].detail})
		better := closest < 0 || len(scratch) < closestFailed
		if !better && len(scratch) == closestFailed {
			cm, cc := s.mem[closest]-int64(p.planned[closest])*r.mem, s.cpu[closest]-int64(p.planned[closest])*r.cpu
			m, c := s.mem[i]-int64(n)*r.mem, s.cpu[i]-int64(n)*r.cpu
			better = m > cm || m == cm && c > cc
		}
		if better {
			closest, closestFailed, closestCheck = i, len(scratch), scratch[0]
		}
	}
	switch {
	case active == 0:
		return []Failure{{Reason: ReasonMissing, Detail: noInstancesMsg}},
			"no container instance met all of its requirements. Reason: " + noInstancesMsg
	case closest < 0:
		return failures, "no container instance met all of its requirements."
	}
	return failures, fmt.Sprintf("no container instance met all of its requirements. The closest matching (container-instance %s) %s. For more information, see the Troubleshooting section.",
		instanceID(&s.inst[closest]), closestCheck.phrase)
}
