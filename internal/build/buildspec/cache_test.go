package buildspec

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestCachePaths(t *testing.T) {
	tests := []struct {
		paths []string
		want  []cachePath
		errs  int
	}{
		{paths: []string{"/root/.m2/**/*"}, want: []cachePath{{"/root/.m2", "absolute/root/.m2"}}},
		{paths: []string{"node_modules/**/*"}, want: []cachePath{{"node_modules", "source/node_modules"}}},
		{paths: []string{"./vendor/cache/"}, want: []cachePath{{"vendor/cache", "source/vendor/cache"}}},
		{paths: []string{"build/*.jar"}, want: []cachePath{{"build", "source/build"}}},
		{paths: []string{"/var/cache/apt"}, want: []cachePath{{"/var/cache/apt", "absolute/var/cache/apt"}}},
		{paths: []string{"a/b[0-9]/c"}, want: []cachePath{{"a", "source/a"}}},
		{ // the same directory twice is cached once
			paths: []string{"/root/.npm/**/*", "/root/.npm/_cacache/*"},
			want:  []cachePath{{"/root/.npm", "absolute/root/.npm"}, {"/root/.npm/_cacache", "absolute/root/.npm/_cacache"}},
		},
		{paths: []string{"node_modules/**/*", "./node_modules"}, want: []cachePath{{"node_modules", "source/node_modules"}}},
		{paths: []string{"**/*"}, errs: 1},   // the whole source
		{paths: []string{"/**/*"}, errs: 1},  // the whole disk
		{paths: []string{"../x/*"}, errs: 1}, // outside the source
		{paths: []string{"."}, errs: 1},
		{paths: []string{"ok/*", "*.txt"}, want: []cachePath{{"ok", "source/ok"}}, errs: 1},
	}
	for _, tc := range tests {
		got, errs := cachePaths(tc.paths)
		if !reflect.DeepEqual(got, tc.want) || len(errs) != tc.errs {
			t.Errorf("cachePaths(%q) = %v, %v; want %v and %d errors", tc.paths, got, errs, tc.want, tc.errs)
		}
	}
}

// TestCacheAcrossBuilds runs builds one after the other with fresh source
// directories and one cache directory: a cached directory written by one
// build is there in the next, relative to the source or absolute. Only
// builds that reached BUILD save it; one that fails earlier gives back the
// directory it was handed (moved in) as it left it, as CodeBuild's
// symlinked local cache would.
func TestCacheAcrossBuilds(t *testing.T) {
	for _, v := range []variant{onHost, inBusyboxContainer} {
		t.Run(v.name, func(t *testing.T) {
			cacheDir, home := t.TempDir(), t.TempDir()
			build := func(commands ...string) (Result, *buildLog) {
				t.Helper()
				spec := fmt.Sprintf("version: 0.2\nphases:\n  install:\n    commands:\n%s\ncache:\n  paths:\n"+
					"    - 'node_modules/**/*'\n    - '%s/.m2/**/*'\n", yamlList(commands, home), home)
				res, log, _ := runSpecIn(t, v, spec, func(o *RunOptions) { o.CacheDir = cacheDir })
				return res, log
			}
			expect := func(res Result, log *buildLog, status string, output ...string) {
				t.Helper()
				if res.Status != status {
					t.Fatalf("status %s, want %s\n%s", res.Status, status, log.text())
				}
				if got := log.output(); strings.Join(got, "\n") != strings.Join(output, "\n") {
					t.Fatalf("output %q, want %q\n%s", got, output, log.text())
				}
			}

			res, log := build(
				"mkdir -p node_modules/pkg && echo v1 > node_modules/pkg/index.js",
				"mkdir -p $M2/repo && echo jar > $M2/repo/a.jar")
			expect(res, log, StatusSucceeded)
			for _, s := range []string{"Restoring cache...", "Saving cache..."} {
				if !strings.Contains(log.text(), s) {
					t.Errorf("log lacks %q", s)
				}
			}

			if err := os.RemoveAll(filepath.Join(home, ".m2")); err != nil {
				t.Fatal(err)
			}
			res, log = build(
				"cat node_modules/pkg/index.js $M2/repo/a.jar",
				"echo v2 > node_modules/pkg/index.js")
			expect(res, log, StatusSucceeded, "v1", "jar")

			res, log = build("echo v3 > node_modules/pkg/index.js", "false")
			expect(res, log, StatusFailed)
			if strings.Contains(log.text(), "Saving cache...") {
				t.Errorf("a build that failed before BUILD saved the cache:\n%s", log.text())
			}

			res, log = build("cat node_modules/pkg/index.js")
			expect(res, log, StatusSucceeded, "v3")
		})
	}
}

// yamlList renders commands as a YAML list, indented for a phase, with
// $M2 standing for home's .m2, an absolute cached directory.
func yamlList(commands []string, home string) string {
	var b strings.Builder
	for _, c := range commands {
		fmt.Fprintf(&b, "      - %s\n", strings.ReplaceAll(c, "$M2", quote(filepath.Join(home, ".m2"))))
	}
	return strings.TrimSuffix(b.String(), "\n")
}
