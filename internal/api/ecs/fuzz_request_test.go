package ecs_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"testing"

	"github.com/wharfhq/wharf/internal/api/ecs"
	"github.com/wharfhq/wharf/internal/testutil/wharftest"
)

// FuzzECSRequest sends arbitrary bodies to every ECS operation of a real
// server: each answer is a success or a 4xx AWS error with a type and a
// message, never a 5xx, and the server keeps serving.
func FuzzECSRequest(f *testing.F) {
	srv := wharftest.Start(f)
	ops := (&ecs.Handler{}).Service().Operations()
	slices.Sort(ops)
	seeds := []string{
		`{}`, ``, `null`, `[]`, `"x"`, `{"cluster":"default"}`, `{"clusterName":"fz","tags":[{"key":"a","value":"b"}]}`,
		`{"family":"f","containerDefinitions":[{"name":"a","image":"i","memory":64}]}`,
		`{"family":"f","networkMode":"awsvpc","requiresCompatibilities":["FARGATE"],"cpu":"256","memory":"512","containerDefinitions":[{"name":"a","image":"i","portMappings":[{"containerPort":80}]}]}`,
		`{"taskDefinition":"f:1"}`, `{"taskDefinitions":["f:1","x"]}`, `{"maxResults":0}`, `{"nextToken":"%%%"}`,
		`{"resourceArn":"arn:aws:ecs:us-east-1:000000000000:cluster/fz","tags":[]}`,
		`{"attributes":[{"name":"a","targetId":"x"}]}`, `{"name":"containerInsights","value":"enabled"}`,
		`{"totalResources":[{"name":"CPU","integerValue":-1}]}`, `{"containerInstances":["a","b"],"status":"DRAINING"}`,
		`{"clusters":["` + string(bytes.Repeat([]byte("a"), 300)) + `"]}`, `{"family":1e309}`, `{"include":["NOPE"]}`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), []byte(s))
	}
	client := &http.Client{}
	f.Fuzz(func(t *testing.T, opIndex uint8, body []byte) {
		op := ops[int(opIndex)%len(ops)]
		req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/", bytes.NewReader(body))
		req.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113."+op)
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
