package source

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestFetchNoSource(t *testing.T) {
	for _, loc := range []string{"", "/ignored"} {
		dest := filepath.Join(t.TempDir(), "a", "src")
		res, err := Fetch(context.Background(), Spec{Type: "no_source", Location: loc, Version: "main"}, dest, Options{})
		if err != nil || res != (Result{}) {
			t.Fatalf("%+v, %v", res, err)
		}
		entries, err := os.ReadDir(dest)
		if err != nil || len(entries) != 0 {
			t.Fatalf("dest: %v, %v; want an empty directory", entries, err)
		}
	}
}

func TestFetchDestMustBeEmpty(t *testing.T) {
	dest := t.TempDir()
	writeFile(t, filepath.Join(dest, "left-over"), "x", 0o644)
	_, err := Fetch(context.Background(), Spec{Type: TypeNoSource}, dest, Options{})
	if err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("err = %v", err)
	}
	// An existing empty directory is fine.
	if _, err := Fetch(context.Background(), Spec{Type: TypeNoSource}, t.TempDir(), Options{}); err != nil {
		t.Fatal(err)
	}
}

func TestFetchUnsupportedType(t *testing.T) {
	for _, s := range []Spec{
		{Type: "SVN", Location: "/srv/repo"},
		{Type: "", Location: "/srv/repo"},
		{Type: TypeGitHub},
	} {
		_, err := Fetch(context.Background(), s, filepath.Join(t.TempDir(), "src"), Options{})
		if !errors.Is(err, ErrUnsupported) {
			t.Fatalf("%+v: err = %v, want ErrUnsupported", s, err)
		}
	}
}

func TestIsGitLocation(t *testing.T) {
	tests := []struct {
		typ, loc string
		want     bool
	}{
		{TypeS3, "/srv/src.zip", false},
		{TypeS3, "/srv/repo.git", true},
		{TypeS3, "file:///srv/repo.git/", true},
		{TypeS3, "https://bucket.example.com/src.zip", false},
		{TypeS3, "git@github.com:o/r", true},
		{TypeCodePipeline, "ssh://host/r", true},
		{"", "https://github.com/o/r", true},
		{"", "git://host/r", true},
		{"", "/srv/dir", false},
	}
	for _, tc := range tests {
		if got := isGitLocation(tc.typ, tc.loc); got != tc.want {
			t.Errorf("isGitLocation(%s, %s) = %v, want %v", tc.typ, tc.loc, got, tc.want)
		}
	}
}

func TestFetchGitURLUnderNonGitType(t *testing.T) {
	fx := newFixture(t)
	// An S3 source whose location is a git repository is cloned.
	res, err := Fetch(context.Background(), Spec{Type: TypeS3, Location: fx.bare}, filepath.Join(t.TempDir(), "src"), Options{})
	if err != nil || res.ResolvedVersion != fx.c4 {
		t.Fatalf("%+v, %v", res, err)
	}
}

func TestFetchS3Locations(t *testing.T) {
	s3root := t.TempDir()
	writeFile(t, filepath.Join(s3root, "bucket", "app", "main.go"), "package main\n", 0o644)
	archive := filepath.Join(s3root, "bucket", "src.zip")
	writeFile(t, archive, string(makeZip(t, goodEntries)), 0o644)
	tests := []struct {
		name     string
		location string
		s3root   string
		check    string // a file that must exist in dest
		is       error
		msg      string
	}{
		{name: "absolute directory", location: filepath.Join(s3root, "bucket", "app"), check: "main.go"},
		{name: "file URL directory", location: "file://" + filepath.Join(s3root, "bucket", "app"), check: "main.go"},
		{name: "absolute archive", location: archive, check: "buildspec.yml"},
		{name: "bucket/key under S3Root", location: "bucket/src.zip", s3root: s3root, check: "buildspec.yml"},
		{name: "s3:// under S3Root", location: "s3://bucket/app", s3root: s3root, check: "main.go"},
		{name: "bucket/key not found", location: "bucket/missing.zip", s3root: s3root, is: ErrNotFound,
			msg: "S3 source location bucket/missing.zip is not a local path: wharf has no S3; use an absolute path to a directory or archive"},
		{name: "bucket/key without S3Root", location: "my-bucket/src.zip", is: ErrNotFound,
			msg: "S3 source location my-bucket/src.zip is not a local path: wharf has no S3"},
		{name: "escaping S3Root", location: "../" + filepath.Base(s3root) + "/bucket/src.zip", s3root: s3root, is: ErrNotFound, msg: "is not a local path"},
		{name: "nonexistent absolute path", location: "/nonexistent/src.zip", is: ErrNotFound, msg: "S3 source location /nonexistent/src.zip does not exist"},
		{name: "relative file URL", location: "file://relative/x.zip", is: ErrUnsupported, msg: "absolute path"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dest := filepath.Join(t.TempDir(), "src")
			res, err := Fetch(context.Background(), Spec{Type: TypeS3, Location: tc.location, Version: "v123"}, dest, Options{S3Root: tc.s3root})
			if tc.is != nil {
				if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.msg) {
					t.Fatalf("err = %v, want %v containing %q", err, tc.is, tc.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.ResolvedVersion != "" || res.RepoURL != tc.location {
				t.Errorf("result %+v", res)
			}
			if _, err := os.Stat(filepath.Join(dest, tc.check)); err != nil {
				t.Errorf("dest lacks %s: %v", tc.check, err)
			}
		})
	}
}

func TestFetchS3DirectoryCopy(t *testing.T) {
	parent := t.TempDir()
	src := filepath.Join(parent, "src")
	outside := filepath.Join(parent, "outside")
	writeFile(t, filepath.Join(outside, "secret"), "do not copy", 0o600)
	writeFile(t, filepath.Join(src, "bin", "build.sh"), "#!/bin/sh\n", 0o755)
	writeFile(t, filepath.Join(src, "conf", "private.key"), "k", 0o600)
	writeFile(t, filepath.Join(src, ".git", "HEAD"), "ref: refs/heads/main\n", 0o644)
	if err := os.MkdirAll(filepath.Join(src, "empty"), 0o700); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"build":       "bin/build.sh",      // inside the tree
		"conf/up":     "..",                // a directory inside the tree
		"leak":        "../outside/secret", // outside: copied as a link, not followed
		"abs-leak":    filepath.Join(outside, "secret"),
		"outside-dir": outside,
		"dangling":    "nowhere",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(src, name)); err != nil {
			t.Fatal(err)
		}
	}
	dest := filepath.Join(t.TempDir(), "dest")
	var l logs
	if _, err := Fetch(context.Background(), Spec{Type: TypeS3, Location: src}, dest, Options{Log: l.log}); err != nil {
		t.Fatal(err)
	}
	for name, target := range links {
		st, err := os.Lstat(filepath.Join(dest, name))
		if err != nil || st.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("%s is not a symlink: %v %v", name, st, err)
			continue
		}
		if got, _ := os.Readlink(filepath.Join(dest, name)); got != target {
			t.Errorf("%s -> %s, want %s", name, got, target)
		}
	}
	modes := map[string]fs.FileMode{
		"bin/build.sh":     0o755,
		"conf/private.key": 0o600,
		"empty":            fs.ModeDir | 0o700,
		".git/HEAD":        0o644,
	}
	for name, want := range modes {
		st, err := os.Lstat(filepath.Join(dest, name))
		if err != nil || st.Mode()&(fs.ModeDir|fs.ModePerm) != want {
			t.Errorf("%s: mode %v, %v; want %v", name, st.Mode(), err, want)
		}
	}
	// Nothing from outside the tree came in as content.
	err := filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if b, _ := os.ReadFile(p); string(b) == "do not copy" {
				t.Errorf("%s holds the outside file's content", p)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !l.has("Copying directory " + src) {
		t.Errorf("log:\n%s", &l)
	}
}

func TestFetchS3SkipsSpecialFiles(t *testing.T) {
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "a"), "a", 0o644)
	if err := mkfifo(filepath.Join(src, "pipe")); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	dest := filepath.Join(t.TempDir(), "dest")
	var l logs
	if _, err := Fetch(context.Background(), Spec{Type: TypeS3, Location: src}, dest, Options{Log: l.log}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(dest, "pipe")); err == nil || !l.has("Skipping") {
		t.Fatalf("fifo copied: %v\n%s", err, &l)
	}
}

func mkfifo(path string) error { return syscall.Mkfifo(path, 0o644) }
