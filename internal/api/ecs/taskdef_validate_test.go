package ecs

import (
	"fmt"
	"strings"
	"testing"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/ecs/ecswire"
)

func i32(v int32) *int32 { return &v }
func boolp(v bool) *bool { return &v }

// ec2BridgeTaskDef is a valid EC2 task definition in the default (bridge)
// network mode with two containers.
func ec2BridgeTaskDef() *ecswire.RegisterTaskDefinitionRequest {
	return &ecswire.RegisterTaskDefinitionRequest{
		Family: "web",
		ContainerDefinitions: []ecswire.ContainerDefinition{
			{
				Name: "app", Image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1.2",
				Cpu: 256, Memory: i32(512), MemoryReservation: i32(256),
				PortMappings: []ecswire.PortMapping{{ContainerPort: i32(8080)}, {ContainerPort: i32(8080), Protocol: ecswire.TransportProtocolUdp}},
				Links:        []string{"cache:redis"},
				HealthCheck:  &ecswire.HealthCheck{Command: []string{"CMD-SHELL", "curl -f http://localhost:8080/ || exit 1"}},
			},
			{Name: "cache", Image: "redis:7", Memory: i32(128), PortMappings: []ecswire.PortMapping{{ContainerPort: i32(6379), HostPort: i32(6379)}}},
		},
	}
}

// fargateTaskDef is a valid awsvpc task definition that requires FARGATE.
func fargateTaskDef() *ecswire.RegisterTaskDefinitionRequest {
	return &ecswire.RegisterTaskDefinitionRequest{
		Family:                  "api",
		NetworkMode:             ecswire.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecswire.Compatibility{ecswire.CompatibilityFargate},
		Cpu:                     "0.5 vCPU",
		Memory:                  "1GB",
		ExecutionRoleArn:        "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
		ContainerDefinitions: []ecswire.ContainerDefinition{{
			Name: "api", Image: "public.ecr.aws/nginx/nginx:1.27",
			PortMappings: []ecswire.PortMapping{{ContainerPort: i32(80)}, {ContainerPortRange: "9000-9010"}},
			LogConfiguration: &ecswire.LogConfiguration{LogDriver: ecswire.LogDriverAwslogs,
				Options: map[string]string{"awslogs-group": "/ecs/api", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "api"}},
			StopTimeout: i32(60),
		}},
	}
}

// hostTaskDef is a valid host-network task definition with task-level memory.
func hostTaskDef() *ecswire.RegisterTaskDefinitionRequest {
	return &ecswire.RegisterTaskDefinitionRequest{
		Family:      "agent",
		NetworkMode: ecswire.NetworkModeHost,
		Memory:      "256",
		Cpu:         "128",
		ContainerDefinitions: []ecswire.ContainerDefinition{{
			Name: "agent", Image: "registry.local:5000/team/agent@sha256:" + strings.Repeat("ab", 32),
			PortMappings: []ecswire.PortMapping{{ContainerPort: i32(9100), HostPort: i32(9100)}},
			Hostname:     "agent", ExtraHosts: []ecswire.HostEntry{{Hostname: "db", IpAddress: "10.0.0.5"}},
		}},
	}
}

// multiContainerTaskDef is a valid bridge task definition using dependsOn,
// volumes, volumesFrom, ulimits and linuxParameters.
func multiContainerTaskDef() *ecswire.RegisterTaskDefinitionRequest {
	return &ecswire.RegisterTaskDefinitionRequest{
		Family: "stack",
		Memory: "1024",
		Volumes: []ecswire.Volume{
			{Name: "data", Host: &ecswire.HostVolumeProperties{SourcePath: "/srv/data"}},
			{Name: "scratch", Host: &ecswire.HostVolumeProperties{}},
			{Name: "shared", DockerVolumeConfiguration: &ecswire.DockerVolumeConfiguration{Scope: ecswire.ScopeShared, Autoprovision: boolp(true)}},
		},
		PlacementConstraints: []ecswire.TaskDefinitionPlacementConstraint{{Type: ecswire.TaskDefinitionPlacementConstraintTypeMemberOf, Expression: "attribute:ecs.os-type == linux"}},
		ContainerDefinitions: []ecswire.ContainerDefinition{
			{Name: "init", Image: "busybox", Essential: boolp(false), Command: []string{"sh", "-c", "echo ready"},
				MountPoints: []ecswire.MountPoint{{SourceVolume: "data", ContainerPath: "/data"}}},
			{Name: "db", Image: "postgres:16", MemoryReservation: i32(256),
				HealthCheck: &ecswire.HealthCheck{Command: []string{"CMD", "pg_isready"}, Interval: i32(10), Timeout: i32(2), Retries: i32(5), StartPeriod: i32(30)},
				Environment: []ecswire.KeyValuePair{{Name: "POSTGRES_PASSWORD", Value: "x"}},
				Ulimits:     []ecswire.Ulimit{{Name: ecswire.UlimitNameNofile, SoftLimit: 1024, HardLimit: 4096}},
				MountPoints: []ecswire.MountPoint{{SourceVolume: "shared", ContainerPath: "/var/lib/postgresql/data"}}},
			{Name: "app", Image: "app:latest", Memory: i32(256),
				DependsOn: []ecswire.ContainerDependency{
					{ContainerName: "init", Condition: ecswire.ContainerConditionSuccess},
					{ContainerName: "db", Condition: ecswire.ContainerConditionHealthy}},
				VolumesFrom: []ecswire.VolumeFrom{{SourceContainer: "init", ReadOnly: boolp(true)}},
				LinuxParameters: &ecswire.LinuxParameters{InitProcessEnabled: boolp(true), SharedMemorySize: i32(64),
					Tmpfs: []ecswire.Tmpfs{{ContainerPath: "/tmp", Size: 64}}},
				StartTimeout: i32(300), StopTimeout: i32(30)},
		},
	}
}

func TestValidateTaskDefinitionAcceptsValid(t *testing.T) {
	for name, in := range map[string]*ecswire.RegisterTaskDefinitionRequest{
		"ec2 bridge":      ec2BridgeTaskDef(),
		"awsvpc fargate":  fargateTaskDef(),
		"host":            hostTaskDef(),
		"multi-container": multiContainerTaskDef(),
	} {
		if err := in.Validate(); err != nil {
			t.Fatalf("%s: generated Validate: %v", name, err)
		}
		if err := validateTaskDefinition(in); err != nil {
			t.Fatalf("%s: validateTaskDefinition: %v", name, err)
		}
	}
}

func TestValidateTaskDefinitionRules(t *testing.T) {
	const client = "ClientException"
	type mutation = func(*ecswire.RegisterTaskDefinitionRequest)
	c0 := func(f func(c *ecswire.ContainerDefinition)) mutation {
		return func(in *ecswire.RegisterTaskDefinitionRequest) { f(&in.ContainerDefinitions[0]) }
	}
	tests := []struct {
		name   string
		base   func() *ecswire.RegisterTaskDefinitionRequest
		mutate mutation
		want   string // substring of the message
	}{
		// names, counts, size
		{"family characters", ec2BridgeTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) { in.Family = "web app" }, "family must be 1-255 letters"},
		{"family length", ec2BridgeTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) { in.Family = strings.Repeat("f", 256) }, "family must be 1-255"},
		{"no containers", ec2BridgeTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.ContainerDefinitions = []ecswire.ContainerDefinition{}
		}, "containerDefinitions must contain at least one"},
		{"eleven containers", ec2BridgeTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			for i := range 9 {
				in.ContainerDefinitions = append(in.ContainerDefinitions, ecswire.ContainerDefinition{Name: fmt.Sprint("c", i), Image: "x", Memory: i32(8)})
			}
		}, "containerDefinitions can have at most 10 items"},
		{"64 KiB", ec2BridgeTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.Command = []string{strings.Repeat("x", 70000)} }), "containerDefinitions is 70"},
		{"container name missing", ec2BridgeTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.Name = "" }), "containerDefinitions[0].name is required"},
		{"container name characters", ec2BridgeTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.Name = "app.v1" }), "containerDefinitions[0].name must be 1-255"},
		{"duplicate container name", ec2BridgeTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.ContainerDefinitions[1].Name = "app"
		}, "containerDefinitions[1].name duplicates the name of containerDefinitions[0]"},
		{"image missing", ec2BridgeTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.Image = "" }), "containerDefinitions[0].image is required"},
		{"image whitespace", ec2BridgeTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.Image = "nginx latest" }), "containerDefinitions[0].image must not contain whitespace"},
		{"image too long", ec2BridgeTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.Image = strings.Repeat("a", 256) }), "containerDefinitions[0].image must be at most 255"},
		{"image digest", ec2BridgeTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.Image = "nginx@sha256:abc" }), "containerDefinitions[0].image has a malformed digest"},

		// task size
		{"cpu format", ec2BridgeTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) { in.Cpu = "1 core" }, "cpu must be given in CPU units"},
		{"cpu fraction of unit", ec2BridgeTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) { in.Cpu = "0.1 vCPU" }, "cpu must be a whole number of CPU units"},
		{"memory format", ec2BridgeTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) { in.Memory = "512 MiB" }, "memory must be given in MiB"},
		{"cpu below EC2 range", ec2BridgeTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) { in.Cpu = "64" }, "cpu must be between 128 and 196608"},
		{"cpu above EC2 range", ec2BridgeTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) { in.Cpu = "200 vcpu" }, "cpu must be between 128 and 196608"},
		{"task memory minimum", ec2BridgeTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) { in.Memory = "4" }, "memory must be at least 6 MiB"},

		// Fargate (ecs.md §2.10)
		{"fargate network mode", fargateTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) { in.NetworkMode = "" }, "Fargate only supports network mode 'awsvpc'."},
		{"fargate cpu missing", fargateTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) { in.Cpu = "" }, "Fargate requires that 'cpu' be defined at the task level."},
		{"fargate memory missing", fargateTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) { in.Memory = "" }, "Fargate requires that 'memory' be defined at the task level."},
		{"fargate size table", fargateTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) { in.Memory = "512" }, "No Fargate configuration exists for given values."},
		{"fargate 8 vCPU step", fargateTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) { in.Cpu, in.Memory = "8 vCPU", "17 GB" }, "No Fargate configuration exists for given values."},
		{"fargate pidMode host", fargateTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) { in.PidMode = ecswire.PidModeHost }, "pidMode 'host' is not supported on Fargate"},
		{"fargate ipcMode", fargateTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) { in.IpcMode = ecswire.IpcModeTask }, "ipcMode is not supported on Fargate"},
		{"fargate placement constraints", fargateTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.PlacementConstraints = []ecswire.TaskDefinitionPlacementConstraint{{Type: "memberOf", Expression: "attribute:x == y"}}
		}, "placementConstraints are not supported on Fargate"},
		{"fargate host sourcePath", fargateTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.Volumes = []ecswire.Volume{{Name: "v", Host: &ecswire.HostVolumeProperties{SourcePath: "/srv"}}}
		}, "volumes[0].host.sourcePath is not supported on Fargate"},
		{"fargate docker volume", fargateTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.Volumes = []ecswire.Volume{{Name: "v", DockerVolumeConfiguration: &ecswire.DockerVolumeConfiguration{}}}
		}, "volumes[0].dockerVolumeConfiguration is not supported on Fargate"},
		{"fargate privileged", fargateTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.Privileged = boolp(true) }), "containerDefinitions[0].privileged is not supported on Fargate"},
		{"fargate log driver", fargateTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.LogConfiguration.LogDriver = ecswire.LogDriverJsonFile }), "containerDefinitions[0].logConfiguration.logDriver 'json-file' is not supported on Fargate"},
		{"fargate stopTimeout", fargateTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.StopTimeout = i32(121) }), "containerDefinitions[0].stopTimeout must be between 2 and 120 seconds on Fargate"},
		{"fargate startTimeout", fargateTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.StartTimeout = i32(1) }), "containerDefinitions[0].startTimeout must be between 2 and 120"},
		{"fargate devices", fargateTaskDef, c0(func(c *ecswire.ContainerDefinition) {
			c.LinuxParameters = &ecswire.LinuxParameters{Devices: []ecswire.Device{{HostPath: "/dev/fuse"}}}
		}), "containerDefinitions[0].linuxParameters.devices is not supported on Fargate"},
		{"fargate capabilities", fargateTaskDef, c0(func(c *ecswire.ContainerDefinition) {
			c.LinuxParameters = &ecswire.LinuxParameters{Capabilities: &ecswire.KernelCapabilities{Add: []string{"NET_ADMIN"}}}
		}), "containerDefinitions[0].linuxParameters.capabilities.add[0] 'NET_ADMIN' is not supported on Fargate"},
		{"fargate awslogs needs execution role", fargateTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) { in.ExecutionRoleArn = "" },
			"Fargate requires task definition to have execution role ARN to support log driver awslogs."},
		{"external awsvpc", fargateTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.RequiresCompatibilities = []ecswire.Compatibility{ecswire.CompatibilityExternal}
		}, "networkMode 'awsvpc' is not supported by the EXTERNAL launch type"},

		// cpu and memory
		{"no essential container", ec2BridgeTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.ContainerDefinitions[0].Essential = boolp(false)
			in.ContainerDefinitions[1].Essential = boolp(false)
		}, "containerDefinitions must contain at least one essential container"},
		{"container memory missing", ec2BridgeTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) { in.ContainerDefinitions[1].Memory = nil },
			"Invalid setting for container 'cache'. At least one of 'memory' or 'memoryReservation' must be specified."},
		{"container memory minimum", ec2BridgeTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.Memory = i32(4); c.MemoryReservation = nil }), "containerDefinitions[0].memory must be at least 6 MiB"},
		{"memoryReservation minimum", ec2BridgeTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.MemoryReservation = i32(5) }), "containerDefinitions[0].memoryReservation must be at least 6 MiB"},
		{"memory not above reservation", ec2BridgeTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.MemoryReservation = i32(512) }), "containerDefinitions[0].memoryReservation must be less than memory (512 MiB)"},
		{"negative container cpu", ec2BridgeTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.Cpu = -1 }), "containerDefinitions[0].cpu must not be negative"},
		{"container cpu sum", ec2BridgeTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.Cpu = "256"
			in.ContainerDefinitions[1].Cpu = 128
		}, "containerDefinitions[1].cpu brings the containers' total cpu to 384, more than the task cpu 256"},
		{"container memory above task", ec2BridgeTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) { in.Memory = "0.25GB" },
			"containerDefinitions[0].memory (512 MiB) must not exceed the task memory (256 MiB)"},
		{"reserved memory sum", ec2BridgeTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.Memory = "300"
			in.ContainerDefinitions[0].Memory = nil
		}, "containerDefinitions[1].memory brings the containers' total reserved memory to 384 MiB"},

		// ports (ecs.md §2.6)
		{"awsvpc host port", fargateTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.PortMappings[0].HostPort = i32(8080) }),
			"When networkMode=awsvpc, the host ports and container ports in port mappings must match."},
		{"host mode host port", hostTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.PortMappings[0].HostPort = i32(0) }),
			"When networkMode=host, the host ports and container ports in port mappings must match."},
		{"none mode port mappings", ec2BridgeTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.NetworkMode = ecswire.NetworkModeNone
			in.ContainerDefinitions[0].Links = nil
		}, "containerDefinitions[0].portMappings are not supported with network mode 'none'"},
		{"containerPort missing", ec2BridgeTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.PortMappings[0].ContainerPort = nil }), "containerDefinitions[0].portMappings[0].containerPort is required"},
		{"containerPort range", ec2BridgeTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.PortMappings[1].ContainerPort = i32(70000) }), "containerDefinitions[0].portMappings[1].containerPort must be between 1 and 65535"},
		{"hostPort range", ec2BridgeTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.PortMappings[0].HostPort = i32(-1) }), "containerDefinitions[0].portMappings[0].hostPort must be between 0 and 65535"},
		{"same port and protocol twice", ec2BridgeTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.PortMappings[1].Protocol = "" }),
			"containerDefinitions[0].portMappings[1] maps container port 8080/tcp, which another port mapping"},
		{"containerPortRange format", fargateTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.PortMappings[1].ContainerPortRange = "9010-9000" }),
			"containerDefinitions[0].portMappings[1].containerPortRange must be \"start-end\""},
		{"containerPortRange overlap", fargateTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.PortMappings[0].ContainerPort = i32(9005) }),
			"maps container port 9005/tcp, which another port mapping"},
		{"containerPortRange with host mode", hostTaskDef, c0(func(c *ecswire.ContainerDefinition) {
			c.PortMappings = append(c.PortMappings, ecswire.PortMapping{ContainerPortRange: "7000-7001"})
		}), "containerDefinitions[0].portMappings[1].containerPortRange is only supported with network modes 'bridge' and 'awsvpc'"},
		{"containerPortRange with hostPort", fargateTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.PortMappings[1].HostPort = i32(9000) }),
			"containerDefinitions[0].portMappings[1].hostPort cannot be combined with containerPortRange"},
		{"host port twice in task", ec2BridgeTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.ContainerDefinitions[0].PortMappings[0].HostPort = i32(6379)
		}, "containerDefinitions[1].portMappings[0].hostPort is invalid: TCP host port '6379' is mapped multiple times in task"},

		// networking options
		{"links outside bridge", hostTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.Links = []string{"x"} }), "containerDefinitions[0].links are only supported with network mode 'bridge'"},
		{"link to unknown container", ec2BridgeTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.Links = []string{"db:database"} }), "containerDefinitions[0].links[0] must name another container"},
		{"hostname with awsvpc", fargateTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.Hostname = "api" }), "containerDefinitions[0].hostname is not supported with network mode 'awsvpc'"},
		{"extraHosts with awsvpc", fargateTaskDef, c0(func(c *ecswire.ContainerDefinition) {
			c.ExtraHosts = []ecswire.HostEntry{{Hostname: "db", IpAddress: "10.0.0.1"}}
		}), "containerDefinitions[0].extraHosts are not supported with network mode 'awsvpc'"},

		// health checks (ecs.md §2.7)
		{"health command empty", ec2BridgeTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.HealthCheck.Command = []string{} }), "containerDefinitions[0].healthCheck.command must not be empty"},
		{"health command kind", ec2BridgeTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.HealthCheck.Command = []string{"NONE"} }), "containerDefinitions[0].healthCheck.command[0] must be CMD or CMD-SHELL"},
		{"health command body", ec2BridgeTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.HealthCheck.Command = []string{"CMD-SHELL"} }), "containerDefinitions[0].healthCheck.command must contain a command after CMD-SHELL"},
		{"health interval", ec2BridgeTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.HealthCheck.Interval = i32(4) }), "containerDefinitions[0].healthCheck.interval must be between 5 and 300"},
		{"health timeout", ec2BridgeTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.HealthCheck.Timeout = i32(61) }), "containerDefinitions[0].healthCheck.timeout must be between 2 and 60"},
		{"health retries", ec2BridgeTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.HealthCheck.Retries = i32(0) }), "containerDefinitions[0].healthCheck.retries must be between 1 and 10"},
		{"health startPeriod", ec2BridgeTaskDef, c0(func(c *ecswire.ContainerDefinition) { c.HealthCheck.StartPeriod = i32(301) }), "containerDefinitions[0].healthCheck.startPeriod must be between 0 and 300"},

		// ordering (ecs.md §2.8)
		{"depends on itself", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.ContainerDefinitions[2].DependsOn[0].ContainerName = "app"
		}, "containerDefinitions[2].dependsOn[0].containerName must name another container"},
		{"depends on unknown", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.ContainerDefinitions[2].DependsOn[0].ContainerName = "nope"
		}, "containerDefinitions[2].dependsOn[0].containerName names container 'nope', which is not defined"},
		{"SUCCESS on essential", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.ContainerDefinitions[0].Essential = nil
		}, "containerDefinitions[2].dependsOn[0].condition SUCCESS is not allowed because container 'init' is essential"},
		{"COMPLETE on essential", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.ContainerDefinitions[2].DependsOn[1].Condition = ecswire.ContainerConditionComplete
		}, "containerDefinitions[2].dependsOn[1].condition COMPLETE is not allowed because container 'db' is essential"},
		{"HEALTHY without health check", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.ContainerDefinitions[1].HealthCheck = nil
		}, "containerDefinitions[2].dependsOn[1].condition HEALTHY requires container 'db' to define a healthCheck"},
		{"dependency cycle", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.ContainerDefinitions[1].DependsOn = []ecswire.ContainerDependency{{ContainerName: "app", Condition: ecswire.ContainerConditionStart}}
		}, "containerDefinitions[2].dependsOn[1].containerName creates a dependency cycle: db -> app -> db"},
		{"cycle through volumesFrom", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.ContainerDefinitions[2].DependsOn = nil
			in.ContainerDefinitions[0].DependsOn = []ecswire.ContainerDependency{{ContainerName: "app", Condition: ecswire.ContainerConditionStart}}
		}, "containerDefinitions[2].volumesFrom[0].sourceContainer creates a dependency cycle: init -> app -> init"},
		{"negative stopTimeout", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.ContainerDefinitions[2].StopTimeout = i32(-1)
		}, "containerDefinitions[2].stopTimeout must not be negative"},
		{"negative startTimeout", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.ContainerDefinitions[2].StartTimeout = i32(-5)
		}, "containerDefinitions[2].startTimeout must not be negative"},

		// volumes (ecs.md §2.9)
		{"volume name missing", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) { in.Volumes[1].Name = "" }, "volumes[1].name is required"},
		{"volume name duplicate", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) { in.Volumes[1].Name = "data" }, "volumes[1].name duplicates the name of volumes[0]"},
		{"two volumes configured at launch", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.Volumes[0].ConfiguredAtLaunch = boolp(true)
			in.Volumes[1].ConfiguredAtLaunch = boolp(true)
		}, "volumes[1].configuredAtLaunch is already set on volumes[0]"},
		{"mount of unknown volume", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.ContainerDefinitions[0].MountPoints[0].SourceVolume = "logs"
		}, "containerDefinitions[0].mountPoints[0].sourceVolume names volume 'logs', which is not defined"},
		{"mount without sourceVolume", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.ContainerDefinitions[0].MountPoints[0].SourceVolume = ""
		}, "containerDefinitions[0].mountPoints[0].sourceVolume is required"},
		{"mount without containerPath", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.ContainerDefinitions[0].MountPoints[0].ContainerPath = ""
		}, "containerDefinitions[0].mountPoints[0].containerPath is required"},
		{"same path mounted twice", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.ContainerDefinitions[0].MountPoints = append(in.ContainerDefinitions[0].MountPoints, ecswire.MountPoint{SourceVolume: "scratch", ContainerPath: "/data"})
		}, "containerDefinitions[0].mountPoints[1].containerPath mounts \"/data\" more than once"},
		{"volumesFrom unknown", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.ContainerDefinitions[2].VolumesFrom[0].SourceContainer = "ghost"
		}, "containerDefinitions[2].volumesFrom[0].sourceContainer must name another container"},
		{"volumesFrom self", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.ContainerDefinitions[2].VolumesFrom[0].SourceContainer = "app"
		}, "containerDefinitions[2].volumesFrom[0].sourceContainer must name another container"},

		// container options
		{"ulimit name", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) { in.ContainerDefinitions[1].Ulimits[0].Name = "files" },
			"containerDefinitions[1].ulimits[0].name 'files' is not a valid ulimit name"},
		{"ulimit soft above hard", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.ContainerDefinitions[1].Ulimits[0].SoftLimit = 8192
		},
			"containerDefinitions[1].ulimits[0].softLimit (8192) must not exceed hardLimit (4096)"},
		{"ulimit twice", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.ContainerDefinitions[1].Ulimits = append(in.ContainerDefinitions[1].Ulimits, in.ContainerDefinitions[1].Ulimits[0])
		}, "containerDefinitions[1].ulimits[1].name sets ulimit 'nofile' more than once"},
		{"environment name empty", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) { in.ContainerDefinitions[1].Environment[0].Name = "" },
			"containerDefinitions[1].environment[0].name is required"},
		{"too many environment files", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			for range 11 {
				in.ContainerDefinitions[1].EnvironmentFiles = append(in.ContainerDefinitions[1].EnvironmentFiles, ecswire.EnvironmentFile{Type: "s3", Value: "arn:aws:s3:::b/x.env"})
			}
		}, "containerDefinitions[1].environmentFiles can have at most 10 items"},
		{"tmpfs size", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.ContainerDefinitions[2].LinuxParameters.Tmpfs[0].Size = 0
		},
			"containerDefinitions[2].linuxParameters.tmpfs[0].size must be greater than 0"},
		{"tmpfs path", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.ContainerDefinitions[2].LinuxParameters.Tmpfs[0].ContainerPath = ""
		},
			"containerDefinitions[2].linuxParameters.tmpfs[0].containerPath is required"},
		{"shared memory size", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.ContainerDefinitions[2].LinuxParameters.SharedMemorySize = i32(0)
		},
			"containerDefinitions[2].linuxParameters.sharedMemorySize must be greater than 0"},
		{"swappiness", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.ContainerDefinitions[2].LinuxParameters.Swappiness = i32(101)
		},
			"containerDefinitions[2].linuxParameters.swappiness must be between 0 and 100"},
		{"secrets need execution role", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.ContainerDefinitions[1].Secrets = []ecswire.Secret{{Name: "PW", ValueFrom: "arn:aws:ssm:eu-west-1:123456789012:parameter/pw"}}
		}, "When you are specifying container secrets, you must also specify a value for 'executionRoleArn'."},

		// task-level options
		{"placement constraint type", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) { in.PlacementConstraints[0].Type = "" },
			"placementConstraints[0].type must be memberOf"},
		{"placement constraint expression", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) { in.PlacementConstraints[0].Expression = "" },
			"placementConstraints[0].expression is required"},
		{"too many placement constraints", multiContainerTaskDef, func(in *ecswire.RegisterTaskDefinitionRequest) {
			for range 10 {
				in.PlacementConstraints = append(in.PlacementConstraints, in.PlacementConstraints[0])
			}
		}, "placementConstraints can have at most 10 items"},
	}
	for _, tc := range tests {
		in := tc.base()
		tc.mutate(in)
		err := validateTaskDefinition(in)
		if err == nil {
			t.Fatalf("%s: validateTaskDefinition accepted the input; want error containing %q", tc.name, tc.want)
		}
		apiErr, ok := api.AsError(err)
		if !ok {
			t.Fatalf("%s: error %v (%T) is not an *api.Error", tc.name, err, err)
		}
		if apiErr.Code != client || apiErr.Status != 400 {
			t.Fatalf("%s: got %s/%d, want %s/400", tc.name, apiErr.Code, apiErr.Status, client)
		}
		if !strings.Contains(apiErr.Message, tc.want) {
			t.Fatalf("%s: message %q does not contain %q", tc.name, apiErr.Message, tc.want)
		}
	}
}

func TestNormalizeTaskSize(t *testing.T) {
	cpu := []struct{ in, want string }{
		{"1024", "1024"}, {" 256 ", "256"}, {"0256", "256"}, {"1 vCPU", "1024"}, {"0.25 vcpu", "256"},
		{".5vCPU", "512"}, {"2 VCPU", "2048"}, {"16 vCPU", "16384"}, {"1. vCPU", "1024"},
	}
	for _, tc := range cpu {
		got, err := normalizeTaskCPU(tc.in)
		if err != nil || got != tc.want {
			t.Fatalf("normalizeTaskCPU(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	mem := []struct{ in, want string }{
		{"512", "512"}, {"1GB", "1024"}, {"0.5 GB", "512"}, {"2 gb", "2048"}, {"120GB", "122880"}, {"0.25GB", "256"},
	}
	for _, tc := range mem {
		got, err := normalizeTaskMemory(tc.in)
		if err != nil || got != tc.want {
			t.Fatalf("normalizeTaskMemory(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "0", "-1", "1.5", "1e3", "0x10", "1/2", "1 vCPU 2", "1 GB", "abc", "3000000000", "0.1 vcpu", "NaN", "1_000"} {
		if got, err := normalizeTaskCPU(bad); err == nil {
			t.Fatalf("normalizeTaskCPU(%q) = %q, want error", bad, got)
		}
	}
	for _, bad := range []string{"", "0", "1 vCPU", "512MiB", "512 MB", "0.3GB", "1,5GB", "99999999GB"} {
		if got, err := normalizeTaskMemory(bad); err == nil {
			t.Fatalf("normalizeTaskMemory(%q) = %q, want error", bad, got)
		}
	}
}

func TestFargateSizeTable(t *testing.T) {
	allowed := map[int64][]int64{
		256:   {512, 1024, 2048},
		512:   {1024, 2048, 3072, 4096},
		1024:  {2048, 5120, 8192},
		2048:  {4096, 9216, 16384},
		4096:  {8192, 20480, 30720},
		8192:  {16384, 20480, 61440},
		16384: {32768, 40960, 122880},
	}
	for cpu, mems := range allowed {
		for _, m := range mems {
			if !fargateSizeAllowed(cpu, m) {
				t.Fatalf("fargateSizeAllowed(%d, %d) = false, want true", cpu, m)
			}
		}
	}
	for _, p := range [][2]int64{{256, 1536}, {256, 4096}, {512, 512}, {512, 1536}, {1024, 9216}, {4096, 31744}, {8192, 18432}, {16384, 36864}, {128, 512}, {32768, 65536}} {
		if fargateSizeAllowed(p[0], p[1]) {
			t.Fatalf("fargateSizeAllowed(%d, %d) = true, want false", p[0], p[1])
		}
	}
}
