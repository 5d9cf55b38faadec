package server

import (
	"context"
	"net/http"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cbsdk "github.com/aws/aws-sdk-go-v2/service/codebuild"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/wharfhq/wharf/internal/gitrepo"
	"github.com/wharfhq/wharf/internal/pipeline"
	cbprov "github.com/wharfhq/wharf/internal/pipeline/providers/codebuild"
	"github.com/wharfhq/wharf/internal/pipeline/providers/codecommit"
	"github.com/wharfhq/wharf/internal/pipeline/providers/ecsdeploy"
	"github.com/wharfhq/wharf/internal/pipeline/providers/gitsource"
	"github.com/wharfhq/wharf/internal/pipeline/providers/manual"
)

// newPipelineEngine builds the pipeline engine. Its CodeBuild and ECS
// actions call the server's own APIs through the AWS SDK, as CodePipeline
// calls CodeBuild and ECS: the same validation and the same code paths as
// any other client.
func (s *Server) newPipelineEngine() *pipeline.Engine {
	cfg := aws.Config{
		Region:      s.cfg.Region,
		Credentials: credentials.NewStaticCredentialsProvider("wharf-pipelines", s.token, ""),
		HTTPClient:  &http.Client{Timeout: 30 * time.Second},
	}
	endpoint := func() *string { return aws.String(s.loopbackURL()) }
	cb := cbsdk.NewFromConfig(cfg, func(o *cbsdk.Options) { o.BaseEndpoint = endpoint() })
	ecsClient := ecs.NewFromConfig(cfg, func(o *ecs.Options) { o.BaseEndpoint = endpoint() })
	build := cbprov.New(cb)
	source := codecommit.New(s.git, s.artifacts)
	source.BaseURL = s.loopbackURL()
	deploy := ecsdeploy.New(ecsClient, s.artifacts)
	deploy.Now = s.state.Now
	gitSource := gitsource.New(s.artifacts)
	gitSource.CacheDir = filepath.Join(s.cfg.DataDir, "cache", "pipeline-sources")
	return &pipeline.Engine{
		State: s.state,
		Providers: map[string]pipeline.Provider{
			pipeline.ProviderKey("Source", "AWS", "CodeCommit"):               source,
			pipeline.ProviderKey("Source", "AWS", "CodeStarSourceConnection"): gitSource,
			pipeline.ProviderKey("Build", "AWS", "CodeBuild"):                 build,
			pipeline.ProviderKey("Test", "AWS", "CodeBuild"):                  build,
			pipeline.ProviderKey("Approval", "AWS", "Manual"):                 manual.New(s.state.Now),
			pipeline.ProviderKey("Deploy", "AWS", "ECS"):                      deploy,
		},
		Logger: s.cfg.Logger.With("component", "pipelines"),
	}
}

// startPipelinesOnPush starts the pipelines a git push triggers. The hook
// runs before the push request completes: creating the executions (one
// etcd write each) there means that once "git push" returns, the runs it
// started exist and "wharf pipeline watch" finds them.
func (s *Server) startPipelinesOnPush(ctx context.Context) {
	s.git.OnPush(func(ev gitrepo.PushEvent) {
		s.pipelines.OnPush(ctx, pipeline.Push{Repo: ev.Repo, Ref: ev.Ref, Old: ev.Old, New: ev.New})
	})
}

// pollPipelineSources starts the pipelines whose git sources outside wharf
// moved (CodeStarSourceConnection actions with change detection).
func (s *Server) pollPipelineSources(ctx context.Context) error {
	return s.pipelines.RunSourcePolling(ctx, s.cfg.SourcePollInterval)
}
