package elbv2

import (
	"context"
	"log/slog"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/elbv2/elbv2wire"
	"github.com/wharfhq/wharf/internal/state"
)

// DefaultAddress is the address load balancers' listeners bind unless the
// handler's Address says otherwise.
const DefaultAddress = "127.0.0.1"

// Handler implements the ELBv2 operations over the state repositories.
type Handler struct {
	st      *state.State
	region  string
	account string
	logger  *slog.Logger

	// Address is the IP address new load balancers get (model
	// LoadBalancer.IPAddress): the address the data plane binds their
	// listeners on and where CreateListener checks that a port is free.
	// DefaultAddress (loopback) unless set after New.
	Address string
	// checkPort reports whether a listener port can be bound on an address;
	// replaced in tests.
	checkPort func(ctx context.Context, addr string, port int32) error
}

// New returns an ELBv2 handler.
func New(st *state.State, region, account string, logger *slog.Logger) *Handler {
	return &Handler{st: st, region: region, account: account, logger: logger.With("component", "elbv2"),
		Address: DefaultAddress, checkPort: bindCheck}
}

// Service returns the query-protocol service to mount on the gateway.
func (h *Handler) Service() *api.QueryService {
	known := make(map[string]bool, len(elbv2wire.Operations))
	wrapper := make(map[string]string, len(elbv2wire.Operations))
	for _, op := range elbv2wire.Operations {
		known[op.Name] = true
		wrapper[op.Name] = op.ResultWrapper
	}
	s := &api.QueryService{
		Version:        elbv2wire.APIVersion,
		XMLNamespace:   elbv2wire.XMLNamespace,
		ValidationCode: "ValidationError",
		Exceptions:     elbv2wire.Exceptions,
		Known:          known,
	}
	// Load balancers.
	api.RegisterQuery(s, "CreateLoadBalancer", wrapper["CreateLoadBalancer"], h.CreateLoadBalancer)
	api.RegisterQuery(s, "DescribeLoadBalancers", wrapper["DescribeLoadBalancers"], h.DescribeLoadBalancers)
	api.RegisterQuery(s, "DeleteLoadBalancer", wrapper["DeleteLoadBalancer"], h.DeleteLoadBalancer)
	api.RegisterQuery(s, "ModifyLoadBalancerAttributes", wrapper["ModifyLoadBalancerAttributes"], h.ModifyLoadBalancerAttributes)
	api.RegisterQuery(s, "DescribeLoadBalancerAttributes", wrapper["DescribeLoadBalancerAttributes"], h.DescribeLoadBalancerAttributes)
	// Target groups and targets.
	api.RegisterQuery(s, "CreateTargetGroup", wrapper["CreateTargetGroup"], h.CreateTargetGroup)
	api.RegisterQuery(s, "ModifyTargetGroup", wrapper["ModifyTargetGroup"], h.ModifyTargetGroup)
	api.RegisterQuery(s, "DescribeTargetGroups", wrapper["DescribeTargetGroups"], h.DescribeTargetGroups)
	api.RegisterQuery(s, "DeleteTargetGroup", wrapper["DeleteTargetGroup"], h.DeleteTargetGroup)
	api.RegisterQuery(s, "ModifyTargetGroupAttributes", wrapper["ModifyTargetGroupAttributes"], h.ModifyTargetGroupAttributes)
	api.RegisterQuery(s, "DescribeTargetGroupAttributes", wrapper["DescribeTargetGroupAttributes"], h.DescribeTargetGroupAttributes)
	api.RegisterQuery(s, "RegisterTargets", wrapper["RegisterTargets"], h.RegisterTargets)
	api.RegisterQuery(s, "DeregisterTargets", wrapper["DeregisterTargets"], h.DeregisterTargets)
	api.RegisterQuery(s, "DescribeTargetHealth", wrapper["DescribeTargetHealth"], h.DescribeTargetHealth)
	// Listeners and rules.
	api.RegisterQuery(s, "CreateListener", wrapper["CreateListener"], h.CreateListener)
	api.RegisterQuery(s, "ModifyListener", wrapper["ModifyListener"], h.ModifyListener)
	api.RegisterQuery(s, "DeleteListener", wrapper["DeleteListener"], h.DeleteListener)
	api.RegisterQuery(s, "DescribeListeners", wrapper["DescribeListeners"], h.DescribeListeners)
	api.RegisterQuery(s, "CreateRule", wrapper["CreateRule"], h.CreateRule)
	api.RegisterQuery(s, "ModifyRule", wrapper["ModifyRule"], h.ModifyRule)
	api.RegisterQuery(s, "DeleteRule", wrapper["DeleteRule"], h.DeleteRule)
	api.RegisterQuery(s, "DescribeRules", wrapper["DescribeRules"], h.DescribeRules)
	api.RegisterQuery(s, "SetRulePriorities", wrapper["SetRulePriorities"], h.SetRulePriorities)
	// Tags.
	api.RegisterQuery(s, "AddTags", wrapper["AddTags"], h.AddTags)
	api.RegisterQuery(s, "RemoveTags", wrapper["RemoveTags"], h.RemoveTags)
	api.RegisterQuery(s, "DescribeTags", wrapper["DescribeTags"], h.DescribeTags)
	return s
}
