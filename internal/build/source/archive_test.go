package source

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// entry is one archive member to build test archives from.
type entry struct {
	name   string
	body   string // file content, or the symlink / hard link target
	mode   fs.FileMode
	kind   byte // tar.TypeReg, TypeDir, TypeSymlink, TypeLink
	noUnix bool // zip only: no Unix mode bits recorded (a Windows zip)
}

var mtime = time.Date(2023, 5, 6, 7, 8, 9, 0, time.UTC)

func makeZip(t testing.TB, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: mtime}
		switch e.kind {
		case tar.TypeDir:
			h.SetMode(fs.ModeDir | e.mode)
		case tar.TypeSymlink:
			h.SetMode(fs.ModeSymlink | 0o777)
		default:
			h.SetMode(e.mode)
		}
		if e.noUnix {
			h.CreatorVersion = 0 // MS-DOS
			h.ExternalAttrs = 0
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if e.kind != tar.TypeDir {
			if _, err := io.WriteString(w, e.body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func makeTar(t testing.TB, entries []entry, gz bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.Writer = &buf
	var gzw *gzip.Writer
	if gz {
		gzw = gzip.NewWriter(&buf)
		w = gzw
	}
	tw := tar.NewWriter(w)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: int64(e.mode), Typeflag: e.kind, ModTime: mtime, Format: tar.FormatPAX}
		switch e.kind {
		case tar.TypeSymlink, tar.TypeLink:
			h.Linkname = e.body
		case tar.TypeReg:
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.kind == tar.TypeReg {
			if _, err := io.WriteString(tw, e.body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if gzw != nil {
		if err := gzw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// goodEntries is a tree with every entry kind and a spread of modes.
var goodEntries = []entry{
	{name: "app/", kind: tar.TypeDir, mode: 0o750},
	{name: "app/run.sh", body: "#!/bin/sh\n", kind: tar.TypeReg, mode: 0o755},
	{name: "app/secret.txt", body: "s", kind: tar.TypeReg, mode: 0o600},
	{name: "app/readonly/", kind: tar.TypeDir, mode: 0o555},
	{name: "app/readonly/file", body: "ro", kind: tar.TypeReg, mode: 0o444},
	{name: "buildspec.yml", body: "version: 0.2\n", kind: tar.TypeReg, mode: 0o644},
	{name: "deep/a/b/c.txt", body: "implicit parents", kind: tar.TypeReg, mode: 0o640},
	{name: "link", body: "app/run.sh", kind: tar.TypeSymlink},
	{name: "./dot/slash.txt", body: "dot", kind: tar.TypeReg, mode: 0o644},
}

func TestExtractArchiveFormats(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		file string // archive file name on disk
	}{
		{"zip", makeZip(t, goodEntries), "src.zip"},
		{"tar", makeTar(t, goodEntries, false), "src.tar"},
		{"tar.gz", makeTar(t, goodEntries, true), "src.tar.gz"},
		{"tgz", makeTar(t, goodEntries, true), "src.tgz"},
		{"artifact without extension", makeZip(t, goodEntries), "SourceArti/x7Yq2Ab"},
	}
	for _, tc := range tests {
		for _, typ := range []string{TypeS3, TypeCodePipeline} {
			t.Run(tc.name+"/"+typ, func(t *testing.T) {
				archive := filepath.Join(t.TempDir(), tc.file)
				writeFile(t, archive, string(tc.data), 0o644)
				dest := filepath.Join(t.TempDir(), "src")
				var l logs
				res, err := Fetch(context.Background(), Spec{Type: typ, Location: "file://" + archive}, dest, Options{Log: l.log})
				if err != nil {
					t.Fatalf("%v\n%s", err, &l)
				}
				if res.ResolvedVersion != "" {
					t.Errorf("ResolvedVersion = %q for an archive", res.ResolvedVersion)
				}
				if !l.has("Extracting archive "+archive) || !l.has("Extracted 9 entries") {
					t.Errorf("log:\n%s", &l)
				}
				checkGoodTree(t, dest)
			})
		}
	}
}

// checkGoodTree asserts dest holds goodEntries with their modes.
func checkGoodTree(t *testing.T, dest string) {
	t.Helper()
	modes := map[string]fs.FileMode{
		"app":               fs.ModeDir | 0o750,
		"app/run.sh":        0o755,
		"app/secret.txt":    0o600,
		"app/readonly":      fs.ModeDir | 0o555,
		"app/readonly/file": 0o444,
		"buildspec.yml":     0o644,
		"deep/a/b/c.txt":    0o640,
		"dot/slash.txt":     0o644,
	}
	for name, want := range modes {
		st, err := os.Lstat(filepath.Join(dest, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := st.Mode() & (fs.ModeDir | fs.ModePerm); got != want {
			t.Errorf("%s mode %v, want %v", name, got, want)
		}
		if !st.ModTime().Equal(mtime) {
			t.Errorf("%s mtime %v, want %v", name, st.ModTime(), mtime)
		}
	}
	if target, err := os.Readlink(filepath.Join(dest, "link")); err != nil || target != "app/run.sh" {
		t.Errorf("link -> %q, %v", target, err)
	}
	if b, err := os.ReadFile(filepath.Join(dest, "deep/a/b/c.txt")); err != nil || string(b) != "implicit parents" {
		t.Errorf("deep/a/b/c.txt = %q, %v", b, err)
	}
}

func TestExtractZipWithoutUnixModes(t *testing.T) {
	data := makeZip(t, []entry{{name: "a.txt", body: "a", kind: tar.TypeReg, mode: 0o666, noUnix: true}})
	dest := t.TempDir()
	if _, err := extractArchive(context.Background(), sectionOf(data), dest, func(string) {}); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(dest, "a.txt")); err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("a.txt: %v %v; want 0644 as with umask 022", st.Mode(), err)
	}
}

func TestExtractTarHardLink(t *testing.T) {
	data := makeTar(t, []entry{
		{name: "a.txt", body: "shared", kind: tar.TypeReg, mode: 0o644},
		{name: "b/a-again.txt", body: "a.txt", kind: tar.TypeLink},
		{name: "fifo", kind: tar.TypeFifo},
	}, false)
	dest := t.TempDir()
	var l logs
	if _, err := extractArchive(context.Background(), sectionOf(data), dest, l.log); err != nil {
		t.Fatal(err)
	}
	a, _ := os.Stat(filepath.Join(dest, "a.txt"))
	b, err := os.Stat(filepath.Join(dest, "b/a-again.txt"))
	if err != nil || !os.SameFile(a, b) {
		t.Fatalf("hard link not made: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(dest, "fifo")); err == nil || !l.has("Skipping archive entry fifo") {
		t.Fatalf("fifo not skipped: %v\n%s", err, &l)
	}
}

func TestExtractArchiveRejectsEscapes(t *testing.T) {
	tests := []struct {
		name    string
		entries []entry
		entry   string // the entry the error must name
		unsafe  bool   // rejected by name (ErrUnsafeArchive), not only by os.Root
	}{
		{"dot-dot", []entry{{name: "../evil.txt", body: "x", kind: tar.TypeReg, mode: 0o644}}, "../evil.txt", true},
		{"nested dot-dot", []entry{{name: "a/../../evil.txt", body: "x", kind: tar.TypeReg, mode: 0o644}}, "a/../../evil.txt", true},
		{"absolute", []entry{{name: "/tmp/evil.txt", body: "x", kind: tar.TypeReg, mode: 0o644}}, "/tmp/evil.txt", true},
		{"dir dot-dot", []entry{{name: "../evil/", kind: tar.TypeDir, mode: 0o755}}, "../evil/", true},
		{"symlink then write through it", []entry{
			{name: "out", body: "../outside", kind: tar.TypeSymlink},
			{name: "out/evil.txt", body: "x", kind: tar.TypeReg, mode: 0o644},
		}, "out/evil.txt", false},
		{"absolute symlink then write through it", []entry{
			{name: "out", body: "/", kind: tar.TypeSymlink},
			{name: "out/tmp/evil.txt", body: "x", kind: tar.TypeReg, mode: 0o644},
		}, "out/tmp/evil.txt", false},
		{"symlink then overwrite the link target", []entry{
			{name: "sneaky", body: "../outside/victim", kind: tar.TypeSymlink},
			{name: "sneaky", body: "replaced, not followed", kind: tar.TypeReg, mode: 0o644},
			{name: "../x", body: "x", kind: tar.TypeReg, mode: 0o644},
		}, "../x", true},
	}
	for _, tc := range tests {
		for _, format := range []string{"zip", "tar"} {
			t.Run(tc.name+"/"+format, func(t *testing.T) {
				parent := t.TempDir()
				dest := filepath.Join(parent, "dest")
				outside := filepath.Join(parent, "outside")
				for _, d := range []string{dest, outside} {
					if err := os.Mkdir(d, 0o755); err != nil {
						t.Fatal(err)
					}
				}
				writeFile(t, filepath.Join(outside, "victim"), "original", 0o644)
				data := makeZip(t, tc.entries)
				if format == "tar" {
					data = makeTar(t, tc.entries, false)
				}
				_, err := extractArchive(context.Background(), sectionOf(data), dest, func(string) {})
				if err == nil || !strings.Contains(err.Error(), `"`+tc.entry+`"`) {
					t.Fatalf("err = %v, want an error naming %q", err, tc.entry)
				}
				if tc.unsafe && !errors.Is(err, ErrUnsafeArchive) {
					t.Fatalf("err = %v, want ErrUnsafeArchive", err)
				}
				assertOnlyUnder(t, parent, dest, outside)
				if b, _ := os.ReadFile(filepath.Join(outside, "victim")); string(b) != "original" {
					t.Fatalf("victim outside dest was overwritten: %q", b)
				}
			})
		}
	}
}

// assertOnlyUnder asserts that parent holds nothing but dest's tree and
// the untouched outside directory (with its victim file).
func assertOnlyUnder(t testing.TB, parent, dest, outside string) {
	t.Helper()
	err := filepath.WalkDir(parent, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case p == parent, p == dest, p == outside, p == filepath.Join(outside, "victim"):
			return nil
		case strings.HasPrefix(p, dest+string(filepath.Separator)):
			return nil
		}
		t.Errorf("written outside dest: %s", p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/tmp/evil.txt"); err == nil {
		t.Errorf("/tmp/evil.txt exists")
	}
}

func sectionOf(data []byte) *io.SectionReader {
	return io.NewSectionReader(bytes.NewReader(data), 0, int64(len(data)))
}

func TestExtractArchiveNotAnArchive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.txt")
	writeFile(t, path, "just text", 0o644)
	_, err := Fetch(context.Background(), Spec{Type: TypeS3, Location: path}, filepath.Join(t.TempDir(), "src"), Options{})
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "not a .zip, .tar or .tar.gz archive") {
		t.Fatalf("err = %v", err)
	}
}

func TestExtractArchiveCorrupt(t *testing.T) {
	data := makeZip(t, goodEntries)
	_, err := extractArchive(context.Background(), sectionOf(data[:len(data)/2]), t.TempDir(), func(string) {})
	if err == nil {
		t.Fatal("a truncated zip extracted without error")
	}
}
