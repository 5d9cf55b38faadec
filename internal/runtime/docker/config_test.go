package docker

import (
	"encoding/json"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"

	"github.com/wharfhq/wharf/internal/runtime"
)

// baseConfig is what dockerConfig makes of runtime.ContainerSpec{Image: "img"}.
func baseConfig() createConfig {
	return createConfig{
		Config: &container.Config{Image: "img", Labels: map[string]string{runtime.LabelManaged: "true"}},
		Host:   &container.HostConfig{},
	}
}

func TestDockerConfig(t *testing.T) {
	yes := true
	ten := 10
	tcp80 := network.MustParsePort("80/tcp")
	udp53 := network.MustParsePort("53/udp")

	tests := []struct {
		name string
		spec func(*runtime.ContainerSpec) // applied to {Image: "img"}
		want func(*createConfig)          // applied to baseConfig()
	}{
		{
			name: "minimal spec gets the managed label only",
			spec: func(s *runtime.ContainerSpec) {},
			want: func(c *createConfig) {},
		},
		{
			name: "process settings",
			spec: func(s *runtime.ContainerSpec) {
				s.Entrypoint = []string{"/app"}
				s.Cmd = []string{"serve", "--port=80"}
				s.Env = []string{"A=1", "B=2"}
				s.WorkingDir = "/srv"
				s.User = "1000:1000"
				s.Hostname = "web"
				s.StopSignal = "SIGQUIT"
				s.StopTimeout = 9500 * time.Millisecond
			},
			want: func(c *createConfig) {
				c.Config.Entrypoint = []string{"/app"}
				c.Config.Cmd = []string{"serve", "--port=80"}
				c.Config.Env = []string{"A=1", "B=2"}
				c.Config.WorkingDir = "/srv"
				c.Config.User = "1000:1000"
				c.Config.Hostname = "web"
				c.Config.StopSignal = "SIGQUIT"
				c.Config.StopTimeout = &ten
			},
		},
		{
			name: "agent labels are kept and wharf.managed cannot be overridden",
			spec: func(s *runtime.ContainerSpec) {
				s.Labels = map[string]string{runtime.LabelCluster: "default", runtime.LabelManaged: "false"}
			},
			want: func(c *createConfig) {
				c.Config.Labels = map[string]string{runtime.LabelCluster: "default", runtime.LabelManaged: "true"}
			},
		},
		{
			name: "resources",
			spec: func(s *runtime.ContainerSpec) {
				s.CPUShares = 512
				s.NanoCPUs = 1_500_000_000
				s.MemoryBytes = 256 << 20
				s.MemoryReservationBytes = 128 << 20
				s.Ulimits = []runtime.Ulimit{{Name: "nofile", Soft: 1024, Hard: 4096}}
			},
			want: func(c *createConfig) {
				c.Host.CPUShares = 512
				c.Host.NanoCPUs = 1_500_000_000
				c.Host.Memory = 256 << 20
				c.Host.MemoryReservation = 128 << 20
				c.Host.Ulimits = []*container.Ulimit{{Name: "nofile", Soft: 1024, Hard: 4096}}
			},
		},
		{
			name: "linux parameters and security",
			spec: func(s *runtime.ContainerSpec) {
				s.Init = true
				s.CapAdd = []string{"NET_ADMIN"}
				s.CapDrop = []string{"ALL"}
				s.Tmpfs = map[string]string{"/run": "size=64m"}
				s.ShmSizeBytes = 1 << 26
				s.ReadonlyRootfs = true
				s.Privileged = true
			},
			want: func(c *createConfig) {
				c.Host.Init = &yes
				c.Host.CapAdd = []string{"NET_ADMIN"}
				c.Host.CapDrop = []string{"ALL"}
				c.Host.Tmpfs = map[string]string{"/run": "size=64m"}
				c.Host.ShmSize = 1 << 26
				c.Host.ReadonlyRootfs = true
				c.Host.Privileged = true
			},
		},
		{
			name: "dns and hosts",
			spec: func(s *runtime.ContainerSpec) {
				s.DNS = []string{"10.0.0.2", "2001:db8::1"}
				s.DNSSearch = []string{"svc.local"}
				s.ExtraHosts = []string{"db:10.0.0.5"}
			},
			want: func(c *createConfig) {
				c.Host.DNS = []netip.Addr{netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("2001:db8::1")}
				c.Host.DNSSearch = []string{"svc.local"}
				c.Host.ExtraHosts = []string{"db:10.0.0.5"}
			},
		},
		{
			name: "mounts, volumesFrom and links",
			spec: func(s *runtime.ContainerSpec) {
				s.Mounts = []runtime.Mount{
					{Type: runtime.MountBind, Source: "/var/data", Target: "/data", ReadOnly: true},
					{Type: runtime.MountVolume, Source: "cache", Target: "/cache"},
				}
				s.VolumesFrom = []string{"sidecar:ro"}
				s.Links = []string{"db:database"}
			},
			want: func(c *createConfig) {
				c.Host.Mounts = []mount.Mount{
					{Type: mount.TypeBind, Source: "/var/data", Target: "/data", ReadOnly: true},
					{Type: mount.TypeVolume, Source: "cache", Target: "/cache"},
				}
				c.Host.VolumesFrom = []string{"sidecar:ro"}
				c.Host.Links = []string{"db:database"}
			},
		},
		{
			name: "bridge port bindings: dynamic, fixed, udp, host IP",
			spec: func(s *runtime.ContainerSpec) {
				s.NetworkMode = "bridge"
				s.PortBindings = []runtime.PortBinding{
					{ContainerPort: 80},
					{ContainerPort: 80, HostPort: 8080, HostIP: "127.0.0.1"},
					{ContainerPort: 53, HostPort: 5353, Protocol: runtime.UDP},
				}
			},
			want: func(c *createConfig) {
				c.Host.NetworkMode = "bridge"
				c.Config.ExposedPorts = network.PortSet{tcp80: {}, udp53: {}}
				c.Host.PortBindings = network.PortMap{
					tcp80: {{}, {HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: "8080"}},
					udp53: {{HostPort: "5353"}},
				}
			},
		},
		{
			name: "host mode publishes nothing",
			spec: func(s *runtime.ContainerSpec) {
				s.NetworkMode = "host"
				s.PortBindings = []runtime.PortBinding{{ContainerPort: 80, HostPort: 80}}
			},
			want: func(c *createConfig) { c.Host.NetworkMode = "host" },
		},
		{
			name: "user-defined network with aliases",
			spec: func(s *runtime.ContainerSpec) {
				s.NetworkMode = "wharf-task-1"
				s.NetworkAliases = []string{"web", "web.local"}
			},
			want: func(c *createConfig) {
				c.Host.NetworkMode = "wharf-task-1"
				c.Networking = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
					"wharf-task-1": {Aliases: []string{"web", "web.local"}},
				}}
			},
		},
		{
			name: "container network mode",
			spec: func(s *runtime.ContainerSpec) { s.NetworkMode = "container:abc" },
			want: func(c *createConfig) { c.Host.NetworkMode = "container:abc" },
		},
		{
			name: "healthcheck",
			spec: func(s *runtime.ContainerSpec) {
				s.Healthcheck = &runtime.Healthcheck{
					Test:     []string{"CMD", "/testapp", "healthcheck"},
					Interval: 5 * time.Second, Timeout: 2 * time.Second, Retries: 3, StartPeriod: 10 * time.Second,
				}
			},
			want: func(c *createConfig) {
				c.Config.Healthcheck = &container.HealthConfig{
					Test:     []string{"CMD", "/testapp", "healthcheck"},
					Interval: 5 * time.Second, Timeout: 2 * time.Second, Retries: 3, StartPeriod: 10 * time.Second,
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := runtime.ContainerSpec{Image: "img"}
			tt.spec(&spec)
			want := baseConfig()
			tt.want(&want)
			got, err := dockerConfig(spec)
			if err != nil {
				t.Fatalf("dockerConfig: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("dockerConfig mismatch\n got: %s\nwant: %s", dump(got), dump(want))
			}
		})
	}
}

func TestDockerConfigRejects(t *testing.T) {
	tests := []struct {
		name    string
		spec    runtime.ContainerSpec
		wantErr string
	}{
		{"no image", runtime.ContainerSpec{}, "image is required"},
		{"bad dns", runtime.ContainerSpec{Image: "i", DNS: []string{"dns.example"}}, `dns server "dns.example"`},
		{"bad protocol", runtime.ContainerSpec{Image: "i", PortBindings: []runtime.PortBinding{{ContainerPort: 1, Protocol: "sctp"}}}, "portBindings[0]: protocol"},
		{"no container port", runtime.ContainerSpec{Image: "i", PortBindings: []runtime.PortBinding{{HostPort: 80}}}, "container port is required"},
		{"bad host IP", runtime.ContainerSpec{Image: "i", PortBindings: []runtime.PortBinding{{ContainerPort: 80, HostIP: "localhost"}}}, `host IP "localhost"`},
		{"ports with none", runtime.ContainerSpec{Image: "i", NetworkMode: "none", PortBindings: []runtime.PortBinding{{ContainerPort: 80}}}, "not allowed with network mode"},
		{"ports with container mode", runtime.ContainerSpec{Image: "i", NetworkMode: "container:x", PortBindings: []runtime.PortBinding{{ContainerPort: 80}}}, "not allowed with network mode"},
		{"aliases on bridge", runtime.ContainerSpec{Image: "i", NetworkAliases: []string{"a"}}, "need a user-defined network"},
		{"relative bind", runtime.ContainerSpec{Image: "i", Mounts: []runtime.Mount{{Type: runtime.MountBind, Source: "data", Target: "/d"}}}, "mounts[0]: bind source"},
		{"unknown mount type", runtime.ContainerSpec{Image: "i", Mounts: []runtime.Mount{{Type: "nfs", Source: "x", Target: "/d"}}}, `unknown mount type "nfs"`},
		{"mount without target", runtime.ContainerSpec{Image: "i", Mounts: []runtime.Mount{{Type: runtime.MountVolume, Source: "x"}}}, "target is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := dockerConfig(tt.spec)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func dump(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err.Error()
	}
	return string(b)
}
