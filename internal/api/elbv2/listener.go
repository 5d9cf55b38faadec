package elbv2

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"slices"
	"strconv"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/elbv2/elbv2wire"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/state"
)

// maxListeners is ALB's quota of listeners per load balancer.
const maxListeners = 50

// bindCheck reports whether addr:port can be bound now, by binding it.
func bindCheck(_ context.Context, addr string, port int32) error {
	ln, err := net.Listen("tcp", net.JoinHostPort(addr, strconv.Itoa(int(port))))
	if err != nil {
		return err
	}
	return ln.Close()
}

func listenerProtocol(p elbv2wire.ProtocolEnum) (string, error) {
	switch p {
	case "", elbv2wire.ProtocolEnumHttp:
		return "HTTP", nil
	}
	return "", api.Errorf(elbv2wire.ErrUnsupportedProtocolException, "Listener protocol '%s' is not supported by wharf; use HTTP", p)
}

// portFree checks that port is not used by a listener of another load
// balancer on the same address and can be bound there.
func (h *Handler) portFree(ctx context.Context, lb *model.LoadBalancer, port int32) error {
	for _, other := range h.st.LoadBalancers() {
		if other.ARN == lb.ARN || other.IPAddress != lb.IPAddress {
			continue
		}
		r, _ := h.st.ParseELBARN(other.ARN)
		for _, l := range h.st.Listeners(r.ID) {
			if l.Port == port {
				return invalidConfig("Port %d on %s is already used by a listener of load balancer '%s'", port, lb.IPAddress, other.Name)
			}
		}
	}
	if err := h.checkPort(ctx, lb.IPAddress, port); err != nil {
		return invalidConfig("Port %d cannot be bound on %s: %v", port, lb.IPAddress, err)
	}
	return nil
}

// CreateListener adds an HTTP listener to a load balancer. Creating one
// with the port and settings of an existing listener returns it.
func (h *Handler) CreateListener(ctx context.Context, in *elbv2wire.CreateListenerInput) (*elbv2wire.CreateListenerOutput, error) {
	lb, ok := h.st.LoadBalancerByARN(in.LoadBalancerArn)
	if !ok {
		return nil, lbNotFound()
	}
	proto, err := listenerProtocol(in.Protocol)
	if err != nil {
		return nil, err
	}
	if in.Port == nil {
		return nil, validationError("A listener port must be specified")
	}
	actions, err := h.actionsFromWire(in.DefaultActions, lb.ARN)
	if err != nil {
		return nil, err
	}
	tags, err := tagsFromWire(in.Tags)
	if err != nil {
		return nil, err
	}
	r, _ := h.st.ParseELBARN(lb.ARN)
	for _, l := range h.st.Listeners(r.ID) {
		if l.Port == *in.Port {
			if l.Protocol == proto && reflect.DeepEqual(l.DefaultActions, actions) {
				return &elbv2wire.CreateListenerOutput{Listeners: []elbv2wire.Listener{listenerToWire(l)}}, nil
			}
			return nil, api.Errorf(elbv2wire.ErrDuplicateListenerException, "A listener already exists on this port for this load balancer '%s'", lb.ARN)
		}
	}
	if err := h.portFree(ctx, lb, *in.Port); err != nil {
		return nil, err
	}
	l := model.Listener{ARN: h.st.ListenerARN(lb), LoadBalancerARN: lb.ARN, Protocol: proto, Port: *in.Port, DefaultActions: actions, Tags: tags}
	created, err := h.st.CreateListener(ctx, lb, l, func(siblings []*model.Listener) error {
		if len(siblings) >= maxListeners {
			return api.Errorf(elbv2wire.ErrTooManyListenersException, "You've reached the limit on the number of listeners per load balancer (%d)", maxListeners)
		}
		for _, o := range siblings {
			if o.Port == l.Port {
				return api.Errorf(elbv2wire.ErrDuplicateListenerException, "A listener already exists on this port for this load balancer '%s'", lb.ARN)
			}
		}
		return nil
	})
	if errors.Is(err, state.ErrNotFound) {
		return nil, lbNotFound()
	}
	if err != nil {
		return nil, mapStateError(err)
	}
	return &elbv2wire.CreateListenerOutput{Listeners: []elbv2wire.Listener{listenerToWire(created)}}, nil
}

func listenerToWire(l *model.Listener) elbv2wire.Listener {
	port := l.Port
	return elbv2wire.Listener{ListenerArn: l.ARN, LoadBalancerArn: l.LoadBalancerARN, Port: &port,
		Protocol: elbv2wire.ProtocolEnum(l.Protocol), DefaultActions: actionsToWire(l.DefaultActions)}
}

// ModifyListener changes the port, protocol or default actions of a
// listener.
func (h *Handler) ModifyListener(ctx context.Context, in *elbv2wire.ModifyListenerInput) (*elbv2wire.ModifyListenerOutput, error) {
	cur, ok := h.st.ListenerByARN(in.ListenerArn)
	if !ok {
		return nil, listenerNotFound()
	}
	lb, ok := h.st.LoadBalancerByARN(cur.LoadBalancerARN)
	if !ok {
		return nil, listenerNotFound()
	}
	var proto string
	if in.Protocol != "" {
		p, err := listenerProtocol(in.Protocol)
		if err != nil {
			return nil, err
		}
		proto = p
	}
	var actions []model.Action
	if in.DefaultActions != nil {
		a, err := h.actionsFromWire(in.DefaultActions, lb.ARN)
		if err != nil {
			return nil, err
		}
		actions = a
	}
	if in.Port != nil && *in.Port != cur.Port {
		r, _ := h.st.ParseELBARN(lb.ARN)
		for _, o := range h.st.Listeners(r.ID) {
			if o.Port == *in.Port {
				return nil, api.Errorf(elbv2wire.ErrDuplicateListenerException, "A listener already exists on this port for this load balancer '%s'", lb.ARN)
			}
		}
		if err := h.portFree(ctx, lb, *in.Port); err != nil {
			return nil, err
		}
	}
	updated, err := h.st.UpdateListener(ctx, in.ListenerArn, func(l *model.Listener, siblings []*model.Listener) error {
		if in.Port != nil {
			for _, o := range siblings {
				if o.Port == *in.Port {
					return api.Errorf(elbv2wire.ErrDuplicateListenerException, "A listener already exists on this port for this load balancer '%s'", lb.ARN)
				}
			}
			l.Port = *in.Port
		}
		if proto != "" {
			l.Protocol = proto
		}
		if actions != nil {
			l.DefaultActions = actions
		}
		return nil
	})
	if errors.Is(err, state.ErrNotFound) {
		return nil, listenerNotFound()
	}
	if err != nil {
		return nil, mapStateError(err)
	}
	return &elbv2wire.ModifyListenerOutput{Listeners: []elbv2wire.Listener{listenerToWire(updated)}}, nil
}

// DeleteListener deletes a listener and its rules.
func (h *Handler) DeleteListener(ctx context.Context, in *elbv2wire.DeleteListenerInput) (*elbv2wire.DeleteListenerOutput, error) {
	if _, ok := h.st.ListenerByARN(in.ListenerArn); !ok {
		return nil, listenerNotFound()
	}
	if err := h.st.DeleteListener(ctx, in.ListenerArn); err != nil {
		if errors.Is(err, state.ErrNotFound) {
			return nil, listenerNotFound()
		}
		return nil, mapStateError(err)
	}
	return &elbv2wire.DeleteListenerOutput{}, nil
}

// DescribeListeners describes the listeners of a load balancer, or
// listeners by ARN, ordered by port.
func (h *Handler) DescribeListeners(_ context.Context, in *elbv2wire.DescribeListenersInput) (*elbv2wire.DescribeListenersOutput, error) {
	var ls []*model.Listener
	switch {
	case in.LoadBalancerArn != "" && len(in.ListenerArns) > 0:
		return nil, validationError("Listener ARNs and a load balancer ARN cannot be specified at the same time")
	case len(in.ListenerArns) > 0:
		for _, ref := range in.ListenerArns {
			l, ok := h.st.ListenerByARN(ref)
			if !ok {
				return nil, listenerNotFound()
			}
			ls = append(ls, l)
		}
	case in.LoadBalancerArn != "":
		lb, ok := h.st.LoadBalancerByARN(in.LoadBalancerArn)
		if !ok {
			return nil, lbNotFound()
		}
		r, _ := h.st.ParseELBARN(lb.ARN)
		ls = h.st.Listeners(r.ID)
	default:
		return nil, validationError("You must specify either listener ARNs or a load balancer ARN")
	}
	byKey := map[string]*model.Listener{}
	var keys []string
	for _, l := range ls {
		k := fmt.Sprintf("%05d/%s", l.Port, l.ARN)
		if byKey[k] == nil {
			keys = append(keys, k)
		}
		byKey[k] = l
	}
	slices.Sort(keys)
	page, next, err := paginate("listener", keys, in.PageSize, in.Marker)
	if err != nil {
		return nil, err
	}
	out := &elbv2wire.DescribeListenersOutput{Listeners: []elbv2wire.Listener{}, NextMarker: next}
	for _, k := range page {
		out.Listeners = append(out.Listeners, listenerToWire(byKey[k]))
	}
	return out, nil
}
