package taskrun

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wharfhq/wharf/internal/model"
)

// dependency is one edge of a task's container graph: the owner may start
// once Container satisfies Condition.
type dependency struct {
	Container string
	Condition string // model.Depends*
}

// dependencies returns a container's dependencies: its dependsOn plus the
// START ordering that links and volumesFrom imply.
func dependencies(c model.ContainerDefinition) []dependency {
	var deps []dependency
	for _, d := range c.DependsOn {
		deps = append(deps, dependency{Container: d.ContainerName, Condition: d.Condition})
	}
	add := func(name string) {
		for _, d := range deps {
			if d.Container == name {
				return
			}
		}
		deps = append(deps, dependency{Container: name, Condition: model.DependsStart})
	}
	for _, l := range c.Links {
		name, _, _ := strings.Cut(l, ":")
		add(name)
	}
	for _, vf := range c.VolumesFrom {
		add(vf.SourceContainer)
	}
	return deps
}

// containerView is what the decisions know about one container: its
// definition's relevant parts and its observed state.
type containerView struct {
	Name           string
	Essential      bool
	Deps           []dependency
	StartTimeout   time.Duration // how long dependents wait for this container's condition
	HasHealthCheck bool

	Status    model.ContainerStatus
	Created   bool // a runtime container exists (or existed)
	StartedAt time.Time
	ExitCode  *int32
	Health    string // model.Health*
}

func (c containerView) started() bool { return !c.StartedAt.IsZero() }
func (c containerView) exited() bool  { return c.Status == model.ContainerStopped && c.started() }

// failure is why a task stops on its own: its stopCode and stoppedReason,
// and the container (if any) whose reason becomes the same.
type failure struct {
	Code      string
	Reason    string
	Container string
}

// activation decides, for a task in ACTIVATING, which pending containers
// start now (their dependencies are met), whether the task fails because a
// dependency can never be met or timed out, and otherwise when the earliest
// wait times out (zero if nothing waits with a timeout).
//
// The timeout of a COMPLETE, SUCCESS or HEALTHY wait is the dependency's
// startTimeout counted from the dependency's start, as the ECS agent does;
// START waits have none (the dependency's own start fails the task).
func activation(cs []containerView, now time.Time) (start []string, fail *failure, wake time.Time) {
	byName := make(map[string]containerView, len(cs))
	for _, c := range cs {
		byName[c.Name] = c
	}
	for _, c := range cs {
		if c.Essential && c.Status == model.ContainerStopped && !c.started() {
			return nil, &failure{Code: model.StopTaskFailedToStart, Container: c.Name,
				Reason: fmt.Sprintf("CannotStartContainerError: essential container %s stopped before it started", c.Name)}, time.Time{}
		}
		if c.Status != model.ContainerPending {
			continue
		}
		ready := true
		for _, d := range c.Deps {
			dep, ok := byName[d.Container]
			if !ok {
				return nil, &failure{Code: model.StopTaskFailedToStart, Container: c.Name,
					Reason: fmt.Sprintf("CannotStartContainerError: container %s depends on %s, which is not in the task", c.Name, d.Container)}, time.Time{}
			}
			met, never := condition(dep, d.Condition)
			if met {
				continue
			}
			ready = false
			if never != "" {
				return nil, &failure{Code: model.StopTaskFailedToStart, Container: c.Name,
					Reason: fmt.Sprintf("CannotStartContainerError: container %s cannot start: dependency %s %s", c.Name, d.Container, never)}, time.Time{}
			}
			if d.Condition == model.DependsStart || !dep.started() {
				continue
			}
			deadline := dep.StartedAt.Add(dep.StartTimeout)
			if !now.Before(deadline) {
				return nil, &failure{Code: model.StopTaskFailedToStart, Container: c.Name,
					Reason: fmt.Sprintf("ContainerRuntimeTimeoutError: Could not transition to running; timed out after waiting %s: container %s waits for dependency %s to be %s",
						dep.StartTimeout, c.Name, d.Container, d.Condition)}, time.Time{}
			}
			if wake.IsZero() || deadline.Before(wake) {
				wake = deadline
			}
		}
		if ready {
			start = append(start, c.Name)
		}
	}
	return start, nil, wake
}

// condition says whether dep meets cond now, or why it never will.
func condition(dep containerView, cond string) (met bool, never string) {
	switch cond {
	case model.DependsStart:
		if dep.started() {
			return true, ""
		}
		if dep.Status == model.ContainerStopped {
			return false, "never started"
		}
	case model.DependsComplete:
		if dep.exited() {
			return true, ""
		}
		if dep.Status == model.ContainerStopped {
			return false, "never started"
		}
	case model.DependsSuccess:
		if dep.exited() && dep.ExitCode != nil && *dep.ExitCode == 0 {
			return true, ""
		}
		if dep.exited() {
			return false, fmt.Sprintf("did not exit successfully (exit code %s)", exitCodeText(dep.ExitCode))
		}
		if dep.Status == model.ContainerStopped {
			return false, "never started"
		}
	case model.DependsHealthy:
		if !dep.HasHealthCheck {
			return false, "has no health check and can never be HEALTHY"
		}
		if dep.Status == model.ContainerRunning && dep.Health == model.HealthHealthy {
			return true, ""
		}
		if dep.Status == model.ContainerStopped {
			return false, "stopped before it became HEALTHY"
		}
	default:
		return false, fmt.Sprintf("has unknown dependency condition %q", cond)
	}
	return false, ""
}

func exitCodeText(code *int32) string {
	if code == nil {
		return "unknown"
	}
	return fmt.Sprint(*code)
}

// startOrder sorts the containers so that every container comes after the
// containers it depends on (definition order otherwise), which is also the
// order to create them in: links and volumesFrom need their sources to
// exist. It fails on a cycle or an unknown dependency.
func startOrder(cs []containerView) ([]string, error) {
	known := map[string]bool{}
	for _, c := range cs {
		known[c.Name] = true
	}
	done := map[string]bool{}
	var order []string
	for len(order) < len(cs) {
		progressed := false
		for _, c := range cs {
			if done[c.Name] {
				continue
			}
			ready := true
			for _, d := range c.Deps {
				if !known[d.Container] {
					return nil, fmt.Errorf("container %s depends on %s, which is not in the task", c.Name, d.Container)
				}
				ready = ready && done[d.Container]
			}
			if ready {
				done[c.Name] = true
				order = append(order, c.Name)
				progressed = true
			}
		}
		if !progressed {
			var stuck []string
			for _, c := range cs {
				if !done[c.Name] {
					stuck = append(stuck, c.Name)
				}
			}
			return nil, fmt.Errorf("dependency cycle between containers %s", strings.Join(stuck, ", "))
		}
	}
	return order, nil
}

// stopWave returns the running containers to stop now: shutdown is the
// reverse of startup, so a container is stopped only once nothing that
// depends on it still runs. (On a cycle, every running container goes.)
func stopWave(cs []containerView) []string {
	running := map[string]bool{}
	for _, c := range cs {
		if c.Status == model.ContainerRunning {
			running[c.Name] = true
		}
	}
	held := map[string]bool{}
	for _, c := range cs {
		if !running[c.Name] {
			continue
		}
		for _, d := range c.Deps {
			if d.Container != c.Name {
				held[d.Container] = true
			}
		}
	}
	var wave []string
	for _, c := range cs {
		if running[c.Name] && !held[c.Name] {
			wave = append(wave, c.Name)
		}
	}
	if len(wave) == 0 {
		for _, c := range cs {
			if running[c.Name] {
				wave = append(wave, c.Name)
			}
		}
	}
	return wave
}

// exitFailure says whether a started task must stop because of container
// exits (ecs.md 3.2): an essential container that ran has exited →
// EssentialContainerExited; every container has exited (only possible
// without essential containers, which validation forbids) → no stop code,
// reason "All containers exited". A non-essential exit alone changes nothing.
func exitFailure(cs []containerView) *failure {
	all := len(cs) > 0
	for _, c := range cs {
		if c.Essential && c.exited() {
			return &failure{Code: model.StopEssentialContainerExited, Reason: "Essential container in task exited"}
		}
		all = all && c.exited()
	}
	if all {
		return &failure{Reason: "All containers exited"}
	}
	return nil
}

// allStarted reports whether a task in ACTIVATING is RUNNING: no container
// waits to start and every essential container runs.
func allStarted(cs []containerView) bool {
	for _, c := range cs {
		if c.Status == model.ContainerPending || (c.Essential && c.Status != model.ContainerRunning) {
			return false
		}
	}
	return slices.ContainsFunc(cs, func(c containerView) bool { return c.Status == model.ContainerRunning })
}
