package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"slices"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
)

// BuildImage builds an image FROM scratch holding files (path in the image →
// host file, copied with its permission bits) with the given entrypoint and
// labels, and tags it tag. It is how the agent makes its awsvpc pause image;
// it is not part of runtime.Runtime.
func (r *Runtime) BuildImage(ctx context.Context, tag string, files map[string]string, entrypoint []string, labels map[string]string) error {
	ep, err := json.Marshal(entrypoint)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dockerfile := fmt.Sprintf("FROM scratch\nCOPY rootfs/ /\nENTRYPOINT %s\n", ep)
	if err := writeTarFile(tw, "Dockerfile", 0o644, []byte(dockerfile)); err != nil {
		return err
	}
	for _, dst := range slices.Sorted(maps.Keys(files)) {
		if !strings.HasPrefix(dst, "/") {
			return fmt.Errorf("build image %s: path %q in the image is not absolute", tag, dst)
		}
		src := files[dst]
		fi, err := os.Stat(src)
		if err != nil {
			return fmt.Errorf("build image %s: %w", tag, err)
		}
		data, err := os.ReadFile(src)
		if err != nil {
			return fmt.Errorf("build image %s: %w", tag, err)
		}
		if err := writeTarFile(tw, path.Join("rootfs", dst), int64(fi.Mode().Perm()), data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	res, err := r.client.ImageBuild(ctx, &buf, client.ImageBuildOptions{
		Tags: []string{tag}, Labels: labels, Remove: true, ForceRemove: true,
	})
	if err != nil {
		return fmt.Errorf("build image %s: %w", tag, ctxErr(ctx, err))
	}
	defer res.Body.Close()
	var log strings.Builder
	dec := json.NewDecoder(res.Body)
	for {
		var msg jsonstream.Message
		if err := dec.Decode(&msg); err == io.EOF {
			break
		} else if err != nil {
			return fmt.Errorf("build image %s: reading output: %w", tag, ctxErr(ctx, err))
		}
		if msg.Error != nil {
			return fmt.Errorf("build image %s: %s\n%s", tag, msg.Error.Message, log.String())
		}
		log.WriteString(msg.Stream)
	}
	return nil
}

// RemoveVolume removes a named volume; a missing volume is not an error.
func (r *Runtime) RemoveVolume(ctx context.Context, name string) error {
	_, err := r.client.VolumeRemove(ctx, name, client.VolumeRemoveOptions{})
	if err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("remove volume %s: %w", name, ctxErr(ctx, err))
	}
	return nil
}

func writeTarFile(tw *tar.Writer, name string, mode int64, data []byte) error {
	hdr := &tar.Header{Name: name, Mode: mode, Size: int64(len(data)), Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}
