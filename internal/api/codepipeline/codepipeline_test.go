package codepipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline/types"
	"github.com/aws/smithy-go"
	"github.com/google/uuid"

	cpapi "github.com/wharfhq/wharf/internal/api/codepipeline"
	"github.com/wharfhq/wharf/internal/arn"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/pipeline"
	"github.com/wharfhq/wharf/internal/state"
	"github.com/wharfhq/wharf/internal/testutil/apitest"
)

const (
	region  = "us-east-1"
	account = "000000000000"
	role    = "arn:aws:iam::000000000000:role/pipeline"
	root    = "arn:aws:iam::000000000000:root"
)

// starter stands in for the pipeline engine: it creates executions as
// Engine.Start does (InProgress, waiting at the first stage) and records
// what it was asked.
type starter struct {
	st    *state.State
	clock *apitest.Clock
	mu    sync.Mutex
	calls []pipeline.StartOptions
	err   error // returned instead of starting when set
}

// Rollback is the engine's own: it only needs the state.
func (s *starter) Rollback(ctx context.Context, name, stage, target string) (*model.PipelineExecution, error) {
	return (&pipeline.Engine{State: s.st}).Rollback(ctx, name, stage, target)
}

func (s *starter) Start(ctx context.Context, name string, o pipeline.StartOptions) (*model.PipelineExecution, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, o)
	if s.err != nil {
		return nil, s.err
	}
	p, ok := s.st.Pipeline(name)
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, pipeline.ErrPipelineNotFound)
	}
	vars := map[string]string{}
	for _, v := range p.Variables {
		vars[v.Name] = v.DefaultValue
	}
	for k, v := range o.Variables {
		if _, ok := vars[k]; !ok {
			return nil, fmt.Errorf("%s: %w", k, pipeline.ErrUnknownVariable)
		}
		vars[k] = v
	}
	s.clock.Advance(time.Second) // executions start in a known order
	now := s.clock.Now()
	ex := &model.PipelineExecution{
		ID: uuid.NewString(), Pipeline: name, PipelineVersion: p.Version, Status: model.ExecInProgress, Mode: p.ExecutionMode,
		TriggerType: o.TriggerType, TriggerDetail: o.TriggerDetail, Variables: vars, StartTime: now, LastUpdate: now,
		Stage: 0, Waiting: true, SourceRevisions: o.SourceRevisions,
	}
	for _, st := range p.Stages {
		ex.Stages = append(ex.Stages, model.StageExecution{Name: st.Name})
	}
	if err := s.st.CreatePipelineExecution(ctx, ex); err != nil {
		return nil, err
	}
	return ex, nil
}

// fail makes Start return err (nil: start again).
func (s *starter) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

func (s *starter) last() pipeline.StartOptions {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[len(s.calls)-1]
}

// env is a CodePipeline service on a state with embedded etcd, mounted on
// the gateway of an httptest server, and a real SDK client for it.
type env struct {
	c       *codepipeline.Client
	st      *state.State
	clock   *apitest.Clock
	starter *starter
	url     string
}

func setup(t testing.TB) *env {
	t.Helper()
	clk := apitest.NewClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	fake := &starter{clock: clk}
	a := apitest.Start(t, apitest.Config{Now: clk.Now, ARNs: arn.Builder{Region: region, Account: account}}, func(a *apitest.Env) {
		fake.st = a.State
		a.Gateway.AddJSONService(cpapi.New(a.State, fake, region, account, a.Logger).Service())
	})
	c := codepipeline.NewFromConfig(apitest.AWSConfig(region), func(o *codepipeline.Options) { o.BaseEndpoint = aws.String(a.URL) })
	return &env{c: c, st: a.State, clock: clk, starter: fake, url: a.URL}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// wantErr checks that err is the typed SDK error E and that its message
// contains every fragment.
func wantErr[E interface {
	error
	ErrorMessage() string
}](t *testing.T, err error, what string, fragments ...string) {
	t.Helper()
	var target E
	if !errors.As(err, &target) {
		t.Fatalf("%s: err = %v, want %T", what, err, target)
	}
	for _, f := range fragments {
		if !strings.Contains(target.ErrorMessage(), f) {
			t.Fatalf("%s: message %q does not mention %q", what, target.ErrorMessage(), f)
		}
	}
}

func wantCode(t *testing.T, err error, code, what string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("%s: err = %v, want %s", what, err, code)
	}
}

// raw posts a body to an operation without the SDK (whose client-side
// checks would refuse it) and returns the status and error envelope.
func (e *env) raw(t *testing.T, op, body string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.url+"/", bytes.NewReader([]byte(body)))
	req.Header.Set("X-Amz-Target", "CodePipeline_20150709."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf, _ := io.ReadAll(resp.Body)
	var out struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(buf, &out)
	return resp.StatusCode, out.Type, out.Message
}

func typeID(category types.ActionCategory, provider string) *types.ActionTypeId {
	return &types.ActionTypeId{Category: category, Owner: types.ActionOwnerAws, Provider: aws.String(provider), Version: aws.String("1")}
}

// declaration returns the tutorial pipeline: CodeCommit source, CodeBuild
// build, manual approval, ECS deploy; V2 with one variable.
func declaration(name string) *types.PipelineDeclaration {
	return &types.PipelineDeclaration{
		Name: aws.String(name), RoleArn: aws.String(role), PipelineType: types.PipelineTypeV2,
		ArtifactStore: &types.ArtifactStore{Type: types.ArtifactStoreTypeS3, Location: aws.String("artifacts")},
		Variables:     []types.PipelineVariableDeclaration{{Name: aws.String("DEPLOY_TIMEOUT"), DefaultValue: aws.String("30")}},
		Stages: []types.StageDeclaration{
			{Name: aws.String("Source"), Actions: []types.ActionDeclaration{{
				Name: aws.String("Checkout"), Namespace: aws.String("SourceVariables"), ActionTypeId: typeID(types.ActionCategorySource, "CodeCommit"),
				Configuration:   map[string]string{"RepositoryName": "web", "BranchName": "main"},
				OutputArtifacts: []types.OutputArtifact{{Name: aws.String("Src")}},
			}}},
			{Name: aws.String("Build"), Actions: []types.ActionDeclaration{{
				Name: aws.String("DockerBuild"), Namespace: aws.String("BuildVariables"), ActionTypeId: typeID(types.ActionCategoryBuild, "CodeBuild"),
				Configuration: map[string]string{"ProjectName": "web-image",
					"EnvironmentVariables": `[{"name":"COMMIT","value":"#{SourceVariables.CommitId}","type":"PLAINTEXT"}]`},
				InputArtifacts:  []types.InputArtifact{{Name: aws.String("Src")}},
				OutputArtifacts: []types.OutputArtifact{{Name: aws.String("ImageDefs")}},
			}}},
			{Name: aws.String("Approve"), Actions: []types.ActionDeclaration{{
				Name: aws.String("ProdGate"), ActionTypeId: typeID(types.ActionCategoryApproval, "Manual"), TimeoutInMinutes: aws.Int32(1440),
				Configuration: map[string]string{"CustomData": "Deploy #{BuildVariables.IMAGE_TAG}?"},
			}}},
			{Name: aws.String("Deploy"), Actions: []types.ActionDeclaration{{
				Name: aws.String("RollingUpdate"), ActionTypeId: typeID(types.ActionCategoryDeploy, "ECS"),
				Configuration:  map[string]string{"ClusterName": "prod", "ServiceName": "web", "DeploymentTimeout": "#{variables.DEPLOY_TIMEOUT}"},
				InputArtifacts: []types.InputArtifact{{Name: aws.String("ImageDefs")}},
			}}},
		},
	}
}

func (e *env) create(t *testing.T, d *types.PipelineDeclaration, tags ...types.Tag) *codepipeline.CreatePipelineOutput {
	t.Helper()
	out, err := e.c.CreatePipeline(ctx(t), &codepipeline.CreatePipelineInput{Pipeline: d, Tags: tags})
	if err != nil {
		t.Fatalf("CreatePipeline(%s): %v", aws.ToString(d.Name), err)
	}
	return out
}

func pipelineARN(name string) string {
	return "arn:aws:codepipeline:" + region + ":" + account + ":" + name
}

// executions returns a pipeline's stored executions, newest first.
func (e *env) executions(name string) []*model.PipelineExecution {
	return e.st.PipelineExecutions(name)
}

// edit changes a stored execution as the engine would.
func (e *env) edit(t *testing.T, pipeline, id string, fn func(ex *model.PipelineExecution)) *model.PipelineExecution {
	t.Helper()
	ex, err := e.st.UpdatePipelineExecution(context.Background(), pipeline, id, func(ex *model.PipelineExecution) error {
		fn(ex)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

// start starts an execution through the API and returns it as stored.
func (e *env) start(t *testing.T, name string) *model.PipelineExecution {
	t.Helper()
	out, err := e.c.StartPipelineExecution(ctx(t), &codepipeline.StartPipelineExecutionInput{Name: aws.String(name)})
	if err != nil {
		t.Fatalf("StartPipelineExecution(%s): %v", name, err)
	}
	ex, ok := e.st.PipelineExecution(name, aws.ToString(out.PipelineExecutionId))
	if !ok {
		t.Fatalf("execution %s is not stored", aws.ToString(out.PipelineExecutionId))
	}
	return ex
}
