package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/bench/internal/benchkit"
	"github.com/wharfhq/wharf/internal/pipeline/providers/ecsdeploy"
)

// manualSample is the same change shipped by hand: the buildspec's
// commands in the work tree, then a new task definition revision and
// UpdateService, as the pipeline's deploy action does.
type manualSample struct {
	n         int
	tag       string
	load1     float64
	start     time.Time // go test started
	steps     []command // each command and API step
	updated   time.Time // UpdateService returned
	completed time.Time // the PRIMARY deployment COMPLETED (client)
	lb        lbResult
	roll      rollout
}

func (s manualSample) served() time.Duration      { return sub(s.lb.firstNew, s.start) }
func (s manualSample) allNew() time.Duration      { return sub(s.lb.allNew, s.start) }
func (s manualSample) completedAt() time.Duration { return sub(s.completed, s.start) }
func (s manualSample) step(prefix string) time.Duration {
	for _, c := range s.steps {
		if strings.HasPrefix(c.text, prefix) {
			return c.d
		}
	}
	return unknown
}

// manualRun changes the greeting to "hello n from" and ships it by hand.
func (w *wharf) manualRun(ctx context.Context, n int) (manualSample, error) {
	s := manualSample{n: n, tag: fmt.Sprintf("manual%d", n)}
	work := w.q.work()
	if err := setGreeting(work, n); err != nil {
		return s, err
	}
	uri := w.registry + "/" + name + ":" + s.tag
	// The buildspec's environment (examples/hello/buildspec.yml) and
	// GOCACHE=$WHARF_GOCACHE as the quickstart's project sets it.
	env := append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-trimpath -buildvcs=false", "GOTOOLCHAIN=local", "GOCACHE="+w.gocache)
	cmds := [][]string{
		{"go", "test", "./..."},
		{"go", "build", "-ldflags", "-s -w -X main.version=" + s.tag, "-o", "app", "."},
		{"docker", "build", "--quiet", "--label", "wharf.example=hello", "-t", uri, "."},
		{"docker", "push", "--quiet", uri},
	}

	old, err := w.runningTasks(ctx)
	if err != nil {
		return s, err
	}
	lb := startLBPoller(ctx, w.q.lbURL(), w.poll)
	th := w.startTargetPoller(ctx)
	stop := func() {
		s.lb = analyse(lb.stop(), prefix(n))
		s.roll = th.stop(time.Time{})
	}
	s.load1 = loadavg()
	s.start = time.Now()
	for _, c := range cmds {
		t := time.Now()
		cmd := exec.CommandContext(ctx, c[0], c[1:]...)
		cmd.Dir, cmd.Env = work, env
		if out, err := cmd.CombinedOutput(); err != nil {
			stop()
			return s, fmt.Errorf("%s: %v\n%s", strings.Join(c, " "), err, out)
		}
		s.steps = append(s.steps, command{text: strings.Join(c, " "), d: time.Since(t)})
	}

	t := time.Now()
	next, err := w.registerRevision(ctx, uri)
	if err != nil {
		stop()
		return s, err
	}
	s.steps = append(s.steps, command{text: "RegisterTaskDefinition", d: time.Since(t)})
	t = time.Now()
	if _, err := w.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String(name),
		TaskDefinition: aws.String(next)}); err != nil {
		stop()
		return s, fmt.Errorf("update service: %w", err)
	}
	s.updated = time.Now()
	s.steps = append(s.steps, command{text: "UpdateService", d: s.updated.Sub(t)})

	err = w.waitCompleted(ctx, next, &s)
	if err == nil {
		for deadline := time.Now().Add(time.Minute); !lb.seen(prefix(n)) && time.Now().Before(deadline); {
			if err = benchkit.Sleep(ctx, w.poll); err != nil {
				break
			}
		}
	}
	stop()
	if err != nil {
		return s, err
	}
	if s.lb.firstNew.IsZero() {
		return s, fmt.Errorf("%s never answered %q", w.q.lbURL(), prefix(n))
	}
	return s, w.taskTimes(ctx, &s.roll, old)
}

// registerRevision registers a revision of the service's task definition
// with container web's image replaced, as the ECS deploy action does.
func (w *wharf) registerRevision(ctx context.Context, image string) (string, error) {
	svc, err := w.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{name}})
	if err != nil || len(svc.Services) != 1 {
		return "", fmt.Errorf("describe services: %v", err)
	}
	cur, err := w.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: svc.Services[0].TaskDefinition, Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}})
	if err != nil {
		return "", fmt.Errorf("describe task definition: %w", err)
	}
	td := cur.TaskDefinition
	containers := slices.Clone(td.ContainerDefinitions)
	found := false
	for i := range containers {
		if aws.ToString(containers[i].Name) == "web" {
			containers[i].Image, found = aws.String(image), true
		}
	}
	if !found {
		return "", fmt.Errorf("task definition %s has no container web", aws.ToString(td.TaskDefinitionArn))
	}
	in := &ecs.RegisterTaskDefinitionInput{
		Family: td.Family, ContainerDefinitions: containers, Cpu: td.Cpu, Memory: td.Memory, NetworkMode: td.NetworkMode,
		RequiresCompatibilities: td.RequiresCompatibilities, ExecutionRoleArn: td.ExecutionRoleArn, TaskRoleArn: td.TaskRoleArn,
		Volumes: td.Volumes, PlacementConstraints: td.PlacementConstraints, PidMode: td.PidMode, IpcMode: td.IpcMode,
		ProxyConfiguration: td.ProxyConfiguration, InferenceAccelerators: td.InferenceAccelerators,
		EphemeralStorage: td.EphemeralStorage, RuntimePlatform: td.RuntimePlatform,
	}
	for _, tag := range cur.Tags {
		if k := aws.ToString(tag.Key); k != ecsdeploy.MarkerTag && !strings.HasPrefix(strings.ToLower(k), "aws:") {
			in.Tags = append(in.Tags, tag)
		}
	}
	out, err := w.ecs.RegisterTaskDefinition(ctx, in)
	if err != nil {
		return "", fmt.Errorf("register task definition: %w", err)
	}
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn), nil
}

// waitCompleted polls DescribeServices until the PRIMARY deployment, of
// taskDef, is COMPLETED.
func (w *wharf) waitCompleted(ctx context.Context, taskDef string, s *manualSample) error {
	deadline := time.Now().Add(10 * time.Minute)
	failures := 0
	for {
		if err := benchkit.Sleep(ctx, w.poll); err != nil {
			return err
		}
		out, err := w.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{name}})
		if err != nil || len(out.Services) != 1 {
			if failures++; failures > 5 {
				return fmt.Errorf("describe services: %v", err)
			}
			continue
		}
		failures = 0
		for _, d := range out.Services[0].Deployments {
			if aws.ToString(d.Status) != "PRIMARY" {
				continue
			}
			if aws.ToString(d.TaskDefinition) != taskDef {
				return fmt.Errorf("the PRIMARY deployment is of %s, not %s (rolled back?)", aws.ToString(d.TaskDefinition), taskDef)
			}
			switch d.RolloutState {
			case ecstypes.DeploymentRolloutStateCompleted:
				s.completed = time.Now()
				return nil
			case ecstypes.DeploymentRolloutStateFailed:
				return fmt.Errorf("deployment of %s failed: %s", taskDef, aws.ToString(d.RolloutStateReason))
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("deployment of %s not COMPLETED within 10m", taskDef)
		}
	}
}
