package taskrun

import (
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/wharfhq/wharf/internal/runtime"
)

// PauseImageRepository is the repository of awsvpc pause images.
const PauseImageRepository = "wharf-pause"

// PauseBuilder is what EnsurePauseImage needs from a runtime:
// runtime/docker and runtime/fake implement it besides runtime.Runtime.
type PauseBuilder interface {
	ImageExists(ctx context.Context, image string) (bool, error)
	// BuildImage builds a FROM-scratch image of files (path in the image →
	// host file) with the entrypoint and labels, tagged tag.
	BuildImage(ctx context.Context, tag string, files map[string]string, entrypoint []string, labels map[string]string) error
}

// EnsurePauseImage returns the awsvpc pause image for wharfBinary, building
// it if it is not present: FROM scratch, the binary at /wharf, entrypoint
// ["/wharf", "pause"] (a command that blocks until SIGTERM). A dynamically
// linked binary also gets its ELF interpreter and shared libraries at their
// host paths. The tag is wharf-pause:<first 12 hex digits of the binary's
// SHA-256>, so a new binary gets a new image and an existing one is reused.
func EnsurePauseImage(ctx context.Context, rt PauseBuilder, wharfBinary string) (string, error) {
	sum, err := fileSHA256(wharfBinary)
	if err != nil {
		return "", fmt.Errorf("pause image: %w", err)
	}
	tag := PauseImageRepository + ":" + sum[:12]
	ok, err := rt.ImageExists(ctx, tag)
	if err != nil {
		return "", fmt.Errorf("pause image: %w", err)
	}
	if ok {
		return tag, nil
	}
	files := map[string]string{"/wharf": wharfBinary}
	deps, err := elfDeps(wharfBinary)
	if err != nil {
		return "", fmt.Errorf("pause image: %w", err)
	}
	for _, d := range deps {
		files[d] = d
	}
	labels := map[string]string{runtime.LabelManaged: "true"}
	if err := rt.BuildImage(ctx, tag, files, []string{"/wharf", "pause"}, labels); err != nil {
		return "", fmt.Errorf("pause image: %w", err)
	}
	return tag, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// libraryDirs is where elfDeps looks for shared libraries, as ld.so does
// on Debian-style x86-64 systems.
var libraryDirs = []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/lib", "/usr/lib"}

// elfDeps returns what a dynamically linked ELF binary needs at run time:
// its interpreter (PT_INTERP) and its DT_NEEDED libraries, transitively,
// as absolute host paths. A static binary needs nothing.
func elfDeps(binary string) ([]string, error) {
	f, err := elf.Open(binary)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	interp := ""
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b, err := io.ReadAll(p.Open())
			if err != nil {
				return nil, fmt.Errorf("%s: reading PT_INTERP: %w", binary, err)
			}
			interp = strings.TrimRight(string(b), "\x00")
		}
	}
	if interp == "" {
		return nil, nil
	}
	out := []string{interp}
	seen := map[string]bool{interp: true}
	queue := []string{binary}
	for len(queue) > 0 {
		next := queue[0]
		queue = queue[1:]
		libs, err := neededLibraries(next)
		if err != nil {
			return nil, err
		}
		for _, lib := range libs {
			path, err := findLibrary(lib)
			if err != nil {
				return nil, fmt.Errorf("%s needs %s: %w", next, lib, err)
			}
			if seen[path] {
				continue
			}
			seen[path] = true
			out = append(out, path)
			queue = append(queue, path)
		}
	}
	return out, nil
}

func neededLibraries(path string) ([]string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	libs, err := f.ImportedLibraries()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return libs, nil
}

func findLibrary(name string) (string, error) {
	if filepath.IsAbs(name) {
		return name, nil
	}
	for _, dir := range libraryDirs {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("not found in %s", strings.Join(libraryDirs, ", "))
}
