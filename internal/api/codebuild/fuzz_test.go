package codebuild_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"testing"

	cbapi "github.com/wharfhq/wharf/internal/api/codebuild"
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
		req, _ := http.NewRequest(http.MethodPost, e.url+"/", bytes.NewReader(body))
		req.Header.Set("X-Amz-Target", "CodeBuild_20161006."+op)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var out map[string]any
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %q: response is not JSON: %q", op, body, raw)
		}
		// A 503 says etcd was too slow (the machine, not the input) and
		// is retried by SDKs; any other 5xx is a bug.
		if resp.StatusCode >= 500 && !(resp.StatusCode == 503 && out["__type"] == "ServiceUnavailableException") {
			t.Fatalf("%s %q: status %d: %s", op, body, resp.StatusCode, raw)
		}
		if resp.StatusCode != 200 {
			if typ, _ := out["__type"].(string); typ == "" {
				t.Fatalf("%s %q: %d without __type: %s", op, body, resp.StatusCode, raw)
			}
			if msg, _ := out["message"].(string); msg == "" {
				t.Fatalf("%s %q: %d without message: %s", op, body, resp.StatusCode, raw)
			}
		}
	})
}
