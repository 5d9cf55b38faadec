package source

import (
	"archive/tar"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzExtractArchive feeds arbitrary bytes (zip, tar and gzip seeds) to
// the extractor and asserts that, whatever it returns, nothing was
// written outside dest: the directory around dest holds only dest's tree
// and an untouched "outside" directory that symlinks in the seeds aim at.
//
//	go test -run '^$' -fuzz FuzzExtractArchive -fuzztime 2m -fuzzminimizetime 5s ./internal/build/source/
//
// (The default minimisation time of 60s per new input makes progress look
// stalled.)
func FuzzExtractArchive(f *testing.F) {
	attack := []entry{
		{name: "out", body: "../outside", kind: tar.TypeSymlink},
		{name: "out/evil.txt", body: "x", kind: tar.TypeReg, mode: 0o644},
		{name: "abs", body: "/", kind: tar.TypeSymlink},
		{name: "abs/tmp/evil.txt", body: "x", kind: tar.TypeReg, mode: 0o644},
		{name: "victim", body: "../outside/victim", kind: tar.TypeSymlink},
		{name: "victim", body: "overwrite", kind: tar.TypeReg, mode: 0o644},
		{name: "hard", body: "../outside/victim", kind: tar.TypeLink},
		{name: "../slip.txt", body: "x", kind: tar.TypeReg, mode: 0o644},
	}
	for _, es := range [][]entry{goodEntries, attack, attack[:2], attack[2:4], attack[6:7]} {
		f.Add(makeZip(f, es))
		f.Add(makeTar(f, es, false))
		f.Add(makeTar(f, es, true))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		parent := t.TempDir()
		dest := filepath.Join(parent, "dest")
		outside := filepath.Join(parent, "outside")
		for _, d := range []string{dest, outside} {
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		writeFile(t, filepath.Join(outside, "victim"), "original", 0o644)
		_, _ = extractArchive(context.Background(), sectionOf(data), dest, func(string) {})
		assertOnlyUnder(t, parent, dest, outside)
		if b, err := os.ReadFile(filepath.Join(outside, "victim")); err != nil || string(b) != "original" {
			t.Fatalf("outside/victim changed: %q, %v", b, err)
		}
		// Make dest removable for t.TempDir's cleanup whatever modes came in.
		_ = filepath.WalkDir(dest, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				_ = os.Chmod(p, 0o755)
			}
			return nil
		})
	})
}
