package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
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

// dockerEnv starts a server with the local agent in one fresh cluster and
// removes every container it created when the test ends.
type dockerEnv struct {
	t       *testing.T
	p       *proc
	ecs     *ecs.Client
	cluster string
	image   string
	dir     string
}

func newDockerEnv(t *testing.T) *dockerEnv {
	t.Helper()
	dockertest.RequireDocker(t)
	image := dockertest.BuildTestApp(t)
	dir := t.TempDir()
	dockertest.CleanupLabel(t, runtime.LabelDataDir, dir)
	cluster := fmt.Sprintf("e2e-%d", time.Now().UnixNano()%1_000_000)
	p := startServer(t, dir, "--local-agent-clusters", cluster)
	e := &dockerEnv{t: t, p: p, ecs: wharftest.ECS(p.url), cluster: cluster, image: image, dir: dir}
	ctx := ctxTimeout(t, time.Minute)
	if _, err := e.ecs.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(cluster)}); err != nil {
		t.Fatal(err)
	}
	e.waitInstances(ctx, 1)
	return e
}

// waitInstances waits until n container instances are registered.
func (e *dockerEnv) waitInstances(ctx context.Context, n int) {
	e.t.Helper()
	for {
		out, err := e.ecs.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Cluster: aws.String(e.cluster)})
		if err == nil && len(out.ContainerInstanceArns) >= n {
			return
		}
		if ctx.Err() != nil {
			e.t.Fatalf("no container instance registered in %s: %v\nserver log:\n%s", e.cluster, err, e.p.logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (e *dockerEnv) register(td *ecs.RegisterTaskDefinitionInput) {
	e.t.Helper()
	if _, err := e.ecs.RegisterTaskDefinition(context.Background(), td); err != nil {
		e.t.Fatal(err)
	}
}

func (e *dockerEnv) run(family string, mutate ...func(*ecs.RunTaskInput)) types.Task {
	e.t.Helper()
	in := &ecs.RunTaskInput{Cluster: aws.String(e.cluster), TaskDefinition: aws.String(family)}
	for _, m := range mutate {
		m(in)
	}
	out, err := e.ecs.RunTask(context.Background(), in)
	if err != nil {
		e.t.Fatal(err)
	}
	if len(out.Tasks) != 1 {
		e.t.Fatalf("RunTask placed %d tasks: %+v", len(out.Tasks), out.Failures)
	}
	return out.Tasks[0]
}

func (e *dockerEnv) describe(arn string) types.Task {
	e.t.Helper()
	out, err := e.ecs.DescribeTasks(context.Background(), &ecs.DescribeTasksInput{Cluster: aws.String(e.cluster), Tasks: []string{arn}})
	if err != nil || len(out.Tasks) != 1 {
		e.t.Fatalf("describe %s: %v %+v", arn, err, out)
	}
	return out.Tasks[0]
}

// waitFor polls DescribeTasks until cond holds.
func (e *dockerEnv) waitFor(arn string, d time.Duration, what string, cond func(types.Task) bool) types.Task {
	e.t.Helper()
	deadline := time.Now().Add(d)
	for {
		tk := e.describe(arn)
		if cond(tk) {
			return tk
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("task %s: not %s within %s: last status %s, containers %+v, stopped reason %q\nserver log:\n%s",
				arn, what, d, aws.ToString(tk.LastStatus), tk.Containers, aws.ToString(tk.StoppedReason), tail(e.p.logs.String(), 40))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (e *dockerEnv) waitStatus(arn, status string) types.Task {
	return e.waitFor(arn, 60*time.Second, status, func(tk types.Task) bool { return aws.ToString(tk.LastStatus) == status })
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (e *dockerEnv) app(family string, env map[string]string, mutate ...func(*types.ContainerDefinition)) *ecs.RegisterTaskDefinitionInput {
	c := types.ContainerDefinition{
		Name: aws.String("app"), Image: aws.String(e.image), Memory: aws.Int32(64),
		PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}},
	}
	for k, v := range env {
		c.Environment = append(c.Environment, types.KeyValuePair{Name: aws.String(k), Value: aws.String(v)})
	}
	for _, m := range mutate {
		m(&c)
	}
	return &ecs.RegisterTaskDefinitionInput{Family: aws.String(family), ContainerDefinitions: []types.ContainerDefinition{c}}
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	var last error
	for range 50 {
		resp, err := http.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return string(body)
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("GET %s: %v", url, last)
	return ""
}

// TestTaskLifecycleOnDocker: RunTask starts a real container whose dynamic
// host port answers; StopTask delivers SIGTERM and the task reaches STOPPED
// with the container's exit code.
func TestTaskLifecycleOnDocker(t *testing.T) {
	e := newDockerEnv(t)
	e.register(e.app("web", map[string]string{"LISTEN": ":8080", "VERSION": "v1", "SIGTERM_EXIT_CODE": "42"}))
	tk := e.run("web")
	arn := aws.ToString(tk.TaskArn)
	tk = e.waitStatus(arn, "RUNNING")
	c := tk.Containers[0]
	if len(c.NetworkBindings) != 1 || aws.ToInt32(c.NetworkBindings[0].HostPort) == 0 || aws.ToString(c.RuntimeId) == "" || tk.StartedAt == nil {
		t.Fatalf("running task = %+v", tk)
	}
	port := aws.ToInt32(c.NetworkBindings[0].HostPort)
	if body := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); !strings.Contains(body, "hello from") || !strings.Contains(body, "v1") {
		t.Fatalf("GET / = %q", body)
	}
	if _, err := e.ecs.StopTask(context.Background(), &ecs.StopTaskInput{Cluster: aws.String(e.cluster), Task: aws.String(arn), Reason: aws.String("test over")}); err != nil {
		t.Fatal(err)
	}
	tk = e.waitStatus(arn, "STOPPED")
	if aws.ToInt32(tk.Containers[0].ExitCode) != 42 || tk.StopCode != types.TaskStopCodeUserInitiated ||
		aws.ToString(tk.StoppedReason) != "test over" || tk.StoppedAt == nil || tk.StoppingAt == nil {
		t.Fatalf("stopped task = %+v, container %+v", tk, tk.Containers[0])
	}
}

// TestEssentialContainerExit: the task stops when its essential container exits.
func TestEssentialContainerExit(t *testing.T) {
	e := newDockerEnv(t)
	e.register(e.app("exit", map[string]string{"EXIT_AFTER": "1s", "EXIT_CODE": "3"}, func(c *types.ContainerDefinition) { c.PortMappings = nil }))
	arn := aws.ToString(e.run("exit").TaskArn)
	tk := e.waitStatus(arn, "STOPPED")
	if tk.StopCode != types.TaskStopCodeEssentialContainerExited || aws.ToInt32(tk.Containers[0].ExitCode) != 3 ||
		aws.ToString(tk.StoppedReason) != "Essential container in task exited" {
		t.Fatalf("task = %+v, container %+v", tk, tk.Containers[0])
	}
}

// TestMissingImage: an image that cannot be pulled stops the task with
// CannotPullContainerError.
func TestMissingImage(t *testing.T) {
	e := newDockerEnv(t)
	e.register(e.app("noimage", nil, func(c *types.ContainerDefinition) { c.Image = aws.String("127.0.0.1:1/wharf/does-not-exist:1") }))
	arn := aws.ToString(e.run("noimage").TaskArn)
	tk := e.waitStatus(arn, "STOPPED")
	if tk.StopCode != types.TaskStopCodeTaskFailedToStart || !strings.Contains(aws.ToString(tk.StoppedReason), "CannotPullContainerError") {
		t.Fatalf("task = %+v", tk)
	}
}

// TestHealthChecks: a failing check makes the task UNHEALTHY, and a
// dependsOn HEALTHY container waits for its dependency to be healthy.
func TestHealthChecks(t *testing.T) {
	e := newDockerEnv(t)
	check := func(c *types.ContainerDefinition) {
		c.HealthCheck = &types.HealthCheck{Command: []string{"CMD", "/testapp", "healthcheck", "http://127.0.0.1:8080/health"},
			Interval: aws.Int32(5), Timeout: aws.Int32(2), Retries: aws.Int32(1)}
	}
	e.register(e.app("sick", map[string]string{"LISTEN": ":8080", "HEALTH_STATUS": "500"}, check))
	arn := aws.ToString(e.run("sick").TaskArn)
	e.waitFor(arn, 60*time.Second, "UNHEALTHY", func(tk types.Task) bool { return tk.HealthStatus == types.HealthStatusUnhealthy })

	// dependsOn HEALTHY: "app" waits until "db" is healthy; db's health
	// comes from a file on a host volume that the test flips.
	hostDir := t.TempDir()
	healthFile := filepath.Join(hostDir, "health")
	if err := os.WriteFile(healthFile, []byte("500"), 0o644); err != nil {
		t.Fatal(err)
	}
	td := &ecs.RegisterTaskDefinitionInput{
		Family:  aws.String("ordered"),
		Volumes: []types.Volume{{Name: aws.String("hv"), Host: &types.HostVolumeProperties{SourcePath: aws.String(hostDir)}}},
		ContainerDefinitions: []types.ContainerDefinition{
			{Name: aws.String("db"), Image: aws.String(e.image), Memory: aws.Int32(64), Essential: aws.Bool(true),
				Environment: []types.KeyValuePair{{Name: aws.String("LISTEN"), Value: aws.String(":8080")}, {Name: aws.String("HEALTH_FILE"), Value: aws.String("/hv/health")}},
				MountPoints: []types.MountPoint{{SourceVolume: aws.String("hv"), ContainerPath: aws.String("/hv")}},
				HealthCheck: &types.HealthCheck{Command: []string{"CMD", "/testapp", "healthcheck", "http://127.0.0.1:8080/health"},
					Interval: aws.Int32(5), Timeout: aws.Int32(2), Retries: aws.Int32(1)}},
			{Name: aws.String("app"), Image: aws.String(e.image), Memory: aws.Int32(64),
				Environment: []types.KeyValuePair{{Name: aws.String("LISTEN"), Value: aws.String(":8081")}},
				DependsOn:   []types.ContainerDependency{{ContainerName: aws.String("db"), Condition: types.ContainerConditionHealthy}}},
		},
	}
	e.register(td)
	arn = aws.ToString(e.run("ordered").TaskArn)
	e.waitFor(arn, 30*time.Second, "db running", func(tk types.Task) bool { return aws.ToString(containerNamed(tk, "db").LastStatus) == "RUNNING" })
	time.Sleep(6 * time.Second) // a health interval passes with db unhealthy
	if tk := e.describe(arn); aws.ToString(containerNamed(tk, "app").LastStatus) != "PENDING" {
		t.Fatalf("app started before db was healthy: %+v", tk.Containers)
	}
	if err := os.WriteFile(healthFile, []byte("200"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.waitFor(arn, 60*time.Second, "app running after db healthy", func(tk types.Task) bool {
		return aws.ToString(containerNamed(tk, "app").LastStatus) == "RUNNING"
	})
}

func containerNamed(tk types.Task, name string) types.Container {
	for _, c := range tk.Containers {
		if aws.ToString(c.Name) == name {
			return c
		}
	}
	return types.Container{}
}

// TestContainerKilledBehindOurBack: `docker kill` is noticed and reported.
func TestContainerKilledBehindOurBack(t *testing.T) {
	e := newDockerEnv(t)
	e.register(e.app("victim", map[string]string{"LISTEN": ":8080"}))
	arn := aws.ToString(e.run("victim").TaskArn)
	tk := e.waitStatus(arn, "RUNNING")
	dc := dockertest.RequireDocker(t)
	id := aws.ToString(tk.Containers[0].RuntimeId)
	if _, err := dc.ContainerKill(context.Background(), id, dockerKillOptions()); err != nil {
		t.Fatal(err)
	}
	tk = e.waitStatus(arn, "STOPPED")
	if tk.StopCode != types.TaskStopCodeEssentialContainerExited || aws.ToInt32(tk.Containers[0].ExitCode) != 137 {
		t.Fatalf("killed task = %+v, container %+v", tk, tk.Containers[0])
	}
}

// TestAwsvpcTaskHasItsOwnIP: an awsvpc task gets its own address on the
// wharf network, reachable from the host, with nothing bound on the host.
func TestAwsvpcTaskHasItsOwnIP(t *testing.T) {
	e := newDockerEnv(t)
	td := e.app("vpc", map[string]string{"LISTEN": ":8080", "VERSION": "vpc"})
	td.NetworkMode = types.NetworkModeAwsvpc
	e.register(td)
	arn := aws.ToString(e.run("vpc", func(in *ecs.RunTaskInput) {
		in.NetworkConfiguration = &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: []string{"subnet-local"}}}
	}).TaskArn)
	tk := e.waitStatus(arn, "RUNNING")
	var ip string
	for _, d := range tk.Attachments[0].Details {
		if aws.ToString(d.Name) == "privateIPv4Address" {
			ip = aws.ToString(d.Value)
		}
	}
	if ip == "" || len(tk.Containers[0].NetworkInterfaces) != 1 || aws.ToString(tk.Containers[0].NetworkInterfaces[0].PrivateIpv4Address) != ip {
		t.Fatalf("awsvpc task = %+v attachments %+v", tk.Containers, tk.Attachments)
	}
	if body := httpGet(t, "http://"+ip+":8080/"); !strings.Contains(body, "vpc") {
		t.Fatalf("GET %s = %q", ip, body)
	}
}

func dockerKillOptions() client.ContainerKillOptions {
	return client.ContainerKillOptions{Signal: "KILL"}
}
