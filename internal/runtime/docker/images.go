package docker

import (
	"context"
	"fmt"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/wharfhq/wharf/internal/runtime"
)

// Pull pulls image, with the credentials SetRegistryAuth gives for its
// registry. Concurrent pulls of one image share one engine pull (progress
// goes to the caller that started it). Any failure other than ctx ending
// wraps runtime.ErrImageNotFound: for the agent, an image it cannot get is
// an image that is not there, whatever the registry said.
func (r *Runtime) Pull(ctx context.Context, image string, progress func(string)) error {
	return r.pulls.do(ctx, image, func(ctx context.Context) error {
		return r.pull(ctx, image, progress)
	})
}

func (r *Runtime) pull(ctx context.Context, image string, progress func(string)) error {
	resp, err := r.client.ImagePull(ctx, image, client.ImagePullOptions{RegistryAuth: r.encodedAuth(image)})
	if err != nil {
		return pullErr(ctx, image, err)
	}
	defer resp.Close()
	for msg, err := range resp.JSONMessages(ctx) {
		if err != nil {
			return pullErr(ctx, image, err)
		}
		if msg.Error != nil {
			return pullErr(ctx, image, msg.Error)
		}
		if progress == nil {
			continue
		}
		line := strings.TrimSpace(strings.Join(nonEmpty(msg.ID, msg.Status), ": "))
		if line != "" {
			progress(line)
		}
	}
	return nil
}

func pullErr(ctx context.Context, image string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("pull image %s: %w", image, ctxErr(ctx, err))
	}
	return fmt.Errorf("pull image %s: %w: %w", image, runtime.ErrImageNotFound, err)
}

// ImageExists reports whether image is present locally.
func (r *Runtime) ImageExists(ctx context.Context, image string) (bool, error) {
	_, err := r.client.ImageInspect(ctx, image)
	switch {
	case err == nil:
		return true, nil
	case cerrdefs.IsNotFound(err):
		return false, nil
	}
	return false, fmt.Errorf("inspect image %s: %w", image, ctxErr(ctx, err))
}

func nonEmpty(ss ...string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
