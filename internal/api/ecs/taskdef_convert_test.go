package ecs

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/api/awsjson"
	"github.com/wharfhq/wharf/internal/api/ecs/ecswire"
	"github.com/wharfhq/wharf/internal/model"
)

var updateGolden = flag.Bool("update", false, "rewrite golden files in testdata")

// registerAndDescribe converts a request the way RegisterTaskDefinition
// and DescribeTaskDefinition do, with fixed server-set fields.
func registerAndDescribe(t *testing.T, in *ecswire.RegisterTaskDefinitionRequest) *ecswire.TaskDefinition {
	t.Helper()
	if err := in.Validate(); err != nil {
		t.Fatalf("generated Validate: %v", err)
	}
	if err := validateTaskDefinition(in); err != nil {
		t.Fatalf("validateTaskDefinition: %v", err)
	}
	td, err := taskDefFromWire(in)
	if err != nil {
		t.Fatalf("taskDefFromWire: %v", err)
	}
	td.ARN = "arn:aws:ecs:eu-west-1:123456789012:task-definition/" + td.Family + ":3"
	td.Revision = 3
	td.Status = model.TaskDefActive
	td.RegisteredAt = time.Date(2025, 11, 25, 22, 50, 1, 123e6, time.UTC)
	td.RegisteredBy = "arn:aws:iam::123456789012:root"
	return taskDefToWire(&td)
}

func marshalIndent(t *testing.T, v any) []byte {
	t.Helper()
	buf, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return append(buf, '\n')
}

func TestTaskDefDescribedGolden(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("testdata", "taskdef_register.json"))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	var in ecswire.RegisterTaskDefinitionRequest
	if err := awsjson.Decode(body, &in); err != nil {
		t.Fatalf("decode fixture: %v", err)
	}
	got := marshalIndent(t, registerAndDescribe(t, &in))

	golden := filepath.Join("testdata", "taskdef_described.golden.json")
	if *updateGolden {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatalf("write golden: %v", err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("described task definition differs from %s (run with -update after checking):\n got: %s\nwant: %s", golden, got, want)
	}
}

// TestTaskDefRoundTrip checks wire → model → wire against the normalised
// form ECS echoes back, and that the echo converts to the same model again.
func TestTaskDefRoundTrip(t *testing.T) {
	in := &ecswire.RegisterTaskDefinitionRequest{
		Family:      "rt",
		NetworkMode: ecswire.NetworkModeAwsvpc,
		Cpu:         "0.25 vCPU",
		Memory:      "0.5GB",
		ContainerDefinitions: []ecswire.ContainerDefinition{{
			Name: "web", Image: "nginx:1.27",
			PortMappings:          []ecswire.PortMapping{{ContainerPort: i32(80)}, {ContainerPort: i32(53), HostPort: i32(53), Protocol: ecswire.TransportProtocolUdp}},
			HealthCheck:           &ecswire.HealthCheck{Command: []string{"CMD", "true"}, Retries: i32(2)},
			RepositoryCredentials: &ecswire.RepositoryCredentials{CredentialsParameter: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hub"},
			ResourceRequirements:  []ecswire.ResourceRequirement{{Type: ecswire.ResourceTypeGpu, Value: "1"}},
			CredentialSpecs:       []string{"credentialspecdomainless:arn:aws:s3:::bucket/spec.json"},
			LinuxParameters: &ecswire.LinuxParameters{Devices: []ecswire.Device{{HostPath: "/dev/fuse",
				Permissions: []ecswire.DeviceCgroupPermission{ecswire.DeviceCgroupPermissionRead}}}},
			SystemControls: []ecswire.SystemControl{{Namespace: "net.core.somaxconn", Value: "1024"}},
		}},
		Volumes:               []ecswire.Volume{{Name: "v", DockerVolumeConfiguration: &ecswire.DockerVolumeConfiguration{Scope: ecswire.ScopeTask, Driver: "local"}}},
		ProxyConfiguration:    &ecswire.ProxyConfiguration{ContainerName: "web", Type: ecswire.ProxyConfigurationTypeAppmesh},
		EnableFaultInjection:  boolp(false),
		InferenceAccelerators: []ecswire.InferenceAccelerator{{DeviceName: "d0", DeviceType: "eia2.medium"}},
	}
	got := registerAndDescribe(t, in)

	want := &ecswire.TaskDefinition{
		TaskDefinitionArn: "arn:aws:ecs:eu-west-1:123456789012:task-definition/rt:3",
		Family:            "rt",
		Revision:          3,
		Status:            ecswire.TaskDefinitionStatusActive,
		NetworkMode:       ecswire.NetworkModeAwsvpc,
		Cpu:               "256",
		Memory:            "512",
		// docker volumes rule FARGATE out.
		Compatibilities:    []ecswire.Compatibility{ecswire.CompatibilityEc2},
		RequiresAttributes: []ecswire.Attribute{{Name: capHealthCheck}, {Name: capTaskENI}},
		ContainerDefinitions: []ecswire.ContainerDefinition{{
			Name: "web", Image: "nginx:1.27", Essential: boolp(true),
			PortMappings: []ecswire.PortMapping{
				{ContainerPort: i32(80), HostPort: i32(80), Protocol: ecswire.TransportProtocolTcp},
				{ContainerPort: i32(53), HostPort: i32(53), Protocol: ecswire.TransportProtocolUdp}},
			HealthCheck:           &ecswire.HealthCheck{Command: []string{"CMD", "true"}, Interval: i32(30), Timeout: i32(5), Retries: i32(2)},
			RepositoryCredentials: in.ContainerDefinitions[0].RepositoryCredentials,
			ResourceRequirements:  in.ContainerDefinitions[0].ResourceRequirements,
			CredentialSpecs:       in.ContainerDefinitions[0].CredentialSpecs,
			LinuxParameters:       in.ContainerDefinitions[0].LinuxParameters,
			SystemControls:        in.ContainerDefinitions[0].SystemControls,
		}},
		Volumes:               in.Volumes,
		ProxyConfiguration:    in.ProxyConfiguration,
		EnableFaultInjection:  boolp(false),
		InferenceAccelerators: in.InferenceAccelerators,
		RegisteredAt:          awsjson.NewTimestamp(time.Date(2025, 11, 25, 22, 50, 1, 123e6, time.UTC)),
		RegisteredBy:          "arn:aws:iam::123456789012:root",
	}
	if g, w := marshalIndent(t, got), marshalIndent(t, want); !bytes.Equal(g, w) {
		t.Fatalf("round trip:\n got: %s\nwant: %s", g, w)
	}

	// Registering the echoed definition again yields the same model.
	first, err := taskDefFromWire(in)
	if err != nil {
		t.Fatalf("taskDefFromWire: %v", err)
	}
	again, err := taskDefFromWire(requestFromDescribed(got))
	if err != nil {
		t.Fatalf("taskDefFromWire(echo): %v", err)
	}
	if g, w := marshalIndent(t, again), marshalIndent(t, first); !bytes.Equal(g, w) {
		t.Fatalf("re-registering the echo changed the model:\n got: %s\nwant: %s", g, w)
	}
}

// requestFromDescribed builds the RegisterTaskDefinition request a client
// would send to copy a described task definition.
func requestFromDescribed(td *ecswire.TaskDefinition) *ecswire.RegisterTaskDefinitionRequest {
	return &ecswire.RegisterTaskDefinitionRequest{
		Family: td.Family, ContainerDefinitions: td.ContainerDefinitions, Volumes: td.Volumes,
		NetworkMode: td.NetworkMode, Cpu: td.Cpu, Memory: td.Memory,
		RequiresCompatibilities: td.RequiresCompatibilities, PlacementConstraints: td.PlacementConstraints,
		TaskRoleArn: td.TaskRoleArn, ExecutionRoleArn: td.ExecutionRoleArn, PidMode: td.PidMode, IpcMode: td.IpcMode,
		RuntimePlatform: td.RuntimePlatform, EphemeralStorage: td.EphemeralStorage, ProxyConfiguration: td.ProxyConfiguration,
		InferenceAccelerators: td.InferenceAccelerators, EnableFaultInjection: td.EnableFaultInjection,
	}
}

func TestTaskDefFromWireDefaults(t *testing.T) {
	td, err := taskDefFromWire(ec2BridgeTaskDef())
	if err != nil {
		t.Fatalf("taskDefFromWire: %v", err)
	}
	if td.NetworkMode != model.NetworkBridge {
		t.Fatalf("networkMode = %q, want bridge", td.NetworkMode)
	}
	app := td.ContainerDefinitions[0]
	if !app.Essential || !td.ContainerDefinitions[1].Essential {
		t.Fatalf("essential did not default to true: %+v", td.ContainerDefinitions)
	}
	if pm := app.PortMappings[0]; pm.Protocol != "tcp" || pm.HostPort != nil {
		t.Fatalf("bridge port mapping = %+v, want protocol tcp and a dynamic host port", pm)
	}
	if hc := app.HealthCheck; hc.Interval != 30 || hc.Timeout != 5 || hc.Retries != 3 || hc.StartPeriod != 0 {
		t.Fatalf("health check defaults = %+v, want 30/5/3/0", hc)
	}
	if !slices.Equal(td.Compatibilities, []string{"EXTERNAL", "EC2"}) {
		t.Fatalf("compatibilities = %v, want [EXTERNAL EC2]", td.Compatibilities)
	}
	// ECR image without an execution role: ecr-auth only.
	want := []model.Attribute{{Name: capECRAuth}, {Name: capHealthCheck}}
	if !slices.Equal(td.RequiresAttributes, want) {
		t.Fatalf("requiresAttributes = %v, want %v", td.RequiresAttributes, want)
	}
	if td.CPU != "" || td.Memory != "" {
		t.Fatalf("task cpu/memory = %q/%q, want empty", td.CPU, td.Memory)
	}
}

func TestTaskDefCompatibilities(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*ecswire.RegisterTaskDefinitionRequest)
		want   []string
	}{
		{"fargate-ready awsvpc", func(*ecswire.RegisterTaskDefinitionRequest) {}, []string{"EC2", "FARGATE"}},
		{"awsvpc, EC2 only requested", func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.RequiresCompatibilities = []ecswire.Compatibility{ecswire.CompatibilityEc2}
		}, []string{"EC2", "FARGATE"}},
		{"awsvpc with a size Fargate lacks", func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.RequiresCompatibilities, in.Memory = nil, "3000"
		}, []string{"EC2"}},
		{"awsvpc with privileged", func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.RequiresCompatibilities = nil
			in.ContainerDefinitions[0].Privileged = boolp(true)
		}, []string{"EC2"}},
		{"host", func(in *ecswire.RegisterTaskDefinitionRequest) {
			in.RequiresCompatibilities, in.NetworkMode = nil, ecswire.NetworkModeHost
			in.ContainerDefinitions[0].PortMappings = in.ContainerDefinitions[0].PortMappings[:1]
		}, []string{"EXTERNAL", "EC2"}},
	}
	for _, tc := range tests {
		in := fargateTaskDef()
		tc.mutate(in)
		if err := validateTaskDefinition(in); err != nil {
			t.Fatalf("%s: validateTaskDefinition: %v", tc.name, err)
		}
		td, err := taskDefFromWire(in)
		if err != nil {
			t.Fatalf("%s: taskDefFromWire: %v", tc.name, err)
		}
		if !slices.Equal(td.Compatibilities, tc.want) {
			t.Fatalf("%s: compatibilities = %v, want %v", tc.name, td.Compatibilities, tc.want)
		}
	}
}

func TestTaskDefFromWireAwsvpcHostPort(t *testing.T) {
	td, err := taskDefFromWire(fargateTaskDef())
	if err != nil {
		t.Fatalf("taskDefFromWire: %v", err)
	}
	pms := td.ContainerDefinitions[0].PortMappings
	if pms[0].HostPort == nil || *pms[0].HostPort != 80 || pms[0].Protocol != "tcp" {
		t.Fatalf("awsvpc port mapping = %+v, want hostPort 80/tcp", pms[0])
	}
	if pms[1].HostPort != nil || pms[1].ContainerPortRange != "9000-9010" {
		t.Fatalf("awsvpc port range mapping = %+v, want the range and no hostPort", pms[1])
	}
	if td.CPU != "512" || td.Memory != "1024" {
		t.Fatalf("task cpu/memory = %q/%q, want 512/1024", td.CPU, td.Memory)
	}
}

func TestTaskDefFromWireRejectsBadSize(t *testing.T) {
	in := ec2BridgeTaskDef()
	in.Memory = "lots"
	if _, err := taskDefFromWire(in); err == nil {
		t.Fatalf("taskDefFromWire accepted memory %q", in.Memory)
	}
}
