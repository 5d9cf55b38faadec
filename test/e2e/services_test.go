package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/moby/moby/client"

	"github.com/wharfhq/wharf/internal/runtime"
	"github.com/wharfhq/wharf/internal/testutil/dockertest"
	"github.com/wharfhq/wharf/internal/testutil/wharftest"
)

// healthChecked is a test-app container with a container health check.
func (e *dockerEnv) healthChecked(family, version string, extra map[string]string) *ecs.RegisterTaskDefinitionInput {
	env := map[string]string{"LISTEN": ":8080", "VERSION": version}
	for k, v := range extra {
		env[k] = v
	}
	return e.app(family, env, func(c *types.ContainerDefinition) {
		c.HealthCheck = &types.HealthCheck{Command: []string{"CMD", "/testapp", "healthcheck", "http://127.0.0.1:8080/health"},
			Interval: aws.Int32(5), Timeout: aws.Int32(2), Retries: aws.Int32(2), StartPeriod: aws.Int32(0)}
		c.StopTimeout = aws.Int32(2)
	})
}

func (e *dockerEnv) createService(in *ecs.CreateServiceInput) {
	e.t.Helper()
	in.Cluster = aws.String(e.cluster)
	if _, err := e.ecs.CreateService(context.Background(), in); err != nil {
		e.t.Fatal(err)
	}
}

func (e *dockerEnv) service(name string) types.Service {
	e.t.Helper()
	out, err := e.ecs.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String(e.cluster), Services: []string{name}})
	if err != nil || len(out.Services) != 1 {
		e.t.Fatalf("describe service %s: %v %+v", name, err, out)
	}
	return out.Services[0]
}

func (e *dockerEnv) waitService(name, what string, d time.Duration, cond func(types.Service) bool) types.Service {
	e.t.Helper()
	deadline := time.Now().Add(d)
	for {
		s := e.service(name)
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			var msgs []string
			for _, ev := range s.Events {
				msgs = append(msgs, aws.ToString(ev.Message))
			}
			e.t.Fatalf("service %s not %s within %s: running %d pending %d desired %d deployments %+v\nevents:\n%s\nserver log:\n%s",
				name, what, d, s.RunningCount, s.PendingCount, s.DesiredCount, s.Deployments, strings.Join(msgs, "\n"), tail(e.p.logs.String(), 30))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func isSteady(s types.Service) bool {
	return len(s.Deployments) == 1 && s.RunningCount == s.DesiredCount && s.PendingCount == 0 &&
		s.Deployments[0].RolloutState == types.DeploymentRolloutStateCompleted
}

// serviceTasks describes the service's tasks that are not STOPPED.
func (e *dockerEnv) serviceTasks(name string) []types.Task {
	e.t.Helper()
	ctx := context.Background()
	var arns []string
	for _, ds := range []types.DesiredStatus{types.DesiredStatusRunning, types.DesiredStatusStopped} {
		out, err := e.ecs.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(e.cluster), ServiceName: aws.String(name), DesiredStatus: ds})
		if err != nil {
			e.t.Fatal(err)
		}
		arns = append(arns, out.TaskArns...)
	}
	var out []types.Task
	for i := 0; i < len(arns); i += 100 {
		d, err := e.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(e.cluster), Tasks: arns[i:min(i+100, len(arns))]})
		if err != nil {
			e.t.Fatal(err)
		}
		for _, t := range d.Tasks {
			if aws.ToString(t.LastStatus) != "STOPPED" {
				out = append(out, t)
			}
		}
	}
	return out
}

// sampler polls a service's tasks until stopped and records every sample
// that breaks the live (≤ maxLive) or healthy (≥ minHealthy) bound.
type sampler struct {
	mu         sync.Mutex
	samples    int
	violations []string
	errs       []error
	stop, done chan struct{}
}

func (e *dockerEnv) sample(service string, maxLive, minHealthy int) *sampler {
	sm := &sampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(sm.done)
		for {
			select {
			case <-sm.stop:
				return
			default:
			}
			live, healthy, err := e.countTasks(service)
			sm.mu.Lock()
			switch {
			case err != nil:
				sm.errs = append(sm.errs, err)
			default:
				sm.samples++
				if live > maxLive {
					sm.violations = append(sm.violations, fmt.Sprintf("%d live tasks > bound %d", live, maxLive))
				}
				if healthy < minHealthy {
					sm.violations = append(sm.violations, fmt.Sprintf("%d healthy tasks < bound %d", healthy, minHealthy))
				}
			}
			sm.mu.Unlock()
			time.Sleep(100 * time.Millisecond)
		}
	}()
	return sm
}

// finish stops the sampler and fails the test on violations.
func (sm *sampler) finish(t *testing.T) {
	t.Helper()
	close(sm.stop)
	<-sm.done
	if len(sm.violations) > 0 {
		t.Fatalf("%d of %d samples broke the deployment bounds, e.g. %v", len(sm.violations), sm.samples, sm.violations[:min(5, len(sm.violations))])
	}
	if sm.samples < 20 {
		t.Fatalf("only %d samples taken (errors: %v)", sm.samples, sm.errs)
	}
	if len(sm.errs) > sm.samples/10 {
		t.Fatalf("%d sampling errors, e.g. %v", len(sm.errs), sm.errs[0])
	}
}

// countTasks counts a service's live tasks (not STOPPED, stopping ones
// included) and its healthy ones (RUNNING, HEALTHY, not asked to stop).
func (e *dockerEnv) countTasks(service string) (live, healthy int, err error) {
	ctx := context.Background()
	var arns []string
	seen := map[string]bool{}
	for _, ds := range []types.DesiredStatus{types.DesiredStatusRunning, types.DesiredStatusStopped} {
		out, err := e.ecs.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(e.cluster), ServiceName: aws.String(service), DesiredStatus: ds})
		if err != nil {
			return 0, 0, err
		}
		// A task told to stop between the two lists is in both: count it once.
		for _, a := range out.TaskArns {
			if !seen[a] {
				seen[a] = true
				arns = append(arns, a)
			}
		}
	}
	for i := 0; i < len(arns); i += 100 {
		d, err := e.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(e.cluster), Tasks: arns[i:min(i+100, len(arns))]})
		if err != nil {
			return 0, 0, err
		}
		for _, tk := range d.Tasks {
			if aws.ToString(tk.LastStatus) == "STOPPED" {
				continue
			}
			live++
			if aws.ToString(tk.LastStatus) == "RUNNING" && tk.HealthStatus == types.HealthStatusHealthy && aws.ToString(tk.DesiredStatus) == "RUNNING" {
				healthy++
			}
		}
	}
	return live, healthy, nil
}

// TestServiceSelfHeals: desired 3 reaches steady state; a container killed
// behind wharf's back is replaced and the count returns to 3.
func TestServiceSelfHeals(t *testing.T) {
	e := newDockerEnv(t)
	e.register(e.healthChecked("heal", "v1", nil))
	e.createService(&ecs.CreateServiceInput{ServiceName: aws.String("heal"), TaskDefinition: aws.String("heal"), DesiredCount: aws.Int32(3)})
	s := e.waitService("heal", "steady", 90*time.Second, isSteady)
	if s.RunningCount != 3 {
		t.Fatalf("running = %d", s.RunningCount)
	}
	victim := e.serviceTasks("heal")[0]
	dc := dockertest.RequireDocker(t)
	if _, err := dc.ContainerKill(context.Background(), aws.ToString(victim.Containers[0].RuntimeId), client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		t.Fatal(err)
	}
	e.waitStatus(aws.ToString(victim.TaskArn), "STOPPED")
	e.waitService("heal", "back to 3 running", 90*time.Second, func(s types.Service) bool {
		if !isSteady(s) {
			return false
		}
		for _, tk := range e.serviceTasks("heal") {
			if aws.ToString(tk.TaskArn) == aws.ToString(victim.TaskArn) {
				return false
			}
		}
		return true
	})
}

// TestRollingUpdateRespectsMinAndMax: with 50/150 and desired 4, a sampler
// polling throughout the rollout never sees more than 6 live tasks nor
// fewer than 2 healthy ones, and every request to the old and new tasks
// during the rollout is answered.
func TestRollingUpdateRespectsMinAndMax(t *testing.T) {
	e := newDockerEnv(t)
	e.register(e.healthChecked("roll", "v1", nil))
	e.createService(&ecs.CreateServiceInput{ServiceName: aws.String("roll"), TaskDefinition: aws.String("roll"), DesiredCount: aws.Int32(4),
		DeploymentConfiguration: &types.DeploymentConfiguration{MinimumHealthyPercent: aws.Int32(50), MaximumPercent: aws.Int32(150)}})
	e.waitService("roll", "steady", 90*time.Second, isSteady)

	sm := e.sample("roll", 6, 2)
	e.register(e.healthChecked("roll", "v2", nil))
	if _, err := e.ecs.UpdateService(context.Background(), &ecs.UpdateServiceInput{Cluster: aws.String(e.cluster), Service: aws.String("roll"), TaskDefinition: aws.String("roll:2")}); err != nil {
		t.Fatal(err)
	}
	s := e.waitService("roll", "rolled out", 3*time.Minute, func(s types.Service) bool {
		return isSteady(s) && strings.HasSuffix(aws.ToString(s.TaskDefinition), "roll:2")
	})
	sm.finish(t)
	var sawCompleted bool
	for _, ev := range s.Events {
		if strings.Contains(aws.ToString(ev.Message), "deployment completed.") {
			sawCompleted = true
		}
	}
	if !sawCompleted {
		t.Fatalf("no 'deployment completed' event")
	}
}

// TestCircuitBreakerOnDocker: an update to a container that exits at once
// trips the circuit breaker, the deployment FAILS and the service rolls
// back; the old tasks serve throughout: healthy tasks never drop below the
// minimum (100 % of 2) until the rollback's tasks have taken over.
func TestCircuitBreakerOnDocker(t *testing.T) {
	e := newDockerEnv(t)
	e.register(e.healthChecked("cb", "good", nil))
	e.createService(&ecs.CreateServiceInput{ServiceName: aws.String("cb"), TaskDefinition: aws.String("cb"), DesiredCount: aws.Int32(2),
		DeploymentConfiguration: &types.DeploymentConfiguration{DeploymentCircuitBreaker: &types.DeploymentCircuitBreaker{Enable: true, Rollback: true}}})
	e.waitService("cb", "steady", 90*time.Second, isSteady)
	sm := e.sample("cb", 4, 2)
	e.register(e.healthChecked("cb", "bad", map[string]string{"EXIT_AFTER": "0s", "EXIT_CODE": "1"}))
	if _, err := e.ecs.UpdateService(context.Background(), &ecs.UpdateServiceInput{Cluster: aws.String(e.cluster), Service: aws.String("cb"), TaskDefinition: aws.String("cb:2")}); err != nil {
		t.Fatal(err)
	}
	s := e.waitService("cb", "rolled back", 4*time.Minute, func(s types.Service) bool {
		return isSteady(s) && strings.HasSuffix(aws.ToString(s.TaskDefinition), "cb:1")
	})
	sm.finish(t)
	sd, err := e.ecs.ListServiceDeployments(context.Background(), &ecs.ListServiceDeploymentsInput{Cluster: aws.String(e.cluster), Service: aws.String("cb")})
	if err != nil || len(sd.ServiceDeployments) != 3 || sd.ServiceDeployments[1].Status != types.ServiceDeploymentStatusRollbackSuccessful {
		t.Fatalf("service deployments: %+v %v; events %+v", sd, err, s.Events)
	}
}

// TestDaemonServiceOnTwoAgents: a DAEMON service runs one task per agent.
func TestDaemonServiceOnTwoAgents(t *testing.T) {
	image := dockertest.BuildTestApp(t)
	serverDir, agentA, agentB := t.TempDir(), t.TempDir(), t.TempDir()
	dockertest.CleanupLabel(t, runtime.LabelDataDir, agentA)
	dockertest.CleanupLabel(t, runtime.LabelDataDir, agentB)
	srv := startServer(t, serverDir, "--local-agent=false", "--agent-token", "daemon-token")
	env := &dockerEnv{t: t, p: srv, ecs: wharftest.ECS(srv.url), cluster: "daemons", image: image, dir: serverDir}
	if _, err := env.ecs.CreateCluster(context.Background(), &ecs.CreateClusterInput{ClusterName: aws.String("daemons")}); err != nil {
		t.Fatal(err)
	}
	startAgent(t, srv.url, "daemon-token", "daemons", agentA)
	startAgent(t, srv.url, "daemon-token", "daemons", agentB)
	env.waitInstances(ctxTimeout(t, time.Minute), 2)
	td := env.app("logshipper", map[string]string{"LISTEN": ":8080"}, func(c *types.ContainerDefinition) { c.PortMappings = nil })
	env.register(td)
	env.createService(&ecs.CreateServiceInput{ServiceName: aws.String("ship"), TaskDefinition: aws.String("logshipper"), SchedulingStrategy: types.SchedulingStrategyDaemon})
	env.waitService("ship", "one task per instance", 90*time.Second, func(s types.Service) bool {
		if s.RunningCount != 2 || s.DesiredCount != 2 {
			return false
		}
		per := map[string]int{}
		for _, tk := range env.serviceTasks("ship") {
			per[aws.ToString(tk.ContainerInstanceArn)]++
		}
		return len(per) == 2
	})
}

// TestAWSCLIWaitServicesStable: `aws ecs wait services-stable` returns
// once the service is stable.
func TestAWSCLIWaitServicesStable(t *testing.T) {
	aws2 := awsCLI(t)
	e := newDockerEnv(t)
	e.register(e.app("stable", map[string]string{"LISTEN": ":8080"}))
	e.createService(&ecs.CreateServiceInput{ServiceName: aws.String("stable"), TaskDefinition: aws.String("stable"), DesiredCount: aws.Int32(2)})
	cmd := exec.Command(aws2, "--endpoint-url", e.p.url, "ecs", "wait", "services-stable", "--cluster", e.cluster, "--services", "stable")
	cmd.Env = append(cmd.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws ecs wait services-stable: %v\n%s", err, out)
	}
	// The waiter's own success rule: one deployment, running == desired.
	if s := e.service("stable"); len(s.Deployments) != 1 || s.RunningCount != s.DesiredCount || s.DesiredCount != 2 {
		t.Fatalf("waiter returned after %s but the service is not stable: %d deployments, %d/%d running",
			time.Since(start), len(s.Deployments), s.RunningCount, s.DesiredCount)
	}
}

// TestServerKilledMidRollout: kill -9 of the server in the middle of a
// rollout; after a restart the same deployment finishes, and no task is
// lost or duplicated (the agent runs as its own process and keeps serving).
func TestServerKilledMidRollout(t *testing.T) {
	image := dockertest.BuildTestApp(t)
	serverDir, agentDir := t.TempDir(), t.TempDir()
	dockertest.CleanupLabel(t, runtime.LabelDataDir, agentDir)
	port := freePort(t)
	srv := startServerOn(t, port, serverDir, "--local-agent=false", "--agent-token", "mid-token")
	e := &dockerEnv{t: t, p: srv, ecs: wharftest.ECS(srv.url), cluster: "mid", image: image, dir: serverDir}
	if _, err := e.ecs.CreateCluster(context.Background(), &ecs.CreateClusterInput{ClusterName: aws.String("mid")}); err != nil {
		t.Fatal(err)
	}
	startAgent(t, srv.url, "mid-token", "mid", agentDir)
	e.waitInstances(ctxTimeout(t, time.Minute), 1)
	e.register(e.healthChecked("mid", "v1", nil))
	e.createService(&ecs.CreateServiceInput{ServiceName: aws.String("mid"), TaskDefinition: aws.String("mid"), DesiredCount: aws.Int32(4),
		DeploymentConfiguration: &types.DeploymentConfiguration{MinimumHealthyPercent: aws.Int32(50), MaximumPercent: aws.Int32(100)}})
	e.waitService("mid", "steady", 90*time.Second, isSteady)

	e.register(e.healthChecked("mid", "v2", nil))
	up, err := e.ecs.UpdateService(context.Background(), &ecs.UpdateServiceInput{Cluster: aws.String("mid"), Service: aws.String("mid"), TaskDefinition: aws.String("mid:2")})
	if err != nil {
		t.Fatal(err)
	}
	deployment := aws.ToString(up.Service.Deployments[0].Id)
	// Wait until the rollout is under way (some old tasks stopped, new ones
	// started), then kill the server.
	e.waitService("mid", "mid-rollout", 60*time.Second, func(s types.Service) bool {
		return len(s.Deployments) == 2 && s.Deployments[0].RunningCount+s.Deployments[0].PendingCount > 0
	})
	srv.kill()
	time.Sleep(time.Second)
	e.p = startServerOn(t, port, serverDir, "--local-agent=false", "--agent-token", "mid-token")
	s := e.waitService("mid", "rolled out after the restart", 3*time.Minute, func(s types.Service) bool {
		return isSteady(s) && strings.HasSuffix(aws.ToString(s.TaskDefinition), "mid:2")
	})
	if got := aws.ToString(s.Deployments[0].Id); got != deployment {
		t.Fatalf("the rollout finished as deployment %s, want the same deployment %s", got, deployment)
	}
	live, _, err := e.countTasks("mid")
	if err != nil || live != 4 {
		t.Fatalf("after the rollout %d tasks are live, want 4 (%v)", live, err)
	}
	// Exactly 4 containers run for the service: none lost, none duplicated.
	dc := dockertest.RequireDocker(t)
	f := client.Filters{}
	f.Add("label", runtime.LabelDataDir+"="+agentDir)
	f.Add("status", "running")
	list, err := dc.ContainerList(context.Background(), client.ContainerListOptions{Filters: f})
	if err != nil || len(list.Items) != 4 {
		t.Fatalf("%d running containers, want 4 (%v)", len(list.Items), err)
	}
}
