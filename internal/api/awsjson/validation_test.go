package awsjson

import "testing"

func TestValidationErrorMessage(t *testing.T) {
	tests := []struct {
		err  *ValidationError
		want string
	}{
		{&ValidationError{Field: "containerDefinitions[0].name", Reason: "is required"},
			"Invalid value for field containerDefinitions[0].name: is required"},
		{&ValidationError{Reason: "body is empty"}, "Invalid request: body is empty"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Fatalf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestPaths(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{MemberPath("", "family"), "family"},
		{MemberPath("containerDefinitions[0]", "name"), "containerDefinitions[0].name"},
		{IndexPath("tags", 2), "tags[2]"},
		{KeyPath("dockerLabels", "com.example"), "dockerLabels[com.example]"},
		{MemberPath(IndexPath(MemberPath(IndexPath("containerDefinitions", 0), "portMappings"), 1), "protocol"),
			"containerDefinitions[0].portMappings[1].protocol"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Fatalf("path = %q, want %q", tt.got, tt.want)
		}
	}
}

func TestSortedKeys(t *testing.T) {
	got := SortedKeys(map[string]int{"b": 1, "a": 2, "c": 3})
	if len(got) != 3 || got[0] != "a" || got[1] != "b" || got[2] != "c" {
		t.Fatalf("SortedKeys = %v, want [a b c]", got)
	}
	if got := SortedKeys(map[string]int(nil)); len(got) != 0 {
		t.Fatalf("SortedKeys(nil) = %v, want empty", got)
	}
}
