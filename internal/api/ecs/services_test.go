package ecs_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/internal/model"
)

// playAgent runs the scripted agent in the background: every task placed
// on its instance becomes RUNNING (as of a minute ago, so it counts as
// healthy at once) and every task asked to stop becomes STOPPED. Images
// named "crash:*" stop before reaching RUNNING.
func playAgent(t *testing.T, a *scriptedAgent) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		version := map[string]int64{}
		for ctx.Err() == nil {
			d := a.desired()
			for _, dt := range d.Tasks {
				id := dt.Task.ID
				version[id]++
				st := model.TaskState{TaskARN: dt.Task.ARN, Version: version[id] + 10}
				crash := strings.HasPrefix(dt.TaskDefinition.ContainerDefinitions[0].Image, "crash:")
				switch {
				case dt.Task.DesiredStatus == model.DesiredStopped:
					st.LastStatus, st.StoppedAt = model.TaskStopped, time.Now()
				case crash:
					code := int32(1)
					st.LastStatus, st.StoppedAt = model.TaskStopped, time.Now()
					st.StopCode, st.StoppedReason = model.StopTaskFailedToStart, "CannotStartContainerError: crash"
					st.Containers = []model.ContainerState{{Name: "web", LastStatus: model.ContainerStopped, ExitCode: &code}}
				default:
					st.LastStatus, st.StartedAt = model.TaskRunning, time.Now().Add(-time.Minute)
				}
				a.report(id, st)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
}

func waitService(t *testing.T, c *ecs.Client, cluster, name string, what string, cond func(types.Service) bool) types.Service {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := c.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{name}})
		if err == nil && len(out.Services) == 1 && cond(out.Services[0]) {
			return out.Services[0]
		}
		if time.Now().After(deadline) {
			var s types.Service
			if err == nil && len(out.Services) == 1 {
				s = out.Services[0]
			}
			t.Fatalf("service %s not %s within 30s: err %v, running %d pending %d deployments %+v events %v",
				name, what, err, s.RunningCount, s.PendingCount, s.Deployments, eventMessages(s))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func eventMessages(s types.Service) []string {
	var out []string
	for _, e := range s.Events {
		out = append(out, aws.ToString(e.Message))
	}
	return out
}

func steady(s types.Service) bool {
	return len(s.Deployments) == 1 && s.RunningCount == s.DesiredCount && s.PendingCount == 0 &&
		s.Deployments[0].RolloutState == types.DeploymentRolloutStateCompleted
}

func TestServiceLifecycleWithController(t *testing.T) {
	ctx := context.Background()
	c, srv := taskEnv(t)
	playAgent(t, registerInstance(t, c, srv, 4096, 4096))
	must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, webTaskDef("api", 0)))

	created := must[*ecs.CreateServiceOutput](t)(c.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String("jobs"), ServiceName: aws.String("api"), TaskDefinition: aws.String("api"), DesiredCount: aws.Int32(3),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("x")}}, PropagateTags: types.PropagateTagsService,
	}))
	svc := created.Service
	if aws.ToString(svc.Status) != "ACTIVE" || len(svc.Deployments) != 1 || aws.ToString(svc.Deployments[0].Status) != "PRIMARY" ||
		!strings.HasPrefix(aws.ToString(svc.Deployments[0].Id), "ecs-svc/") || aws.ToString(svc.TaskDefinition) != "arn:aws:ecs:us-east-1:000000000000:task-definition/api:1" ||
		aws.ToInt32(svc.DeploymentConfiguration.MaximumPercent) != 200 || aws.ToInt32(svc.DeploymentConfiguration.MinimumHealthyPercent) != 100 {
		t.Fatalf("created = %+v", svc)
	}
	_, err := c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("jobs"), ServiceName: aws.String("api"), TaskDefinition: aws.String("api"), DesiredCount: aws.Int32(1)})
	if e := wantErr[*types.InvalidParameterException](t, err); aws.ToString(e.Message) != "Creation of service was not idempotent." {
		t.Fatalf("message = %s", aws.ToString(e.Message))
	}

	s := waitService(t, c, "jobs", "api", "steady", steady)
	msgs := eventMessages(s)
	if len(msgs) < 2 || msgs[0] != "(service api) has reached a steady state." || !strings.Contains(strings.Join(msgs, "\n"), "has started 3 tasks") {
		t.Fatalf("events = %v", msgs)
	}
	tasksOut := must[*ecs.ListTasksOutput](t)(c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("jobs"), ServiceName: aws.String("api")}))
	if len(tasksOut.TaskArns) != 3 {
		t.Fatalf("service tasks = %v", tasksOut.TaskArns)
	}
	dt := must[*ecs.DescribeTasksOutput](t)(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("jobs"), Tasks: tasksOut.TaskArns[:1], Include: []types.TaskField{types.TaskFieldTags}}))
	if aws.ToString(dt.Tasks[0].Group) != "service:api" || aws.ToString(dt.Tasks[0].StartedBy) != aws.ToString(s.Deployments[0].Id) || len(dt.Tasks[0].Tags) != 1 {
		t.Fatalf("service task = %+v", dt.Tasks[0])
	}

	// A new task definition rolls out and completes.
	must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, webTaskDef("api", 0)))
	up := must[*ecs.UpdateServiceOutput](t)(c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("jobs"), Service: aws.String("api"), TaskDefinition: aws.String("api")}))
	if len(up.Service.Deployments) != 2 {
		t.Fatalf("after update: deployments %+v", up.Service.Deployments)
	}
	s = waitService(t, c, "jobs", "api", "rolled out", func(s types.Service) bool {
		return steady(s) && strings.HasSuffix(aws.ToString(s.TaskDefinition), "api:2")
	})
	// desiredCount alone does not start a deployment.
	up = must[*ecs.UpdateServiceOutput](t)(c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("jobs"), Service: aws.String("api"), DesiredCount: aws.Int32(1)}))
	if len(up.Service.Deployments) != 1 {
		t.Fatalf("scale changed deployments: %+v", up.Service.Deployments)
	}
	waitService(t, c, "jobs", "api", "scaled in", func(s types.Service) bool { return s.RunningCount == 1 && s.DesiredCount == 1 })

	// Service deployments API.
	sd := must[*ecs.ListServiceDeploymentsOutput](t)(c.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{Cluster: aws.String("jobs"), Service: aws.String("api")}))
	if len(sd.ServiceDeployments) != 2 || sd.ServiceDeployments[0].Status != types.ServiceDeploymentStatusSuccessful {
		t.Fatalf("service deployments = %+v", sd.ServiceDeployments)
	}
	dd := must[*ecs.DescribeServiceDeploymentsOutput](t)(c.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{
		ServiceDeploymentArns: []string{aws.ToString(sd.ServiceDeployments[0].ServiceDeploymentArn), "arn:aws:ecs:us-east-1:000000000000:service-deployment/jobs/api/1"}}))
	if len(dd.ServiceDeployments) != 1 || len(dd.Failures) != 1 {
		t.Fatalf("describe service deployments = %+v", dd)
	}

	// Delete: refused while scaled up, then DRAINING → INACTIVE; name reusable.
	_, err = c.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: aws.String("jobs"), Service: aws.String("api")})
	if e := wantErr[*types.InvalidParameterException](t, err); aws.ToString(e.Message) != "The service cannot be stopped while it is scaled above 0." {
		t.Fatalf("message = %s", aws.ToString(e.Message))
	}
	del := must[*ecs.DeleteServiceOutput](t)(c.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: aws.String("jobs"), Service: aws.String("api"), Force: aws.Bool(true)}))
	if aws.ToString(del.Service.Status) != "DRAINING" {
		t.Fatalf("deleted status = %s", aws.ToString(del.Service.Status))
	}
	if l := must[*ecs.ListServicesOutput](t)(c.ListServices(ctx, &ecs.ListServicesInput{Cluster: aws.String("jobs")})); len(l.ServiceArns) != 0 {
		t.Fatalf("draining service listed: %v", l.ServiceArns)
	}
	_, err = c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("jobs"), Service: aws.String("api"), DesiredCount: aws.Int32(2)})
	wantErr[*types.ServiceNotActiveException](t, err)
	waitService(t, c, "jobs", "api", "INACTIVE", func(s types.Service) bool { return aws.ToString(s.Status) == "INACTIVE" })
	must[*ecs.CreateServiceOutput](t)(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("jobs"), ServiceName: aws.String("api"), TaskDefinition: aws.String("api"), DesiredCount: aws.Int32(0)}))

	// Errors.
	_, err = c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("jobs"), Service: aws.String("ghost")})
	wantErr[*types.ServiceNotFoundException](t, err)
	_, err = c.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: aws.String("jobs"), Service: aws.String("ghost")})
	wantErr[*types.ServiceNotFoundException](t, err)
	ds := must[*ecs.DescribeServicesOutput](t)(c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("jobs"), Services: []string{"ghost"}}))
	if len(ds.Failures) != 1 || aws.ToString(ds.Failures[0].Reason) != "MISSING" {
		t.Fatalf("describe ghost = %+v", ds)
	}
	_, err = c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("jobs"), ServiceName: aws.String("x"), TaskDefinition: aws.String("api"),
		DesiredCount: aws.Int32(1), LaunchType: types.LaunchTypeEc2, CapacityProviderStrategy: []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE")}}})
	wantErr[*types.InvalidParameterException](t, err)
	_, err = c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("jobs"), ServiceName: aws.String("d"), TaskDefinition: aws.String("api"),
		SchedulingStrategy: types.SchedulingStrategyDaemon, DeploymentConfiguration: &types.DeploymentConfiguration{MaximumPercent: aws.Int32(200)}})
	wantErr[*types.InvalidParameterException](t, err)
	_, err = c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("nope"), ServiceName: aws.String("x"), TaskDefinition: aws.String("api"), DesiredCount: aws.Int32(1)})
	wantErr[*types.ClusterNotFoundException](t, err)
	must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("svc-only")}))
	must[*ecs.CreateServiceOutput](t)(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("svc-only"), ServiceName: aws.String("idle"), TaskDefinition: aws.String("api"), DesiredCount: aws.Int32(0)}))
	_, err = c.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String("svc-only")})
	wantErr[*types.ClusterContainsServicesException](t, err)
}

func TestCircuitBreakerRollsBack(t *testing.T) {
	ctx := context.Background()
	c, srv := taskEnv(t)
	playAgent(t, registerInstance(t, c, srv, 8192, 8192))
	must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, webTaskDef("cb", 0)))
	must[*ecs.CreateServiceOutput](t)(c.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String("jobs"), ServiceName: aws.String("cb"), TaskDefinition: aws.String("cb"), DesiredCount: aws.Int32(2),
		DeploymentConfiguration: &types.DeploymentConfiguration{DeploymentCircuitBreaker: &types.DeploymentCircuitBreaker{Enable: true, Rollback: true}},
	}))
	waitService(t, c, "jobs", "cb", "steady", steady)
	bad := webTaskDef("cb", 0)
	bad.ContainerDefinitions[0].Image = aws.String("crash:1")
	must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, bad))
	must[*ecs.UpdateServiceOutput](t)(c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("jobs"), Service: aws.String("cb"), TaskDefinition: aws.String("cb:2")}))
	s := waitService(t, c, "jobs", "cb", "rolled back", func(s types.Service) bool {
		return steady(s) && strings.HasSuffix(aws.ToString(s.TaskDefinition), "cb:1") && s.RunningCount == 2
	})
	sd := must[*ecs.ListServiceDeploymentsOutput](t)(c.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{Cluster: aws.String("jobs"), Service: aws.String("cb")}))
	var statuses []string
	for _, d := range sd.ServiceDeployments {
		statuses = append(statuses, string(d.Status))
	}
	if len(sd.ServiceDeployments) != 3 || statuses[1] != "ROLLBACK_SUCCESSFUL" {
		t.Fatalf("deployments after rollback: %v; events %v", statuses, eventMessages(s))
	}
}

// TestServicePlacementFailureEvent: a service whose tasks fit nowhere
// reports ECS's placement event.
func TestServicePlacementFailureEvent(t *testing.T) {
	ctx := context.Background()
	c, srv := taskEnv(t)
	a := registerInstance(t, c, srv, 1024, 1024)
	playAgent(t, a)
	big := webTaskDef("huge", 0)
	big.ContainerDefinitions[0].Memory = aws.Int32(4000)
	must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, big))
	must[*ecs.CreateServiceOutput](t)(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("jobs"), ServiceName: aws.String("huge"),
		TaskDefinition: aws.String("huge"), DesiredCount: aws.Int32(1)}))
	want := "(service huge) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance " + a.id + ") has insufficient memory available."
	waitService(t, c, "jobs", "huge", "reporting the placement failure", func(s types.Service) bool {
		for _, m := range eventMessages(s) {
			if strings.HasPrefix(m, want) {
				return true
			}
		}
		return false
	})
}
