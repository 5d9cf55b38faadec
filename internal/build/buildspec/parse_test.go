package buildspec

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const fullSpec = `version: 0.2
run-as: root
env:
  shell: bash
  variables:
    JAVA_HOME: "/usr/lib/jvm/java-8-openjdk-amd64"
    N: 3
  parameter-store:
    LOGIN_PASSWORD: /CodeBuild/dockerLoginPassword
  secrets-manager:
    TOKEN: "prod/token:api::"
  exported-variables:
    - IMAGE_TAG
  git-credential-helper: yes
proxy:
  upload-artifacts: no
phases:
  install:
    runtime-versions:
      golang: 1.x
    commands:
      - go version
  pre_build:
    on-failure: CONTINUE
    run-as: builder
    commands:
      - "echo Logging in: now"
  build:
    commands:
      - go build ./...
    finally:
      - echo done
  post_build:
    commands:
      - printf '[{"name":"web","imageUri":"%s"}]' "$URI" > imagedefinitions.json
reports:
  unit:
    files: ['report.xml']
artifacts:
  files: imagedefinitions.json
  name: app-$CODEBUILD_BUILD_NUMBER
  base-directory: out
  discard-paths: yes
  exclude-paths: ['**/*.tmp']
  enable-symlinks: no
  s3-prefix: builds
  secondary-artifacts:
    extra:
      files:
        - '**/*'
cache:
  paths:
    - '/root/.cache/go-build/**/*'
`

func TestParseFull(t *testing.T) {
	s, err := Parse([]byte(fullSpec))
	if err != nil {
		t.Fatal(err)
	}
	want := &Spec{
		Version: "0.2",
		RunAs:   "root",
		Env: Env{
			Shell:               "bash",
			Variables:           []Variable{{"JAVA_HOME", "/usr/lib/jvm/java-8-openjdk-amd64"}, {"N", "3"}},
			ParameterStore:      []Variable{{"LOGIN_PASSWORD", "/CodeBuild/dockerLoginPassword"}},
			SecretsManager:      []Variable{{"TOKEN", "prod/token:api::"}},
			ExportedVariables:   []string{"IMAGE_TAG"},
			GitCredentialHelper: true,
		},
		Phases: PhaseSpecs{
			Install:  &PhaseSpec{RuntimeVersions: map[string]string{"golang": "1.x"}, Commands: []string{"go version"}},
			PreBuild: &PhaseSpec{OnFailure: "CONTINUE", RunAs: "builder", Commands: []string{"echo Logging in: now"}},
			Build:    &PhaseSpec{Commands: []string{"go build ./..."}, Finally: []string{"echo done"}},
			PostBuild: &PhaseSpec{Commands: []string{
				`printf '[{"name":"web","imageUri":"%s"}]' "$URI" > imagedefinitions.json`}},
		},
		Artifacts: &Artifacts{
			Files: []string{"imagedefinitions.json"}, Name: "app-$CODEBUILD_BUILD_NUMBER", BaseDirectory: "out",
			DiscardPaths: true, ExcludePaths: []string{"**/*.tmp"}, S3Prefix: "builds",
			Secondary: map[string]*Artifacts{"extra": {Files: []string{"**/*"}}},
		},
		Cache:   Cache{Paths: []string{"/root/.cache/go-build/**/*"}},
		Reports: []string{"unit"},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("Parse =\n%#v\nwant\n%#v", s, want)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		line      int
		msg       string // substring of the message
	}{
		// The YAML library (like CodeBuild's) names the line where the
		// enclosing block starts, not the offending line.
		{"invalid YAML indentation", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo a\n     - echo b\n", 3, "did not find expected key"},
		{"tab indentation", "version: 0.2\nphases:\n\tbuild: x\n", 3, "found character that cannot start any token"},
		{"unknown top-level key", "version: 0.2\nphases:\n  build:\n    commands: [ls]\nartifact:\n  files: x\n", 5, `unknown key "artifact" in buildspec`},
		{"unknown phase", "version: 0.2\nphases:\n  prebuild:\n    commands: [ls]\n", 3, `unknown phase "prebuild"`},
		{"unknown phase key", "version: 0.2\nphases:\n  build:\n    command:\n      - ls\n", 4, `unknown key "command" in phases.build`},
		{"unknown env key", "version: 0.2\nenv:\n  variable:\n    A: b\nphases:\n  build:\n    commands: [ls]\n", 3, `unknown key "variable" in env`},
		{"unknown artifacts key", "version: 0.2\nphases:\n  build:\n    commands: [ls]\nartifacts:\n  files: x\n  discard: yes\n", 7, `unknown key "discard" in artifacts`},
		{"unknown cache key", "version: 0.2\nphases:\n  build:\n    commands: [ls]\ncache:\n  path: [x]\n", 6, `unknown key "path" in cache`},
		{"unquoted colon in a command", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo Logging in: now\n", 5, "Expected Commands[0] to be of string type: found subkeys instead"},
		{"bad on-failure", "version: 0.2\nphases:\n  build:\n    on-failure: RETRY\n    commands: [ls]\n", 4, "on-failure must be ABORT or CONTINUE"},
		{"missing version", "phases:\n  build:\n    commands: [ls]\n", 1, "missing required key version"},
		{"bad version", "version: 0.3\nphases:\n  build:\n    commands: [ls]\n", 1, `invalid buildspec version "0.3"`},
		{"missing phases", "version: 0.2\n", 1, "missing required key phases"},
		{"build without commands", "version: 0.2\nphases:\n  build:\n    finally: [ls]\n", 3, "phase build requires commands"},
		{"reserved variable", "version: 0.2\nenv:\n  variables:\n    CODEBUILD_X: y\nphases:\n  build:\n    commands: [ls]\n", 4, "reserved"},
		{"AWS_ exported", "version: 0.2\nenv:\n  exported-variables:\n    - A\n    - AWS_KEY\nphases:\n  build:\n    commands: [ls]\n", 5, "cannot be exported"},
		{"unsupported shell", "version: 0.2\nenv:\n  shell: zsh\nphases:\n  build:\n    commands: [ls]\n", 3, `unsupported shell "zsh"`},
		{"artifacts without files", "version: 0.2\nphases:\n  build:\n    commands: [ls]\nartifacts:\n  name: x\n", 6, "artifacts requires files"},
		{"duplicate key", "version: 0.2\nphases:\n  build:\n    commands: [ls]\n  build:\n    commands: [ls]\n", 5, "build"},
		{"runtime-versions outside install", "version: 0.2\nphases:\n  build:\n    runtime-versions:\n      go: 1.x\n    commands: [ls]\n", 4, "runtime-versions is only allowed"},
		{"not a map", "- a\n- b\n", 1, "must be a map"},
		{"empty", "", 1, "empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.src))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *ParseError", err)
			}
			if !errors.Is(err, ErrYAMLFile) {
				t.Errorf("%v does not wrap ErrYAMLFile", err)
			}
			if pe.Line != tc.line {
				t.Errorf("line = %d, want %d (%v)", pe.Line, tc.line, err)
			}
			if !strings.Contains(pe.Msg, tc.msg) {
				t.Errorf("message %q lacks %q", pe.Msg, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), "YAML_FILE_ERROR Message: ") {
				t.Errorf("error %q is not worded as CodeBuild's", err)
			}
		})
	}
}

func TestParseErrorWording(t *testing.T) {
	_, err := Parse([]byte("version: 0.2\nphases:\n  build:\n    commands: [ls]\nfoo: 1\n"))
	if got, want := err.Error(), `YAML_FILE_ERROR Message: unknown key "foo" in buildspec at line 5`; got != want {
		t.Errorf("error %q, want %q", got, want)
	}
}

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		fullSpec,
		"version: 0.2\nphases:\n  build:\n    commands: [ls]\n",
		"version: 0.1\nphases:\n  build:\n    commands:\n      - echo a: b\n",
		"version: 0.2\nphases:\n  build: &a\n    commands: [ls]\n  post_build: *a\n",
		"version: 0.2\nenv:\n  variables: {A: [1]}\nphases: {}\n",
		"version: 0.2\nartifacts:\n  files: x\n  secondary-artifacts:\n    a:\n      files: [y]\nphases:\n  install: ~\n",
		"{",
		"version: 0.2\nphases:\n\tbuild: x\n",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		s, err := Parse(src)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), "YAML_FILE_ERROR Message: ") {
				t.Fatalf("error %v is not a YAML_FILE_ERROR", err)
			}
			return
		}
		if s.Version != "0.1" && s.Version != "0.2" {
			t.Fatalf("accepted version %q", s.Version)
		}
		for _, pk := range phaseKeys {
			if ps := s.Phases.phase(pk.typ); ps != nil && ps.OnFailure != "" &&
				ps.OnFailure != OnFailureAbort && ps.OnFailure != OnFailureContinue {
				t.Fatalf("accepted on-failure %q", ps.OnFailure)
			}
		}
	})
}
