package taskrun

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/runtime"
)

func i32(n int32) *int32 { return &n }
func yes() *bool         { b := true; return &b }

const testTaskARN = "arn:aws:ecs:eu-west-1:000000000000:task/prod/0123456789abcdef0123456789abcdef"

func specTask() model.Task {
	return model.Task{ARN: testTaskARN, ID: "0123456789abcdef0123456789abcdef", ClusterName: "prod",
		ClusterARN: "arn:aws:ecs:eu-west-1:000000000000:cluster/prod", Family: "web", Revision: 3}
}

func specTD(mode string, cs ...model.ContainerDefinition) model.TaskDefinition {
	return model.TaskDefinition{Family: "web", Revision: 3, NetworkMode: mode, ContainerDefinitions: cs}
}

func specOpts() specOptions {
	return specOptions{
		Region: "eu-west-1", Labels: map[string]string{"wharf.data-dir": "/d"}, NameSuffix: "abc123",
		RuntimeIDs: map[string]string{"db": "id-db", "data": "id-data"}, DockerNames: map[string]string{"db": "ecs-web-3-db-abc123"},
		ReadFile: func(p string) ([]byte, error) {
			switch p {
			case "/etc/a.env":
				return []byte("# comment\nA=1\nSHARED=from-a\n\nnot a variable\n"), nil
			case "/etc/b.env":
				return []byte("SHARED=from-b\nB=2=two\n"), nil
			}
			return nil, os.ErrNotExist
		},
		StopTimeoutDefault: 30 * time.Second,
	}
}

// TestContainerSpecFullMapping maps one container that uses nearly every
// field and compares the whole spec.
func TestContainerSpecFullMapping(t *testing.T) {
	c := model.ContainerDefinition{
		Name: "app", Image: "app:1", Essential: true, CPU: 256, Memory: i32(512), MemoryReservation: i32(128),
		PortMappings:     []model.PortMapping{{ContainerPort: i32(8080)}, {ContainerPort: i32(53), HostPort: i32(5353), Protocol: "udp"}},
		Links:            []string{"db:database"},
		EntryPoint:       []string{"/bin/app"},
		Command:          []string{"serve"},
		Environment:      []model.KeyValue{{Name: "SHARED", Value: "from-env"}, {Name: "AWS_REGION", Value: "mine"}},
		EnvironmentFiles: []model.EnvironmentFile{{Value: "file:///etc/a.env", Type: "s3"}, {Value: "/etc/b.env", Type: "s3"}},
		WorkingDirectory: "/srv", User: "1000:1000", Hostname: "app-host",
		MountPoints: []model.MountPoint{{SourceVolume: "bind", ContainerPath: "/b", ReadOnly: yes()}, {SourceVolume: "scratch", ContainerPath: "/s"}, {SourceVolume: "shared", ContainerPath: "/sh"}},
		VolumesFrom: []model.VolumeFrom{{SourceContainer: "data", ReadOnly: yes()}},
		StopTimeout: i32(5),
		HealthCheck: &model.HealthCheck{Command: []string{"CMD-SHELL", "curl -f localhost"}, Interval: 10, Timeout: 2, Retries: 4, StartPeriod: 15},
		LinuxParameters: &model.LinuxParameters{
			Capabilities: &model.Capabilities{Add: []string{"NET_ADMIN"}, Drop: []string{"MKNOD"}}, InitProcessEnabled: yes(),
			SharedMemorySize: i32(64), Tmpfs: []model.Tmpfs{{ContainerPath: "/tmp", Size: 32, MountOptions: []string{"rw", "noexec"}}},
		},
		Ulimits:                []model.Ulimit{{Name: "nofile", SoftLimit: 1024, HardLimit: 4096}},
		Privileged:             yes(),
		ReadonlyRootFilesystem: yes(),
		DNSServers:             []string{"10.0.0.2"},
		DNSSearchDomains:       []string{"corp"},
		ExtraHosts:             []model.HostEntry{{Hostname: "h", IPAddress: "10.1.1.1"}},
		DockerLabels:           map[string]string{"team": "web", runtime.LabelTaskARN: "spoofed"},
	}
	td := specTD(model.NetworkBridge, c)
	td.CPU = "2048"
	td.Volumes = []model.Volume{
		{Name: "bind", Host: &model.HostVolume{SourcePath: "/srv/data"}},
		{Name: "scratch", Host: &model.HostVolume{}},
		{Name: "shared", DockerVolumeConfiguration: &model.DockerVolumeConfiguration{Scope: "shared"}},
	}
	got, err := containerSpec(specTask(), td, c, specOpts())
	if err != nil {
		t.Fatal(err)
	}
	want := runtime.ContainerSpec{
		Name: "ecs-web-3-app-abc123", Image: "app:1",
		Entrypoint: []string{"/bin/app"}, Cmd: []string{"serve"},
		Env:        []string{"A=1", "AWS_DEFAULT_REGION=eu-west-1", "AWS_EXECUTION_ENV=AWS_ECS_EC2", "AWS_REGION=mine", "B=2=two", "SHARED=from-env"},
		WorkingDir: "/srv", User: "1000:1000", Hostname: "app-host",
		Labels: map[string]string{
			"team": "web", "com.amazonaws.ecs.cluster": "arn:aws:ecs:eu-west-1:000000000000:cluster/prod",
			"com.amazonaws.ecs.task-arn": testTaskARN, "com.amazonaws.ecs.container-name": "app",
			"com.amazonaws.ecs.task-definition-family": "web", "com.amazonaws.ecs.task-definition-version": "3",
			runtime.LabelTaskARN: testTaskARN, runtime.LabelContainerName: "app", runtime.LabelCluster: "prod", "wharf.data-dir": "/d",
		},
		CPUShares: 256, NanoCPUs: 2e9, MemoryBytes: 512 << 20, MemoryReservationBytes: 128 << 20,
		Ulimits: []runtime.Ulimit{{Name: "nofile", Soft: 1024, Hard: 4096}},
		Init:    true, CapAdd: []string{"NET_ADMIN"}, CapDrop: []string{"MKNOD"},
		Tmpfs: map[string]string{"/tmp": "size=32m,rw,noexec"}, ShmSizeBytes: 64 << 20,
		ReadonlyRootfs: true, Privileged: true,
		ExtraHosts: []string{"h:10.1.1.1"}, DNS: []string{"10.0.0.2"}, DNSSearch: []string{"corp"},
		Mounts: []runtime.Mount{
			{Type: runtime.MountBind, Source: "/srv/data", Target: "/b", ReadOnly: true},
			{Type: runtime.MountVolume, Source: "wharf-task-0123456789abcdef0123456789abcdef-scratch", Target: "/s"},
			{Type: runtime.MountVolume, Source: "shared", Target: "/sh"},
		},
		VolumesFrom: []string{"id-data:ro"},
		Links:       []string{"ecs-web-3-db-abc123:database"},
		NetworkMode: "bridge",
		PortBindings: []runtime.PortBinding{
			{ContainerPort: 8080, Protocol: runtime.TCP},
			{ContainerPort: 53, HostPort: 5353, Protocol: runtime.UDP},
		},
		Healthcheck: &runtime.Healthcheck{Test: []string{"CMD-SHELL", "curl -f localhost"}, Interval: 10 * time.Second, Timeout: 2 * time.Second, Retries: 4, StartPeriod: 15 * time.Second},
		StopTimeout: 5 * time.Second,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("containerSpec =\n%+v\nwant\n%+v", got, want)
	}
}

func TestContainerSpecRules(t *testing.T) {
	base := model.ContainerDefinition{Name: "app", Image: "app:1", Essential: true}
	tests := []struct {
		name   string
		task   func(*model.Task)
		td     func(*model.TaskDefinition)
		c      func(*model.ContainerDefinition)
		opts   func(*specOptions)
		check  func(t *testing.T, s runtime.ContainerSpec)
		errHas string
	}{
		{name: "cpu 0 becomes 2 shares", check: func(t *testing.T, s runtime.ContainerSpec) { eq(t, s.CPUShares, int64(2)) }},
		{name: "cpu 1 becomes 2 shares", c: func(c *model.ContainerDefinition) { c.CPU = 1 }, check: func(t *testing.T, s runtime.ContainerSpec) { eq(t, s.CPUShares, int64(2)) }},
		{name: "no task cpu: no CPU cap", check: func(t *testing.T, s runtime.ContainerSpec) { eq(t, s.NanoCPUs, int64(0)) }},
		{name: "task cpu 512 caps at half a CPU", td: func(td *model.TaskDefinition) { td.CPU = "512" }, check: func(t *testing.T, s runtime.ContainerSpec) { eq(t, s.NanoCPUs, int64(5e8)) }},
		{name: "task override cpu wins", task: func(k *model.Task) { k.Overrides.CPU = "1024" }, td: func(td *model.TaskDefinition) { td.CPU = "512" },
			check: func(t *testing.T, s runtime.ContainerSpec) { eq(t, s.NanoCPUs, int64(1e9)) }},
		{name: "task memory is the limit of containers without one", td: func(td *model.TaskDefinition) { td.Memory = "256" },
			check: func(t *testing.T, s runtime.ContainerSpec) { eq(t, s.MemoryBytes, int64(256<<20)) }},
		{name: "container overrides", task: func(k *model.Task) {
			k.Overrides.ContainerOverrides = []model.ContainerOverride{{Name: "other", Command: []string{"no"}},
				{Name: "app", Command: []string{"migrate"}, Environment: []model.KeyValue{{Name: "X", Value: "over"}}, CPU: i32(512), Memory: i32(64), MemoryReservation: i32(32)}}
		}, c: func(c *model.ContainerDefinition) {
			c.Command = []string{"serve"}
			c.Environment = []model.KeyValue{{Name: "X", Value: "td"}, {Name: "Y", Value: "td"}}
		}, check: func(t *testing.T, s runtime.ContainerSpec) {
			eq(t, strings.Join(s.Cmd, " "), "migrate")
			eq(t, strings.Join(s.Env, " "), "AWS_DEFAULT_REGION=eu-west-1 AWS_EXECUTION_ENV=AWS_ECS_EC2 AWS_REGION=eu-west-1 X=over Y=td")
			eq(t, s.CPUShares, int64(512))
			eq(t, s.MemoryBytes, int64(64<<20))
			eq(t, s.MemoryReservationBytes, int64(32<<20))
		}},
		{name: "no region: no AWS_REGION", opts: func(o *specOptions) { o.Region = "" }, check: func(t *testing.T, s runtime.ContainerSpec) {
			eq(t, strings.Join(s.Env, " "), "AWS_EXECUTION_ENV=AWS_ECS_EC2")
		}},
		{name: "S3 environment file fails", c: func(c *model.ContainerDefinition) {
			c.EnvironmentFiles = []model.EnvironmentFile{{Value: "arn:aws:s3:::bucket/app.env", Type: "s3"}}
		}, errHas: "ResourceInitializationError: unable to pull secrets or registry auth: environment file arn:aws:s3:::bucket/app.env cannot be fetched: S3 is not available locally"},
		{name: "missing environment file fails", c: func(c *model.ContainerDefinition) {
			c.EnvironmentFiles = []model.EnvironmentFile{{Value: "/nope.env", Type: "s3"}}
		}, errHas: "ResourceInitializationError: environment file /nope.env cannot be read"},
		{name: "secrets fail", c: func(c *model.ContainerDefinition) {
			c.Secrets = []model.Secret{{Name: "DB_PASSWORD", ValueFrom: "arn:aws:secretsmanager:eu-west-1:000000000000:secret:db"}}
		}, errHas: "ResourceInitializationError: unable to pull secrets or registry auth: secret DB_PASSWORD"},
		{name: "host mode publishes nothing", td: func(td *model.TaskDefinition) { td.NetworkMode = model.NetworkHost },
			c: func(c *model.ContainerDefinition) { c.PortMappings = []model.PortMapping{{ContainerPort: i32(80)}} },
			check: func(t *testing.T, s runtime.ContainerSpec) {
				eq(t, s.NetworkMode, "host")
				eq(t, len(s.PortBindings), 0)
			}},
		{name: "none mode", td: func(td *model.TaskDefinition) { td.NetworkMode = model.NetworkNone }, check: func(t *testing.T, s runtime.ContainerSpec) { eq(t, s.NetworkMode, "none") }},
		{name: "default network mode is bridge", td: func(td *model.TaskDefinition) { td.NetworkMode = "" }, check: func(t *testing.T, s runtime.ContainerSpec) { eq(t, s.NetworkMode, "bridge") }},
		{name: "disableNetworking", c: func(c *model.ContainerDefinition) { c.DisableNetworking = yes() }, check: func(t *testing.T, s runtime.ContainerSpec) { eq(t, s.NetworkMode, "none") }},
		{name: "awsvpc joins the pause container and publishes nothing", td: func(td *model.TaskDefinition) { td.NetworkMode = model.NetworkAwsvpc },
			opts: func(o *specOptions) { o.PauseID = "pause-id" },
			c: func(c *model.ContainerDefinition) {
				c.PortMappings = []model.PortMapping{{ContainerPort: i32(80), HostPort: i32(80)}}
				c.Hostname = "ignored"
				c.DNSServers = []string{"10.0.0.2"}
			},
			check: func(t *testing.T, s runtime.ContainerSpec) {
				eq(t, s.NetworkMode, "container:pause-id")
				eq(t, len(s.PortBindings), 0)
				eq(t, s.Hostname, "")
				eq(t, len(s.DNS), 0)
			}},
		{name: "awsvpc without a pause container fails", td: func(td *model.TaskDefinition) { td.NetworkMode = model.NetworkAwsvpc }, errHas: "ResourceInitializationError"},
		{name: "link without alias", c: func(c *model.ContainerDefinition) { c.Links = []string{"db"} }, check: func(t *testing.T, s runtime.ContainerSpec) {
			eq(t, strings.Join(s.Links, " "), "ecs-web-3-db-abc123:db")
		}},
		{name: "link to a container not created yet fails", c: func(c *model.ContainerDefinition) { c.Links = []string{"cache"} }, errHas: "CannotCreateContainerError: links: container cache"},
		{name: "container port range publishes each port dynamically", c: func(c *model.ContainerDefinition) {
			c.PortMappings = []model.PortMapping{{ContainerPortRange: "9000-9002"}}
		}, check: func(t *testing.T, s runtime.ContainerSpec) {
			eq(t, len(s.PortBindings), 3)
			eq(t, s.PortBindings[2], runtime.PortBinding{ContainerPort: 9002, Protocol: runtime.TCP})
		}},
		{name: "hostPort 0 is dynamic", c: func(c *model.ContainerDefinition) {
			c.PortMappings = []model.PortMapping{{ContainerPort: i32(80), HostPort: i32(0)}}
		}, check: func(t *testing.T, s runtime.ContainerSpec) {
			eq(t, s.PortBindings[0], runtime.PortBinding{ContainerPort: 80, Protocol: runtime.TCP})
		}},
		{name: "task-scoped docker volume", td: func(td *model.TaskDefinition) {
			td.Volumes = []model.Volume{{Name: "v", DockerVolumeConfiguration: &model.DockerVolumeConfiguration{Scope: "task"}}}
		}, c: func(c *model.ContainerDefinition) {
			c.MountPoints = []model.MountPoint{{SourceVolume: "v", ContainerPath: "/v"}}
		},
			check: func(t *testing.T, s runtime.ContainerSpec) {
				eq(t, s.Mounts[0].Source, "wharf-task-0123456789abcdef0123456789abcdef-v")
			}},
		{name: "unknown volume fails", c: func(c *model.ContainerDefinition) {
			c.MountPoints = []model.MountPoint{{SourceVolume: "x", ContainerPath: "/x"}}
		}, errHas: "CannotCreateContainerError: mountPoints"},
		{name: "EFS fails", td: func(td *model.TaskDefinition) {
			td.Volumes = []model.Volume{{Name: "efs", EFSVolumeConfiguration: []byte(`{"fileSystemId":"fs-1"}`)}}
		}, c: func(c *model.ContainerDefinition) {
			c.MountPoints = []model.MountPoint{{SourceVolume: "efs", ContainerPath: "/e"}}
		}, errHas: "not available locally"},
		{name: "default stop timeout", opts: func(o *specOptions) { o.StopTimeoutDefault = 7 * time.Second }, check: func(t *testing.T, s runtime.ContainerSpec) { eq(t, s.StopTimeout, 7*time.Second) }},
		{name: "health check defaults", c: func(c *model.ContainerDefinition) {
			c.HealthCheck = &model.HealthCheck{Command: []string{"CMD", "/hc"}}
		},
			check: func(t *testing.T, s runtime.ContainerSpec) {
				eq(t, *s.Healthcheck, runtime.Healthcheck{Test: []string{"CMD", "/hc"}, Interval: 30 * time.Second, Timeout: 5 * time.Second, Retries: 3})
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task, c, opts := specTask(), base, specOpts()
			td := specTD(model.NetworkBridge)
			if tt.task != nil {
				tt.task(&task)
			}
			if tt.td != nil {
				tt.td(&td)
			}
			if tt.c != nil {
				tt.c(&c)
			}
			if tt.opts != nil {
				tt.opts(&opts)
			}
			td.ContainerDefinitions = []model.ContainerDefinition{c}
			s, err := containerSpec(task, td, c, opts)
			if tt.errHas != "" {
				var se *specError
				if err == nil || !errors.As(err, &se) || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("err = %v, want a specError with %q", err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, s)
		})
	}
}

func TestPauseSpecAndNames(t *testing.T) {
	s := pauseSpec(specTask(), specTD(model.NetworkAwsvpc), "wharf-pause:1", "wharf-awsvpc", "abc", map[string]string{"x": "y"})
	eq(t, s.Name, "ecs-web-3-internalecspause-abc")
	eq(t, s.NetworkMode, "wharf-awsvpc")
	eq(t, s.Labels[runtime.LabelContainerName], pauseContainerName)
	eq(t, s.Labels["x"], "y")
	eq(t, dockerName("my app/1", 2, "web~x", "ff"), "ecs-myapp1-2-webx-ff")
	td := specTD(model.NetworkBridge)
	td.Volumes = []model.Volume{{Name: "a", Host: &model.HostVolume{}}, {Name: "b", Host: &model.HostVolume{SourcePath: "/x"}},
		{Name: "c", DockerVolumeConfiguration: &model.DockerVolumeConfiguration{Scope: "shared"}}, {Name: "d"}}
	eq(t, strings.Join(taskScopedVolumes(specTask(), td), " "), "wharf-task-0123456789abcdef0123456789abcdef-a wharf-task-0123456789abcdef0123456789abcdef-d")
}

func eq[T any](t *testing.T, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
