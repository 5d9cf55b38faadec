package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	cptypes "github.com/aws/aws-sdk-go-v2/service/codepipeline/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/wharfhq/wharf/internal/testutil/wharftest"
)

// pipelineBuildspec builds the app, pushes it tagged with the commit and
// names it in imagedefinitions.json for container "app".
const pipelineBuildspec = `version: 0.2
env:
  variables:
    CGO_ENABLED: "0"
  exported-variables: [IMAGE_TAG]
phases:
  build:
    commands:
      - IMAGE_TAG=$(echo "$CODEBUILD_RESOLVED_SOURCE_VERSION" | cut -c 1-7)
      - go build -ldflags "-s -w -X main.version=$IMAGE_TAG" -o app .
      - docker build --quiet --label "wharf.test=$TEST_LABEL" -t "$WHARF_REGISTRY/hello:$IMAGE_TAG" .
  post_build:
    commands:
      - '[ "$CODEBUILD_BUILD_SUCCEEDING" = 1 ] || exit 1'
      - docker push --quiet "$WHARF_REGISTRY/hello:$IMAGE_TAG"
      - printf '[{"name":"app","imageUri":"%s"}]' "$WHARF_REGISTRY/hello:$IMAGE_TAG" > imagedefinitions.json
artifacts:
  files: imagedefinitions.json
`

// pipelineEnv is a server with a load-balanced service "hello", a git
// repository, a build project and the pipeline that connects them.
type pipelineEnv struct {
	*buildEnv
	cp    *codepipeline.Client
	url   string // the load balancer's listener
	work  string // git work tree
	tgARN *string
}

func newPipelineEnv(t *testing.T) *pipelineEnv {
	e := &pipelineEnv{buildEnv: newBuildEnv(t)}
	e.cp = codepipeline.NewFromConfig(wharftest.AWSConfig(""), func(o *codepipeline.Options) { o.BaseEndpoint = aws.String(e.p.url) })
	ctx := ctxTimeout(t, 3*time.Minute)

	// The load balancer and the service, on a bootstrap image.
	lbc := wharftest.ELBv2(e.p.url)
	lbPort := freePort(t)
	lb, err := lbc.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("hello"), Subnets: []string{"subnet-a", "subnet-b"}})
	if err != nil {
		t.Fatal(err)
	}
	tg, err := lbc.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("hello"), Protocol: elbtypes.ProtocolEnumHttp,
		Port: aws.Int32(8080), VpcId: aws.String("vpc-local"), TargetType: elbtypes.TargetTypeEnumInstance,
		HealthCheckPath: aws.String("/"), HealthCheckIntervalSeconds: aws.Int32(5), HealthCheckTimeoutSeconds: aws.Int32(2),
		HealthyThresholdCount: aws.Int32(2), UnhealthyThresholdCount: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	e.tgARN = tg.TargetGroups[0].TargetGroupArn
	if _, err := lbc.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: e.tgARN,
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("2")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := lbc.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancers[0].LoadBalancerArn,
		Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(int32(lbPort)),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: e.tgARN}}}); err != nil {
		t.Fatal(err)
	}
	e.url = fmt.Sprintf("http://127.0.0.1:%d/", lbPort)
	e.register(e.app("hello", map[string]string{"LISTEN": ":8080", "VERSION": "v0"}, func(c *types.ContainerDefinition) { c.StopTimeout = aws.Int32(2) }))
	e.createService(&ecs.CreateServiceInput{ServiceName: aws.String("hello"), TaskDefinition: aws.String("hello"), DesiredCount: aws.Int32(2),
		HealthCheckGracePeriodSeconds: aws.Int32(5),
		DeploymentConfiguration: &types.DeploymentConfiguration{MinimumHealthyPercent: aws.Int32(100), MaximumPercent: aws.Int32(200),
			DeploymentCircuitBreaker: &types.DeploymentCircuitBreaker{Enable: true, Rollback: true}},
		LoadBalancers: []types.LoadBalancer{{TargetGroupArn: e.tgARN, ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080)}}})
	e.waitService("hello", "steady on the bootstrap image", 2*time.Minute, isSteady)

	// Registry repository, git repository, build project.
	if _, err := ecrClient(e.p.url).CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("hello")}); err != nil {
		t.Fatal(err)
	}
	cc := codecommit.NewFromConfig(wharftest.AWSConfig(""), func(o *codecommit.Options) { o.BaseEndpoint = aws.String(e.p.url) })
	if _, err := cc.CreateRepository(ctx, &codecommit.CreateRepositoryInput{RepositoryName: aws.String("hello")}); err != nil {
		t.Fatal(err)
	}
	gocache, _ := exec.Command("go", "env", "GOCACHE").Output()
	if _, err := e.cb.CreateProject(ctx, &codebuild.CreateProjectInput{
		Name:      aws.String("hello"),
		Source:    &cbtypes.ProjectSource{Type: cbtypes.SourceTypeCodepipeline},
		Artifacts: &cbtypes.ProjectArtifacts{Type: cbtypes.ArtifactsTypeCodepipeline},
		Environment: &cbtypes.ProjectEnvironment{Type: "LINUX_HOST", Image: aws.String("wharf/host"),
			ComputeType: cbtypes.ComputeTypeBuildGeneral1Small, PrivilegedMode: aws.Bool(true),
			EnvironmentVariables: []cbtypes.EnvironmentVariable{
				{Name: aws.String("TEST_LABEL"), Value: aws.String(e.label)},
				{Name: aws.String("GOCACHE"), Value: aws.String(strings.TrimSpace(string(gocache)))},
				{Name: aws.String("GOTOOLCHAIN"), Value: aws.String("local")},
			}},
		ServiceRole: aws.String("arn:aws:iam::000000000000:role/build"),
	}); err != nil {
		t.Fatal(err)
	}

	// The work tree the test pushes from.
	_, file, _, _ := goruntime.Caller(0)
	src := filepath.Join(filepath.Dir(file), "testdata", "buildapp")
	e.work = t.TempDir()
	for _, name := range []string{"main.go", "Dockerfile"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(e.work, name), string(b))
	}
	b, _ := os.ReadFile(filepath.Join(src, "go.mod.txt"))
	writeFile(t, filepath.Join(e.work, "go.mod"), string(b))
	writeFile(t, filepath.Join(e.work, "buildspec.yml"), pipelineBuildspec)
	e.git("init", "-q", "-b", "main")
	e.git("remote", "add", "origin", e.p.url+"/git/hello")
	return e
}

func (e *pipelineEnv) git(args ...string) string {
	e.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = e.work
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		e.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// push commits the work tree with the app's greeting changed to say and
// pushes it; it returns the commit id.
func (e *pipelineEnv) push(say string) string {
	e.t.Helper()
	main, err := os.ReadFile(filepath.Join(e.work, "main.go"))
	if err != nil {
		e.t.Fatal(err)
	}
	lines := strings.Split(string(main), "\n")
	for i, l := range lines {
		if strings.Contains(l, `fmt.Fprintf(w,`) {
			lines[i] = fmt.Sprintf("\t\tfmt.Fprintf(w, %q, version)", say+" from %s\n")
		}
	}
	writeFile(e.t, filepath.Join(e.work, "main.go"), strings.Join(lines, "\n"))
	e.git("add", ".")
	e.git("commit", "-q", "--allow-empty", "-m", say)
	e.git("push", "-q", "origin", "main")
	return e.git("rev-parse", "HEAD")
}

// createPipeline creates the Source → Build → Deploy pipeline.
func (e *pipelineEnv) createPipeline(ctx context.Context, name string, extra ...cptypes.StageDeclaration) {
	e.t.Helper()
	stages := []cptypes.StageDeclaration{
		{Name: aws.String("Source"), Actions: []cptypes.ActionDeclaration{{Name: aws.String("Source"), Namespace: aws.String("SourceVariables"),
			ActionTypeId:    &cptypes.ActionTypeId{Category: cptypes.ActionCategorySource, Owner: cptypes.ActionOwnerAws, Provider: aws.String("CodeCommit"), Version: aws.String("1")},
			Configuration:   map[string]string{"RepositoryName": "hello", "BranchName": "main"},
			OutputArtifacts: []cptypes.OutputArtifact{{Name: aws.String("SourceArtifact")}}}}},
		{Name: aws.String("Build"), Actions: []cptypes.ActionDeclaration{{Name: aws.String("Build"), Namespace: aws.String("BuildVariables"),
			ActionTypeId:    &cptypes.ActionTypeId{Category: cptypes.ActionCategoryBuild, Owner: cptypes.ActionOwnerAws, Provider: aws.String("CodeBuild"), Version: aws.String("1")},
			Configuration:   map[string]string{"ProjectName": "hello", "EnvironmentVariables": `[{"name":"COMMIT","value":"#{SourceVariables.CommitId}"}]`},
			InputArtifacts:  []cptypes.InputArtifact{{Name: aws.String("SourceArtifact")}},
			OutputArtifacts: []cptypes.OutputArtifact{{Name: aws.String("BuildArtifact")}}}}},
	}
	stages = append(stages, extra...)
	stages = append(stages, cptypes.StageDeclaration{Name: aws.String("Deploy"), Actions: []cptypes.ActionDeclaration{{Name: aws.String("Deploy"),
		ActionTypeId:   &cptypes.ActionTypeId{Category: cptypes.ActionCategoryDeploy, Owner: cptypes.ActionOwnerAws, Provider: aws.String("ECS"), Version: aws.String("1")},
		Configuration:  map[string]string{"ClusterName": e.cluster, "ServiceName": "hello", "FileName": "imagedefinitions.json", "DeploymentTimeout": "5"},
		InputArtifacts: []cptypes.InputArtifact{{Name: aws.String("BuildArtifact")}}}}})
	if _, err := e.cp.CreatePipeline(ctx, &codepipeline.CreatePipelineInput{Pipeline: &cptypes.PipelineDeclaration{
		Name: aws.String(name), RoleArn: aws.String("arn:aws:iam::000000000000:role/pipeline"),
		ArtifactStore: &cptypes.ArtifactStore{Type: cptypes.ArtifactStoreTypeS3, Location: aws.String("wharf-pipelines")},
		Stages:        stages,
	}}); err != nil {
		e.t.Fatal(err)
	}
}

// waitExecution waits for the pipeline execution started for commit (or
// the newest one when commit is "") to end, and returns it.
func (e *pipelineEnv) waitExecution(name, commit string, d time.Duration) cptypes.PipelineExecutionSummary {
	e.t.Helper()
	ctx := ctxTimeout(e.t, d)
	for {
		out, err := e.cp.ListPipelineExecutions(ctx, &codepipeline.ListPipelineExecutionsInput{PipelineName: aws.String(name)})
		if err == nil {
			for _, s := range out.PipelineExecutionSummaries {
				if !forCommit(s, commit) {
					continue
				}
				switch s.Status {
				case cptypes.PipelineExecutionStatusInProgress, cptypes.PipelineExecutionStatusStopping:
				default:
					return s
				}
				break
			}
		}
		if ctx.Err() != nil {
			e.t.Fatalf("no finished execution of %s for %q within %s: %v\n%s\nserver log:\n%s", name, commit, d, err, e.state(name), tail(e.p.logs.String(), 40))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func forCommit(s cptypes.PipelineExecutionSummary, commit string) bool {
	if commit == "" {
		return true
	}
	for _, r := range s.SourceRevisions {
		if aws.ToString(r.RevisionId) == commit {
			return true
		}
	}
	return strings.Contains(aws.ToString(s.Trigger.TriggerDetail), commit)
}

// state renders GetPipelineState for failure messages.
func (e *pipelineEnv) state(name string) string {
	out, err := e.cp.GetPipelineState(context.Background(), &codepipeline.GetPipelineStateInput{Name: aws.String(name)})
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, st := range out.StageStates {
		fmt.Fprintf(&b, "%s:", aws.ToString(st.StageName))
		for _, a := range st.ActionStates {
			if le := a.LatestExecution; le != nil {
				fmt.Fprintf(&b, " %s=%s %s", aws.ToString(a.ActionName), le.Status, aws.ToString(le.Summary))
				if le.ErrorDetails != nil {
					fmt.Fprintf(&b, " (%s)", aws.ToString(le.ErrorDetails.Message))
				}
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestPipelineEndToEnd: git push → CodeCommit source → CodeBuild (image
// pushed to the registry) → ECS rolling deployment behind the load
// balancer, with the failure modes a user meets.
func TestPipelineEndToEnd(t *testing.T) {
	e := newPipelineEnv(t)
	ctx := ctxTimeout(t, 15*time.Minute)
	e.createPipeline(ctx, "hello")
	// CreatePipeline starts an execution, which fails at Source: nothing
	// is pushed yet.
	if s := e.waitExecution("hello", "", time.Minute); s.Status != cptypes.PipelineExecutionStatusFailed {
		t.Fatalf("first execution on an empty repository: %s", s.Status)
	}

	v1 := e.push("v1")
	if s := e.waitExecution("hello", v1, 4*time.Minute); s.Status != cptypes.PipelineExecutionStatusSucceeded {
		t.Fatalf("v1: %s %s\n%s", s.Status, aws.ToString(s.StatusSummary), e.state("hello"))
	}
	if body := httpGet(t, e.url); body != "v1 from "+v1[:7]+"\n" {
		t.Fatalf("after v1 the load balancer serves %q", body)
	}

	t.Run("v2 rolls out under load with no failed request", func(t *testing.T) {
		tr := startTraffic(e.url, 4)
		defer tr.finish()
		time.Sleep(500 * time.Millisecond)
		v2 := e.push("v2")
		if s := e.waitExecution("hello", v2, 4*time.Minute); s.Status != cptypes.PipelineExecutionStatusSucceeded {
			t.Fatalf("v2: %s %s\n%s", s.Status, aws.ToString(s.StatusSummary), e.state("hello"))
		}
		time.Sleep(500 * time.Millisecond)
		ok, failed, connErrs, errs := tr.phase()
		t.Logf("v2 rollout: %d ok, %d failed, %d connection errors", ok, failed, connErrs)
		if ok == 0 || failed+connErrs > 0 {
			t.Fatalf("%d ok, %d failed, %d connection errors: %v", ok, failed, connErrs, errs)
		}
		if body := httpGet(t, e.url); body != "v2 from "+v2[:7]+"\n" {
			t.Fatalf("after v2 the load balancer serves %q", body)
		}
	})

	t.Run("a failing build fails the Build action and leaves the service", func(t *testing.T) {
		before := aws.ToString(e.service("hello").TaskDefinition)
		writeFile(t, filepath.Join(e.work, "broken.go"), "package main\n\nfunc broken() { undefined() }\n")
		bad := e.push("v3-broken")
		s := e.waitExecution("hello", bad, 4*time.Minute)
		if s.Status != cptypes.PipelineExecutionStatusFailed {
			t.Fatalf("broken build: %s", s.Status)
		}
		acts, err := e.cp.ListActionExecutions(ctx, &codepipeline.ListActionExecutionsInput{PipelineName: aws.String("hello"),
			Filter: &cptypes.ActionExecutionFilter{PipelineExecutionId: s.PipelineExecutionId}})
		if err != nil {
			t.Fatal(err)
		}
		var build *cptypes.ActionExecutionDetail
		for i, a := range acts.ActionExecutionDetails {
			if aws.ToString(a.ActionName) == "Build" {
				build = &acts.ActionExecutionDetails[i]
			}
		}
		if build == nil || build.Status != cptypes.ActionExecutionStatusFailed || build.Output == nil || build.Output.ExecutionResult == nil {
			t.Fatalf("Build action: %+v\n%s", build, e.state("hello"))
		}
		log := e.buildLog(aws.ToString(build.Output.ExecutionResult.ExternalExecutionId))
		if !strings.Contains(log, "Command did not exit successfully go build") || !strings.Contains(log, "undefined: undefined") {
			t.Fatalf("the build log does not show the failing command:\n%s", log)
		}
		if after := aws.ToString(e.service("hello").TaskDefinition); after != before {
			t.Fatalf("the service changed from %s to %s", before, after)
		}
		_ = os.Remove(filepath.Join(e.work, "broken.go"))
	})

	t.Run("an image that crashes fails the Deploy action when the circuit breaker rolls back", func(t *testing.T) {
		before := aws.ToString(e.service("hello").TaskDefinition)
		main, _ := os.ReadFile(filepath.Join(e.work, "main.go"))
		writeFile(t, filepath.Join(e.work, "main.go"), strings.Replace(string(main), "func main() {", "func main() {\n\tpanic(\"crash on start\")", 1))
		crash := e.push("v4-crash")
		start := time.Now()
		s := e.waitExecution("hello", crash, 6*time.Minute)
		took := time.Since(start)
		if s.Status != cptypes.PipelineExecutionStatusFailed || !strings.Contains(aws.ToString(s.StatusSummary), "rolled back") && !strings.Contains(aws.ToString(s.StatusSummary), "failed") {
			t.Fatalf("crashing image: %s %q\n%s", s.Status, aws.ToString(s.StatusSummary), e.state("hello"))
		}
		t.Logf("the Deploy action failed %s after the push: %s", took.Round(time.Second), aws.ToString(s.StatusSummary))
		e.waitService("hello", "back on the previous version", 3*time.Minute, func(s types.Service) bool {
			return isSteady(s) && aws.ToString(s.TaskDefinition) == before
		})
		writeFile(t, filepath.Join(e.work, "main.go"), string(main))
	})

	t.Run("SUPERSEDED: the older of two executions waiting at Deploy is superseded", func(t *testing.T) {
		if _, err := e.cp.DisableStageTransition(ctx, &codepipeline.DisableStageTransitionInput{PipelineName: aws.String("hello"),
			StageName: aws.String("Deploy"), TransitionType: cptypes.StageTransitionTypeInbound, Reason: aws.String("hold for the test")}); err != nil {
			t.Fatal(err)
		}
		first := e.push("v5")
		second := e.push("v6")
		if s := e.waitExecution("hello", first, 4*time.Minute); s.Status != cptypes.PipelineExecutionStatusSuperseded {
			t.Fatalf("older execution: %s, want Superseded\n%s", s.Status, e.state("hello"))
		}
		if _, err := e.cp.EnableStageTransition(ctx, &codepipeline.EnableStageTransitionInput{PipelineName: aws.String("hello"),
			StageName: aws.String("Deploy"), TransitionType: cptypes.StageTransitionTypeInbound}); err != nil {
			t.Fatal(err)
		}
		if s := e.waitExecution("hello", second, 4*time.Minute); s.Status != cptypes.PipelineExecutionStatusSucceeded {
			t.Fatalf("newer execution: %s %s\n%s", s.Status, aws.ToString(s.StatusSummary), e.state("hello"))
		}
		if body := httpGet(t, e.url); body != "v6 from "+second[:7]+"\n" {
			t.Fatalf("the load balancer serves %q", body)
		}
	})

	t.Run("kill -9 of the server during the deployment: the execution resumes", func(t *testing.T) {
		v7 := e.push("v7")
		deadline := time.Now().Add(3 * time.Minute)
		for !strings.Contains(e.state("hello"), "Deploy: Deploy=InProgress") {
			if time.Now().After(deadline) {
				t.Fatalf("never reached Deploy:\n%s", e.state("hello"))
			}
			time.Sleep(100 * time.Millisecond)
		}
		e.p.kill()
		port, _ := strconv.Atoi(strings.TrimPrefix(e.p.url, "http://127.0.0.1:"))
		e.p = startServerOn(t, port, e.dir, "--local-agent-clusters", e.cluster)
		if s := e.waitExecution("hello", v7, 4*time.Minute); s.Status != cptypes.PipelineExecutionStatusSucceeded {
			t.Fatalf("after the restart: %s %s\n%s", s.Status, aws.ToString(s.StatusSummary), e.state("hello"))
		}
		if body := httpGet(t, e.url); body != "v7 from "+v7[:7]+"\n" {
			t.Fatalf("the load balancer serves %q", body)
		}
	})
}

// TestPipelineApprovalAWSCLI: a Source → Approve pipeline driven with the
// AWS CLI: a rejected approval fails the execution, an approved one lets
// it succeed.
func TestPipelineApprovalAWSCLI(t *testing.T) {
	e := newBuildEnv(t)
	ctx := ctxTimeout(t, 5*time.Minute)
	cc := codecommit.NewFromConfig(wharftest.AWSConfig(""), func(o *codecommit.Options) { o.BaseEndpoint = aws.String(e.p.url) })
	if _, err := cc.CreateRepository(ctx, &codecommit.CreateRepositoryInput{RepositoryName: aws.String("gate")}); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	git := func(args ...string) {
		cmd := exec.Command("git", args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	writeFile(t, filepath.Join(work, "README"), "gate\n")
	git("init", "-q", "-b", "main")
	git("add", ".")
	git("commit", "-q", "-m", "first")
	git("push", "-q", e.p.url+"/git/gate", "main")

	decl := `{"pipeline": {"name": "gate", "roleArn": "arn:aws:iam::000000000000:role/p",
	  "artifactStore": {"type": "S3", "location": "wharf-pipelines"},
	  "stages": [
	    {"name": "Source", "actions": [{"name": "Source", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeCommit", "version": "1"},
	      "configuration": {"RepositoryName": "gate", "BranchName": "main", "PollForSourceChanges": "false"}, "outputArtifacts": [{"name": "Src"}]}]},
	    {"name": "Approve", "actions": [{"name": "Gate", "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"},
	      "configuration": {"CustomData": "ship it?"}}]}]}}`
	writeFile(t, filepath.Join(work, "pipeline.json"), decl)
	if out, err := e.awsCLI(t, "codepipeline", "create-pipeline", "--cli-input-json", "file://"+filepath.Join(work, "pipeline.json")); err != nil {
		t.Fatalf("create-pipeline: %v\n%s", err, out)
	}
	// answer waits for the approval of the newest execution and answers it.
	answer := func(status string) string {
		t.Helper()
		for {
			out, err := e.awsCLI(t, "codepipeline", "get-pipeline-state", "--name", "gate")
			if err != nil {
				t.Fatalf("get-pipeline-state: %v\n%s", err, out)
			}
			if i := strings.Index(out, `"token": "`); i >= 0 && strings.Contains(out, `"status": "InProgress"`) {
				token := out[i+len(`"token": "`):]
				token = token[:strings.IndexByte(token, '"')]
				res, err := e.awsCLI(t, "codepipeline", "put-approval-result", "--pipeline-name", "gate", "--stage-name", "Approve",
					"--action-name", "Gate", "--token", token, "--result", "summary=by the test,status="+status)
				if err != nil || !strings.Contains(res, "approvedAt") {
					t.Fatalf("put-approval-result: %v\n%s", err, res)
				}
				return token
			}
			if ctx.Err() != nil {
				t.Fatalf("no approval to answer:\n%s", out)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	newest := func() string {
		out, err := e.awsCLI(t, "codepipeline", "list-pipeline-executions", "--pipeline-name", "gate", "--max-items", "1")
		if err != nil {
			t.Fatalf("list-pipeline-executions: %v\n%s", err, out)
		}
		return out
	}
	waitFor := func(status string) {
		t.Helper()
		for !strings.Contains(newest(), `"status": "`+status+`"`) {
			if ctx.Err() != nil {
				t.Fatalf("execution never %s:\n%s", status, newest())
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	// CreatePipeline started the first execution.
	answer("Rejected")
	waitFor("Failed")
	// The Debian AWS CLI predates statusSummary; the SDK reads it.
	cp := codepipeline.NewFromConfig(wharftest.AWSConfig(""), func(o *codepipeline.Options) { o.BaseEndpoint = aws.String(e.p.url) })
	hist, err := cp.ListPipelineExecutions(ctx, &codepipeline.ListPipelineExecutionsInput{PipelineName: aws.String("gate")})
	if err != nil || len(hist.PipelineExecutionSummaries) != 1 || !strings.Contains(aws.ToString(hist.PipelineExecutionSummaries[0].StatusSummary), "Rejected") {
		t.Fatalf("rejected execution: %v %+v", err, hist)
	}
	if out, err := e.awsCLI(t, "codepipeline", "start-pipeline-execution", "--name", "gate"); err != nil || !strings.Contains(out, "pipelineExecutionId") {
		t.Fatalf("start-pipeline-execution: %v\n%s", err, out)
	}
	answer("Approved")
	waitFor("Succeeded")
}
