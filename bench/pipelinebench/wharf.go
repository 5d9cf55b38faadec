package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	cptypes "github.com/aws/aws-sdk-go-v2/service/codepipeline/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/wharfhq/wharf/bench/internal/benchkit"
	"github.com/wharfhq/wharf/internal/testutil/wharftest"
)

// The quickstart's names (scripts/quickstart.sh, examples/hello).
const (
	name    = "hello" // pipeline, project, service, repositories, target group
	cluster = "default"
)

// wharf drives the quickstart's server through the AWS APIs.
type wharf struct {
	q        *quickstart
	poll     time.Duration
	cp       *codepipeline.Client
	cb       *codebuild.Client
	ecs      *ecs.Client
	elb      *elbv2.Client
	logs     *cloudwatchlogs.Client
	tgARN    string
	gocache  string // the project's WHARF_GOCACHE as the quickstart set it
	registry string // host:port
}

// pushSample is one pipeline execution started by a push.
type pushSample struct {
	kind            string
	n               int
	commit          string
	load1           float64   // 1-minute load average before the push
	pushStart       time.Time // git push started
	pushed          time.Time // git push returned
	execID          string
	seen            time.Time // the client saw the execution in ListPipelineExecutions
	succeeded       time.Time // the client saw it Succeeded (the quickstart: its lastUpdateTime)
	execStart       time.Time // the execution's startTime
	execEnd         time.Time // its lastUpdateTime
	lb              lbResult
	actions         []actionSpan
	build           buildInfo
	roll            rollout
	bootstrapServed time.Duration // quickstart only: from its start
	oldTasks        []string      // the service's tasks before the push
}

func (s pushSample) served() time.Duration { return sub(s.lb.firstNew, s.pushed) }
func (s pushSample) allNew() time.Duration { return sub(s.lb.allNew, s.pushed) }
func (s pushSample) succeededAt() time.Duration {
	return sub(s.succeeded, s.pushed)
}

// action returns the span of the action of a stage.
func (s pushSample) action(stage string) actionSpan {
	for _, a := range s.actions {
		if a.stage == stage {
			return a
		}
	}
	return actionSpan{}
}

type actionSpan struct {
	stage, action string
	start, end    time.Time
	external      string
}

func (a actionSpan) d() time.Duration { return sub(a.end, a.start) }

// buildInfo is the Build action's build.
type buildInfo struct {
	id       string
	start    time.Time
	end      time.Time
	phases   map[string]time.Duration
	commands []command
}

// command is one buildspec command and its time, from the build log.
type command struct {
	text string
	d    time.Duration
}

// unknown is a span that could not be measured in a run.
const unknown = time.Duration(math.MinInt64)

// sub is a − b, or unknown when either is.
func sub(a, b time.Time) time.Duration {
	if a.IsZero() || b.IsZero() {
		return unknown
	}
	return a.Sub(b)
}

func connect(ctx context.Context, q *quickstart, poll time.Duration) (*wharf, error) {
	url := q.endpoint()
	cfg := wharftest.AWSConfig("")
	w := &wharf{q: q, poll: poll, registry: strings.TrimPrefix(url, "http://"),
		cp:   codepipeline.NewFromConfig(cfg, func(o *codepipeline.Options) { o.BaseEndpoint = aws.String(url) }),
		cb:   wharftest.CodeBuild(url),
		ecs:  wharftest.ECS(url),
		elb:  wharftest.ELBv2(url),
		logs: wharftest.Logs(url),
	}
	tg, err := w.elb.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{Names: []string{name}})
	if err != nil || len(tg.TargetGroups) != 1 {
		return nil, fmt.Errorf("describe target group %s: %v", name, err)
	}
	w.tgARN = aws.ToString(tg.TargetGroups[0].TargetGroupArn)
	p, err := w.project(ctx)
	if err != nil {
		return nil, err
	}
	for _, v := range p.Environment.EnvironmentVariables {
		if aws.ToString(v.Name) == "WHARF_GOCACHE" {
			w.gocache = aws.ToString(v.Value)
		}
	}
	if w.gocache == "" {
		return nil, errors.New("the quickstart's project has no WHARF_GOCACHE")
	}
	return w, nil
}

func (w *wharf) project(ctx context.Context) (cbtypes.Project, error) {
	out, err := w.cb.BatchGetProjects(ctx, &codebuild.BatchGetProjectsInput{Names: []string{name}})
	if err != nil || len(out.Projects) != 1 {
		return cbtypes.Project{}, fmt.Errorf("batch get projects %s: %v", name, err)
	}
	return out.Projects[0], nil
}

var greeting = regexp.MustCompile(`hello( [0-9]+)? from`)

// setGreeting makes the app (and its test) say "hello n from".
func setGreeting(dir string, n int) error {
	for _, f := range []string{"main.go", "main_test.go"} {
		p := filepath.Join(dir, f)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		nb := greeting.ReplaceAll(b, []byte(fmt.Sprintf("hello %d from", n)))
		if err := os.WriteFile(p, nb, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func prefix(n int) string { return fmt.Sprintf("hello %d from ", n) }

// executions lists the pipeline's executions, newest first.
func (w *wharf) executions(ctx context.Context) ([]cptypes.PipelineExecutionSummary, error) {
	out, err := w.cp.ListPipelineExecutions(ctx, &codepipeline.ListPipelineExecutionsInput{PipelineName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("list pipeline executions: %w", err)
	}
	return out.PipelineExecutionSummaries, nil
}

// push commits "hello n from" and pushes it, and measures the pipeline
// execution the push starts.
func (w *wharf) push(ctx context.Context, n int, kind string) (pushSample, error) {
	s := pushSample{kind: kind, n: n}
	work := w.q.work()
	if err := setGreeting(work, n); err != nil {
		return s, err
	}
	if _, err := gitOut(ctx, work, "commit", "-qam", fmt.Sprintf("pipelinebench: hello %d", n)); err != nil {
		return s, err
	}
	sha, err := gitOut(ctx, work, "rev-parse", "HEAD")
	if err != nil {
		return s, err
	}
	s.commit = sha
	execs, err := w.executions(ctx)
	if err != nil {
		return s, err
	}
	before := map[string]bool{}
	for _, e := range execs {
		before[aws.ToString(e.PipelineExecutionId)] = true
	}

	if s.oldTasks, err = w.runningTasks(ctx); err != nil {
		return s, err
	}
	lb := startLBPoller(ctx, w.q.lbURL(), w.poll)
	th := w.startTargetPoller(ctx)
	s.load1 = loadavg()
	s.pushStart = time.Now()
	_, err = gitOut(ctx, work, "push", "-q", "origin", "main")
	s.pushed = time.Now()
	if err != nil {
		lb.stop()
		th.stop(time.Time{})
		return s, err
	}
	err = w.waitExecution(ctx, &s, before)
	if err == nil {
		// The load balancer serves the new version before the deployment
		// completes (the old targets drain); wait a little in case not.
		for deadline := time.Now().Add(time.Minute); !lb.seen(prefix(n)) && time.Now().Before(deadline); {
			if err = benchkit.Sleep(ctx, w.poll); err != nil {
				break
			}
		}
	}
	s.lb = analyse(lb.stop(), prefix(n))
	s.roll = th.stop(time.Time{})
	if err != nil {
		return s, err
	}
	if s.lb.firstNew.IsZero() {
		return s, fmt.Errorf("%s never answered %q", w.q.lbURL(), prefix(n))
	}
	return s, w.details(ctx, &s)
}

// waitExecution finds the execution the push started and polls until it
// ends; only Succeeded is not an error.
func (w *wharf) waitExecution(ctx context.Context, s *pushSample, before map[string]bool) error {
	deadline := time.Now().Add(15 * time.Minute)
	failures := 0
	for {
		if err := benchkit.Sleep(ctx, w.poll); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("execution %q of commit %s did not end within 15m", s.execID, s.commit)
		}
		execs, err := w.executions(ctx)
		if err != nil {
			if failures++; failures > 5 {
				return err
			}
			continue
		}
		failures = 0
		for _, e := range execs {
			id := aws.ToString(e.PipelineExecutionId)
			if before[id] || (s.execID != "" && id != s.execID) {
				continue
			}
			if s.execID == "" {
				s.execID, s.seen = id, time.Now()
			}
			switch e.Status {
			case cptypes.PipelineExecutionStatusSucceeded:
				s.succeeded = time.Now()
				return nil
			case cptypes.PipelineExecutionStatusFailed, cptypes.PipelineExecutionStatusStopped,
				cptypes.PipelineExecutionStatusSuperseded, cptypes.PipelineExecutionStatusCancelled:
				return fmt.Errorf("execution %s of commit %s: %s (%s); see bin/wharf pipeline history hello --endpoint %s",
					id, s.commit[:7], e.Status, aws.ToString(e.StatusSummary), w.q.endpoint())
			}
			break
		}
	}
}

// details reads the execution's times, its actions, the build's phases and
// commands and the new tasks' times. Without an execution id (the
// quickstart's run) it takes the newest execution a push started.
func (w *wharf) details(ctx context.Context, s *pushSample) error {
	execs, err := w.executions(ctx)
	if err != nil {
		return err
	}
	for _, e := range execs {
		id := aws.ToString(e.PipelineExecutionId)
		if s.execID == "" && e.Trigger != nil && e.Trigger.TriggerType != cptypes.TriggerTypeCreatePipeline {
			s.execID = id
		}
		if id == s.execID {
			s.execStart, s.execEnd = aws.ToTime(e.StartTime), aws.ToTime(e.LastUpdateTime)
			if e.Status != cptypes.PipelineExecutionStatusSucceeded {
				return fmt.Errorf("execution %s: %s", id, e.Status)
			}
			break
		}
	}
	if s.execID == "" {
		return errors.New("no execution started by a push")
	}
	if s.succeeded.IsZero() {
		s.succeeded = s.execEnd
	}
	acts, err := w.cp.ListActionExecutions(ctx, &codepipeline.ListActionExecutionsInput{
		PipelineName: aws.String(name), Filter: &cptypes.ActionExecutionFilter{PipelineExecutionId: aws.String(s.execID)}})
	if err != nil {
		return fmt.Errorf("list action executions: %w", err)
	}
	s.actions = nil
	for _, a := range acts.ActionExecutionDetails {
		sp := actionSpan{stage: aws.ToString(a.StageName), action: aws.ToString(a.ActionName),
			start: aws.ToTime(a.StartTime), end: aws.ToTime(a.LastUpdateTime)}
		if a.Output != nil && a.Output.ExecutionResult != nil {
			sp.external = aws.ToString(a.Output.ExecutionResult.ExternalExecutionId)
		}
		s.actions = append(s.actions, sp)
	}
	slices.SortFunc(s.actions, func(a, b actionSpan) int { return a.start.Compare(b.start) })
	if id := s.action("Build").external; id != "" {
		if s.build, err = w.buildInfo(ctx, id); err != nil {
			return err
		}
	}
	return w.taskTimes(ctx, &s.roll, s.oldTasks)
}

// buildInfo reads a build's phases and, from its log, how long each
// buildspec command took.
func (w *wharf) buildInfo(ctx context.Context, id string) (buildInfo, error) {
	b := buildInfo{id: id, phases: map[string]time.Duration{}}
	out, err := w.cb.BatchGetBuilds(ctx, &codebuild.BatchGetBuildsInput{Ids: []string{id}})
	if err != nil || len(out.Builds) != 1 {
		return b, fmt.Errorf("batch get builds %s: %v", id, err)
	}
	bd := out.Builds[0]
	b.start, b.end = aws.ToTime(bd.StartTime), aws.ToTime(bd.EndTime)
	for _, p := range bd.Phases {
		if p.StartTime != nil && p.EndTime != nil {
			b.phases[string(p.PhaseType)] = p.EndTime.Sub(*p.StartTime)
		}
	}
	b.commands, err = w.commands(ctx, id)
	return b, err
}

// commands times the buildspec's commands: from a "Running command" line
// of the build log to the next line the build agent wrote.
func (w *wharf) commands(ctx context.Context, id string) ([]command, error) {
	_, uuid, _ := strings.Cut(id, ":")
	type agentLine struct {
		at  time.Time
		msg string
	}
	var lines []agentLine
	var token *string
	for {
		res, err := w.logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
			LogGroupName: aws.String("/aws/codebuild/" + name), LogStreamName: aws.String(uuid),
			StartFromHead: aws.Bool(true), NextToken: token,
		})
		if err != nil {
			return nil, fmt.Errorf("get log events of %s: %w", id, err)
		}
		for _, ev := range res.Events {
			for _, l := range strings.Split(aws.ToString(ev.Message), "\n") {
				rest, ok := strings.CutPrefix(l, "[Container] ")
				if !ok || len(rest) < 27 {
					continue
				}
				at, err := time.ParseInLocation("2006/01/02 15:04:05.000000", rest[:26], time.Local)
				if err != nil {
					continue
				}
				lines = append(lines, agentLine{at: at, msg: rest[27:]})
			}
		}
		if len(res.Events) == 0 || aws.ToString(res.NextForwardToken) == aws.ToString(token) {
			break
		}
		token = res.NextForwardToken
	}
	var cmds []command
	for i, l := range lines {
		c, ok := strings.CutPrefix(l.msg, "Running command ")
		if !ok || i+1 >= len(lines) {
			continue
		}
		cmds = append(cmds, command{text: c, d: lines[i+1].at.Sub(l.at)})
	}
	return cmds, nil
}

// runningTasks lists the service's tasks whose desired status is RUNNING.
func (w *wharf) runningTasks(ctx context.Context) ([]string, error) {
	lt, err := w.ecs.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String(name),
		DesiredStatus: ecstypes.DesiredStatusRunning})
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	return lt.TaskArns, nil
}

// taskTimes adds the service's running tasks' createdAt (earliest) and
// startedAt (latest) to r, and the stoppingAt (earliest) and stoppedAt
// (latest) of the tasks old (those running before the run).
func (w *wharf) taskTimes(ctx context.Context, r *rollout, old []string) error {
	cur, err := w.runningTasks(ctx)
	if err != nil {
		return err
	}
	describe := func(arns []string) ([]ecstypes.Task, error) {
		if len(arns) == 0 {
			return nil, nil
		}
		dt, err := w.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: arns})
		if err != nil {
			return nil, fmt.Errorf("describe tasks: %w", err)
		}
		return dt.Tasks, nil
	}
	earliest := func(cur *time.Time, t time.Time) {
		if !t.IsZero() && (cur.IsZero() || t.Before(*cur)) {
			*cur = t
		}
	}
	latest := func(cur *time.Time, t time.Time) {
		if t.After(*cur) {
			*cur = t
		}
	}
	nts, err := describe(cur)
	if err != nil {
		return err
	}
	for _, t := range nts {
		earliest(&r.tasksCreated, aws.ToTime(t.CreatedAt))
		latest(&r.tasksStarted, aws.ToTime(t.StartedAt))
		r.trace = append(r.trace, fmt.Sprintf("new task %s created=%s started=%s", shortID(aws.ToString(t.TaskArn)),
			clock(aws.ToTime(t.CreatedAt)), clock(aws.ToTime(t.StartedAt))))
	}
	ots, err := describe(old)
	if err != nil {
		return err
	}
	for _, t := range ots {
		earliest(&r.oldStopping, aws.ToTime(t.StoppingAt))
		latest(&r.oldStoppingLast, aws.ToTime(t.StoppingAt))
		latest(&r.oldStopped, aws.ToTime(t.StoppedAt))
		r.trace = append(r.trace, fmt.Sprintf("old task %s stopping=%s executionStopped=%s stopped=%s", shortID(aws.ToString(t.TaskArn)),
			clock(aws.ToTime(t.StoppingAt)), clock(aws.ToTime(t.ExecutionStoppedAt)), clock(aws.ToTime(t.StoppedAt))))
	}
	return nil
}

func shortID(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		arn = arn[i+1:]
	}
	if len(arn) > 8 {
		arn = arn[:8]
	}
	return arn
}

// emptyGoCachePush points the project's WHARF_GOCACHE at an empty
// directory, measures one push, and restores it.
func (w *wharf) emptyGoCachePush(ctx context.Context, n int, tmpDir string) (s pushSample, err error) {
	dir, err := os.MkdirTemp(tmpDir, "pipelinebench-gocache-")
	if err != nil {
		return s, err
	}
	defer func() {
		// The build's cache files are the build user's: chmod in case.
		_ = exec.Command("chmod", "-R", "u+w", dir).Run()
		if rerr := os.RemoveAll(dir); rerr != nil {
			err = errors.Join(err, rerr)
		}
	}()
	p, err := w.project(ctx)
	if err != nil {
		return s, err
	}
	orig := *p.Environment
	env := orig
	env.EnvironmentVariables = slices.Clone(orig.EnvironmentVariables)
	for i, v := range env.EnvironmentVariables {
		if aws.ToString(v.Name) == "WHARF_GOCACHE" {
			env.EnvironmentVariables[i].Value = aws.String(dir)
		}
	}
	if _, err := w.cb.UpdateProject(ctx, &codebuild.UpdateProjectInput{Name: aws.String(name), Environment: &env}); err != nil {
		return s, fmt.Errorf("update project (WHARF_GOCACHE=%s): %w", dir, err)
	}
	defer func() {
		_, rerr := w.cb.UpdateProject(context.WithoutCancel(ctx), &codebuild.UpdateProjectInput{Name: aws.String(name), Environment: &orig})
		if rerr != nil {
			err = errors.Join(err, fmt.Errorf("restore the project's WHARF_GOCACHE: %w", rerr))
		}
	}()
	progress("push %d with WHARF_GOCACHE=%s (empty)", n, dir)
	return w.push(ctx, n, "empty GOCACHE")
}
