package elbv2

import (
	"context"
	"crypto/rand"
	"errors"
	"math/big"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/elbv2/elbv2wire"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/state"
)

// hostedZoneID is the canonical hosted zone id wharf reports; there is no
// Route 53 here.
const hostedZoneID = "Z0WHARFLOCALELB"

// checkName applies ELB's rules for load balancer and target group names:
// 1–32 alphanumerics or hyphens, not starting or ending with a hyphen, and
// (load balancers) not starting with "internal-".
func checkName(kind, name string, lb bool) error {
	msg := "The " + kind + " name '" + name + "' must be 1–32 characters of letters, digits and hyphens, and must not begin or end with a hyphen"
	if name == "" || len(name) > 32 || strings.HasPrefix(name, "-") || strings.HasSuffix(name, "-") {
		return validationError("%s", msg)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return validationError("%s", msg)
		}
	}
	if lb && strings.HasPrefix(strings.ToLower(name), "internal-") {
		return validationError("The load balancer name '%s' cannot begin with 'internal-'", name)
	}
	return nil
}

func randomDigits(n int) string {
	b := make([]byte, n)
	for i := range b {
		d, _ := rand.Int(rand.Reader, big.NewInt(10))
		b[i] = byte('0' + d.Int64())
	}
	if b[0] == '0' {
		b[0] = '1'
	}
	return string(b)
}

// CreateLoadBalancer creates an application load balancer. Creating one
// with the name and settings of an existing one returns it (ELB is
// idempotent here); other settings under a taken name are refused.
func (h *Handler) CreateLoadBalancer(ctx context.Context, in *elbv2wire.CreateLoadBalancerInput) (*elbv2wire.CreateLoadBalancerOutput, error) {
	if err := checkName("load balancer", in.Name, true); err != nil {
		return nil, err
	}
	typ := string(in.Type)
	if typ == "" {
		typ = string(elbv2wire.LoadBalancerTypeEnumApplication)
	}
	if typ != string(elbv2wire.LoadBalancerTypeEnumApplication) {
		return nil, validationError("Load balancer type '%s' is not supported by wharf; only 'application' is", typ)
	}
	scheme := string(in.Scheme)
	if scheme == "" {
		scheme = string(elbv2wire.LoadBalancerSchemeEnumInternetFacing)
	}
	ipType := string(in.IpAddressType)
	if ipType == "" {
		ipType = string(elbv2wire.IpAddressTypeIpv4)
	}
	tags, err := tagsFromWire(in.Tags)
	if err != nil {
		return nil, err
	}
	subnets := slices.Clone(in.Subnets)
	for _, m := range in.SubnetMappings {
		subnets = append(subnets, m.SubnetId)
	}
	lb := model.LoadBalancer{
		Name: in.Name, Scheme: scheme, Type: typ, State: "active",
		DNSName:   strings.ToLower(in.Name) + "-" + randomDigits(10) + "." + h.region + ".elb.localhost",
		IPAddress: h.Address, Subnets: subnets, SecurityGroups: slices.Clone(in.SecurityGroups),
		IPAddressType: ipType, VpcID: "vpc-wharf", Tags: tags,
	}
	if scheme == string(elbv2wire.LoadBalancerSchemeEnumInternal) {
		lb.DNSName = "internal-" + lb.DNSName
	}
	created, err := h.st.CreateLoadBalancer(ctx, lb)
	if errors.Is(err, state.ErrExists) {
		if created.Scheme != lb.Scheme || created.Type != lb.Type || created.IPAddressType != lb.IPAddressType {
			return nil, api.Errorf(elbv2wire.ErrDuplicateLoadBalancerNameException, "A load balancer with the same name '%s' exists, but with different settings", in.Name)
		}
	} else if err != nil {
		return nil, mapStateError(err)
	}
	return &elbv2wire.CreateLoadBalancerOutput{LoadBalancers: []elbv2wire.LoadBalancer{h.lbToWire(created)}}, nil
}

func (h *Handler) lbToWire(lb *model.LoadBalancer) elbv2wire.LoadBalancer {
	created := lb.CreatedAt
	out := elbv2wire.LoadBalancer{
		LoadBalancerArn: lb.ARN, LoadBalancerName: lb.Name, DNSName: lb.DNSName,
		CanonicalHostedZoneId: hostedZoneID, CreatedTime: &created,
		Scheme: elbv2wire.LoadBalancerSchemeEnum(lb.Scheme), Type: elbv2wire.LoadBalancerTypeEnum(lb.Type),
		State: &elbv2wire.LoadBalancerState{Code: elbv2wire.LoadBalancerStateEnum(lb.State)},
		VpcId: lb.VpcID, IpAddressType: elbv2wire.IpAddressType(lb.IPAddressType),
		SecurityGroups: slices.Clone(lb.SecurityGroups),
		AvailabilityZones: []elbv2wire.AvailabilityZone{{
			ZoneName:              h.region + "a",
			LoadBalancerAddresses: []elbv2wire.LoadBalancerAddress{{IpAddress: lb.IPAddress}},
		}},
	}
	if out.SecurityGroups == nil {
		out.SecurityGroups = []string{}
	}
	for i, sub := range lb.Subnets {
		az := elbv2wire.AvailabilityZone{ZoneName: h.region + string(rune('a'+i%6)), SubnetId: sub}
		if i == 0 {
			out.AvailabilityZones[0].SubnetId = sub
			continue
		}
		out.AvailabilityZones = append(out.AvailabilityZones, az)
	}
	return out
}

// DescribeLoadBalancers describes load balancers by ARN or name, or all.
func (h *Handler) DescribeLoadBalancers(_ context.Context, in *elbv2wire.DescribeLoadBalancersInput) (*elbv2wire.DescribeLoadBalancersOutput, error) {
	if len(in.LoadBalancerArns) > 0 && len(in.Names) > 0 {
		return nil, validationError("Load balancer names and load balancer ARNs cannot be specified at the same time")
	}
	var lbs []*model.LoadBalancer
	switch {
	case len(in.LoadBalancerArns) > 0:
		for _, ref := range in.LoadBalancerArns {
			lb, ok := h.st.LoadBalancerByARN(ref)
			if !ok {
				return nil, lbNotFound()
			}
			lbs = append(lbs, lb)
		}
	case len(in.Names) > 0:
		for _, n := range in.Names {
			lb, ok := h.st.LoadBalancer(n)
			if !ok {
				return nil, api.Errorf(elbv2wire.ErrLoadBalancerNotFoundException, "Load balancers '[%s]' not found", n)
			}
			lbs = append(lbs, lb)
		}
	default:
		lbs = h.st.LoadBalancers()
	}
	byName := map[string]*model.LoadBalancer{}
	names := make([]string, 0, len(lbs))
	for _, lb := range lbs {
		if byName[lb.Name] == nil {
			names = append(names, lb.Name)
		}
		byName[lb.Name] = lb
	}
	slices.Sort(names)
	page, next, err := paginate("lb", names, in.PageSize, in.Marker)
	if err != nil {
		return nil, err
	}
	out := &elbv2wire.DescribeLoadBalancersOutput{LoadBalancers: []elbv2wire.LoadBalancer{}, NextMarker: next}
	for _, n := range page {
		out.LoadBalancers = append(out.LoadBalancers, h.lbToWire(byName[n]))
	}
	return out, nil
}

// DeleteLoadBalancer deletes a load balancer with its listeners and rules.
// Target groups stay. Deleting one that does not exist succeeds.
func (h *Handler) DeleteLoadBalancer(ctx context.Context, in *elbv2wire.DeleteLoadBalancerInput) (*elbv2wire.DeleteLoadBalancerOutput, error) {
	if _, ok := h.st.ParseELBARN(in.LoadBalancerArn); !ok {
		return nil, validationError("'%s' is not a valid load balancer ARN", in.LoadBalancerArn)
	}
	lb, ok := h.st.LoadBalancerByARN(in.LoadBalancerArn)
	if !ok {
		return &elbv2wire.DeleteLoadBalancerOutput{}, nil
	}
	if lbAttr(lb, "deletion_protection.enabled") == "true" {
		return nil, api.Errorf(elbv2wire.ErrOperationNotPermittedException,
			"Load balancer '%s' cannot be deleted because deletion protection is enabled", lb.ARN)
	}
	if err := h.st.DeleteLoadBalancer(ctx, lb); err != nil {
		return nil, mapStateError(err)
	}
	return &elbv2wire.DeleteLoadBalancerOutput{}, nil
}

// ModifyLoadBalancerAttributes changes attributes and returns all of them.
func (h *Handler) ModifyLoadBalancerAttributes(ctx context.Context, in *elbv2wire.ModifyLoadBalancerAttributesInput) (*elbv2wire.ModifyLoadBalancerAttributesOutput, error) {
	lb, ok := h.st.LoadBalancerByARN(in.LoadBalancerArn)
	if !ok {
		return nil, lbNotFound()
	}
	changes := map[string]string{}
	for _, a := range in.Attributes {
		if err := checkAttribute(lbAttributes, "Load balancer", a.Key, a.Value); err != nil {
			return nil, err
		}
		changes[a.Key] = a.Value
	}
	updated, err := h.st.UpdateLoadBalancer(ctx, lb.Name, func(l *model.LoadBalancer) error {
		if l.ARN != lb.ARN {
			return lbNotFound()
		}
		if l.Attributes == nil {
			l.Attributes = map[string]string{}
		}
		for k, v := range changes {
			l.Attributes[k] = v
		}
		return nil
	})
	if err != nil {
		return nil, mapStateError(err)
	}
	return &elbv2wire.ModifyLoadBalancerAttributesOutput{Attributes: lbAttributesToWire(updated)}, nil
}

// DescribeLoadBalancerAttributes returns every attribute with its value or
// default.
func (h *Handler) DescribeLoadBalancerAttributes(_ context.Context, in *elbv2wire.DescribeLoadBalancerAttributesInput) (*elbv2wire.DescribeLoadBalancerAttributesOutput, error) {
	lb, ok := h.st.LoadBalancerByARN(in.LoadBalancerArn)
	if !ok {
		return nil, lbNotFound()
	}
	return &elbv2wire.DescribeLoadBalancerAttributesOutput{Attributes: lbAttributesToWire(lb)}, nil
}

func lbAttr(lb *model.LoadBalancer, key string) string {
	if v, ok := lb.Attributes[key]; ok {
		return v
	}
	return attributeDefault(lbAttributes, key)
}

func lbAttributesToWire(lb *model.LoadBalancer) []elbv2wire.LoadBalancerAttribute {
	var out []elbv2wire.LoadBalancerAttribute
	for _, a := range lbAttributes {
		out = append(out, elbv2wire.LoadBalancerAttribute{Key: a.key, Value: lbAttr(lb, a.key)})
	}
	return out
}
