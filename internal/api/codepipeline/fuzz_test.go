package codepipeline_test

import (
	"net/http"
	"slices"
	"testing"

	cpapi "github.com/wharfhq/wharf/internal/api/codepipeline"
	"github.com/wharfhq/wharf/internal/testutil/apitest"
)

// FuzzCodePipelineRequest sends arbitrary bodies to every implemented
// CodePipeline operation: each answer is a success or a 4xx AWS error with
// a type and a message, never a 5xx, and the service keeps serving. The
// seeds reach the declaration checks, execution lookups and updates.
func FuzzCodePipelineRequest(f *testing.F) {
	e := setup(f)
	ops := (&cpapi.Handler{}).Service().Operations()
	slices.Sort(ops)
	pipeline := `{"pipeline":{"name":"fz","roleArn":"r","pipelineType":"V2","artifactStore":{"type":"S3","location":"art"},` +
		`"variables":[{"name":"V","defaultValue":"1"}],"stages":[` +
		`{"name":"Source","actions":[{"name":"Checkout","namespace":"S","actionTypeId":{"category":"Source","owner":"AWS","provider":"CodeCommit","version":"1"},` +
		`"configuration":{"RepositoryName":"r","BranchName":"main"},"outputArtifacts":[{"name":"Src"}]}]},` +
		`{"name":"Build","actions":[{"name":"B","actionTypeId":{"category":"Build","owner":"AWS","provider":"CodeBuild","version":"1"},` +
		`"configuration":{"ProjectName":"#{S.CommitId}","EnvironmentVariables":"[{\"name\":\"A\",\"value\":\"#{variables.V}\"}]"},` +
		`"inputArtifacts":[{"name":"Src"}],"outputArtifacts":[{"name":"Out"}]}]},` +
		`{"name":"Approve","onFailure":{"result":"RETRY"},"actions":[{"name":"Gate","timeoutInMinutes":60,` +
		`"actionTypeId":{"category":"Approval","owner":"AWS","provider":"Manual","version":"1"}}]}]},"tags":[{"key":"a","value":"b"}]}`
	id := `"00000000-0000-4000-8000-000000000000"`
	seeds := []string{
		`{}`, ``, `null`, `[]`, `"x"`, pipeline,
		`{"pipeline":{"name":"fz","roleArn":"r","artifactStores":{"us-east-1":{"type":"S3","location":"art"},"eu-west-1":{"type":"S3","location":"art"}},"stages":[]}}`,
		`{"pipeline":{"name":"fz2","roleArn":"r","artifactStore":{"type":"S3","location":"art"},"stages":[{"name":"s","actions":[{"name":"a",` +
			`"actionTypeId":{"category":"Source","owner":"AWS","provider":"CodeCommit","version":"1"},"configuration":{"X":"#{"}}]},{"name":"t","blockers":[{"name":"b","type":"Schedule"}],"actions":[]}]}}`,
		`{"name":"fz"}`, `{"name":"fz","version":7}`, `{"name":"fz","variables":[{"name":"V","value":"2"}],"clientRequestToken":"t-1"}`,
		`{"name":"fz","sourceRevisions":[{"actionName":"Checkout","revisionType":"COMMIT_ID","revisionValue":"abc"}]}`,
		`{"pipelineName":"fz","pipelineExecutionId":` + id + `,"abandon":true,"reason":"r"}`,
		`{"pipelineName":"fz","pipelineExecutionId":"nope"}`,
		`{"pipelineName":"fz","stageName":"Build","pipelineExecutionId":` + id + `,"retryMode":"ALL_ACTIONS"}`,
		`{"pipelineName":"fz","stageName":"Approve","actionName":"Gate","token":` + id + `,"result":{"status":"Approved","summary":"ok"}}`,
		`{"pipelineName":"fz","stageName":"Build","transitionType":"Outbound","reason":"Freeze"}`,
		`{"pipelineName":"fz","stageName":"Source","transitionType":"Inbound"}`,
		`{"pipelineName":"fz","filter":{"pipelineExecutionId":` + id + `},"maxResults":1,"nextToken":"AA"}`,
		`{"pipelineName":"fz","filter":{"succeededInStage":{"stageName":"Build"}}}`,
		`{"resourceArn":"arn:aws:codepipeline:us-east-1:000000000000:fz","tags":[{"key":"k","value":"v"}],"tagKeys":["a"]}`,
		`{"resourceArn":"arn:aws:codepipeline:us-east-1:000000000000:a/b"}`, `{"nextToken":"%%%"}`, `{"maxResults":1e10}`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), []byte(s))
	}
	client := &http.Client{}
	f.Fuzz(func(t *testing.T, opIndex uint8, body []byte) {
		op := ops[int(opIndex)%len(ops)]
		apitest.CheckJSONRequest(t, client, e.url, "CodePipeline_20150709."+op, body)
	})
}
