package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/bench/internal/benchkit"
	"github.com/wharfhq/wharf/internal/testutil/wharftest"
)

const (
	family      = "deploybench"
	serviceName = "deploybench"
)

// service drives the benchmark's service through the ECS API.
type service struct {
	ecs      *ecs.Client
	cluster  string
	image    string
	interval int
	desired  int
	poll     time.Duration
}

// newService creates the cluster, waits for the local agent's container
// instance, registers revision 1, creates the service and waits until it
// is steady.
func newService(ctx context.Context, url string, o options, image string) (*service, error) {
	w := &service{ecs: wharftest.ECS(url), cluster: o.cluster, image: image, interval: o.interval, desired: o.desired, poll: o.poll}
	if _, err := w.ecs.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(w.cluster)}); err != nil {
		return nil, fmt.Errorf("create cluster: %w", err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		out, err := w.ecs.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Cluster: aws.String(w.cluster)})
		if err == nil && len(out.ContainerInstanceArns) > 0 {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no container instance registered in %s within 1m (last error %v)", w.cluster, err)
		}
		if err := benchkit.Sleep(ctx, 100*time.Millisecond); err != nil {
			return nil, err
		}
	}
	if err := w.register(ctx, 1); err != nil {
		return nil, err
	}
	_, err := w.ecs.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String(w.cluster), ServiceName: aws.String(serviceName), TaskDefinition: aws.String(family + ":1"),
		DesiredCount: aws.Int32(int32(w.desired)),
	})
	if err != nil {
		return nil, fmt.Errorf("create service: %w", err)
	}
	if _, err := w.waitCompleted(ctx, "", 3*time.Minute); err != nil {
		return nil, fmt.Errorf("first deployment: %w", err)
	}
	return w, nil
}

// register registers revision rev of the health-checked test app.
func (w *service) register(ctx context.Context, rev int) error {
	out, err := w.ecs.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String(family), NetworkMode: types.NetworkModeBridge,
		ContainerDefinitions: []types.ContainerDefinition{{
			Name: aws.String("app"), Image: aws.String(w.image), Memory: aws.Int32(64), Essential: aws.Bool(true),
			PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}},
			Environment: []types.KeyValuePair{
				{Name: aws.String("LISTEN"), Value: aws.String(":8080")},
				{Name: aws.String("VERSION"), Value: aws.String(fmt.Sprintf("v%d", rev))},
			},
			HealthCheck: &types.HealthCheck{
				Command:  []string{"CMD", "/testapp", "healthcheck", "http://127.0.0.1:8080/health"},
				Interval: aws.Int32(int32(w.interval)), Timeout: aws.Int32(2), Retries: aws.Int32(1), StartPeriod: aws.Int32(0),
			},
			StopTimeout: aws.Int32(2),
		}},
	})
	if err != nil {
		return fmt.Errorf("register task definition: %w", err)
	}
	if got := out.TaskDefinition.Revision; got != int32(rev) {
		return fmt.Errorf("registered revision %d, want %d", got, rev)
	}
	return nil
}

func (w *service) describe(ctx context.Context) (types.Service, error) {
	out, err := w.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(w.cluster), Services: []string{serviceName}})
	if err != nil {
		return types.Service{}, fmt.Errorf("DescribeServices: %w", err)
	}
	if len(out.Services) != 1 {
		return types.Service{}, fmt.Errorf("DescribeServices: %d services, failures %+v", len(out.Services), out.Failures)
	}
	return out.Services[0], nil
}

func primary(s types.Service) (types.Deployment, bool) {
	for _, d := range s.Deployments {
		if aws.ToString(d.Status) == "PRIMARY" {
			return d, true
		}
	}
	return types.Deployment{}, false
}

// waitCompleted polls until the PRIMARY deployment (not prev) is
// COMPLETED and returns its ID.
func (w *service) waitCompleted(ctx context.Context, prev string, within time.Duration) (string, error) {
	deadline := time.Now().Add(within)
	failures := 0
	for {
		s, err := w.describe(ctx)
		if err != nil {
			// A keep-alive connection the server closed at the wrong moment
			// fails one call; only repeated failures end the run.
			if failures++; failures > 5 || ctx.Err() != nil {
				return "", err
			}
			progress("retrying: %v", err)
			continue
		}
		failures = 0
		if d, ok := primary(s); ok && aws.ToString(d.Id) != prev {
			switch d.RolloutState {
			case types.DeploymentRolloutStateCompleted:
				return aws.ToString(d.Id), nil
			case types.DeploymentRolloutStateFailed:
				return "", fmt.Errorf("deployment %s FAILED: %s", aws.ToString(d.Id), aws.ToString(d.RolloutStateReason))
			}
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no COMPLETED PRIMARY deployment within %s: %+v", within, s.Deployments)
		}
		if err := benchkit.Sleep(ctx, w.poll); err != nil {
			return "", err
		}
	}
}

// sample is one rolling deployment. Durations are from the UpdateService
// call unless said otherwise.
type sample struct {
	total time.Duration // PRIMARY COMPLETED seen by DescribeServices
	api   time.Duration // UpdateService returned

	firstTask   time.Duration // first new task's createdAt (controller reaction + placement)
	firstCreate time.Duration // first new container's Docker create
	lastStart   time.Duration // last new container's Docker start
	lastHealthy time.Duration // last new container's health_status: healthy
	firstKill   time.Duration // first old container's SIGTERM (Docker kill)
	lastKill    time.Duration // last old container's SIGTERM
	lastDie     time.Duration // last old container's exit
	lastStopped time.Duration // last old task's stoppedAt (agent report)

	startSpan  time.Duration   // S: last start − first create (the batch)
	perStart   []time.Duration // each new container: start − create
	toHealthy  []time.Duration // each new container: healthy − start
	stopReact  []time.Duration // k-th old kill − k-th new healthy (sorted)
	stopTime   []time.Duration // each old container: die − kill
	stopDone   []time.Duration // each old container: Docker stop event − die
	stopReport []time.Duration // each old task: stoppedAt − die
}

func (s sample) lowerBound() time.Duration {
	return s.startSpan + median(s.toHealthy) + median(s.stopTime)
}

func (s sample) ratio() float64 { return s.total.Seconds() / s.lowerBound().Seconds() }

// rollout rolls the service out to revision rev and measures it.
func (w *service) rollout(ctx context.Context, rev int, rec *recorder) (sample, error) {
	var s sample
	before, err := w.describe(ctx)
	if err != nil {
		return s, err
	}
	prevDep, ok := primary(before)
	if !ok || prevDep.RolloutState != types.DeploymentRolloutStateCompleted || len(before.Deployments) != 1 {
		return s, fmt.Errorf("service not steady before the rollout: %+v", before.Deployments)
	}
	prev := aws.ToString(prevDep.Id)
	if err := w.register(ctx, rev); err != nil {
		return s, err
	}
	t0 := time.Now()
	_, err = w.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(w.cluster), Service: aws.String(serviceName),
		TaskDefinition: aws.String(fmt.Sprintf("%s:%d", family, rev))})
	if err != nil {
		return s, fmt.Errorf("UpdateService: %w", err)
	}
	s.api = time.Since(t0)
	cur, err := w.waitCompleted(ctx, prev, 5*time.Minute)
	if err != nil {
		return s, err
	}
	s.total = time.Since(t0)

	tasks, err := w.tasks(ctx)
	if err != nil {
		return s, err
	}
	rel := func(t time.Time) time.Duration { return t.Sub(t0) }
	var newC, oldC []containerTimes
	var oldStopped []time.Time
	first := time.Time{}
	for _, tk := range tasks {
		by := aws.ToString(tk.StartedBy)
		if by != cur && by != prev {
			continue
		}
		if len(tk.Containers) != 1 {
			return s, fmt.Errorf("task %s has %d containers", aws.ToString(tk.TaskArn), len(tk.Containers))
		}
		ct, err := rec.times(aws.ToString(tk.Containers[0].RuntimeId))
		if err != nil {
			return s, err
		}
		if by == cur {
			newC = append(newC, ct)
			if c := aws.ToTime(tk.CreatedAt); first.IsZero() || c.Before(first) {
				first = c
			}
			continue
		}
		oldC = append(oldC, ct)
		oldStopped = append(oldStopped, aws.ToTime(tk.StoppedAt))
	}
	if len(newC) != w.desired || len(oldC) != w.desired {
		return s, fmt.Errorf("found %d new and %d old tasks, want %d each", len(newC), len(oldC), w.desired)
	}
	s.firstTask = rel(first)
	var firstCreate, lastStart, lastHealthy time.Time
	var healthy, kills []time.Time
	for _, c := range newC {
		if c.create.IsZero() || c.start.IsZero() || c.healthy.IsZero() {
			return s, fmt.Errorf("new container lacks create/start/healthy events: %+v", c)
		}
		if firstCreate.IsZero() || c.create.Before(firstCreate) {
			firstCreate = c.create
		}
		lastStart = later(lastStart, c.start)
		lastHealthy = later(lastHealthy, c.healthy)
		s.perStart = append(s.perStart, c.start.Sub(c.create))
		s.toHealthy = append(s.toHealthy, c.healthy.Sub(c.start))
		healthy = append(healthy, c.healthy)
	}
	var lastKill, lastDie, firstKill, lastStopped time.Time
	for i, c := range oldC {
		if c.kill.IsZero() || c.die.IsZero() {
			return s, fmt.Errorf("old container lacks kill/die events: %+v", c)
		}
		if firstKill.IsZero() || c.kill.Before(firstKill) {
			firstKill = c.kill
		}
		lastKill, lastDie, lastStopped = later(lastKill, c.kill), later(lastDie, c.die), later(lastStopped, oldStopped[i])
		s.stopTime = append(s.stopTime, c.die.Sub(c.kill))
		s.stopReport = append(s.stopReport, oldStopped[i].Sub(c.die))
		if !c.stop.IsZero() {
			s.stopDone = append(s.stopDone, c.stop.Sub(c.die))
		}
		kills = append(kills, c.kill)
	}
	slices.SortFunc(healthy, func(a, b time.Time) int { return a.Compare(b) })
	slices.SortFunc(kills, func(a, b time.Time) int { return a.Compare(b) })
	for i := range kills {
		s.stopReact = append(s.stopReact, kills[i].Sub(healthy[i]))
	}
	s.firstCreate, s.lastStart, s.lastHealthy = rel(firstCreate), rel(lastStart), rel(lastHealthy)
	s.firstKill, s.lastKill, s.lastDie, s.lastStopped = rel(firstKill), rel(lastKill), rel(lastDie), rel(lastStopped)
	s.startSpan = lastStart.Sub(firstCreate)
	return s, nil
}

// tasks describes every task of the service, running or stopped.
func (w *service) tasks(ctx context.Context) ([]types.Task, error) {
	var arns []string
	for _, ds := range []types.DesiredStatus{types.DesiredStatusRunning, types.DesiredStatusStopped} {
		p := ecs.NewListTasksPaginator(w.ecs, &ecs.ListTasksInput{Cluster: aws.String(w.cluster), ServiceName: aws.String(serviceName), DesiredStatus: ds})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("ListTasks: %w", err)
			}
			arns = append(arns, out.TaskArns...)
		}
	}
	var out []types.Task
	for i := 0; i < len(arns); i += 100 {
		d, err := w.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(w.cluster), Tasks: arns[i:min(i+100, len(arns))]})
		if err != nil {
			return nil, fmt.Errorf("DescribeTasks: %w", err)
		}
		out = append(out, d.Tasks...)
	}
	return out, nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
