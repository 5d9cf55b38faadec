package pipeline

import (
	"context"
	"path"
	"strings"

	"github.com/wharfhq/wharf/internal/model"
)

// Push is a ref update of a hosted git repository.
type Push struct {
	Repo     string
	Ref      string // refs/heads/main, refs/tags/v1
	Old, New string // commit ids; New is all zeros for a deletion
}

const zeroID = "0000000000000000000000000000000000000000"

// Triggered returns the names of a pipeline's source actions that a push
// starts it for: CodeCommit actions on the pushed repository and branch
// (unless PollForSourceChanges is "false"), or, when the pipeline declares
// V2 triggers, the actions whose trigger's push filters match the branch
// or tag. Deleting a ref triggers nothing.
func Triggered(p *model.Pipeline, push Push) []string {
	if push.New == "" || push.New == zeroID || len(p.Stages) == 0 {
		return nil
	}
	branch, isBranch := strings.CutPrefix(push.Ref, "refs/heads/")
	tag, isTag := strings.CutPrefix(push.Ref, "refs/tags/")
	var out []string
	for _, a := range p.Stages[0].Actions {
		if a.Category != "Source" || a.Provider != "CodeCommit" || a.Configuration["RepositoryName"] != push.Repo {
			continue
		}
		if len(p.Triggers) == 0 {
			if isBranch && branch == a.Configuration["BranchName"] && a.Configuration["PollForSourceChanges"] != "false" {
				out = append(out, a.Name)
			}
			continue
		}
		for _, t := range p.Triggers {
			if t.SourceActionName != a.Name {
				continue
			}
			for _, f := range t.Push {
				if (isBranch && f.Branches != nil && matches(f.Branches, branch)) || (isTag && f.Tags != nil && matches(f.Tags, tag)) {
					out = append(out, a.Name)
				}
			}
		}
	}
	return dedupe(out)
}

// matches applies include/exclude globs (path.Match syntax, ** as *).
func matches(f *model.IncludeExclude, name string) bool {
	glob := func(pattern string) bool {
		ok, _ := path.Match(strings.ReplaceAll(pattern, "**", "*"), name)
		return ok
	}
	for _, p := range f.Excludes {
		if glob(p) {
			return false
		}
	}
	if len(f.Includes) == 0 {
		return true
	}
	for _, p := range f.Includes {
		if glob(p) {
			return true
		}
	}
	return false
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	out := s[:0]
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// OnPush starts the pipelines a push triggers, pinning their triggered
// source actions to the pushed commit.
func (e *Engine) OnPush(ctx context.Context, push Push) {
	for _, p := range e.State.Pipelines() {
		actions := Triggered(p, push)
		if len(actions) == 0 {
			continue
		}
		revs := map[string]string{}
		for _, a := range actions {
			revs[a] = push.New
		}
		trigger := "CloudWatchEvent" // CodeCommit's change detection
		if len(p.Triggers) > 0 {
			trigger = "WebhookV2"
		}
		if _, err := e.Start(ctx, p.Name, StartOptions{TriggerType: trigger, TriggerDetail: push.Repo + " " + push.Ref + " " + push.New,
			SourceRevisions: revs}); err != nil {
			e.logger().Warn("start pipeline on push", "pipeline", p.Name, "repo", push.Repo, "ref", push.Ref, "err", err)
		}
	}
}
