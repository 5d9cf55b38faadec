package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/scheduler"
	"github.com/wharfhq/wharf/internal/state"
	"github.com/wharfhq/wharf/internal/store/cache"
	"github.com/wharfhq/wharf/internal/tasks"
)

// Controller runs rollout passes for every service.
type Controller struct {
	State    *state.State
	Launcher *tasks.Launcher
	Logger   *slog.Logger
	// Resync is how often every service is reconciled even without a
	// change (default 5s).
	Resync time.Duration

	mu     sync.Mutex
	queue  map[serviceKey]bool
	wakeAt map[serviceKey]time.Time
	kick   chan struct{}
}

type serviceKey struct{ cluster, name string }

// maxEvents is how many events a service keeps (ECS shows 100).
const maxEvents = 100

// repeatWindow is how long an identical event is suppressed.
const repeatWindow = 6 * time.Hour

// Run reconciles services until ctx is cancelled.
func (c *Controller) Run(ctx context.Context) error {
	if c.Resync == 0 {
		c.Resync = 5 * time.Second
	}
	c.queue = map[serviceKey]bool{}
	c.wakeAt = map[serviceKey]time.Time{}
	c.kick = make(chan struct{}, 1)
	for _, prefix := range []string{"services/", "deployments/", "tasks/", "taskstates/", "instances/"} {
		changes, cancel := c.State.Cache().Subscribe(prefix)
		defer cancel()
		go c.follow(ctx, prefix, changes)
	}
	c.enqueueAll()
	resync := time.NewTicker(c.Resync)
	defer resync.Stop()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		c.drain(ctx)
		timer.Reset(c.untilNextWake())
		select {
		case <-ctx.Done():
			return nil
		case <-c.kick:
		case <-resync.C:
			c.enqueueAll()
		case <-timer.C:
			c.enqueueDue()
		}
	}
}

// follow maps store changes to the services they concern.
func (c *Controller) follow(ctx context.Context, prefix string, changes <-chan cache.Change) {
	for {
		select {
		case <-ctx.Done():
			return
		case ch, ok := <-changes:
			if !ok {
				return
			}
			for _, k := range c.affected(prefix, ch) {
				c.enqueue(k)
			}
		}
	}
}

func (c *Controller) affected(prefix string, ch cache.Change) []serviceKey {
	rest := strings.TrimPrefix(ch.Key, prefix)
	parts := strings.Split(rest, "/")
	if len(parts) < 2 {
		return nil
	}
	cluster := parts[0]
	switch prefix {
	case "services/", "deployments/":
		return []serviceKey{{cluster, parts[1]}}
	case "tasks/", "taskstates/":
		t, ok := c.State.Task(cluster, parts[1])
		if !ok {
			if prev, isTask := ch.PrevObj.(*model.Task); isTask {
				t = prev
			} else {
				return nil
			}
		}
		if t.ServiceName == "" {
			return nil
		}
		return []serviceKey{{cluster, t.ServiceName}}
	case "instances/":
		var out []serviceKey
		for _, s := range c.State.Services(cluster) {
			out = append(out, serviceKey{cluster, s.Name})
		}
		return out
	}
	return nil
}

func (c *Controller) enqueue(k serviceKey) {
	c.mu.Lock()
	c.queue[k] = true
	c.mu.Unlock()
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *Controller) enqueueAll() {
	for _, s := range c.State.AllServices() {
		c.enqueue(serviceKey{s.ClusterName, s.Name})
	}
}

func (c *Controller) enqueueDue() {
	now := time.Now()
	c.mu.Lock()
	var due []serviceKey
	for k, t := range c.wakeAt {
		if !t.After(now) {
			due = append(due, k)
			delete(c.wakeAt, k)
		}
	}
	c.mu.Unlock()
	for _, k := range due {
		c.enqueue(k)
	}
}

func (c *Controller) untilNextWake() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	next := time.Hour
	for _, t := range c.wakeAt {
		next = min(next, max(time.Until(t), time.Millisecond))
	}
	return next
}

// drain reconciles every queued service once.
func (c *Controller) drain(ctx context.Context) {
	for ctx.Err() == nil {
		c.mu.Lock()
		var k serviceKey
		found := false
		for q := range c.queue {
			k, found = q, true
			delete(c.queue, q)
			break
		}
		c.mu.Unlock()
		if !found {
			return
		}
		if err := c.Reconcile(ctx, k.cluster, k.name); err != nil && ctx.Err() == nil {
			c.Logger.Warn("reconcile service", "cluster", k.cluster, "service", k.name, "err", err)
			c.setWake(k, time.Now().Add(time.Second))
		}
	}
}

func (c *Controller) setWake(k serviceKey, t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur, ok := c.wakeAt[k]; !ok || t.Before(cur) {
		c.wakeAt[k] = t
	}
}

// Reconcile runs one pass for one service.
func (c *Controller) Reconcile(ctx context.Context, cluster, name string) error {
	svc, ok := c.State.Service(cluster, name)
	if !ok {
		return nil
	}
	st, _ := c.State.ServiceState(cluster, name)
	if st != nil && st.Inactive {
		return nil
	}
	clusterObj, ok := c.State.Cluster(cluster)
	if !ok {
		return nil
	}
	deps := c.State.Deployments(cluster, name)
	if len(deps) == 0 {
		return nil
	}
	snap := c.snapshot(svc, deps, st)
	plan := Compute(snap)
	return c.apply(ctx, clusterObj, svc, deps, plan, snap.Now)
}

// snapshot reads everything Compute needs about one service.
func (c *Controller) snapshot(svc *model.Service, deps []*model.Deployment, st *model.ServiceState) Snapshot {
	now := c.State.Now()
	snap := Snapshot{
		Now: now,
		Service: Service{
			Name: svc.Name, Desired: svc.DesiredCount, Daemon: svc.SchedulingStrategy == model.SchedulingDaemon,
			MinimumHealthyPercent: svc.DeploymentConfiguration.MinimumHealthyPercent,
			MaximumPercent:        svc.DeploymentConfiguration.MaximumPercent,
			HealthCheckGrace:      time.Duration(svc.HealthCheckGracePeriodSeconds) * time.Second,
			CircuitBreaker:        svc.DeploymentConfiguration.CircuitBreaker,
			Rollback:              svc.DeploymentConfiguration.Rollback,
			Draining:              svc.Status == model.ServiceDraining,
		},
	}
	for _, d := range deps {
		ds := model.DeploymentState{}
		if st != nil {
			ds = st.Deployments[d.ID]
		}
		if ds.Inactive {
			continue
		}
		rs := ds.RolloutState
		if rs == "" {
			rs = RolloutInProgress
		}
		if _, stopped := svc.StoppedDeployments[d.ID]; stopped && rs == RolloutInProgress {
			rs = RolloutFailed // a stopped deployment launches nothing more
		}
		snap.Deployments = append(snap.Deployments, Deployment{ID: d.ID, TaskDefinitionARN: d.TaskDefinitionARN,
			CreatedAt: d.CreatedAt, RolloutState: rs, Completed: ds.Completed,
			RolloutStateReason: ds.RolloutStateReason, FailedTasks: ds.FailedTasks})
	}
	if len(snap.Deployments) == 0 || snap.Deployments[len(snap.Deployments)-1].ID != deps[len(deps)-1].ID {
		// The primary is always part of the snapshot.
		d := deps[len(deps)-1]
		snap.Deployments = append(snap.Deployments, Deployment{ID: d.ID, TaskDefinitionARN: d.TaskDefinitionARN, CreatedAt: d.CreatedAt, RolloutState: RolloutInProgress})
	}
	instances := c.State.Instances(svc.ClusterName)
	draining := map[string]bool{}
	for _, ci := range instances {
		if ci.Status == model.InstanceDraining {
			draining[ci.ID] = true
		}
	}
	for _, t := range c.State.Tasks(svc.ClusterName) {
		if t.ServiceName != svc.Name {
			continue
		}
		obs, _ := c.State.TaskState(t.ClusterName, t.ID)
		task := Task{ID: t.ID, DeploymentID: t.StartedBy, InstanceID: t.InstanceID, CreatedAt: t.CreatedAt,
			Status: model.TaskProvisioning, DesiredStopped: t.DesiredStatus == model.DesiredStopped,
			StopCode: t.StopCode, StoppedReason: t.StoppedReason, OnDrainingInstance: draining[t.InstanceID],
			HasHealthCheck: c.hasHealthCheck(t)}
		if !t.DrainStartedAt.IsZero() {
			task.DesiredStopped = true // deregistered and draining: DEACTIVATING
		}
		if obs != nil {
			task.Status = obs.LastStatus
			task.HealthStatus = obs.HealthStatus
			task.StoppedAt = obs.StoppedAt
			if obs.LastStatus >= model.TaskRunning && !obs.StartedAt.IsZero() {
				task.RunningSince = obs.StartedAt
			}
			if obs.StopCode != "" {
				task.StopCode, task.StoppedReason = obs.StopCode, obs.StoppedReason
				task.DesiredStopped = true
			}
			if obs.LastStatus >= model.TaskDeactivating {
				task.DesiredStopped = true
			}
		}
		task.Targets = c.targetHealth(svc, t)
		snap.Tasks = append(snap.Tasks, task)
	}
	if snap.Service.Daemon {
		snap.Instances = c.daemonInstances(svc, instances)
	}
	return snap
}

// serviceTasks returns the task specs of a service.
func (c *Controller) serviceTasks(svc *model.Service) []*model.Task {
	var out []*model.Task
	for _, t := range c.State.Tasks(svc.ClusterName) {
		if t.ServiceName == svc.Name {
			out = append(out, t)
		}
	}
	return out
}

// hasHealthCheck reports whether an essential container of the task's
// definition has a health check.
func (c *Controller) hasHealthCheck(t *model.Task) bool {
	td, ok := c.State.TaskDefinition(t.Family, t.Revision)
	if !ok {
		return false
	}
	return slices.ContainsFunc(td.ContainerDefinitions, func(cd model.ContainerDefinition) bool {
		return cd.Essential && cd.HealthCheck != nil
	})
}

// daemonInstances are the ACTIVE/DRAINING instances that satisfy the
// service's memberOf constraints.
func (c *Controller) daemonInstances(svc *model.Service, instances []*model.ContainerInstance) []Instance {
	var exprs []scheduler.Expr
	for _, pc := range svc.PlacementConstraints {
		if pc.Type == "memberOf" {
			if e, err := scheduler.ParseExpression(pc.Expression); err == nil {
				exprs = append(exprs, e)
			}
		}
	}
	var out []Instance
	for _, ci := range instances {
		if ci.Status != model.InstanceActive && ci.Status != model.InstanceDraining {
			continue
		}
		si := tasks.SchedulerInstance(ci, nil, true)
		if slices.ContainsFunc(exprs, func(e scheduler.Expr) bool { return !e.Match(si) }) {
			continue
		}
		out = append(out, Instance{ID: ci.ID, Draining: ci.Status == model.InstanceDraining})
	}
	return out
}

// apply carries out a plan.
func (c *Controller) apply(ctx context.Context, cluster *model.Cluster, svc *model.Service, deps []*model.Deployment, plan Plan, now time.Time) error {
	events := slices.Clone(plan.Events)
	draining := 0
	for _, s := range plan.Stop {
		if strings.HasPrefix(s.Reason, "Task failed ELB health checks") {
			if t, ok := c.State.Task(svc.ClusterName, s.TaskID); ok {
				events = append(events, c.unhealthyTargetEvents(svc, t)...)
			}
		}
		if t, ok := c.State.Task(svc.ClusterName, s.TaskID); ok && len(svc.LoadBalancers) > 0 {
			drained, err := c.startDrain(ctx, svc, t, s.Reason, now)
			if err != nil {
				return fmt.Errorf("drain task %s: %w", s.TaskID, err)
			}
			if drained {
				draining++
				continue
			}
		}
		_, err := c.State.UpdateTask(ctx, svc.ClusterName, s.TaskID, func(t *model.Task) error {
			if t.DesiredStatus == model.DesiredStopped {
				return nil
			}
			t.DesiredStatus = model.DesiredStopped
			t.StopCode = model.StopServiceSchedulerInitiated
			t.StoppedReason = s.Reason
			t.StopRequested = now
			return nil
		})
		if err != nil && !errors.Is(err, state.ErrNotFound) {
			return fmt.Errorf("stop task %s: %w", s.TaskID, err)
		}
	}
	if draining > 0 {
		events = append(events, fmt.Sprintf("(service %s, taskSet %s) has begun draining connections on %d tasks.", svc.Name, deps[len(deps)-1].ID, draining))
	}
	// Read the tasks after the stops above: a task just put to draining
	// must not have its targets registered again.
	serviceTasks := c.serviceTasks(svc)
	drainWake, err := c.finishDrains(ctx, svc, serviceTasks, now)
	if err != nil {
		return err
	}
	if !drainWake.IsZero() {
		c.setWake(serviceKey{svc.ClusterName, svc.Name}, drainWake)
	}
	regEvents, err := c.registerTargets(ctx, svc, serviceTasks, now)
	events = append(events, regEvents...)
	if err != nil {
		return err
	}
	byID := map[string]*model.Deployment{}
	for _, d := range deps {
		byID[d.ID] = d
	}
	for _, s := range plan.Start {
		d := byID[s.DeploymentID]
		if d == nil {
			continue
		}
		started, explanation, err := c.launch(ctx, cluster, svc, d, s)
		if err != nil {
			return fmt.Errorf("launch tasks of %s: %w", d.ID, err)
		}
		if len(started) > 0 {
			var ids []string
			for _, t := range started {
				ids = append(ids, "(task "+t.ID+")")
			}
			events = append(events, fmt.Sprintf("(service %s) has started %d tasks: %s.", svc.Name, len(started), strings.Join(ids, " ")))
		}
		if explanation != "" {
			events = append(events, fmt.Sprintf("(service %s) was unable to place a task because %s", svc.Name, explanation))
		}
	}
	if plan.Rollback != nil {
		if to := byID[plan.Rollback.To]; to != nil {
			rb := model.Deployment{ID: model.NewDeploymentID(), ServiceName: svc.Name, TaskDefinitionARN: to.TaskDefinitionARN,
				LaunchType: to.LaunchType, PlatformVersion: to.PlatformVersion, NetworkConfiguration: to.NetworkConfiguration,
				LoadBalancers: to.LoadBalancers, CreatedAt: now, RollbackOf: deps[len(deps)-1].ID}
			if _, err := c.State.AddDeployment(ctx, svc.ClusterName, svc.Name, rb); err != nil {
				return fmt.Errorf("roll back: %w", err)
			}
		}
	}
	_, err = c.State.UpdateServiceState(ctx, svc.ClusterName, svc.Name, func(st *model.ServiceState) error {
		if st.Deployments == nil {
			st.Deployments = map[string]model.DeploymentState{}
		}
		for _, ch := range plan.Deployments {
			ds := st.Deployments[ch.ID]
			if ds.RolloutState != ch.RolloutState && (ch.RolloutState == RolloutCompleted || ch.RolloutState == RolloutFailed) {
				ds.FinishedAt = now
			}
			ds.RolloutState, ds.RolloutStateReason = ch.RolloutState, ch.RolloutStateReason
			ds.FailedTasks, ds.Completed, ds.Inactive = ch.FailedTasks, ds.Completed || ch.Completed, ch.Inactive
			ds.UpdatedAt = now
			st.Deployments[ch.ID] = ds
		}
		for id, n := range plan.Counts {
			ds := st.Deployments[id]
			if ds.DesiredCount != n.Desired || ds.FailedTasks != n.Failed {
				ds.UpdatedAt = now
			}
			ds.DesiredCount, ds.PendingCount, ds.RunningCount, ds.FailedTasks = n.Desired, n.Pending, n.Running, n.Failed
			st.Deployments[id] = ds
		}
		for _, msg := range events {
			if repeated(st.Events, msg, now) {
				continue
			}
			st.Events = append([]model.ServiceEvent{{ID: newEventID(), CreatedAt: now, Message: msg}}, st.Events...)
		}
		if len(st.Events) > maxEvents {
			st.Events = st.Events[:maxEvents]
		}
		st.Steady = plan.Steady
		if plan.ServiceInactive && !st.Inactive {
			st.Inactive, st.InactiveAt = true, now
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !plan.WakeAt.IsZero() {
		c.setWake(serviceKey{svc.ClusterName, svc.Name}, plan.WakeAt)
	}
	return nil
}

// repeated reports whether msg was recorded within the repeat window.
func repeated(events []model.ServiceEvent, msg string, now time.Time) bool {
	for _, e := range events {
		if now.Sub(e.CreatedAt) > repeatWindow {
			return false
		}
		if e.Message == msg {
			return true
		}
		// A different steady-state-relevant message breaks the repetition.
		if strings.Contains(e.Message, "has started") || strings.Contains(e.Message, "has stopped") {
			return false
		}
	}
	return false
}

func (c *Controller) launch(ctx context.Context, cluster *model.Cluster, svc *model.Service, d *model.Deployment, s Start) ([]*model.Task, string, error) {
	family, rev, err := state.ParseTaskDefinitionRef(d.TaskDefinitionARN)
	if err != nil {
		return nil, "", err
	}
	td, ok := c.State.TaskDefinition(family, rev)
	if !ok {
		return nil, "", fmt.Errorf("task definition %s is gone", d.TaskDefinitionARN)
	}
	req := tasks.Request{
		Cluster: cluster, TaskDef: td, Count: s.Count, Group: "service:" + svc.Name, StartedBy: d.ID, ServiceName: svc.Name,
		LaunchType: d.LaunchType, NetworkConfiguration: d.NetworkConfiguration, EnableExecuteCommand: svc.EnableExecuteCommand,
		Tags: serviceTaskTags(svc, td, cluster),
	}
	if s.InstanceID != "" {
		req.Instances = []string{s.InstanceID}
	}
	for _, p := range svc.PlacementStrategy {
		req.Strategy = append(req.Strategy, scheduler.Strategy{Type: p.Type, Field: p.Field})
	}
	if len(req.Strategy) == 0 && s.InstanceID == "" {
		// The service scheduler spreads across zones and instances.
		req.Strategy = []scheduler.Strategy{{Type: "spread", Field: "attribute:ecs.availability-zone"}, {Type: "spread", Field: "instanceId"}}
	}
	for _, pc := range append(slices.Clone(td.PlacementConstraints), svc.PlacementConstraints...) {
		req.Constraints = append(req.Constraints, scheduler.Constraint{Type: pc.Type, Expression: pc.Expression})
	}
	res, err := c.Launcher.LaunchExplained(ctx, req)
	if err != nil {
		return nil, "", err
	}
	explanation := ""
	if len(res.Tasks) < s.Count {
		explanation = res.Explanation
		if explanation == "" && len(res.Failures) > 0 {
			explanation = res.Failures[0].Reason
		}
	}
	return res.Tasks, explanation, nil
}

// serviceTaskTags are the tags a service puts on its tasks.
func serviceTaskTags(svc *model.Service, td *model.TaskDefinition, cluster *model.Cluster) []model.Tag {
	var tags []model.Tag
	switch svc.PropagateTags {
	case "SERVICE":
		tags = append(tags, svc.Tags...)
	case "TASK_DEFINITION":
		tags = append(tags, td.Tags...)
	}
	if svc.EnableECSManagedTags {
		tags = append(tags, model.Tag{Key: "aws:ecs:clusterName", Value: cluster.Name}, model.Tag{Key: "aws:ecs:serviceName", Value: svc.Name})
	}
	return tags
}

func newEventID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	s := hex.EncodeToString(b[:])
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}
