package docker

import (
	"context"

	"github.com/moby/moby/client"
)

// Version returns the Docker engine's version, e.g. "20.10.24+dfsg1".
func (r *Runtime) Version(ctx context.Context) (string, error) {
	v, err := r.client.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		return "", err
	}
	return v.Version, nil
}
