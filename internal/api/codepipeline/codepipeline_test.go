package codepipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline/types"
	"github.com/aws/smithy-go"
	"github.com/google/uuid"

	"github.com/wharfhq/wharf/internal/api"
	cpapi "github.com/wharfhq/wharf/internal/api/codepipeline"
	"github.com/wharfhq/wharf/internal/arn"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/pipeline"
	"github.com/wharfhq/wharf/internal/state"
	"github.com/wharfhq/wharf/internal/store"
)

const (
	region  = "us-east-1"
	account = "000000000000"
	role    = "arn:aws:iam::000000000000:role/pipeline"
	root    = "arn:aws:iam::000000000000:root"
)

// clock is the state's time; tests move it forward instead of sleeping.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testLogger is silent unless WHARF_TEST_LOG is set, like wharftest.Logger.
// (These tests do not import wharftest: it pulls in the whole server.)
func testLogger() *slog.Logger {
	if os.Getenv("WHARF_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// awsConfig is wharftest.AWSConfig: static credentials, no client-side
// rate limit, and only transient errors retried.
func awsConfig() aws.Config {
	return aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDWHARFTEST", "secret", ""),
		HTTPClient:  &http.Client{Timeout: 30 * time.Second},
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 3
				o.RateLimiter = ratelimit.None
			})
		},
	}
}

// starter stands in for the pipeline engine: it creates executions as
// Engine.Start does (InProgress, waiting at the first stage) and records
// what it was asked.
type starter struct {
	st    *state.State
	clock *clock
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
	s.clock.advance(time.Second) // executions start in a known order
	now := s.clock.now()
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
	clock   *clock
	starter *starter
	url     string
}

func setup(t testing.TB) *env {
	t.Helper()
	logger := testLogger()
	ctx, cancel := context.WithCancel(context.Background())
	kv, err := store.Open(ctx, store.Config{DataDir: t.TempDir(), Logger: logger})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = kv.Close() })
	clk := &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	st, err := state.New(ctx, state.Config{Store: kv, ARNs: arn.Builder{Region: region, Account: account}, Now: clk.now, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	fake := &starter{st: st, clock: clk}
	gw := api.NewGateway(logger)
	gw.AddJSONService(cpapi.New(st, fake, region, account, logger).Service())
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	c := codepipeline.NewFromConfig(awsConfig(), func(o *codepipeline.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	return &env{c: c, st: st, clock: clk, starter: fake, url: srv.URL}
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
