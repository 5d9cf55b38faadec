package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/bench/internal/benchkit"
	"github.com/wharfhq/wharf/internal/testutil/wharftest"
)

const family = "taskbench"

// wharfRunner runs the test app as a wharf task.
type wharfRunner struct {
	ecs     *ecs.Client
	cluster string
	poll    time.Duration
	remove  func(ctx context.Context, id string)
}

// wharfSample is one wharf run. Every duration is from the RunTask call;
// the task timestamps come from the server and its agent (same host
// clock, millisecond resolution).
type wharfSample struct {
	api     time.Duration // RunTask returned
	pending time.Duration // first DescribeTasks showing PENDING or later (0: not seen)
	running time.Duration // first DescribeTasks showing RUNNING
	http    time.Duration // the app answered on its host port

	createdAt, pullStartedAt, pullStoppedAt, startedAt time.Duration
}

// newWharfRunner creates the cluster, waits for the local agent's
// container instance and registers the task definition.
func newWharfRunner(ctx context.Context, url, cluster, image string, poll time.Duration) (*wharfRunner, error) {
	w := &wharfRunner{ecs: wharftest.ECS(url), cluster: cluster, poll: poll}
	if _, err := w.ecs.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(cluster)}); err != nil {
		return nil, fmt.Errorf("create cluster: %w", err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		out, err := w.ecs.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Cluster: aws.String(cluster)})
		if err == nil && len(out.ContainerInstanceArns) > 0 {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no container instance registered in %s within 1m (last error %v)", cluster, err)
		}
		if err := benchkit.Sleep(ctx, 100*time.Millisecond); err != nil {
			return nil, err
		}
	}
	_, err := w.ecs.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String(family), NetworkMode: types.NetworkModeBridge,
		ContainerDefinitions: []types.ContainerDefinition{{
			Name: aws.String("app"), Image: aws.String(image), Memory: aws.Int32(64), Essential: aws.Bool(true),
			PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}},
			Environment:  []types.KeyValuePair{{Name: aws.String("LISTEN"), Value: aws.String(":8080")}},
		}},
	})
	if err != nil {
		return nil, fmt.Errorf("register task definition: %w", err)
	}
	return w, nil
}

// once runs one task until its app answers, then stops it and waits for
// STOPPED (not timed).
func (w *wharfRunner) once(ctx context.Context) (wharfSample, error) {
	var s wharfSample
	t0 := time.Now()
	out, err := w.ecs.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String(w.cluster), TaskDefinition: aws.String(family)})
	if err != nil {
		return s, fmt.Errorf("RunTask: %w", err)
	}
	s.api = time.Since(t0)
	if len(out.Tasks) != 1 {
		return s, fmt.Errorf("RunTask placed %d tasks: %+v", len(out.Tasks), out.Failures)
	}
	arn := aws.ToString(out.Tasks[0].TaskArn)
	defer w.stop(context.WithoutCancel(ctx), arn)

	var tk types.Task
	deadline := t0.Add(time.Minute)
	for {
		if tk, err = w.describe(ctx, arn); err != nil {
			return s, err
		}
		st := aws.ToString(tk.LastStatus)
		if s.pending == 0 && (st == "PENDING" || st == "ACTIVATING" || st == "RUNNING") {
			s.pending = time.Since(t0)
		}
		if st == "RUNNING" {
			s.running = time.Since(t0)
			break
		}
		if st == "STOPPED" || st == "DEPROVISIONING" || st == "STOPPING" || time.Now().After(deadline) {
			return s, fmt.Errorf("task %s is %s (reason %q), not RUNNING", arn, st, aws.ToString(tk.StoppedReason))
		}
		if err := benchkit.Sleep(ctx, w.poll); err != nil {
			return s, err
		}
	}
	rel := func(t *time.Time) time.Duration {
		if t == nil {
			return 0
		}
		return t.Sub(t0)
	}
	s.createdAt, s.pullStartedAt, s.pullStoppedAt, s.startedAt = rel(tk.CreatedAt), rel(tk.PullStartedAt), rel(tk.PullStoppedAt), rel(tk.StartedAt)
	if len(tk.Containers) != 1 || len(tk.Containers[0].NetworkBindings) == 0 {
		return s, fmt.Errorf("running task %s has no network binding", arn)
	}
	port := aws.ToInt32(tk.Containers[0].NetworkBindings[0].HostPort)
	if err := benchkit.WaitHTTP(ctx, fmt.Sprintf("http://127.0.0.1:%d/", port), w.poll, 30*time.Second); err != nil {
		return s, err
	}
	s.http = time.Since(t0)
	return s, nil
}

func (w *wharfRunner) describe(ctx context.Context, arn string) (types.Task, error) {
	out, err := w.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(w.cluster), Tasks: []string{arn}})
	if err != nil {
		return types.Task{}, fmt.Errorf("DescribeTasks: %w", err)
	}
	if len(out.Tasks) != 1 {
		return types.Task{}, fmt.Errorf("DescribeTasks %s: %d tasks, failures %+v", arn, len(out.Tasks), out.Failures)
	}
	return out.Tasks[0], nil
}

// stop stops a task, waits for STOPPED and removes its container (the
// agent keeps stopped containers for a minute).
func (w *wharfRunner) stop(ctx context.Context, arn string) {
	if _, err := w.ecs.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(w.cluster), Task: aws.String(arn), Reason: aws.String("taskbench")}); err != nil {
		progress("StopTask %s: %v", arn, err)
		return
	}
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		tk, err := w.describe(ctx, arn)
		if err == nil && aws.ToString(tk.LastStatus) == "STOPPED" {
			for _, c := range tk.Containers {
				if id := aws.ToString(c.RuntimeId); id != "" && w.remove != nil {
					w.remove(ctx, id)
				}
			}
			return
		}
		if benchkit.Sleep(ctx, 20*time.Millisecond) != nil {
			return
		}
	}
	progress("task %s not STOPPED within 1m", arn)
}
