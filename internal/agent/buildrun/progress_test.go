package buildrun

import (
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/model"
)

func phaseSummary(st model.BuildState) []string {
	var out []string
	for _, p := range st.Phases {
		s := p.Type + ":" + p.Status
		if !p.End.IsZero() {
			s += "+end"
		}
		out = append(out, s)
	}
	return out
}

func TestProgress(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	queued := &model.BuildState{Version: 1, Status: model.BuildInProgress, CurrentPhase: phaseQueued, Phases: []model.BuildPhase{
		{Type: phaseSubmitted, Status: model.BuildSucceeded, Start: t0, End: t0},
		{Type: phaseQueued, Status: model.BuildInProgress, Start: t0},
	}}
	tests := []struct {
		name    string
		steps   func(p *progress)
		want    []string
		status  string
		current string
	}{
		{
			name:    "picking up a queued build closes QUEUED",
			steps:   func(p *progress) { p.start(phaseProvisioning, t0.Add(time.Second)) },
			want:    []string{"SUBMITTED:SUCCEEDED+end", "QUEUED:SUCCEEDED+end", "PROVISIONING:"},
			status:  model.BuildInProgress,
			current: phaseProvisioning,
		},
		{
			name: "phases end in order and COMPLETED has no status",
			steps: func(p *progress) {
				p.start(phaseProvisioning, t0)
				p.end(phaseProvisioning, model.BuildSucceeded, t0, nil)
				p.start("DOWNLOAD_SOURCE", t0)
				p.end("DOWNLOAD_SOURCE", model.BuildSucceeded, t0, nil)
				p.complete(model.BuildSucceeded, t0, nil)
			},
			want:    []string{"SUBMITTED:SUCCEEDED+end", "QUEUED:SUCCEEDED+end", "PROVISIONING:SUCCEEDED+end", "DOWNLOAD_SOURCE:SUCCEEDED+end", "COMPLETED:"},
			status:  model.BuildSucceeded,
			current: phaseCompleted,
		},
		{
			name: "stopping ends the open phase STOPPED",
			steps: func(p *progress) {
				p.start("BUILD", t0)
				p.complete(model.BuildStopped, t0, &model.BuildPhaseContext{StatusCode: "BUILD_STOPPED", Message: "stopped"})
			},
			want:    []string{"SUBMITTED:SUCCEEDED+end", "QUEUED:SUCCEEDED+end", "BUILD:STOPPED+end", "COMPLETED:"},
			status:  model.BuildStopped,
			current: phaseCompleted,
		},
		{
			name:    "ending a phase that never started records it",
			steps:   func(p *progress) { p.end(phaseProvisioning, model.BuildFailed, t0, nil) },
			want:    []string{"SUBMITTED:SUCCEEDED+end", "QUEUED:SUCCEEDED+end", "PROVISIONING:FAILED+end"},
			status:  model.BuildInProgress,
			current: phaseProvisioning,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProgress(queued)
			before := p.st.Version
			tt.steps(p)
			st := p.state()
			if got := phaseSummary(st); len(got) != len(tt.want) || fmtSlice(got) != fmtSlice(tt.want) {
				t.Fatalf("phases = %v, want %v", got, tt.want)
			}
			if st.Status != tt.status || st.CurrentPhase != tt.current {
				t.Fatalf("status %s / current %s, want %s / %s", st.Status, st.CurrentPhase, tt.status, tt.current)
			}
			if st.Version <= before {
				t.Fatalf("version did not grow: %d → %d", before, st.Version)
			}
			if len(queued.Phases) != 2 || queued.Phases[1].Status != model.BuildInProgress {
				t.Fatal("progress modified the state it started from")
			}
		})
	}
}

func fmtSlice(s []string) string {
	out := ""
	for _, x := range s {
		out += x + "|"
	}
	return out
}
