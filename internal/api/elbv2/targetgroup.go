package elbv2

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/elbv2/elbv2wire"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/state"
)

// ALB health check defaults.
var defaultHealthCheck = model.HealthCheckConfig{
	Enabled: true, Protocol: "HTTP", Path: "/", Port: "traffic-port",
	IntervalSeconds: 30, TimeoutSeconds: 5, HealthyThreshold: 5, UnhealthyThreshold: 2, Matcher: "200",
}

// matcherRE accepts ALB HTTP code matchers: "200", "200,202", "200-299".
var matcherRE = regexp.MustCompile(`^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$`)

// healthCheckChanges is the health check part of CreateTargetGroup and
// ModifyTargetGroup.
type healthCheckChanges struct {
	enabled            *bool
	protocol           elbv2wire.ProtocolEnum
	path, port         string
	interval, timeout  *int32
	healthy, unhealthy *int32
	matcher            *elbv2wire.Matcher
}

// apply checks the changes and applies them to hc.
func (c healthCheckChanges) apply(hc *model.HealthCheckConfig) error {
	if c.enabled != nil {
		hc.Enabled = *c.enabled
	}
	if c.protocol != "" {
		if c.protocol != elbv2wire.ProtocolEnumHttp {
			return validationError("Health check protocol '%s' is not supported by wharf; use HTTP", c.protocol)
		}
		hc.Protocol = string(c.protocol)
	}
	if c.path != "" {
		if !strings.HasPrefix(c.path, "/") || len(c.path) > 1024 {
			return validationError("Health check path must begin with '/' and be at most 1024 characters")
		}
		hc.Path = c.path
	}
	if c.port != "" {
		if c.port != "traffic-port" {
			if p, err := strconv.Atoi(c.port); err != nil || p < 1 || p > 65535 {
				return validationError("Health check port '%s' must be 'traffic-port' or between 1 and 65535", c.port)
			}
		}
		hc.Port = c.port
	}
	if c.interval != nil {
		hc.IntervalSeconds = *c.interval
	}
	if c.timeout != nil {
		hc.TimeoutSeconds = *c.timeout
	}
	if c.healthy != nil {
		hc.HealthyThreshold = *c.healthy
	}
	if c.unhealthy != nil {
		hc.UnhealthyThreshold = *c.unhealthy
	}
	if c.matcher != nil {
		if c.matcher.GrpcCode != "" {
			return validationError("GrpcCode matchers are not supported by wharf; use HttpCode")
		}
		if !matcherRE.MatchString(c.matcher.HttpCode) || !codesInRange(c.matcher.HttpCode) {
			return validationError("Health check matcher HTTP code '%s' must be codes or ranges between 200 and 499, e.g. '200', '200,202' or '200-299'", c.matcher.HttpCode)
		}
		hc.Matcher = c.matcher.HttpCode
	}
	switch {
	case hc.IntervalSeconds < 5 || hc.IntervalSeconds > 300:
		return validationError("Health check interval must be between 5 and 300 seconds")
	case hc.TimeoutSeconds < 2 || hc.TimeoutSeconds > 120:
		return validationError("Health check timeout must be between 2 and 120 seconds")
	case hc.TimeoutSeconds >= hc.IntervalSeconds:
		return validationError("Health check interval must be greater than the timeout.")
	case hc.HealthyThreshold < 2 || hc.HealthyThreshold > 10:
		return validationError("Healthy threshold count must be between 2 and 10")
	case hc.UnhealthyThreshold < 2 || hc.UnhealthyThreshold > 10:
		return validationError("Unhealthy threshold count must be between 2 and 10")
	}
	return nil
}

func codesInRange(m string) bool {
	for part := range strings.SplitSeq(m, ",") {
		for code := range strings.SplitSeq(part, "-") {
			n, _ := strconv.Atoi(code)
			if n < 200 || n > 499 {
				return false
			}
		}
	}
	return true
}

// CreateTargetGroup creates an HTTP target group of targetType instance or
// ip. Creating one with the name and settings of an existing one returns
// it; other settings under a taken name are DuplicateTargetGroupName.
func (h *Handler) CreateTargetGroup(ctx context.Context, in *elbv2wire.CreateTargetGroupInput) (*elbv2wire.CreateTargetGroupOutput, error) {
	if err := checkName("target group", in.Name, false); err != nil {
		return nil, err
	}
	tt := string(in.TargetType)
	if tt == "" {
		tt = string(elbv2wire.TargetTypeEnumInstance)
	}
	if tt != string(elbv2wire.TargetTypeEnumInstance) && tt != string(elbv2wire.TargetTypeEnumIp) {
		return nil, validationError("Target type '%s' is not supported by wharf; use 'instance' or 'ip'", tt)
	}
	if in.Protocol == "" {
		return nil, validationError("A protocol must be specified")
	}
	if in.Protocol != elbv2wire.ProtocolEnumHttp {
		return nil, validationError("Protocol '%s' is not supported by wharf target groups; use HTTP", in.Protocol)
	}
	if in.Port == nil {
		return nil, validationError("A port must be specified")
	}
	if in.ProtocolVersion != "" && in.ProtocolVersion != "HTTP1" {
		return nil, validationError("Protocol version '%s' is not supported by wharf; use HTTP1", in.ProtocolVersion)
	}
	hc := defaultHealthCheck
	err := healthCheckChanges{
		enabled: in.HealthCheckEnabled, protocol: in.HealthCheckProtocol, path: in.HealthCheckPath, port: in.HealthCheckPort,
		interval: in.HealthCheckIntervalSeconds, timeout: in.HealthCheckTimeoutSeconds,
		healthy: in.HealthyThresholdCount, unhealthy: in.UnhealthyThresholdCount, matcher: in.Matcher,
	}.apply(&hc)
	if err != nil {
		return nil, err
	}
	tags, err := tagsFromWire(in.Tags)
	if err != nil {
		return nil, err
	}
	tg := model.TargetGroup{
		Name: in.Name, Protocol: string(in.Protocol), Port: *in.Port, TargetType: tt, VpcID: in.VpcId,
		ProtocolVersion: "HTTP1", HealthCheck: hc, Tags: tags,
	}
	created, err := h.st.CreateTargetGroup(ctx, tg)
	if errors.Is(err, state.ErrExists) {
		if created.Protocol != tg.Protocol || created.Port != tg.Port || created.TargetType != tg.TargetType ||
			created.HealthCheck != tg.HealthCheck || created.VpcID != tg.VpcID {
			return nil, api.Errorf(elbv2wire.ErrDuplicateTargetGroupNameException, "A target group with the same name '%s' exists, but with different settings", in.Name)
		}
	} else if err != nil {
		return nil, mapStateError(err)
	}
	return &elbv2wire.CreateTargetGroupOutput{TargetGroups: []elbv2wire.TargetGroup{h.tgToWire(created)}}, nil
}

func (h *Handler) tgToWire(tg *model.TargetGroup) elbv2wire.TargetGroup {
	hc := tg.HealthCheck
	port := tg.Port
	return elbv2wire.TargetGroup{
		TargetGroupArn: tg.ARN, TargetGroupName: tg.Name, Protocol: elbv2wire.ProtocolEnum(tg.Protocol), Port: &port,
		VpcId: tg.VpcID, TargetType: elbv2wire.TargetTypeEnum(tg.TargetType), ProtocolVersion: tg.ProtocolVersion,
		IpAddressType:       elbv2wire.TargetGroupIpAddressTypeEnumIpv4,
		HealthCheckEnabled:  &hc.Enabled,
		HealthCheckProtocol: elbv2wire.ProtocolEnum(hc.Protocol), HealthCheckPath: hc.Path, HealthCheckPort: hc.Port,
		HealthCheckIntervalSeconds: &hc.IntervalSeconds, HealthCheckTimeoutSeconds: &hc.TimeoutSeconds,
		HealthyThresholdCount: &hc.HealthyThreshold, UnhealthyThresholdCount: &hc.UnhealthyThreshold,
		Matcher:          &elbv2wire.Matcher{HttpCode: hc.Matcher},
		LoadBalancerArns: h.loadBalancersOf(tg.ARN),
	}
}

// loadBalancersOf returns the ARNs of the load balancers with a listener
// or rule forwarding to target group arn.
func (h *Handler) loadBalancersOf(tgARN string) []string {
	out := []string{}
	add := func(lbARN string) {
		if !slices.Contains(out, lbARN) {
			out = append(out, lbARN)
		}
	}
	for _, l := range h.st.AllListeners() {
		if forwardsTo(l.DefaultActions, tgARN) {
			add(l.LoadBalancerARN)
		}
	}
	for _, r := range h.st.AllRules() {
		if forwardsTo(r.Actions, tgARN) {
			if l, ok := h.st.ListenerByARN(r.ListenerARN); ok {
				add(l.LoadBalancerARN)
			}
		}
	}
	slices.Sort(out)
	return out
}

func forwardsTo(actions []model.Action, tgARN string) bool {
	for _, a := range actions {
		for _, t := range a.TargetGroups {
			if t.ARN == tgARN {
				return true
			}
		}
	}
	return false
}

// ModifyTargetGroup changes the health check of a target group.
func (h *Handler) ModifyTargetGroup(ctx context.Context, in *elbv2wire.ModifyTargetGroupInput) (*elbv2wire.ModifyTargetGroupOutput, error) {
	tg, ok := h.st.TargetGroupByARN(in.TargetGroupArn)
	if !ok {
		return nil, tgNotFound()
	}
	changes := healthCheckChanges{
		enabled: in.HealthCheckEnabled, protocol: in.HealthCheckProtocol, path: in.HealthCheckPath, port: in.HealthCheckPort,
		interval: in.HealthCheckIntervalSeconds, timeout: in.HealthCheckTimeoutSeconds,
		healthy: in.HealthyThresholdCount, unhealthy: in.UnhealthyThresholdCount, matcher: in.Matcher,
	}
	updated, err := h.st.UpdateTargetGroup(ctx, tg.Name, func(t *model.TargetGroup) error {
		if t.ARN != tg.ARN {
			return tgNotFound()
		}
		return changes.apply(&t.HealthCheck)
	})
	if err != nil {
		return nil, mapStateError(err)
	}
	return &elbv2wire.ModifyTargetGroupOutput{TargetGroups: []elbv2wire.TargetGroup{h.tgToWire(updated)}}, nil
}

// DescribeTargetGroups describes target groups by ARN, name or load
// balancer, or all.
func (h *Handler) DescribeTargetGroups(_ context.Context, in *elbv2wire.DescribeTargetGroupsInput) (*elbv2wire.DescribeTargetGroupsOutput, error) {
	set := 0
	for _, b := range []bool{len(in.TargetGroupArns) > 0, len(in.Names) > 0, in.LoadBalancerArn != ""} {
		if b {
			set++
		}
	}
	if set > 1 {
		return nil, validationError("Only one of LoadBalancerArn, TargetGroupArns or Names can be specified")
	}
	var tgs []*model.TargetGroup
	switch {
	case len(in.TargetGroupArns) > 0:
		for _, ref := range in.TargetGroupArns {
			tg, ok := h.st.TargetGroupByARN(ref)
			if !ok {
				return nil, tgNotFound()
			}
			tgs = append(tgs, tg)
		}
	case len(in.Names) > 0:
		for _, n := range in.Names {
			tg, ok := h.st.TargetGroup(n)
			if !ok {
				return nil, api.Errorf(elbv2wire.ErrTargetGroupNotFoundException, "Target groups '[%s]' not found", n)
			}
			tgs = append(tgs, tg)
		}
	case in.LoadBalancerArn != "":
		if _, ok := h.st.LoadBalancerByARN(in.LoadBalancerArn); !ok {
			return nil, lbNotFound()
		}
		for _, tg := range h.st.TargetGroups() {
			if slices.Contains(h.loadBalancersOf(tg.ARN), in.LoadBalancerArn) {
				tgs = append(tgs, tg)
			}
		}
	default:
		tgs = h.st.TargetGroups()
	}
	byName := map[string]*model.TargetGroup{}
	var names []string
	for _, tg := range tgs {
		if byName[tg.Name] == nil {
			names = append(names, tg.Name)
		}
		byName[tg.Name] = tg
	}
	slices.Sort(names)
	page, next, err := paginate("tg", names, in.PageSize, in.Marker)
	if err != nil {
		return nil, err
	}
	out := &elbv2wire.DescribeTargetGroupsOutput{TargetGroups: []elbv2wire.TargetGroup{}, NextMarker: next}
	for _, n := range page {
		out.TargetGroups = append(out.TargetGroups, h.tgToWire(byName[n]))
	}
	return out, nil
}

// DeleteTargetGroup deletes a target group no listener or rule forwards
// to. Deleting one that does not exist succeeds.
func (h *Handler) DeleteTargetGroup(ctx context.Context, in *elbv2wire.DeleteTargetGroupInput) (*elbv2wire.DeleteTargetGroupOutput, error) {
	if r, ok := h.st.ParseELBARN(in.TargetGroupArn); !ok || r.Kind != "targetgroup" {
		return nil, validationError("'%s' is not a valid target group ARN", in.TargetGroupArn)
	}
	tg, ok := h.st.TargetGroupByARN(in.TargetGroupArn)
	if !ok {
		return &elbv2wire.DeleteTargetGroupOutput{}, nil
	}
	err := h.st.DeleteTargetGroup(ctx, tg, func() error {
		if lbs := h.loadBalancersOf(tg.ARN); len(lbs) > 0 {
			return api.Errorf(elbv2wire.ErrResourceInUseException, "Target group '%s' is currently in use by a listener or a rule", tg.ARN)
		}
		return nil
	})
	if err != nil {
		return nil, mapStateError(err)
	}
	return &elbv2wire.DeleteTargetGroupOutput{}, nil
}

// ModifyTargetGroupAttributes changes attributes and returns all of them.
func (h *Handler) ModifyTargetGroupAttributes(ctx context.Context, in *elbv2wire.ModifyTargetGroupAttributesInput) (*elbv2wire.ModifyTargetGroupAttributesOutput, error) {
	tg, ok := h.st.TargetGroupByARN(in.TargetGroupArn)
	if !ok {
		return nil, tgNotFound()
	}
	changes := map[string]string{}
	for _, a := range in.Attributes {
		if err := checkAttribute(tgAttributes, "Target group", a.Key, a.Value); err != nil {
			return nil, err
		}
		changes[a.Key] = a.Value
	}
	updated, err := h.st.UpdateTargetGroup(ctx, tg.Name, func(t *model.TargetGroup) error {
		if t.ARN != tg.ARN {
			return tgNotFound()
		}
		if t.Attributes == nil {
			t.Attributes = map[string]string{}
		}
		for k, v := range changes {
			t.Attributes[k] = v
		}
		return nil
	})
	if err != nil {
		return nil, mapStateError(err)
	}
	return &elbv2wire.ModifyTargetGroupAttributesOutput{Attributes: tgAttributesToWire(updated)}, nil
}

// DescribeTargetGroupAttributes returns every attribute with its value or
// default.
func (h *Handler) DescribeTargetGroupAttributes(_ context.Context, in *elbv2wire.DescribeTargetGroupAttributesInput) (*elbv2wire.DescribeTargetGroupAttributesOutput, error) {
	tg, ok := h.st.TargetGroupByARN(in.TargetGroupArn)
	if !ok {
		return nil, tgNotFound()
	}
	return &elbv2wire.DescribeTargetGroupAttributesOutput{Attributes: tgAttributesToWire(tg)}, nil
}

// TargetGroupAttribute returns an attribute of a target group or its ALB
// default.
func TargetGroupAttribute(tg *model.TargetGroup, key string) string {
	if v, ok := tg.Attributes[key]; ok {
		return v
	}
	return attributeDefault(tgAttributes, key)
}

func tgAttributesToWire(tg *model.TargetGroup) []elbv2wire.TargetGroupAttribute {
	var out []elbv2wire.TargetGroupAttribute
	for _, a := range tgAttributes {
		out = append(out, elbv2wire.TargetGroupAttribute{Key: a.key, Value: TargetGroupAttribute(tg, a.key)})
	}
	return out
}
