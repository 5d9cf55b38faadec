package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/spf13/cobra"
)

// defaultEndpoint is where the CLI finds the server unless told otherwise.
const defaultEndpoint = "http://127.0.0.1:7150"

func newLogsCmd(_ *globalFlags) *cobra.Command {
	var (
		cluster, container, endpoint string
		follow                       bool
		interval                     time.Duration
	)
	cmd := &cobra.Command{
		Use:   "logs TASK",
		Short: "Print the awslogs output of a task's containers",
		Long: `Print what a task's containers wrote to stdout and stderr.

TASK is a task ID or ARN. The containers must use the awslogs log driver;
their output is read from the server's CloudWatch Logs API (log group
awslogs-group, stream <awslogs-stream-prefix>/<container>/<task id>), the
same events "aws logs get-log-events" returns. With several containers,
each line is prefixed with the container name.

With --follow, new output is printed as it arrives until the task has
stopped and nothing more comes, or until Ctrl-C.`,
		Example: `  wharf logs 0f1e2d3c4b5a69788796a5b4c3d2e1f0 --cluster web
  wharf logs arn:aws:ecs:us-east-1:000000000000:task/web/0f1e... --follow --container app`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			cfg := cliAWSConfig()
			ecsClient := ecs.NewFromConfig(cfg, func(o *ecs.Options) { o.BaseEndpoint = aws.String(endpoint) })
			logsClient := cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) { o.BaseEndpoint = aws.String(endpoint) })
			t := &taskLogs{ecs: ecsClient, logs: logsClient, cluster: cluster, task: args[0], out: cmd.OutOrStdout(), interval: interval}
			err := t.run(ctx, container, follow)
			if errors.Is(err, context.Canceled) && ctx.Err() != nil {
				return nil // Ctrl-C
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&cluster, "cluster", "default", "cluster of the task")
	f.StringVar(&container, "container", "", "print only this container's output")
	f.BoolVarP(&follow, "follow", "f", false, "keep printing new output until the task stops")
	f.StringVar(&endpoint, "endpoint", envOr("WHARF_ENDPOINT", defaultEndpoint), "wharf server URL (env WHARF_ENDPOINT)")
	f.DurationVar(&interval, "poll-interval", time.Second, "how often --follow asks for new output")
	cmd.AddCommand(newLogsBuildCmd())
	return cmd
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// cliAWSConfig is the SDK configuration of CLI commands: the standard AWS
// environment variables when set, harmless defaults otherwise.
func cliAWSConfig() aws.Config {
	region := envOr("AWS_REGION", envOr("AWS_DEFAULT_REGION", "us-east-1"))
	key, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if key == "" || secret == "" {
		key, secret = "wharf", "wharf"
	}
	return aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, os.Getenv("AWS_SESSION_TOKEN")),
		HTTPClient:  &http.Client{Timeout: 30 * time.Second},
	}
}

// logTarget is one container's log stream.
type logTarget struct {
	container     string
	group, stream string
	token         *string // forward position; nil before the first read
}

// streamsFor returns the log streams of a task's awslogs containers, in
// task definition order: <prefix>/<container>/<task id>, or the container's
// runtime ID without a prefix (what the agent names the stream then).
// only, if set, selects one container, which must use awslogs.
func streamsFor(defs []ecstypes.ContainerDefinition, containers []ecstypes.Container, taskID, only string) ([]*logTarget, error) {
	var out []*logTarget
	found := false
	for _, d := range defs {
		name := aws.ToString(d.Name)
		if only != "" && name != only {
			continue
		}
		found = true
		lc := d.LogConfiguration
		if lc == nil || lc.LogDriver != ecstypes.LogDriverAwslogs {
			if only != "" {
				return nil, fmt.Errorf("container %s does not use the awslogs log driver; its output is not kept", name)
			}
			continue
		}
		group := lc.Options["awslogs-group"]
		if group == "" {
			return nil, fmt.Errorf("container %s: awslogs-group is not set", name)
		}
		stream := ""
		if p := lc.Options["awslogs-stream-prefix"]; p != "" {
			stream = p + "/" + name + "/" + taskID
		} else {
			i := slices.IndexFunc(containers, func(c ecstypes.Container) bool { return aws.ToString(c.Name) == name })
			if i < 0 || aws.ToString(containers[i].RuntimeId) == "" {
				continue // not started yet: no stream
			}
			stream = aws.ToString(containers[i].RuntimeId)
		}
		out = append(out, &logTarget{container: name, group: group, stream: stream})
	}
	if only != "" && !found {
		return nil, fmt.Errorf("the task has no container named %s", only)
	}
	if len(out) == 0 {
		return nil, errors.New("no container of the task uses the awslogs log driver (logConfiguration.logDriver), so no output is kept")
	}
	return out, nil
}

// taskIDOf returns the ID at the end of a task ARN (or the ID itself).
func taskIDOf(ref string) string {
	return ref[strings.LastIndex(ref, "/")+1:]
}

type taskLogs struct {
	ecs      *ecs.Client
	logs     *cloudwatchlogs.Client
	cluster  string
	task     string
	out      io.Writer
	interval time.Duration
}

func (t *taskLogs) describe(ctx context.Context) (ecstypes.Task, error) {
	out, err := t.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(t.cluster), Tasks: []string{t.task}})
	if err != nil {
		return ecstypes.Task{}, err
	}
	if len(out.Tasks) == 0 {
		reason := "MISSING"
		if len(out.Failures) > 0 {
			reason = aws.ToString(out.Failures[0].Reason)
		}
		return ecstypes.Task{}, fmt.Errorf("task %s not found in cluster %s (%s)", t.task, t.cluster, reason)
	}
	return out.Tasks[0], nil
}

func (t *taskLogs) run(ctx context.Context, only string, follow bool) error {
	task, err := t.describe(ctx)
	if err != nil {
		return err
	}
	td, err := t.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: task.TaskDefinitionArn})
	if err != nil {
		return fmt.Errorf("task definition of %s: %w", t.task, err)
	}
	taskID := taskIDOf(aws.ToString(task.TaskArn))
	targets, err := streamsFor(td.TaskDefinition.ContainerDefinitions, task.Containers, taskID, only)
	if err != nil {
		return err
	}
	prefix := len(targets) > 1
	stopped := false
	for {
		n, err := t.printNew(ctx, targets, prefix)
		if err != nil {
			return err
		}
		if !follow || (stopped && n == 0) {
			return nil
		}
		if !stopped {
			// Output may still be in flight when the task is seen STOPPED:
			// one more round after that.
			task, err := t.describe(ctx)
			if err != nil {
				return err
			}
			stopped = aws.ToString(task.LastStatus) == "STOPPED"
			if stopped {
				continue
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(t.interval):
		}
	}
}

type streamEvent struct {
	container string
	event     logstypes.OutputLogEvent
}

// printNew prints the events added to the targets' streams since the last
// call, in timestamp order, and returns how many it printed.
func (t *taskLogs) printNew(ctx context.Context, targets []*logTarget, prefix bool) (int, error) {
	var events []streamEvent
	for _, tg := range targets {
		evs, err := fetchNew(ctx, t.logs, tg)
		if err != nil {
			return 0, err
		}
		for _, e := range evs {
			events = append(events, streamEvent{tg.container, e})
		}
	}
	slices.SortStableFunc(events, func(a, b streamEvent) int {
		return cmp.Compare(aws.ToInt64(a.event.Timestamp), aws.ToInt64(b.event.Timestamp))
	})
	for _, e := range events {
		msg := aws.ToString(e.event.Message)
		if prefix {
			msg = e.container + " | " + msg
		}
		if _, err := fmt.Fprintln(t.out, msg); err != nil {
			return 0, err
		}
	}
	return len(events), nil
}

// fetchNew reads a stream forward from the target's position until the
// server hands the same token back, and advances the position. A stream
// that does not exist yet has no events.
func fetchNew(ctx context.Context, c *cloudwatchlogs.Client, tg *logTarget) ([]logstypes.OutputLogEvent, error) {
	var out []logstypes.OutputLogEvent
	for {
		in := &cloudwatchlogs.GetLogEventsInput{
			LogGroupName: aws.String(tg.group), LogStreamName: aws.String(tg.stream),
			StartFromHead: aws.Bool(true), NextToken: tg.token,
		}
		resp, err := c.GetLogEvents(ctx, in)
		var nf *logstypes.ResourceNotFoundException
		if errors.As(err, &nf) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s %s: %w", tg.group, tg.stream, err)
		}
		out = append(out, resp.Events...)
		same := tg.token != nil && aws.ToString(resp.NextForwardToken) == *tg.token
		tg.token = resp.NextForwardToken
		if same || len(resp.Events) == 0 {
			return out, nil
		}
	}
}
