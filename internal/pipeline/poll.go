package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/wharfhq/wharf/internal/controller"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/pipeline/declare"
)

// Source polling: the engine starts pipelines whose source repositories
// live outside wharf (CodeStarSourceConnection actions, fetched from a git
// URL) when a branch moves, as CodePipeline's change detection does for
// connections. Repositories hosted by wharf push events instead (OnPush).
//
// Which actions are polled (pollTargets): the first-stage source actions
// whose provider is a ChangeDetector, and then
//
//   - without V2 triggers, those whose DetectChanges is not "false";
//   - with triggers (which replace the default change detection), those
//     named by a trigger with a push filter whose branch globs match the
//     action's BranchName. Tag filters never match a branch head, and
//     file path filters are not applied: any new head counts.
//
// What was last seen is not kept in memory: it is the revision the
// pipeline's newest execution took (or pinned) for the action (lastSeen).
// Executions started by polling pin the head they were started for, so a
// restarted server, or a second poll of the same head, starts nothing.
// While the newest execution has not yet taken a revision for the action
// (a CreatePipeline or manual execution before its source ran), the head
// is left alone: that execution will take it. A pipeline without any
// execution is started for the head.

// TriggerPollForSourceChanges is the trigger type of executions started by
// source polling.
const TriggerPollForSourceChanges = "PollForSourceChanges"

// DefaultSourcePollInterval is how often RunSourcePolling looks at
// branch heads when given no interval.
const DefaultSourcePollInterval = time.Minute

// headTimeout bounds one branch head lookup, so that an unresponsive
// repository does not hold up the other pipelines.
const headTimeout = 30 * time.Second

// ChangeDetector is a source provider whose actions the engine polls for
// new revisions.
type ChangeDetector interface {
	// Head returns the revision an action configuration points at now (a
	// branch's head commit) and where it was read, for the execution's
	// trigger detail ("https://git.example.com/acme/web.git
	// refs/heads/main"; never with credentials).
	Head(ctx context.Context, config map[string]string) (revision, where string, err error)
}

// PollSources looks once at the branch heads of every polled source action
// and starts an execution, pinned to the new heads, for each pipeline with
// a source that moved. It must not run concurrently with itself or with
// RunSourcePolling on the same state.
func (e *Engine) PollSources(ctx context.Context) {
	e.newSourcePoller().poll(ctx)
}

// RunSourcePolling polls sources every interval (DefaultSourcePollInterval
// when zero) until ctx ends. A repository that cannot be read is logged
// when it starts failing and when it recovers, not at every poll.
func (e *Engine) RunSourcePolling(ctx context.Context, every time.Duration) error {
	if every <= 0 {
		every = DefaultSourcePollInterval
	}
	return controller.Every(ctx, every, e.newSourcePoller().poll)
}

// sourcePoller is one polling loop: the engine and the errors it logged.
type sourcePoller struct {
	e      *Engine
	failed map[string]string // source key → last error logged
}

func (e *Engine) newSourcePoller() *sourcePoller {
	return &sourcePoller{e: e, failed: map[string]string{}}
}

// sourceHead is a head read in one poll, shared by the actions of every
// pipeline that configures the same source.
type sourceHead struct {
	revision, where string
	err             error
}

func (sp *sourcePoller) poll(ctx context.Context) {
	heads := map[string]sourceHead{}
	for _, p := range sp.e.State.Pipelines() {
		if ctx.Err() != nil {
			return
		}
		sp.pollPipeline(ctx, p, heads)
	}
}

func (sp *sourcePoller) pollPipeline(ctx context.Context, p *model.Pipeline, heads map[string]sourceHead) {
	log := sp.e.logger().With("pipeline", p.Name)
	targets := pollTargets(p, sp.detector)
	if len(targets) == 0 {
		return
	}
	execs := sp.e.State.PipelineExecutions(p.Name)
	revs := map[string]string{}
	var details []string
	for _, t := range targets {
		key := ProviderKey(t.action.Category, t.action.Owner, t.action.Provider) + " " + fmt.Sprint(t.config)
		h, ok := heads[key]
		if !ok {
			hctx, cancel := context.WithTimeout(ctx, headTimeout)
			h.revision, h.where, h.err = t.detector.Head(hctx, t.config)
			cancel()
			if ctx.Err() != nil {
				return // shutting down: not the repository's fault
			}
			heads[key] = h
			sp.report(key, h, log.With("action", t.action.Name))
		}
		if h.err != nil || h.revision == "" {
			continue
		}
		revs[t.action.Name] = h.revision
		seen := lastSeen(execs, t.action.Name)
		if shouldStart(seen, h.revision) {
			log.Info("source changed", "action", t.action.Name, "source", h.where, "revision", h.revision, "last", seen.revision)
			details = append(details, strings.TrimSpace(h.where+" "+h.revision))
		}
	}
	if len(details) == 0 {
		return
	}
	_, err := sp.e.Start(ctx, p.Name, StartOptions{
		TriggerType:     TriggerPollForSourceChanges,
		TriggerDetail:   strings.Join(details, "; "),
		SourceRevisions: revs,
	})
	if err != nil {
		log.Warn("start pipeline for a source change", "err", err)
	}
}

// report logs a head lookup that fails, once per distinct error, and its
// recovery.
func (sp *sourcePoller) report(key string, h sourceHead, log *slog.Logger) {
	prev, failing := sp.failed[key]
	switch {
	case h.err != nil && (!failing || prev != h.err.Error()):
		sp.failed[key] = h.err.Error()
		log.Warn("poll source", "err", h.err)
	case h.err == nil && failing:
		delete(sp.failed, key)
		log.Info("poll source recovered", "source", h.where)
	}
}

func (sp *sourcePoller) detector(a model.PipelineAction) ChangeDetector {
	d, _ := sp.e.Providers[ProviderKey(a.Category, a.Owner, a.Provider)].(ChangeDetector)
	return d
}

// pollTarget is a source action to poll, with its configuration resolved
// from the pipeline variables' defaults.
type pollTarget struct {
	action   model.PipelineAction
	config   map[string]string
	detector ChangeDetector
}

// pollTargets returns the source actions of p to poll (see the top of this
// file); detector tells which providers can be polled.
func pollTargets(p *model.Pipeline, detector func(model.PipelineAction) ChangeDetector) []pollTarget {
	if len(p.Stages) == 0 {
		return nil
	}
	var out []pollTarget
	for _, a := range p.Stages[0].Actions {
		det := detector(a)
		if !declare.IsSource(a) || det == nil {
			continue
		}
		config, err := defaultConfig(p, a)
		if err != nil {
			continue // refers to what only an execution knows; the action reports it when it runs
		}
		if polled(p, a.Name, config) {
			out = append(out, pollTarget{action: a, config: config, detector: det})
		}
	}
	return out
}

// polled applies change detection's rules to one source action.
func polled(p *model.Pipeline, action string, config map[string]string) bool {
	if len(p.Triggers) == 0 {
		return config["DetectChanges"] != "false"
	}
	branch := strings.TrimPrefix(config["BranchName"], "refs/heads/")
	for _, t := range p.Triggers {
		if t.SourceActionName != action {
			continue
		}
		for _, f := range t.Push {
			if f.Branches != nil && matches(f.Branches, branch) {
				return true
			}
		}
	}
	return false
}

// defaultConfig resolves an action's configuration as an execution started
// without variable overrides would.
func defaultConfig(p *model.Pipeline, a model.PipelineAction) (map[string]string, error) {
	vars := map[string]string{}
	for _, v := range p.Variables {
		vars[v.Name] = v.DefaultValue
	}
	lookup := func(space, name string) (string, bool) {
		if space != "variables" {
			return "", false
		}
		v, ok := vars[name]
		return v, ok
	}
	out := make(map[string]string, len(a.Configuration))
	for k, v := range a.Configuration {
		r, err := declare.Resolve(v, lookup)
		if err != nil {
			return nil, err
		}
		out[k] = r
	}
	return out, nil
}

// seenRevision is what a pipeline's executions say about one source
// action. The zero value means no execution took a revision for it.
type seenRevision struct {
	// revision is what the newest execution that knows one took (or
	// pinned) for the action.
	revision string
	// pending means a newer unfinished execution will take the head when
	// its source action runs.
	pending bool
}

// lastSeen reads the revision last seen for a source action from a
// pipeline's executions, newest first.
func lastSeen(execs []*model.PipelineExecution, action string) seenRevision {
	execs = append([]*model.PipelineExecution(nil), execs...)
	sort.SliceStable(execs, func(i, j int) bool { return execs[i].StartTime.After(execs[j].StartTime) })
	for _, ex := range execs {
		if rev := executionRevision(ex, action); rev != "" {
			return seenRevision{revision: rev}
		}
		if !model.ExecTerminal(ex.Status) {
			return seenRevision{pending: true}
		}
	}
	return seenRevision{}
}

// executionRevision is the revision an execution's source action took,
// else the one the execution pinned for it.
func executionRevision(ex *model.PipelineExecution, action string) string {
	if len(ex.Stages) > 0 {
		if r := findRun(&ex.Stages[0], action); r != nil && r.Revision != "" {
			return r.Revision
		}
	}
	return ex.SourceRevisions[action]
}

// shouldStart decides whether a branch head seen now starts an execution.
func shouldStart(seen seenRevision, head string) bool {
	switch {
	case head == "", seen.pending:
		return false
	case seen.revision == "":
		return true
	}
	return !sameCommit(seen.revision, head)
}

// sameCommit compares commit ids; a pinned one may be abbreviated (at
// least 7 hex digits).
func sameCommit(seen, head string) bool {
	seen, head = strings.ToLower(seen), strings.ToLower(head)
	return seen == head || len(seen) >= 7 && strings.HasPrefix(head, seen)
}
