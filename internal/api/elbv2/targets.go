package elbv2

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/elbv2/elbv2wire"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/state"
)

// maxTargetsPerGroup is ALB's quota of targets per target group.
const maxTargetsPerGroup = 1000

// HostAddressAttribute is the container instance attribute naming the
// address the load balancer reaches the instance's host ports on
// (127.0.0.1 when absent).
const HostAddressAttribute = "wharf.host-address"

// DeregistrationDelay is how long a deregistered target of tg may drain.
func DeregistrationDelay(tg *model.TargetGroup) time.Duration {
	n, _ := strconv.Atoi(TargetGroupAttribute(tg, "deregistration_delay.timeout_seconds"))
	return time.Duration(n) * time.Second
}

func invalidTarget(format string, args ...any) error {
	return api.Errorf(elbv2wire.ErrInvalidTargetException, format, args...)
}

// resolveTarget checks a target of tg and returns it with its Address:
// Id:Port for ip targets; for instance targets the host of the container
// instance whose ec2InstanceId is Id (its wharf.host-address attribute,
// else 127.0.0.1) and Port.
func (h *Handler) resolveTarget(tg *model.TargetGroup, d elbv2wire.TargetDescription) (model.Target, error) {
	port := tg.Port
	if d.Port != nil {
		port = *d.Port
	}
	if port < 1 || port > 65535 {
		return model.Target{}, validationError("Target port must be between 1 and 65535")
	}
	t := model.Target{ID: d.Id, Port: port, AvailabilityZone: d.AvailabilityZone}
	switch tg.TargetType {
	case "ip":
		ip, err := netip.ParseAddr(d.Id)
		if err != nil {
			return model.Target{}, invalidTarget("The IP address '%s' is not a valid IPv4 or IPv6 address", d.Id)
		}
		t.Address = net.JoinHostPort(ip.String(), strconv.Itoa(int(port)))
	default:
		host, ok := h.instanceHost(d.Id)
		if !ok {
			return model.Target{}, invalidTarget("The following targets are not valid instances: '%s'", d.Id)
		}
		t.Address = net.JoinHostPort(host, strconv.Itoa(int(port)))
	}
	return t, nil
}

// instanceHost finds the container instance (of any cluster) with
// ec2InstanceId id.
func (h *Handler) instanceHost(id string) (string, bool) {
	if id == "" {
		return "", false
	}
	for _, c := range h.st.Clusters() {
		for _, ci := range h.st.Instances(c.Name) {
			if ci.EC2InstanceID != id || ci.Status == model.InstanceInactive {
				continue
			}
			if host, ok := ci.Attribute(HostAddressAttribute); ok && host != "" {
				return host, true
			}
			return "127.0.0.1", true
		}
	}
	return "", false
}

// RegisterTargets registers targets in a target group.
func (h *Handler) RegisterTargets(ctx context.Context, in *elbv2wire.RegisterTargetsInput) (*elbv2wire.RegisterTargetsOutput, error) {
	tg, ok := h.st.TargetGroupByARN(in.TargetGroupArn)
	if !ok {
		return nil, tgNotFound()
	}
	if len(in.Targets) == 0 {
		return nil, validationError("At least one target must be specified")
	}
	targets := make([]model.Target, 0, len(in.Targets))
	for _, d := range in.Targets {
		t, err := h.resolveTarget(tg, d)
		if err != nil {
			return nil, err
		}
		targets = append(targets, t)
	}
	if err := h.st.RegisterTargets(ctx, tg, targets, maxTargetsPerGroup); err != nil {
		if errors.Is(err, state.ErrNotFound) {
			return nil, tgNotFound()
		}
		return nil, mapStateError(err)
	}
	return &elbv2wire.RegisterTargetsOutput{}, nil
}

// DeregisterTargets starts draining targets; they leave the group once the
// data plane reports them drained or the deregistration delay passed.
func (h *Handler) DeregisterTargets(ctx context.Context, in *elbv2wire.DeregisterTargetsInput) (*elbv2wire.DeregisterTargetsOutput, error) {
	tg, ok := h.st.TargetGroupByARN(in.TargetGroupArn)
	if !ok {
		return nil, tgNotFound()
	}
	keys := make([]string, 0, len(in.Targets))
	for _, d := range in.Targets {
		port := tg.Port
		if d.Port != nil {
			port = *d.Port
		}
		keys = append(keys, d.Id+":"+strconv.Itoa(int(port)))
	}
	if err := h.st.DeregisterTargets(ctx, tg, keys); err != nil {
		if errors.Is(err, state.ErrNotFound) {
			return nil, invalidTarget("The specified targets are not registered in target group '%s': %v", tg.ARN, err)
		}
		return nil, mapStateError(err)
	}
	return &elbv2wire.DeregisterTargetsOutput{}, nil
}

// Health is the ELBv2 view of one target: state, reason and description.
type Health struct {
	State, Reason, Description string
}

// TargetHealthOf combines a target's registration with the data plane's
// report (nil when none) as DescribeTargetHealth shows it; ok is false
// for a deregistered target that is gone (drained, or its deregistration
// delay passed).
func TargetHealthOf(tg *model.TargetGroup, t *model.Target, report *model.TargetHealth, inUse bool, now time.Time) (Health, bool) {
	if !t.DeregisteredAt.IsZero() {
		if (report != nil && report.Drained) || now.Sub(t.DeregisteredAt) >= DeregistrationDelay(tg) {
			return Health{}, false
		}
		return Health{model.TargetDraining, "Target.DeregistrationInProgress", "Target deregistration is in progress"}, true
	}
	if !inUse {
		return Health{model.TargetUnused, "Target.NotInUse", "Target group is not configured to receive traffic from the load balancer"}, true
	}
	if !tg.HealthCheck.Enabled {
		return Health{"unavailable", "Target.HealthCheckDisabled", "Health checks are disabled for the target group"}, true
	}
	if report == nil {
		return Health{model.TargetInitial, "Elb.RegistrationInProgress", "Target registration is in progress"}, true
	}
	switch report.State {
	case model.TargetHealthy:
		return Health{State: model.TargetHealthy}, true
	case model.TargetInitial:
		reason, desc := report.Reason, report.Description
		if reason == "" {
			reason, desc = "Elb.InitialHealthChecking", "Initial health checks in progress"
		}
		return Health{model.TargetInitial, reason, desc}, true
	case model.TargetUnhealthy:
		reason, desc := report.Reason, report.Description
		if reason == "" {
			reason, desc = "Target.FailedHealthChecks", "Health checks failed"
		}
		return Health{model.TargetUnhealthy, reason, desc}, true
	}
	return Health{report.State, report.Reason, report.Description}, true
}

// DescribeTargetHealth reports the health of the targets of a group (all,
// or those asked for).
func (h *Handler) DescribeTargetHealth(_ context.Context, in *elbv2wire.DescribeTargetHealthInput) (*elbv2wire.DescribeTargetHealthOutput, error) {
	tg, ok := h.st.TargetGroupByARN(in.TargetGroupArn)
	if !ok {
		return nil, tgNotFound()
	}
	inUse := len(h.loadBalancersOf(tg.ARN)) > 0
	now := h.st.Now()
	byKey := map[string]*model.Target{}
	var order []string
	for _, t := range h.st.Targets(tg) {
		k := t.ID + ":" + strconv.Itoa(int(t.Port))
		byKey[k] = t
		order = append(order, k)
	}
	out := &elbv2wire.DescribeTargetHealthOutput{TargetHealthDescriptions: []elbv2wire.TargetHealthDescription{}}
	describe := func(t *model.Target) bool {
		report, _ := h.st.TargetHealth(tg, t.ID, t.Port)
		hs, ok := TargetHealthOf(tg, t, report, inUse, now)
		if !ok {
			return false
		}
		port := t.Port
		hcPort := tg.HealthCheck.Port
		if hcPort == "traffic-port" {
			hcPort = strconv.Itoa(int(port))
		}
		out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, elbv2wire.TargetHealthDescription{
			Target:          &elbv2wire.TargetDescription{Id: t.ID, Port: &port, AvailabilityZone: t.AvailabilityZone},
			HealthCheckPort: hcPort,
			TargetHealth: &elbv2wire.TargetHealth{State: elbv2wire.TargetHealthStateEnum(hs.State),
				Reason: elbv2wire.TargetHealthReasonEnum(hs.Reason), Description: hs.Description},
		})
		return true
	}
	if len(in.Targets) == 0 {
		for _, k := range order {
			describe(byKey[k])
		}
		return out, nil
	}
	for _, d := range in.Targets {
		port := tg.Port
		if d.Port != nil {
			port = *d.Port
		}
		if t, ok := byKey[d.Id+":"+strconv.Itoa(int(port))]; ok && describe(t) {
			continue
		}
		p := port
		out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, elbv2wire.TargetHealthDescription{
			Target: &elbv2wire.TargetDescription{Id: d.Id, Port: &p},
			TargetHealth: &elbv2wire.TargetHealth{State: elbv2wire.TargetHealthStateEnumUnavailable,
				Reason: elbv2wire.TargetHealthReasonEnumTargetNotRegistered, Description: "Target is not registered to the target group"},
		})
	}
	return out, nil
}
