package codebuild_test

import (
	"net/http"
	"slices"
	"testing"

	cbapi "github.com/wharfhq/wharf/internal/api/codebuild"
	"github.com/wharfhq/wharf/internal/testutil/apitest"
)

// FuzzCodeBuildRequest sends arbitrary bodies to every implemented
// CodeBuild operation: each answer is a success or a 4xx AWS error with a
// type and a message, never a 5xx, and the service keeps serving. The
// seeds reach the CreateProject and StartBuild decode and override paths.
func FuzzCodeBuildRequest(f *testing.F) {
	e := setup(f)
	ops := (&cbapi.Handler{}).Service().Operations()
	slices.Sort(ops)
	project := `{"name":"fz","serviceRole":"r","source":{"type":"NO_SOURCE","buildspec":"version: 0.2"},` +
		`"artifacts":{"type":"NO_ARTIFACTS"},"environment":{"type":"LINUX_HOST","image":"i","computeType":"BUILD_GENERAL1_SMALL"}}`
	seeds := []string{
		`{}`, ``, `null`, `[]`, `"x"`, project,
		`{"name":"fz2","serviceRole":"r","source":{"type":"GITHUB","location":"https://x"},"artifacts":{"type":"S3","location":"b"},` +
			`"environment":{"type":"LINUX_CONTAINER","image":"i","computeType":"BUILD_GENERAL1_SMALL","privilegedMode":true,` +
			`"environmentVariables":[{"name":"A","value":"1"}]},"cache":{"type":"LOCAL","modes":["LOCAL_DOCKER_LAYER_CACHE"]},` +
			`"timeoutInMinutes":5,"queuedTimeoutInMinutes":5,"tags":[{"key":"a","value":"b"}],"concurrentBuildLimit":1}`,
		`{"projectName":"fz"}`, `{"projectName":"fz","idempotencyToken":"t","imageOverride":"x"}`,
		`{"projectName":"fz","environmentTypeOverride":"LINUX_HOST","privilegedModeOverride":false,` +
			`"cacheOverride":{"type":"LOCAL","modes":["LOCAL_DOCKER_LAYER_CACHE"]}}`,
		`{"projectName":"fz","sourceTypeOverride":"NO_SOURCE","buildspecOverride":"","gitCloneDepthOverride":-1}`,
		`{"projectName":"arn:aws:codebuild:us-east-1:000000000000:project/fz","environmentVariablesOverride":[{"name":"A","value":"2"}]}`,
		`{"projectName":"fz","artifactsOverride":{"type":"S3"},"secondaryArtifactsOverride":[{"type":"S3","location":"b"}]}`,
		`{"projectName":"fz","timeoutInMinutesOverride":1e10}`, `{"projectName":1}`,
		`{"ids":["fz:1","arn:aws:codebuild:us-east-1:000000000000:build/fz:1",""]}`, `{"ids":[]}`,
		`{"id":"fz"}`, `{"id":":"}`, `{"id":"arn:aws:codebuild:us-east-1:000000000000:build/"}`,
		`{"names":["fz","arn:aws:codebuild:::project/"]}`, `{"nextToken":"%%%"}`, `{"nextToken":"AA"}`,
		`{"sortBy":"NAME","sortOrder":"DESCENDING"}`, `{"name":"fz","environment":{"type":"LINUX_HOST"}}`,
		`{"name":"fz","concurrentBuildLimit":-1,"secondaryArtifacts":[]}`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), []byte(s))
	}
	client := &http.Client{}
	f.Fuzz(func(t *testing.T, opIndex uint8, body []byte) {
		op := ops[int(opIndex)%len(ops)]
		apitest.CheckJSONRequest(t, client, e.url, "CodeBuild_20161006."+op, body)
	})
}
