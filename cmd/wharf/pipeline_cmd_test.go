package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// fakeCodePipeline answers the CodePipeline JSON protocol with canned
// documents: the pipeline commands are driven through the real SDK
// against it.
type fakeCodePipeline struct {
	t        *testing.T
	mu       sync.Mutex
	requests map[string][]json.RawMessage // by operation
	pipeline json.RawMessage              // the declaration last created or updated
	states   []string                     // GetPipelineState answers, one per call; the last repeats
	execs    []string                     // GetPipelineExecution statuses, in step with states
	polls    int
}

func newFakeCodePipeline(t *testing.T) (*fakeCodePipeline, string) {
	f := &fakeCodePipeline{t: t, requests: map[string][]json.RawMessage{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func (f *fakeCodePipeline) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "CodePipeline_20150709.")
	body, _ := io.ReadAll(r.Body)
	f.requests[op] = append(f.requests[op], body)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	fail := func(code int, typ, msg string) {
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"__type": %q, "message": %q}`, typ, msg)
	}
	const t0 = 1764072000 // 2025-11-25T12:00:00Z
	step := min(f.polls, len(f.states)-1)
	switch op {
	case "GetPipeline":
		if f.pipeline == nil {
			fail(400, "PipelineNotFoundException", "The account with id '000000000000' does not include a pipeline with the name 'hello'")
			return
		}
		fmt.Fprintf(w, `{"pipeline": %s, "metadata": {"pipelineArn": "arn:aws:codepipeline:us-east-1:000000000000:hello", "created": %d, "updated": %d}}`, f.pipeline, t0, t0)
	case "CreatePipeline", "UpdatePipeline":
		var in struct{ Pipeline map[string]any }
		if err := json.Unmarshal(body, &in); err != nil {
			fail(400, "ValidationException", err.Error())
			return
		}
		in.Pipeline["version"] = len(f.requests["CreatePipeline"]) + len(f.requests["UpdatePipeline"])
		f.pipeline, _ = json.Marshal(in.Pipeline)
		fmt.Fprintf(w, `{"pipeline": %s}`, f.pipeline)
	case "StartPipelineExecution":
		fmt.Fprint(w, `{"pipelineExecutionId": "e2"}`)
	case "GetPipelineState":
		fmt.Fprintf(w, `{"pipelineName": "hello", "pipelineVersion": 1, "stageStates": [%s]}`, f.states[step])
		f.polls++
	case "GetPipelineExecution":
		fmt.Fprintf(w, `{"pipelineExecution": {"pipelineName": "hello", "pipelineVersion": 1, "pipelineExecutionId": "e2", "status": %q,
			"artifactRevisions": [{"name": "SourceArtifact", "revisionId": "3f2c1ab9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3", "revisionSummary": "Say hi"}],
			"trigger": {"triggerType": "WebhookV2"}}}`, f.execs[max(0, min(f.polls-1, len(f.execs)-1))])
	case "ListPipelineExecutions":
		status := "InProgress"
		if len(f.execs) > 0 {
			status = f.execs[max(0, step)]
		}
		fmt.Fprintf(w, `{"pipelineExecutionSummaries": [{"pipelineExecutionId": "e2", "status": %q, "startTime": %d, "lastUpdateTime": %d,
			"trigger": {"triggerType": "WebhookV2"},
			"sourceRevisions": [{"actionName": "Source", "revisionId": "3f2c1ab9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3", "revisionSummary": "Say hi"}]}]}`,
			status, t0, t0+75)
	case "ListActionExecutions":
		fail(400, "UnknownOperationException", "not implemented") // the watch does without
	case "PutApprovalResult":
		fmt.Fprintf(w, `{"approvedAt": %d}`, t0+30)
	default:
		fail(400, "UnknownOperationException", op)
	}
}

// runPipelineCLI runs "wharf pipeline ARGS" in-process.
func runPipelineCLI(t *testing.T, args ...string) (string, int) {
	t.Helper()
	root := &cobra.Command{Use: "wharf", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(newPipelineCmd())
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"pipeline"}, args...))
	err := root.Execute()
	var ec *exitCodeError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &ec):
		if !ec.reported {
			out.WriteString("error: " + ec.err.Error() + "\n")
		}
		return out.String(), ec.code
	}
	return out.String() + "error: " + err.Error() + "\n", 1
}

func TestPipelineCommands(t *testing.T) {
	docTimeLocation = timeUTC(t)
	f, url := newFakeCodePipeline(t)
	file := filepath.Join(t.TempDir(), "pipeline.yaml")
	if err := os.WriteFile(file, []byte(`
name: hello
source: {repository: hello}
build: {project: hello}
approval: {message: "Ship it?"}
deploy: {service: hello}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	ep := "--endpoint=" + url

	// apply creates (GetPipeline says it does not exist), then updates.
	out, code := runPipelineCLI(t, "apply", "-f", file, ep)
	if code != 0 || !strings.Contains(out, "Created pipeline hello (version 1): Source → Build → Approve → Deploy") ||
		!strings.Contains(out, "Starts on pushes to main of repository hello (source action Source)") {
		t.Fatalf("apply: %d\n%s", code, out)
	}
	sent := string(f.requests["CreatePipeline"][0])
	for _, s := range []string{`"actionTypeId":{"category":"Source","owner":"AWS","provider":"CodeCommit","version":"1"}`,
		`"triggers":[{"gitConfiguration":{"push":[{"branches":{"includes":["main"]}}],"sourceActionName":"Source"},"providerType":"CodeStarSourceConnection"}]`,
		`"pipelineType":"V2"`, `"executionMode":"SUPERSEDED"`} {
		if !strings.Contains(sent, s) {
			t.Errorf("CreatePipeline request lacks %s:\n%s", s, sent)
		}
	}
	if out, code := runPipelineCLI(t, "apply", "-f", file, ep); code != 0 || !strings.Contains(out, "Updated pipeline hello to version 2") {
		t.Fatalf("apply again: %d\n%s", code, out)
	}
	if out, code := runPipelineCLI(t, "create", "-f", filepath.Join(t.TempDir(), "missing.yaml"), ep); code != exitUsage || !strings.Contains(out, "no such file") {
		t.Fatalf("create from a missing file: %d\n%s", code, out)
	}

	// get -o yaml prints what update -f takes back.
	out, code = runPipelineCLI(t, "get", "hello", "-o", "yaml", ep)
	if code != 0 || !strings.HasPrefix(out, "pipeline:\n  name: hello\n") || !strings.Contains(out, "metadata:\n  created: \"2025-11-25T12:00:00.000000+00:00\"") {
		t.Fatalf("get -o yaml: %d\n%s", code, out)
	}
	if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := runPipelineCLI(t, "update", "-f", file, ep); code != 0 || !strings.Contains(out, "Updated pipeline hello to version 3") {
		t.Fatalf("update from get -o yaml: %d\n%s", code, out)
	}
	if out, code := runPipelineCLI(t, "get", "hello", ep); code != 0 || !strings.Contains(out, "Approve  Approve  Approval/Manual    -               -               CustomData=Ship it?") {
		t.Fatalf("get: %d\n%s", code, out)
	}

	// run --watch: one line per change, the approval's command, exit 3 on failure.
	act := func(name, status string, at int, extra string) string {
		return fmt.Sprintf(`{"actionName": %q, "latestExecution": {"status": %q, "lastStatusChange": %d%s}}`, name, status, 1764072000+at, extra)
	}
	stageJSON := func(name, exec string, actions ...string) string {
		return fmt.Sprintf(`{"stageName": %q, "latestExecution": {"pipelineExecutionId": %q, "status": "InProgress"}, "actionStates": [%s]}`,
			name, exec, strings.Join(actions, ","))
	}
	src := stageJSON("Source", "e2", act("Source", "Succeeded", 5, `, "externalExecutionId": "3f2c1ab9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3", "summary": "Say hi"`))
	f.states = []string{
		src,
		src + "," + stageJSON("Build", "e2", act("Build", "InProgress", 10, `, "externalExecutionId": "hello:b2"`)),
		src + "," + stageJSON("Build", "e2", act("Build", "Succeeded", 40, `, "externalExecutionId": "hello:b2"`)) + "," +
			stageJSON("Approve", "e2", act("Approve", "InProgress", 41, `, "token": "tok-1"`)),
		src + "," + stageJSON("Build", "e2", act("Build", "Succeeded", 40, `, "externalExecutionId": "hello:b2"`)) + "," +
			stageJSON("Approve", "e2", act("Approve", "Failed", 70, `, "summary": "not today", "errorDetails": {"code": "JobFailed", "message": "Rejected: not today"}`)),
	}
	f.execs = []string{"InProgress", "InProgress", "InProgress", "Failed"}
	out, code = runPipelineCLI(t, "run", "hello", "--watch", "--progress", "plain", "--poll-interval", "1ms", "--var", "A=b", ep)
	want := `Started execution e2 of pipeline hello
Watching execution e2 of pipeline hello
Source/Source Succeeded 3f2c1ab Say hi
Build/Build InProgress hello:b2
  logs:    wharf logs build hello:b2 -f
Build/Build Succeeded (30s) hello:b2
Approve/Approve InProgress waiting for approval: Ship it?
  approve: wharf pipeline approve hello --stage Approve --action Approve --token tok-1
  reject:  wharf pipeline approve hello --stage Approve --action Approve --token tok-1 --reject
Approve/Approve Failed (29s) Rejected: not today
Execution e2 of pipeline hello Failed in 1m15s
  Approve/Approve Failed: JobFailed: Rejected: not today
`
	if code != exitFailed || out != want {
		t.Errorf("run --watch: exit %d\n%s\nwant\n%s", code, out, want)
	}
	if got := string(f.requests["StartPipelineExecution"][0]); !strings.Contains(got, `"variables":[{"name":"A","value":"b"}]`) {
		t.Errorf("StartPipelineExecution request %s", got)
	}

	// approve takes the token from the state; watch of a succeeded execution exits 0.
	f.polls, f.states, f.execs = 0, f.states[2:3], []string{"Succeeded"}
	out, code = runPipelineCLI(t, "approve", "hello", ep)
	if code != 0 || out != "Approved Approve/Approve of pipeline hello (execution e2) at "+fmtLocal(1764072030)+"\n" {
		t.Errorf("approve: %d %q", code, out)
	}
	if got := string(f.requests["PutApprovalResult"][0]); !strings.Contains(got, `"token":"tok-1"`) || !strings.Contains(got, `"status":"Approved"`) {
		t.Errorf("PutApprovalResult request %s", got)
	}
	out, code = runPipelineCLI(t, "watch", "hello", "--progress", "plain", "--poll-interval", "1ms", ep)
	if code != 0 || !strings.HasSuffix(out, "Execution e2 of pipeline hello Succeeded in 1m15s\n") {
		t.Errorf("watch: %d\n%s", code, out)
	}

	// history, as a table and as the CLI's JSON.
	out, code = runPipelineCLI(t, "history", "hello", "-o", "json", ep)
	if code != 0 || !strings.Contains(out, `"pipelineExecutionSummaries": [`) || !strings.Contains(out, `"startTime": "2025-11-25T12:00:00.000000+00:00"`) ||
		!strings.Contains(out, `"triggerType": "WebhookV2"`) {
		t.Errorf("history -o json: %d\n%s", code, out)
	}
	if out, code := runPipelineCLI(t, "history", "hello", ep); code != 0 || !strings.Contains(out, "e2         Succeeded  WebhookV2  3f2c1ab Say hi") {
		t.Errorf("history: %d\n%s", code, out)
	}
	if out, code := runPipelineCLI(t, "run", "hello", "--var", "novalue", ep); code != exitUsage || !strings.Contains(out, "want NAME=VALUE") {
		t.Errorf("run --var novalue: %d\n%s", code, out)
	}
}

// timeUTC pins the times -o json and -o yaml print to UTC for the test.
func timeUTC(t *testing.T) *time.Location {
	old := docTimeLocation
	t.Cleanup(func() { docTimeLocation = old })
	return time.UTC
}

func fmtLocal(sec int64) string { return time.Unix(sec, 0).Local().Format("15:04:05") }
