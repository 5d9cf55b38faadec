package docker

import (
	"context"
	"fmt"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/wharfhq/wharf/internal/runtime"
)

// EnsureNetwork returns the network called name, creating a bridge network
// with labels (plus wharf.managed=true) if there is none. Labels of an
// existing network are not changed.
func (r *Runtime) EnsureNetwork(ctx context.Context, name string, labels map[string]string) (runtime.NetworkInfo, error) {
	if info, ok, err := r.findNetwork(ctx, name); err != nil || ok {
		return info, err
	}
	all := make(map[string]string, len(labels)+1)
	for k, v := range labels {
		all[k] = v
	}
	all[runtime.LabelManaged] = "true"
	_, err := r.client.NetworkCreate(ctx, name, client.NetworkCreateOptions{Driver: "bridge", Labels: all})
	if err != nil && !cerrdefs.IsConflict(err) { // conflict: created concurrently; use theirs
		return runtime.NetworkInfo{}, fmt.Errorf("create network %s: %w", name, ctxErr(ctx, err))
	}
	info, ok, err := r.findNetwork(ctx, name)
	if err == nil && !ok {
		err = fmt.Errorf("network %s vanished right after it was created", name)
	}
	return info, err
}

// findNetwork looks a network up by exact name.
func (r *Runtime) findNetwork(ctx context.Context, name string) (runtime.NetworkInfo, bool, error) {
	res, err := r.client.NetworkInspect(ctx, name, client.NetworkInspectOptions{})
	switch {
	case cerrdefs.IsNotFound(err):
		return runtime.NetworkInfo{}, false, nil
	case err != nil:
		return runtime.NetworkInfo{}, false, fmt.Errorf("inspect network %s: %w", name, ctxErr(ctx, err))
	}
	// Inspect also matches by ID (prefix); only an exact name counts.
	if res.Network.Name != name {
		return runtime.NetworkInfo{}, false, nil
	}
	return networkInfo(res.Network.Network), true, nil
}

func networkInfo(n network.Network) runtime.NetworkInfo {
	info := runtime.NetworkInfo{ID: n.ID, Name: n.Name, Labels: n.Labels}
	for _, c := range n.IPAM.Config {
		if c.Subnet.IsValid() && c.Subnet.Addr().Is4() {
			info.Subnet, info.Gateway = c.Subnet, c.Gateway
			break
		}
	}
	return info
}
