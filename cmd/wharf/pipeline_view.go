package main

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	cptypes "github.com/aws/aws-sdk-go-v2/service/codepipeline/types"
)

// --- Watching a pipeline execution: the pure parts ---
//
// pipelineView folds GetPipelineState (and GetPipelineExecution) snapshots
// into one row per action of the watched execution, and renders them as
// plain lines (one per status change) or as a terminal frame.
//
// GetPipelineState shows, per stage, the latest execution to have entered
// it: the stage's action states belong to the watched execution only when
// the stage's latestExecution is it. Rows keep what they last saw, so a
// newer execution entering a stage after the watched one left it does not
// erase its rows. An action state older than the execution (an action with
// a later runOrder that has not run yet in it) is ignored.

// actionRow is what the watch knows of one action in the execution.
type actionRow struct {
	stage, action string
	provider      string            // actionTypeId.provider: CodeCommit, CodeBuild, Manual, ECS, …
	config        map[string]string // the declared configuration (unresolved)

	status     string // "" (not reached), "Waiting" (at the stage's door), or the action execution status
	summary    string
	externalID string
	token      string
	errCode    string
	errMsg     string
	start, end time.Time

	printed string          // the state last printed as a plain line
	hinted  map[string]bool // the hints printed under it so far
}

func (r *actionRow) key() string { return r.stage + "/" + r.action }

// rowWaiting marks an action whose stage the execution waits to enter.
const rowWaiting = "Waiting"

type pipelineView struct {
	pipeline string
	execID   string
	// since is when the execution started (the server's clock); action
	// states that changed before it are of an earlier execution.
	since time.Time
	// until is when it ended, once known (ListPipelineExecutions).
	until time.Time

	rows  []*actionRow
	index map[string]*actionRow
	exec  cptypes.PipelineExecution
	dirty bool // a row changed status since the last setTimes
}

// newPipelineView starts a view of execution execID; decl (may be nil)
// gives the actions' order and providers.
func newPipelineView(pipeline, execID string, decl *cptypes.PipelineDeclaration, since time.Time) *pipelineView {
	v := &pipelineView{pipeline: pipeline, execID: execID, since: since, index: map[string]*actionRow{}}
	if decl != nil {
		for _, st := range decl.Stages {
			actions := slices.Clone(st.Actions)
			slices.SortStableFunc(actions, func(a, b cptypes.ActionDeclaration) int {
				return int(aws.ToInt32(a.RunOrder)) - int(aws.ToInt32(b.RunOrder))
			})
			for _, a := range actions {
				r := v.row(aws.ToString(st.Name), aws.ToString(a.Name))
				if a.ActionTypeId != nil {
					r.provider = aws.ToString(a.ActionTypeId.Provider)
				}
				r.config = a.Configuration
			}
		}
	}
	return v
}

// row returns the row of an action, adding it if new.
func (v *pipelineView) row(stage, action string) *actionRow {
	k := stage + "/" + action
	if r, ok := v.index[k]; ok {
		return r
	}
	r := &actionRow{stage: stage, action: action}
	// Keep rows grouped by stage: a new action goes after its stage's last.
	at := len(v.rows)
	for i := len(v.rows) - 1; i >= 0; i-- {
		if v.rows[i].stage == stage {
			at = i + 1
			break
		}
	}
	v.rows = slices.Insert(v.rows, at, r)
	v.index[k] = r
	return r
}

// update folds in one snapshot; changes then tells what changed.
func (v *pipelineView) update(state *codepipeline.GetPipelineStateOutput, exec *cptypes.PipelineExecution) {
	if exec != nil {
		v.exec = *exec
	}
	if state != nil {
		for i, st := range state.StageStates {
			stage := aws.ToString(st.StageName)
			ours := st.LatestExecution != nil && aws.ToString(st.LatestExecution.PipelineExecutionId) == v.execID
			// Waiting at a later stage's door is news (another execution is
			// in it); at the first stage's it is how every execution starts.
			inbound := i > 0 && st.InboundExecution != nil && aws.ToString(st.InboundExecution.PipelineExecutionId) == v.execID
			for _, ie := range st.InboundExecutions {
				inbound = inbound || (i > 0 && aws.ToString(ie.PipelineExecutionId) == v.execID)
			}
			for _, as := range st.ActionStates {
				r := v.row(stage, aws.ToString(as.ActionName))
				switch {
				case ours && as.LatestExecution != nil && !v.stale(as.LatestExecution):
					v.apply(r, as.LatestExecution)
				case inbound && (r.status == "" || r.status == rowWaiting):
					r.status = rowWaiting
				}
			}
		}
	}
}

// changes returns the plain lines for the rows whose state changed since
// the last call, in pipeline order.
func (v *pipelineView) changes() []string {
	var lines []string
	for _, r := range v.rows {
		if r.status == "" {
			continue
		}
		key := r.status + "\x00" + r.externalID + "\x00" + r.token
		if key == r.printed {
			continue
		}
		r.printed = key
		lines = append(lines, v.plainLines(r)...)
	}
	return lines
}

// staleSlack allows for timestamps rounded to the second.
const staleSlack = time.Second

// stale reports whether an action state predates the execution.
func (v *pipelineView) stale(ae *cptypes.ActionExecution) bool {
	return !v.since.IsZero() && ae.LastStatusChange != nil && ae.LastStatusChange.Before(v.since.Add(-staleSlack))
}

func (v *pipelineView) apply(r *actionRow, ae *cptypes.ActionExecution) {
	status := string(ae.Status)
	if status != r.status {
		v.dirty = true
	}
	changed := aws.ToTime(ae.LastStatusChange)
	if changed.IsZero() {
		changed = time.Now()
	}
	if ae.Status == cptypes.ActionExecutionStatusInProgress {
		if r.start.IsZero() || r.status != status {
			r.start, r.end = changed, time.Time{}
		}
	} else if r.end.IsZero() || r.status != status {
		r.end = changed
	}
	r.status = status
	r.summary = aws.ToString(ae.Summary)
	r.externalID = aws.ToString(ae.ExternalExecutionId)
	r.token = aws.ToString(ae.Token)
	r.errCode, r.errMsg = "", ""
	if ae.ErrorDetails != nil {
		r.errCode, r.errMsg = aws.ToString(ae.ErrorDetails.Code), aws.ToString(ae.ErrorDetails.Message)
	}
}

// needTimes reports whether ListActionExecutions would tell more: an
// action changed status since the last setTimes.
func (v *pipelineView) needTimes() bool { return v.dirty }

// setTimes takes the start and end of the execution's actions from
// ListActionExecutions (which GetPipelineState does not report).
func (v *pipelineView) setTimes(details []cptypes.ActionExecutionDetail) {
	v.dirty = false
	for _, d := range details {
		if aws.ToString(d.PipelineExecutionId) != v.execID {
			continue
		}
		r, ok := v.index[aws.ToString(d.StageName)+"/"+aws.ToString(d.ActionName)]
		if !ok || r.status == "" || r.status == rowWaiting {
			continue
		}
		if d.StartTime != nil {
			r.start = *d.StartTime
		}
		if d.Status != cptypes.ActionExecutionStatusInProgress && d.LastUpdateTime != nil {
			r.end = *d.LastUpdateTime
		}
	}
}

// elapsed is how long the action ran (so far, at now).
func (r *actionRow) elapsed(now time.Time) (time.Duration, bool) {
	if r.start.IsZero() || r.status == rowWaiting {
		return 0, false
	}
	end := r.end
	if r.status == string(cptypes.ActionExecutionStatusInProgress) || end.IsZero() {
		end = now
	}
	return max(0, end.Sub(r.start)), true
}

func shortDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// firstLine is the first line of s, cut to n runes.
func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return truncate(strings.TrimSpace(s), n)
}

// shortRevision shortens a commit id to 7 digits.
func shortRevision(id string) string {
	if len(id) == 40 && strings.Trim(id, "0123456789abcdef") == "" {
		return id[:7]
	}
	return id
}

// detail is what the DETAIL column and the plain lines say about a row.
func (r *actionRow) detail() string {
	switch {
	case r.status == rowWaiting:
		return "waiting to enter the stage"
	case r.status == string(cptypes.ActionExecutionStatusFailed) && r.errMsg != "":
		return firstLine(r.errMsg, 160)
	case r.provider == "CodeCommit" || (r.provider == "" && r.stage == "Source"):
		if r.externalID != "" {
			return strings.TrimSpace(shortRevision(r.externalID) + " " + firstLine(r.summary, 72))
		}
	case r.provider == "Manual" && r.status == string(cptypes.ActionExecutionStatusInProgress):
		msg := r.summary // the server's, with the variables resolved
		if c := r.config["CustomData"]; msg == "" && !strings.Contains(c, "#{") {
			msg = c
		}
		switch msg = firstLine(msg, 100); {
		case msg == "":
			return "waiting for approval"
		case strings.HasPrefix(strings.ToLower(msg), "waiting for approval"):
			return msg
		}
		return "waiting for approval: " + msg
	case r.provider == "CodeBuild" && r.externalID != "":
		return r.externalID // its summary names it again; the hints say where the log is
	}
	summary := firstLine(r.summary, 100)
	if r.externalID != "" && strings.Contains(summary, r.externalID) {
		return summary
	}
	return strings.TrimSpace(strings.Join(nonEmpty(r.externalID, summary), " "))
}

func nonEmpty(ss ...string) []string {
	return slices.DeleteFunc(ss, func(s string) bool { return s == "" })
}

// hints are the commands that show more of an action in its state.
func (v *pipelineView) hints(r *actionRow) []string {
	inProgress := r.status == string(cptypes.ActionExecutionStatusInProgress)
	failed := r.status == string(cptypes.ActionExecutionStatusFailed)
	switch {
	case r.provider == "CodeBuild" && r.externalID != "" && inProgress:
		return []string{"logs:    wharf logs build " + r.externalID + " -f"}
	case r.provider == "CodeBuild" && r.externalID != "" && failed:
		return []string{"logs:    wharf logs build " + r.externalID}
	case r.provider == "ECS" && (inProgress || failed):
		cluster, service := cmp.Or(r.config["ClusterName"], "default"), r.config["ServiceName"]
		if service == "" || strings.Contains(cluster+service, "#{") {
			return nil
		}
		return []string{fmt.Sprintf("rollout: wharf services --cluster %s; wharf ps --cluster %s --service %s -a", cluster, cluster, service)}
	case r.provider == "Manual" && inProgress && r.token != "":
		cmd := fmt.Sprintf("wharf pipeline approve %s --stage %s --action %s --token %s", v.pipeline, r.stage, r.action, r.token)
		return []string{"approve: " + cmd, "reject:  " + cmd + " --reject"}
	}
	return nil
}

// plainLines is the line for a row's new state, and its hints.
func (v *pipelineView) plainLines(r *actionRow) []string {
	line := r.key() + " " + r.status
	if r.status != string(cptypes.ActionExecutionStatusInProgress) && r.status != rowWaiting && !r.start.IsZero() && !r.end.IsZero() {
		line += " (" + shortDuration(max(0, r.end.Sub(r.start))) + ")"
	}
	if d := r.detail(); d != "" {
		line += " " + d
	}
	lines := []string{line}
	for _, h := range v.hints(r) {
		if !r.hinted[h] {
			if r.hinted == nil {
				r.hinted = map[string]bool{}
			}
			r.hinted[h] = true
			lines = append(lines, "  "+h)
		}
	}
	return lines
}

// frame is the terminal view at now.
func (v *pipelineView) frame(now time.Time) []string {
	var b bytes.Buffer
	status := cmp.Or(string(v.exec.Status), "…")
	head := fmt.Sprintf("Pipeline %s · execution %s · %s", v.pipeline, v.execID, status)
	if !v.since.IsZero() {
		end := now
		if !v.until.IsZero() {
			end = v.until
		}
		head += " · " + shortDuration(max(0, end.Sub(v.since)))
	}
	b.WriteString(head + "\n")
	if rev := v.revision(); rev != "" {
		b.WriteString(rev + "\n")
	}
	b.WriteString("\n")
	tw := newTable(&b)
	fmt.Fprintln(tw, "STAGE\tACTION\tSTATUS\tTIME\tDETAIL")
	for _, r := range v.rows {
		elapsed := "-"
		if d, ok := r.elapsed(now); ok {
			elapsed = shortDuration(d)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.stage, r.action, orDash(r.status), elapsed, r.detail())
	}
	tw.Flush()
	var hints []string
	for _, r := range v.rows {
		hints = append(hints, v.hints(r)...)
	}
	if len(hints) > 0 {
		b.WriteString("\n")
		for _, h := range hints {
			b.WriteString("  " + h + "\n")
		}
	}
	return strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
}

// revision describes the execution's source revisions and trigger.
func (v *pipelineView) revision() string {
	var parts []string
	for _, ar := range v.exec.ArtifactRevisions {
		s := shortRevision(aws.ToString(ar.RevisionId))
		if sum := firstLine(aws.ToString(ar.RevisionSummary), 60); sum != "" {
			s += " " + sum
		}
		parts = append(parts, strings.TrimSpace(s))
	}
	out := ""
	if len(parts) > 0 {
		out = "Revision " + strings.Join(parts, ", ")
	}
	if v.exec.Trigger != nil && v.exec.Trigger.TriggerType != "" {
		if out != "" {
			out += " · "
		}
		out += "trigger " + string(v.exec.Trigger.TriggerType)
	}
	return out
}

// verdict reports whether the execution has ended, the exit code and the
// final message (with the failed actions and their hints).
func (v *pipelineView) verdict() (done bool, code int, lines []string) {
	st := v.exec.Status
	switch st {
	case cptypes.PipelineExecutionStatusSucceeded:
		code = 0
	case cptypes.PipelineExecutionStatusFailed, cptypes.PipelineExecutionStatusStopped,
		cptypes.PipelineExecutionStatusSuperseded, cptypes.PipelineExecutionStatusCancelled:
		code = exitFailed
	default:
		return false, 0, nil
	}
	msg := fmt.Sprintf("Execution %s of pipeline %s %s", v.execID, v.pipeline, st)
	if !v.since.IsZero() && !v.until.IsZero() {
		msg += " in " + shortDuration(max(0, v.until.Sub(v.since)))
	}
	if s := aws.ToString(v.exec.StatusSummary); s != "" && st != cptypes.PipelineExecutionStatusSucceeded {
		msg += ": " + firstLine(s, 200)
	}
	lines = append(lines, msg)
	if st == cptypes.PipelineExecutionStatusSucceeded {
		return true, code, lines
	}
	for _, r := range v.rows {
		if r.status != string(cptypes.ActionExecutionStatusFailed) && r.status != string(cptypes.ActionExecutionStatusAbandoned) {
			continue
		}
		l := "  " + r.key() + " " + r.status
		if r.errCode != "" || r.errMsg != "" {
			l += ": " + strings.Join(nonEmpty(r.errCode, firstLine(r.errMsg, 300)), ": ")
		}
		lines = append(lines, l)
		for _, h := range v.hints(r) {
			lines = append(lines, "    "+h)
		}
	}
	return true, code, lines
}
