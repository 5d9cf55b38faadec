package taskrun

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sync"

	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/runtime"
)

// apply carries out one action of next. Failures that belong to the task
// (an image that cannot be pulled, a container that cannot be created or
// started) become its stop code and reason; other errors are returned and
// the step is retried.
func (r *Runner) apply(ctx context.Context, a action) error {
	switch a.Kind {
	case actAdvance:
		r.advance(a.To)
	case actFail:
		r.fail(a.Failure)
	case actProvision:
		return r.provision(ctx)
	case actPull:
		return r.pull(ctx)
	case actCreate:
		return r.create(ctx)
	case actStart:
		return r.start(ctx, a.Containers)
	case actStop:
		return r.stop(ctx, a.Containers)
	case actDeprovision:
		return r.deprovision(ctx)
	}
	return nil
}

// advance moves the task forward to status and stamps its timestamps.
func (r *Runner) advance(to model.TaskStatus) {
	now := r.cfg.Now()
	st := &r.st
	if to <= st.LastStatus {
		return
	}
	switch to {
	case model.TaskPending:
		setOnce(&st.ConnectivityAt, now)
	case model.TaskRunning:
		setOnce(&st.StartedAt, now)
	case model.TaskDeactivating, model.TaskStopping:
		setOnce(&st.StoppingAt, now)
	case model.TaskDeprovisioning:
		setOnce(&st.ExecutionStoppedAt, now)
	case model.TaskStopped:
		setOnce(&st.ExecutionStoppedAt, now)
		st.StoppedAt = now
		for i := range st.Containers {
			st.Containers[i].LastStatus = model.ContainerStopped
		}
	}
	st.LastStatus = to
}

// fail records why the task stops on its own.
func (r *Runner) fail(f *failure) {
	r.failure = f
	r.log.Info("task stops", "stop_code", f.Code, "reason", f.Reason)
	r.st.StopCode, r.st.StoppedReason = f.Code, f.Reason
	if i, _ := r.byName(f.Container); i >= 0 && r.st.Containers[i].Reason == "" {
		r.st.Containers[i].Reason = truncate(f.Reason)
	}
}

func (r *Runner) failTask(container, reason string) {
	r.fail(&failure{Code: model.StopTaskFailedToStart, Reason: reason, Container: container})
}

// provision creates the awsvpc network (if needed) and the pause container
// whose network namespace the task's containers join.
func (r *Runner) provision(ctx context.Context) error {
	if r.cfg.PauseImage == "" || r.cfg.AwsvpcNetwork == "" {
		r.failTask("", "ResourceInitializationError: awsvpc network mode is not configured on this instance (no pause image or network)")
		return nil
	}
	if _, err := r.cfg.Runtime.EnsureNetwork(ctx, r.cfg.AwsvpcNetwork, r.cfg.Labels); err != nil {
		return err
	}
	spec := pauseSpec(r.cfg.Task, r.cfg.TaskDef, r.cfg.PauseImage, r.cfg.AwsvpcNetwork, r.suffix, r.cfg.Labels)
	id, err := r.cfg.Runtime.Create(ctx, spec)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		r.failTask("", "ResourceInitializationError: failed to create the task network namespace: "+err.Error())
		return nil
	}
	r.pauseID = id
	if err := r.cfg.Runtime.Start(ctx, id); err != nil {
		if ctx.Err() != nil {
			return err
		}
		r.failTask("", "ResourceInitializationError: failed to start the task network namespace: "+err.Error())
		return nil
	}
	st, err := r.cfg.Runtime.Inspect(ctx, id)
	if err != nil {
		return err
	}
	r.setPauseAddress(st)
	return nil
}

// setPauseAddress takes the task's address from its pause container. The
// MAC address is the one Docker derives from the IPv4 address on bridge
// networks (02:42 followed by the address's four bytes).
func (r *Runner) setPauseAddress(st runtime.ContainerState) {
	ip := st.Networks[r.cfg.AwsvpcNetwork]
	if ip == "" {
		return
	}
	r.st.PrivateIPv4 = ip
	if a, err := netip.ParseAddr(ip); err == nil && a.Is4() {
		b := a.As4()
		r.st.MACAddress = fmt.Sprintf("02:42:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3])
	}
}

// pull makes every image local, pulling those that are not.
func (r *Runner) pull(ctx context.Context) error {
	setOnce(&r.st.PullStartedAt, r.cfg.Now())
	r.commit()
	pulled := map[string]bool{}
	for _, c := range r.ctrs {
		img := c.def.Image
		if pulled[img] {
			continue
		}
		ok, err := r.cfg.Runtime.ImageExists(ctx, img)
		if err != nil {
			return err
		}
		if !ok {
			r.log.Info("pulling image", "image", img)
			if err := r.cfg.Runtime.Pull(ctx, img, nil); err != nil {
				if ctx.Err() != nil {
					return err
				}
				r.st.PullStoppedAt = r.cfg.Now()
				reason := "CannotPullContainerError: " + err.Error()
				for i, o := range r.ctrs {
					if o.def.Image == img {
						r.st.Containers[i].Reason = truncate(reason)
					}
				}
				r.failTask(c.def.Name, reason)
				return nil
			}
		}
		pulled[img] = true
	}
	r.st.PullStoppedAt = r.cfg.Now()
	r.pulled = true
	return nil
}

// create creates the containers that do not exist yet, dependencies first
// (links and volumesFrom need their sources to exist).
func (r *Runner) create(ctx context.Context) error {
	order, err := startOrder(r.snapshot().Containers)
	if err != nil {
		r.failTask("", "CannotCreateContainerError: "+err.Error())
		return nil
	}
	for _, name := range order {
		i, c := r.byName(name)
		if c.id != "" {
			continue
		}
		spec, err := containerSpec(r.cfg.Task, r.cfg.TaskDef, c.def, r.specOptions())
		if err != nil {
			r.failTask(name, err.Error())
			return nil
		}
		for _, m := range spec.Mounts {
			// A host sourcePath is created if missing (ecs.md 2.9); Docker's
			// bind mounts would refuse a missing source.
			if m.Type == runtime.MountBind {
				if err := os.MkdirAll(m.Source, 0o755); err != nil {
					r.failTask(name, "CannotCreateContainerError: "+err.Error())
					return nil
				}
			}
		}
		id, err := r.cfg.Runtime.Create(ctx, spec)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			r.failTask(name, "CannotCreateContainerError: "+err.Error())
			return nil
		}
		c.id, c.dockerName = id, spec.Name
		r.st.Containers[i].RuntimeID = id
	}
	return nil
}

// start starts containers whose dependencies are met.
func (r *Runner) start(ctx context.Context, names []string) error {
	for _, name := range names {
		i, c := r.byName(name)
		if err := r.cfg.Runtime.Start(ctx, c.id); err != nil {
			if ctx.Err() != nil {
				return err
			}
			reason := "CannotStartContainerError: " + err.Error()
			r.st.Containers[i].LastStatus = model.ContainerStopped
			r.failTask(name, reason)
			return nil
		}
		st, err := r.cfg.Runtime.Inspect(ctx, c.id)
		if err != nil && !errors.Is(err, runtime.ErrNotFound) {
			return err
		}
		r.observe(ctx, i, st, err)
		r.log.Info("container started", "container", name, "id", short(c.id))
	}
	return nil
}

// stop stops one wave of containers at once, each with its stopTimeout
// (the runtime sends SIGTERM, then SIGKILL), and observes the outcome.
func (r *Runner) stop(ctx context.Context, names []string) error {
	type result struct {
		i   int
		st  runtime.ContainerState
		err error
	}
	results := make([]result, len(names))
	var wg sync.WaitGroup
	for k, name := range names {
		i, c := r.byName(name)
		c.stopSent = true
		timeout := stopTimeout(c.def, r.cfg.StopTimeoutDefault)
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := r.cfg.Runtime.Stop(ctx, c.id, timeout)
			var st runtime.ContainerState
			if err == nil || errors.Is(err, runtime.ErrNotFound) {
				st, err = r.cfg.Runtime.Inspect(ctx, c.id)
			}
			results[k] = result{i: i, st: st, err: err}
		}()
	}
	wg.Wait()
	var firstErr error
	for _, res := range results {
		if res.err != nil && !errors.Is(res.err, runtime.ErrNotFound) {
			firstErr = cmpErr(firstErr, res.err)
			continue
		}
		r.observe(ctx, res.i, res.st, res.err)
	}
	return firstErr
}

// deprovision removes the pause container.
func (r *Runner) deprovision(ctx context.Context) error {
	if err := r.cfg.Runtime.Remove(ctx, r.pauseID); err != nil && !errors.Is(err, runtime.ErrNotFound) {
		return err
	}
	r.pauseID = ""
	return nil
}

// Cleanup removes the task's containers (kept after STOPPED so that they can
// be inspected, like the ECS agent keeps them for
// ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION) and its task-scoped volumes, if the
// runtime can remove volumes (VolumeRemover). Call it after Run returned.
func (r *Runner) Cleanup(ctx context.Context) error {
	cs, err := r.cfg.Runtime.List(ctx, map[string]string{runtime.LabelTaskARN: r.cfg.Task.ARN})
	if err != nil {
		return err
	}
	for _, c := range cs {
		if err := r.cfg.Runtime.Remove(ctx, c.ID); err != nil && !errors.Is(err, runtime.ErrNotFound) {
			return err
		}
	}
	vr, ok := r.cfg.Runtime.(VolumeRemover)
	if !ok {
		return nil
	}
	for _, v := range taskScopedVolumes(r.cfg.Task, r.cfg.TaskDef) {
		if err := vr.RemoveVolume(ctx, v); err != nil {
			return err
		}
	}
	return nil
}

// VolumeRemover is implemented by runtimes that can remove named volumes
// (runtime/docker, runtime/fake); Cleanup uses it for task-scoped volumes.
type VolumeRemover interface {
	// RemoveVolume removes a named volume; a missing volume is not an error.
	RemoveVolume(ctx context.Context, name string) error
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}
