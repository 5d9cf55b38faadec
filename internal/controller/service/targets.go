package service

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wharfhq/wharf/internal/model"
)

// Load balancer integration (ECS loadBalancers[]):
//
//	RUNNING, port bound ──register──▶ target initial → healthy   (counts for the rollout once
//	                                                               healthy in every group)
//	plan stops the task ──deregister──▶ target draining (task DEACTIVATING)
//	                      drained, or deregistration delay passed ──▶ desiredStatus STOPPED → SIGTERM

// drainMargin is added to a target group's deregistration delay before a
// task is stopped even though no drain report arrived (the data plane down).
const drainMargin = 5 * time.Second

// taskTarget is where one of a task's containers is reachable for one
// load balancer entry of its service.
type taskTarget struct {
	tg      *model.TargetGroup
	id      string
	port    int32
	address string
}

// targetsOf computes a task's targets; ok is false while its ports are not
// known yet (not RUNNING, or no binding for the container port).
func (c *Controller) targetsOf(svc *model.Service, t *model.Task) ([]taskTarget, bool) {
	obs, _ := c.State.TaskState(t.ClusterName, t.ID)
	if obs == nil || obs.LastStatus < model.TaskRunning || obs.LastStatus >= model.TaskStopped {
		return nil, false
	}
	var out []taskTarget
	for _, lb := range svc.LoadBalancers {
		tg, ok := c.State.TargetGroupByARN(lb.TargetGroupARN)
		if !ok {
			continue
		}
		if tg.TargetType == "ip" {
			if obs.PrivateIPv4 == "" {
				return nil, false
			}
			out = append(out, taskTarget{tg: tg, id: obs.PrivateIPv4, port: lb.ContainerPort,
				address: obs.PrivateIPv4 + ":" + strconv.Itoa(int(lb.ContainerPort))})
			continue
		}
		ci, ok := c.State.Instance(t.ClusterName, t.InstanceID)
		if !ok {
			return nil, false
		}
		host, _ := ci.Attribute("wharf.host-address")
		if host == "" {
			host = "127.0.0.1"
		}
		port := int32(0)
		for _, cs := range obs.Containers {
			if cs.Name != lb.ContainerName {
				continue
			}
			for _, b := range cs.NetworkBindings {
				if b.ContainerPort == lb.ContainerPort && (b.Protocol == "" || b.Protocol == "tcp") {
					port = b.HostPort
				}
			}
		}
		if port == 0 {
			return nil, false
		}
		out = append(out, taskTarget{tg: tg, id: ci.EC2InstanceID, port: port, address: host + ":" + strconv.Itoa(int(port))})
	}
	return out, true
}

// targetHealth reports a task's targets for the rollout snapshot.
func (c *Controller) targetHealth(svc *model.Service, t *model.Task) []TargetHealth {
	if len(svc.LoadBalancers) == 0 {
		return nil
	}
	targets, ok := c.targetsOf(svc, t)
	if !ok {
		// Not reachable yet: one "not registered" entry per group keeps the
		// task from counting as healthy.
		var out []TargetHealth
		for _, lb := range svc.LoadBalancers {
			out = append(out, TargetHealth{TargetGroupARN: lb.TargetGroupARN})
		}
		return out
	}
	var out []TargetHealth
	for _, tt := range targets {
		th := TargetHealth{TargetGroupARN: tt.tg.ARN}
		if h, ok := c.State.TargetHealth(tt.tg, tt.id, tt.port); ok {
			th.State, th.Reason = h.State, h.Reason
		} else if c.registered(tt) {
			th.State = model.TargetInitial
		}
		out = append(out, th)
	}
	return out
}

func (c *Controller) registered(tt taskTarget) bool {
	for _, t := range c.State.Targets(tt.tg) {
		if t.ID == tt.id && t.Port == tt.port && t.DeregisteredAt.IsZero() {
			return true
		}
	}
	return false
}

// registerTargets registers the targets of the service's running tasks
// that are not registered yet, and returns the events to record.
func (c *Controller) registerTargets(ctx context.Context, svc *model.Service, tasks []*model.Task, now time.Time) ([]string, error) {
	if len(svc.LoadBalancers) == 0 {
		return nil, nil
	}
	byGroup := map[string][]model.Target{}
	groups := map[string]*model.TargetGroup{}
	for _, t := range tasks {
		if cur, ok := c.State.Task(t.ClusterName, t.ID); ok {
			t = cur // the freshest spec: draining tasks are never registered again
		}
		if t.DesiredStatus == model.DesiredStopped || !t.DrainStartedAt.IsZero() {
			continue
		}
		targets, ok := c.targetsOf(svc, t)
		if !ok {
			continue
		}
		for _, tt := range targets {
			if c.registered(tt) {
				continue
			}
			groups[tt.tg.ARN] = tt.tg
			byGroup[tt.tg.ARN] = append(byGroup[tt.tg.ARN], model.Target{ID: tt.id, Port: tt.port, Address: tt.address,
				RegisteredAt: now, TaskARN: t.ARN})
		}
	}
	var events []string
	for arn, targets := range byGroup {
		if err := c.State.RegisterTargets(ctx, groups[arn], targets, 1000); err != nil {
			return events, fmt.Errorf("register targets in %s: %w", arn, err)
		}
		events = append(events, fmt.Sprintf("(service %s) registered %d targets in (target-group %s)", svc.Name, len(targets), arn))
	}
	return events, nil
}

// startDrain deregisters a task's targets before it is stopped.
func (c *Controller) startDrain(ctx context.Context, svc *model.Service, t *model.Task, reason string, now time.Time) (bool, error) {
	targets, ok := c.targetsOf(svc, t)
	if !ok || len(targets) == 0 {
		return false, nil
	}
	for _, tt := range targets {
		if !c.registered(tt) {
			continue
		}
		if err := c.State.DeregisterTargets(ctx, tt.tg, []string{tt.id + ":" + strconv.Itoa(int(tt.port))}); err != nil && !strings.Contains(err.Error(), "not found") {
			return false, err
		}
	}
	_, err := c.State.UpdateTask(ctx, t.ClusterName, t.ID, func(t *model.Task) error {
		if !t.DrainStartedAt.IsZero() || t.DesiredStatus == model.DesiredStopped {
			return nil
		}
		t.DrainStartedAt = now
		t.StopCode = model.StopServiceSchedulerInitiated
		t.StoppedReason = reason
		return nil
	})
	return true, err
}

// finishDrains stops tasks whose targets have drained (they left their
// target groups) or whose deregistration delay has passed.
func (c *Controller) finishDrains(ctx context.Context, svc *model.Service, tasks []*model.Task, now time.Time) (time.Time, error) {
	var wake time.Time
	for _, t := range tasks {
		if t.DrainStartedAt.IsZero() || t.DesiredStatus == model.DesiredStopped {
			continue
		}
		done, deadline := true, t.DrainStartedAt
		for _, lb := range svc.LoadBalancers {
			tg, ok := c.State.TargetGroupByARN(lb.TargetGroupARN)
			if !ok {
				continue
			}
			if d := t.DrainStartedAt.Add(deregistrationDelay(tg) + drainMargin); d.After(deadline) {
				deadline = d
			}
			for _, target := range c.State.Targets(tg) {
				if target.TaskARN == t.ARN {
					done = false // still draining: removed once drained
				}
			}
		}
		if !done && now.Before(deadline) {
			if wake.IsZero() || deadline.Before(wake) {
				wake = deadline
			}
			continue
		}
		_, err := c.State.UpdateTask(ctx, t.ClusterName, t.ID, func(t *model.Task) error {
			if t.DesiredStatus != model.DesiredStopped {
				t.DesiredStatus = model.DesiredStopped
				t.StopRequested = now
			}
			return nil
		})
		if err != nil {
			return wake, err
		}
	}
	return wake, nil
}

// deregistrationDelay is a target group's deregistration_delay attribute
// (ALB default 300 s).
func deregistrationDelay(tg *model.TargetGroup) time.Duration {
	if v, ok := tg.Attributes["deregistration_delay.timeout_seconds"]; ok {
		if n, err := strconv.Atoi(v); err == nil {
			return time.Duration(n) * time.Second
		}
	}
	return 300 * time.Second
}

// unhealthyTargetEvents are ECS's events for a task whose targets failed
// their health checks: "(service S) (instance I) (port P) is unhealthy in
// (target-group ARN) due to (reason R)."
func (c *Controller) unhealthyTargetEvents(svc *model.Service, t *model.Task) []string {
	targets, ok := c.targetsOf(svc, t)
	if !ok {
		return nil
	}
	var out []string
	for _, tt := range targets {
		h, ok := c.State.TargetHealth(tt.tg, tt.id, tt.port)
		if !ok || h.State != model.TargetUnhealthy {
			continue
		}
		what := "instance " + tt.id
		if tt.tg.TargetType == "ip" {
			what = "ip " + tt.id
		}
		out = append(out, fmt.Sprintf("(service %s) (%s) (port %d) is unhealthy in (target-group %s) due to (reason %s).",
			svc.Name, what, tt.port, tt.tg.ARN, orText(h.Description, h.Reason)))
	}
	return out
}

func orText(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
