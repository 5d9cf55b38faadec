package ecs

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/wharfhq/wharf/internal/api/ecs/ecswire"
)

// ECS limits on task definitions (ecs.md §2.3–2.8).
const (
	maxContainersPerTaskDef    = 10
	maxContainerDefsJSONBytes  = 64 << 10
	maxTaskDefPlacementRules   = 10
	maxEnvironmentFiles        = 10
	maxContainerPortRanges     = 100
	minContainerMemoryMiB      = 6
	minTaskCPUUnits            = 128
	maxTaskCPUUnits            = 196608
	fargateMinTimeoutSeconds   = 2
	fargateMaxTimeoutSeconds   = 120
	taskSizeMaxInputCharacters = 64
)

// taskDefInput is a RegisterTaskDefinition request with the values every
// rule needs worked out once: the effective network mode, the launch types
// it must satisfy, and the task-level cpu and memory in units and MiB.
type taskDefInput struct {
	req      *ecswire.RegisterTaskDefinitionRequest
	mode     ecswire.NetworkMode
	fargate  bool
	external bool

	cpu, memory       int64 // 0 when not given
	cpuErr, memoryErr error
	byName            map[string]int // container name → first index
}

func newTaskDefInput(in *ecswire.RegisterTaskDefinitionRequest) *taskDefInput {
	t := &taskDefInput{
		req:      in,
		mode:     in.NetworkMode,
		fargate:  slices.Contains(in.RequiresCompatibilities, ecswire.CompatibilityFargate),
		external: slices.Contains(in.RequiresCompatibilities, ecswire.CompatibilityExternal),
		byName:   make(map[string]int, len(in.ContainerDefinitions)),
	}
	if t.mode == "" {
		t.mode = ecswire.NetworkModeBridge
	}
	if in.Cpu != "" {
		if s, err := normalizeTaskCPU(in.Cpu); err != nil {
			t.cpuErr = invalidField("cpu", "%s", err)
		} else {
			t.cpu, _ = strconv.ParseInt(s, 10, 64)
		}
	}
	if in.Memory != "" {
		if s, err := normalizeTaskMemory(in.Memory); err != nil {
			t.memoryErr = invalidField("memory", "%s", err)
		} else {
			t.memory, _ = strconv.ParseInt(s, 10, 64)
		}
	}
	for i, c := range in.ContainerDefinitions {
		if _, ok := t.byName[c.Name]; !ok {
			t.byName[c.Name] = i
		}
	}
	return t
}

// container returns the definition named name.
func (t *taskDefInput) container(name string) (*ecswire.ContainerDefinition, bool) {
	i, ok := t.byName[name]
	if !ok {
		return nil, false
	}
	return &t.req.ContainerDefinitions[i], true
}

// invalidField returns the ClientException for a member that breaks an ECS
// rule; the message starts with the member's path.
func invalidField(path, format string, args ...any) error {
	return clientError("%s %s.", path, fmt.Sprintf(format, args...))
}

func containerField(i int, member string) string {
	return fmt.Sprintf("containerDefinitions[%d].%s", i, member)
}

// taskDefRules are ECS's semantic checks for RegisterTaskDefinition, in the
// order they run; the first failure is returned. Checks for a member come
// after the checks that make it meaningful (e.g. task cpu is parsed before
// it is compared with the containers' cpu).
var taskDefRules = []func(*taskDefInput) error{
	checkFamily,
	checkContainerCount,
	checkContainerDefinitionsSize,
	checkContainerNames,
	checkContainerImages,
	checkTaskSizeFormat,
	checkFargate,
	checkExternal,
	checkTaskSizeRange,
	checkEssential,
	checkContainerMemory,
	checkResourceSums,
	checkPortMappings,
	checkHostPortConflicts,
	checkLinks,
	checkHostnames,
	checkHealthChecks,
	checkDependsOn,
	checkTimeouts,
	checkVolumes,
	checkMountPoints,
	checkVolumesFrom,
	checkDependencyCycles,
	checkUlimits,
	checkEnvironment,
	checkLinuxParameters,
	checkPlacementConstraints,
	checkSecretsExecutionRole,
}

// validateTaskDefinition applies ECS's semantic rules to a request that has
// passed the generated model validation. It returns a ClientException naming
// the offending member. Tags are checked by the handler (checkTags).
func validateTaskDefinition(in *ecswire.RegisterTaskDefinitionRequest) error {
	t := newTaskDefInput(in)
	for _, rule := range taskDefRules {
		if err := rule(t); err != nil {
			return err
		}
	}
	return nil
}

// --- names, counts, size --------------------------------------------------

var (
	resourceNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)
	imageDigestPattern  = regexp.MustCompile(`^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$`)
)

const nameRule = "must be 1-255 letters (uppercase and lowercase), numbers, hyphens and underscores"

func checkFamily(t *taskDefInput) error {
	if !resourceNamePattern.MatchString(t.req.Family) {
		return invalidField("family", nameRule)
	}
	return nil
}

func checkContainerCount(t *taskDefInput) error {
	switch n := len(t.req.ContainerDefinitions); {
	case n == 0:
		return invalidField("containerDefinitions", "must contain at least one container definition")
	case n > maxContainersPerTaskDef:
		return invalidField("containerDefinitions", "can have at most %d items", maxContainersPerTaskDef)
	}
	return nil
}

// checkContainerDefinitionsSize enforces the 64 KiB task definition size
// limit on the container definitions as JSON.
func checkContainerDefinitionsSize(t *taskDefInput) error {
	buf, err := json.Marshal(t.req.ContainerDefinitions)
	if err != nil {
		return invalidField("containerDefinitions", "cannot be encoded as JSON")
	}
	if len(buf) > maxContainerDefsJSONBytes {
		return invalidField("containerDefinitions", "is %d bytes of JSON; the limit is %d", len(buf), maxContainerDefsJSONBytes)
	}
	return nil
}

func checkContainerNames(t *taskDefInput) error {
	for i, c := range t.req.ContainerDefinitions {
		if c.Name == "" {
			return invalidField(containerField(i, "name"), "is required")
		}
		if !resourceNamePattern.MatchString(c.Name) {
			return invalidField(containerField(i, "name"), nameRule)
		}
		if first := t.byName[c.Name]; first != i {
			return invalidField(containerField(i, "name"), "duplicates the name of containerDefinitions[%d]; container names must be unique", first)
		}
	}
	return nil
}

// checkContainerImages accepts any reference Docker could pull
// ("registry:5000/path/repo:tag", "repo@sha256:<hex>") but rejects empty,
// over-long and whitespace-containing values and malformed digests.
func checkContainerImages(t *taskDefInput) error {
	for i, c := range t.req.ContainerDefinitions {
		path := containerField(i, "image")
		switch {
		case c.Image == "":
			return invalidField(path, "is required")
		case len(c.Image) > 255:
			return invalidField(path, "must be at most 255 characters")
		case strings.IndexFunc(c.Image, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
			return invalidField(path, "must not contain whitespace or control characters")
		}
		if _, digest, ok := strings.Cut(c.Image, "@"); ok && !imageDigestPattern.MatchString(digest) {
			return invalidField(path, "has a malformed digest %q; expected algorithm:hex, e.g. sha256:<64 hex digits>", digest)
		}
	}
	return nil
}

// --- task size ---------------------------------------------------------------

// checkExternal: ECS Anywhere (EXTERNAL) runs bridge, host and none only.
func checkExternal(t *taskDefInput) error {
	if t.external && t.mode == ecswire.NetworkModeAwsvpc {
		return invalidField("networkMode", "'awsvpc' is not supported by the EXTERNAL launch type")
	}
	return nil
}

// --- cpu and memory -------------------------------------------------------------

func checkEssential(t *taskDefInput) error {
	for _, c := range t.req.ContainerDefinitions {
		if c.Essential == nil || *c.Essential {
			return nil
		}
	}
	return invalidField("containerDefinitions", "must contain at least one essential container")
}

func checkContainerMemory(t *taskDefInput) error {
	for i, c := range t.req.ContainerDefinitions {
		if c.Cpu < 0 {
			return invalidField(containerField(i, "cpu"), "must not be negative")
		}
		if c.Memory != nil && *c.Memory < minContainerMemoryMiB {
			return invalidField(containerField(i, "memory"), "must be at least %d MiB", minContainerMemoryMiB)
		}
		if c.MemoryReservation != nil && *c.MemoryReservation < minContainerMemoryMiB {
			return invalidField(containerField(i, "memoryReservation"), "must be at least %d MiB", minContainerMemoryMiB)
		}
		if c.Memory != nil && c.MemoryReservation != nil && *c.Memory <= *c.MemoryReservation {
			return invalidField(containerField(i, "memoryReservation"), "must be less than memory (%d MiB)", *c.Memory)
		}
		if t.memory == 0 && c.Memory == nil && c.MemoryReservation == nil {
			return clientError("Invalid setting for container '%s'. At least one of 'memory' or 'memoryReservation' must be specified.", c.Name)
		}
	}
	return nil
}

// checkResourceSums: with task-level values, the containers' cpu and
// reserved memory (memoryReservation, else memory) must fit, and no hard
// memory limit may exceed the task's memory.
func checkResourceSums(t *taskDefInput) error {
	var cpuSum, memSum int64
	for i, c := range t.req.ContainerDefinitions {
		cpuSum += int64(c.Cpu)
		if t.cpu != 0 && cpuSum > t.cpu {
			return invalidField(containerField(i, "cpu"), "brings the containers' total cpu to %d, more than the task cpu %d", cpuSum, t.cpu)
		}
		if t.memory == 0 {
			continue
		}
		if c.Memory != nil && int64(*c.Memory) > t.memory {
			return invalidField(containerField(i, "memory"), "(%d MiB) must not exceed the task memory (%d MiB)", *c.Memory, t.memory)
		}
		member := "memoryReservation"
		switch {
		case c.MemoryReservation != nil:
			memSum += int64(*c.MemoryReservation)
		case c.Memory != nil:
			memSum += int64(*c.Memory)
			member = "memory"
		default:
			continue
		}
		if memSum > t.memory {
			return invalidField(containerField(i, member), "brings the containers' total reserved memory to %d MiB, more than the task memory %d MiB", memSum, t.memory)
		}
	}
	return nil
}

// --- ports ----------------------------------------------------------------------

// portSpan is the container ports one mapping covers.
type portSpan struct {
	proto  ecswire.TransportProtocol
	lo, hi int32
	index  int
}

func mappingProtocol(pm *ecswire.PortMapping) ecswire.TransportProtocol {
	if pm.Protocol == "" {
		return ecswire.TransportProtocolTcp
	}
	return pm.Protocol
}

// parsePortRange parses containerPortRange "start-end" with
// 1 <= start < end <= 65535.
func parsePortRange(s string) (lo, hi int32, ok bool) {
	a, b, found := strings.Cut(s, "-")
	if !found {
		return 0, 0, false
	}
	l, err1 := strconv.ParseInt(a, 10, 32)
	h, err2 := strconv.ParseInt(b, 10, 32)
	if err1 != nil || err2 != nil || l < 1 || h > 65535 || l >= h {
		return 0, 0, false
	}
	return int32(l), int32(h), true
}

func checkPortMappings(t *taskDefInput) error {
	for i := range t.req.ContainerDefinitions {
		if err := checkContainerPorts(t, i); err != nil {
			return err
		}
	}
	return nil
}

func checkContainerPorts(t *taskDefInput, i int) error {
	c := &t.req.ContainerDefinitions[i]
	if len(c.PortMappings) == 0 {
		return nil
	}
	if t.mode == ecswire.NetworkModeNone {
		return invalidField(containerField(i, "portMappings"), "are not supported with network mode 'none'")
	}
	spans := make([]portSpan, 0, len(c.PortMappings))
	ranges := 0
	for j := range c.PortMappings {
		pm := &c.PortMappings[j]
		path := containerField(i, fmt.Sprintf("portMappings[%d]", j))
		span, err := checkPortMapping(t.mode, path, pm)
		if err != nil {
			return err
		}
		if pm.ContainerPortRange != "" {
			if ranges++; ranges > maxContainerPortRanges {
				return invalidField(path+".containerPortRange", "exceeds the limit of %d port ranges per container", maxContainerPortRanges)
			}
		}
		span.index = j
		spans = append(spans, span)
	}
	// A container port may be mapped once per protocol (tcp and udp on the
	// same port is allowed), and ranges must not overlap.
	sort.SliceStable(spans, func(a, b int) bool {
		if spans[a].proto != spans[b].proto {
			return spans[a].proto < spans[b].proto
		}
		return spans[a].lo < spans[b].lo
	})
	for k := 1; k < len(spans); k++ {
		prev, cur := spans[k-1], spans[k]
		if prev.proto == cur.proto && cur.lo <= prev.hi {
			j := max(prev.index, cur.index)
			return invalidField(containerField(i, fmt.Sprintf("portMappings[%d]", j)),
				"maps container port %d/%s, which another port mapping of this container already uses", cur.lo, cur.proto)
		}
	}
	return nil
}

// checkPortMapping checks one mapping against its network mode and returns
// the container ports it covers.
func checkPortMapping(mode ecswire.NetworkMode, path string, pm *ecswire.PortMapping) (portSpan, error) {
	span := portSpan{proto: mappingProtocol(pm)}
	if pm.HostPort != nil && (*pm.HostPort < 0 || *pm.HostPort > 65535) {
		return span, invalidField(path+".hostPort", "must be between 0 and 65535")
	}
	if pm.ContainerPortRange != "" {
		if pm.ContainerPort != nil {
			return span, invalidField(path+".containerPortRange", "cannot be combined with containerPort")
		}
		if mode != ecswire.NetworkModeBridge && mode != ecswire.NetworkModeAwsvpc {
			return span, invalidField(path+".containerPortRange", "is only supported with network modes 'bridge' and 'awsvpc'")
		}
		if pm.HostPort != nil {
			return span, invalidField(path+".hostPort", "cannot be combined with containerPortRange; host ports for a range are assigned by ECS")
		}
		lo, hi, ok := parsePortRange(pm.ContainerPortRange)
		if !ok {
			return span, invalidField(path+".containerPortRange", "must be \"start-end\" with 1 <= start < end <= 65535")
		}
		span.lo, span.hi = lo, hi
		return span, nil
	}
	if pm.ContainerPort == nil {
		return span, invalidField(path+".containerPort", "is required unless containerPortRange is set")
	}
	if *pm.ContainerPort < 1 || *pm.ContainerPort > 65535 {
		return span, invalidField(path+".containerPort", "must be between 1 and 65535")
	}
	span.lo, span.hi = *pm.ContainerPort, *pm.ContainerPort
	if (mode == ecswire.NetworkModeAwsvpc || mode == ecswire.NetworkModeHost) && pm.HostPort != nil && *pm.HostPort != *pm.ContainerPort {
		return span, clientError("When networkMode=%s, the host ports and container ports in port mappings must match.", mode)
	}
	return span, nil
}

// effectiveHostPort is the fixed host port a mapping reserves, or 0 for a
// dynamic port or a range.
func effectiveHostPort(mode ecswire.NetworkMode, pm *ecswire.PortMapping) int32 {
	if pm.HostPort != nil {
		return *pm.HostPort
	}
	if (mode == ecswire.NetworkModeAwsvpc || mode == ecswire.NetworkModeHost) && pm.ContainerPort != nil {
		return *pm.ContainerPort
	}
	return 0
}

// checkHostPortConflicts: a fixed host port may be reserved once per
// protocol in the whole task.
func checkHostPortConflicts(t *taskDefInput) error {
	type key struct {
		proto ecswire.TransportProtocol
		port  int32
	}
	seen := make(map[key]bool)
	for i := range t.req.ContainerDefinitions {
		for j := range t.req.ContainerDefinitions[i].PortMappings {
			pm := &t.req.ContainerDefinitions[i].PortMappings[j]
			port := effectiveHostPort(t.mode, pm)
			if port == 0 {
				continue
			}
			k := key{mappingProtocol(pm), port}
			if seen[k] {
				return invalidField(containerField(i, fmt.Sprintf("portMappings[%d].hostPort", j)),
					"is invalid: %s host port '%d' is mapped multiple times in task", strings.ToUpper(string(k.proto)), port)
			}
			seen[k] = true
		}
	}
	return nil
}

// --- networking options -------------------------------------------------------------

// linkTarget returns the container name of a link "name" or "name:alias".
func linkTarget(link string) string {
	name, _, _ := strings.Cut(link, ":")
	return name
}

func checkLinks(t *taskDefInput) error {
	for i, c := range t.req.ContainerDefinitions {
		if len(c.Links) == 0 {
			continue
		}
		if t.mode != ecswire.NetworkModeBridge {
			return invalidField(containerField(i, "links"), "are only supported with network mode 'bridge'")
		}
		for k, l := range c.Links {
			name := linkTarget(l)
			if _, ok := t.container(name); !ok || name == c.Name {
				return invalidField(containerField(i, fmt.Sprintf("links[%d]", k)), "must name another container of this task definition, got %q", l)
			}
		}
	}
	return nil
}

func checkHostnames(t *taskDefInput) error {
	if t.mode != ecswire.NetworkModeAwsvpc {
		return nil
	}
	for i, c := range t.req.ContainerDefinitions {
		if c.Hostname != "" {
			return invalidField(containerField(i, "hostname"), "is not supported with network mode 'awsvpc'")
		}
		if len(c.ExtraHosts) > 0 {
			return invalidField(containerField(i, "extraHosts"), "are not supported with network mode 'awsvpc'")
		}
	}
	return nil
}

// --- health checks and ordering -------------------------------------------------------

type secondsRange struct {
	member   string
	min, max int32
}

var healthCheckRanges = []secondsRange{
	{"interval", 5, 300},
	{"timeout", 2, 60},
	{"retries", 1, 10},
	{"startPeriod", 0, 300},
}

func checkHealthChecks(t *taskDefInput) error {
	for i, c := range t.req.ContainerDefinitions {
		hc := c.HealthCheck
		if hc == nil {
			continue
		}
		path := containerField(i, "healthCheck")
		switch {
		case len(hc.Command) == 0:
			return invalidField(path+".command", "must not be empty")
		case hc.Command[0] != "CMD" && hc.Command[0] != "CMD-SHELL":
			return invalidField(path+".command[0]", "must be CMD or CMD-SHELL, got %q", hc.Command[0])
		case len(hc.Command) < 2 || strings.TrimSpace(strings.Join(hc.Command[1:], "")) == "":
			return invalidField(path+".command", "must contain a command after %s", hc.Command[0])
		}
		values := map[string]*int32{"interval": hc.Interval, "timeout": hc.Timeout, "retries": hc.Retries, "startPeriod": hc.StartPeriod}
		for _, r := range healthCheckRanges {
			if v := values[r.member]; v != nil && (*v < r.min || *v > r.max) {
				return invalidField(path+"."+r.member, "must be between %d and %d, got %d", r.min, r.max, *v)
			}
		}
	}
	return nil
}

func checkDependsOn(t *taskDefInput) error {
	for i, c := range t.req.ContainerDefinitions {
		for k, d := range c.DependsOn {
			path := containerField(i, fmt.Sprintf("dependsOn[%d]", k))
			if d.ContainerName == c.Name {
				return invalidField(path+".containerName", "must name another container; a container cannot depend on itself")
			}
			dep, ok := t.container(d.ContainerName)
			if !ok {
				return invalidField(path+".containerName", "names container '%s', which is not defined in this task definition", d.ContainerName)
			}
			essential := dep.Essential == nil || *dep.Essential
			switch d.Condition {
			case ecswire.ContainerConditionComplete, ecswire.ContainerConditionSuccess:
				if essential {
					return invalidField(path+".condition", "%s is not allowed because container '%s' is essential", d.Condition, d.ContainerName)
				}
			case ecswire.ContainerConditionHealthy:
				if dep.HealthCheck == nil {
					return invalidField(path+".condition", "HEALTHY requires container '%s' to define a healthCheck", d.ContainerName)
				}
			}
		}
	}
	return nil
}

// startEdge is a start-order dependency: container from waits for to.
type startEdge struct {
	to   int
	path string
}

// startEdges collects the start-order dependencies per container: dependsOn,
// links and volumesFrom all make a container start after another.
func startEdges(t *taskDefInput) [][]startEdge {
	edges := make([][]startEdge, len(t.req.ContainerDefinitions))
	add := func(from int, name, path string) {
		if to, ok := t.byName[name]; ok {
			edges[from] = append(edges[from], startEdge{to, path})
		}
	}
	for i, c := range t.req.ContainerDefinitions {
		for k, d := range c.DependsOn {
			add(i, d.ContainerName, containerField(i, fmt.Sprintf("dependsOn[%d].containerName", k)))
		}
		for k, l := range c.Links {
			add(i, linkTarget(l), containerField(i, fmt.Sprintf("links[%d]", k)))
		}
		for k, v := range c.VolumesFrom {
			add(i, v.SourceContainer, containerField(i, fmt.Sprintf("volumesFrom[%d].sourceContainer", k)))
		}
	}
	return edges
}

// checkDependencyCycles rejects start-order cycles, which would leave the
// task waiting forever.
func checkDependencyCycles(t *taskDefInput) error {
	edges := startEdges(t)
	const (
		unvisited = iota
		visiting
		done
	)
	state := make([]int, len(edges))
	var stack []int
	var visit func(n int) error
	visit = func(n int) error {
		state[n] = visiting
		stack = append(stack, n)
		for _, e := range edges[n] {
			switch state[e.to] {
			case visiting:
				start := slices.Index(stack, e.to)
				names := make([]string, 0, len(stack)-start+1)
				for _, s := range stack[start:] {
					names = append(names, t.req.ContainerDefinitions[s].Name)
				}
				names = append(names, t.req.ContainerDefinitions[e.to].Name)
				return invalidField(e.path, "creates a dependency cycle: %s", strings.Join(names, " -> "))
			case unvisited:
				if err := visit(e.to); err != nil {
					return err
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = done
		return nil
	}
	for n := range edges {
		if state[n] == unvisited {
			if err := visit(n); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkTimeouts(t *taskDefInput) error {
	for i, c := range t.req.ContainerDefinitions {
		if c.StartTimeout != nil && *c.StartTimeout < 0 {
			return invalidField(containerField(i, "startTimeout"), "must not be negative")
		}
		if c.StopTimeout != nil && *c.StopTimeout < 0 {
			return invalidField(containerField(i, "stopTimeout"), "must not be negative")
		}
	}
	return nil
}

// --- volumes ----------------------------------------------------------------------------

func checkVolumes(t *taskDefInput) error {
	seen := make(map[string]int, len(t.req.Volumes))
	atLaunch := -1
	for i, v := range t.req.Volumes {
		path := fmt.Sprintf("volumes[%d]", i)
		if v.Name == "" {
			return invalidField(path+".name", "is required")
		}
		if !resourceNamePattern.MatchString(v.Name) {
			return invalidField(path+".name", nameRule)
		}
		if first, dup := seen[v.Name]; dup {
			return invalidField(path+".name", "duplicates the name of volumes[%d]; volume names must be unique", first)
		}
		seen[v.Name] = i
		if v.ConfiguredAtLaunch != nil && *v.ConfiguredAtLaunch {
			if atLaunch >= 0 {
				return invalidField(path+".configuredAtLaunch", "is already set on volumes[%d]; at most one volume can be configured at launch", atLaunch)
			}
			atLaunch = i
		}
	}
	return nil
}

func checkMountPoints(t *taskDefInput) error {
	for i, c := range t.req.ContainerDefinitions {
		paths := make(map[string]bool, len(c.MountPoints))
		for k, mp := range c.MountPoints {
			path := containerField(i, fmt.Sprintf("mountPoints[%d]", k))
			if mp.SourceVolume == "" {
				return invalidField(path+".sourceVolume", "is required")
			}
			if !slices.ContainsFunc(t.req.Volumes, func(v ecswire.Volume) bool { return v.Name == mp.SourceVolume }) {
				return invalidField(path+".sourceVolume", "names volume '%s', which is not defined in the task definition's volumes", mp.SourceVolume)
			}
			if mp.ContainerPath == "" {
				return invalidField(path+".containerPath", "is required")
			}
			if paths[mp.ContainerPath] {
				return invalidField(path+".containerPath", "mounts %q more than once in this container", mp.ContainerPath)
			}
			paths[mp.ContainerPath] = true
		}
	}
	return nil
}

func checkVolumesFrom(t *taskDefInput) error {
	for i, c := range t.req.ContainerDefinitions {
		for k, vf := range c.VolumesFrom {
			path := containerField(i, fmt.Sprintf("volumesFrom[%d].sourceContainer", k))
			if vf.SourceContainer == "" {
				return invalidField(path, "is required")
			}
			if _, ok := t.container(vf.SourceContainer); !ok || vf.SourceContainer == c.Name {
				return invalidField(path, "must name another container of this task definition, got '%s'", vf.SourceContainer)
			}
		}
	}
	return nil
}

// --- container options -------------------------------------------------------------------

var ulimitNames = []ecswire.UlimitName{
	ecswire.UlimitNameCore, ecswire.UlimitNameCpu, ecswire.UlimitNameData, ecswire.UlimitNameFsize,
	ecswire.UlimitNameLocks, ecswire.UlimitNameMemlock, ecswire.UlimitNameMsgqueue, ecswire.UlimitNameNice,
	ecswire.UlimitNameNofile, ecswire.UlimitNameNproc, ecswire.UlimitNameRss, ecswire.UlimitNameRtprio,
	ecswire.UlimitNameRttime, ecswire.UlimitNameSigpending, ecswire.UlimitNameStack,
}

func checkUlimits(t *taskDefInput) error {
	for i, c := range t.req.ContainerDefinitions {
		seen := make(map[ecswire.UlimitName]bool, len(c.Ulimits))
		for k, u := range c.Ulimits {
			path := containerField(i, fmt.Sprintf("ulimits[%d]", k))
			if !slices.Contains(ulimitNames, u.Name) {
				return invalidField(path+".name", "'%s' is not a valid ulimit name", u.Name)
			}
			if seen[u.Name] {
				return invalidField(path+".name", "sets ulimit '%s' more than once", u.Name)
			}
			seen[u.Name] = true
			if u.SoftLimit > u.HardLimit {
				return invalidField(path+".softLimit", "(%d) must not exceed hardLimit (%d)", u.SoftLimit, u.HardLimit)
			}
		}
	}
	return nil
}

func checkEnvironment(t *taskDefInput) error {
	for i, c := range t.req.ContainerDefinitions {
		for k, kv := range c.Environment {
			if kv.Name == "" {
				return invalidField(containerField(i, fmt.Sprintf("environment[%d].name", k)), "is required")
			}
		}
		if len(c.EnvironmentFiles) > maxEnvironmentFiles {
			return invalidField(containerField(i, "environmentFiles"), "can have at most %d items", maxEnvironmentFiles)
		}
	}
	return nil
}

func checkLinuxParameters(t *taskDefInput) error {
	for i, c := range t.req.ContainerDefinitions {
		lp := c.LinuxParameters
		if lp == nil {
			continue
		}
		path := containerField(i, "linuxParameters")
		for k, fs := range lp.Tmpfs {
			p := fmt.Sprintf("%s.tmpfs[%d]", path, k)
			if fs.ContainerPath == "" {
				return invalidField(p+".containerPath", "is required")
			}
			if fs.Size <= 0 {
				return invalidField(p+".size", "must be greater than 0")
			}
		}
		if lp.SharedMemorySize != nil && *lp.SharedMemorySize <= 0 {
			return invalidField(path+".sharedMemorySize", "must be greater than 0")
		}
		if lp.MaxSwap != nil && *lp.MaxSwap < 0 {
			return invalidField(path+".maxSwap", "must not be negative")
		}
		if lp.Swappiness != nil && (*lp.Swappiness < 0 || *lp.Swappiness > 100) {
			return invalidField(path+".swappiness", "must be between 0 and 100")
		}
	}
	return nil
}

// --- task-level options -------------------------------------------------------------------

func checkPlacementConstraints(t *taskDefInput) error {
	pcs := t.req.PlacementConstraints
	if len(pcs) > maxTaskDefPlacementRules {
		return invalidField("placementConstraints", "can have at most %d items", maxTaskDefPlacementRules)
	}
	for i, pc := range pcs {
		path := fmt.Sprintf("placementConstraints[%d]", i)
		if pc.Type != ecswire.TaskDefinitionPlacementConstraintTypeMemberOf {
			return invalidField(path+".type", "must be memberOf")
		}
		if strings.TrimSpace(pc.Expression) == "" {
			return invalidField(path+".expression", "is required for a memberOf constraint")
		}
	}
	return nil
}

// checkSecretsExecutionRole: injecting secrets needs the task execution
// role.
func checkSecretsExecutionRole(t *taskDefInput) error {
	if t.req.ExecutionRoleArn != "" {
		return nil
	}
	for _, c := range t.req.ContainerDefinitions {
		if len(c.Secrets) > 0 || (c.LogConfiguration != nil && len(c.LogConfiguration.SecretOptions) > 0) {
			return clientError("When you are specifying container secrets, you must also specify a value for 'executionRoleArn'.")
		}
	}
	return nil
}

// ecrHostPattern matches private ECR registry hosts, e.g.
// 123456789012.dkr.ecr.eu-west-1.amazonaws.com.
var ecrHostPattern = regexp.MustCompile(`^[0-9]{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$`)

func isECRImage(image string) bool {
	host, _, ok := strings.Cut(image, "/")
	return ok && ecrHostPattern.MatchString(host)
}
