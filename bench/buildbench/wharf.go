package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/wharfhq/wharf/bench/internal/benchkit"
	"github.com/wharfhq/wharf/internal/testutil/wharftest"
)

const (
	project     = "buildapp"
	deployToken = "bench-deploy-token" // the buildspec's parameter-store value
	poll        = 50 * time.Millisecond
)

// phases are CodeBuild's, in order.
var phases = []string{"SUBMITTED", "QUEUED", "PROVISIONING", "DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD",
	"BUILD", "POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING"}

// wharf drives the server through the AWS APIs.
type wharf struct {
	url      string
	pid      int    // the server's
	registry string // host:port
	cb       *codebuild.Client
	ecr      *ecr.Client
}

// wharfBuild is one measured build.
type wharfBuild struct {
	id       string
	start    time.Time                // just before the StartBuild call
	wall     time.Duration            // StartBuild → BatchGetBuilds shows buildComplete
	cpu      cpuTimes                 // the server's and the build's (see cpu.go)
	queue    time.Duration            // StartBuild → DOWNLOAD_SOURCE start
	phaseSum time.Duration            // Σ phase end − start
	seen     time.Duration            // the build's end time → the client saw buildComplete
	phase    map[string]time.Duration // by phase type
}

// setupWharf creates the cluster (and waits for the local agent's
// instance), the ECR repository, the SSM parameter and the project.
func setupWharf(ctx context.Context, url string, pid int, label, repoDir string) (*wharf, error) {
	w := &wharf{url: url, pid: pid, registry: strings.TrimPrefix(url, "http://"), cb: wharftest.CodeBuild(url),
		ecr: ecr.NewFromConfig(wharftest.AWSConfig(""), func(o *ecr.Options) { o.BaseEndpoint = aws.String(url) })}
	ecsc := wharftest.ECS(url)
	if _, err := ecsc.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("bench")}); err != nil {
		return nil, fmt.Errorf("create cluster: %w", err)
	}
	for deadline := time.Now().Add(time.Minute); ; {
		out, err := ecsc.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Cluster: aws.String("bench")})
		if err == nil && len(out.ContainerInstanceArns) > 0 {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no container instance registered within 1m (last error %v)", err)
		}
		if err := benchkit.Sleep(ctx, 100*time.Millisecond); err != nil {
			return nil, err
		}
	}
	if _, err := w.ecr.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(project)}); err != nil {
		return nil, fmt.Errorf("create repository: %w", err)
	}
	if _, err := wharftest.SSM(url).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/buildapp/deploy-token"),
		Value: aws.String(deployToken), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
		return nil, fmt.Errorf("put parameter: %w", err)
	}
	_, err := w.cb.CreateProject(ctx, &codebuild.CreateProjectInput{
		Name:   aws.String(project),
		Source: &cbtypes.ProjectSource{Type: cbtypes.SourceTypeGithubEnterprise, Location: aws.String("file://" + repoDir)},
		Artifacts: &cbtypes.ProjectArtifacts{Type: cbtypes.ArtifactsTypeS3, Location: aws.String("wharf-artifacts"),
			Path: aws.String(project), Name: aws.String("out.zip"), Packaging: cbtypes.ArtifactPackagingZip},
		Cache: &cbtypes.ProjectCache{Type: cbtypes.CacheTypeLocal,
			Modes: []cbtypes.CacheMode{cbtypes.CacheModeLocalSourceCache, cbtypes.CacheModeLocalCustomCache}},
		Environment: &cbtypes.ProjectEnvironment{
			Type: "LINUX_HOST", Image: aws.String("wharf/host"), ComputeType: cbtypes.ComputeTypeBuildGeneral1Small,
			PrivilegedMode: aws.Bool(true),
			EnvironmentVariables: []cbtypes.EnvironmentVariable{
				{Name: aws.String("TEST_LABEL"), Value: aws.String(label)},
				{Name: aws.String("GOTOOLCHAIN"), Value: aws.String("local")},
			},
		},
		ServiceRole: aws.String("arn:aws:iam::000000000000:role/build"),
	})
	if err != nil {
		return nil, fmt.Errorf("create project: %w", err)
	}
	return w, nil
}

// build starts a build of the project's main branch and polls until it is
// complete; a build that did not succeed is an error, with its log.
func (w *wharf) build(ctx context.Context) (wharfBuild, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cpu := processCPU(w.pid)
	b := wharfBuild{start: time.Now(), phase: map[string]time.Duration{}}
	out, err := w.cb.StartBuild(ctx, &codebuild.StartBuildInput{ProjectName: aws.String(project), SourceVersion: aws.String("main")})
	if err != nil {
		return b, fmt.Errorf("start build: %w", err)
	}
	b.id = aws.ToString(out.Build.Id)
	var got cbtypes.Build
	for {
		if err := benchkit.Sleep(ctx, poll); err != nil {
			return b, fmt.Errorf("build %s: %w", b.id, err)
		}
		res, err := w.cb.BatchGetBuilds(ctx, &codebuild.BatchGetBuildsInput{Ids: []string{b.id}})
		if err != nil {
			return b, fmt.Errorf("batch get builds: %w", err)
		}
		if len(res.Builds) == 1 && res.Builds[0].BuildComplete {
			b.wall = time.Since(b.start)
			b.cpu = processCPU(w.pid).sub(cpu)
			got = res.Builds[0]
			break
		}
	}
	if got.BuildStatus != cbtypes.StatusTypeSucceeded {
		var log strings.Builder
		_ = w.writeLog(ctx, &log, b)
		return b, fmt.Errorf("build %s: %s\n%s", b.id, got.BuildStatus, log.String())
	}
	for _, p := range got.Phases {
		if p.StartTime == nil {
			continue
		}
		if p.PhaseType == cbtypes.BuildPhaseTypeDownloadSource {
			b.queue = p.StartTime.Sub(b.start)
		}
		if p.EndTime != nil {
			d := p.EndTime.Sub(*p.StartTime)
			b.phase[string(p.PhaseType)] = d
			b.phaseSum += d
		}
	}
	if got.EndTime != nil {
		b.seen = b.start.Add(b.wall).Sub(*got.EndTime)
	}
	return b, nil
}

// printLog prints the build's log, each line with its time from StartBuild.
func (w *wharf) printLog(ctx context.Context, out io.Writer, b wharfBuild) error {
	fmt.Fprintf(out, "\nlog of %s (seconds from StartBuild):\n\n", b.id)
	return w.writeLog(ctx, out, b)
}

func (w *wharf) writeLog(ctx context.Context, out io.Writer, b wharfBuild) error {
	logs := wharftest.Logs(w.url)
	_, uuid, _ := strings.Cut(b.id, ":")
	var token *string
	for {
		res, err := logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
			LogGroupName: aws.String("/aws/codebuild/" + project), LogStreamName: aws.String(uuid),
			StartFromHead: aws.Bool(true), NextToken: token,
		})
		if err != nil {
			return fmt.Errorf("get log events: %w", err)
		}
		for _, ev := range res.Events {
			at := time.UnixMilli(aws.ToInt64(ev.Timestamp)).Sub(b.start)
			fmt.Fprintf(out, "%7.3f  %s\n", at.Seconds(), strings.TrimRight(aws.ToString(ev.Message), "\n"))
		}
		if len(res.Events) == 0 || aws.ToString(res.NextForwardToken) == aws.ToString(token) {
			return nil
		}
		token = res.NextForwardToken
	}
}
