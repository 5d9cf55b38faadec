package ecs

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/wharfhq/wharf/internal/api/awsjson"
	"github.com/wharfhq/wharf/internal/api/ecs/ecswire"
	"github.com/wharfhq/wharf/internal/model"
)

// taskDefFromWire converts a validated RegisterTaskDefinition request to the
// domain model, filling in what ECS computes on registration (ecs.md §2.2):
// the network mode, essential and protocol defaults, host ports under
// awsvpc/host, health check defaults, normalised cpu/memory,
// compatibilities and requiresAttributes. The server sets ARN, revision,
// status, registeredAt/By; the handler converts tags.
func taskDefFromWire(in *ecswire.RegisterTaskDefinitionRequest) (model.TaskDefinition, error) {
	t := newTaskDefInput(in)
	if err := checkTaskSizeFormat(t); err != nil {
		return model.TaskDefinition{}, err
	}
	td := model.TaskDefinition{
		Family:                  in.Family,
		NetworkMode:             string(t.mode),
		RequiresCompatibilities: stringsOf(in.RequiresCompatibilities),
		Compatibilities:         compatibilities(t),
		RequiresAttributes:      requiredAttributes(t),
		TaskRoleARN:             in.TaskRoleArn,
		ExecutionRoleARN:        in.ExecutionRoleArn,
		PidMode:                 string(in.PidMode),
		IpcMode:                 string(in.IpcMode),
		RuntimePlatform:         passthrough(in.RuntimePlatform),
		EphemeralStorage:        passthrough(in.EphemeralStorage),
		ProxyConfiguration:      passthrough(in.ProxyConfiguration),
		InferenceAccelerators:   passthroughList(in.InferenceAccelerators),
		EnableFaultInjection:    clonePtr(in.EnableFaultInjection),
	}
	if t.cpu != 0 {
		td.CPU = strconv.FormatInt(t.cpu, 10)
	}
	if t.memory != 0 {
		td.Memory = strconv.FormatInt(t.memory, 10)
	}
	for i := range in.ContainerDefinitions {
		td.ContainerDefinitions = append(td.ContainerDefinitions, containerFromWire(&in.ContainerDefinitions[i], t.mode))
	}
	for i := range in.Volumes {
		td.Volumes = append(td.Volumes, volumeFromWire(&in.Volumes[i]))
	}
	for _, pc := range in.PlacementConstraints {
		td.PlacementConstraints = append(td.PlacementConstraints, model.PlacementConstraint{Type: string(pc.Type), Expression: pc.Expression})
	}
	return td, nil
}

// compatibilities lists the launch types the task definition can run on, in
// the order ECS shows them: bridge/host/none → EXTERNAL, EC2; awsvpc → EC2,
// plus FARGATE when the definition passes the Fargate rules.
func compatibilities(t *taskDefInput) []string {
	if t.mode != ecswire.NetworkModeAwsvpc {
		return []string{string(ecswire.CompatibilityExternal), string(ecswire.CompatibilityEc2)}
	}
	out := []string{string(ecswire.CompatibilityEc2)}
	if fargateViolation(t) == nil {
		out = append(out, string(ecswire.CompatibilityFargate))
	}
	return out
}

// Capability attributes a container instance needs for the features a task
// definition uses (ecs.md §2.2).
const (
	capPrefix             = "com.amazonaws.ecs.capability."
	capDockerAPI118       = capPrefix + "docker-remote-api.1.18"
	capDockerAPI119       = capPrefix + "docker-remote-api.1.19"
	capLoggingDriver      = capPrefix + "logging-driver."
	capECRAuth            = capPrefix + "ecr-auth"
	capTaskIAMRole        = capPrefix + "task-iam-role"
	capExecRoleAwslogs    = "ecs.capability.execution-role-awslogs"
	capExecRoleECRPull    = "ecs.capability.execution-role-ecr-pull"
	capContainerOrdering  = "ecs.capability.container-ordering"
	capHealthCheck        = "ecs.capability.container-health-check"
	capSecretsSSM         = "ecs.capability.secrets.ssm.environment-variables"
	capSecretsASM         = "ecs.capability.secrets.asm.environment-variables"
	capTaskENI            = "ecs.capability.task-eni"
	secretsManagerService = ":secretsmanager:"
)

// requiredAttributes derives requiresAttributes from the features used,
// sorted by name.
func requiredAttributes(t *taskDefInput) []model.Attribute {
	in := t.req
	set := map[string]bool{}
	if in.TaskRoleArn != "" {
		set[capTaskIAMRole] = true
	}
	if t.mode == ecswire.NetworkModeAwsvpc {
		set[capTaskENI] = true
	}
	for _, c := range in.ContainerDefinitions {
		if lc := c.LogConfiguration; lc != nil && lc.LogDriver != "" {
			set[capLoggingDriver+string(lc.LogDriver)] = true
			if lc.LogDriver == ecswire.LogDriverAwslogs {
				set[capDockerAPI119] = true
				if in.ExecutionRoleArn != "" {
					set[capExecRoleAwslogs] = true
				}
			}
		}
		if isECRImage(c.Image) {
			set[capECRAuth] = true
			if in.ExecutionRoleArn != "" {
				set[capExecRoleECRPull] = true
			}
		}
		if len(c.DependsOn) > 0 || c.StartTimeout != nil || c.StopTimeout != nil {
			set[capContainerOrdering] = true
		}
		if c.HealthCheck != nil {
			set[capHealthCheck] = true
		}
		for _, s := range c.Secrets {
			if strings.Contains(s.ValueFrom, secretsManagerService) {
				set[capSecretsASM] = true
			} else {
				set[capSecretsSSM] = true
			}
		}
		if len(c.DockerLabels) > 0 || len(c.Ulimits) > 0 {
			set[capDockerAPI118] = true
		}
	}
	if len(set) == 0 {
		return nil
	}
	names := slices.Sorted(maps.Keys(set))
	out := make([]model.Attribute, len(names))
	for i, n := range names {
		out[i] = model.Attribute{Name: n}
	}
	return out
}

func containerFromWire(c *ecswire.ContainerDefinition, mode ecswire.NetworkMode) model.ContainerDefinition {
	out := model.ContainerDefinition{
		Name:                   c.Name,
		Image:                  c.Image,
		Essential:              c.Essential == nil || *c.Essential,
		CPU:                    c.Cpu,
		Memory:                 clonePtr(c.Memory),
		MemoryReservation:      clonePtr(c.MemoryReservation),
		Links:                  slices.Clone(c.Links),
		EntryPoint:             slices.Clone(c.EntryPoint),
		Command:                slices.Clone(c.Command),
		WorkingDirectory:       c.WorkingDirectory,
		User:                   c.User,
		Hostname:               c.Hostname,
		StartTimeout:           clonePtr(c.StartTimeout),
		StopTimeout:            clonePtr(c.StopTimeout),
		Privileged:             clonePtr(c.Privileged),
		ReadonlyRootFilesystem: clonePtr(c.ReadonlyRootFilesystem),
		DisableNetworking:      clonePtr(c.DisableNetworking),
		Interactive:            clonePtr(c.Interactive),
		PseudoTerminal:         clonePtr(c.PseudoTerminal),
		DNSServers:             slices.Clone(c.DnsServers),
		DNSSearchDomains:       slices.Clone(c.DnsSearchDomains),
		DockerLabels:           maps.Clone(c.DockerLabels),
		DockerSecurityOptions:  slices.Clone(c.DockerSecurityOptions),
		RepositoryCredentials:  passthrough(c.RepositoryCredentials),
		ResourceRequirements:   passthroughList(c.ResourceRequirements),
		FirelensConfiguration:  passthrough(c.FirelensConfiguration),
		CredentialSpecs:        passthroughList(c.CredentialSpecs),
		RestartPolicy:          passthrough(c.RestartPolicy),
		VersionConsistency:     string(c.VersionConsistency),
	}
	for _, pm := range c.PortMappings {
		out.PortMappings = append(out.PortMappings, portMappingFromWire(pm, mode))
	}
	for _, kv := range c.Environment {
		out.Environment = append(out.Environment, model.KeyValue{Name: kv.Name, Value: kv.Value})
	}
	for _, f := range c.EnvironmentFiles {
		out.EnvironmentFiles = append(out.EnvironmentFiles, model.EnvironmentFile{Value: f.Value, Type: string(f.Type)})
	}
	out.Secrets = secretsFromWire(c.Secrets)
	for _, mp := range c.MountPoints {
		out.MountPoints = append(out.MountPoints, model.MountPoint{SourceVolume: mp.SourceVolume, ContainerPath: mp.ContainerPath, ReadOnly: clonePtr(mp.ReadOnly)})
	}
	for _, vf := range c.VolumesFrom {
		out.VolumesFrom = append(out.VolumesFrom, model.VolumeFrom{SourceContainer: vf.SourceContainer, ReadOnly: clonePtr(vf.ReadOnly)})
	}
	for _, d := range c.DependsOn {
		out.DependsOn = append(out.DependsOn, model.ContainerDependency{ContainerName: d.ContainerName, Condition: string(d.Condition)})
	}
	if hc := c.HealthCheck; hc != nil {
		out.HealthCheck = &model.HealthCheck{
			Command:     slices.Clone(hc.Command),
			Interval:    valueOr(hc.Interval, model.HealthCheckDefaultInterval),
			Timeout:     valueOr(hc.Timeout, model.HealthCheckDefaultTimeout),
			Retries:     valueOr(hc.Retries, model.HealthCheckDefaultRetries),
			StartPeriod: valueOr(hc.StartPeriod, 0),
		}
	}
	out.LinuxParameters = linuxParametersFromWire(c.LinuxParameters)
	for _, u := range c.Ulimits {
		out.Ulimits = append(out.Ulimits, model.Ulimit{Name: string(u.Name), SoftLimit: u.SoftLimit, HardLimit: u.HardLimit})
	}
	for _, h := range c.ExtraHosts {
		out.ExtraHosts = append(out.ExtraHosts, model.HostEntry{Hostname: h.Hostname, IPAddress: h.IpAddress})
	}
	for _, sc := range c.SystemControls {
		out.SystemControls = append(out.SystemControls, model.SystemControl{Namespace: sc.Namespace, Value: sc.Value})
	}
	if lc := c.LogConfiguration; lc != nil {
		out.LogConfiguration = &model.LogConfiguration{
			LogDriver:     string(lc.LogDriver),
			Options:       maps.Clone(lc.Options),
			SecretOptions: secretsFromWire(lc.SecretOptions),
		}
	}
	return out
}

// portMappingFromWire applies ECS's defaults: protocol tcp and, with awsvpc
// or host networking, hostPort = containerPort.
func portMappingFromWire(pm ecswire.PortMapping, mode ecswire.NetworkMode) model.PortMapping {
	out := model.PortMapping{
		ContainerPort:      clonePtr(pm.ContainerPort),
		HostPort:           clonePtr(pm.HostPort),
		Protocol:           string(mappingProtocol(&pm)),
		Name:               pm.Name,
		AppProtocol:        string(pm.AppProtocol),
		ContainerPortRange: pm.ContainerPortRange,
	}
	if out.HostPort == nil && out.ContainerPort != nil && (mode == ecswire.NetworkModeAwsvpc || mode == ecswire.NetworkModeHost) {
		out.HostPort = clonePtr(out.ContainerPort)
	}
	return out
}

func secretsFromWire(in []ecswire.Secret) []model.Secret {
	var out []model.Secret
	for _, s := range in {
		out = append(out, model.Secret{Name: s.Name, ValueFrom: s.ValueFrom})
	}
	return out
}

func linuxParametersFromWire(lp *ecswire.LinuxParameters) *model.LinuxParameters {
	if lp == nil {
		return nil
	}
	out := &model.LinuxParameters{
		InitProcessEnabled: clonePtr(lp.InitProcessEnabled),
		SharedMemorySize:   clonePtr(lp.SharedMemorySize),
		MaxSwap:            clonePtr(lp.MaxSwap),
		Swappiness:         clonePtr(lp.Swappiness),
	}
	if lp.Capabilities != nil {
		out.Capabilities = &model.Capabilities{Add: slices.Clone(lp.Capabilities.Add), Drop: slices.Clone(lp.Capabilities.Drop)}
	}
	for _, d := range lp.Devices {
		out.Devices = append(out.Devices, model.Device{HostPath: d.HostPath, ContainerPath: d.ContainerPath, Permissions: stringsOf(d.Permissions)})
	}
	for _, fs := range lp.Tmpfs {
		out.Tmpfs = append(out.Tmpfs, model.Tmpfs{ContainerPath: fs.ContainerPath, Size: fs.Size, MountOptions: slices.Clone(fs.MountOptions)})
	}
	return out
}

func volumeFromWire(v *ecswire.Volume) model.Volume {
	out := model.Volume{
		Name:                                    v.Name,
		ConfiguredAtLaunch:                      clonePtr(v.ConfiguredAtLaunch),
		EFSVolumeConfiguration:                  passthrough(v.EfsVolumeConfiguration),
		FSxWindowsFileServerVolumeConfiguration: passthrough(v.FsxWindowsFileServerVolumeConfiguration),
		S3FilesVolumeConfiguration:              passthrough(v.S3filesVolumeConfiguration),
	}
	if v.Host != nil {
		out.Host = &model.HostVolume{SourcePath: v.Host.SourcePath}
	}
	if dv := v.DockerVolumeConfiguration; dv != nil {
		out.DockerVolumeConfiguration = &model.DockerVolumeConfiguration{
			Scope:         string(dv.Scope),
			Autoprovision: clonePtr(dv.Autoprovision),
			Driver:        dv.Driver,
			DriverOpts:    maps.Clone(dv.DriverOpts),
			Labels:        maps.Clone(dv.Labels),
		}
	}
	return out
}

// taskDefToWire converts a stored revision to the TaskDefinition shape of
// Describe/Register/Deregister responses. Tags are not part of the shape.
func taskDefToWire(td *model.TaskDefinition) *ecswire.TaskDefinition {
	out := &ecswire.TaskDefinition{
		TaskDefinitionArn:       td.ARN,
		Family:                  td.Family,
		Revision:                td.Revision,
		Status:                  ecswire.TaskDefinitionStatus(td.Status),
		NetworkMode:             ecswire.NetworkMode(td.NetworkMode),
		Cpu:                     td.CPU,
		Memory:                  td.Memory,
		RequiresCompatibilities: enumsOf[ecswire.Compatibility](td.RequiresCompatibilities),
		Compatibilities:         enumsOf[ecswire.Compatibility](td.Compatibilities),
		TaskRoleArn:             td.TaskRoleARN,
		ExecutionRoleArn:        td.ExecutionRoleARN,
		PidMode:                 ecswire.PidMode(td.PidMode),
		IpcMode:                 ecswire.IpcMode(td.IpcMode),
		RuntimePlatform:         fromPassthrough[ecswire.RuntimePlatform](td.RuntimePlatform),
		EphemeralStorage:        fromPassthrough[ecswire.EphemeralStorage](td.EphemeralStorage),
		ProxyConfiguration:      fromPassthrough[ecswire.ProxyConfiguration](td.ProxyConfiguration),
		InferenceAccelerators:   fromPassthroughList[ecswire.InferenceAccelerator](td.InferenceAccelerators),
		EnableFaultInjection:    clonePtr(td.EnableFaultInjection),
		RegisteredAt:            awsjson.NewTimestamp(td.RegisteredAt),
		RegisteredBy:            td.RegisteredBy,
		DeregisteredAt:          awsjson.NewTimestamp(td.DeregisteredAt),
		DeleteRequestedAt:       awsjson.NewTimestamp(td.DeleteRequestedAt),
	}
	for _, a := range td.RequiresAttributes {
		out.RequiresAttributes = append(out.RequiresAttributes, ecswire.Attribute{Name: a.Name, Value: a.Value})
	}
	for _, pc := range td.PlacementConstraints {
		out.PlacementConstraints = append(out.PlacementConstraints, ecswire.TaskDefinitionPlacementConstraint{
			Type: ecswire.TaskDefinitionPlacementConstraintType(pc.Type), Expression: pc.Expression})
	}
	for i := range td.ContainerDefinitions {
		out.ContainerDefinitions = append(out.ContainerDefinitions, containerToWire(&td.ContainerDefinitions[i]))
	}
	for i := range td.Volumes {
		out.Volumes = append(out.Volumes, volumeToWire(&td.Volumes[i]))
	}
	return out
}

func containerToWire(c *model.ContainerDefinition) ecswire.ContainerDefinition {
	essential := c.Essential
	out := ecswire.ContainerDefinition{
		Name:                   c.Name,
		Image:                  c.Image,
		Essential:              &essential,
		Cpu:                    c.CPU,
		Memory:                 clonePtr(c.Memory),
		MemoryReservation:      clonePtr(c.MemoryReservation),
		Links:                  slices.Clone(c.Links),
		EntryPoint:             slices.Clone(c.EntryPoint),
		Command:                slices.Clone(c.Command),
		WorkingDirectory:       c.WorkingDirectory,
		User:                   c.User,
		Hostname:               c.Hostname,
		StartTimeout:           clonePtr(c.StartTimeout),
		StopTimeout:            clonePtr(c.StopTimeout),
		Privileged:             clonePtr(c.Privileged),
		ReadonlyRootFilesystem: clonePtr(c.ReadonlyRootFilesystem),
		DisableNetworking:      clonePtr(c.DisableNetworking),
		Interactive:            clonePtr(c.Interactive),
		PseudoTerminal:         clonePtr(c.PseudoTerminal),
		DnsServers:             slices.Clone(c.DNSServers),
		DnsSearchDomains:       slices.Clone(c.DNSSearchDomains),
		DockerLabels:           maps.Clone(c.DockerLabels),
		DockerSecurityOptions:  slices.Clone(c.DockerSecurityOptions),
		RepositoryCredentials:  fromPassthrough[ecswire.RepositoryCredentials](c.RepositoryCredentials),
		ResourceRequirements:   fromPassthroughList[ecswire.ResourceRequirement](c.ResourceRequirements),
		FirelensConfiguration:  fromPassthrough[ecswire.FirelensConfiguration](c.FirelensConfiguration),
		CredentialSpecs:        fromPassthroughList[string](c.CredentialSpecs),
		RestartPolicy:          fromPassthrough[ecswire.ContainerRestartPolicy](c.RestartPolicy),
		VersionConsistency:     ecswire.VersionConsistency(c.VersionConsistency),
	}
	for _, pm := range c.PortMappings {
		out.PortMappings = append(out.PortMappings, ecswire.PortMapping{
			ContainerPort:      clonePtr(pm.ContainerPort),
			HostPort:           clonePtr(pm.HostPort),
			Protocol:           ecswire.TransportProtocol(pm.Protocol),
			Name:               pm.Name,
			AppProtocol:        ecswire.ApplicationProtocol(pm.AppProtocol),
			ContainerPortRange: pm.ContainerPortRange,
		})
	}
	for _, kv := range c.Environment {
		out.Environment = append(out.Environment, ecswire.KeyValuePair{Name: kv.Name, Value: kv.Value})
	}
	for _, f := range c.EnvironmentFiles {
		out.EnvironmentFiles = append(out.EnvironmentFiles, ecswire.EnvironmentFile{Value: f.Value, Type: ecswire.EnvironmentFileType(f.Type)})
	}
	out.Secrets = secretsToWire(c.Secrets)
	for _, mp := range c.MountPoints {
		out.MountPoints = append(out.MountPoints, ecswire.MountPoint{SourceVolume: mp.SourceVolume, ContainerPath: mp.ContainerPath, ReadOnly: clonePtr(mp.ReadOnly)})
	}
	for _, vf := range c.VolumesFrom {
		out.VolumesFrom = append(out.VolumesFrom, ecswire.VolumeFrom{SourceContainer: vf.SourceContainer, ReadOnly: clonePtr(vf.ReadOnly)})
	}
	for _, d := range c.DependsOn {
		out.DependsOn = append(out.DependsOn, ecswire.ContainerDependency{ContainerName: d.ContainerName, Condition: ecswire.ContainerCondition(d.Condition)})
	}
	if hc := c.HealthCheck; hc != nil {
		out.HealthCheck = &ecswire.HealthCheck{
			Command:  slices.Clone(hc.Command),
			Interval: clonePtr(&hc.Interval),
			Timeout:  clonePtr(&hc.Timeout),
			Retries:  clonePtr(&hc.Retries),
		}
		if hc.StartPeriod != 0 {
			out.HealthCheck.StartPeriod = clonePtr(&hc.StartPeriod)
		}
	}
	out.LinuxParameters = linuxParametersToWire(c.LinuxParameters)
	for _, u := range c.Ulimits {
		out.Ulimits = append(out.Ulimits, ecswire.Ulimit{Name: ecswire.UlimitName(u.Name), SoftLimit: u.SoftLimit, HardLimit: u.HardLimit})
	}
	for _, h := range c.ExtraHosts {
		out.ExtraHosts = append(out.ExtraHosts, ecswire.HostEntry{Hostname: h.Hostname, IpAddress: h.IPAddress})
	}
	for _, sc := range c.SystemControls {
		out.SystemControls = append(out.SystemControls, ecswire.SystemControl{Namespace: sc.Namespace, Value: sc.Value})
	}
	if lc := c.LogConfiguration; lc != nil {
		out.LogConfiguration = &ecswire.LogConfiguration{
			LogDriver:     ecswire.LogDriver(lc.LogDriver),
			Options:       maps.Clone(lc.Options),
			SecretOptions: secretsToWire(lc.SecretOptions),
		}
	}
	return out
}

func secretsToWire(in []model.Secret) []ecswire.Secret {
	var out []ecswire.Secret
	for _, s := range in {
		out = append(out, ecswire.Secret{Name: s.Name, ValueFrom: s.ValueFrom})
	}
	return out
}

func linuxParametersToWire(lp *model.LinuxParameters) *ecswire.LinuxParameters {
	if lp == nil {
		return nil
	}
	out := &ecswire.LinuxParameters{
		InitProcessEnabled: clonePtr(lp.InitProcessEnabled),
		SharedMemorySize:   clonePtr(lp.SharedMemorySize),
		MaxSwap:            clonePtr(lp.MaxSwap),
		Swappiness:         clonePtr(lp.Swappiness),
	}
	if lp.Capabilities != nil {
		out.Capabilities = &ecswire.KernelCapabilities{Add: slices.Clone(lp.Capabilities.Add), Drop: slices.Clone(lp.Capabilities.Drop)}
	}
	for _, d := range lp.Devices {
		out.Devices = append(out.Devices, ecswire.Device{HostPath: d.HostPath, ContainerPath: d.ContainerPath,
			Permissions: enumsOf[ecswire.DeviceCgroupPermission](d.Permissions)})
	}
	for _, fs := range lp.Tmpfs {
		out.Tmpfs = append(out.Tmpfs, ecswire.Tmpfs{ContainerPath: fs.ContainerPath, Size: fs.Size, MountOptions: slices.Clone(fs.MountOptions)})
	}
	return out
}

func volumeToWire(v *model.Volume) ecswire.Volume {
	out := ecswire.Volume{
		Name:                                    v.Name,
		ConfiguredAtLaunch:                      clonePtr(v.ConfiguredAtLaunch),
		EfsVolumeConfiguration:                  fromPassthrough[ecswire.EFSVolumeConfiguration](v.EFSVolumeConfiguration),
		FsxWindowsFileServerVolumeConfiguration: fromPassthrough[ecswire.FSxWindowsFileServerVolumeConfiguration](v.FSxWindowsFileServerVolumeConfiguration),
		S3filesVolumeConfiguration:              fromPassthrough[ecswire.S3FilesVolumeConfiguration](v.S3FilesVolumeConfiguration),
	}
	if v.Host != nil {
		out.Host = &ecswire.HostVolumeProperties{SourcePath: v.Host.SourcePath}
	}
	if dv := v.DockerVolumeConfiguration; dv != nil {
		out.DockerVolumeConfiguration = &ecswire.DockerVolumeConfiguration{
			Scope:         ecswire.Scope(dv.Scope),
			Autoprovision: clonePtr(dv.Autoprovision),
			Driver:        dv.Driver,
			DriverOpts:    maps.Clone(dv.DriverOpts),
			Labels:        maps.Clone(dv.Labels),
		}
	}
	return out
}

// --- helpers -------------------------------------------------------------------

// passthroughList stores a wire list verbatim (nil stays nil).
func passthroughList[T any](v []T) model.Passthrough {
	if v == nil {
		return nil
	}
	buf, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return buf
}

// fromPassthrough decodes a value stored by passthrough. Passthroughs are
// only ever written from the same wire type, so a decode failure means the
// stored revision predates a model change; the member is then left out
// rather than failing the whole response.
func fromPassthrough[T any](p model.Passthrough) *T {
	if len(p) == 0 || string(p) == "null" {
		return nil
	}
	v := new(T)
	if err := json.Unmarshal(p, v); err != nil {
		return nil
	}
	return v
}

// fromPassthroughList decodes a list stored by passthroughList.
func fromPassthroughList[T any](p model.Passthrough) []T {
	if len(p) == 0 || string(p) == "null" {
		return nil
	}
	var v []T
	if err := json.Unmarshal(p, &v); err != nil {
		return nil
	}
	return v
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func valueOr(p *int32, def int32) int32 {
	if p == nil {
		return def
	}
	return *p
}

func stringsOf[S ~string](in []S) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = string(s)
	}
	return out
}

func enumsOf[S ~string](in []string) []S {
	if in == nil {
		return nil
	}
	out := make([]S, len(in))
	for i, s := range in {
		out[i] = S(s)
	}
	return out
}
