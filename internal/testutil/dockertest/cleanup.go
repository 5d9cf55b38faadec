package dockertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/wharfhq/wharf/internal/runtime"
)

// Label returns a value for the wharf.test label unique to this test run and
// registers Cleanup for it. Put runtime.LabelTest=<value> on everything the
// test creates.
func Label(t testing.TB) string {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "-"))
	if len(name) > 40 {
		name = name[:40]
	}
	v := name + "-" + hex.EncodeToString(b)
	Cleanup(t, v)
	return v
}

// Cleanup registers a t.Cleanup that force-removes every container, then
// every network, labelled wharf.test=labelValue. Failures are reported with
// t.Errorf: leaking containers is a test bug.
func Cleanup(t testing.TB, labelValue string) {
	t.Helper()
	CleanupLabel(t, runtime.LabelTest, labelValue)
}

// CleanupLabel is Cleanup for any label, e.g. the wharf.data-dir of a
// server under test, whose containers carry no wharf.test label.
func CleanupLabel(t testing.TB, key, labelValue string) {
	t.Helper()
	c := RequireDocker(t)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		f := client.Filters{}
		f.Add("label", key+"="+labelValue)
		cs, err := c.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
		if err != nil {
			t.Errorf("cleanup: list containers: %v", err)
			return
		}
		for _, ct := range cs.Items {
			_, err := c.ContainerRemove(ctx, ct.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
			if err != nil && !cerrdefs.IsNotFound(err) {
				t.Errorf("cleanup: remove container %s: %v", ct.ID, err)
			}
		}
		ns, err := c.NetworkList(ctx, client.NetworkListOptions{Filters: f})
		if err != nil {
			t.Errorf("cleanup: list networks: %v", err)
			return
		}
		for _, n := range ns.Items {
			if _, err := c.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
				t.Errorf("cleanup: remove network %s: %v", n.Name, err)
			}
		}
	})
}
