package arn

import "testing"

func TestBuildAndParse(t *testing.T) {
	b := Builder{Region: "eu-west-1", Account: DefaultAccount}
	tests := []struct {
		got, want, typ string
	}{
		{b.Cluster("web"), "arn:aws:ecs:eu-west-1:000000000000:cluster/web", "cluster"},
		{b.TaskDefinition("app", 7), "arn:aws:ecs:eu-west-1:000000000000:task-definition/app:7", "task-definition"},
		{b.ContainerInstance("web", "abc"), "arn:aws:ecs:eu-west-1:000000000000:container-instance/web/abc", "container-instance"},
		{b.Task("web", "f00"), "arn:aws:ecs:eu-west-1:000000000000:task/web/f00", "task"},
		{b.Service("web", "api"), "arn:aws:ecs:eu-west-1:000000000000:service/web/api", "service"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Fatalf("got %q, want %q", tt.got, tt.want)
		}
		a, err := Parse(tt.got)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.got, err)
		}
		if a.String() != tt.got || a.Type() != tt.typ || a.Region != "eu-west-1" {
			t.Fatalf("Parse(%q) = %+v", tt.got, a)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, s := range []string{"", "web", "arn:aws", "arn:aws:ecs:r:a:", "xrn:aws:ecs:r:a:cluster/x"} {
		if _, err := Parse(s); err == nil {
			t.Fatalf("Parse(%q) succeeded, want error", s)
		}
	}
}

func TestNewIDAndLastSegment(t *testing.T) {
	id := NewID()
	if len(id) != 32 {
		t.Fatalf("NewID() = %q, want 32 hex chars", id)
	}
	if got := LastSegment("arn:aws:ecs:r:a:task/c/" + id); got != id {
		t.Fatalf("LastSegment = %q", got)
	}
	if got := LastSegment(id); got != id {
		t.Fatalf("LastSegment(bare) = %q", got)
	}
}
