package scheduler

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

const testCluster = "arn:aws:ecs:us-east-1:123456789012:container-instance/default/"

// newInst builds an ACTIVE instance with id, AZ and capacity.
func newInst(id, az string, cpu, mem int64) Instance {
	return Instance{
		ARN:             testCluster + id,
		ID:              id,
		EC2InstanceID:   "i-" + id,
		Status:          StatusActive,
		AgentVersion:    "1.80.0",
		Attributes:      map[string]string{"ecs.availability-zone": az, "ecs.instance-type": "t3.medium", "ecs.os-type": "linux"},
		RemainingCPU:    cpu,
		RemainingMemory: mem,
	}
}

// with returns in after f modified it, for table literals.
func with(in Instance, f func(*Instance)) Instance {
	f(&in)
	return in
}

func tasks(group string, n int) []PlacedTask {
	out := make([]PlacedTask, n)
	for i := range out {
		out[i] = PlacedTask{Group: group}
	}
	return out
}

func seeded(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// placedIDs returns the instance ids of a plan's placements, in order.
func placedIDs(t *testing.T, plan Plan) []string {
	t.Helper()
	out := make([]string, len(plan.Placements))
	for k, d := range plan.Placements {
		if d.Index != k {
			t.Fatalf("placement %d has Index %d", k, d.Index)
		}
		out[k] = d.InstanceARN[len(testCluster):]
	}
	return out
}

func fmtPlan(p Plan) string {
	return fmt.Sprintf("placements=%v failures=%v explanation=%q", p.Placements, p.Failures, p.Explanation)
}
