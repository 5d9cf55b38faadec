package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cptypes "github.com/aws/aws-sdk-go-v2/service/codepipeline/types"
	"go.yaml.in/yaml/v3"
)

// --- Pipeline files: AWS JSON, AWS YAML, and wharf's short YAML form ---
//
// "wharf pipeline create -f FILE" takes
//   - the JSON "aws codepipeline create-pipeline --cli-input-json" takes:
//     {"pipeline": {...}, "tags": [...]}, or the bare declaration {...};
//     "aws codepipeline get-pipeline" output is accepted too (its metadata
//     is dropped);
//   - the same document in YAML (a top-level "pipeline:" key);
//   - the short form (docs/pipelines.md): source, build, approval and
//     deploy shortcuts, or a "stages:" list mixing shortcuts and full AWS
//     stage declarations, expanded by expandPipelineSpec into a V2
//     PipelineDeclaration.

// Defaults of the short form.
const (
	defaultPipelineRole     = "arn:aws:iam::000000000000:role/wharf-pipeline"
	defaultPipelineArtifact = "wharf-pipelines"
	defaultImageDefinitions = "imagedefinitions.json"
)

// pipelineInput is what create and update send.
type pipelineInput struct {
	Pipeline cptypes.PipelineDeclaration
	Tags     []cptypes.Tag
}

// doc is the input as "create-pipeline --cli-input-json" takes it.
func (in pipelineInput) doc() any {
	m := &docMap{}
	m.set("pipeline", awsDoc(in.Pipeline))
	if len(in.Tags) > 0 {
		m.set("tags", awsDoc(in.Tags))
	}
	return m
}

// parsePipelineFile reads any of the accepted forms.
func parsePipelineFile(data []byte) (pipelineInput, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return pipelineInput{}, errors.New("the file is empty")
	}
	if trimmed[0] == '{' {
		return parsePipelineJSON(trimmed)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return pipelineInput{}, fmt.Errorf("neither JSON nor YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return pipelineInput{}, errors.New("not a YAML mapping (see docs/pipelines.md for the short form)")
	}
	doc := root.Content[0]
	if err := checkCutValues(doc); err != nil {
		return pipelineInput{}, err
	}
	if mappingValue(doc, "pipeline") != nil {
		js, err := yamlToJSON(doc, reflect.TypeFor[awsInputDoc]())
		if err != nil {
			return pipelineInput{}, err
		}
		return parsePipelineJSON(js)
	}
	var spec pipelineSpec
	if err := strictDecode(doc, &spec, "the pipeline"); err != nil {
		return pipelineInput{}, err
	}
	return expandPipelineSpec(&spec)
}

// parsePipelineJSON reads {"pipeline": {...}, "tags": [...]} (with an
// optional "metadata", as get-pipeline prints it) or a bare declaration.
// Unknown members are errors, so that a typo is not silently dropped.
func parsePipelineJSON(data []byte) (pipelineInput, error) {
	var in pipelineInput
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return in, fmt.Errorf("not a JSON object: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	raw, wrapped := top["pipeline"]
	if !wrapped {
		return in, decodeStrictJSON(data, &in.Pipeline, "")
	}
	for k := range top {
		if k != "pipeline" && k != "tags" && k != "metadata" {
			return in, fmt.Errorf("unknown member %q next to \"pipeline\" (want pipeline, tags)", k)
		}
	}
	if err := decodeStrictJSON(raw, &in.Pipeline, "pipeline."); err != nil {
		return in, err
	}
	if tags, ok := top["tags"]; ok {
		if err := decodeStrictJSON(tags, &in.Tags, "tags"); err != nil {
			return in, err
		}
	}
	return in, nil
}

func decodeStrictJSON(data []byte, v any, where string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		msg := strings.TrimPrefix(err.Error(), "json: ")
		msg = strings.ReplaceAll(msg, "Go struct field ", "")
		return fmt.Errorf("%s%s", where, strings.TrimPrefix(msg, " "))
	}
	return nil
}

// --- The short form ---

// pipelineSpec is the short form's top level.
type pipelineSpec struct {
	Name          string        `yaml:"name"`
	ExecutionMode string        `yaml:"executionMode"`
	PipelineType  string        `yaml:"pipelineType"`
	RoleArn       string        `yaml:"roleArn"`
	ArtifactStore string        `yaml:"artifactStore"`
	Variables     yaml.Node     `yaml:"variables"` // NAME: default, or NAME: {default, description}
	Triggers      *yaml.Node    `yaml:"triggers"`  // AWS trigger declarations; [] for none
	Tags          yaml.Node     `yaml:"tags"`      // KEY: VALUE
	Source        *sourceSpec   `yaml:"source"`
	Build         *buildSpec    `yaml:"build"`
	Approval      *approvalSpec `yaml:"approval"`
	Deploy        *deploySpec   `yaml:"deploy"`
	Stages        []yaml.Node   `yaml:"stages"` // shortcuts ({build: {...}}) or AWS stage declarations
}

// stageNaming is what every shortcut may rename.
type stageNaming struct {
	Stage     string `yaml:"stage"`
	Action    string `yaml:"action"`
	Namespace string `yaml:"namespace"`
	OnFailure string `yaml:"onFailure"` // the stage's onFailure result: FAIL, RETRY, ROLLBACK, SKIP
}

type sourceSpec struct {
	stageNaming `yaml:",inline"`
	Repository  string       `yaml:"repository"`
	Branch      string       `yaml:"branch"`
	Format      string       `yaml:"format"`  // OutputArtifactFormat: CODE_ZIP or CODEBUILD_CLONE_REF
	Trigger     *bool        `yaml:"trigger"` // start on pushes to the branch; default true
	FilePaths   *globFilters `yaml:"filePaths"`
}

type globFilters struct {
	Includes []string `yaml:"includes"`
	Excludes []string `yaml:"excludes"`
}

type buildSpec struct {
	stageNaming `yaml:",inline"`
	Project     string    `yaml:"project"`
	Env         yaml.Node `yaml:"env"`   // NAME: value, or NAME: {value, type}
	Input       string    `yaml:"input"` // default: the previous shortcut's output artifact
}

type approvalSpec struct {
	stageNaming    `yaml:",inline"`
	Message        string `yaml:"message"`
	Link           string `yaml:"link"`
	TimeoutMinutes int32  `yaml:"timeoutMinutes"`
}

type deploySpec struct {
	stageNaming    `yaml:",inline"`
	Cluster        string `yaml:"cluster"`
	Service        string `yaml:"service"`
	File           string `yaml:"file"`
	TimeoutMinutes int32  `yaml:"timeoutMinutes"`
	Input          string `yaml:"input"` // default: the last build's output artifact
}

// shortcutKinds are the keys of a shortcut stage, in the order the
// top-level form puts them.
var shortcutKinds = []string{"source", "build", "approval", "deploy"}

// expansion is the state of expandPipelineSpec between stages.
type expansion struct {
	stages     []cptypes.StageDeclaration
	triggers   []cptypes.PipelineTriggerDeclaration
	lastOutput string // artifact of the last source or build shortcut
}

// expandPipelineSpec turns the short form into a declaration.
func expandPipelineSpec(spec *pipelineSpec) (pipelineInput, error) {
	var in pipelineInput
	if spec.Name == "" {
		return in, errors.New("name: required")
	}
	p := &in.Pipeline
	p.Name = aws.String(spec.Name)
	p.RoleArn = aws.String(cmp.Or(spec.RoleArn, defaultPipelineRole))
	p.ArtifactStore = &cptypes.ArtifactStore{Type: cptypes.ArtifactStoreTypeS3, Location: aws.String(cmp.Or(spec.ArtifactStore, defaultPipelineArtifact))}
	p.PipelineType = cptypes.PipelineType(cmp.Or(spec.PipelineType, string(cptypes.PipelineTypeV2)))
	p.ExecutionMode = cptypes.ExecutionMode(strings.ToUpper(cmp.Or(spec.ExecutionMode, string(cptypes.ExecutionModeSuperseded))))

	var x expansion
	top := spec.Source != nil || spec.Build != nil || spec.Approval != nil || spec.Deploy != nil
	switch {
	case top && len(spec.Stages) > 0:
		return in, errors.New("give either source/build/approval/deploy or stages:, not both (stages: takes the same shortcuts as list items)")
	case top:
		for _, kind := range shortcutKinds {
			var err error
			switch kind {
			case "source":
				if spec.Source != nil {
					err = x.source(spec.Source)
				}
			case "build":
				if spec.Build != nil {
					err = x.build(spec.Build)
				}
			case "approval":
				if spec.Approval != nil {
					err = x.approval(spec.Approval)
				}
			case "deploy":
				if spec.Deploy != nil {
					err = x.deploy(spec.Deploy)
				}
			}
			if err != nil {
				return in, fmt.Errorf("%s: %w", kind, err)
			}
		}
	default:
		for i, n := range spec.Stages {
			if err := x.stageItem(&n); err != nil {
				return in, fmt.Errorf("stages[%d]: %w", i, err)
			}
		}
	}
	if len(x.stages) == 0 {
		return in, errors.New("no stages: give source, build, approval and deploy, or stages:")
	}
	seen := map[string]bool{}
	for _, st := range x.stages {
		name := aws.ToString(st.Name)
		if seen[name] {
			return in, fmt.Errorf("two stages are named %q: name one with stage: NAME", name)
		}
		seen[name] = true
	}
	p.Stages = x.stages

	if spec.Triggers != nil {
		if err := decodeAWSYAML(spec.Triggers, &p.Triggers, "triggers"); err != nil {
			return in, err
		}
		if p.Triggers == nil {
			p.Triggers = []cptypes.PipelineTriggerDeclaration{}
		}
	} else {
		p.Triggers = x.triggers
	}
	vars, err := pipelineVariables(&spec.Variables)
	if err != nil {
		return in, err
	}
	p.Variables = vars
	tags, err := orderedScalars(&spec.Tags, "tags")
	if err != nil {
		return in, err
	}
	for _, kv := range tags {
		in.Tags = append(in.Tags, cptypes.Tag{Key: aws.String(kv[0]), Value: aws.String(kv[1])})
	}
	return in, nil
}

// stageItem expands one element of stages:.
func (x *expansion) stageItem(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a stage is a mapping: {source: …}, {build: …}, {approval: …}, {deploy: …} or a stage declaration {name, actions}", n.Line)
	}
	if len(n.Content) == 2 && slices.Contains(shortcutKinds, n.Content[0].Value) {
		kind, body := n.Content[0].Value, n.Content[1]
		var err error
		switch kind {
		case "source":
			var s sourceSpec
			if err = strictDecode(body, &s, kind); err == nil {
				err = x.source(&s)
			}
		case "build":
			var s buildSpec
			if err = strictDecode(body, &s, kind); err == nil {
				err = x.build(&s)
			}
		case "approval":
			var s approvalSpec
			if err = strictDecode(body, &s, kind); err == nil {
				err = x.approval(&s)
			}
		case "deploy":
			var s deploySpec
			if err = strictDecode(body, &s, kind); err == nil {
				err = x.deploy(&s)
			}
		}
		if err != nil {
			return fmt.Errorf("%s: %w", kind, err)
		}
		return nil
	}
	var st cptypes.StageDeclaration
	if err := decodeAWSYAML(n, &st, "stage"); err != nil {
		return err
	}
	// A declared stage's output artifacts feed the next shortcut.
	for _, a := range st.Actions {
		for _, o := range a.OutputArtifacts {
			x.lastOutput = aws.ToString(o.Name)
		}
	}
	x.stages = append(x.stages, st)
	return nil
}

// addStage appends a one-action stage.
func (x *expansion) addStage(n stageNaming, defStage string, a cptypes.ActionDeclaration) error {
	stage := cmp.Or(n.Stage, defStage)
	a.Name = aws.String(cmp.Or(n.Action, stage))
	a.RunOrder = aws.Int32(1)
	st := cptypes.StageDeclaration{Name: aws.String(stage), Actions: []cptypes.ActionDeclaration{a}}
	if n.OnFailure != "" {
		result := cptypes.Result(strings.ToUpper(n.OnFailure))
		if !slices.Contains(result.Values(), result) {
			return fmt.Errorf("onFailure must be one of %v, not %q", result.Values(), n.OnFailure)
		}
		st.OnFailure = &cptypes.FailureConditions{Result: result}
	}
	x.stages = append(x.stages, st)
	return nil
}

func actionType(category cptypes.ActionCategory, provider string) *cptypes.ActionTypeId {
	return &cptypes.ActionTypeId{Category: category, Owner: cptypes.ActionOwnerAws, Provider: aws.String(provider), Version: aws.String("1")}
}

func (x *expansion) source(s *sourceSpec) error {
	if len(x.stages) > 0 {
		return errors.New("the source must be the first stage")
	}
	if s.Repository == "" {
		return errors.New("repository: required")
	}
	stage := cmp.Or(s.Stage, "Source")
	artifact := stage + "Artifact"
	branch := cmp.Or(s.Branch, "main")
	cfg := map[string]string{"RepositoryName": s.Repository, "BranchName": branch, "PollForSourceChanges": "false"}
	if s.Format != "" {
		cfg["OutputArtifactFormat"] = s.Format
	}
	a := cptypes.ActionDeclaration{
		ActionTypeId:    actionType(cptypes.ActionCategorySource, "CodeCommit"),
		Configuration:   cfg,
		Namespace:       aws.String(cmp.Or(s.Namespace, stage+"Variables")),
		OutputArtifacts: []cptypes.OutputArtifact{{Name: aws.String(artifact)}},
	}
	if err := x.addStage(s.stageNaming, "Source", a); err != nil {
		return err
	}
	x.lastOutput = artifact
	if s.Trigger == nil || *s.Trigger {
		push := cptypes.GitPushFilter{Branches: &cptypes.GitBranchFilterCriteria{Includes: []string{branch}}}
		if s.FilePaths != nil {
			push.FilePaths = &cptypes.GitFilePathFilterCriteria{Includes: s.FilePaths.Includes, Excludes: s.FilePaths.Excludes}
		}
		x.triggers = append(x.triggers, cptypes.PipelineTriggerDeclaration{
			ProviderType: cptypes.PipelineTriggerProviderTypeCodeStarSourceConnection,
			GitConfiguration: &cptypes.GitConfiguration{
				SourceActionName: aws.String(cmp.Or(s.Action, stage)),
				Push:             []cptypes.GitPushFilter{push},
			},
		})
	}
	return nil
}

func (x *expansion) build(b *buildSpec) error {
	if b.Project == "" {
		return errors.New("project: required")
	}
	input := cmp.Or(b.Input, x.lastOutput)
	if input == "" {
		return errors.New("no input artifact: put a source before the build, or name one with input:")
	}
	stage := cmp.Or(b.Stage, "Build")
	artifact := stage + "Artifact"
	cfg := map[string]string{"ProjectName": b.Project}
	env, err := buildEnv(&b.Env)
	if err != nil {
		return err
	}
	if env != "" {
		cfg["EnvironmentVariables"] = env
	}
	a := cptypes.ActionDeclaration{
		ActionTypeId:    actionType(cptypes.ActionCategoryBuild, "CodeBuild"),
		Configuration:   cfg,
		InputArtifacts:  []cptypes.InputArtifact{{Name: aws.String(input)}},
		Namespace:       aws.String(cmp.Or(b.Namespace, stage+"Variables")),
		OutputArtifacts: []cptypes.OutputArtifact{{Name: aws.String(artifact)}},
	}
	if err := x.addStage(b.stageNaming, "Build", a); err != nil {
		return err
	}
	x.lastOutput = artifact
	return nil
}

func (x *expansion) approval(s *approvalSpec) error {
	cfg := map[string]string{}
	if s.Message != "" {
		cfg["CustomData"] = s.Message
	}
	if s.Link != "" {
		cfg["ExternalEntityLink"] = s.Link
	}
	a := cptypes.ActionDeclaration{ActionTypeId: actionType(cptypes.ActionCategoryApproval, "Manual")}
	if len(cfg) > 0 {
		a.Configuration = cfg
	}
	if s.Namespace != "" {
		a.Namespace = aws.String(s.Namespace)
	}
	if s.TimeoutMinutes != 0 {
		a.TimeoutInMinutes = aws.Int32(s.TimeoutMinutes)
	}
	return x.addStage(s.stageNaming, "Approve", a)
}

func (x *expansion) deploy(d *deploySpec) error {
	if d.Service == "" {
		return errors.New("service: required")
	}
	input := cmp.Or(d.Input, x.lastOutput)
	if input == "" {
		return errors.New("no input artifact: put a build before the deploy, or name one with input:")
	}
	cfg := map[string]string{
		"ClusterName": cmp.Or(d.Cluster, "default"),
		"ServiceName": d.Service,
		"FileName":    cmp.Or(d.File, defaultImageDefinitions),
	}
	if d.TimeoutMinutes != 0 {
		cfg["DeploymentTimeout"] = fmt.Sprint(d.TimeoutMinutes)
	}
	a := cptypes.ActionDeclaration{
		ActionTypeId:   actionType(cptypes.ActionCategoryDeploy, "ECS"),
		Configuration:  cfg,
		InputArtifacts: []cptypes.InputArtifact{{Name: aws.String(input)}},
	}
	if d.Namespace != "" {
		a.Namespace = aws.String(d.Namespace)
	}
	return x.addStage(d.stageNaming, "Deploy", a)
}

// buildEnv turns env: into the CodeBuild action's EnvironmentVariables
// configuration: a JSON array of {name, value, type}, in file order.
func buildEnv(n *yaml.Node) (string, error) {
	if n.Kind == 0 {
		return "", nil
	}
	if n.Kind != yaml.MappingNode {
		return "", fmt.Errorf("line %d: env is a mapping NAME: value", n.Line)
	}
	type envVar struct {
		Name  string `json:"name"`
		Value string `json:"value"`
		Type  string `json:"type"`
	}
	var vars []envVar
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		ev := envVar{Name: k.Value, Type: "PLAINTEXT"}
		switch {
		case v.Kind == yaml.ScalarNode && v.Tag != "!!null":
			ev.Value = v.Value
		case v.Kind == yaml.MappingNode:
			var typed struct {
				Value string `yaml:"value"`
				Type  string `yaml:"type"`
			}
			if err := strictDecode(v, &typed, "env "+k.Value); err != nil {
				return "", err
			}
			ev.Value, ev.Type = typed.Value, strings.ToUpper(cmp.Or(typed.Type, "PLAINTEXT"))
		default:
			return "", fmt.Errorf("line %d: env %s has no value (quote values that start with #, like \"#{SourceVariables.CommitId}\")", k.Line, k.Value)
		}
		vars = append(vars, ev)
	}
	if len(vars) == 0 {
		return "", nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(vars); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// pipelineVariables reads variables: NAME: default or NAME: {default,
// description}, in file order.
func pipelineVariables(n *yaml.Node) ([]cptypes.PipelineVariableDeclaration, error) {
	if n.Kind == 0 {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: variables is a mapping NAME: default", n.Line)
	}
	var out []cptypes.PipelineVariableDeclaration
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		d := cptypes.PipelineVariableDeclaration{Name: aws.String(k.Value)}
		switch v.Kind {
		case yaml.ScalarNode:
			if v.Tag != "!!null" {
				d.DefaultValue = aws.String(v.Value)
			}
		case yaml.MappingNode:
			var full struct {
				Default     *string `yaml:"default"`
				Description string  `yaml:"description"`
			}
			if err := strictDecode(v, &full, "variable "+k.Value); err != nil {
				return nil, err
			}
			d.DefaultValue = full.Default
			if full.Description != "" {
				d.Description = aws.String(full.Description)
			}
		default:
			return nil, fmt.Errorf("line %d: variable %s: want a default value or {default, description}", v.Line, k.Value)
		}
		out = append(out, d)
	}
	return out, nil
}

// orderedScalars reads a mapping of scalars in file order.
func orderedScalars(n *yaml.Node, what string) ([][2]string, error) {
	if n.Kind == 0 {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: %s is a mapping KEY: VALUE", n.Line, what)
	}
	var out [][2]string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: %s %s: want a plain value", v.Line, what, k.Value)
		}
		out = append(out, [2]string{k.Value, v.Value})
	}
	return out, nil
}

// --- YAML helpers ---

// mappingValue returns the value of key in a mapping node, or nil.
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// checkCutValues catches the YAML trap of pipeline variables: in
// `message: Deploy #{SourceVariables.CommitId}` YAML reads " #" as the
// start of a comment, so the value silently ends before it.
func checkCutValues(n *yaml.Node) error {
	if strings.HasPrefix(n.LineComment, "#{") && n.Kind == yaml.ScalarNode {
		return fmt.Errorf("line %d: the value is cut before %q: YAML reads \" #\" as a comment; quote the value", n.Line, n.LineComment)
	}
	for _, c := range n.Content {
		if err := checkCutValues(c); err != nil {
			return err
		}
	}
	return nil
}

// strictDecode decodes n into v (a pointer to a struct), refusing keys v
// has no field for: yaml.v3's Node.Decode has no KnownFields.
func strictDecode(n *yaml.Node, v any, where string) error {
	if err := checkKnownKeys(n, reflect.TypeOf(v), where); err != nil {
		return err
	}
	if err := n.Decode(v); err != nil {
		return fmt.Errorf("%s: %s", where, strings.TrimPrefix(strings.ReplaceAll(err.Error(), "yaml: unmarshal errors:\n  ", ""), "yaml: "))
	}
	return nil
}

// yamlKeys lists the keys of a struct type's fields, inline ones included.
func yamlKeys(t reflect.Type) map[string]reflect.Type {
	keys := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if opts == "inline" {
			for k, ft := range yamlKeys(f.Type) {
				keys[k] = ft
			}
			continue
		}
		if name == "" || name == "-" {
			continue
		}
		keys[name] = f.Type
	}
	return keys
}

var yamlNodeType = reflect.TypeFor[yaml.Node]()

func checkKnownKeys(n *yaml.Node, t reflect.Type, where string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == yamlNodeType:
		return nil
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for _, c := range n.Content {
			if err := checkKnownKeys(c, t.Elem(), where); err != nil {
				return err
			}
		}
		return nil
	case t.Kind() != reflect.Struct:
		return nil
	case n.Kind != yaml.MappingNode:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return nil
		}
		return fmt.Errorf("line %d: %s is a mapping", n.Line, where)
	}
	keys := yamlKeys(t)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		ft, ok := keys[k.Value]
		if !ok {
			known := make([]string, 0, len(keys))
			for name := range keys {
				known = append(known, name)
			}
			slices.Sort(known)
			return fmt.Errorf("line %d: unknown key %q in %s (known: %s)", k.Line, k.Value, where, strings.Join(known, ", "))
		}
		if err := checkKnownKeys(n.Content[i+1], ft, k.Value); err != nil {
			return err
		}
	}
	return nil
}

// decodeAWSYAML decodes YAML written in the AWS JSON shape into an SDK
// value, through JSON (so that the SDK types' member names apply) and
// refusing unknown members. Scalars go where the SDK wants strings as
// strings, whatever they look like (version: 1, PollForSourceChanges: false).
func decodeAWSYAML(n *yaml.Node, v any, where string) error {
	js, err := yamlToJSON(n, reflect.TypeOf(v))
	if err != nil {
		return err
	}
	if err := decodeStrictJSON(js, v, ""); err != nil {
		return fmt.Errorf("line %d: %s: %w", n.Line, where, err)
	}
	return nil
}

// awsInputDoc is the shape of "create-pipeline --cli-input-json" and of
// get-pipeline output, for yamlToJSON.
type awsInputDoc struct {
	Pipeline cptypes.PipelineDeclaration
	Tags     []cptypes.Tag
	Metadata cptypes.PipelineMetadata
}

func yamlToJSON(n *yaml.Node, t reflect.Type) ([]byte, error) {
	stringsAsTyped(n, t)
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// stringsAsTyped tags the scalars of n that t (an SDK type) holds as
// strings !!str, matching members as encoding/json does (case-insensitive).
func stringsAsTyped(n *yaml.Node, t reflect.Type) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.String && n.Kind == yaml.ScalarNode:
		if n.Tag != "!!null" {
			n.Tag = "!!str"
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for _, c := range n.Content {
			stringsAsTyped(c, t.Elem())
		}
	case t.Kind() == reflect.Map && n.Kind == yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			stringsAsTyped(n.Content[i], t.Elem())
		}
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			for j := range t.NumField() {
				if f := t.Field(j); f.IsExported() && strings.EqualFold(f.Name, key) {
					stringsAsTyped(n.Content[i+1], f.Type)
					break
				}
			}
		}
	}
}
