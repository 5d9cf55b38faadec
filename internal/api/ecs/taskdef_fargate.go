package ecs

// Task size strings ("1 vCPU", "0.5GB") and the Fargate rules of
// RegisterTaskDefinition: the cpu/memory table and what Fargate forbids.

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/internal/api/ecs/ecswire"
)

var taskSizePattern = regexp.MustCompile(`^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([A-Za-z]*)$`)

// normalizeTaskCPU converts a task-level cpu value to CPU units: "1024",
// "1 vCPU", "0.25 vcpu" and "2vCPU" are accepted (the unit is
// case-insensitive); the result is a decimal integer string.
func normalizeTaskCPU(s string) (string, error) {
	return normalizeTaskSize(s, "vcpu", "CPU units (e.g. 1024) or vCPUs (e.g. 1 vCPU)")
}

// normalizeTaskMemory converts a task-level memory value to MiB: "2048",
// "2GB", "0.5 GB" and "1 gb" are accepted; the result is a decimal integer
// string.
func normalizeTaskMemory(s string) (string, error) {
	return normalizeTaskSize(s, "gb", "MiB (e.g. 1024) or GB (e.g. 1 GB)")
}

// normalizeTaskSize parses "<number>[ ]<unit>" where unit, if present, means
// 1024 of the base unit. The result must be a whole, positive number of base
// units that fits in an int32.
func normalizeTaskSize(s, unit, want string) (string, error) {
	s = strings.TrimSpace(s)
	m := taskSizePattern.FindStringSubmatch(s)
	if len(s) > taskSizeMaxInputCharacters || m == nil {
		return "", fmt.Errorf("must be given in %s, got %q", want, s)
	}
	num, suffix := strings.TrimSuffix(m[1], "."), m[2]
	if suffix != "" && !strings.EqualFold(suffix, unit) {
		return "", fmt.Errorf("must be given in %s, got unit %q", want, suffix)
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return "", fmt.Errorf("must be given in %s, got %q", want, s)
	}
	if suffix != "" {
		r.Mul(r, big.NewRat(1024, 1))
	}
	if !r.IsInt() {
		return "", fmt.Errorf("must be a whole number of %s, got %q", strings.SplitN(want, " (", 2)[0], s)
	}
	n := r.Num()
	if n.Sign() <= 0 {
		return "", fmt.Errorf("must be greater than 0, got %q", s)
	}
	if !n.IsInt64() || n.Int64() > math.MaxInt32 {
		return "", fmt.Errorf("is too large, got %q", s)
	}
	return n.String(), nil
}

func checkTaskSizeFormat(t *taskDefInput) error {
	if t.cpuErr != nil {
		return t.cpuErr
	}
	return t.memoryErr
}

func checkTaskSizeRange(t *taskDefInput) error {
	if t.cpu != 0 && (t.cpu < minTaskCPUUnits || t.cpu > maxTaskCPUUnits) {
		return invalidField("cpu", "must be between %d and %d CPU units, got %d", minTaskCPUUnits, maxTaskCPUUnits, t.cpu)
	}
	if t.memory != 0 && t.memory < minContainerMemoryMiB {
		return invalidField("memory", "must be at least %d MiB, got %d", minContainerMemoryMiB, t.memory)
	}
	return nil
}

// --- launch types -------------------------------------------------------------

// fargateSizes lists, per task cpu, the allowed task memory (MiB) as a
// range with a step (ecs.md §2.5).
var fargateSizes = map[int64]struct{ min, max, step int64 }{
	256:   {512, 2048, 0}, // 512, 1024, 2048
	512:   {1024, 4096, 1024},
	1024:  {2048, 8192, 1024},
	2048:  {4096, 16384, 1024},
	4096:  {8192, 30720, 1024},
	8192:  {16384, 61440, 4096},
	16384: {32768, 122880, 8192},
}

func fargateSizeAllowed(cpu, memory int64) bool {
	r, ok := fargateSizes[cpu]
	if !ok || memory < r.min || memory > r.max {
		return false
	}
	if r.step == 0 {
		return memory == 512 || memory == 1024 || memory == 2048
	}
	return (memory-r.min)%r.step == 0
}

var fargateLogDrivers = []ecswire.LogDriver{ecswire.LogDriverAwslogs, ecswire.LogDriverSplunk, ecswire.LogDriverAwsfirelens}

func checkFargate(t *taskDefInput) error {
	if !t.fargate {
		return nil
	}
	return fargateViolation(t)
}

// fargateViolation returns why the task definition cannot run on Fargate,
// or nil. It assumes task cpu and memory parsed (checkTaskSizeFormat).
func fargateViolation(t *taskDefInput) error {
	in := t.req
	if t.mode != ecswire.NetworkModeAwsvpc {
		return clientError("Fargate only supports network mode 'awsvpc'.")
	}
	if t.cpu == 0 {
		return clientError("Fargate requires that 'cpu' be defined at the task level.")
	}
	if t.memory == 0 {
		return clientError("Fargate requires that 'memory' be defined at the task level.")
	}
	if !fargateSizeAllowed(t.cpu, t.memory) {
		return clientError("No Fargate configuration exists for given values.")
	}
	if in.PidMode == ecswire.PidModeHost {
		return invalidField("pidMode", "'host' is not supported on Fargate")
	}
	if in.IpcMode != "" {
		return invalidField("ipcMode", "is not supported on Fargate")
	}
	if len(in.PlacementConstraints) > 0 {
		return invalidField("placementConstraints", "are not supported on Fargate")
	}
	for i, v := range in.Volumes {
		if v.Host != nil && v.Host.SourcePath != "" {
			return invalidField(fmt.Sprintf("volumes[%d].host.sourcePath", i), "is not supported on Fargate")
		}
		if v.DockerVolumeConfiguration != nil {
			return invalidField(fmt.Sprintf("volumes[%d].dockerVolumeConfiguration", i), "is not supported on Fargate")
		}
	}
	for i := range in.ContainerDefinitions {
		if err := fargateContainerViolation(i, &in.ContainerDefinitions[i]); err != nil {
			return err
		}
	}
	return fargateExecutionRoleViolation(in)
}

// fargateExecutionRoleViolation: on Fargate, sending awslogs and pulling
// from private ECR need the task execution role.
func fargateExecutionRoleViolation(in *ecswire.RegisterTaskDefinitionRequest) error {
	if in.ExecutionRoleArn != "" {
		return nil
	}
	for _, c := range in.ContainerDefinitions {
		if c.LogConfiguration != nil && c.LogConfiguration.LogDriver == ecswire.LogDriverAwslogs {
			return clientError("Fargate requires task definition to have execution role ARN to support log driver awslogs.")
		}
		if isECRImage(c.Image) {
			return clientError("Fargate requires task definition to have execution role ARN to support ECR images.")
		}
	}
	return nil
}

func fargateContainerViolation(i int, c *ecswire.ContainerDefinition) error {
	if c.Privileged != nil && *c.Privileged {
		return invalidField(containerField(i, "privileged"), "is not supported on Fargate")
	}
	if lc := c.LogConfiguration; lc != nil && !slices.Contains(fargateLogDrivers, lc.LogDriver) {
		return invalidField(containerField(i, "logConfiguration.logDriver"),
			"'%s' is not supported on Fargate; use awslogs, splunk or awsfirelens", lc.LogDriver)
	}
	timeouts := []struct {
		member string
		v      *int32
	}{{"startTimeout", c.StartTimeout}, {"stopTimeout", c.StopTimeout}}
	for _, tm := range timeouts {
		if member, v := tm.member, tm.v; v != nil && (*v < fargateMinTimeoutSeconds || *v > fargateMaxTimeoutSeconds) {
			return invalidField(containerField(i, member), "must be between %d and %d seconds on Fargate",
				fargateMinTimeoutSeconds, fargateMaxTimeoutSeconds)
		}
	}
	lp := c.LinuxParameters
	if lp == nil {
		return nil
	}
	switch {
	case len(lp.Devices) > 0:
		return invalidField(containerField(i, "linuxParameters.devices"), "is not supported on Fargate")
	case len(lp.Tmpfs) > 0:
		return invalidField(containerField(i, "linuxParameters.tmpfs"), "is not supported on Fargate")
	case lp.SharedMemorySize != nil:
		return invalidField(containerField(i, "linuxParameters.sharedMemorySize"), "is not supported on Fargate")
	case lp.MaxSwap != nil:
		return invalidField(containerField(i, "linuxParameters.maxSwap"), "is not supported on Fargate")
	case lp.Swappiness != nil:
		return invalidField(containerField(i, "linuxParameters.swappiness"), "is not supported on Fargate")
	}
	if lp.Capabilities != nil {
		for k, capName := range lp.Capabilities.Add {
			if capName != "SYS_PTRACE" {
				return invalidField(containerField(i, fmt.Sprintf("linuxParameters.capabilities.add[%d]", k)),
					"'%s' is not supported on Fargate; only SYS_PTRACE can be added", capName)
			}
		}
	}
	return nil
}
