package ecs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/wharfhq/wharf/internal/lbapi"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/testutil/wharftest"
)

// TestServiceBehindLoadBalancer: tasks are registered as targets, count as
// healthy once their target is, and a target failing health checks gets
// its task replaced with ECS's reason and event.
func TestServiceBehindLoadBalancer(t *testing.T) {
	ctx := context.Background()
	c, srv := taskEnv(t)
	agent := registerInstance(t, c, srv, 4096, 4096)
	lbc := wharftest.ELBv2(srv.URL())

	// A scripted agent that binds container port 8080 to host port 40000+n.
	// Cleanups run last-in first-out: this one, registered after the
	// server's, stops the goroutine before the server shuts down.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	t.Cleanup(func() { close(stop); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		ports := map[string]int32{}
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, dt := range agent.desired().Tasks {
				if _, ok := ports[dt.Task.ID]; !ok {
					ports[dt.Task.ID] = int32(40000 + len(ports))
				}
				st := model.TaskState{TaskARN: dt.Task.ARN, Version: time.Now().UnixNano(), LastStatus: model.TaskRunning,
					StartedAt: time.Now().Add(-time.Minute), HealthStatus: model.HealthHealthy,
					Containers: []model.ContainerState{{Name: "web", LastStatus: model.ContainerRunning, HealthStatus: model.HealthHealthy,
						NetworkBindings: []model.NetworkBinding{{BindIP: "0.0.0.0", ContainerPort: 8080, HostPort: ports[dt.Task.ID], Protocol: "tcp"}}}}}
				if dt.Task.DesiredStatus == model.DesiredStopped {
					st.LastStatus, st.StoppedAt = model.TaskStopped, time.Now()
				}
				agent.report(dt.Task.ID, st)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()

	lbOut := must[*elb.CreateLoadBalancerOutput](t)(lbc.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("web"), Subnets: []string{"s-a", "s-b"}}))
	tgOut := must[*elb.CreateTargetGroupOutput](t)(lbc.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("web"),
		Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(8080), VpcId: aws.String("vpc-1"), TargetType: elbtypes.TargetTypeEnumInstance}))
	tg := tgOut.TargetGroups[0].TargetGroupArn
	must[*elb.ModifyTargetGroupAttributesOutput](t)(lbc.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: tg,
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("0")}}}))

	must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, webTaskDef("web", 0)))
	svcIn := &ecs.CreateServiceInput{Cluster: aws.String("jobs"), ServiceName: aws.String("web"), TaskDefinition: aws.String("web"), DesiredCount: aws.Int32(2),
		LoadBalancers: []types.LoadBalancer{{TargetGroupArn: tg, ContainerName: aws.String("web"), ContainerPort: aws.Int32(8080)}}}
	_, err := c.CreateService(ctx, svcIn)
	if e := wantErr[*types.InvalidParameterException](t, err); !strings.Contains(aws.ToString(e.Message), "does not have an associated load balancer") {
		t.Fatalf("message = %s", aws.ToString(e.Message))
	}
	must[*elb.CreateListenerOutput](t)(lbc.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lbOut.LoadBalancers[0].LoadBalancerArn,
		Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(int32(freeTCPPort(t))),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tg}}}))
	must[*ecs.CreateServiceOutput](t)(c.CreateService(ctx, svcIn))

	// Targets are registered; until the data plane reports them healthy the
	// rollout does not complete.
	var targets []elbtypes.TargetHealthDescription
	deadline := time.Now().Add(20 * time.Second)
	for len(targets) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("targets not registered: %+v", targets)
		}
		time.Sleep(50 * time.Millisecond)
		targets = must[*elb.DescribeTargetHealthOutput](t)(lbc.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: tg})).TargetHealthDescriptions
	}
	time.Sleep(500 * time.Millisecond)
	if s := must[*ecs.DescribeServicesOutput](t)(c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("jobs"), Services: []string{"web"}})); steady(s.Services[0]) {
		t.Fatalf("steady before any target was healthy")
	}
	report := func(state, reason string) {
		rep := lbapi.HealthReport{Targets: map[string]map[string]model.TargetHealth{aws.ToString(tg): {}}}
		for i, th := range targets {
			st := model.TargetHealth{State: model.TargetHealthy, UpdatedAt: time.Now()}
			if i == 0 && state != "" {
				st = model.TargetHealth{State: state, Reason: reason, Description: "Health checks failed with these codes: [500]", UpdatedAt: time.Now()}
			}
			rep.Targets[aws.ToString(tg)][lbapi.TargetKey(aws.ToString(th.Target.Id), aws.ToInt32(th.Target.Port))] = st
		}
		buf, _ := json.Marshal(rep)
		req, _ := http.NewRequest(http.MethodPut, srv.URL()+"/lb/v1/health", bytes.NewReader(buf))
		req.Header.Set("Authorization", "Bearer "+srv.AgentToken())
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusNoContent {
			t.Fatalf("health report: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	report("", "")
	waitService(t, c, "jobs", "web", "steady once targets are healthy", steady)

	// The first target fails its health checks: its task is replaced.
	report(model.TargetUnhealthy, "Target.ResponseCodeMismatch")
	s := waitService(t, c, "jobs", "web", "replacing the unhealthy task", func(s types.Service) bool {
		for _, m := range eventMessages(s) {
			if strings.Contains(m, "is unhealthy in (target-group "+aws.ToString(tg)+") due to (reason Health checks failed") {
				return true
			}
		}
		return false
	})
	stopped := must[*ecs.ListTasksOutput](t)(c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("jobs"), DesiredStatus: types.DesiredStatusStopped}))
	if len(stopped.TaskArns) == 0 {
		t.Fatalf("no task stopped; events %v", eventMessages(s))
	}
	dt := must[*ecs.DescribeTasksOutput](t)(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("jobs"), Tasks: stopped.TaskArns}))
	if want := "Task failed ELB health checks in (target-group " + aws.ToString(tg) + ")"; aws.ToString(dt.Tasks[0].StoppedReason) != want {
		t.Fatalf("stoppedReason = %q, want %q", aws.ToString(dt.Tasks[0].StoppedReason), want)
	}
	var sawRegistered, sawDraining bool
	for _, m := range eventMessages(s) {
		sawRegistered = sawRegistered || strings.Contains(m, " targets in (target-group "+aws.ToString(tg)+")") && strings.Contains(m, "registered")
		sawDraining = sawDraining || strings.Contains(m, "has begun draining connections on 1 tasks.")
	}
	if !sawRegistered || !sawDraining {
		t.Fatalf("events = %v", eventMessages(s))
	}
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := netListen()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func netListen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
