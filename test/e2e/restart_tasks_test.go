package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/moby/moby/client"

	"github.com/wharfhq/wharf/internal/runtime"
	"github.com/wharfhq/wharf/internal/testutil/dockertest"
	"github.com/wharfhq/wharf/internal/testutil/syncbuf"
	"github.com/wharfhq/wharf/internal/testutil/wharftest"
)

// startAgent runs `wharf agent` as its own process.
func startAgent(t *testing.T, serverURL, token, cluster, dataDir string) *proc {
	t.Helper()
	cmd := exec.Command(wharfBinary(t), "agent", "--server", serverURL, "--token", token, "--cluster", cluster, "--data-dir", dataDir)
	p := &proc{cmd: cmd, url: serverURL, logs: &syncbuf.Buffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(p.kill)
	return p
}

// containerFacts identifies a container run: its id and when it started,
// so a restart of the same container is caught too.
func containerFacts(t *testing.T, dc *client.Client, id string) string {
	t.Helper()
	res, err := dc.ContainerInspect(context.Background(), id, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatalf("inspect %s: %v", id, err)
	}
	return fmt.Sprintf("%s@%s/running=%v", id, res.Container.State.StartedAt, res.Container.State.Running)
}

// TestRestartsLoseNothing: with 5 tasks running, kill -9 the server, then
// the agent, then both; each time the same 5 tasks with the same containers
// are RUNNING afterwards — none lost, none duplicated, none restarted.
func TestRestartsLoseNothing(t *testing.T) {
	dc := dockertest.RequireDocker(t)
	image := dockertest.BuildTestApp(t)
	serverDir, agentDir := t.TempDir(), t.TempDir()
	dockertest.CleanupLabel(t, runtime.LabelDataDir, agentDir)
	ctx := ctxTimeout(t, 5*time.Minute)

	port := freePort(t)
	srv := startServerOn(t, port, serverDir, "--local-agent=false", "--agent-token", "restart-token")
	c := wharftest.ECS(srv.url)
	if _, err := c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("restart")}); err != nil {
		t.Fatal(err)
	}
	agent := startAgent(t, srv.url, "restart-token", "restart", agentDir)
	env := &dockerEnv{t: t, p: srv, ecs: c, cluster: "restart", image: image, dir: serverDir}
	env.waitInstances(ctx, 1)
	env.register(env.app("keep", map[string]string{"LISTEN": ":8080"}))
	out, err := c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("restart"), TaskDefinition: aws.String("keep"), Count: aws.Int32(5)})
	if err != nil || len(out.Tasks) != 5 {
		t.Fatalf("run 5 tasks: %v %+v", err, out)
	}
	var arns []string
	for _, tk := range out.Tasks {
		arns = append(arns, aws.ToString(tk.TaskArn))
	}
	snapshot := func() []string {
		t.Helper()
		var facts []string
		for _, a := range arns {
			tk := env.waitStatus(a, "RUNNING")
			facts = append(facts, containerFacts(t, dc, aws.ToString(tk.Containers[0].RuntimeId)))
		}
		slices.Sort(facts)
		return facts
	}
	before := snapshot()
	countContainers := func() int {
		f := client.Filters{}
		f.Add("label", runtime.LabelDataDir+"="+agentDir)
		list, err := dc.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
		if err != nil {
			t.Fatal(err)
		}
		return len(list.Items)
	}
	check := func(step string) {
		t.Helper()
		// Give the agent time to (wrongly) start duplicates before checking.
		time.Sleep(2 * time.Second)
		after := snapshot()
		if !slices.Equal(before, after) {
			t.Fatalf("after %s the tasks' containers changed:\nbefore %v\nafter  %v", step, before, after)
		}
		if n := countContainers(); n != 5 {
			t.Fatalf("after %s there are %d containers, want 5", step, n)
		}
		list, err := c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("restart")})
		if err != nil || len(list.TaskArns) != 5 {
			t.Fatalf("after %s ListTasks = %v %v", step, list, err)
		}
	}

	srv.kill()
	srv = startServerOn(t, port, serverDir, "--local-agent=false", "--agent-token", "restart-token")
	check("kill -9 of the server")

	agent.kill()
	agent = startAgent(t, srv.url, "restart-token", "restart", agentDir)
	check("kill -9 of the agent")

	srv.kill()
	agent.kill()
	srv = startServerOn(t, port, serverDir, "--local-agent=false", "--agent-token", "restart-token")
	c = wharftest.ECS(srv.url)
	env.ecs = c
	agent = startAgent(t, srv.url, "restart-token", "restart", agentDir)
	check("kill -9 of both")

	// The agent still controls the adopted tasks: StopTask stops one.
	if _, err := c.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("restart"), Task: aws.String(arns[0])}); err != nil {
		t.Fatal(err)
	}
	tk := env.waitStatus(arns[0], "STOPPED")
	if tk.StopCode != types.TaskStopCodeUserInitiated {
		t.Fatalf("stopped adopted task = %+v", tk)
	}
	_ = agent
}
