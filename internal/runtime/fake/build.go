package fake

import (
	"context"
	"fmt"
	"os"
)

// BuildImage makes tag present, as if built FROM scratch with files; it
// checks that the host files exist, like runtime/docker does.
func (r *Runtime) BuildImage(ctx context.Context, tag string, files map[string]string, entrypoint []string, labels map[string]string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, src := range files {
		if _, err := os.Stat(src); err != nil {
			return fmt.Errorf("build image %s: %w", tag, err)
		}
	}
	r.AddImage(tag)
	return nil
}

// RemoveVolume succeeds: the fake does not model volumes.
func (r *Runtime) RemoveVolume(ctx context.Context, name string) error { return ctx.Err() }
