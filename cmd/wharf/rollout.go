package main

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// --- Following a rollout: the pure parts ---

// rolloutTarget is the deployment being followed.
type rolloutTarget struct {
	deploymentID   string
	taskDefinition string // its task definition ARN
	// serviceDeploymentARN is its ARN in the service-deployment API, which
	// still knows why it ended once DescribeServices no longer lists it.
	serviceDeploymentARN string
	deadline             time.Time
	timeout              time.Duration
}

type rolloutResult int

const (
	rolloutInProgress rolloutResult = iota
	rolloutCompleted
	rolloutFailed   // FAILED, or rolled back / replaced by another task definition
	rolloutTimedOut // the deadline passed first
	rolloutGone     // the service is no longer ACTIVE
)

// rolloutVerdict is what one DescribeServices snapshot says about the
// followed deployment.
type rolloutVerdict struct {
	result  rolloutResult
	message string
	// follow, if set, is the deployment to follow from now on: the target
	// was superseded by a deployment of the same task definition.
	follow string
	// replacedBy is set when a deployment of another task definition took
	// over: only the service-deployment API can tell why (explainReplaced).
	replacedBy *ecstypes.Deployment
}

func (v rolloutVerdict) exitCode() int {
	switch v.result {
	case rolloutCompleted:
		return 0
	case rolloutFailed:
		return exitFailed
	case rolloutTimedOut:
		return exitTimedOut
	}
	return exitError
}

func primaryDeployment(svc ecstypes.Service) *ecstypes.Deployment {
	for i := range svc.Deployments {
		if aws.ToString(svc.Deployments[i].Status) == "PRIMARY" {
			return &svc.Deployments[i]
		}
	}
	return nil
}

func findDeployment(svc ecstypes.Service, id string) *ecstypes.Deployment {
	for i := range svc.Deployments {
		if aws.ToString(svc.Deployments[i].Id) == id {
			return &svc.Deployments[i]
		}
	}
	return nil
}

// decideRollout is the verdict on target from one snapshot of the
// service at now. A terminal state seen in the snapshot wins over the
// deadline.
func decideRollout(svc ecstypes.Service, target rolloutTarget, now time.Time) rolloutVerdict {
	if st := aws.ToString(svc.Status); st != "ACTIVE" {
		return rolloutVerdict{result: rolloutGone, message: fmt.Sprintf("service %s is %s: it was deleted during the deployment", aws.ToString(svc.ServiceName), st)}
	}
	mine, primary := findDeployment(svc, target.deploymentID), primaryDeployment(svc)
	switch {
	case mine != nil && mine.RolloutState == ecstypes.DeploymentRolloutStateFailed:
		msg := "deployment failed: " + cmp.Or(aws.ToString(mine.RolloutStateReason), "rolloutState FAILED")
		if primary != nil && primary != mine {
			msg += fmt.Sprintf("\nthe service is rolling back to %s (deployment %s)", familyRevision(aws.ToString(primary.TaskDefinition)), aws.ToString(primary.Id))
		}
		return rolloutVerdict{result: rolloutFailed, message: msg}
	case primary != nil && primary != mine:
		if aws.ToString(primary.TaskDefinition) == target.taskDefinition {
			return rolloutVerdict{follow: aws.ToString(primary.Id), message: fmt.Sprintf("deployment %s was superseded by deployment %s of the same task definition; following it",
				target.deploymentID, aws.ToString(primary.Id))}
		}
		return rolloutVerdict{result: rolloutFailed, replacedBy: primary, message: fmt.Sprintf("deployment failed: deployment %s of %s is no longer PRIMARY\nthe service moved on to %s (deployment %s)",
			target.deploymentID, familyRevision(target.taskDefinition), familyRevision(aws.ToString(primary.TaskDefinition)), aws.ToString(primary.Id))}
	case mine != nil && mine.RolloutState == ecstypes.DeploymentRolloutStateCompleted:
		return rolloutVerdict{result: rolloutCompleted, message: fmt.Sprintf("deployment %s COMPLETED: %s is running %d/%d tasks",
			target.deploymentID, familyRevision(target.taskDefinition), mine.RunningCount, mine.DesiredCount)}
	case !now.Before(target.deadline):
		msg := fmt.Sprintf("timed out after %s waiting for deployment %s", target.timeout, target.deploymentID)
		if mine != nil {
			msg += fmt.Sprintf(" (rolloutState %s, %d/%d running, %d pending, %d failed)", mine.RolloutState, mine.RunningCount, mine.DesiredCount, mine.PendingCount, mine.FailedTasks)
		}
		return rolloutVerdict{result: rolloutTimedOut, message: msg + "; it goes on on the server"}
	}
	return rolloutVerdict{}
}

// explainReplaced rewords the verdict on a deployment that another one
// replaced, with what the service-deployment API says of it: rolled back
// (by the circuit breaker or "deploy cancel") and why, or stopped.
func explainReplaced(v rolloutVerdict, sd ecstypes.ServiceDeployment) string {
	reason := aws.ToString(sd.StatusReason)
	if sd.Rollback != nil && aws.ToString(sd.Rollback.Reason) != "" {
		reason = aws.ToString(sd.Rollback.Reason)
	}
	to := fmt.Sprintf("%s (deployment %s)", familyRevision(aws.ToString(v.replacedBy.TaskDefinition)), aws.ToString(v.replacedBy.Id))
	switch sd.Status {
	case ecstypes.ServiceDeploymentStatusRollbackInProgress:
		return "deployment failed: " + reason + "\nthe service is rolling back to " + to
	case ecstypes.ServiceDeploymentStatusRollbackSuccessful:
		return "deployment failed: " + reason + "\nthe service rolled back to " + to
	case ecstypes.ServiceDeploymentStatusRollbackFailed:
		return "deployment failed: " + reason + "\nthe rollback to " + to + " failed as well"
	}
	return fmt.Sprintf("deployment failed: %s: %s\nthe service moved on to %s", sd.Status, cmp.Or(reason, "no reason given"), to)
}

// rolloutWatch is what deploy has seen of a rollout: the service events
// since it started and, for plain output, what it last printed about each
// deployment. It renders both progress forms.
type rolloutWatch struct {
	headline string
	started  time.Time
	seen     map[string]bool         // service event IDs already seen
	events   []ecstypes.ServiceEvent // events since the start, oldest first
	printed  map[string]string       // deployment ID → its last plain line
	order    []string                // deployment IDs in printed, in order
}

// newRolloutWatch starts a watch; baseline's events are old news.
func newRolloutWatch(headline string, baseline ecstypes.Service, started time.Time) *rolloutWatch {
	w := &rolloutWatch{headline: headline, started: started, seen: map[string]bool{}, printed: map[string]string{}}
	for _, e := range baseline.Events {
		w.seen[aws.ToString(e.Id)] = true
	}
	return w
}

// step records a snapshot and returns the plain lines for what changed:
// new events (oldest first), then deployments whose line changed or that
// are no longer listed.
func (w *rolloutWatch) step(svc ecstypes.Service) []string {
	var lines []string
	for i := len(svc.Events) - 1; i >= 0; i-- { // events are newest first
		e := svc.Events[i]
		if id := aws.ToString(e.Id); !w.seen[id] {
			w.seen[id] = true
			w.events = append(w.events, e)
			lines = append(lines, "event: "+aws.ToString(e.Message))
		}
	}
	listed := map[string]bool{}
	for _, d := range svc.Deployments {
		id := aws.ToString(d.Id)
		listed[id] = true
		line := fmt.Sprintf("%s %s %s %s desired=%d running=%d pending=%d failed=%d", id, aws.ToString(d.Status),
			familyRevision(aws.ToString(d.TaskDefinition)), d.RolloutState, d.DesiredCount, d.RunningCount, d.PendingCount, d.FailedTasks)
		if d.RolloutState == ecstypes.DeploymentRolloutStateFailed {
			line += ": " + aws.ToString(d.RolloutStateReason)
		}
		if prev, ok := w.printed[id]; !ok || prev != line {
			if !ok {
				w.order = append(w.order, id)
			}
			w.printed[id] = line
			lines = append(lines, line)
		}
	}
	w.order = slices.DeleteFunc(w.order, func(id string) bool {
		if listed[id] {
			return false
		}
		delete(w.printed, id)
		lines = append(lines, id+" INACTIVE (no longer listed)")
		return true
	})
	return lines
}

// maxFrameEvents is how many events the terminal view shows.
const maxFrameEvents = 8

// frame is the terminal view of the rollout at now.
func (w *rolloutWatch) frame(svc ecstypes.Service, now time.Time) []string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s · %s\n\n", w.headline, now.Sub(w.started).Truncate(time.Second))
	tw := newTable(&b)
	fmt.Fprintln(tw, "DEPLOYMENT\tSTATUS\tTASK DEFINITION\tROLLOUT\tDESIRED\tRUNNING\tPENDING\tFAILED")
	for _, d := range svc.Deployments {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\n", aws.ToString(d.Id), aws.ToString(d.Status), familyRevision(aws.ToString(d.TaskDefinition)),
			d.RolloutState, d.DesiredCount, d.RunningCount, d.PendingCount, d.FailedTasks)
	}
	tw.Flush()
	for _, d := range svc.Deployments {
		if d.RolloutState == ecstypes.DeploymentRolloutStateFailed {
			fmt.Fprintf(&b, "%s: %s\n", aws.ToString(d.Id), aws.ToString(d.RolloutStateReason))
		}
	}
	b.WriteString("\nEvents since the update:\n")
	evs := w.events[max(0, len(w.events)-maxFrameEvents):]
	if len(evs) == 0 {
		b.WriteString("  (none yet)\n")
	}
	for _, e := range evs {
		fmt.Fprintf(&b, "  %s  %s\n", aws.ToTime(e.CreatedAt).Local().Format("15:04:05"), aws.ToString(e.Message))
	}
	return strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
}

// stoppedTaskLines describes a stopped task and its containers.
func stoppedTaskLines(t ecstypes.Task) []string {
	stopped := "-"
	if t.StoppedAt != nil {
		stopped = t.StoppedAt.Local().Format("15:04:05")
	}
	lines := []string{fmt.Sprintf("task %s (%s) stopped at %s: %s: %s", taskIDOf(aws.ToString(t.TaskArn)), familyRevision(aws.ToString(t.TaskDefinitionArn)),
		stopped, orDash(string(t.StopCode)), orDash(aws.ToString(t.StoppedReason)))}
	for _, c := range t.Containers {
		s := "  container " + aws.ToString(c.Name) + ": "
		if c.ExitCode != nil {
			s += fmt.Sprintf("exit code %d", *c.ExitCode)
		} else {
			s += "no exit code"
		}
		if r := aws.ToString(c.Reason); r != "" {
			s += " (" + r + ")"
		}
		lines = append(lines, s)
	}
	return lines
}

// taskContainer names one container of a task.
type taskContainer struct {
	task      ecstypes.Task
	container string
}

// maxLogCandidates is how many failed containers are tried for a log tail.
const maxLogCandidates = 3

// failedContainers lists the containers whose logs may explain a failure,
// best first: those that exited non-zero, then those with a reason and no
// exit code (never started), newest task first. tasks are newest first.
func failedContainers(tasks []ecstypes.Task) []taskContainer {
	var out []taskContainer
	for _, pick := range []func(ecstypes.Container) bool{
		func(c ecstypes.Container) bool { return aws.ToInt32(c.ExitCode) != 0 },
		func(c ecstypes.Container) bool { return c.ExitCode == nil && aws.ToString(c.Reason) != "" },
	} {
		for _, t := range tasks {
			for _, c := range t.Containers {
				if pick(c) && len(out) < maxLogCandidates {
					out = append(out, taskContainer{t, aws.ToString(c.Name)})
				}
			}
		}
	}
	return out
}
