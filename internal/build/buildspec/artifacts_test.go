package buildspec

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// sourceTree creates files (relative paths) under a new directory.
func sourceTree(t *testing.T, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("content of "+f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func paths(fs []File) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Path)
	}
	return out
}

func TestCollectArtifacts(t *testing.T) {
	tree := []string{
		"imagedefinitions.json", "README.md",
		"out/app", "out/lib/a.so", "out/lib/deep/b.so", "out/tmp/x.tmp",
		"out2/c.txt", "src/main.go", "src/pkg/util.go",
	}
	tests := []struct {
		name string
		a    Artifacts
		want []string
		err  string
	}{
		{"single file", Artifacts{Files: []string{"imagedefinitions.json"}}, []string{"imagedefinitions.json"}, ""},
		{"star is the root only", Artifacts{Files: []string{"*"}}, []string{"README.md", "imagedefinitions.json"}, ""},
		{"double star is everything", Artifacts{Files: []string{"**/*"}}, walkOrder(), ""},
		{"dir/*", Artifacts{Files: []string{"out/lib/*"}}, []string{"out/lib/a.so"}, ""},
		{"dir/**/*", Artifacts{Files: []string{"out/lib/**/*"}}, []string{"out/lib/a.so", "out/lib/deep/b.so"}, ""},
		{"extension glob at any depth", Artifacts{Files: []string{"**/*.go"}}, []string{"src/main.go", "src/pkg/util.go"}, ""},
		{"literal directory takes its content", Artifacts{Files: []string{"src"}}, []string{"src/main.go", "src/pkg/util.go"}, ""},
		{"./ prefix", Artifacts{Files: []string{"./src/main.go"}}, []string{"src/main.go"}, ""},
		{"base-directory", Artifacts{Files: []string{"**/*"}, BaseDirectory: "out"},
			[]string{"app", "lib/a.so", "lib/deep/b.so", "tmp/x.tmp"}, ""},
		{"base-directory glob", Artifacts{Files: []string{"*"}, BaseDirectory: "out*"}, []string{"app", "c.txt"}, ""},
		{"discard-paths", Artifacts{Files: []string{"out/lib/**/*"}, DiscardPaths: true}, []string{"a.so", "b.so"}, ""},
		{"base-directory, discard-paths and exclude-paths", Artifacts{
			Files: []string{"**/*"}, BaseDirectory: "out", DiscardPaths: true, ExcludePaths: []string{"tmp/**/*", "lib/deep/*"},
		}, []string{"app", "a.so"}, ""},
		{"exclude a literal directory", Artifacts{Files: []string{"**/*"}, ExcludePaths: []string{"out", "src", "out2"}},
			[]string{"README.md", "imagedefinitions.json"}, ""},
		{"no match", Artifacts{Files: []string{"nothing/*"}}, nil, "no matching artifact paths found"},
		{"missing base-directory", Artifacts{Files: []string{"*"}, BaseDirectory: "dist"}, nil, "no matching base directory path found for dist"},
		{"base-directory outside", Artifacts{Files: []string{"*"}, BaseDirectory: "../x"}, nil, "outside the source directory"},
	}
	dir := sourceTree(t, tree...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files, err := CollectArtifacts(&tc.a, dir)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := paths(files); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("paths = %q, want %q", got, tc.want)
			}
			for _, f := range files {
				if !strings.HasPrefix(f.Source, dir) {
					t.Errorf("source %s outside %s", f.Source, dir)
				}
			}
		})
	}
	if _, err := CollectArtifacts(&Artifacts{Files: []string{"x"}}, dir); !errors.Is(err, ErrNoArtifacts) {
		t.Errorf("err = %v, want ErrNoArtifacts", err)
	}
}

// walkOrder is every file of the tree in the walk's lexical order.
func walkOrder() []string {
	return []string{
		"README.md", "imagedefinitions.json", "out/app", "out/lib/a.so", "out/lib/deep/b.so",
		"out/tmp/x.tmp", "out2/c.txt", "src/main.go", "src/pkg/util.go",
	}
}

func TestZipRoundTrip(t *testing.T) {
	dir := sourceTree(t, "imagedefinitions.json", "bin/app")
	if err := os.Symlink("bin/app", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	for _, symlinks := range []bool{false, true} {
		files, err := CollectArtifacts(&Artifacts{Files: []string{"**/*"}, EnableSymlinks: symlinks}, dir)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := Zip(files, &buf); err != nil {
			t.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			if f.Mode()&os.ModeSymlink != 0 {
				got[f.Name] = "-> " + string(b)
			} else {
				got[f.Name] = string(b)
			}
		}
		want := map[string]string{
			"bin/app": "content of bin/app", "imagedefinitions.json": "content of imagedefinitions.json",
			"link": "content of bin/app",
		}
		if symlinks {
			want["link"] = "-> bin/app"
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("enable-symlinks=%v: zip = %v, want %v", symlinks, got, want)
		}
	}
}

func TestRunCollectsArtifacts(t *testing.T) {
	res, log, _ := runSpec(t, `version: 0.2
phases:
  build:
    commands:
      - mkdir -p dist/sub && echo '[]' > dist/imagedefinitions.json && echo x > dist/sub/x.bin
artifacts:
  files: ['**/*']
  base-directory: dist
  secondary-artifacts:
    bins:
      files: ['dist/**/*.bin']
      discard-paths: yes
`, nil)
	if res.Status != StatusSucceeded {
		t.Fatalf("status %s\n%s", res.Status, log.text())
	}
	if len(res.Artifacts) != 2 || res.Artifacts[0].Identifier != "" || res.Artifacts[1].Identifier != "bins" {
		t.Fatalf("artifacts %+v", res.Artifacts)
	}
	if got := paths(res.Artifacts[0].Files); !reflect.DeepEqual(got, []string{"imagedefinitions.json", "sub/x.bin"}) {
		t.Errorf("primary %q", got)
	}
	if got := paths(res.Artifacts[1].Files); !reflect.DeepEqual(got, []string{"x.bin"}) {
		t.Errorf("secondary %q", got)
	}
	if !strings.Contains(log.text(), "Found 2 file(s)") {
		t.Errorf("log:\n%s", log.text())
	}
}

// TestArtifactNamesAreEvaluated: artifacts.name is evaluated with shell
// syntax in the build's shell, with its variables, before the upload.
func TestArtifactNamesAreEvaluated(t *testing.T) {
	const spec = `version: 0.2
phases:
  pre_build:
    commands:
      - export TAG=v1
      - PLAIN=p
  build:
    commands:
      - echo x > out.txt
artifacts:
  files: out.txt
  name: app-$CODEBUILD_BUILD_NUMBER-$TAG-$(printf %s sub)-$((1+1))
  secondary-artifacts:
    literal:
      files: out.txt
      name: my-artifact "quoted" it's
    plain:
      files: out.txt
      name: builds/${PLAIN}/$CODEBUILD_BUILD_SUCCEEDING/out
    trailing:
      files: out.txt
      name: ends-with-\
`
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			var uploaded []ArtifactOutput
			res, log, _ := runSpecIn(t, v, spec, func(o *RunOptions) {
				o.Builtins.BuildNumber = 7
				o.Upload = func(_ context.Context, a []ArtifactOutput) error { uploaded = a; return nil }
			})
			if res.Status != StatusSucceeded {
				t.Fatalf("status %s\n%s", res.Status, log.text())
			}
			var got []string
			for _, a := range uploaded {
				got = append(got, a.Identifier+"="+a.Name)
			}
			want := []string{"=app-7-v1-sub-2", `literal=my-artifact "quoted" it's`, "plain=builds/p/1/out",
				`trailing=ends-with-\`}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("uploaded names %q, want %q", got, want)
			}
			if !reflect.DeepEqual(res.Artifacts, uploaded) {
				t.Errorf("result artifacts %+v differ from uploaded %+v", res.Artifacts, uploaded)
			}
		})
	}
}
