package ecs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/internal/agentapi"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/server"
	"github.com/wharfhq/wharf/internal/testutil/wharftest"
)

// scriptedAgent speaks the agent protocol by hand, so the server side of
// tasks is tested without Docker.
type scriptedAgent struct {
	t       *testing.T
	url     string
	token   string
	cluster string
	id      string
}

func (a *scriptedAgent) desired() agentapi.DesiredTasks {
	a.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/agent/v1/clusters/%s/instances/%s/tasks", a.url, a.cluster, a.id), nil)
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		a.t.Fatalf("desired tasks: %v %v", resp, err)
	}
	defer resp.Body.Close()
	var out agentapi.DesiredTasks
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		a.t.Fatal(err)
	}
	return out
}

func (a *scriptedAgent) report(taskID string, st model.TaskState) int {
	a.t.Helper()
	buf, _ := json.Marshal(st)
	req, _ := http.NewRequest(http.MethodPut, fmt.Sprintf("%s/agent/v1/clusters/%s/tasks/%s/state", a.url, a.cluster, taskID), bytes.NewReader(buf))
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func taskEnv(t *testing.T) (*ecs.Client, *server.Server) {
	t.Helper()
	srv := wharftest.StartWith(t, server.Config{DataDir: t.TempDir()})
	c := wharftest.ECS(srv.URL())
	must[*ecs.CreateClusterOutput](t)(c.CreateCluster(context.Background(), &ecs.CreateClusterInput{ClusterName: aws.String("jobs")}))
	return c, srv
}

func registerInstance(t *testing.T, c *ecs.Client, srv *server.Server, cpu, mem int32, attrs ...types.Attribute) *scriptedAgent {
	t.Helper()
	out := must[*ecs.RegisterContainerInstanceOutput](t)(c.RegisterContainerInstance(context.Background(), &ecs.RegisterContainerInstanceInput{
		Cluster: aws.String("jobs"),
		TotalResources: []types.Resource{
			{Name: aws.String("CPU"), Type: aws.String("INTEGER"), IntegerValue: cpu},
			{Name: aws.String("MEMORY"), Type: aws.String("INTEGER"), IntegerValue: mem},
			{Name: aws.String("PORTS"), Type: aws.String("STRINGSET"), StringSetValue: []string{"22"}},
		},
		Attributes: attrs,
	}))
	arn := aws.ToString(out.ContainerInstance.ContainerInstanceArn)
	return &scriptedAgent{t: t, url: srv.URL(), token: srv.AgentToken(), cluster: "jobs", id: arn[len(arn)-32:]}
}

func webTaskDef(family string, hostPort int32) *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{
		Family: aws.String(family),
		ContainerDefinitions: []types.ContainerDefinition{{
			Name: aws.String("web"), Image: aws.String("wharf-testapp:latest"), Cpu: 256, Memory: aws.Int32(128),
			PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080), HostPort: aws.Int32(hostPort)}},
		}},
	}
}

func TestRunTaskLifecycleThroughAgentProtocol(t *testing.T) {
	ctx := context.Background()
	c, srv := taskEnv(t)
	agent := registerInstance(t, c, srv, 1024, 1024)
	must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, webTaskDef("web", 0)))

	run := must[*ecs.RunTaskOutput](t)(c.RunTask(ctx, &ecs.RunTaskInput{
		Cluster: aws.String("jobs"), TaskDefinition: aws.String("web"), Count: aws.Int32(2), StartedBy: aws.String("tester"),
		Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}},
	}))
	if len(run.Tasks) != 2 || len(run.Failures) != 0 {
		t.Fatalf("run = %+v", run)
	}
	task := run.Tasks[0]
	if aws.ToString(task.LastStatus) != "PROVISIONING" || aws.ToString(task.DesiredStatus) != "RUNNING" ||
		aws.ToString(task.Group) != "family:web" || task.LaunchType != types.LaunchTypeEc2 ||
		aws.ToString(task.ContainerInstanceArn) == "" || len(task.Containers) != 1 {
		t.Fatalf("new task = %+v", task)
	}
	id := aws.ToString(task.TaskArn)[len(aws.ToString(task.TaskArn))-32:]

	// The agent sees both tasks with their task definition.
	d := agent.desired()
	if len(d.Tasks) != 2 || d.Tasks[0].TaskDefinition.Family != "web" {
		t.Fatalf("desired = %+v", d)
	}
	// Remaining resources reflect the reservations.
	ci := must[*ecs.DescribeContainerInstancesOutput](t)(c.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{
		Cluster: aws.String("jobs"), ContainerInstances: []string{agent.id}}))
	for _, r := range ci.ContainerInstances[0].RemainingResources {
		if aws.ToString(r.Name) == "CPU" && r.IntegerValue != 1024-512 || aws.ToString(r.Name) == "MEMORY" && r.IntegerValue != 1024-256 {
			t.Fatalf("remaining %s = %d", aws.ToString(r.Name), r.IntegerValue)
		}
	}
	if ci.ContainerInstances[0].RunningTasksCount != 2 || ci.ContainerInstances[0].PendingTasksCount != 2 {
		t.Fatalf("instance counts = %d/%d", ci.ContainerInstances[0].RunningTasksCount, ci.ContainerInstances[0].PendingTasksCount)
	}

	// The agent reports RUNNING with a network binding.
	exit := int32(0)
	running := model.TaskState{TaskARN: aws.ToString(task.TaskArn), LastStatus: model.TaskRunning, Version: 3, HealthStatus: "HEALTHY",
		StartedAt: time.Now(), Containers: []model.ContainerState{{Name: "web", RuntimeID: "abc", LastStatus: model.ContainerRunning,
			HealthStatus: "HEALTHY", NetworkBindings: []model.NetworkBinding{{BindIP: "0.0.0.0", ContainerPort: 8080, HostPort: 49160, Protocol: "tcp"}}}}}
	if code := agent.report(id, running); code != 204 {
		t.Fatalf("report = %d", code)
	}
	dt := must[*ecs.DescribeTasksOutput](t)(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("jobs"),
		Tasks: []string{id, "0000000000000000000000000000dead"}, Include: []types.TaskField{types.TaskFieldTags}}))
	got := dt.Tasks[0]
	if aws.ToString(got.LastStatus) != "RUNNING" || got.HealthStatus != types.HealthStatusHealthy || got.StartedAt == nil ||
		len(got.Containers[0].NetworkBindings) != 1 || aws.ToInt32(got.Containers[0].NetworkBindings[0].HostPort) != 49160 ||
		aws.ToString(got.Containers[0].RuntimeId) != "abc" || len(got.Tags) != 1 || len(dt.Failures) != 1 {
		t.Fatalf("described = %+v failures %+v", got, dt.Failures)
	}
	cl := must[*ecs.DescribeClustersOutput](t)(c.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"jobs"}}))
	if cl.Clusters[0].RunningTasksCount != 1 || cl.Clusters[0].PendingTasksCount != 1 {
		t.Fatalf("cluster counts = %d running, %d pending", cl.Clusters[0].RunningTasksCount, cl.Clusters[0].PendingTasksCount)
	}
	// A stale report (lower status) is ignored.
	if code := agent.report(id, model.TaskState{LastStatus: model.TaskPending, Version: 1}); code != 204 {
		t.Fatalf("stale report = %d", code)
	}

	// ListTasks filters.
	lt := must[*ecs.ListTasksOutput](t)(c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("jobs"), StartedBy: aws.String("tester")}))
	if len(lt.TaskArns) != 2 {
		t.Fatalf("by startedBy = %v", lt.TaskArns)
	}
	lt = must[*ecs.ListTasksOutput](t)(c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("jobs"), Family: aws.String("other")}))
	if len(lt.TaskArns) != 0 {
		t.Fatalf("by family = %v", lt.TaskArns)
	}
	_, err := c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("jobs"), StartedBy: aws.String("x"), Family: aws.String("web")})
	wantErr[*types.InvalidParameterException](t, err)

	// StopTask: desired STOPPED with the user's reason; the agent stops it.
	stop := must[*ecs.StopTaskOutput](t)(c.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("jobs"), Task: aws.String(id), Reason: aws.String("done here")}))
	if aws.ToString(stop.Task.DesiredStatus) != "STOPPED" || stop.Task.StopCode != types.TaskStopCodeUserInitiated || aws.ToString(stop.Task.StoppedReason) != "done here" {
		t.Fatalf("stop = %+v", stop.Task)
	}
	if d := agent.desired(); d.Tasks[0].Task.DesiredStatus != "STOPPED" && d.Tasks[1].Task.DesiredStatus != "STOPPED" {
		t.Fatalf("agent does not see the stop: %+v", d)
	}
	exit = 143
	stopped := running
	stopped.LastStatus, stopped.Version, stopped.StoppedAt = model.TaskStopped, 9, time.Now()
	stopped.Containers = []model.ContainerState{{Name: "web", LastStatus: model.ContainerStopped, ExitCode: &exit}}
	agent.report(id, stopped)
	dt = must[*ecs.DescribeTasksOutput](t)(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("jobs"), Tasks: []string{id}}))
	if aws.ToString(dt.Tasks[0].LastStatus) != "STOPPED" || aws.ToInt32(dt.Tasks[0].Containers[0].ExitCode) != 143 || dt.Tasks[0].StopCode != types.TaskStopCodeUserInitiated {
		t.Fatalf("stopped = %+v", dt.Tasks[0])
	}
	lt = must[*ecs.ListTasksOutput](t)(c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("jobs"), DesiredStatus: types.DesiredStatusStopped}))
	if len(lt.TaskArns) != 1 {
		t.Fatalf("stopped list = %v", lt.TaskArns)
	}
	// The stopped task no longer holds resources nor reaches the agent.
	if d := agent.desired(); len(d.Tasks) != 1 {
		t.Fatalf("desired after stop = %d tasks", len(d.Tasks))
	}
	// StopTask again keeps the first reason.
	again := must[*ecs.StopTaskOutput](t)(c.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("jobs"), Task: aws.String(id), Reason: aws.String("second")}))
	if aws.ToString(again.Task.StoppedReason) != "done here" {
		t.Fatalf("second stop changed the reason: %s", aws.ToString(again.Task.StoppedReason))
	}
}

func TestEssentialExitReportedByAgent(t *testing.T) {
	ctx := context.Background()
	c, srv := taskEnv(t)
	agent := registerInstance(t, c, srv, 1024, 1024)
	must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, webTaskDef("exit", 0)))
	run := must[*ecs.RunTaskOutput](t)(c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("jobs"), TaskDefinition: aws.String("exit")}))
	id := aws.ToString(run.Tasks[0].TaskArn)[len(aws.ToString(run.Tasks[0].TaskArn))-32:]
	code := int32(3)
	agent.report(id, model.TaskState{LastStatus: model.TaskStopped, Version: 5, StopCode: model.StopEssentialContainerExited,
		StoppedReason: "Essential container in task exited", StoppedAt: time.Now(),
		Containers: []model.ContainerState{{Name: "web", LastStatus: model.ContainerStopped, ExitCode: &code}}})
	dt := must[*ecs.DescribeTasksOutput](t)(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("jobs"), Tasks: []string{id}}))
	got := dt.Tasks[0]
	if got.StopCode != types.TaskStopCodeEssentialContainerExited || aws.ToString(got.DesiredStatus) != "STOPPED" ||
		aws.ToString(got.StoppedReason) != "Essential container in task exited" {
		t.Fatalf("task = %+v", got)
	}
	// The cluster can be deleted once no task is active and no instance registered.
	must[*ecs.DeregisterContainerInstanceOutput](t)(c.DeregisterContainerInstance(ctx, &ecs.DeregisterContainerInstanceInput{
		Cluster: aws.String("jobs"), ContainerInstance: aws.String(agent.id)}))
	must[*ecs.DeleteClusterOutput](t)(c.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String("jobs")}))
}

func TestPlacementFailuresAndStrategies(t *testing.T) {
	ctx := context.Background()
	c, srv := taskEnv(t)

	// No instances: MISSING.
	must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, webTaskDef("static", 8080)))
	run := must[*ecs.RunTaskOutput](t)(c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("jobs"), TaskDefinition: aws.String("static")}))
	if len(run.Tasks) != 0 || len(run.Failures) != 1 || aws.ToString(run.Failures[0].Reason) != "MISSING" {
		t.Fatalf("no instances: %+v", run)
	}

	a := registerInstance(t, c, srv, 1024, 1024, types.Attribute{Name: aws.String("stack"), Value: aws.String("blue")})
	b := registerInstance(t, c, srv, 1024, 1024, types.Attribute{Name: aws.String("stack"), Value: aws.String("green")})

	// Static port 8080: one task per instance, the third copy fails on PORTS.
	run = must[*ecs.RunTaskOutput](t)(c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("jobs"), TaskDefinition: aws.String("static"), Count: aws.Int32(3)}))
	if len(run.Tasks) != 2 || len(run.Failures) == 0 || aws.ToString(run.Failures[0].Reason) != "RESOURCE:PORTS" {
		t.Fatalf("port conflict: %d tasks, failures %+v", len(run.Tasks), run.Failures)
	}
	if aws.ToString(run.Tasks[0].ContainerInstanceArn) == aws.ToString(run.Tasks[1].ContainerInstanceArn) {
		t.Fatalf("two tasks with host port 8080 on one instance")
	}

	// Memory exhaustion: RESOURCE:MEMORY.
	big := webTaskDef("big", 0)
	big.ContainerDefinitions[0].Memory = aws.Int32(2000)
	must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, big))
	run = must[*ecs.RunTaskOutput](t)(c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("jobs"), TaskDefinition: aws.String("big")}))
	if len(run.Tasks) != 0 || aws.ToString(run.Failures[0].Reason) != "RESOURCE:MEMORY" {
		t.Fatalf("memory: %+v", run)
	}

	// memberOf constraint and binpack.
	must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, webTaskDef("dyn", 0)))
	run = must[*ecs.RunTaskOutput](t)(c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("jobs"), TaskDefinition: aws.String("dyn"), Count: aws.Int32(3),
		PlacementConstraints: []types.PlacementConstraint{{Type: types.PlacementConstraintTypeMemberOf, Expression: aws.String("attribute:stack == green")}}}))
	for _, tk := range run.Tasks {
		if arn := aws.ToString(tk.ContainerInstanceArn); arn[len(arn)-32:] != b.id {
			t.Fatalf("memberOf placed on %s, want %s", arn, b.id)
		}
	}
	if len(run.Tasks) != 2 { // 1024 CPU left on b after the static task: 3 × 256 > 768
		if len(run.Tasks) != 3 {
			t.Fatalf("memberOf placed %d tasks: %+v", len(run.Tasks), run.Failures)
		}
	}
	_ = a

	// Invalid strategies are InvalidParameterException.
	_, err := c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("jobs"), TaskDefinition: aws.String("dyn"),
		PlacementStrategy: []types.PlacementStrategy{{Type: types.PlacementStrategyTypeBinpack, Field: aws.String("disk")}}})
	wantErr[*types.InvalidParameterException](t, err)
	_, err = c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("jobs"), TaskDefinition: aws.String("dyn"), Count: aws.Int32(11)})
	wantErr[*types.InvalidParameterException](t, err)
	_, err = c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("nope"), TaskDefinition: aws.String("dyn")})
	wantErr[*types.ClusterNotFoundException](t, err)
	_, err = c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("jobs"), TaskDefinition: aws.String("ghost")})
	wantErr[*types.ClientException](t, err)

	// StartTask on explicit instances, with MISSING for unknown ones.
	st := must[*ecs.StartTaskOutput](t)(c.StartTask(ctx, &ecs.StartTaskInput{Cluster: aws.String("jobs"), TaskDefinition: aws.String("dyn"),
		ContainerInstances: []string{a.id, "00000000000000000000000000000000"}}))
	if len(st.Tasks) != 1 || len(st.Failures) != 1 || aws.ToString(st.Failures[0].Reason) != "MISSING" {
		t.Fatalf("start task = %+v", st)
	}
}

func TestAwsvpcNeedsNetworkConfiguration(t *testing.T) {
	ctx := context.Background()
	c, srv := taskEnv(t)
	registerInstance(t, c, srv, 1024, 1024, types.Attribute{Name: aws.String("ecs.capability.task-eni")})
	td := webTaskDef("vpc", 0)
	td.NetworkMode = types.NetworkModeAwsvpc
	td.ContainerDefinitions[0].PortMappings[0].HostPort = nil
	must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, td))
	_, err := c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("jobs"), TaskDefinition: aws.String("vpc")})
	e := wantErr[*types.InvalidParameterException](t, err)
	if aws.ToString(e.Message) != "Network Configuration must be provided when networkMode 'awsvpc' is specified." {
		t.Fatalf("message = %s", aws.ToString(e.Message))
	}
	run := must[*ecs.RunTaskOutput](t)(c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("jobs"), TaskDefinition: aws.String("vpc"),
		NetworkConfiguration: &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: []string{"subnet-local"}}}}))
	if len(run.Tasks) != 1 || len(run.Tasks[0].Attachments) != 1 || aws.ToString(run.Tasks[0].Attachments[0].Type) != "ElasticNetworkInterface" {
		t.Fatalf("awsvpc task = %+v %+v", run.Tasks, run.Failures)
	}
	_, err = c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("jobs"), TaskDefinition: aws.String("vpc"), LaunchType: types.LaunchTypeFargate,
		NetworkConfiguration: &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: []string{"s"}}}})
	wantErr[*types.ClientException](t, err) // the task definition is not FARGATE-compatible (no task cpu/memory)
}

func TestRunTaskClientToken(t *testing.T) {
	ctx := context.Background()
	c, srv := taskEnv(t)
	registerInstance(t, c, srv, 4096, 4096)
	must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, webTaskDef("idem", 0)))
	in := &ecs.RunTaskInput{Cluster: aws.String("jobs"), TaskDefinition: aws.String("idem"), ClientToken: aws.String("tok-1"), Count: aws.Int32(2)}
	first := must[*ecs.RunTaskOutput](t)(c.RunTask(ctx, in))
	second := must[*ecs.RunTaskOutput](t)(c.RunTask(ctx, in))
	arns := func(ts []types.Task) []string {
		var out []string
		for _, t := range ts {
			out = append(out, aws.ToString(t.TaskArn))
		}
		slices.Sort(out)
		return out
	}
	if fmt.Sprint(arns(first.Tasks)) != fmt.Sprint(arns(second.Tasks)) {
		t.Fatalf("retry with the same clientToken started new tasks: %v vs %v", arns(first.Tasks), arns(second.Tasks))
	}
	in.Count = aws.Int32(1)
	_, err := c.RunTask(ctx, in)
	wantErr[*types.ConflictException](t, err)
}

// TestStoppedTasksArePruned: STOPPED tasks stay describable for the
// retention, then disappear (MISSING).
func TestStoppedTasksArePruned(t *testing.T) {
	ctx := context.Background()
	srv := wharftest.StartWith(t, server.Config{DataDir: t.TempDir(), StoppedTaskRetention: 200 * time.Millisecond, PruneInterval: 50 * time.Millisecond})
	c := wharftest.ECS(srv.URL())
	must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("jobs")}))
	agent := registerInstance(t, c, srv, 1024, 1024)
	must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, webTaskDef("short", 0)))
	run := must[*ecs.RunTaskOutput](t)(c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("jobs"), TaskDefinition: aws.String("short")}))
	arn := aws.ToString(run.Tasks[0].TaskArn)
	agent.report(arn[len(arn)-32:], model.TaskState{LastStatus: model.TaskStopped, Version: 2, StoppedAt: time.Now(), StopCode: model.StopEssentialContainerExited})
	dt := must[*ecs.DescribeTasksOutput](t)(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("jobs"), Tasks: []string{arn}}))
	if len(dt.Tasks) != 1 {
		t.Fatalf("stopped task not describable right after stopping: %+v", dt)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		dt = must[*ecs.DescribeTasksOutput](t)(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("jobs"), Tasks: []string{arn}}))
		if len(dt.Failures) == 1 && aws.ToString(dt.Failures[0].Reason) == "MISSING" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stopped task still describable after its retention")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
