package ecsdeploy

import (
	"slices"
	"strings"
	"testing"
)

func TestParseImageDefinitions(t *testing.T) {
	got, err := ParseImageDefinitions([]byte("\xef\xbb\xbf"+`[
		{"name": "web", "imageUri": " registry.local/shop/web@sha256:abc ", "comment": "ignored"},
		{"name": "proxy", "imageUri": "envoy:1"}
	]`), "imagedefinitions.json")
	if err != nil {
		t.Fatal(err)
	}
	want := []ImageDefinition{{Name: "web", ImageURI: "registry.local/shop/web@sha256:abc"}, {Name: "proxy", ImageURI: "envoy:1"}}
	if !slices.Equal(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}

	for _, tc := range []struct{ in, message string }{
		{``, "Invalid JSON in image definitions file f.json"},
		{`null`, "lists no containers"},
		{`[null]`, "entry 1 is null"},
		{`[{"name":"web","imageUri":"a"}] trailing`, "Invalid JSON"},
		{`[{"name":1,"imageUri":"a"}]`, "name is a JSON number, not a string"},
		{`[{"name":"","imageUri":"a"}]`, "entry 1 has no name"},
		{`[{"name":"web","imageUri":"a"},{"name":"x","imageUri":""}]`, "entry 2 (x) has no imageUri"},
		{`"web"`, "found a JSON string instead of an array"},
	} {
		if _, err := ParseImageDefinitions([]byte(tc.in), "f.json"); err == nil || !strings.Contains(err.Error(), tc.message) {
			t.Errorf("ParseImageDefinitions(%q) = %v, want an error mentioning %q", tc.in, err, tc.message)
		}
	}
}

func TestCleanName(t *testing.T) {
	for in, want := range map[string]string{
		"imagedefinitions.json":   "imagedefinitions.json",
		"./imagedefinitions.json": "imagedefinitions.json",
		"/imagedefinitions.json":  "imagedefinitions.json",
		`deploy\images.json`:      "deploy/images.json",
		"deploy//images.json":     "deploy/images.json",
	} {
		if got := cleanName(in); got != want {
			t.Errorf("cleanName(%q) = %q, want %q", in, got, want)
		}
	}
}
