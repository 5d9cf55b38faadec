package buildrun

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/wharfhq/wharf/internal/build/buildspec"
	"github.com/wharfhq/wharf/internal/model"
)

func TestArtifactKey(t *testing.T) {
	b := &model.Build{ID: "app:1234-abcd", Project: "app"}
	tests := []struct {
		name     string
		a        model.BuildArtifacts
		specName string
		want     string
	}{
		{"S3 location/path/name", model.BuildArtifacts{Type: "S3", Location: "bucket", Path: "out", Name: "app.zip"}, "", "bucket/out/app.zip"},
		{"BUILD_ID namespace", model.BuildArtifacts{Type: "S3", Location: "bucket", Path: "out", Name: "app.zip", NamespaceType: "BUILD_ID"}, "", "bucket/out/1234-abcd/app.zip"},
		{"buildspec name only with overrideArtifactName", model.BuildArtifacts{Type: "S3", Location: "bucket", Name: "app.zip"}, "from-spec", "bucket/app.zip"},
		{"overrideArtifactName", model.BuildArtifacts{Type: "S3", Location: "bucket", Name: "app.zip", OverrideArtifactName: true}, "builds/7/out", "bucket/builds/7/out"},
		{"no name: the project's", model.BuildArtifacts{Type: "S3", Location: "bucket"}, "", "bucket/app"},
		{"dot segments dropped", model.BuildArtifacts{Type: "S3", Location: "bucket", Path: "../x/./y", Name: "a"}, "", "bucket/x/y/a"},
		{"pipeline primary", model.BuildArtifacts{Type: "CODEPIPELINE"}, "", "codepipeline/app/1234-abcd/primary.zip"},
		{"pipeline secondary", model.BuildArtifacts{Type: "CODEPIPELINE", Identifier: "BuildOut"}, "", "codepipeline/app/1234-abcd/BuildOut.zip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ArtifactKey(b, tt.a, tt.specName); got != tt.want {
				t.Fatalf("ArtifactKey = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLoadSpec(t *testing.T) {
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "buildspec.yml"), []byte("version: 0.2\nphases:\n  build:\n    commands: [echo default]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(src, "ci"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "ci", "release.yml"), []byte("version: 0.2\nphases:\n  build:\n    commands: [echo release]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		override string
		want     string // the build command, or "error"
	}{
		{"", "echo default"},
		{"ci/release.yml", "echo release"},
		{"version: 0.2\nphases:\n  build:\n    commands: [echo inline]\n", "echo inline"},
		{"../outside.yml", "error"},
		{"/etc/passwd", "error"},
		{"missing.yml", "error"},
	}
	for _, tt := range tests {
		spec, err := loadSpec(tt.override, src)
		if tt.want == "error" {
			if err == nil {
				t.Errorf("loadSpec(%q): no error", tt.override)
			}
			continue
		}
		if err != nil {
			t.Fatalf("loadSpec(%q): %v", tt.override, err)
		}
		if got := spec.Phases.Build.Commands[0]; got != tt.want {
			t.Errorf("loadSpec(%q) runs %q, want %q", tt.override, got, tt.want)
		}
	}
	if _, err := loadSpec("version: 0.2\nphases: [", src); !errors.Is(err, buildspec.ErrYAMLFile) {
		t.Errorf("invalid inline YAML: %v, want a YAML_FILE_ERROR", err)
	}
}
