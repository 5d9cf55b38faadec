package declare

import (
	"errors"
	"slices"
	"strings"
	"testing"

	w "github.com/wharfhq/wharf/internal/api/codepipeline/cpwire"
)

// codeStar turns the example's source into the reference's connection
// source (pipeline.md 3.2), which its V2 trigger names.
func codeStar(d *w.PipelineDeclaration) {
	a := action(d, 0, 0)
	a.ActionTypeId.Provider = "CodeStarSourceConnection"
	a.Configuration = map[string]string{"ConnectionArn": "arn:local:conn/gitea", "FullRepositoryId": "https://git.example.com/acme/web.git",
		"BranchName": "main", "OutputArtifactFormat": "CODE_ZIP", "DetectChanges": "true"}
}

func TestCodeStarSourceConnection(t *testing.T) {
	if !slices.Contains(Supported(), TypeCodeStarSource) {
		t.Fatalf("Supported() = %v lacks %s", Supported(), TypeCodeStarSource)
	}
	d := example(t)
	codeStar(d)
	p, err := FromWire(d)
	if err != nil {
		t.Fatalf("FromWire: %v", err)
	}
	if got := TypeKey(p.Stages[0].Actions[0]); got != TypeCodeStarSource {
		t.Fatalf("type %s", got)
	}
	if len(p.Triggers) != 1 || p.Triggers[0].SourceActionName != "Checkout" {
		t.Fatalf("triggers %+v", p.Triggers)
	}

	// owner/repo, as AWS spells it, is valid: it fails only when the action
	// runs, with a message asking for a URL.
	d = example(t)
	codeStar(d)
	action(d, 0, 0).Configuration["FullRepositoryId"] = "acme/web"
	if _, err := FromWire(d); err != nil {
		t.Fatalf("owner/repo: %v", err)
	}
}

func TestCodeStarSourceConnectionErrors(t *testing.T) {
	for _, tt := range []struct {
		name   string
		mutate func(a *w.ActionDeclaration)
		field  string
		text   string
	}{
		{"no connection", func(a *w.ActionDeclaration) { delete(a.Configuration, "ConnectionArn") },
			"pipeline.stages[0].actions[0].configuration", "missing required configuration 'ConnectionArn'"},
		{"no repository", func(a *w.ActionDeclaration) { delete(a.Configuration, "FullRepositoryId") },
			"pipeline.stages[0].actions[0].configuration", "missing required configuration 'FullRepositoryId'"},
		{"no branch", func(a *w.ActionDeclaration) { delete(a.Configuration, "BranchName") },
			"pipeline.stages[0].actions[0].configuration", "missing required configuration 'BranchName'"},
		{"CodeCommit's polling key", func(a *w.ActionDeclaration) { a.Configuration["PollForSourceChanges"] = "false" },
			"pipeline.stages[0].actions[0].configuration.PollForSourceChanges", "unknown configuration 'PollForSourceChanges'"},
		{"DetectChanges", func(a *w.ActionDeclaration) { a.Configuration["DetectChanges"] = "yes" },
			"pipeline.stages[0].actions[0].configuration.DetectChanges", `"yes" is not one of true, false`},
		{"format", func(a *w.ActionDeclaration) { a.Configuration["OutputArtifactFormat"] = "TAR" },
			"pipeline.stages[0].actions[0].configuration.OutputArtifactFormat", `"TAR"`},
		{"input artifact", func(a *w.ActionDeclaration) { a.InputArtifacts = []w.InputArtifact{{Name: "Src"}} },
			"pipeline.stages[0].actions[0].inputArtifacts", "more than the maximum count (0)"},
		{"no output artifact", func(a *w.ActionDeclaration) { a.OutputArtifacts = nil },
			"pipeline.stages[0].actions[0].outputArtifacts", "less than the minimum count (1)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := example(t)
			codeStar(d)
			tt.mutate(action(d, 0, 0))
			_, err := FromWire(d)
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if de.Code != w.ErrInvalidActionDeclarationException || de.Field != tt.field || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("got %s at %s: %v\nwant %s at %s mentioning %q", de.Code, de.Field, err, w.ErrInvalidActionDeclarationException, tt.field, tt.text)
			}
		})
	}
}
