package main

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

// declJSON renders what parsePipelineFile made as the create-pipeline
// input document, normalised for comparison.
func declJSON(t *testing.T, in pipelineInput) any {
	t.Helper()
	raw, err := json.Marshal(in.doc())
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func mustJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad test JSON: %v\n%s", err, s)
	}
	return v
}

func indent(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// The stages the short form's shortcuts expand to, shared by the cases.
const (
	sourceStageJSON = `{"name": "Source", "actions": [{"name": "Source",
		"actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeCommit", "version": "1"},
		"configuration": {"BranchName": "main", "PollForSourceChanges": "false", "RepositoryName": "hello"},
		"namespace": "SourceVariables", "outputArtifacts": [{"name": "SourceArtifact"}], "runOrder": 1}]}`
	buildStageJSON = `{"name": "Build", "actions": [{"name": "Build",
		"actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
		"configuration": {"ProjectName": "hello",
			"EnvironmentVariables": "[{\"name\":\"IMAGE_TAG\",\"value\":\"#{SourceVariables.CommitId}\",\"type\":\"PLAINTEXT\"}]"},
		"inputArtifacts": [{"name": "SourceArtifact"}], "namespace": "BuildVariables",
		"outputArtifacts": [{"name": "BuildArtifact"}], "runOrder": 1}]}`
	approveStageJSON = `{"name": "Approve", "actions": [{"name": "Approve",
		"actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"},
		"configuration": {"CustomData": "Deploy #{SourceVariables.CommitId}?"}, "runOrder": 1}]}`
	deployStageJSON = `{"name": "Deploy", "actions": [{"name": "Deploy",
		"actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "ECS", "version": "1"},
		"configuration": {"ClusterName": "default", "FileName": "imagedefinitions.json", "ServiceName": "hello"},
		"inputArtifacts": [{"name": "BuildArtifact"}], "runOrder": 1}]}`
	mainTriggerJSON = `[{"providerType": "CodeStarSourceConnection",
		"gitConfiguration": {"sourceActionName": "Source", "push": [{"branches": {"includes": ["main"]}}]}}]`
	declHeadJSON = `"roleArn": "arn:aws:iam::000000000000:role/wharf-pipeline", "pipelineType": "V2",
		"artifactStore": {"type": "S3", "location": "wharf-pipelines"}`
)

func TestExpandPipelineSpec(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       string // the create-pipeline input document
	}{
		{name: "the four shortcuts",
			yaml: `
name: hello
executionMode: SUPERSEDED
source: {repository: hello, branch: main}
build: {project: hello, env: {IMAGE_TAG: "#{SourceVariables.CommitId}"}}
approval: {message: "Deploy #{SourceVariables.CommitId}?"}
deploy: {cluster: default, service: hello, file: imagedefinitions.json}
`,
			want: `{"pipeline": {"name": "hello", ` + declHeadJSON + `, "executionMode": "SUPERSEDED",
				"stages": [` + sourceStageJSON + `,` + buildStageJSON + `,` + approveStageJSON + `,` + deployStageJSON + `],
				"triggers": ` + mainTriggerJSON + `}}`},
		{name: "defaults: branch main, cluster default, file imagedefinitions.json, mode SUPERSEDED",
			yaml: `
name: hello
source: {repository: hello}
build:
  project: hello
  env:
    IMAGE_TAG: "#{SourceVariables.CommitId}"
deploy: {service: hello}
`,
			want: `{"pipeline": {"name": "hello", ` + declHeadJSON + `, "executionMode": "SUPERSEDED",
				"stages": [` + sourceStageJSON + `,` + buildStageJSON + `,` + deployStageJSON + `],
				"triggers": ` + mainTriggerJSON + `}}`},
		{name: "stages list: shortcuts, a declared stage, renames, variables, tags, no trigger",
			yaml: `
name: web
executionMode: queued
roleArn: arn:aws:iam::000000000000:role/other
artifactStore: my-bucket
variables:
  DEPLOY_TIMEOUT: "30"
  REGION: {default: us-east-1, description: where to deploy}
tags: {team: platform, env: prod}
stages:
  - source: {repository: web, branch: release, format: CODEBUILD_CLONE_REF, trigger: false}
  - build: {project: web-test, stage: Test, env: {SECRET: {type: parameter_store, value: /web/token}}}
  - name: Lint
    actions:
      - name: Vet
        actionTypeId: {category: Test, owner: AWS, provider: CodeBuild, version: "1"}
        configuration: {ProjectName: web-vet, BatchEnabled: false}
        inputArtifacts: [{name: SourceArtifact}]
        outputArtifacts: [{name: VetOut}]
  - build: {project: web-image, input: SourceArtifact}
  - deploy: {cluster: prod, service: web, timeoutMinutes: 30, onFailure: rollback, action: Roll}
`,
			want: `{"pipeline": {"name": "web", "roleArn": "arn:aws:iam::000000000000:role/other", "pipelineType": "V2",
				"artifactStore": {"type": "S3", "location": "my-bucket"}, "executionMode": "QUEUED",
				"variables": [{"name": "DEPLOY_TIMEOUT", "defaultValue": "30"},
					{"name": "REGION", "defaultValue": "us-east-1", "description": "where to deploy"}],
				"stages": [
					{"name": "Source", "actions": [{"name": "Source",
						"actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeCommit", "version": "1"},
						"configuration": {"BranchName": "release", "OutputArtifactFormat": "CODEBUILD_CLONE_REF", "PollForSourceChanges": "false", "RepositoryName": "web"},
						"namespace": "SourceVariables", "outputArtifacts": [{"name": "SourceArtifact"}], "runOrder": 1}]},
					{"name": "Test", "actions": [{"name": "Test",
						"actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
						"configuration": {"ProjectName": "web-test",
							"EnvironmentVariables": "[{\"name\":\"SECRET\",\"value\":\"/web/token\",\"type\":\"PARAMETER_STORE\"}]"},
						"inputArtifacts": [{"name": "SourceArtifact"}], "namespace": "TestVariables",
						"outputArtifacts": [{"name": "TestArtifact"}], "runOrder": 1}]},
					{"name": "Lint", "actions": [{"name": "Vet",
						"actionTypeId": {"category": "Test", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
						"configuration": {"BatchEnabled": "false", "ProjectName": "web-vet"},
						"inputArtifacts": [{"name": "SourceArtifact"}], "outputArtifacts": [{"name": "VetOut"}]}]},
					{"name": "Build", "actions": [{"name": "Build",
						"actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
						"configuration": {"ProjectName": "web-image"},
						"inputArtifacts": [{"name": "SourceArtifact"}], "namespace": "BuildVariables",
						"outputArtifacts": [{"name": "BuildArtifact"}], "runOrder": 1}]},
					{"name": "Deploy", "onFailure": {"result": "ROLLBACK"}, "actions": [{"name": "Roll",
						"actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "ECS", "version": "1"},
						"configuration": {"ClusterName": "prod", "DeploymentTimeout": "30", "FileName": "imagedefinitions.json", "ServiceName": "web"},
						"inputArtifacts": [{"name": "BuildArtifact"}], "runOrder": 1}]}
				]},
				"tags": [{"key": "team", "value": "platform"}, {"key": "env", "value": "prod"}]}`},
		{name: "trigger on file paths; explicit triggers replace the generated one",
			yaml: `
name: a
source: {repository: a, filePaths: {includes: ["src/**"], excludes: ["docs/**"]}}
deploy: {service: a}
`,
			want: `{"pipeline": {"name": "a", ` + declHeadJSON + `, "executionMode": "SUPERSEDED",
				"stages": [
					{"name": "Source", "actions": [{"name": "Source",
						"actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeCommit", "version": "1"},
						"configuration": {"BranchName": "main", "PollForSourceChanges": "false", "RepositoryName": "a"},
						"namespace": "SourceVariables", "outputArtifacts": [{"name": "SourceArtifact"}], "runOrder": 1}]},
					{"name": "Deploy", "actions": [{"name": "Deploy",
						"actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "ECS", "version": "1"},
						"configuration": {"ClusterName": "default", "FileName": "imagedefinitions.json", "ServiceName": "a"},
						"inputArtifacts": [{"name": "SourceArtifact"}], "runOrder": 1}]}],
				"triggers": [{"providerType": "CodeStarSourceConnection", "gitConfiguration": {"sourceActionName": "Source",
					"push": [{"branches": {"includes": ["main"]}, "filePaths": {"includes": ["src/**"], "excludes": ["docs/**"]}}]}}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := parsePipelineFile([]byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			got, want := declJSON(t, in), mustJSON(t, tt.want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got\n%s\nwant\n%s", indent(got), indent(want))
			}
		})
	}
}

func TestExpandPipelineSpecErrors(t *testing.T) {
	tests := []struct{ name, yaml, wantErr string }{
		{"no name", "source: {repository: a}\ndeploy: {service: a}", "name: required"},
		{"unknown top key", "name: a\nsorce: {repository: a}", `line 2: unknown key "sorce" in the pipeline (known: approval, artifactStore, build,`},
		{"unknown shortcut key", "name: a\nsource: {repository: a, brnch: x}", `line 2: unknown key "brnch" in source`},
		{"unknown key in a stages item", "name: a\nstages:\n  - source: {repository: a}\n  - deploy: {service: a, clster: b}", `unknown key "clster" in deploy`},
		{"missing repository", "name: a\nsource: {branch: main}", "source: repository: required"},
		{"missing project", "name: a\nsource: {repository: a}\nbuild: {env: {A: b}}", "build: project: required"},
		{"deploy without input", "name: a\ndeploy: {service: a}", "no input artifact"},
		{"both forms", "name: a\nsource: {repository: a}\nstages: [{deploy: {service: a}}]", "not both"},
		{"no stages", "name: a", "no stages"},
		{"source not first", "name: a\nstages:\n  - {name: X, actions: []}\n  - source: {repository: a}", "the source must be the first stage"},
		{"duplicate stage names", "name: a\nstages:\n  - source: {repository: a}\n  - build: {project: b}\n  - build: {project: c}", `two stages are named "Build"`},
		{"unquoted variable cut by a comment", "name: a\nsource: {repository: a}\napproval:\n  message: Deploy #{SourceVariables.CommitId}?", `line 4: the value is cut before "#{SourceVariables.CommitId}?"`},
		{"unquoted env variable is a comment", "name: a\nsource: {repository: a}\nbuild:\n  project: a\n  env:\n    TAG: #{SourceVariables.CommitId}", `line 6: the value is cut before "#{SourceVariables.CommitId}"`},
		{"env without a value", "name: a\nsource: {repository: a}\nbuild:\n  project: a\n  env:\n    TAG:", "line 6: env TAG has no value"},
		{"bad onFailure", "name: a\nsource: {repository: a}\ndeploy: {service: a, onFailure: explode}", "onFailure must be one of"},
		{"unknown member in a declared stage", "name: a\nstages:\n  - source: {repository: a}\n  - {name: X, actions: [{name: Y, actionTypId: {}}]}", `unknown field "actionTypId"`},
		{"not a mapping", "- a\n- b", "not a YAML mapping"},
		{"empty", "  \n", "empty"},
		{"bad YAML", "name: [a", "neither JSON nor YAML"},
	}
	for _, tt := range tests {
		_, err := parsePipelineFile([]byte(tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.wantErr)
		}
	}
}

func TestParsePipelineJSONPassthrough(t *testing.T) {
	decl := `{"name": "web-release", "roleArn": "arn:aws:iam::000000000000:role/pipeline", "pipelineType": "V2",
		"executionMode": "QUEUED", "artifactStore": {"type": "S3", "location": "artifacts"},
		"variables": [{"name": "DEPLOY_TIMEOUT", "defaultValue": "30"}],
		"triggers": [{"providerType": "CodeStarSourceConnection", "gitConfiguration": {"sourceActionName": "Checkout",
			"push": [{"branches": {"includes": ["main"]}, "filePaths": {"excludes": ["docs/**"]}}]}}],
		"stages": [
			{"name": "Source", "actions": [{"name": "Checkout", "namespace": "SourceVariables",
				"actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeCommit", "version": "1"},
				"configuration": {"RepositoryName": "web", "BranchName": "main"}, "outputArtifacts": [{"name": "Src"}]}]},
			{"name": "Approve", "actions": [{"name": "ProdGate", "timeoutInMinutes": 1440,
				"actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"},
				"configuration": {"CustomData": "Deploy?"}}]},
			{"name": "Deploy", "onFailure": {"result": "ROLLBACK"}, "actions": [{"name": "RollingUpdate", "runOrder": 2,
				"actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "ECS", "version": "1"},
				"configuration": {"ClusterName": "prod", "ServiceName": "web", "DeploymentTimeout": "#{variables.DEPLOY_TIMEOUT}"},
				"inputArtifacts": [{"name": "Src"}]}]}]}`
	tags := `[{"key": "team", "value": "platform"}]`
	want := mustJSON(t, `{"pipeline": `+decl+`, "tags": `+tags+`}`)
	wantUntagged := mustJSON(t, `{"pipeline": `+decl+`}`)
	yamlForm := `
pipeline:
  name: web-release
  roleArn: arn:aws:iam::000000000000:role/pipeline
  pipelineType: V2
  executionMode: QUEUED
  artifactStore: {type: S3, location: artifacts}
  variables: [{name: DEPLOY_TIMEOUT, defaultValue: "30"}]
  triggers:
    - providerType: CodeStarSourceConnection
      gitConfiguration:
        sourceActionName: Checkout
        push: [{branches: {includes: [main]}, filePaths: {excludes: ["docs/**"]}}]
  stages:
    - name: Source
      actions:
        - name: Checkout
          namespace: SourceVariables
          actionTypeId: {category: Source, owner: AWS, provider: CodeCommit, version: "1"}
          configuration: {RepositoryName: web, BranchName: main}
          outputArtifacts: [{name: Src}]
    - name: Approve
      actions:
        - name: ProdGate
          timeoutInMinutes: 1440
          actionTypeId: {category: Approval, owner: AWS, provider: Manual, version: 1}
          configuration: {CustomData: "Deploy?"}
    - name: Deploy
      onFailure: {result: ROLLBACK}
      actions:
        - name: RollingUpdate
          runOrder: 2
          actionTypeId: {category: Deploy, owner: AWS, provider: ECS, version: "1"}
          configuration: {ClusterName: prod, ServiceName: web, DeploymentTimeout: "#{variables.DEPLOY_TIMEOUT}"}
          inputArtifacts: [{name: Src}]
tags: [{key: team, value: platform}]
`
	tests := []struct {
		name, in string
		want     any
	}{
		{"create-pipeline --cli-input-json", `{"pipeline": ` + decl + `, "tags": ` + tags + `}`, want},
		{"bare declaration", decl, wantUntagged},
		{"get-pipeline output: metadata dropped", `{"pipeline": ` + decl + `, "metadata": {"pipelineArn": "arn:aws:codepipeline:us-east-1:000000000000:web-release", "created": 1700000000.5}}`, wantUntagged},
		{"the same in YAML (version: 1 read as a string)", yamlForm, want},
	}
	for _, tt := range tests {
		in, err := parsePipelineFile([]byte(tt.in))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := declJSON(t, in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got\n%s\nwant\n%s", tt.name, indent(got), indent(tt.want))
		}
	}
	for _, bad := range []struct{ in, wantErr string }{
		{`{"pipeline": {"name": "a", "stagez": []}}`, `pipeline.unknown field "stagez"`},
		{`{"name": "a", "stages": [{"name": "s", "actions": [{"name": "x", "configuration": {"A": 1}}]}]}`, "cannot unmarshal number"},
		{`{"pipeline": {"name": "a"}, "extra": 1}`, `unknown member "extra"`},
		{`{"pipeline": `, "not a JSON object"},
	} {
		if _, err := parsePipelineFile([]byte(bad.in)); err == nil || !strings.Contains(err.Error(), bad.wantErr) {
			t.Errorf("%s: error %v, want one containing %q", bad.in, err, bad.wantErr)
		}
	}
}

// The example the quickstart uses expands, and round-trips through its
// own JSON.
func TestExamplePipelineRoundTrips(t *testing.T) {
	data, err := os.ReadFile("../../examples/hello/pipeline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	in, err := parsePipelineFile(data)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := writeJSON(&b, in.doc()); err != nil {
		t.Fatal(err)
	}
	again, err := parsePipelineFile(b.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if !reflect.DeepEqual(declJSON(t, in), declJSON(t, again)) {
		t.Errorf("round trip changed the pipeline:\n%s", b.String())
	}
	if got := stageChain(&in.Pipeline); got != "Source → Build → Deploy" {
		t.Errorf("stages %s", got)
	}
	if got := triggerSummaries(&in.Pipeline); len(got) != 1 || got[0] != "pushes to main of repository hello (source action Source)" {
		t.Errorf("triggers %q", got)
	}
}
