package ecs_test

import (
	"bytes"
	"net/http"
	"slices"
	"testing"

	"github.com/wharfhq/wharf/internal/api/ecs"
	"github.com/wharfhq/wharf/internal/testutil/apitest"
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
		apitest.CheckJSONRequest(t, client, srv.URL(), "AmazonEC2ContainerServiceV20141113."+op, body)
	})
}
