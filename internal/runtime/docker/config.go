package docker

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"

	"github.com/wharfhq/wharf/internal/runtime"
)

// createConfig is the body of Docker's container-create request.
type createConfig struct {
	Config     *container.Config
	Host       *container.HostConfig
	Networking *network.NetworkingConfig
}

// dockerConfig maps a runtime-neutral spec onto Docker's create request. It
// validates only what Docker would otherwise reject with a less helpful
// message or silently ignore.
func dockerConfig(spec runtime.ContainerSpec) (createConfig, error) {
	if spec.Image == "" {
		return createConfig{}, fmt.Errorf("container spec: image is required")
	}
	labels := make(map[string]string, len(spec.Labels)+1)
	for k, v := range spec.Labels {
		labels[k] = v
	}
	labels[runtime.LabelManaged] = "true"

	cfg := &container.Config{
		Image:      spec.Image,
		Entrypoint: spec.Entrypoint,
		Cmd:        spec.Cmd,
		Env:        spec.Env,
		WorkingDir: spec.WorkingDir,
		User:       spec.User,
		Hostname:   spec.Hostname,
		Labels:     labels,
		StopSignal: spec.StopSignal,
	}
	if spec.StopTimeout > 0 {
		secs := ceilSeconds(spec.StopTimeout)
		cfg.StopTimeout = &secs
	}
	if hc := spec.Healthcheck; hc != nil {
		cfg.Healthcheck = &container.HealthConfig{
			Test:        hc.Test,
			Interval:    hc.Interval,
			Timeout:     hc.Timeout,
			StartPeriod: hc.StartPeriod,
			Retries:     hc.Retries,
		}
	}

	host := &container.HostConfig{
		NetworkMode:    container.NetworkMode(spec.NetworkMode),
		CapAdd:         spec.CapAdd,
		CapDrop:        spec.CapDrop,
		Tmpfs:          spec.Tmpfs,
		ShmSize:        spec.ShmSizeBytes,
		ReadonlyRootfs: spec.ReadonlyRootfs,
		Privileged:     spec.Privileged,
		ExtraHosts:     spec.ExtraHosts,
		DNSSearch:      spec.DNSSearch,
		VolumesFrom:    spec.VolumesFrom,
		Links:          spec.Links,
		Resources: container.Resources{
			CPUShares:         spec.CPUShares,
			NanoCPUs:          spec.NanoCPUs,
			Memory:            spec.MemoryBytes,
			MemoryReservation: spec.MemoryReservationBytes,
		},
	}
	if spec.Init {
		init := true
		host.Init = &init
	}
	for _, u := range spec.Ulimits {
		host.Ulimits = append(host.Ulimits, &container.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	for _, s := range spec.DNS {
		addr, err := netip.ParseAddr(s)
		if err != nil {
			return createConfig{}, fmt.Errorf("container spec: dns server %q is not an IP address", s)
		}
		host.DNS = append(host.DNS, addr)
	}
	for i, m := range spec.Mounts {
		dm, err := dockerMount(m)
		if err != nil {
			return createConfig{}, fmt.Errorf("container spec: mounts[%d]: %w", i, err)
		}
		host.Mounts = append(host.Mounts, dm)
	}

	mode := spec.NetworkMode
	userDefined := isUserDefinedNetwork(mode)
	if len(spec.PortBindings) > 0 {
		switch {
		case mode == network.NetworkHost:
			// Docker discards published ports in host mode: the container
			// binds host ports directly. Publish nothing.
		case mode == network.NetworkNone || strings.HasPrefix(mode, "container:"):
			return createConfig{}, fmt.Errorf("container spec: port bindings are not allowed with network mode %q", mode)
		default:
			cfg.ExposedPorts = network.PortSet{}
			host.PortBindings = network.PortMap{}
			for i, pb := range spec.PortBindings {
				port, binding, err := dockerPortBinding(pb)
				if err != nil {
					return createConfig{}, fmt.Errorf("container spec: portBindings[%d]: %w", i, err)
				}
				cfg.ExposedPorts[port] = struct{}{}
				host.PortBindings[port] = append(host.PortBindings[port], binding)
			}
		}
	}

	var networking *network.NetworkingConfig
	if len(spec.NetworkAliases) > 0 {
		if !userDefined {
			return createConfig{}, fmt.Errorf("container spec: network aliases need a user-defined network, not network mode %q", mode)
		}
		networking = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
			mode: {Aliases: spec.NetworkAliases},
		}}
	}
	return createConfig{Config: cfg, Host: host, Networking: networking}, nil
}

// isUserDefinedNetwork reports whether a network mode names a user-defined
// network rather than one of Docker's built-in modes.
func isUserDefinedNetwork(mode string) bool {
	switch mode {
	case "", network.NetworkDefault, network.NetworkBridge, network.NetworkHost, network.NetworkNone:
		return false
	}
	return !strings.HasPrefix(mode, "container:")
}

func dockerMount(m runtime.Mount) (mount.Mount, error) {
	if m.Target == "" {
		return mount.Mount{}, fmt.Errorf("target is required")
	}
	var t mount.Type
	switch m.Type {
	case runtime.MountBind:
		t = mount.TypeBind
		if !strings.HasPrefix(m.Source, "/") {
			return mount.Mount{}, fmt.Errorf("bind source %q is not an absolute path", m.Source)
		}
	case runtime.MountVolume:
		t = mount.TypeVolume
	default:
		return mount.Mount{}, fmt.Errorf("unknown mount type %q", m.Type)
	}
	return mount.Mount{Type: t, Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly}, nil
}

func dockerPortBinding(pb runtime.PortBinding) (network.Port, network.PortBinding, error) {
	proto := pb.Protocol
	if proto == "" {
		proto = runtime.TCP
	}
	if proto != runtime.TCP && proto != runtime.UDP {
		return network.Port{}, network.PortBinding{}, fmt.Errorf("protocol %q is not tcp or udp", pb.Protocol)
	}
	if pb.ContainerPort == 0 {
		return network.Port{}, network.PortBinding{}, fmt.Errorf("container port is required")
	}
	port, _ := network.PortFrom(pb.ContainerPort, network.IPProtocol(proto))
	var binding network.PortBinding
	if pb.HostIP != "" {
		addr, err := netip.ParseAddr(pb.HostIP)
		if err != nil {
			return network.Port{}, network.PortBinding{}, fmt.Errorf("host IP %q is not an IP address", pb.HostIP)
		}
		binding.HostIP = addr
	}
	if pb.HostPort != 0 {
		binding.HostPort = strconv.Itoa(int(pb.HostPort))
	}
	return port, binding, nil
}
