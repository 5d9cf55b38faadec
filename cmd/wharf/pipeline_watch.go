package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	cptypes "github.com/aws/aws-sdk-go-v2/service/codepipeline/types"
	"github.com/spf13/cobra"
)

// --- Watching a pipeline execution: the loop ---

const pipelineWatchHelp = `
Progress. When stdout is a terminal (and TERM is not "dumb") a table of the
execution's actions (stage, action, status, time, detail) is redrawn in place
every --poll-interval, with the commands that show more: the build log of a
CodeBuild action, the tasks of an ECS deploy, the approve command of a
Manual approval. Otherwise (CI, pipes, files) one line is printed per action
status change:

  Source/Source InProgress
  Source/Source Succeeded (1s) 3f2c1ab Update the greeting
  Build/Build InProgress hello:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0
    logs:    wharf logs build hello:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0 -f

--progress tty|plain overrides the detection.`

const pipelineWatchExitCodes = `
Exit status:
  0    the execution Succeeded
  1    any other error: server unreachable, pipeline or execution not found
  2    usage error
  3    the execution Failed, was Stopped, Superseded or Cancelled
  4    --timeout passed first; the execution goes on on the server
  130  interrupted (Ctrl-C); the execution goes on on the server`

// watchFlags are the flags of run --watch and watch.
type watchFlags struct {
	endpoint string
	progress string
	interval time.Duration
	timeout  time.Duration
}

func addWatchFlags(cmd *cobra.Command, fl *watchFlags) {
	f := cmd.Flags()
	f.StringVar(&fl.progress, "progress", "auto", "progress output: auto, tty (redrawn table) or plain (a line per change)")
	f.DurationVar(&fl.interval, "poll-interval", 500*time.Millisecond, "how often to ask for the execution's state")
	f.DurationVar(&fl.timeout, "timeout", 0, "give up watching after this long (exit status 4); 0 waits for the end")
	addEndpointFlag(cmd, &fl.endpoint)
}

func (fl *watchFlags) check() error {
	if fl.interval <= 0 || fl.timeout < 0 {
		return usageErrorf("--poll-interval must be positive and --timeout not negative")
	}
	if !slices.Contains([]string{"auto", "tty", "plain"}, fl.progress) {
		return usageErrorf("--progress must be auto, tty or plain, not %q", fl.progress)
	}
	return nil
}

// maxStateErrors is how many failed polls in a row end the watch (a
// server restart is survived).
const maxStateErrors = 5

type pipelineWatch struct {
	cp       *codepipeline.Client
	pipeline string
	execID   string
	interval time.Duration
	timeout  time.Duration
	p        *progressPrinter
}

func newPipelineWatch(cmd *cobra.Command, cp *codepipeline.Client, pipeline, execID string, fl *watchFlags) *pipelineWatch {
	out := cmd.OutOrStdout()
	width, tty := terminalWidth(out)
	switch fl.progress {
	case "plain":
		tty = false
	case "tty":
		tty, width = true, cmp.Or(width, 100)
	}
	return &pipelineWatch{cp: cp, pipeline: pipeline, execID: execID, interval: fl.interval, timeout: fl.timeout,
		p: &progressPrinter{out: out, tty: tty, width: func() int {
			if w, ok := terminalWidth(out); ok {
				return w
			}
			return width
		}}}
}

// latestExecution returns the id of the pipeline's newest execution.
func latestExecution(ctx context.Context, cp *codepipeline.Client, pipeline string) (string, error) {
	out, err := cp.ListPipelineExecutions(ctx, &codepipeline.ListPipelineExecutionsInput{PipelineName: aws.String(pipeline), MaxResults: aws.Int32(5)})
	if err != nil {
		return "", friendlyError("ListPipelineExecutions", err)
	}
	if len(out.PipelineExecutionSummaries) == 0 {
		return "", fmt.Errorf("pipeline %s has no executions yet: start one with wharf pipeline run %s --watch", pipeline, pipeline)
	}
	return aws.ToString(out.PipelineExecutionSummaries[0].PipelineExecutionId), nil
}

// findSummary looks an execution up in ListPipelineExecutions (newest
// first) for its start and end times; nil if it is not among the newest.
func findSummary(ctx context.Context, cp *codepipeline.Client, pipeline, id string) *cptypes.PipelineExecutionSummary {
	in := &codepipeline.ListPipelineExecutionsInput{PipelineName: aws.String(pipeline), MaxResults: aws.Int32(100)}
	for range 3 {
		out, err := cp.ListPipelineExecutions(ctx, in)
		if err != nil {
			return nil
		}
		for i := range out.PipelineExecutionSummaries {
			if s := &out.PipelineExecutionSummaries[i]; aws.ToString(s.PipelineExecutionId) == id {
				return s
			}
		}
		if out.NextToken == nil {
			return nil
		}
		in.NextToken = out.NextToken
	}
	return nil
}

// run watches the execution to its end and returns an error carrying the
// exit status.
func (w *pipelineWatch) run(ctx context.Context) error {
	ex, err := w.cp.GetPipelineExecution(ctx, &codepipeline.GetPipelineExecutionInput{PipelineName: aws.String(w.pipeline), PipelineExecutionId: aws.String(w.execID)})
	switch {
	case ctx.Err() != nil:
		return w.interrupted(ctx)
	case err != nil:
		return friendlyError("GetPipelineExecution", err)
	case ex.PipelineExecution == nil:
		return fmt.Errorf("GetPipelineExecution returned no execution %s", w.execID)
	}
	// The declaration of the execution's version names each action's provider.
	in := &codepipeline.GetPipelineInput{Name: aws.String(w.pipeline), Version: ex.PipelineExecution.PipelineVersion}
	gp, err := w.cp.GetPipeline(ctx, in)
	if err != nil && in.Version != nil && ctx.Err() == nil {
		in.Version = nil
		gp, err = w.cp.GetPipeline(ctx, in)
	}
	switch {
	case ctx.Err() != nil:
		return w.interrupted(ctx)
	case err != nil:
		return friendlyError("GetPipeline", err)
	}
	decl := gp.Pipeline
	var since time.Time
	if s := findSummary(ctx, w.cp, w.pipeline, w.execID); s != nil {
		since = aws.ToTime(s.StartTime)
	}
	v := newPipelineView(w.pipeline, w.execID, decl, since)
	if !w.p.tty {
		fmt.Fprintf(w.p.out, "Watching execution %s of pipeline %s\n", w.execID, w.pipeline)
	}
	timesOK := true
	var deadline time.Time
	if w.timeout > 0 {
		deadline = time.Now().Add(w.timeout)
	}
	errs := 0
	for {
		state, exec, err := w.poll(ctx)
		switch {
		case ctx.Err() != nil:
			return w.interrupted(ctx)
		case err != nil:
			errs++
			if errs >= maxStateErrors {
				return err
			}
			fmt.Fprintf(w.p.out, "warning: %v (retrying)\n", err)
			w.p.drawn = 0
		default:
			errs = 0
			v.update(state, exec)
			if v.needTimes() && timesOK {
				details, err := w.actionExecutions(ctx)
				if err != nil {
					timesOK = false // not every server has ListActionExecutions
				}
				v.setTimes(details)
			}
			done, code, final := v.verdict()
			if done {
				if s := findSummary(ctx, w.cp, w.pipeline, w.execID); s != nil {
					v.since, v.until = aws.ToTime(s.StartTime), aws.ToTime(s.LastUpdateTime)
					_, code, final = v.verdict()
				}
			}
			if w.p.tty {
				w.p.draw(v.frame(time.Now()))
			} else {
				for _, l := range v.changes() {
					fmt.Fprintln(w.p.out, l)
				}
			}
			if done {
				if w.p.tty {
					fmt.Fprintln(w.p.out)
				}
				for _, l := range final {
					fmt.Fprintln(w.p.out, l)
				}
				if code == 0 {
					return nil
				}
				return &exitCodeError{code: code, err: errors.New(final[0]), reported: true}
			}
		}
		if !deadline.IsZero() && time.Now().After(deadline) {
			msg := fmt.Sprintf("timed out after %s watching execution %s; it goes on on the server (wharf pipeline watch %s %s)", w.timeout, w.execID, w.pipeline, w.execID)
			fmt.Fprintln(w.p.out, msg)
			return &exitCodeError{code: exitTimedOut, err: errors.New(msg), reported: true}
		}
		select {
		case <-ctx.Done():
			return w.interrupted(ctx)
		case <-time.After(w.interval):
		}
	}
}

func (w *pipelineWatch) interrupted(ctx context.Context) error {
	fmt.Fprintf(w.p.out, "\nStopped watching; execution %s goes on on the server (wharf pipeline watch %s %s)\n", w.execID, w.pipeline, w.execID)
	return &exitCodeError{code: exitInterrupted, err: ctx.Err(), reported: true}
}

func (w *pipelineWatch) poll(ctx context.Context) (*codepipeline.GetPipelineStateOutput, *cptypes.PipelineExecution, error) {
	state, err := w.cp.GetPipelineState(ctx, &codepipeline.GetPipelineStateInput{Name: aws.String(w.pipeline)})
	if err != nil {
		return nil, nil, friendlyError("GetPipelineState", err)
	}
	ex, err := w.cp.GetPipelineExecution(ctx, &codepipeline.GetPipelineExecutionInput{PipelineName: aws.String(w.pipeline), PipelineExecutionId: aws.String(w.execID)})
	if err != nil {
		return nil, nil, friendlyError("GetPipelineExecution", err)
	}
	return state, ex.PipelineExecution, nil
}

func (w *pipelineWatch) actionExecutions(ctx context.Context) ([]cptypes.ActionExecutionDetail, error) {
	in := &codepipeline.ListActionExecutionsInput{PipelineName: aws.String(w.pipeline),
		Filter: &cptypes.ActionExecutionFilter{PipelineExecutionId: aws.String(w.execID)}}
	var all []cptypes.ActionExecutionDetail
	for range 5 {
		out, err := w.cp.ListActionExecutions(ctx, in)
		if err != nil {
			return all, err
		}
		all = append(all, out.ActionExecutionDetails...)
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	return all, nil
}
