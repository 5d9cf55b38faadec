package pipeline

import (
	"sort"
	"time"

	"github.com/wharfhq/wharf/internal/model"
)

// Step moves a pipeline's unfinished executions on by the rules of
// CodePipeline (ref: pipeline.md 3.5) and returns the ones it changed, as
// copies. It is pure: decl returns the declaration an execution runs (its
// own pipeline version), transitions the pipeline's stage transitions.
//
//   - An execution inside a stage leaves it when every action succeeded
//     (waiting at the next stage's door, or Succeeded after the last),
//     fails with it once an action failed and none is still running, and
//     stops when asked (Stopping while actions run, unless abandoned).
//   - A stage holds one execution at a time (not in PARALLEL mode).
//   - SUPERSEDED: an execution waiting at a door is Superseded as soon as
//     a newer execution waits at the same door or is inside that stage;
//     the newest waiting one enters when the stage is free.
//   - QUEUED: executions enter in the order they started; none is
//     superseded.
//   - A disabled inbound transition holds executions at the door.
//   - onFailure RETRY retries a failed stage once (its failed actions, or
//     all of them with ALL_ACTIONS) before the execution fails.
func Step(execs []*model.PipelineExecution, decl func(version int32) *model.Pipeline,
	transitions map[string]model.Transition, now time.Time) []*model.PipelineExecution {
	work := make([]*model.PipelineExecution, 0, len(execs))
	changed := map[*model.PipelineExecution]bool{}
	for _, ex := range execs {
		if model.ExecTerminal(ex.Status) {
			continue
		}
		c := clone(ex)
		if d := decl(c.PipelineVersion); d != nil && settle(c, d, now) {
			changed[c] = true
		}
		work = append(work, c)
	}
	sort.SliceStable(work, func(i, j int) bool { return work[i].StartTime.Before(work[j].StartTime) })

	for _, name := range doors(work, decl) {
		for _, c := range admit(work, name, decl, transitions, now) {
			changed[c] = true
		}
	}
	var out []*model.PipelineExecution
	for _, c := range work {
		if changed[c] {
			c.LastUpdate = now
			out = append(out, c)
		}
	}
	return out
}

// settle applies the rules for an execution inside a stage (or a stop
// request) and reports whether it changed.
func settle(ex *model.PipelineExecution, d *model.Pipeline, now time.Time) bool {
	if ex.Stage >= len(d.Stages) || ex.Stage >= len(ex.Stages) {
		ex.Status, ex.StatusSummary = model.ExecFailed, "the execution's stage is not in its pipeline version"
		return true
	}
	if ex.Waiting {
		if ex.StopRequested {
			ex.Status = model.ExecStopped
			ex.StatusSummary = stopSummary(ex)
			return true
		}
		return false
	}
	st := &ex.Stages[ex.Stage]
	decl := d.Stages[ex.Stage]
	if ex.StopRequested {
		changed := false
		if ex.Abandon {
			for i := range st.Actions {
				if st.Actions[i].Status == model.ActionInProgress {
					st.Actions[i].Status, st.Actions[i].LastChange = model.ActionAbandoned, now
					changed = true
				}
			}
		}
		if running(st) {
			if ex.Status != model.ExecStopping {
				ex.Status, st.Status = model.ExecStopping, model.StageStopping
				return true
			}
			return changed
		}
		ex.Status, st.Status = model.ExecStopped, model.StageStopped
		ex.StatusSummary = stopSummary(ex)
		return true
	}
	if running(st) {
		return false
	}
	if f := failed(st); f != nil {
		if decl.OnFailure == "RETRY" && !st.AutoRetried {
			// onFailure RETRY: one automatic retry of the stage.
			st.AutoRetried = true
			kept := st.Actions[:0]
			for _, a := range st.Actions {
				if decl.RetryMode != "ALL_ACTIONS" && a.Status == model.ActionSucceeded {
					kept = append(kept, a)
				}
			}
			st.Actions = kept
			return true
		}
		st.Status = model.StageFailed
		ex.Status = model.ExecFailed
		ex.StatusSummary = f.ErrorMessage
		if ex.StatusSummary == "" {
			ex.StatusSummary = "Action " + f.Name + " failed"
		}
		return true
	}
	if !allSucceeded(st, decl) {
		return false
	}
	st.Status = model.StageSucceeded
	if ex.Stage == len(d.Stages)-1 || ex.Type == model.ExecRollback {
		ex.Status = model.ExecSucceeded
		return true
	}
	ex.Stage++
	ex.Waiting = true
	return true
}

func stopSummary(ex *model.PipelineExecution) string {
	if ex.StopReason != "" {
		return ex.StopReason
	}
	return "Execution stopped"
}

func running(st *model.StageExecution) bool {
	for _, a := range st.Actions {
		if a.Status == model.ActionInProgress {
			return true
		}
	}
	return false
}

func failed(st *model.StageExecution) *model.ActionExecution {
	for i, a := range st.Actions {
		if a.Status == model.ActionFailed || a.Status == model.ActionAbandoned {
			return &st.Actions[i]
		}
	}
	return nil
}

func allSucceeded(st *model.StageExecution, decl model.PipelineStage) bool {
	for _, a := range decl.Actions {
		r := findRun(st, a.Name)
		if r == nil || r.Status != model.ActionSucceeded {
			return false
		}
	}
	return true
}

func findRun(st *model.StageExecution, name string) *model.ActionExecution {
	for i := range st.Actions {
		if st.Actions[i].Name == name {
			return &st.Actions[i]
		}
	}
	return nil
}

// stageName is the name of the stage an execution is in or waits for.
func stageName(ex *model.PipelineExecution, decl func(int32) *model.Pipeline) string {
	d := decl(ex.PipelineVersion)
	if d == nil || ex.Stage >= len(d.Stages) {
		return ""
	}
	return d.Stages[ex.Stage].Name
}

// doors lists the stage names executions wait at, in a stable order.
func doors(work []*model.PipelineExecution, decl func(int32) *model.Pipeline) []string {
	seen := map[string]bool{}
	var out []string
	for _, ex := range work {
		if ex.Waiting && !model.ExecTerminal(ex.Status) {
			if n := stageName(ex, decl); n != "" && !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return out
}

// admit supersedes and lets in the executions waiting at stage name's
// door; it returns those it changed.
func admit(work []*model.PipelineExecution, name string, decl func(int32) *model.Pipeline,
	transitions map[string]model.Transition, now time.Time) []*model.PipelineExecution {
	var waiting []*model.PipelineExecution
	var inside *model.PipelineExecution
	for _, ex := range work {
		if model.ExecTerminal(ex.Status) || stageName(ex, decl) != name {
			continue
		}
		if ex.Waiting {
			waiting = append(waiting, ex)
		} else if inside == nil || ex.StartTime.After(inside.StartTime) {
			inside = ex
		}
	}
	if len(waiting) == 0 {
		return nil
	}
	var changed []*model.PipelineExecution
	mode := waiting[len(waiting)-1].Mode
	if mode == model.ModeSuperseded || mode == "" {
		newest := waiting[len(waiting)-1]
		if inside != nil && inside.StartTime.After(newest.StartTime) {
			newest = inside
		}
		kept := waiting[:0]
		for _, ex := range waiting {
			if ex != newest && newest.StartTime.After(ex.StartTime) {
				ex.Status = model.ExecSuperseded
				ex.StatusSummary = "Superseded by execution " + newest.ID
				changed = append(changed, ex)
				continue
			}
			kept = append(kept, ex)
		}
		waiting = kept
	}
	if t, ok := transitions[name]; ok && !t.Enabled {
		return changed
	}
	var enter []*model.PipelineExecution
	switch {
	case mode == model.ModeParallel:
		enter = waiting
	case inside != nil:
		return changed
	case len(waiting) > 0 && mode == model.ModeQueued:
		enter = waiting[:1]
	case len(waiting) > 0:
		enter = waiting[len(waiting)-1:]
	}
	for _, ex := range enter {
		ex.Waiting = false
		st := &ex.Stages[ex.Stage]
		st.Status = model.StageInProgress
		st.Actions = nil
		changed = append(changed, ex)
	}
	return changed
}

// NextActions returns the actions of the execution's current stage to
// start now: the lowest runOrder group with actions not yet run, once
// every earlier group succeeded. None while the stage is stopping or an
// action failed.
func NextActions(ex *model.PipelineExecution, d *model.Pipeline) []model.PipelineAction {
	if ex.Waiting || ex.Status != model.ExecInProgress || ex.StopRequested || ex.Stage >= len(d.Stages) {
		return nil
	}
	st := &ex.Stages[ex.Stage]
	if failed(st) != nil {
		return nil
	}
	actions := append([]model.PipelineAction(nil), d.Stages[ex.Stage].Actions...)
	sort.SliceStable(actions, func(i, j int) bool { return runOrder(actions[i]) < runOrder(actions[j]) })
	for i := 0; i < len(actions); {
		j := i
		for j < len(actions) && runOrder(actions[j]) == runOrder(actions[i]) {
			j++
		}
		var todo []model.PipelineAction
		done := true
		for _, a := range actions[i:j] {
			switch r := findRun(st, a.Name); {
			case r == nil:
				todo = append(todo, a)
				done = false
			case r.Status != model.ActionSucceeded:
				done = false
			}
		}
		if len(todo) > 0 || !done {
			return todo // start the group's missing actions, or wait for it
		}
		i = j
	}
	return nil
}

func runOrder(a model.PipelineAction) int32 {
	if a.RunOrder <= 0 {
		return 1
	}
	return a.RunOrder
}

func clone(ex *model.PipelineExecution) *model.PipelineExecution {
	c := *ex
	c.Stages = make([]model.StageExecution, len(ex.Stages))
	for i, st := range ex.Stages {
		c.Stages[i] = st
		c.Stages[i].Actions = append([]model.ActionExecution(nil), st.Actions...)
	}
	return &c
}
