package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/spf13/cobra"

	"github.com/wharfhq/wharf/internal/api/ecs/ecswire"
)

const deployExitCodes = `
Exit status:
  0    the deployment completed (with --no-wait: it was started)
  1    any other error: server unreachable, service not found, API errors
  2    usage error: bad flags or arguments, an unreadable or invalid task
       definition file, an --image naming no container; nothing was changed
  3    the deployment failed (rolloutState FAILED) or the service rolled
       back to another task definition
  4    --timeout passed before the rollout finished; it goes on on the server
  130  interrupted (Ctrl-C); the deployment goes on on the server`

const deployProgressHelp = `
Progress. When stdout is a terminal (and TERM is not "dumb") a view of the
service's deployments (id, status, task definition, rollout state, desired /
running / pending / failed tasks) and the service events since the update
is redrawn in place about once a second. Otherwise (CI, pipes, files) plain
lines are appended, each starting with a timestamp, and only for changes:
a new service event, a deployment whose state or counts changed.
--progress tty|plain overrides the detection.`

type deployFlags struct {
	cluster, service, endpoint, taskDefFile, progress string
	images                                            []string
	noWait                                            bool
	timeout, interval                                 time.Duration
}

func newDeployCmd() *cobra.Command {
	fl := &deployFlags{}
	cmd := &cobra.Command{
		Use:   "deploy --cluster C --service S (--task-definition FILE | --image CONTAINER=IMAGE ...)",
		Short: "Deploy a new task definition to a service and follow the rollout",
		Long: `Register a new task definition revision, update the service to it and follow
the rollout until it completes, fails or times out.

The new revision comes from either
  --task-definition FILE   a RegisterTaskDefinition JSON document, the file
                           "aws ecs register-task-definition --cli-input-json"
                           takes; "aws ecs describe-task-definition" output is
                           accepted too (its read-only members are dropped)
  --image CONTAINER=IMAGE  the service's current task definition with the
                           image of CONTAINER replaced (repeatable)

The rollout ends when the deployment's rolloutState is COMPLETED, when it is
FAILED (the circuit breaker tripped) or the service rolled back to another
task definition, or when --timeout passes. A deployment superseded by one of
the same task definition is followed on. On failure and on timeout the
deployment's stopped tasks are printed (stopCode, stoppedReason, each
container's exit code and reason) with the last 20 log lines of a failed
container that uses the awslogs log driver.
` + deployProgressHelp + "\n" + deployExitCodes,
		Example: `  wharf deploy --cluster prod --service web --image app=registry.local/web:1.4.2
  wharf deploy --cluster prod --service web --task-definition taskdef.json --timeout 15m
  wharf deploy cancel --cluster prod --service web`,
		Args: cobra.ArbitraryArgs,
		RunE: withExitCodes(func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unexpected argument %q", args[0])
			}
			return runDeploy(cmd, fl)
		}),
	}
	cmd.SetFlagErrorFunc(exitOnFlagError)
	f := cmd.Flags()
	f.StringVar(&fl.cluster, "cluster", "default", "cluster of the service")
	f.StringVar(&fl.service, "service", "", "service to deploy to (required)")
	f.StringVar(&fl.taskDefFile, "task-definition", "", "RegisterTaskDefinition JSON file of the new revision")
	f.StringArrayVar(&fl.images, "image", nil, "CONTAINER=IMAGE: new image of a container of the current task definition (repeatable)")
	addFollowFlags(cmd, fl)
	cmd.AddCommand(newDeployCancelCmd())
	return cmd
}

func addFollowFlags(cmd *cobra.Command, fl *deployFlags) {
	f := cmd.Flags()
	f.BoolVar(&fl.noWait, "no-wait", false, "return once the service is updated, without following the rollout")
	f.DurationVar(&fl.timeout, "timeout", 10*time.Minute, "give up following after this long (exit status 4)")
	f.StringVar(&fl.progress, "progress", "auto", "progress output: auto, tty (redrawn view) or plain (timestamped lines)")
	f.DurationVar(&fl.interval, "poll-interval", time.Second, "how often to ask for the service's state")
	addEndpointFlag(cmd, &fl.endpoint)
}

func newDeployCancelCmd() *cobra.Command {
	fl := &deployFlags{}
	cmd := &cobra.Command{
		Use:   "cancel --cluster C --service S",
		Short: "Stop the deployment in progress and roll back",
		Long: `Stop the service's deployment in progress (StopServiceDeployment with
stopType ROLLBACK; the deployment is found with ListServiceDeployments,
status IN_PROGRESS) and follow the rollback deployment to the last completed
configuration like "wharf deploy" follows a rollout: exit status 0 once the
rollback completed.
` + deployProgressHelp + "\n" + deployExitCodes,
		Args: cobra.ArbitraryArgs,
		RunE: withExitCodes(func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unexpected argument %q", args[0])
			}
			return runDeployCancel(cmd, fl)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&fl.cluster, "cluster", "default", "cluster of the service")
	f.StringVar(&fl.service, "service", "", "service whose deployment to cancel (required)")
	addFollowFlags(cmd, fl)
	return cmd
}

// checkFollowFlags validates the flags deploy and cancel share.
func (fl *deployFlags) checkFollowFlags() error {
	if fl.service == "" {
		return usageErrorf("--service is required")
	}
	if fl.timeout <= 0 || fl.interval <= 0 {
		return usageErrorf("--timeout and --poll-interval must be positive")
	}
	if !slices.Contains([]string{"auto", "tty", "plain"}, fl.progress) {
		return usageErrorf("--progress must be auto, tty or plain, not %q", fl.progress)
	}
	return nil
}

// newRolloutFollower sets up clients and progress output for deploy and cancel.
func newRolloutFollower(cmd *cobra.Command, fl *deployFlags) *rolloutFollower {
	c := newCLIClients(fl.endpoint)
	out := cmd.OutOrStdout()
	width, tty := terminalWidth(out)
	switch fl.progress {
	case "plain":
		tty = false
	case "tty":
		tty, width = true, cmp.Or(width, 100)
	}
	return &rolloutFollower{ecs: c.ecs, logs: c.logs, json: c.json, cluster: fl.cluster, service: fl.service,
		interval: fl.interval, p: &progressPrinter{out: out, tty: tty, width: func() int {
			if w, ok := terminalWidth(out); ok {
				return w
			}
			return width
		}}}
}

func runDeploy(cmd *cobra.Command, fl *deployFlags) error {
	if err := fl.checkFollowFlags(); err != nil {
		return err
	}
	if (fl.taskDefFile == "") == (len(fl.images) == 0) {
		return usageErrorf("give either --task-definition FILE or --image CONTAINER=IMAGE")
	}
	images, err := parseImageFlags(fl.images)
	if err != nil {
		return err
	}
	var doc taskDefDoc
	if fl.taskDefFile != "" {
		data, err := os.ReadFile(fl.taskDefFile)
		if err != nil {
			return usageErrorf("--task-definition: %w", err)
		}
		if doc, err = parseTaskDefinition(data); err != nil {
			return usageErrorf("--task-definition %s: %w", fl.taskDefFile, err)
		}
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	f := newRolloutFollower(cmd, fl)
	baseline, err := f.describe(ctx)
	if err != nil {
		return err
	}
	if len(images) > 0 {
		current := aws.ToString(baseline.TaskDefinition)
		var raw json.RawMessage
		in := ecswire.DescribeTaskDefinitionRequest{TaskDefinition: current, Include: []ecswire.TaskDefinitionField{"TAGS"}}
		if err := f.json.call(ctx, "DescribeTaskDefinition", in, &raw); err != nil {
			return err
		}
		if doc, err = parseTaskDefinition(raw); err != nil {
			return fmt.Errorf("task definition %s: %w", familyRevision(current), err)
		}
		if doc, err = doc.withImages(images); err != nil {
			return usageErrorf("--image: %s: %w", familyRevision(current), err)
		}
	}
	var reg ecswire.RegisterTaskDefinitionResponse
	if err := f.json.call(ctx, "RegisterTaskDefinition", doc, &reg); err != nil {
		return err
	}
	if reg.TaskDefinition == nil {
		return errors.New("RegisterTaskDefinition returned no task definition")
	}
	tdARN := reg.TaskDefinition.TaskDefinitionArn
	f.p.say(time.Now(), "registered task definition %s", familyRevision(tdARN))
	upd, err := f.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(fl.cluster), Service: aws.String(fl.service), TaskDefinition: aws.String(tdARN)})
	if err != nil {
		return friendlyError("UpdateService", err)
	}
	primary := primaryDeployment(*upd.Service)
	if primary == nil {
		return errors.New("UpdateService returned no PRIMARY deployment")
	}
	id := aws.ToString(primary.Id)
	f.p.say(time.Now(), "updated service %s in cluster %s: deployment %s of %s", fl.service, fl.cluster, id, familyRevision(tdARN))
	if fl.noWait {
		return nil
	}
	w := newRolloutWatch(fmt.Sprintf("Deploying %s to service %s (cluster %s)", familyRevision(tdARN), fl.service, fl.cluster), baseline, time.Now())
	return f.run(ctx, w, rolloutTarget{deploymentID: id, taskDefinition: tdARN, serviceDeploymentARN: aws.ToString(upd.Service.CurrentServiceDeployment),
		deadline: time.Now().Add(fl.timeout), timeout: fl.timeout})
}

func runDeployCancel(cmd *cobra.Command, fl *deployFlags) error {
	if err := fl.checkFollowFlags(); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	f := newRolloutFollower(cmd, fl)
	baseline, err := f.describe(ctx)
	if err != nil {
		return err
	}
	list, err := f.ecs.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{Cluster: aws.String(fl.cluster), Service: aws.String(fl.service),
		Status: []ecstypes.ServiceDeploymentStatus{ecstypes.ServiceDeploymentStatusInProgress}})
	if err != nil {
		return friendlyError("ListServiceDeployments", err)
	}
	if len(list.ServiceDeployments) == 0 {
		return fmt.Errorf("service %s in cluster %s has no deployment in progress", fl.service, fl.cluster)
	}
	arn := aws.ToString(list.ServiceDeployments[0].ServiceDeploymentArn) // newest first
	cancelled := "ecs-svc/" + arn[strings.LastIndex(arn, "/")+1:]
	if _, err := f.ecs.StopServiceDeployment(ctx, &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: aws.String(arn),
		StopType: ecstypes.StopServiceDeploymentStopTypeRollback}); err != nil {
		return friendlyError("StopServiceDeployment", err)
	}
	svc, err := f.describe(ctx)
	if err != nil {
		return err
	}
	primary := primaryDeployment(svc)
	if primary == nil || aws.ToString(primary.Id) == cancelled {
		return fmt.Errorf("stopped deployment %s, but the service has no rollback deployment", cancelled)
	}
	id, tdARN := aws.ToString(primary.Id), aws.ToString(primary.TaskDefinition)
	f.p.say(time.Now(), "stopped deployment %s; rolling back to %s with deployment %s", cancelled, familyRevision(tdARN), id)
	if fl.noWait {
		return nil
	}
	w := newRolloutWatch(fmt.Sprintf("Rolling back service %s (cluster %s) to %s", fl.service, fl.cluster, familyRevision(tdARN)), baseline, time.Now())
	return f.run(ctx, w, rolloutTarget{deploymentID: id, taskDefinition: tdARN, serviceDeploymentARN: aws.ToString(svc.CurrentServiceDeployment),
		deadline: time.Now().Add(fl.timeout), timeout: fl.timeout})
}

// --- Following a rollout: the loop ---

// progressPrinter writes progress: timestamped lines, or a frame redrawn
// in place on a terminal.
type progressPrinter struct {
	out   io.Writer
	tty   bool
	width func() int
	drawn int // lines of the frame on screen, to move back over
}

// say prints a line; in plain mode it starts with the time.
func (p *progressPrinter) say(now time.Time, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	for _, line := range strings.Split(msg, "\n") {
		if p.tty {
			fmt.Fprintln(p.out, line)
		} else {
			fmt.Fprintln(p.out, now.Format(time.RFC3339), line)
		}
	}
	p.drawn = 0 // a frame above a message stays; the next is drawn below
}

// draw replaces the frame on screen with lines, cut to the terminal width
// so that no line wraps and the cursor arithmetic holds.
func (p *progressPrinter) draw(lines []string) {
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA\r", p.drawn)
	}
	width := p.width()
	for _, l := range lines {
		b.WriteString(truncate(l, width-1))
		b.WriteString("\x1b[K\n")
	}
	b.WriteString("\x1b[J")
	fmt.Fprint(p.out, b.String())
	p.drawn = len(lines)
}

type rolloutFollower struct {
	ecs              *ecs.Client
	logs             *cloudwatchlogs.Client
	json             *ecsJSON
	cluster, service string
	interval         time.Duration
	p                *progressPrinter
}

func (f *rolloutFollower) describe(ctx context.Context) (ecstypes.Service, error) {
	out, err := f.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(f.cluster), Services: []string{f.service}})
	if err != nil {
		return ecstypes.Service{}, friendlyError("DescribeServices", err)
	}
	if len(out.Services) == 0 {
		return ecstypes.Service{}, fmt.Errorf("service %s not found in cluster %s", f.service, f.cluster)
	}
	return out.Services[0], nil
}

// maxDescribeErrors is how many DescribeServices errors in a row end the
// follow (a server restart mid-rollout is survived).
const maxDescribeErrors = 5

// run follows target until a verdict, prints it (and on failure or timeout
// the stopped tasks), and returns an error carrying the exit status.
func (f *rolloutFollower) run(ctx context.Context, w *rolloutWatch, target rolloutTarget) error {
	v, err := f.follow(ctx, w, target)
	if err != nil {
		if ctx.Err() != nil {
			f.p.say(time.Now(), "interrupted: deployment %s goes on on the server", target.deploymentID)
			return &exitCodeError{code: exitInterrupted, err: ctx.Err(), reported: true}
		}
		return err
	}
	if v.replacedBy != nil && target.serviceDeploymentARN != "" {
		out, err := f.ecs.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{target.serviceDeploymentARN}})
		if err == nil && len(out.ServiceDeployments) == 1 {
			v.message = explainReplaced(v, out.ServiceDeployments[0])
		}
	}
	f.p.say(time.Now(), "%s", v.message)
	if v.result == rolloutCompleted {
		return nil
	}
	if v.result == rolloutFailed || v.result == rolloutTimedOut {
		if err := f.explainFailure(ctx, target.deploymentID); err != nil {
			fmt.Fprintln(f.p.out, "could not list the stopped tasks:", err)
		}
	}
	return &exitCodeError{code: v.exitCode(), err: errors.New(v.message), reported: true}
}

func (f *rolloutFollower) follow(ctx context.Context, w *rolloutWatch, target rolloutTarget) (rolloutVerdict, error) {
	errs := 0
	for {
		now := time.Now()
		svc, err := f.describe(ctx)
		switch {
		case ctx.Err() != nil:
			return rolloutVerdict{}, ctx.Err()
		case err != nil:
			errs++
			if errs >= maxDescribeErrors {
				return rolloutVerdict{}, err
			}
			if !now.Before(target.deadline) {
				return rolloutVerdict{result: rolloutTimedOut, message: fmt.Sprintf("timed out after %s waiting for deployment %s (%v)", target.timeout, target.deploymentID, err)}, nil
			}
			f.p.say(now, "warning: %v (retrying)", err)
		default:
			errs = 0
			lines := w.step(svc)
			if f.p.tty {
				f.p.draw(w.frame(svc, now))
			} else {
				for _, l := range lines {
					f.p.say(now, "%s", l)
				}
			}
			v := decideRollout(svc, target, now)
			if v.follow != "" {
				f.p.say(now, "%s", v.message)
				target.deploymentID, target.serviceDeploymentARN = v.follow, aws.ToString(svc.CurrentServiceDeployment)
				continue
			}
			if v.result != rolloutInProgress {
				return v, nil
			}
		}
		select {
		case <-ctx.Done():
			return rolloutVerdict{}, ctx.Err()
		case <-time.After(f.interval):
		}
	}
}

// maxStoppedTasks and logTailLines bound the failure report.
const (
	maxStoppedTasks = 5
	logTailLines    = 20
)

// explainFailure prints the stopped tasks of a deployment, newest first,
// and the last log lines of a failed container.
func (f *rolloutFollower) explainFailure(ctx context.Context, deploymentID string) error {
	var arns []string
	pages := ecs.NewListTasksPaginator(f.ecs, &ecs.ListTasksInput{Cluster: aws.String(f.cluster), StartedBy: aws.String(deploymentID),
		DesiredStatus: ecstypes.DesiredStatusStopped})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return friendlyError("ListTasks", err)
		}
		arns = append(arns, page.TaskArns...)
	}
	out := f.p.out
	if len(arns) == 0 {
		fmt.Fprintf(out, "\nNo task of deployment %s has stopped.\n", deploymentID)
		return nil
	}
	var tasks []ecstypes.Task
	for chunk := range slices.Chunk(arns, 100) {
		resp, err := f.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(f.cluster), Tasks: chunk})
		if err != nil {
			return friendlyError("DescribeTasks", err)
		}
		tasks = append(tasks, resp.Tasks...)
	}
	slices.SortStableFunc(tasks, func(a, b ecstypes.Task) int { return aws.ToTime(b.StoppedAt).Compare(aws.ToTime(a.StoppedAt)) })
	fmt.Fprintf(out, "\nStopped tasks of deployment %s (%d, newest first):\n", deploymentID, len(tasks))
	for _, t := range tasks[:min(len(tasks), maxStoppedTasks)] {
		for _, l := range stoppedTaskLines(t) {
			fmt.Fprintln(out, "  "+l)
		}
	}
	if n := len(tasks) - maxStoppedTasks; n > 0 {
		fmt.Fprintf(out, "  … and %d more\n", n)
	}
	f.printLogTail(ctx, failedContainers(tasks))
	return nil
}

// printLogTail prints the last logTailLines lines of the first candidate
// that has any, read as "wharf logs" reads them. The output of a container
// that just stopped may still be on its way: one more round a second later.
func (f *rolloutFollower) printLogTail(ctx context.Context, candidates []taskContainer) {
	if len(candidates) == 0 {
		return
	}
	out := f.p.out
	for round := range 2 {
		for _, c := range candidates {
			events, err := f.logTail(ctx, c)
			if err != nil {
				fmt.Fprintf(out, "\nNo log lines of container %s in task %s: %v\n", c.container, taskIDOf(aws.ToString(c.task.TaskArn)), err)
				return
			}
			if len(events) == 0 {
				continue
			}
			fmt.Fprintf(out, "\nLast %d log lines of container %s in task %s:\n", len(events), c.container, taskIDOf(aws.ToString(c.task.TaskArn)))
			for _, e := range events {
				fmt.Fprintln(out, "  | "+aws.ToString(e.Message))
			}
			return
		}
		if round == 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}
	c := candidates[0]
	fmt.Fprintf(out, "\nContainer %s in task %s wrote no log lines.\n", c.container, taskIDOf(aws.ToString(c.task.TaskArn)))
}

// logTail returns the last logTailLines events of a container's awslogs
// stream; an error says why there is no stream to read.
func (f *rolloutFollower) logTail(ctx context.Context, c taskContainer) ([]logstypes.OutputLogEvent, error) {
	td, err := f.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: c.task.TaskDefinitionArn})
	if err != nil {
		return nil, friendlyError("DescribeTaskDefinition", err)
	}
	targets, err := streamsFor(td.TaskDefinition.ContainerDefinitions, c.task.Containers, taskIDOf(aws.ToString(c.task.TaskArn)), c.container)
	if err != nil {
		return nil, err
	}
	events, err := fetchNew(ctx, f.logs, targets[0])
	if err != nil {
		return nil, err
	}
	return events[max(0, len(events)-logTailLines):], nil
}
