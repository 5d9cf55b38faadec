package main

import (
	"bytes"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"
)

func TestBuildWatchPrintsEachPhaseOnce(t *testing.T) {
	phase := func(typ cbtypes.BuildPhaseType, status cbtypes.StatusType, secs int64, ctx ...string) cbtypes.BuildPhase {
		p := cbtypes.BuildPhase{PhaseType: typ, PhaseStatus: status, DurationInSeconds: aws.Int64(secs)}
		if len(ctx) == 2 {
			p.Contexts = []cbtypes.PhaseContext{{StatusCode: aws.String(ctx[0]), Message: aws.String(ctx[1])}}
		}
		return p
	}
	states := []cbtypes.Build{
		{Phases: []cbtypes.BuildPhase{phase("SUBMITTED", "SUCCEEDED", 0), phase("QUEUED", "IN_PROGRESS", 0)}},
		{Phases: []cbtypes.BuildPhase{phase("SUBMITTED", "SUCCEEDED", 0), phase("QUEUED", "IN_PROGRESS", 0)}},
		{Phases: []cbtypes.BuildPhase{phase("SUBMITTED", "SUCCEEDED", 0), phase("QUEUED", "SUCCEEDED", 1), phase("PROVISIONING", "SUCCEEDED", 0), phase("BUILD", "", 0)}},
		{Phases: []cbtypes.BuildPhase{phase("SUBMITTED", "SUCCEEDED", 0), phase("QUEUED", "SUCCEEDED", 1), phase("PROVISIONING", "SUCCEEDED", 0),
			phase("BUILD", "FAILED", 3, "COMMAND_EXECUTION_ERROR", "Error while executing command: make. Reason: exit status 2"), phase("COMPLETED", "", 0)}},
	}
	var out bytes.Buffer
	bw := &buildWatch{out: &out}
	for _, b := range states {
		bw.printPhases(b)
	}
	want := `  SUBMITTED         SUCCEEDED     0s
  QUEUED            ...
  QUEUED            SUCCEEDED     1s
  PROVISIONING      SUCCEEDED     0s
  BUILD             ...
  BUILD             FAILED        3s  COMMAND_EXECUTION_ERROR: Error while executing command: make. Reason: exit status 2
`
	if out.String() != want {
		t.Fatalf("printed\n%s\nwant\n%s", out.String(), want)
	}
	if got := failureHint(states[3]); got != " in BUILD: Error while executing command: make. Reason: exit status 2" {
		t.Fatalf("failureHint = %q", got)
	}
}
