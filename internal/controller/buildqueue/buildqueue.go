// Package buildqueue places queued builds on container instances and ends
// builds that can no longer run: queued past their queuedTimeoutInMinutes
// (TIMED_OUT, as CodeBuild does) or placed on an instance that is gone
// (FAULT). StartBuild places a build at once when it can; this loop
// catches the rest.
package buildqueue

import (
	"context"
	"log/slog"
	"time"

	"github.com/wharfhq/wharf/internal/build/placement"
	"github.com/wharfhq/wharf/internal/controller"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/state"
)

// Candidate is a build with its state, as Plan sees it.
type Candidate struct {
	Build *model.Build
	State *model.BuildState
}

// Action is what Plan decides for one build.
type Action struct {
	Build *model.Build
	// Place: Cluster and InstanceID to assign. End: the final status and
	// why.
	Cluster, InstanceID string
	End                 string
	Reason              string
}

// Plan decides, for every incomplete build, whether to place it, end it,
// or leave it. instances are every cluster's container instances.
func Plan(cs []Candidate, instances []*model.ContainerInstance, now time.Time) []Action {
	running := map[string]int{}
	byKey := map[string]*model.ContainerInstance{}
	for _, ci := range instances {
		byKey[placement.Key(placement.ClusterName(ci), ci.ID)] = ci
	}
	for _, c := range cs {
		if c.Build.InstanceID != "" && !complete(c.State) {
			running[placement.Key(c.Build.Cluster, c.Build.InstanceID)]++
		}
	}
	var out []Action
	for _, c := range cs {
		b := c.Build
		if complete(c.State) || b.StopRequested {
			continue
		}
		if b.InstanceID != "" {
			ci := byKey[placement.Key(b.Cluster, b.InstanceID)]
			if ci == nil || ci.Status == model.InstanceInactive {
				out = append(out, Action{Build: b, End: model.BuildFault,
					Reason: "the container instance " + b.InstanceID + " running the build was deregistered"})
			}
			continue
		}
		if timeout := time.Duration(b.QueuedTimeout) * time.Minute; timeout > 0 && now.Sub(b.StartTime) >= timeout {
			out = append(out, Action{Build: b, End: model.BuildTimedOut,
				Reason: "no container instance took the build within queuedTimeoutInMinutes"})
			continue
		}
		if cluster, id, ok := placement.Place(instances, running, now); ok {
			running[placement.Key(cluster, id)]++
			out = append(out, Action{Build: b, Cluster: cluster, InstanceID: id})
		}
	}
	return out
}

func complete(st *model.BuildState) bool { return st != nil && st.Complete }

// Controller runs Plan periodically and applies it.
type Controller struct {
	State    *state.State
	Interval time.Duration // default 2 seconds
	Logger   *slog.Logger
}

// Run applies Plan until ctx is cancelled.
func (c *Controller) Run(ctx context.Context) error {
	interval := c.Interval
	if interval == 0 {
		interval = 2 * time.Second
	}
	return controller.Every(ctx, interval, c.Once)
}

// Once applies one Plan.
func (c *Controller) Once(ctx context.Context) {
	var cs []Candidate
	for _, b := range c.State.Builds("") {
		_, st, _ := c.State.Build(b.ID)
		if !complete(st) {
			cs = append(cs, Candidate{Build: b, State: st})
		}
	}
	if len(cs) == 0 {
		return
	}
	var instances []*model.ContainerInstance
	for _, cl := range c.State.Clusters() {
		instances = append(instances, c.State.Instances(cl.Name)...)
	}
	now := c.State.Now()
	for _, a := range Plan(cs, instances, now) {
		if err := c.apply(ctx, a, now); err != nil {
			c.Logger.Warn("build queue", "build", a.Build.ID, "err", err)
		}
	}
}

func (c *Controller) apply(ctx context.Context, a Action, now time.Time) error {
	if a.End == "" {
		_, err := c.State.UpdateBuild(ctx, a.Build.ID, func(b *model.Build) error {
			if b.InstanceID == "" {
				b.Cluster, b.InstanceID = a.Cluster, a.InstanceID
			}
			return nil
		})
		if err == nil {
			c.Logger.Info("build placed", "build", a.Build.ID, "cluster", a.Cluster, "instance", a.InstanceID)
		}
		return err
	}
	_, st, ok := c.State.Build(a.Build.ID)
	if !ok || st == nil {
		return nil
	}
	return c.State.PutBuildState(ctx, a.Build.ID, End(*st, a.End, a.Reason, now))
}

// End returns st completed with status: the open phase ends with status
// and reason, COMPLETED follows.
func End(st model.BuildState, status, reason string, now time.Time) model.BuildState {
	st.Phases = append([]model.BuildPhase(nil), st.Phases...)
	if n := len(st.Phases); n > 0 && st.Phases[n-1].Type != "COMPLETED" && (st.Phases[n-1].Status == "" || st.Phases[n-1].Status == model.BuildInProgress) {
		p := &st.Phases[n-1]
		p.Status, p.End = status, now
		if reason != "" {
			p.Contexts = append(p.Contexts, model.BuildPhaseContext{StatusCode: "CLIENT_ERROR", Message: reason})
		}
	}
	st.Phases = append(st.Phases, model.BuildPhase{Type: "COMPLETED", Start: now})
	st.CurrentPhase = "COMPLETED"
	st.Status = status
	st.EndTime = now
	st.Complete = true
	st.Version++
	return st
}
