package buildrun

import (
	"time"

	"github.com/wharfhq/wharf/internal/model"
)

// Phase types before the buildspec's lifecycle starts.
const (
	phaseSubmitted    = "SUBMITTED"
	phaseQueued       = "QUEUED"
	phaseProvisioning = "PROVISIONING"
	phaseCompleted    = "COMPLETED"
)

// progress is a build's state as the agent builds it up. Its methods are
// pure bookkeeping; the caller reports the state after each change.
type progress struct{ st model.BuildState }

func newProgress(prev *model.BuildState) *progress {
	p := &progress{}
	if prev != nil {
		p.st = *prev
		p.st.Phases = append([]model.BuildPhase(nil), prev.Phases...)
	}
	if p.st.Status == "" {
		p.st.Status = model.BuildInProgress
	}
	return p
}

// start opens phase typ, first closing any phase still open as SUCCEEDED
// (QUEUED, opened by the server, ends when the agent picks the build up).
func (p *progress) start(typ string, now time.Time) {
	if i := p.open(); i >= 0 && p.st.Phases[i].Type != typ {
		p.end(p.st.Phases[i].Type, model.BuildSucceeded, now, nil)
	}
	if i := p.open(); i >= 0 && p.st.Phases[i].Type == typ {
		return
	}
	p.st.Phases = append(p.st.Phases, model.BuildPhase{Type: typ, Start: now})
	p.st.CurrentPhase = typ
	p.st.Version++
}

// end closes phase typ with status; a phase that was never opened is
// recorded as starting and ending now.
func (p *progress) end(typ, status string, now time.Time, c *model.BuildPhaseContext) {
	i := p.open()
	if i < 0 || p.st.Phases[i].Type != typ {
		p.start(typ, now)
		i = len(p.st.Phases) - 1
	}
	ph := &p.st.Phases[i]
	ph.Status, ph.End = status, now
	if c != nil && (c.StatusCode != "" || c.Message != "") {
		ph.Contexts = append(ph.Contexts, *c)
	}
	p.st.Version++
}

// open returns the index of the phase still in progress, or -1.
func (p *progress) open() int {
	if n := len(p.st.Phases); n > 0 && isOpen(p.st.Phases[n-1]) {
		return n - 1
	}
	return -1
}

// complete ends the build with status: an open phase ends with status
// too, COMPLETED is appended and the state becomes final.
func (p *progress) complete(status string, now time.Time, c *model.BuildPhaseContext) {
	if i := p.open(); i >= 0 {
		p.end(p.st.Phases[i].Type, status, now, c)
	}
	p.st.Phases = append(p.st.Phases, model.BuildPhase{Type: phaseCompleted, Start: now})
	p.st.CurrentPhase = phaseCompleted
	p.st.Status = status
	p.st.EndTime = now
	p.st.Complete = true
	p.st.Version++
}

// state returns a copy of the current state.
func (p *progress) state() model.BuildState {
	st := p.st
	st.Phases = append([]model.BuildPhase(nil), p.st.Phases...)
	return st
}

// isOpen reports whether a phase is still in progress (the server writes
// QUEUED as IN_PROGRESS; the agent leaves the status empty until the end).
func isOpen(ph model.BuildPhase) bool {
	return ph.Type != phaseCompleted && (ph.Status == "" || ph.Status == model.BuildInProgress)
}
