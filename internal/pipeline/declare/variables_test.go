package declare

import (
	"errors"
	"fmt"
	"testing"
)

func TestReferences(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string
	}{
		{"", "[]"},
		{"plain", "[]"},
		{"#{SourceVariables.CommitId}", "[#{SourceVariables.CommitId}]"},
		{"a #{ns.x} b #{variables.Y} #{ns.x}", "[#{ns.x} #{variables.Y} #{ns.x}]"},
		{"#{codepipeline.PipelineExecutionId}", "[#{codepipeline.PipelineExecutionId}]"},
		{"#{ns.a.b}", "[#{ns.a.b}]"},           // the name is everything after the first period
		{"#{nodot} #{.x} #{x.} #{}", "[]"},     // malformed
		{"#{bad ns.x} #{ns.bad name}", "[]"},   // spaces
		{"#{unclosed.x", "[]"},                 // not a reference
		{"##{ns.x}}", "[#{ns.x}]"},             // stray characters around one
		{"#{a.b}#{c.d}", "[#{a.b} #{c.d}]"},    // adjacent
		{"#{outer.#{inner.x}}", "[]"},          // "#{outer.#{inner.x}" is one malformed occurrence
		{"#{ns@-_.VAR-1}", "[#{ns@-_.VAR-1}]"}, // the namespace pattern
		{"json [{\"value\":\"#{S.C}\"}]", "[#{S.C}]"},
	} {
		if got := fmt.Sprint(References(tt.in)); got != tt.want {
			t.Errorf("References(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestResolve(t *testing.T) {
	values := map[string]string{
		"SourceVariables.CommitId":         "abc123",
		"variables.TIMEOUT":                "30",
		"codepipeline.PipelineExecutionId": "e-1",
		"ns.loop":                          "#{ns.loop}",
		"ns.empty":                         "",
	}
	lookup := func(ns, name string) (string, bool) {
		v, ok := values[ns+"."+name]
		return v, ok
	}
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"no references", "no references"},
		{"#{SourceVariables.CommitId}", "abc123"},
		{"commit #{SourceVariables.CommitId} of #{codepipeline.PipelineExecutionId}, #{variables.TIMEOUT}m", "commit abc123 of e-1, 30m"},
		{"#{ns.loop}", "#{ns.loop}"}, // values are not resolved again
		{"[#{ns.empty}]", "[]"},
		{"#{malformed} #{unclosed.x", "#{malformed} #{unclosed.x"},
	} {
		got, err := Resolve(tt.in, lookup)
		if err != nil || got != tt.want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}

	_, err := Resolve("a #{SourceVariables.CommitId} #{BuildVariables.IMAGE_TAG} #{x.y}", lookup)
	var ue *UnresolvedError
	if !errors.Is(err, ErrUnresolved) || !errors.As(err, &ue) || ue.Ref != (Ref{"BuildVariables", "IMAGE_TAG"}) {
		t.Fatalf("err = %v", err)
	}
	if err.Error() != "the variable #{BuildVariables.IMAGE_TAG} could not be resolved" {
		t.Fatalf("message %q", err.Error())
	}
}
