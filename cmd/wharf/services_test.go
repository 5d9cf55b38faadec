package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/internal/api/awsjson"
	"github.com/wharfhq/wharf/internal/api/ecs/ecswire"
	"github.com/wharfhq/wharf/internal/testutil/wharftest"
)

func TestServicesTable(t *testing.T) {
	svcs := []ecswire.Service{
		{ServiceName: "api", Status: "ACTIVE", DesiredCount: 3, RunningCount: 2, PendingCount: 1, TaskDefinition: tdWeb7,
			Deployments: []ecswire.Deployment{{Id: "ecs-svc/2", Status: "PRIMARY", RolloutState: "IN_PROGRESS"}, {Id: "ecs-svc/1", Status: "ACTIVE", RolloutState: "COMPLETED"}}},
		{ServiceName: "old", Status: "DRAINING"},
	}
	var b bytes.Buffer
	if err := writeServicesTable(&b, svcs); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"NAME  STATUS    DESIRED  RUNNING  PENDING  TASK DEFINITION  ROLLOUT\n" +
		"api   ACTIVE    3        2        1        web:7            IN_PROGRESS\n" +
		"old   DRAINING  0        0        0        -                -\n"
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestTasksTable(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tasks := []ecswire.Task{
		{TaskArn: "arn:aws:ecs:us-east-1:000000000000:task/prod/0123456789abcdef0123456789abcdef", Group: "service:web", TaskDefinitionArn: tdWeb7,
			LastStatus: "RUNNING", HealthStatus: "HEALTHY", StartedAt: awsjson.NewTimestamp(now.Add(-90 * time.Second)),
			Containers: []ecswire.Container{{Name: "app", NetworkBindings: []ecswire.NetworkBinding{{HostPort: aws.Int32(32768), ContainerPort: aws.Int32(8080), Protocol: "tcp"}}},
				{Name: "metrics", NetworkBindings: []ecswire.NetworkBinding{{HostPort: aws.Int32(9100), ContainerPort: aws.Int32(9100), Protocol: "udp"}}}}},
		{TaskArn: "arn:aws:ecs:us-east-1:000000000000:task/prod/fedcba9876543210", Group: "family:job", TaskDefinitionArn: tdWeb6, LastStatus: "PROVISIONING",
			Containers: []ecswire.Container{{Name: "app", NetworkInterfaces: []ecswire.NetworkInterface{{PrivateIpv4Address: "172.30.0.5"}}}}},
	}
	var b bytes.Buffer
	if err := writeTasksTable(&b, tasks, now); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"ID            GROUP        TASK DEFINITION  LAST STATUS   HEALTH   STARTED  PORTS\n" +
		"0123456789ab  service:web  web:7            RUNNING       HEALTHY  1m ago   32768->8080/tcp, 9100->9100/udp\n" +
		"fedcba987654  family:job   web:6            PROVISIONING  -        -        172.30.0.5\n"
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
	for d, want := range map[time.Duration]string{-time.Second: "0s ago", 59 * time.Second: "59s ago", 2 * time.Hour: "2h ago", 72 * time.Hour: "3d ago"} {
		if got := ago(d); got != want {
			t.Errorf("ago(%s) = %s, want %s", d, got, want)
		}
	}
}

// runCLI runs a wharf command in-process; only for commands that end
// with exit status 0 or 1 (the others end the process).
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

// TestListAndDeployCommands drives services, ps, deploy --no-wait and deploy
// cancel --no-wait against an in-process server (no agent, so no task
// ever starts).
func TestListAndDeployCommands(t *testing.T) {
	srv := wharftest.Start(t)
	url := srv.URL()
	c := wharftest.ECS(url)
	ctx := context.Background()
	if _, err := c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("c1")}); err != nil {
		t.Fatal(err)
	}
	_, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("web"), ContainerDefinitions: []ecstypes.ContainerDefinition{
		{Name: aws.String("app"), Image: aws.String("busybox:1"), Memory: aws.Int32(64), Environment: []ecstypes.KeyValuePair{{Name: aws.String("VERSION"), Value: aws.String("v1")}}},
		{Name: aws.String("side"), Image: aws.String("envoy:1"), Memory: aws.Int32(32), Essential: aws.Bool(false)}}})
	if err != nil {
		t.Fatal(err)
	}
	// Desired 0: the first deployment completes at once and is the
	// rollback target of cancel.
	if _, err := c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("c1"), ServiceName: aws.String("web"), TaskDefinition: aws.String("web"), DesiredCount: aws.Int32(0)}); err != nil {
		t.Fatal(err)
	}
	common := []string{"--endpoint", url, "--cluster", "c1"}

	out, err := runCLI(t, append([]string{"services", "-o", "json"}, common...)...)
	var listed struct{ Services []ecswire.Service }
	if err != nil || json.Unmarshal([]byte(out), &listed) != nil || len(listed.Services) != 1 || listed.Services[0].ServiceName != "web" || len(listed.Services[0].Deployments) != 1 {
		t.Fatalf("services -o json: %v\n%s", err, out)
	}
	if out, err := runCLI(t, append([]string{"ps", "-o", "json"}, common...)...); err != nil || strings.TrimSpace(out) != `{
    "tasks": []
}` {
		t.Fatalf("ps -o json: %v\n%s", err, out)
	}
	if out, err := runCLI(t, append([]string{"ps", "--service", "web", "--all"}, common...)...); err != nil || !strings.HasPrefix(out, "ID ") {
		t.Fatalf("ps: %v\n%s", err, out)
	}

	// --image: the current revision with one image replaced.
	if _, err := c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("c1"), Service: aws.String("web"), DesiredCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	out, err = runCLI(t, append([]string{"deploy", "--service", "web", "--image", "app=busybox:2", "--no-wait", "--progress", "plain"}, common...)...)
	if err != nil || !strings.Contains(out, "registered task definition web:2") || !strings.Contains(out, "deployment ecs-svc/") {
		t.Fatalf("deploy --image: %v\n%s", err, out)
	}
	td, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("web:2")})
	if err != nil {
		t.Fatal(err)
	}
	defs := td.TaskDefinition.ContainerDefinitions
	if aws.ToString(defs[0].Image) != "busybox:2" || aws.ToString(defs[1].Image) != "envoy:1" || aws.ToInt32(defs[0].Memory) != 64 ||
		len(defs[0].Environment) != 1 || aws.ToBool(defs[1].Essential) {
		t.Fatalf("web:2 = %+v", defs)
	}
	out, err = runCLI(t, append([]string{"services"}, common...)...)
	if err != nil || !strings.Contains(out, "web:2") || !strings.Contains(out, "IN_PROGRESS") {
		t.Fatalf("services: %v\n%s", err, out)
	}

	// --task-definition with describe-task-definition output.
	raw, err := json.Marshal(map[string]any{"taskDefinition": map[string]any{"family": "web", "revision": 2, "status": "ACTIVE",
		"containerDefinitions": []map[string]any{{"name": "app", "image": "busybox:3", "memory": 64}}}})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "td.json")
	if err := os.WriteFile(file, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = runCLI(t, append([]string{"deploy", "--service", "web", "--task-definition", file, "--no-wait", "--progress", "plain"}, common...)...)
	if err != nil || !strings.Contains(out, "registered task definition web:3") {
		t.Fatalf("deploy --task-definition: %v\n%s", err, out)
	}

	// cancel: the rollback deployment of web:1 becomes PRIMARY.
	out, err = runCLI(t, append([]string{"deploy", "cancel", "--service", "web", "--no-wait", "--progress", "plain"}, common...)...)
	if err != nil || !strings.Contains(out, "rolling back to web:1") {
		t.Fatalf("deploy cancel: %v\n%s", err, out)
	}
	svc, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("c1"), Services: []string{"web"}})
	if err != nil || !strings.HasSuffix(aws.ToString(svc.Services[0].TaskDefinition), "web:1") {
		t.Fatalf("after cancel: %v %+v", err, svc)
	}
	if _, err := runCLI(t, append([]string{"deploy", "--service", "nope", "--image", "app=x", "--no-wait"}, common...)...); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("deploy to a missing service: %v", err)
	}
}
