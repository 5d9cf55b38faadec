package dockertest

import (
	"context"
	"strings"
	"testing"

	"github.com/wharfhq/wharf/internal/runtime"
)

func TestBuildTestAppIsReusedAndLabelled(t *testing.T) {
	ref := BuildTestApp(t)
	if !strings.HasPrefix(ref, TestAppImage+":") {
		t.Fatalf("image ref = %q, want %s:<hash>", ref, TestAppImage)
	}
	if again := BuildTestApp(t); again != ref {
		t.Fatalf("second BuildTestApp = %q, want the same %q", again, ref)
	}
	c := RequireDocker(t)
	img, err := c.ImageInspect(context.Background(), ref)
	if err != nil {
		t.Fatalf("inspect %s: %v", ref, err)
	}
	if got := img.Config.Labels[runtime.LabelTest]; got != "1" {
		t.Errorf("label %s = %q, want \"1\"", runtime.LabelTest, got)
	}
	if got := img.Config.Entrypoint; len(got) != 1 || got[0] != "/testapp" {
		t.Errorf("entrypoint = %q, want [/testapp]", got)
	}
}

func TestBuildScratchImageRejectsRelativeEntrypoint(t *testing.T) {
	c := RequireDocker(t)
	err := buildScratchImage(context.Background(), c, "/nonexistent", "wharf-test-never:1", []string{"app"})
	if err == nil || !strings.Contains(err.Error(), "absolute path") {
		t.Fatalf("err = %v, want an error about the absolute path", err)
	}
}
