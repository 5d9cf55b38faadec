package taskrun

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/wharfhq/wharf/internal/runtime/fake"
)

// pauseBinaries builds testdata/pause once per test process: statically,
// and dynamically linked through cgo's external linker.
var pauseBinaries struct {
	once            sync.Once
	static, dynamic string
	err             error
}

func buildPause(t *testing.T) (static, dynamic string) {
	t.Helper()
	pauseBinaries.once.Do(func() {
		dir, err := os.MkdirTemp("", "wharf-pause-")
		if err != nil {
			pauseBinaries.err = err
			return
		}
		build := func(out string, cgo string, args ...string) error {
			cmd := exec.Command("go", append(append([]string{"build", "-trimpath", "-o", out}, args...), "./testdata/pause")...)
			cmd.Env = append(os.Environ(), "CGO_ENABLED="+cgo)
			if b, err := cmd.CombinedOutput(); err != nil {
				return &buildError{string(b), err}
			}
			return nil
		}
		pauseBinaries.static = filepath.Join(dir, "pause-static")
		pauseBinaries.dynamic = filepath.Join(dir, "pause-dynamic")
		if pauseBinaries.err = build(pauseBinaries.static, "0"); pauseBinaries.err == nil {
			pauseBinaries.err = build(pauseBinaries.dynamic, "1", "-ldflags=-linkmode=external")
		}
	})
	if pauseBinaries.err != nil {
		t.Fatalf("build testdata/pause: %v", pauseBinaries.err)
	}
	return pauseBinaries.static, pauseBinaries.dynamic
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

func TestElfDeps(t *testing.T) {
	static, dynamic := buildPause(t)
	if deps, err := elfDeps(static); err != nil || deps != nil {
		t.Errorf("elfDeps(static) = %v, %v; want nothing", deps, err)
	}
	for _, bin := range []string{dynamic, "/bin/ls"} {
		deps, err := elfDeps(bin)
		if err != nil {
			t.Fatalf("elfDeps(%s): %v", bin, err)
		}
		if len(deps) < 2 || !strings.Contains(deps[0], "ld-linux") || !slices.ContainsFunc(deps, func(d string) bool { return strings.HasSuffix(d, "/libc.so.6") }) {
			t.Errorf("elfDeps(%s) = %v, want the interpreter first and libc", bin, deps)
		}
		for _, d := range deps {
			if !filepath.IsAbs(d) {
				t.Errorf("dependency %q is not an absolute path", d)
			}
		}
	}
}

type recordingBuilder struct {
	*fake.Runtime
	builds []map[string]string
	ep     []string
}

func (b *recordingBuilder) BuildImage(ctx context.Context, tag string, files map[string]string, ep []string, labels map[string]string) error {
	b.builds = append(b.builds, files)
	b.ep = ep
	return b.Runtime.BuildImage(ctx, tag, files, ep, labels)
}

func TestEnsurePauseImageBuildsOnceAndCopiesLibraries(t *testing.T) {
	static, dynamic := buildPause(t)
	b := &recordingBuilder{Runtime: fake.New(fake.Options{})}
	ctx := context.Background()
	tag, err := EnsurePauseImage(ctx, b, static)
	if err != nil {
		t.Fatal(err)
	}
	sum, _ := fileSHA256(static)
	if tag != "wharf-pause:"+sum[:12] {
		t.Errorf("tag = %s", tag)
	}
	if len(b.builds) != 1 || len(b.builds[0]) != 1 || b.builds[0]["/wharf"] != static || !slices.Equal(b.ep, []string{"/wharf", "pause"}) {
		t.Errorf("build = %v %v, want only /wharf with entrypoint /wharf pause", b.builds, b.ep)
	}
	if again, err := EnsurePauseImage(ctx, b, static); err != nil || again != tag || len(b.builds) != 1 {
		t.Errorf("second call = %s, %v, %d builds; want the image reused", again, err, len(b.builds))
	}
	if _, err := EnsurePauseImage(ctx, b, dynamic); err != nil {
		t.Fatal(err)
	}
	if files := b.builds[1]; len(files) < 3 || files["/wharf"] != dynamic {
		t.Errorf("dynamic build files = %v, want the binary, its interpreter and libraries", files)
	}
}
