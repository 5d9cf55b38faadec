package tasks

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/wharfhq/wharf/internal/arn"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/scheduler"
	"github.com/wharfhq/wharf/internal/state"
)

// Request describes tasks to launch.
type Request struct {
	Cluster *model.Cluster
	TaskDef *model.TaskDefinition
	Count   int

	Group, StartedBy     string
	Overrides            model.TaskOverrides
	LaunchType           string
	CapacityProviderName string
	Strategy             []scheduler.Strategy
	Constraints          []scheduler.Constraint
	// Instances, when set (StartTask), names the instances to start one
	// task each on, instead of letting the scheduler choose.
	Instances []string

	// ServiceName marks tasks started by a service.
	ServiceName string

	Tags                 []model.Tag
	EnableExecuteCommand bool
	NetworkConfiguration model.Passthrough
	ClientToken          string
}

// Failure is a task that could not be placed, in ECS's failures[] shape.
type Failure = scheduler.Failure

// Launcher places and creates tasks.
type Launcher struct {
	State *state.State
	// Rand returns the randomness used by placement strategies; a fixed
	// seed makes placements reproducible in tests.
	Rand func() *rand.Rand
}

const maxPlacementAttempts = 20

// Result is what a launch did.
type Result struct {
	Tasks    []*model.Task
	Failures []Failure
	// Explanation says, in ECS's words, why copies could not be placed:
	// "no container instance met all of its requirements. The closest
	// matching (container-instance …) has insufficient memory available…".
	Explanation string
}

// Launch places the requested tasks and stores them. It returns the tasks
// created and the copies that could not be placed.
func (l *Launcher) Launch(ctx context.Context, req Request) ([]*model.Task, []Failure, error) {
	res, err := l.LaunchExplained(ctx, req)
	return res.Tasks, res.Failures, err
}

// LaunchExplained is Launch with the scheduler's explanation of failures.
func (l *Launcher) LaunchExplained(ctx context.Context, req Request) (Result, error) {
	for attempt := 0; attempt < maxPlacementAttempts; attempt++ {
		placeRev, seq, err := l.State.PlacementRevision(ctx, req.Cluster.Name)
		if err != nil {
			return Result{}, err
		}
		// The snapshot must include every placement up to the counter we
		// commit against.
		if err := l.State.WaitFor(ctx, placeRev); err != nil {
			return Result{}, err
		}
		tasks, failures, explanation := l.plan(req)
		if len(tasks) == 0 {
			return Result{Failures: failures, Explanation: explanation}, nil
		}
		values := make([]model.Task, len(tasks))
		for i, t := range tasks {
			values[i] = *t
		}
		err = l.State.CreateTasks(ctx, req.Cluster.Name, placeRev, seq, values)
		if errors.Is(err, state.ErrPlacementConflict) {
			continue
		}
		if err != nil {
			return Result{}, err
		}
		return Result{Tasks: tasks, Failures: failures, Explanation: explanation}, nil
	}
	return Result{}, fmt.Errorf("placement in cluster %s kept conflicting with concurrent placements", req.Cluster.Name)
}

// plan computes placements against the current state without writing.
func (l *Launcher) plan(req Request) ([]*model.Task, []Failure, string) {
	view := NewView(l.State, req.Cluster.Name)
	usage := view.Usage()
	now := l.State.Now()
	instances := l.State.Instances(req.Cluster.Name)
	reservation := Reserve(req.TaskDef, req.Overrides)
	taskReq := scheduler.TaskRequest{
		Group: req.Group, Family: req.TaskDef.Family,
		CPU: reservation.CPU, Memory: reservation.Memory,
		Strategy: req.Strategy, Constraints: req.Constraints,
	}
	for _, p := range reservation.TCPPorts {
		taskReq.Ports = append(taskReq.Ports, scheduler.PortKey{Protocol: "tcp", Port: p})
	}
	for _, p := range reservation.UDPPorts {
		taskReq.Ports = append(taskReq.Ports, scheduler.PortKey{Protocol: "udp", Port: p})
	}
	for _, a := range req.TaskDef.RequiresAttributes {
		taskReq.RequiresAttributes = append(taskReq.RequiresAttributes, scheduler.Attribute{Name: a.Name, Value: a.Value})
	}

	byID := map[string]*model.ContainerInstance{}
	var snap []scheduler.Instance
	for _, ci := range instances {
		byID[ci.ID] = ci
		if ci.Status == model.InstanceInactive {
			continue
		}
		snap = append(snap, SchedulerInstance(ci, usage[ci.ID], Connected(l.State, ci, now)))
	}

	var rng *rand.Rand
	if l.Rand != nil {
		rng = l.Rand()
	} else {
		rng = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}

	var placed []*model.Task
	var failures []Failure
	var explanation string
	if len(req.Instances) > 0 {
		for _, id := range req.Instances {
			ci, ok := byID[id]
			switch {
			case !ok:
				failures = append(failures, Failure{Arn: l.State.ARNs.ContainerInstance(req.Cluster.Name, id), Reason: "MISSING"})
				continue
			case ci.Status == model.InstanceInactive:
				failures = append(failures, Failure{Arn: ci.ARN, Reason: "INACTIVE"})
				continue
			}
			one := []scheduler.Instance{SchedulerInstance(ci, usage[ci.ID], Connected(l.State, ci, now))}
			plan, err := scheduler.Place(one, taskReq, 1, rng)
			if err != nil || len(plan.Placements) == 0 {
				failures = append(failures, plan.Failures...)
				explanation = plan.Explanation
				continue
			}
			placed = append(placed, l.newTask(req, ci, reservation, now))
			// Account for this task before placing the next one.
			u := usage[ci.ID]
			if u == nil {
				u = &Usage{}
				usage[ci.ID] = u
			}
			u.CPU += reservation.CPU
			u.Memory += reservation.Memory
			u.TCPPorts = append(u.TCPPorts, reservation.TCPPorts...)
			u.UDPPorts = append(u.UDPPorts, reservation.UDPPorts...)
			u.Tasks = append(u.Tasks, scheduler.PlacedTask{Group: req.Group, TaskDefinitionFamily: req.TaskDef.Family})
		}
		return placed, failures, explanation
	}

	plan, err := scheduler.Place(snap, taskReq, req.Count, rng)
	if err != nil {
		return nil, []Failure{{Reason: "INVALID", Detail: err.Error()}}, err.Error()
	}
	for _, d := range plan.Placements {
		ci := byARN(instances, d.InstanceARN)
		if ci == nil {
			continue
		}
		placed = append(placed, l.newTask(req, ci, reservation, now))
	}
	return placed, plan.Failures, plan.Explanation
}

func byARN(instances []*model.ContainerInstance, a string) *model.ContainerInstance {
	i := slices.IndexFunc(instances, func(ci *model.ContainerInstance) bool { return ci.ARN == a })
	if i < 0 {
		return nil
	}
	return instances[i]
}

func (l *Launcher) newTask(req Request, ci *model.ContainerInstance, r model.Reservation, _ time.Time) *model.Task {
	id := arn.NewID()
	t := &model.Task{
		ARN:                  l.State.ARNs.Task(req.Cluster.Name, id),
		ID:                   id,
		ClusterARN:           req.Cluster.ARN,
		ClusterName:          req.Cluster.Name,
		TaskDefinitionARN:    req.TaskDef.ARN,
		Family:               req.TaskDef.Family,
		Revision:             req.TaskDef.Revision,
		ContainerInstanceARN: ci.ARN,
		InstanceID:           ci.ID,
		LaunchType:           req.LaunchType,
		CapacityProviderName: req.CapacityProviderName,
		Reservation:          r,
		Group:                req.Group,
		ServiceName:          req.ServiceName,
		StartedBy:            req.StartedBy,
		Overrides:            req.Overrides,
		CPU:                  firstNonEmpty(req.Overrides.CPU, req.TaskDef.CPU),
		Memory:               firstNonEmpty(req.Overrides.Memory, req.TaskDef.Memory),
		DesiredStatus:        model.DesiredRunning,
		Tags:                 req.Tags,
		EnableExecuteCommand: req.EnableExecuteCommand,
		NetworkConfiguration: req.NetworkConfiguration,
		ClientToken:          req.ClientToken,
		CreatedAt:            l.State.Now(),
	}
	if az, ok := ci.Attribute("ecs.availability-zone"); ok {
		t.AvailabilityZone = az
	}
	return t
}

// SchedulerInstance is the placement view of a container instance.
func SchedulerInstance(ci *model.ContainerInstance, u *Usage, connected bool) scheduler.Instance {
	attrs := make(map[string]string, len(ci.Attributes))
	for _, a := range ci.Attributes {
		attrs[a.Name] = a.Value
	}
	in := scheduler.Instance{
		ARN: ci.ARN, ID: ci.ID, EC2InstanceID: ci.EC2InstanceID, Status: ci.Status,
		AgentDisconnected: !connected, AgentVersion: ci.VersionInfo.AgentVersion,
		RegisteredAt: ci.RegisteredAt, Attributes: attrs,
		RemainingCPU:    int64(ci.IntegerResource("CPU")),
		RemainingMemory: int64(ci.IntegerResource("MEMORY")),
		UsedPorts:       map[scheduler.PortKey]bool{},
	}
	for _, r := range ci.RegisteredResources {
		proto := ""
		switch r.Name {
		case "PORTS":
			proto = "tcp"
		case "PORTS_UDP":
			proto = "udp"
		default:
			continue
		}
		for _, p := range r.StringSetValue {
			var n int
			if _, err := fmt.Sscanf(p, "%d", &n); err == nil {
				in.UsedPorts[scheduler.PortKey{Protocol: proto, Port: n}] = true
			}
		}
	}
	if u != nil {
		in.RemainingCPU -= u.CPU
		in.RemainingMemory -= u.Memory
		for _, p := range u.TCPPorts {
			in.UsedPorts[scheduler.PortKey{Protocol: "tcp", Port: p}] = true
		}
		for _, p := range u.UDPPorts {
			in.UsedPorts[scheduler.PortKey{Protocol: "udp", Port: p}] = true
		}
		in.Tasks = u.Tasks
	}
	return in
}
