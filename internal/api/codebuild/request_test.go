package codebuild

import (
	"errors"
	"testing"

	"github.com/wharfhq/wharf/internal/api/awsjson"
	"github.com/wharfhq/wharf/internal/api/codebuild/cbwire"
)

// TestRequestWrappers checks that the wrappers decode and validate like the
// generated requests, except that LINUX_HOST passes and stays in place.
func TestRequestWrappers(t *testing.T) {
	project := func(typ string) string {
		return `{"name":"app","serviceRole":"r","source":{"type":"NO_SOURCE","buildspec":"b"},"artifacts":{"type":"NO_ARTIFACTS"},` +
			`"environment":{"type":"` + typ + `","image":"i","computeType":"BUILD_GENERAL1_SMALL"}}`
	}
	var cp createProjectRequest
	if err := awsjson.Decode([]byte(project("LINUX_HOST")), &cp); err != nil {
		t.Fatal(err)
	}
	if err := cp.Validate(); err != nil || cp.Environment.Type != "LINUX_HOST" || cp.Name != "app" {
		t.Fatalf("LINUX_HOST project: %v %+v", err, cp.Environment)
	}
	cp = createProjectRequest{}
	_ = awsjson.Decode([]byte(project("LINUX_NOPE")), &cp)
	var ve *awsjson.ValidationError
	if err := cp.Validate(); !errors.As(err, &ve) || ve.Field != "environment.type" {
		t.Fatalf("unknown type: %v", err)
	}

	var up updateProjectRequest
	_ = awsjson.Decode([]byte(`{"name":"app","environment":{"type":"LINUX_HOST","computeType":"BUILD_GENERAL1_SMALL"}}`), &up)
	if err := up.Validate(); !errors.As(err, &ve) || ve.Field != "environment.image" || up.Environment.Type != "LINUX_HOST" {
		t.Fatalf("update without image: %v %+v", err, up.Environment)
	}

	var sb startBuildRequest
	if err := awsjson.Decode([]byte(`{"projectName":"app","environmentTypeOverride":"LINUX_HOST"}`), &sb); err != nil {
		t.Fatal(err)
	}
	if err := sb.Validate(); err != nil || sb.EnvironmentTypeOverride != "LINUX_HOST" {
		t.Fatalf("LINUX_HOST override: %v %q", err, sb.EnvironmentTypeOverride)
	}
	sb = startBuildRequest{}
	_ = awsjson.Decode([]byte(`{"projectName":"app","environmentTypeOverride":"`+string(cbwire.EnvironmentTypeArmContainer)+`"}`), &sb)
	if err := sb.Validate(); err != nil {
		t.Fatalf("ARM_CONTAINER override: %v", err)
	}

	// Type errors name the member, as for unwrapped requests.
	for _, tt := range []struct {
		in    any
		body  string
		field string
	}{
		{&startBuildRequest{}, `{"timeoutInMinutesOverride":"x"}`, "timeoutInMinutesOverride"},
		{&createProjectRequest{}, `{"environment":{"privilegedMode":"yes"}}`, "environment.privilegedMode"},
		{&updateProjectRequest{}, `{"tags":[{"key":1}]}`, "tags.key"},
	} {
		var de *awsjson.DecodeError
		if err := awsjson.Decode([]byte(tt.body), tt.in); !errors.As(err, &de) || de.Field != tt.field {
			t.Errorf("Decode(%s) = %v, want field %s", tt.body, err, tt.field)
		}
	}
	var de *awsjson.DecodeError
	if err := awsjson.Decode([]byte(`{} x`), &startBuildRequest{}); !errors.As(err, &de) {
		t.Errorf("trailing data: %v", err)
	}
}
