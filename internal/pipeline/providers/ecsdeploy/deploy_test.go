package ecsdeploy_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	ecsapi "github.com/wharfhq/wharf/internal/api/ecs"
	"github.com/wharfhq/wharf/internal/artifacts"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/pipeline"
	"github.com/wharfhq/wharf/internal/pipeline/providers/ecsdeploy"
	"github.com/wharfhq/wharf/internal/state"
	"github.com/wharfhq/wharf/internal/testutil/apitest"
)

var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// env is wharf's ECS API over a state on embedded etcd, served by an
// httptest server, with a real SDK client, an artifact store and the
// provider. No service controller runs: tests play its part by writing
// the deployments' rollout state.
type env struct {
	c         *ecs.Client
	st        *state.State
	artifacts *artifacts.Store
	p         *ecsdeploy.Provider
	clock     *apitest.Clock
}

// client returns an SDK client for url that retries only transient
// errors, at most attempts times.
func client(url string, attempts int) *ecs.Client {
	return ecs.NewFromConfig(apitest.AWSConfig(""), func(o *ecs.Options) {
		o.BaseEndpoint = aws.String(url)
		o.RetryMaxAttempts = attempts
	})
}

func setup(t *testing.T) *env {
	t.Helper()
	a := apitest.Start(t, apitest.Config{}, func(a *apitest.Env) {
		a.Gateway.AddJSONService(ecsapi.New(a.State, a.Logger).Service())
	})
	ctx := t.Context()
	arts, err := artifacts.Open(filepath.Join(t.TempDir(), "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{c: client(a.URL, 3), st: a.State, artifacts: arts, clock: apitest.NewClock(t0)}
	e.p = ecsdeploy.New(e.c, arts)
	e.p.Now = e.clock.Now

	must(t, "CreateCluster")(e.c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("prod")}))
	must(t, "RegisterTaskDefinition")(e.c.RegisterTaskDefinition(ctx, webTaskDef()))
	must(t, "CreateService")(e.c.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String("prod"), ServiceName: aws.String("api"), TaskDefinition: aws.String("web"), DesiredCount: aws.Int32(2)}))
	return e
}

// webTaskDef is a definition with two containers and most of the
// registrable fields set, to check that a new revision keeps them.
func webTaskDef() *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String("web"),
		Cpu:                     aws.String("512"),
		Memory:                  aws.String("1024"),
		NetworkMode:             types.NetworkModeBridge,
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityEc2},
		ExecutionRoleArn:        aws.String("arn:aws:iam::000000000000:role/exec"),
		TaskRoleArn:             aws.String("arn:aws:iam::000000000000:role/task"),
		PlacementConstraints: []types.TaskDefinitionPlacementConstraint{{
			Type: types.TaskDefinitionPlacementConstraintTypeMemberOf, Expression: aws.String("attribute:stage == prod")}},
		Volumes: []types.Volume{{Name: aws.String("data"), Host: &types.HostVolumeProperties{SourcePath: aws.String("/srv/data")}}},
		ContainerDefinitions: []types.ContainerDefinition{
			{
				Name: aws.String("web"), Image: aws.String("registry.local/shop/web:1"), Essential: aws.Bool(true),
				Cpu: 256, Memory: aws.Int32(512),
				PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080), HostPort: aws.Int32(0), Protocol: types.TransportProtocolTcp}},
				Environment:  []types.KeyValuePair{{Name: aws.String("MODE"), Value: aws.String("prod")}},
				MountPoints:  []types.MountPoint{{SourceVolume: aws.String("data"), ContainerPath: aws.String("/data")}},
				Command:      []string{"serve", "--port", "8080"},
			},
			{
				Name: aws.String("proxy"), Image: aws.String("envoyproxy/envoy:v1.30"), Essential: aws.Bool(false),
				Cpu: 128, MemoryReservation: aws.Int32(128),
			},
		},
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("shop")}},
	}
}

func must(t *testing.T, what string) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
}

// putZip stores a zip of files under key.
func (e *env) putZip(t *testing.T, key string, files map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, content); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.artifacts.Put(key, &buf); err != nil {
		t.Fatal(err)
	}
}

const inputKey = "wharf-pipelines/shop/exec-1/BuildOutput.zip"

func deployJob(config map[string]string) pipeline.Job {
	c := map[string]string{"ClusterName": "prod", "ServiceName": "api"}
	for k, v := range config {
		c[k] = v
	}
	return pipeline.Job{
		Exec:   &model.PipelineExecution{ID: "exec-1", Pipeline: "shop"},
		Stage:  "Deploy",
		Action: model.PipelineAction{Name: "Deploy", Category: "Deploy", Owner: "AWS", Provider: "ECS", InputArtifacts: []string{"BuildOutput"}},
		Config: c,
		Inputs: []model.ArtifactRef{{Name: "BuildOutput", Key: inputKey}},
		Run:    model.ActionExecution{Name: "Deploy", ID: "run-1", Status: model.ActionInProgress, Start: t0},
	}
}

func (e *env) describeService(t *testing.T) types.Service {
	t.Helper()
	out, err := e.c.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"api"}})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("DescribeServices: %v %+v", err, out)
	}
	return out.Services[0]
}

func (e *env) describeTaskDef(t *testing.T, ref string) *ecs.DescribeTaskDefinitionOutput {
	t.Helper()
	out, err := e.c.DescribeTaskDefinition(context.Background(), &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: aws.String(ref), Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags}})
	if err != nil {
		t.Fatalf("DescribeTaskDefinition %s: %v", ref, err)
	}
	return out
}

// rollout plays the service controller: it sets a deployment's rollout
// state.
func (e *env) rollout(t *testing.T, id, rolloutState, reason string) {
	t.Helper()
	_, err := e.st.UpdateServiceState(context.Background(), "prod", "api", func(s *model.ServiceState) error {
		if s.Deployments == nil {
			s.Deployments = map[string]model.DeploymentState{}
		}
		ds := s.Deployments[id]
		ds.RolloutState, ds.RolloutStateReason, ds.DesiredCount = rolloutState, reason, 2
		s.Deployments[id] = ds
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// rollback plays the circuit breaker: a new deployment of the service's
// first task definition that rolls back deployment id.
func (e *env) rollback(t *testing.T, id string) string {
	t.Helper()
	first := e.st.Deployments("prod", "api")[0]
	rb, err := e.st.AddDeployment(context.Background(), "prod", "api", model.Deployment{ID: model.NewDeploymentID(), ServiceName: "api",
		TaskDefinitionARN: first.TaskDefinitionARN, CreatedAt: t0, RollbackOf: id})
	if err != nil {
		t.Fatal(err)
	}
	return rb.ID
}

func wantProgress(t *testing.T, what string, prog pipeline.Progress, err error, status, code, message string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if prog.Status != status || prog.Done != (status != model.ActionInProgress) || prog.ErrorCode != code || !strings.Contains(prog.ErrorMessage+prog.Summary, message) {
		t.Fatalf("%s: progress = %+v, want %s %s mentioning %q", what, prog, status, code, message)
	}
}

// start runs Start with a valid input artifact and returns the deployment.
func (e *env) start(t *testing.T, job pipeline.Job) pipeline.Job {
	t.Helper()
	e.putZip(t, inputKey, map[string]string{"imagedefinitions.json": `[{"name":"web","imageUri":"registry.local/shop/web:2"}]`})
	prog, err := e.p.Start(context.Background(), job)
	wantProgress(t, "Start", prog, err, model.ActionInProgress, "", "Deploying task definition web:2 to service api in cluster prod")
	job.Run.ExternalID = prog.ExternalID
	return job
}

func TestStartRegistersARevisionAndUpdatesTheService(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.putZip(t, inputKey, map[string]string{
		"imagedefinitions.json":       `[{"name":"web","imageUri":"registry.local/shop/web:2"}]`,
		"other/imagedefinitions.json": `[{"name":"proxy","imageUri":"wrong"}]`,
	})
	job := deployJob(nil)
	prog, err := e.p.Start(ctx, job)
	wantProgress(t, "Start", prog, err, model.ActionInProgress, "", "Deploying task definition web:2 to service api in cluster prod")

	// The service runs the new revision in a new PRIMARY deployment,
	// which is the action's external id.
	svc := e.describeService(t)
	if !strings.HasSuffix(aws.ToString(svc.TaskDefinition), ":task-definition/web:2") || len(svc.Deployments) != 2 ||
		aws.ToString(svc.Deployments[0].Status) != "PRIMARY" || aws.ToString(svc.Deployments[0].Id) != prog.ExternalID {
		t.Fatalf("service after Start: task definition %s, deployments %+v, external id %s", aws.ToString(svc.TaskDefinition), svc.Deployments, prog.ExternalID)
	}

	// web:2 is web:1 with only the web container's image replaced.
	old, next := e.describeTaskDef(t, "web:1"), e.describeTaskDef(t, "web:2")
	if got := aws.ToString(next.TaskDefinition.ContainerDefinitions[0].Image); got != "registry.local/shop/web:2" {
		t.Fatalf("web image = %s", got)
	}
	if got := aws.ToString(next.TaskDefinition.ContainerDefinitions[1].Image); got != "envoyproxy/envoy:v1.30" {
		t.Fatalf("proxy image = %s, want it unchanged", got)
	}
	want, got := *old.TaskDefinition, *next.TaskDefinition
	want.ContainerDefinitions = append([]types.ContainerDefinition(nil), want.ContainerDefinitions...)
	want.ContainerDefinitions[0].Image = aws.String("registry.local/shop/web:2")
	want.TaskDefinitionArn, want.Revision, want.RegisteredAt = got.TaskDefinitionArn, got.Revision, got.RegisteredAt
	if a, b := jsonOf(t, want), jsonOf(t, got); a != b {
		t.Fatalf("new revision differs beyond the image:\nwant %s\ngot  %s", a, b)
	}
	tags := map[string]string{}
	for _, tag := range next.Tags {
		tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	if len(tags) != 2 || tags["team"] != "shop" || tags[ecsdeploy.MarkerTag] != "run-1" {
		t.Fatalf("tags of web:2 = %v", tags)
	}

	// Start again: with the deployment recorded, or (after a crash) not,
	// the action neither registers nor deploys again.
	job.Run.ExternalID = prog.ExternalID
	again, err := e.p.Start(ctx, job)
	wantProgress(t, "Start with ExternalID", again, err, model.ActionInProgress, "", "")
	job.Run.ExternalID = ""
	adopted, err := e.p.Start(ctx, job)
	wantProgress(t, "Start after a crash", adopted, err, model.ActionInProgress, "", "Deploying task definition web:2")
	if again.ExternalID != prog.ExternalID || adopted.ExternalID != prog.ExternalID {
		t.Fatalf("repeated Start ids %s, %s, want %s", again.ExternalID, adopted.ExternalID, prog.ExternalID)
	}
	if latest := e.describeTaskDef(t, "web"); aws.ToInt32(&latest.TaskDefinition.Revision) != 2 || len(e.describeService(t).Deployments) != 2 {
		t.Fatalf("a repeated Start deployed again: latest web:%d", latest.TaskDefinition.Revision)
	}

	// Another run deploys again, from web:2, and carries its own marker.
	job.Run.ID = "run-2"
	e.putZip(t, inputKey, map[string]string{"imagedefinitions.json": `[{"name":"proxy","imageUri":"envoyproxy/envoy:v1.31"}]`})
	third, err := e.p.Start(ctx, job)
	wantProgress(t, "second run", third, err, model.ActionInProgress, "", "Deploying task definition web:3")
	td3 := e.describeTaskDef(t, "web:3")
	if aws.ToString(td3.TaskDefinition.ContainerDefinitions[0].Image) != "registry.local/shop/web:2" ||
		aws.ToString(td3.TaskDefinition.ContainerDefinitions[1].Image) != "envoyproxy/envoy:v1.31" || len(td3.Tags) != 2 {
		t.Fatalf("web:3 = %+v tags %+v", td3.TaskDefinition.ContainerDefinitions, td3.Tags)
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPollOutcomes(t *testing.T) {
	const breaker = "ECS deployment circuit breaker: task failed to start."
	for _, tc := range []struct {
		name     string
		play     func(t *testing.T, e *env, id string)
		status   string
		code     string
		message  string
		deadline bool // the clock is past the deployment timeout
	}{
		{name: "in progress", play: func(*testing.T, *env, string) {},
			status: model.ActionInProgress, message: "in progress: 0 of 2 tasks of web:2 running"},
		{name: "completed", play: func(t *testing.T, e *env, id string) {
			e.rollout(t, id, "COMPLETED", "ECS deployment "+id+" completed.")
		},
			status: model.ActionSucceeded, message: "completed: 0 tasks of web:2 running"},
		{name: "completed after the deadline still succeeds", deadline: true,
			play:   func(t *testing.T, e *env, id string) { e.rollout(t, id, "COMPLETED", "") },
			status: model.ActionSucceeded, message: "completed"},
		{name: "failed without rollback", play: func(t *testing.T, e *env, id string) { e.rollout(t, id, "FAILED", breaker) },
			status: model.ActionFailed, code: pipeline.ErrJobFailed, message: "failed: " + breaker},
		{name: "rolled back", play: func(t *testing.T, e *env, id string) {
			to := e.st.Deployments("prod", "api")[0].ID
			e.rollback(t, id)
			e.rollout(t, id, "FAILED", "ECS deployment circuit breaker: rolling back to deploymentId "+to+".")
		}, status: model.ActionFailed, code: pipeline.ErrJobFailed, message: "the deployment was rolled back: ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/"},
		{name: "rollback started, failure not yet recorded", play: func(t *testing.T, e *env, id string) { e.rollback(t, id) },
			status: model.ActionFailed, code: pipeline.ErrJobFailed, message: "the deployment was rolled back: deployment " + "ecs-svc/"},
		{name: "rolled back and drained", play: func(t *testing.T, e *env, id string) {
			e.rollback(t, id)
			_, err := e.st.UpdateServiceState(context.Background(), "prod", "api", func(s *model.ServiceState) error {
				s.Deployments[id] = model.DeploymentState{RolloutState: "FAILED", Inactive: true}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}, status: model.ActionFailed, code: pipeline.ErrJobFailed, message: "replaced by deployment ecs-svc/"},
		{name: "superseded by another update", play: func(t *testing.T, e *env, id string) {
			must(t, "UpdateService")(e.c.UpdateService(context.Background(), &ecs.UpdateServiceInput{
				Cluster: aws.String("prod"), Service: aws.String("api"), TaskDefinition: aws.String("web:1")}))
		}, status: model.ActionFailed, code: pipeline.ErrJobFailed, message: "of web:1 before it completed"},
		{name: "timed out", deadline: true, play: func(*testing.T, *env, string) {},
			status: model.ActionFailed, code: pipeline.ErrTimeout, message: "did not complete within 60 minutes: 0 of 2 tasks of web:2 running"},
		{name: "service deleted", play: func(t *testing.T, e *env, id string) {
			must(t, "DeleteService")(e.c.DeleteService(context.Background(), &ecs.DeleteServiceInput{
				Cluster: aws.String("prod"), Service: aws.String("api"), Force: aws.Bool(true)}))
		}, status: model.ActionFailed, code: pipeline.ErrJobFailed, message: "service api in cluster prod is DRAINING"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			job := e.start(t, deployJob(nil))
			tc.play(t, e, job.Run.ExternalID)
			if tc.deadline {
				e.clock.Set(t0.Add(time.Hour))
			}
			prog, err := e.p.Poll(context.Background(), job)
			wantProgress(t, "Poll", prog, err, tc.status, tc.code, tc.message)
		})
	}
}

func TestPollTimeoutFollowsDeploymentTimeout(t *testing.T) {
	e := setup(t)
	job := e.start(t, deployJob(map[string]string{"DeploymentTimeout": "5"}))
	e.clock.Set(t0.Add(5*time.Minute - time.Second))
	prog, err := e.p.Poll(context.Background(), job)
	wantProgress(t, "Poll before the timeout", prog, err, model.ActionInProgress, "", "in progress")
	e.clock.Set(t0.Add(5 * time.Minute))
	prog, err = e.p.Poll(context.Background(), job)
	wantProgress(t, "Poll at the timeout", prog, err, model.ActionFailed, pipeline.ErrTimeout, "did not complete within 5 minutes")
}

func TestStartFailures(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	defs := func(s string) map[string]string { return map[string]string{"imagedefinitions.json": s} }
	valid := defs(`[{"name":"web","imageUri":"registry.local/shop/web:2"}]`)
	for _, tc := range []struct {
		name    string
		files   map[string]string // nil: store no input artifact
		raw     string            // stored as is instead of a zip
		config  map[string]string
		code    string
		message string
	}{
		{name: "invalid JSON", files: defs(`[{"name":"web","imageUri":`), code: pipeline.ErrJobFailed, message: "Invalid JSON in image definitions file imagedefinitions.json"},
		{name: "an object, not an array", files: defs(`{"name":"web","imageUri":"x"}`), code: pipeline.ErrJobFailed, message: "found a JSON object instead of an array"},
		{name: "unknown container", files: defs(`[{"name":"worker","imageUri":"x:1"}]`), code: pipeline.ErrJobFailed,
			message: "container worker in imagedefinitions.json is not in the task definition web:1 (its containers: web, proxy)"},
		{name: "no imageUri", files: defs(`[{"name":"web"}]`), code: pipeline.ErrJobFailed, message: "entry 1 (web) has no imageUri"},
		{name: "empty array", files: defs(`[]`), code: pipeline.ErrJobFailed, message: "lists no containers"},
		{name: "container twice", files: defs(`[{"name":"web","imageUri":"a"},{"name":"web","imageUri":"b"}]`), code: pipeline.ErrJobFailed, message: "names container web more than once"},
		{name: "not UTF-8", files: defs("[{\"name\":\"web\",\"imageUri\":\"\xff\"}]"), code: pipeline.ErrJobFailed, message: "not valid UTF-8"},
		{name: "too large", files: defs(`[{"name":"web","imageUri":"` + strings.Repeat("a", 100*1024) + `"}]`), code: pipeline.ErrJobFailed, message: "the limit is 100 KB"},
		{name: "missing file", files: map[string]string{"imageDetail.json": "{}"}, code: pipeline.ErrJobFailed,
			message: "Did not find the image definition file imagedefinitions.json in the input artifacts ZIP file"},
		{name: "other file name", files: valid, config: map[string]string{"FileName": "images.json"}, code: pipeline.ErrJobFailed,
			message: "Did not find the image definition file images.json"},
		{name: "missing artifact", code: pipeline.ErrJobFailed, message: "Exception while trying to read the image artifact file from the artifact bucket"},
		{name: "not a zip", raw: "hello", code: pipeline.ErrJobFailed, message: "is not a zip file"},
		{name: "missing service", files: valid, config: map[string]string{"ServiceName": "ghost"}, code: pipeline.ErrJobFailed, message: "service ghost not found in cluster prod"},
		{name: "missing cluster", files: valid, config: map[string]string{"ClusterName": "nope"}, code: pipeline.ErrJobFailed, message: "DescribeServices: ClusterNotFoundException"},
		{name: "no cluster name", files: valid, config: map[string]string{"ClusterName": ""}, code: pipeline.ErrConfigurationError, message: "no ClusterName"},
		{name: "timeout too long", files: valid, config: map[string]string{"DeploymentTimeout": "61"}, code: pipeline.ErrConfigurationError, message: "from 1 to 60"},
		{name: "timeout not a number", files: valid, config: map[string]string{"DeploymentTimeout": "1h"}, code: pipeline.ErrConfigurationError, message: `DeploymentTimeout "1h"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_ = e.artifacts.Delete(inputKey)
			switch {
			case tc.raw != "":
				if _, err := e.artifacts.Put(inputKey, strings.NewReader(tc.raw)); err != nil {
					t.Fatal(err)
				}
			case tc.files != nil:
				e.putZip(t, inputKey, tc.files)
			}
			prog, err := e.p.Start(ctx, deployJob(tc.config))
			wantProgress(t, "Start", prog, err, model.ActionFailed, tc.code, tc.message)
			if latest := e.describeTaskDef(t, "web"); latest.TaskDefinition.Revision != 1 {
				t.Fatalf("a failed Start registered web:%d", latest.TaskDefinition.Revision)
			}
		})
	}

	t.Run("two input artifacts", func(t *testing.T) {
		job := deployJob(nil)
		job.Inputs = append(job.Inputs, model.ArtifactRef{Name: "More", Key: "x.zip"})
		prog, err := e.p.Start(ctx, job)
		wantProgress(t, "Start", prog, err, model.ActionFailed, pipeline.ErrConfigurationError, "exactly one input artifact")
	})
	t.Run("FileName in a directory and a custom name", func(t *testing.T) {
		e.putZip(t, inputKey, map[string]string{"deploy/images.json": `[{"name":"proxy","imageUri":"envoyproxy/envoy:v2"}]`})
		prog, err := e.p.Start(ctx, deployJob(map[string]string{"FileName": "deploy/images.json"}))
		wantProgress(t, "Start", prog, err, model.ActionInProgress, "", "Deploying task definition web:2")
	})
}

func TestUnreachableECSIsRetriedUntilTheTimeout(t *testing.T) {
	e := setup(t)
	e.putZip(t, inputKey, map[string]string{"imagedefinitions.json": `[{"name":"web","imageUri":"x:2"}]`})
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	p := ecsdeploy.New(client(url, 1), e.artifacts)
	p.Now = e.clock.Now

	job := deployJob(nil)
	if prog, err := p.Start(context.Background(), job); err == nil {
		t.Fatalf("Start against an unreachable ECS = %+v, want an error to retry", prog)
	}
	job.Run.ExternalID = "ecs-svc/1234567890123456789"
	if prog, err := p.Poll(context.Background(), job); err == nil {
		t.Fatalf("Poll against an unreachable ECS = %+v, want an error to retry", prog)
	}
	e.clock.Set(t0.Add(time.Hour))
	prog, err := p.Poll(context.Background(), job)
	wantProgress(t, "Poll past the timeout", prog, err, model.ActionFailed, pipeline.ErrTimeout, "DescribeServices still failing after 60 minutes")
}
