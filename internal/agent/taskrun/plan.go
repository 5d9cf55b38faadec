package taskrun

import (
	"time"

	"github.com/wharfhq/wharf/internal/model"
)

// snapshot is everything the runner knows about its task at one instant:
// the input of next.
type snapshot struct {
	Status     model.TaskStatus
	Desired    string   // model.DesiredRunning or model.DesiredStopped
	Failure    *failure // set once the task decided to stop on its own
	NeedsPause bool     // awsvpc
	PauseID    string   // the pause container, if it exists
	Pulled     bool     // every image is local
	Containers []containerView
	Now        time.Time
}

// actionKind is what the runner does next.
type actionKind int

const (
	actWait        actionKind = iota // nothing to do until an event, a desired-status change or Wake
	actAdvance                       // move the task to To
	actFail                          // record Failure: the task stops on its own
	actProvision                     // awsvpc: create and start the pause container
	actPull                          // pull the images that are not local
	actCreate                        // create the containers that do not exist yet
	actStart                         // start Containers
	actStop                          // stop Containers (SIGTERM, SIGKILL after their stopTimeout)
	actDeprovision                   // remove the pause container
	actDone                          // STOPPED has been reported: nothing is left to do
)

var actionNames = [...]string{"wait", "advance", "fail", "provision", "pull", "create", "start", "stop", "deprovision", "done"}

func (k actionKind) String() string { return actionNames[k] }

// action is next's answer.
type action struct {
	Kind       actionKind
	To         model.TaskStatus // actAdvance
	Failure    *failure         // actFail
	Containers []string         // actStart, actStop
	Wake       time.Time        // actWait: re-decide at this time (zero: only on news)
}

// next is the task's state machine as a pure function: from what is known
// and desired now, the one step to take. Applying the step changes the
// snapshot; the runner calls next again until it says wait or done.
// Statuses only move forward; see doc.go for the diagram.
func next(s snapshot) action {
	if s.Status == model.TaskStopped {
		return action{Kind: actDone}
	}
	if s.Failure == nil && s.Status >= model.TaskActivating && s.Status <= model.TaskRunning {
		if f := exitFailure(s.Containers); f != nil {
			return action{Kind: actFail, Failure: f}
		}
	}
	if s.Desired == model.DesiredStopped || s.Failure != nil {
		return nextStopping(s)
	}
	switch s.Status {
	case 0, model.TaskProvisioning:
		if s.NeedsPause && s.PauseID == "" {
			return action{Kind: actProvision}
		}
		return action{Kind: actAdvance, To: model.TaskPending}
	case model.TaskPending:
		switch {
		case s.NeedsPause && s.PauseID == "":
			return action{Kind: actProvision}
		case !s.Pulled:
			return action{Kind: actPull}
		case anyContainer(s.Containers, func(c containerView) bool { return !c.Created }):
			return action{Kind: actCreate}
		}
		return action{Kind: actAdvance, To: model.TaskActivating}
	case model.TaskActivating:
		start, fail, wake := activation(s.Containers, s.Now)
		switch {
		case fail != nil:
			return action{Kind: actFail, Failure: fail}
		case len(start) > 0:
			return action{Kind: actStart, Containers: start}
		case allStarted(s.Containers):
			return action{Kind: actAdvance, To: model.TaskRunning}
		}
		return action{Kind: actWait, Wake: wake}
	}
	return action{Kind: actWait} // RUNNING: wait for exits, health and StopTask
}

// nextStopping walks a task that must stop through the rest of its life:
// a RUNNING task goes DEACTIVATING → STOPPING → DEPROVISIONING → STOPPED;
// one that never ran skips what it has nothing to do for, down to
// STOPPED directly when nothing runs.
func nextStopping(s snapshot) action {
	running := anyContainer(s.Containers, func(c containerView) bool { return c.Status == model.ContainerRunning })
	switch {
	case s.Status == model.TaskRunning:
		return action{Kind: actAdvance, To: model.TaskDeactivating}
	case s.Status == model.TaskDeactivating:
		return action{Kind: actAdvance, To: model.TaskStopping}
	case running && s.Status < model.TaskStopping:
		return action{Kind: actAdvance, To: model.TaskStopping}
	case running:
		return action{Kind: actStop, Containers: stopWave(s.Containers)}
	case s.Status == model.TaskStopping || (s.PauseID != "" && s.Status < model.TaskDeprovisioning):
		return action{Kind: actAdvance, To: model.TaskDeprovisioning}
	case s.PauseID != "":
		return action{Kind: actDeprovision}
	}
	return action{Kind: actAdvance, To: model.TaskStopped}
}

func anyContainer(cs []containerView, f func(containerView) bool) bool {
	for _, c := range cs {
		if f(c) {
			return true
		}
	}
	return false
}
