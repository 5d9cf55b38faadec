package taskrun

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/runtime"
)

// ECS Docker labels the ECS agent puts on every task container (ecs.md 3.6).
const (
	ecsLabelCluster       = "com.amazonaws.ecs.cluster"
	ecsLabelTaskARN       = "com.amazonaws.ecs.task-arn"
	ecsLabelContainerName = "com.amazonaws.ecs.container-name"
	ecsLabelFamily        = "com.amazonaws.ecs.task-definition-family"
	ecsLabelVersion       = "com.amazonaws.ecs.task-definition-version"
)

// pauseContainerName is the container name (label wharf.container-name) of
// an awsvpc task's pause container, as the ECS agent calls it.
const pauseContainerName = "~internal~ecs~pause"

// specOptions is what containerSpec needs beyond the task and its definition:
// facts the runner learned while running the task.
type specOptions struct {
	Region     string            // AWS_REGION / AWS_DEFAULT_REGION; "" sets neither
	Labels     map[string]string // extra labels (the agent's: cluster, data dir, instance)
	NameSuffix string            // random hex that makes the Docker names unique
	PauseID    string            // awsvpc: the pause container whose network namespace to join
	// RuntimeIDs are the Docker IDs of the task's containers created so far
	// (volumesFrom and links need their sources to exist).
	RuntimeIDs map[string]string
	// DockerNames are the Docker names of those containers (links).
	DockerNames map[string]string
	// ReadFile reads a local environment file.
	ReadFile func(path string) ([]byte, error)
	// StopTimeoutDefault applies to containers without stopTimeout.
	StopTimeoutDefault time.Duration
}

// specError is a mapping failure, already phrased as the ECS stoppedReason
// (e.g. "ResourceInitializationError: …").
type specError struct{ reason string }

func (e *specError) Error() string { return e.reason }

func specErrorf(format string, args ...any) error {
	return &specError{reason: fmt.Sprintf(format, args...)}
}

// dockerName is the Docker container name the ECS agent would use:
// ecs-<family>-<revision>-<container>-<hex>.
func dockerName(family string, revision int32, container, suffix string) string {
	return "ecs-" + sanitizeName(family) + "-" + strconv.Itoa(int(revision)) + "-" + sanitizeName(container) + "-" + suffix
}

var invalidNameChars = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

func sanitizeName(s string) string { return invalidNameChars.ReplaceAllString(s, "") }

// taskVolumeName is the Docker volume backing a task-scoped task volume.
func taskVolumeName(taskID, volume string) string {
	return "wharf-task-" + sanitizeName(taskID) + "-" + sanitizeName(volume)
}

// taskID is the last segment of a task ARN.
func taskID(task model.Task) string {
	if task.ID != "" {
		return task.ID
	}
	return task.ARN[strings.LastIndex(task.ARN, "/")+1:]
}

// containerSpec maps one ECS container definition, with the task's
// overrides, onto a runtime.ContainerSpec (ecs.md 2.4–2.9, 3.6). It is pure
// but for opts.ReadFile. Errors are *specError carrying the stoppedReason.
//
// Where ECS and a single Docker engine differ:
//   - task-level cpu becomes a NanoCPUs cap on every container (taskCPU/1024
//     CPUs each), task-level memory the hard limit of containers that set
//     none: Docker has no per-task cgroup here, so a one-container task is
//     capped exactly and a multi-container task per container;
//   - environmentFiles: only local files (file:///path or /path) can be
//     read; S3 ARNs fail the task with ResourceInitializationError;
//   - secrets: there is no Secrets Manager or SSM locally, so a container
//     with secrets fails with ResourceInitializationError rather than start
//     without them;
//   - awsvpc containers join the pause container's network namespace
//     (container:<id>) and publish nothing; hostname, dnsServers and
//     extraHosts are not applied there (Docker forbids them in that mode);
//   - disableNetworking switches the network mode to none;
//   - devices, maxSwap, swappiness, dockerSecurityOptions, systemControls,
//     interactive and pseudoTerminal have no runtime field and are ignored;
//   - logConfiguration does not change Docker's log driver (json-file):
//     awslogs output is captured from the engine's logs.
func containerSpec(task model.Task, td model.TaskDefinition, c model.ContainerDefinition, opts specOptions) (runtime.ContainerSpec, error) {
	ov := containerOverride(task, c.Name)
	spec := runtime.ContainerSpec{
		Name:       dockerName(td.Family, td.Revision, c.Name, opts.NameSuffix),
		Image:      c.Image,
		Entrypoint: slices.Clone(c.EntryPoint),
		Cmd:        slices.Clone(c.Command),
		WorkingDir: c.WorkingDirectory,
		User:       c.User,
	}
	if ov.Command != nil {
		spec.Cmd = slices.Clone(ov.Command)
	}
	if len(c.Secrets) > 0 {
		return runtime.ContainerSpec{}, specErrorf("ResourceInitializationError: unable to pull secrets or registry auth: secret %s (%s) cannot be fetched: Secrets Manager and SSM Parameter Store are not available locally", c.Secrets[0].Name, c.Secrets[0].ValueFrom)
	}
	env, err := containerEnv(c, ov, opts)
	if err != nil {
		return runtime.ContainerSpec{}, err
	}
	spec.Env = env
	spec.Labels = containerLabels(task, td, c, opts.Labels)

	// Resources (ecs.md 2.4, 2.5).
	cpu := c.CPU
	if ov.CPU != nil {
		cpu = *ov.CPU
	}
	spec.CPUShares = int64(cpu)
	if cpu <= 1 {
		spec.CPUShares = 2 // as the ECS agent does: Docker's minimum
	}
	if taskCPU := taskLevel(task.Overrides.CPU, task.CPU, td.CPU); taskCPU > 0 {
		spec.NanoCPUs = taskCPU * 1e9 / 1024
	}
	mem, memRes := c.Memory, c.MemoryReservation
	if ov.Memory != nil {
		mem = ov.Memory
	}
	if ov.MemoryReservation != nil {
		memRes = ov.MemoryReservation
	}
	if mem != nil && *mem > 0 {
		spec.MemoryBytes = int64(*mem) << 20
	} else if taskMem := taskLevel(task.Overrides.Memory, task.Memory, td.Memory); taskMem > 0 {
		spec.MemoryBytes = taskMem << 20
	}
	if memRes != nil && *memRes > 0 {
		spec.MemoryReservationBytes = int64(*memRes) << 20
	}
	for _, u := range c.Ulimits {
		spec.Ulimits = append(spec.Ulimits, runtime.Ulimit{Name: u.Name, Soft: int64(u.SoftLimit), Hard: int64(u.HardLimit)})
	}
	if lp := c.LinuxParameters; lp != nil {
		spec.Init = lp.InitProcessEnabled != nil && *lp.InitProcessEnabled
		if lp.Capabilities != nil {
			spec.CapAdd = slices.Clone(lp.Capabilities.Add)
			spec.CapDrop = slices.Clone(lp.Capabilities.Drop)
		}
		if lp.SharedMemorySize != nil {
			spec.ShmSizeBytes = int64(*lp.SharedMemorySize) << 20
		}
		for _, tm := range lp.Tmpfs {
			if spec.Tmpfs == nil {
				spec.Tmpfs = map[string]string{}
			}
			spec.Tmpfs[tm.ContainerPath] = strings.Join(append([]string{fmt.Sprintf("size=%dm", tm.Size)}, tm.MountOptions...), ",")
		}
	}
	spec.ReadonlyRootfs = isTrue(c.ReadonlyRootFilesystem)
	spec.Privileged = isTrue(c.Privileged)

	// Storage (ecs.md 2.9).
	if spec.Mounts, err = containerMounts(task, td, c); err != nil {
		return runtime.ContainerSpec{}, err
	}
	for _, vf := range c.VolumesFrom {
		id := opts.RuntimeIDs[vf.SourceContainer]
		if id == "" {
			return runtime.ContainerSpec{}, specErrorf("CannotCreateContainerError: volumesFrom: container %s of the task does not exist", vf.SourceContainer)
		}
		if isTrue(vf.ReadOnly) {
			id += ":ro"
		}
		spec.VolumesFrom = append(spec.VolumesFrom, id)
	}

	// Networking (ecs.md 2.6).
	mode := td.NetworkMode
	if mode == "" {
		mode = model.NetworkBridge
	}
	if isTrue(c.DisableNetworking) {
		mode = model.NetworkNone
	}
	switch mode {
	case model.NetworkAwsvpc:
		if opts.PauseID == "" {
			return runtime.ContainerSpec{}, specErrorf("ResourceInitializationError: the task's network namespace (pause container) does not exist")
		}
		spec.NetworkMode = "container:" + opts.PauseID
	case model.NetworkBridge:
		spec.NetworkMode = "bridge"
		if spec.PortBindings, err = portBindings(c.PortMappings); err != nil {
			return runtime.ContainerSpec{}, err
		}
		for _, l := range c.Links {
			name, alias, ok := strings.Cut(l, ":")
			if !ok {
				alias = name
			}
			target := opts.DockerNames[name]
			if target == "" {
				return runtime.ContainerSpec{}, specErrorf("CannotCreateContainerError: links: container %s of the task does not exist", name)
			}
			spec.Links = append(spec.Links, target+":"+alias)
		}
	case model.NetworkHost, model.NetworkNone:
		spec.NetworkMode = mode
	default:
		return runtime.ContainerSpec{}, specErrorf("CannotCreateContainerError: unsupported network mode %q", mode)
	}
	if mode != model.NetworkAwsvpc {
		spec.Hostname = c.Hostname
		spec.DNS = slices.Clone(c.DNSServers)
		spec.DNSSearch = slices.Clone(c.DNSSearchDomains)
		for _, h := range c.ExtraHosts {
			spec.ExtraHosts = append(spec.ExtraHosts, h.Hostname+":"+h.IPAddress)
		}
	}

	// Health and stopping (ecs.md 2.7, 2.8).
	if hc := c.HealthCheck; hc != nil {
		spec.Healthcheck = &runtime.Healthcheck{
			Test:        slices.Clone(hc.Command),
			Interval:    seconds(hc.Interval, model.HealthCheckDefaultInterval),
			Timeout:     seconds(hc.Timeout, model.HealthCheckDefaultTimeout),
			Retries:     int(hc.Retries),
			StartPeriod: time.Duration(hc.StartPeriod) * time.Second,
		}
		if spec.Healthcheck.Retries <= 0 {
			spec.Healthcheck.Retries = model.HealthCheckDefaultRetries
		}
	}
	spec.StopTimeout = stopTimeout(c, opts.StopTimeoutDefault)
	return spec, nil
}

// pauseSpec is the awsvpc pause container: it holds the task's network
// namespace on the awsvpc network.
func pauseSpec(task model.Task, td model.TaskDefinition, image, network, suffix string, extra map[string]string) runtime.ContainerSpec {
	c := model.ContainerDefinition{Name: pauseContainerName}
	return runtime.ContainerSpec{
		Name:        dockerName(td.Family, td.Revision, "internalecspause", suffix),
		Image:       image,
		Labels:      containerLabels(task, td, c, extra),
		NetworkMode: network,
		CPUShares:   2,
		StopTimeout: time.Second,
	}
}

func containerOverride(task model.Task, name string) model.ContainerOverride {
	for _, o := range task.Overrides.ContainerOverrides {
		if o.Name == name {
			return o
		}
	}
	return model.ContainerOverride{}
}

// containerLabels: dockerLabels, then the ECS labels, then wharf's, then
// the agent's extra labels; later ones win.
func containerLabels(task model.Task, td model.TaskDefinition, c model.ContainerDefinition, extra map[string]string) map[string]string {
	labels := maps.Clone(c.DockerLabels)
	if labels == nil {
		labels = map[string]string{}
	}
	cluster := task.ClusterARN
	if cluster == "" {
		cluster = task.ClusterName
	}
	labels[ecsLabelCluster] = cluster
	labels[ecsLabelTaskARN] = task.ARN
	labels[ecsLabelContainerName] = c.Name
	labels[ecsLabelFamily] = td.Family
	labels[ecsLabelVersion] = strconv.Itoa(int(td.Revision))
	labels[runtime.LabelTaskARN] = task.ARN
	labels[runtime.LabelContainerName] = c.Name
	if task.ClusterName != "" {
		labels[runtime.LabelCluster] = task.ClusterName
	}
	maps.Copy(labels, extra)
	return labels
}

// containerEnv merges, lowest priority first: environment files (in order),
// the definition's environment, the override's environment. The ECS
// runtime variables are added unless the container sets them itself.
// ECS_CONTAINER_METADATA_URI_V4 is not set: wharf has no metadata endpoint.
func containerEnv(c model.ContainerDefinition, ov model.ContainerOverride, opts specOptions) ([]string, error) {
	env := map[string]string{"AWS_EXECUTION_ENV": "AWS_ECS_EC2"}
	if opts.Region != "" {
		env["AWS_REGION"] = opts.Region
		env["AWS_DEFAULT_REGION"] = opts.Region
	}
	for _, f := range c.EnvironmentFiles {
		vars, err := readEnvFile(f, opts.ReadFile)
		if err != nil {
			return nil, err
		}
		maps.Copy(env, vars)
	}
	for _, kv := range c.Environment {
		env[kv.Name] = kv.Value
	}
	for _, kv := range ov.Environment {
		env[kv.Name] = kv.Value
	}
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out, nil
}

// readEnvFile reads an ECS environment file: KEY=VALUE lines; blank lines,
// lines starting with # and lines without = are skipped, as the ECS agent
// does.
func readEnvFile(f model.EnvironmentFile, readFile func(string) ([]byte, error)) (map[string]string, error) {
	path, local := strings.CutPrefix(f.Value, "file://")
	if !local && !strings.HasPrefix(f.Value, "/") {
		return nil, specErrorf("ResourceInitializationError: unable to pull secrets or registry auth: environment file %s cannot be fetched: S3 is not available locally", f.Value)
	}
	if readFile == nil {
		return nil, specErrorf("ResourceInitializationError: environment file %s cannot be read", f.Value)
	}
	data, err := readFile(path)
	if err != nil {
		return nil, specErrorf("ResourceInitializationError: environment file %s cannot be read: %v", f.Value, err)
	}
	vars := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok && k != "" {
			vars[k] = v
		}
	}
	return vars, nil
}

// containerMounts resolves mountPoints against the task's volumes:
// host.sourcePath → bind mount; host without sourcePath, a bare volume, or
// dockerVolumeConfiguration scope task → the task-scoped volume
// taskVolumeName (removed by Runner.Cleanup); scope shared → the named
// volume itself, kept.
func containerMounts(task model.Task, td model.TaskDefinition, c model.ContainerDefinition) ([]runtime.Mount, error) {
	var mounts []runtime.Mount
	for _, mp := range c.MountPoints {
		v, ok := taskVolume(td, mp.SourceVolume)
		if !ok {
			return nil, specErrorf("CannotCreateContainerError: mountPoints: volume %q is not defined in the task definition", mp.SourceVolume)
		}
		m := runtime.Mount{Target: mp.ContainerPath, ReadOnly: isTrue(mp.ReadOnly), Type: runtime.MountVolume}
		switch {
		case v.Host != nil && v.Host.SourcePath != "":
			m.Type, m.Source = runtime.MountBind, v.Host.SourcePath
		case v.DockerVolumeConfiguration != nil && v.DockerVolumeConfiguration.Scope == "shared":
			m.Source = v.Name
		case v.EFSVolumeConfiguration != nil || v.FSxWindowsFileServerVolumeConfiguration != nil || v.S3FilesVolumeConfiguration != nil:
			return nil, specErrorf("ResourceInitializationError: volume %s: EFS, FSx and S3 Files volumes are not available locally", v.Name)
		default:
			m.Source = taskVolumeName(taskID(task), v.Name)
		}
		mounts = append(mounts, m)
	}
	return mounts, nil
}

func taskVolume(td model.TaskDefinition, name string) (model.Volume, bool) {
	for _, v := range td.Volumes {
		if v.Name == name {
			return v, true
		}
	}
	return model.Volume{}, false
}

// taskScopedVolumes lists the Docker volumes that live and die with the task.
func taskScopedVolumes(task model.Task, td model.TaskDefinition) []string {
	var out []string
	for _, v := range td.Volumes {
		switch {
		case v.Host != nil && v.Host.SourcePath != "":
		case v.DockerVolumeConfiguration != nil && v.DockerVolumeConfiguration.Scope == "shared":
		case v.EFSVolumeConfiguration != nil || v.FSxWindowsFileServerVolumeConfiguration != nil || v.S3FilesVolumeConfiguration != nil:
		default:
			out = append(out, taskVolumeName(taskID(task), v.Name))
		}
	}
	return out
}

// portBindings maps bridge-mode port mappings; hostPort 0 or absent is a
// dynamic port. A containerPortRange publishes every port of the range on
// dynamic host ports.
func portBindings(pms []model.PortMapping) ([]runtime.PortBinding, error) {
	var out []runtime.PortBinding
	for _, pm := range pms {
		proto := runtime.Protocol(strings.ToLower(pm.Protocol))
		if proto == "" {
			proto = runtime.TCP
		}
		if pm.ContainerPortRange != "" && pm.ContainerPort == nil {
			lo, hi, err := parseRange(pm.ContainerPortRange)
			if err != nil {
				return nil, specErrorf("CannotCreateContainerError: portMappings: %v", err)
			}
			for p := lo; p <= hi; p++ {
				out = append(out, runtime.PortBinding{ContainerPort: uint16(p), Protocol: proto})
			}
			continue
		}
		if pm.ContainerPort == nil || *pm.ContainerPort <= 0 || *pm.ContainerPort > 65535 {
			return nil, specErrorf("CannotCreateContainerError: portMappings: invalid containerPort")
		}
		pb := runtime.PortBinding{ContainerPort: uint16(*pm.ContainerPort), Protocol: proto}
		if pm.HostPort != nil && *pm.HostPort > 0 && *pm.HostPort <= 65535 {
			pb.HostPort = uint16(*pm.HostPort)
		}
		out = append(out, pb)
	}
	return out, nil
}

func parseRange(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "-")
	lo, err1 := strconv.Atoi(a)
	hi, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || lo <= 0 || hi > 65535 || lo > hi {
		return 0, 0, fmt.Errorf("invalid containerPortRange %q", s)
	}
	return lo, hi, nil
}

func stopTimeout(c model.ContainerDefinition, def time.Duration) time.Duration {
	if c.StopTimeout != nil && *c.StopTimeout > 0 {
		return time.Duration(*c.StopTimeout) * time.Second
	}
	if def <= 0 {
		return 30 * time.Second
	}
	return def
}

// taskLevel returns the first of the given numeric task-level values that is
// set (override, task, definition), 0 if none is.
func taskLevel(values ...string) int64 {
	for _, v := range values {
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && n > 0 {
			return n
		}
	}
	return 0
}

func seconds(v, def int32) time.Duration {
	if v <= 0 {
		v = def
	}
	return time.Duration(v) * time.Second
}

func isTrue(b *bool) bool { return b != nil && *b }
