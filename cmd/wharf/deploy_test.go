package main

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/internal/api/ecs/ecswire"
)

const tdWeb6 = "arn:aws:ecs:us-east-1:000000000000:task-definition/web:6"
const tdWeb7 = "arn:aws:ecs:us-east-1:000000000000:task-definition/web:7"

func TestParseTaskDefinition(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // the document sent, marshalled; "" when an error is wanted
		wantErr  string
	}{
		{name: "register input",
			in:   `{"family":"web","containerDefinitions":[{"name":"app","image":"a:1","memory":64}],"cpu":"256"}`,
			want: `{"containerDefinitions":[{"name":"app","image":"a:1","memory":64}],"cpu":"256","family":"web"}`},
		{name: "describe output: read-only members dropped, tags kept",
			in: `{"taskDefinition":{"taskDefinitionArn":"arn:…:task-definition/web:6","family":"web","revision":6,"status":"ACTIVE",
				"containerDefinitions":[{"name":"app","image":"a:1"}],"compatibilities":["EC2"],"requiresAttributes":[],
				"registeredAt":1700000000,"registeredBy":"arn:aws:iam::000000000000:root"},"tags":[{"key":"team","value":"a"}]}`,
			want: `{"containerDefinitions":[{"name":"app","image":"a:1"}],"family":"web","tags":[{"key":"team","value":"a"}]}`},
		{name: "unknown member", in: `{"family":"web","containerDefinitions":[{"name":"app","image":"a:1","imagee":"x"}]}`, wantErr: `unknown field "imagee"`},
		{name: "missing family", in: `{"containerDefinitions":[{"name":"app","image":"a:1"}]}`, wantErr: "family"},
		{name: "not an object", in: `[1]`, wantErr: "not a JSON object"},
		{name: "empty", in: ``, wantErr: "not a JSON object"},
	}
	for _, tt := range tests {
		doc, err := parseTaskDefinition([]byte(tt.in))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got, _ := json.Marshal(doc)
		if string(got) != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

// The read-only list is exactly what DescribeTaskDefinition's taskDefinition
// has and RegisterTaskDefinition does not take.
func TestReadOnlyTaskDefMembersMatchModel(t *testing.T) {
	names := func(v any) []string {
		var out []string
		rt := reflect.TypeOf(v)
		for i := range rt.NumField() {
			out = append(out, strings.Split(rt.Field(i).Tag.Get("json"), ",")[0])
		}
		return out
	}
	register := names(ecswire.RegisterTaskDefinitionRequest{})
	var readOnly []string
	for _, n := range names(ecswire.TaskDefinition{}) {
		if !slices.Contains(register, n) {
			readOnly = append(readOnly, n)
		}
	}
	want := slices.Clone(readOnlyTaskDefMembers)
	slices.Sort(want)
	slices.Sort(readOnly)
	if !slices.Equal(readOnly, want) {
		t.Fatalf("read-only members of the model %v, list %v", readOnly, want)
	}
}

func TestWithImages(t *testing.T) {
	doc, err := parseTaskDefinition([]byte(`{"family":"web","containerDefinitions":[
		{"name":"app","image":"web:1","memory":64,"environment":[{"name":"A","value":"1"}]},
		{"name":"side","image":"envoy:1","essential":false}]}`))
	if err != nil {
		t.Fatal(err)
	}
	before, _ := json.Marshal(doc)
	out, err := doc.withImages([]imageFlag{{"app", "web:2"}})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(out["containerDefinitions"])
	want := `[{"environment":[{"name":"A","value":"1"}],"image":"web:2","memory":64,"name":"app"},{"essential":false,"image":"envoy:1","name":"side"}]`
	if string(got) != want {
		t.Errorf("containerDefinitions\n got %s\nwant %s", got, want)
	}
	if after, _ := json.Marshal(doc); string(after) != string(before) {
		t.Errorf("withImages changed its receiver: %s", after)
	}
	if _, err := doc.withImages([]imageFlag{{"api", "x:1"}}); err == nil || !strings.Contains(err.Error(), "containers: app, side") {
		t.Errorf("unknown container: error %v", err)
	}
}

func TestParseImageFlags(t *testing.T) {
	got, err := parseImageFlags([]string{"app=registry.local:5000/web:1.2", "side=envoy@sha256:abc"})
	if err != nil || !reflect.DeepEqual(got, []imageFlag{{"app", "registry.local:5000/web:1.2"}, {"side", "envoy@sha256:abc"}}) {
		t.Fatalf("parseImageFlags = %v, %v", got, err)
	}
	for _, bad := range [][]string{{"app"}, {"=x"}, {"app="}, {"a=1", "a=2"}} {
		if _, err := parseImageFlags(bad); err == nil {
			t.Errorf("parseImageFlags(%q): no error", bad)
		}
	}
}

func dep(id, status, td string, rollout ecstypes.DeploymentRolloutState, desired, running, pending, failed int32) ecstypes.Deployment {
	return ecstypes.Deployment{Id: aws.String(id), Status: aws.String(status), TaskDefinition: aws.String(td), RolloutState: rollout,
		RolloutStateReason: aws.String("ECS deployment " + id + " " + strings.ToLower(string(rollout)) + "."),
		DesiredCount:       desired, RunningCount: running, PendingCount: pending, FailedTasks: failed}
}

func svcWith(deps ...ecstypes.Deployment) ecstypes.Service {
	return ecstypes.Service{ServiceName: aws.String("web"), Status: aws.String("ACTIVE"), Deployments: deps}
}

func TestDecideRollout(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	target := rolloutTarget{deploymentID: "ecs-svc/2", taskDefinition: tdWeb7, deadline: now.Add(time.Minute), timeout: 10 * time.Minute}
	late := now.Add(2 * time.Minute)
	inProgress := dep("ecs-svc/2", "PRIMARY", tdWeb7, "IN_PROGRESS", 2, 1, 1, 0)
	old := dep("ecs-svc/1", "ACTIVE", tdWeb6, "COMPLETED", 2, 2, 0, 0)
	failed := dep("ecs-svc/2", "ACTIVE", tdWeb7, "FAILED", 2, 0, 0, 3)
	failed.RolloutStateReason = aws.String("ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1.")
	rollback := dep("ecs-svc/3", "PRIMARY", tdWeb6, "IN_PROGRESS", 2, 2, 0, 0)
	draining := svcWith(inProgress)
	draining.Status = aws.String("DRAINING")
	tests := []struct {
		name     string
		svc      ecstypes.Service
		now      time.Time
		result   rolloutResult
		code     int
		follow   string
		contains string
	}{
		{"in progress", svcWith(inProgress, old), now, rolloutInProgress, exitError, "", ""},
		{"completed", svcWith(dep("ecs-svc/2", "PRIMARY", tdWeb7, "COMPLETED", 2, 2, 0, 0)), now, rolloutCompleted, 0, "", "COMPLETED: web:7 is running 2/2 tasks"},
		{"completed, seen after the deadline", svcWith(dep("ecs-svc/2", "PRIMARY", tdWeb7, "COMPLETED", 2, 2, 0, 0)), late, rolloutCompleted, 0, "", "COMPLETED"},
		{"failed, rolling back", svcWith(rollback, failed, old), now, rolloutFailed, exitFailed, "", "deployment failed: ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1.\nthe service is rolling back to web:6 (deployment ecs-svc/3)"},
		{"failed without rollback", svcWith(dep("ecs-svc/2", "PRIMARY", tdWeb7, "FAILED", 2, 0, 0, 3), old), now, rolloutFailed, exitFailed, "", "deployment failed: ECS deployment ecs-svc/2 failed."},
		{"rolled back, ours no longer listed", svcWith(rollback), now, rolloutFailed, exitFailed, "", "deployment failed: deployment ecs-svc/2 of web:7 is no longer PRIMARY\nthe service moved on to web:6 (deployment ecs-svc/3)"},
		{"superseded by the same task definition", svcWith(dep("ecs-svc/4", "PRIMARY", tdWeb7, "IN_PROGRESS", 2, 0, 0, 0), inProgress), now, rolloutInProgress, exitError, "ecs-svc/4", "superseded"},
		{"timed out", svcWith(inProgress, old), late, rolloutTimedOut, exitTimedOut, "", "timed out after 10m0s waiting for deployment ecs-svc/2 (rolloutState IN_PROGRESS, 1/2 running, 1 pending, 0 failed)"},
		{"failed beats the deadline", svcWith(rollback, failed), late, rolloutFailed, exitFailed, "", "deployment failed"},
		{"service deleted", draining, now, rolloutGone, exitError, "", "DRAINING"},
	}
	for _, tt := range tests {
		v := decideRollout(tt.svc, target, tt.now)
		if v.result != tt.result || v.follow != tt.follow || !strings.Contains(v.message, tt.contains) {
			t.Errorf("%s: verdict %+v, want result %d follow %q message containing %q", tt.name, v, tt.result, tt.follow, tt.contains)
		}
		if v.result != rolloutInProgress && v.exitCode() != tt.code {
			t.Errorf("%s: exit code %d, want %d", tt.name, v.exitCode(), tt.code)
		}
	}
}

func TestExplainReplaced(t *testing.T) {
	v := rolloutVerdict{result: rolloutFailed, replacedBy: &ecstypes.Deployment{Id: aws.String("ecs-svc/3"), TaskDefinition: aws.String(tdWeb6)}}
	breaker := "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1."
	tests := []struct {
		sd   ecstypes.ServiceDeployment
		want string
	}{
		{ecstypes.ServiceDeployment{Status: "ROLLBACK_IN_PROGRESS", StatusReason: aws.String(breaker), Rollback: &ecstypes.Rollback{Reason: aws.String(breaker)}},
			"deployment failed: " + breaker + "\nthe service is rolling back to web:6 (deployment ecs-svc/3)"},
		{ecstypes.ServiceDeployment{Status: "ROLLBACK_SUCCESSFUL", StatusReason: aws.String("rolled back to the previous deployment"), Rollback: &ecstypes.Rollback{Reason: aws.String(breaker)}},
			"deployment failed: " + breaker + "\nthe service rolled back to web:6 (deployment ecs-svc/3)"},
		{ecstypes.ServiceDeployment{Status: "ROLLBACK_FAILED", StatusReason: aws.String("the rollback deployment failed")},
			"deployment failed: the rollback deployment failed\nthe rollback to web:6 (deployment ecs-svc/3) failed as well"},
		{ecstypes.ServiceDeployment{Status: "STOPPED", StatusReason: aws.String("superseded by deployment ecs-svc/3")},
			"deployment failed: STOPPED: superseded by deployment ecs-svc/3\nthe service moved on to web:6 (deployment ecs-svc/3)"},
	}
	for _, tt := range tests {
		if got := explainReplaced(v, tt.sd); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.sd.Status, got, tt.want)
		}
	}
}

func event(id, msg string, at time.Time) ecstypes.ServiceEvent {
	return ecstypes.ServiceEvent{Id: aws.String(id), Message: aws.String(msg), CreatedAt: aws.Time(at)}
}

// rolloutSnapshots is a rollout of web:7 over web:6 as DescribeServices
// reports it, poll by poll.
func rolloutSnapshots(t0 time.Time) (ecstypes.Service, []ecstypes.Service) {
	old := dep("ecs-svc/1", "PRIMARY", tdWeb6, "COMPLETED", 2, 2, 0, 0)
	steady := event("e0", "(service web) has reached a steady state.", t0.Add(-time.Hour))
	baseline := svcWith(old)
	baseline.Events = []ecstypes.ServiceEvent{steady}
	old.Status = aws.String("ACTIVE")
	started := event("e1", "(service web) has started 2 tasks: (task a) (task b).", t0.Add(time.Second))
	stopped := event("e2", "(service web) has stopped 2 running tasks: (task c) (task d).", t0.Add(5*time.Second))
	done := event("e3", "(service web) (deployment ecs-svc/2) deployment completed.", t0.Add(6*time.Second))
	s1 := svcWith(dep("ecs-svc/2", "PRIMARY", tdWeb7, "IN_PROGRESS", 2, 0, 2, 0), old)
	s1.Events = []ecstypes.ServiceEvent{started, steady}
	s2 := s1 // nothing changed
	s3 := svcWith(dep("ecs-svc/2", "PRIMARY", tdWeb7, "IN_PROGRESS", 2, 2, 0, 0), old)
	s3.Events = []ecstypes.ServiceEvent{stopped, started, steady}
	s4 := svcWith(dep("ecs-svc/2", "PRIMARY", tdWeb7, "COMPLETED", 2, 2, 0, 0))
	s4.Events = []ecstypes.ServiceEvent{done, stopped, started, steady}
	return baseline, []ecstypes.Service{s1, s2, s3, s4}
}

func TestRolloutWatchPlainLines(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	baseline, snaps := rolloutSnapshots(t0)
	w := newRolloutWatch("Deploying web:7", baseline, t0)
	want := [][]string{
		{"event: (service web) has started 2 tasks: (task a) (task b).",
			"ecs-svc/2 PRIMARY web:7 IN_PROGRESS desired=2 running=0 pending=2 failed=0",
			"ecs-svc/1 ACTIVE web:6 COMPLETED desired=2 running=2 pending=0 failed=0"},
		nil,
		{"event: (service web) has stopped 2 running tasks: (task c) (task d).",
			"ecs-svc/2 PRIMARY web:7 IN_PROGRESS desired=2 running=2 pending=0 failed=0"},
		{"event: (service web) (deployment ecs-svc/2) deployment completed.",
			"ecs-svc/2 PRIMARY web:7 COMPLETED desired=2 running=2 pending=0 failed=0",
			"ecs-svc/1 INACTIVE (no longer listed)"},
	}
	for i, s := range snaps {
		if got := w.step(s); !slices.Equal(got, want[i]) {
			t.Errorf("snapshot %d:\n got %q\nwant %q", i+1, got, want[i])
		}
	}
	failed := dep("ecs-svc/2", "PRIMARY", tdWeb7, "FAILED", 2, 0, 0, 3)
	failed.RolloutStateReason = aws.String("ECS deployment circuit breaker: task failed to start.")
	if got := w.step(svcWith(failed)); len(got) != 1 || got[0] != "ecs-svc/2 PRIMARY web:7 FAILED desired=2 running=0 pending=0 failed=3: ECS deployment circuit breaker: task failed to start." {
		t.Errorf("failed: %q", got)
	}
}

func TestRolloutWatchFrame(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.Local)
	baseline, snaps := rolloutSnapshots(t0)
	w := newRolloutWatch("Deploying web:7 to service web (cluster prod)", baseline, t0)
	w.step(snaps[0])
	w.step(snaps[2])
	got := w.frame(snaps[2], t0.Add(12*time.Second+300*time.Millisecond))
	want := []string{
		"Deploying web:7 to service web (cluster prod) · 12s",
		"",
		"DEPLOYMENT  STATUS   TASK DEFINITION  ROLLOUT      DESIRED  RUNNING  PENDING  FAILED",
		"ecs-svc/2   PRIMARY  web:7            IN_PROGRESS  2        2        0        0",
		"ecs-svc/1   ACTIVE   web:6            COMPLETED    2        2        0        0",
		"",
		"Events since the update:",
		"  12:00:01  (service web) has started 2 tasks: (task a) (task b).",
		"  12:00:05  (service web) has stopped 2 running tasks: (task c) (task d).",
	}
	if !slices.Equal(got, want) {
		t.Errorf("frame:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	empty := newRolloutWatch("x", baseline, t0).frame(svcWith(), t0)
	if empty[len(empty)-1] != "  (none yet)" {
		t.Errorf("frame without events ends %q", empty[len(empty)-1])
	}
}

func TestProgressPrinter(t *testing.T) {
	var b strings.Builder
	p := &progressPrinter{out: &b, tty: true, width: func() int { return 10 }}
	p.draw([]string{"one", "a line longer than ten"})
	p.draw([]string{"two"})
	want := "one\x1b[K\na line l…\x1b[K\n\x1b[J" + "\x1b[2A\rtwo\x1b[K\n\x1b[J"
	if b.String() != want {
		t.Errorf("tty output %q, want %q", b.String(), want)
	}
	b.Reset()
	p = &progressPrinter{out: &b}
	p.say(time.Date(2026, 3, 1, 12, 0, 5, 0, time.UTC), "deployment failed: %s\nsecond line", "why")
	if want := "2026-03-01T12:00:05Z deployment failed: why\n2026-03-01T12:00:05Z second line\n"; b.String() != want {
		t.Errorf("plain output %q, want %q", b.String(), want)
	}
}

func TestStoppedTaskLinesAndFailedContainer(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 5, 0, time.Local)
	crashed := ecstypes.Task{TaskArn: aws.String("arn:aws:ecs:us-east-1:000000000000:task/prod/0f1e2d"), TaskDefinitionArn: aws.String(tdWeb7),
		StopCode: ecstypes.TaskStopCodeEssentialContainerExited, StoppedReason: aws.String("Essential container in task exited"), StoppedAt: aws.Time(at),
		Containers: []ecstypes.Container{{Name: aws.String("side"), ExitCode: aws.Int32(0)}, {Name: aws.String("app"), ExitCode: aws.Int32(7)}}}
	pull := ecstypes.Task{TaskArn: aws.String("arn:aws:ecs:us-east-1:000000000000:task/prod/aabbcc"), TaskDefinitionArn: aws.String(tdWeb7),
		StopCode: ecstypes.TaskStopCodeTaskFailedToStart, StoppedReason: aws.String("CannotPullContainerError: not found"),
		Containers: []ecstypes.Container{{Name: aws.String("app"), Reason: aws.String("CannotPullContainerError: not found")}}}
	want := []string{
		"task 0f1e2d (web:7) stopped at 12:00:05: EssentialContainerExited: Essential container in task exited",
		"  container side: exit code 0",
		"  container app: exit code 7",
	}
	if got := stoppedTaskLines(crashed); !slices.Equal(got, want) {
		t.Errorf("stoppedTaskLines:\n got %q\nwant %q", got, want)
	}
	if got := stoppedTaskLines(pull); got[1] != "  container app: no exit code (CannotPullContainerError: not found)" || !strings.Contains(got[0], "stopped at -: TaskFailedToStart") {
		t.Errorf("stoppedTaskLines(pull) = %q", got)
	}
	got := failedContainers([]ecstypes.Task{pull, crashed, crashed, crashed})
	if len(got) != maxLogCandidates || got[0].container != "app" || got[0].task.TaskArn != crashed.TaskArn {
		t.Errorf("failedContainers prefers non-zero exit codes: %+v", got)
	}
	if got := failedContainers([]ecstypes.Task{pull, crashed}); len(got) != 2 || got[1].task.TaskArn != pull.TaskArn {
		t.Errorf("failedContainers falls back to containers with a reason: %+v", got)
	}
	if got := failedContainers([]ecstypes.Task{{Containers: []ecstypes.Container{{Name: aws.String("app"), ExitCode: aws.Int32(0)}}}}); len(got) != 0 {
		t.Errorf("failedContainers picked a clean exit: %+v", got)
	}
}
