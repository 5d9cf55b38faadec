package taskrun

import (
	"context"
	"errors"
	"time"

	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/runtime"
)

// seed starts from the last state the server has (after an agent restart):
// its status, timestamps, version, stop code and per-container results.
func (r *Runner) seed(p model.TaskState) {
	prior := cloneState(p)
	r.lastReported = cloneState(p)
	for i := range r.st.Containers {
		for _, pc := range prior.Containers {
			if pc.Name == r.st.Containers[i].Name {
				r.st.Containers[i] = pc
			}
		}
	}
	prior.Containers = r.st.Containers
	prior.TaskARN = r.cfg.Task.ARN
	if prior.LastStatus == 0 {
		prior.LastStatus = model.TaskProvisioning
	}
	r.st = prior
	if p.LastStatus > model.TaskRunning || p.StopCode != "" || p.StoppedReason != "" {
		// The task was already on its way out.
		r.failure = &failure{Code: p.StopCode, Reason: p.StoppedReason}
	}
}

// adopt finds the containers that already exist for the task (labelled
// with its ARN) and takes them over as they are: a running container keeps
// running and is tracked from its Inspect state; nothing is started twice.
// A container that is missing is created later only if the task has not
// started yet (status before ACTIVATING); otherwise it is STOPPED — for an
// essential container, an essential exit.
func (r *Runner) adopt(ctx context.Context) error {
	if r.st.LastStatus == model.TaskStopped {
		return nil
	}
	list, err := r.cfg.Runtime.List(ctx, map[string]string{runtime.LabelTaskARN: r.cfg.Task.ARN})
	if err != nil {
		return err
	}
	r.adopting = true
	defer func() { r.adopting = false }()

	found := map[string]runtime.ContainerState{}
	for _, st := range list {
		name := st.Labels[runtime.LabelContainerName]
		if have, ok := found[name]; ok {
			r.log.Warn("more than one container for the same task container; adopting one", "container", name, "ids", []string{short(have.ID), short(st.ID)})
			if !preferred(st, have) {
				continue
			}
		}
		found[name] = st
	}

	if p, ok := found[pauseContainerName]; ok {
		r.pauseID = p.ID
		if p.Running {
			r.setPauseAddress(p)
		} else if r.st.LastStatus < model.TaskActivating {
			// A dead namespace nothing uses yet: make a new one.
			if err := r.cfg.Runtime.Remove(ctx, p.ID); err != nil && !errors.Is(err, runtime.ErrNotFound) {
				return err
			}
			r.pauseID = ""
		}
	}

	started := false
	for i, c := range r.ctrs {
		cs := &r.st.Containers[i]
		if st, ok := found[c.def.Name]; ok {
			c.id, c.dockerName = st.ID, st.Name
			cs.RuntimeID = st.ID
			r.observe(ctx, i, st, nil)
			r.log.Info("adopted container", "container", c.def.Name, "id", short(st.ID), "status", st.Status)
		} else if r.st.LastStatus >= model.TaskActivating && cs.LastStatus != model.ContainerStopped {
			// Gone while no agent watched.
			if cs.LastStatus == model.ContainerRunning {
				c.startedAt = r.startedFallback()
			}
			cs.LastStatus = model.ContainerStopped
			if cs.Reason == "" {
				cs.Reason = reasonVanished
			}
		}
		if cs.LastStatus == model.ContainerStopped && cs.ExitCode != nil && c.startedAt.IsZero() {
			c.startedAt = r.startedFallback() // it ran, per the prior state
		}
		started = started || !c.startedAt.IsZero()
	}
	if started && r.st.LastStatus < model.TaskActivating {
		r.st.LastStatus = model.TaskActivating
	}
	r.pulled = r.st.LastStatus >= model.TaskActivating
	return nil
}

// preferred says whether a should be adopted rather than b when both claim
// to be the same task container: running first, then the later start.
func preferred(a, b runtime.ContainerState) bool {
	if a.Running != b.Running {
		return a.Running
	}
	return a.StartedAt.After(b.StartedAt)
}

// startedFallback is a start time for a container known to have run whose
// start time is unknown: the task's, or now.
func (r *Runner) startedFallback() time.Time {
	if !r.st.StartedAt.IsZero() {
		return r.st.StartedAt
	}
	return r.cfg.Now()
}
