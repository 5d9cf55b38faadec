package tasks

import (
	"slices"
	"strconv"

	"github.com/wharfhq/wharf/internal/model"
)

// Reserve computes what a task reserves on its instance (ECS rules):
//   - CPU: task-level cpu if set, else the sum of container cpu;
//   - memory: task-level memory if set, else the sum over containers of
//     memoryReservation, or memory when no reservation is given;
//   - ports: static host ports (bridge: non-zero hostPort; host: the
//     containerPort); awsvpc and none bind nothing on the host.
//
// Container overrides apply before the sums.
func Reserve(td *model.TaskDefinition, ov model.TaskOverrides) model.Reservation {
	var r model.Reservation
	taskCPU := firstNonEmpty(ov.CPU, td.CPU)
	taskMem := firstNonEmpty(ov.Memory, td.Memory)
	var sumCPU, sumMem int64
	for i := range td.ContainerDefinitions {
		c := applyOverride(td.ContainerDefinitions[i], ov)
		sumCPU += int64(c.CPU)
		switch {
		case c.MemoryReservation != nil:
			sumMem += int64(*c.MemoryReservation)
		case c.Memory != nil:
			sumMem += int64(*c.Memory)
		}
		for _, pm := range c.PortMappings {
			port := int32(0)
			switch td.NetworkMode {
			case model.NetworkBridge, "":
				if pm.HostPort != nil {
					port = *pm.HostPort
				}
			case model.NetworkHost:
				if pm.ContainerPort != nil {
					port = *pm.ContainerPort
				}
			}
			if port <= 0 {
				continue
			}
			if pm.Protocol == "udp" {
				r.UDPPorts = append(r.UDPPorts, int(port))
			} else {
				r.TCPPorts = append(r.TCPPorts, int(port))
			}
		}
	}
	r.CPU = parseOr(taskCPU, sumCPU)
	r.Memory = parseOr(taskMem, sumMem)
	slices.Sort(r.TCPPorts)
	slices.Sort(r.UDPPorts)
	return r
}

// applyOverride returns c with the matching container override applied.
func applyOverride(c model.ContainerDefinition, ov model.TaskOverrides) model.ContainerDefinition {
	for _, o := range ov.ContainerOverrides {
		if o.Name != c.Name {
			continue
		}
		if o.CPU != nil {
			c.CPU = *o.CPU
		}
		if o.Memory != nil {
			c.Memory = o.Memory
		}
		if o.MemoryReservation != nil {
			c.MemoryReservation = o.MemoryReservation
		}
	}
	return c
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func parseOr(s string, fallback int64) int64 {
	if s == "" {
		return fallback
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fallback
	}
	return n
}
