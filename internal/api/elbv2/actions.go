package elbv2

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/elbv2/elbv2wire"
	"github.com/wharfhq/wharf/internal/model"
)

// ALB limits of actions.
const (
	maxForwardTargetGroups = 5
	maxWeight              = 999
	maxFixedResponseBody   = 1024
)

var (
	fixedStatusRE   = regexp.MustCompile(`^[245]\d\d$`)
	fixedTypes      = []string{"text/plain", "text/css", "text/html", "application/javascript", "application/json"}
	redirectPortRE  = regexp.MustCompile(`^(#\{port\}|[1-9]\d{0,4})$`)
	terminalActions = []string{"forward", "fixed-response", "redirect"}
)

// actionsFromWire checks the actions of a listener or rule of load
// balancer lbARN and converts them, sorted by order.
func (h *Handler) actionsFromWire(actions []elbv2wire.Action, lbARN string) ([]model.Action, error) {
	if len(actions) == 0 {
		return nil, validationError("At least one action must be specified")
	}
	out := make([]model.Action, 0, len(actions))
	terminal := 0
	orders := map[int32]bool{}
	for _, a := range actions {
		m := model.Action{Type: string(a.Type)}
		if a.Order != nil {
			if orders[*a.Order] {
				return nil, validationError("Action order '%d' is used more than once", *a.Order)
			}
			orders[*a.Order] = true
			m.Order = *a.Order
		} else if len(actions) > 1 {
			return nil, validationError("An action order must be specified for each action when there is more than one action")
		}
		if !slices.Contains(terminalActions, m.Type) {
			return nil, api.Errorf(elbv2wire.ErrInvalidLoadBalancerActionException, "Action type '%s' is not supported by wharf", a.Type)
		}
		terminal++
		var err error
		switch m.Type {
		case "forward":
			err = h.forwardFromWire(a, &m, lbARN)
		case "fixed-response":
			err = fixedFromWire(a, &m)
		case "redirect":
			err = redirectFromWire(a, &m)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if terminal != 1 {
		return nil, validationError("Exactly one forward, redirect or fixed-response action must be specified")
	}
	slices.SortStableFunc(out, func(a, b model.Action) int { return int(a.Order) - int(b.Order) })
	return out, nil
}

func (h *Handler) forwardFromWire(a elbv2wire.Action, m *model.Action, lbARN string) error {
	if a.FixedResponseConfig != nil || a.RedirectConfig != nil {
		return validationError("A forward action cannot have a fixed-response or redirect configuration")
	}
	var tgs []model.WeightedTargetGroup
	if a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) > 0 {
		for _, t := range a.ForwardConfig.TargetGroups {
			w := int32(1)
			if t.Weight != nil {
				w = *t.Weight
			}
			if w < 0 || w > maxWeight {
				return validationError("Target group weight must be between 0 and %d", maxWeight)
			}
			if t.TargetGroupArn == "" {
				return validationError("A target group ARN must be specified for each target group of a forward action")
			}
			if slices.ContainsFunc(tgs, func(x model.WeightedTargetGroup) bool { return x.ARN == t.TargetGroupArn }) {
				return validationError("Target group '%s' is specified more than once in a forward action", t.TargetGroupArn)
			}
			tgs = append(tgs, model.WeightedTargetGroup{ARN: t.TargetGroupArn, Weight: w})
		}
		if a.TargetGroupArn != "" && (len(tgs) != 1 || tgs[0].ARN != a.TargetGroupArn) {
			return validationError("TargetGroupArn and ForwardConfig must name the same single target group when both are specified")
		}
	} else if a.TargetGroupArn != "" {
		tgs = []model.WeightedTargetGroup{{ARN: a.TargetGroupArn, Weight: 1}}
	}
	if len(tgs) == 0 {
		return validationError("A forward action must specify a target group")
	}
	if len(tgs) > maxForwardTargetGroups {
		return api.Errorf(elbv2wire.ErrTooManyTargetGroupsException, "A forward action can have at most %d target groups", maxForwardTargetGroups)
	}
	for _, t := range tgs {
		tg, ok := h.st.TargetGroupByARN(t.ARN)
		if !ok {
			return api.Errorf(elbv2wire.ErrTargetGroupNotFoundException, "Target group '%s' not found", t.ARN)
		}
		for _, other := range h.loadBalancersOf(tg.ARN) {
			if other != lbARN {
				return api.Errorf(elbv2wire.ErrTargetGroupAssociationLimitException,
					"The following target groups cannot be associated with more than one load balancer: %s", tg.ARN)
			}
		}
	}
	m.TargetGroups = tgs
	if a.ForwardConfig != nil && a.ForwardConfig.TargetGroupStickinessConfig != nil {
		sc := a.ForwardConfig.TargetGroupStickinessConfig
		st := &model.GroupStickiness{}
		if sc.Enabled != nil {
			st.Enabled = *sc.Enabled
		}
		if sc.DurationSeconds != nil {
			st.DurationSeconds = *sc.DurationSeconds
		}
		if st.Enabled && (st.DurationSeconds < 1 || st.DurationSeconds > 604800) {
			return validationError("Target group stickiness duration must be between 1 and 604800 seconds")
		}
		m.Stickiness = st
	}
	return nil
}

func fixedFromWire(a elbv2wire.Action, m *model.Action) error {
	c := a.FixedResponseConfig
	if c == nil {
		return validationError("A fixed-response action must have a FixedResponseConfig")
	}
	if !fixedStatusRE.MatchString(c.StatusCode) {
		return validationError("Fixed response status code '%s' must be a 2XX, 4XX or 5XX code", c.StatusCode)
	}
	if c.ContentType != "" && !slices.Contains(fixedTypes, c.ContentType) {
		return validationError("Fixed response content type must be one of: %s", strings.Join(fixedTypes, ", "))
	}
	if len(c.MessageBody) > maxFixedResponseBody {
		return validationError("Fixed response message body must be at most %d characters", maxFixedResponseBody)
	}
	m.StatusCode, m.ContentType, m.MessageBody = c.StatusCode, c.ContentType, c.MessageBody
	return nil
}

func redirectFromWire(a elbv2wire.Action, m *model.Action) error {
	c := a.RedirectConfig
	if c == nil {
		return validationError("A redirect action must have a RedirectConfig")
	}
	if c.Protocol != "" && c.Protocol != "HTTP" && c.Protocol != "HTTPS" && c.Protocol != "#{protocol}" {
		return validationError("Redirect protocol must be HTTP, HTTPS or #{protocol}")
	}
	if c.Port != "" && !redirectPortRE.MatchString(c.Port) {
		return validationError("Redirect port must be between 1 and 65535 or #{port}")
	}
	if c.Port != "" && c.Port != "#{port}" {
		if n, _ := strconv.Atoi(c.Port); n > 65535 {
			return validationError("Redirect port must be between 1 and 65535 or #{port}")
		}
	}
	if c.Path != "" && !strings.HasPrefix(c.Path, "/") {
		return validationError("Redirect path must start with '/'")
	}
	if strings.HasPrefix(c.Query, "?") {
		return validationError("Redirect query must not start with '?'")
	}
	m.RedirectProtocol, m.RedirectHost, m.RedirectPort = c.Protocol, c.Host, c.Port
	m.RedirectPath, m.RedirectQuery, m.RedirectStatus = c.Path, c.Query, string(c.StatusCode)
	return nil
}

func actionsToWire(actions []model.Action) []elbv2wire.Action {
	out := make([]elbv2wire.Action, 0, len(actions))
	for _, a := range actions {
		order := a.Order
		w := elbv2wire.Action{Type: elbv2wire.ActionTypeEnum(a.Type)}
		if order != 0 {
			w.Order = &order
		}
		switch a.Type {
		case "forward":
			fc := &elbv2wire.ForwardActionConfig{}
			for _, t := range a.TargetGroups {
				weight := t.Weight
				fc.TargetGroups = append(fc.TargetGroups, elbv2wire.TargetGroupTuple{TargetGroupArn: t.ARN, Weight: &weight})
			}
			enabled := false
			sc := &elbv2wire.TargetGroupStickinessConfig{Enabled: &enabled}
			if a.Stickiness != nil {
				enabled = a.Stickiness.Enabled
				if a.Stickiness.DurationSeconds != 0 {
					d := a.Stickiness.DurationSeconds
					sc.DurationSeconds = &d
				}
			}
			fc.TargetGroupStickinessConfig = sc
			w.ForwardConfig = fc
			if len(a.TargetGroups) == 1 {
				w.TargetGroupArn = a.TargetGroups[0].ARN
			}
		case "fixed-response":
			w.FixedResponseConfig = &elbv2wire.FixedResponseActionConfig{StatusCode: a.StatusCode, ContentType: a.ContentType, MessageBody: a.MessageBody}
		case "redirect":
			w.RedirectConfig = &elbv2wire.RedirectActionConfig{Protocol: a.RedirectProtocol, Host: a.RedirectHost, Port: a.RedirectPort,
				Path: a.RedirectPath, Query: a.RedirectQuery, StatusCode: elbv2wire.RedirectActionStatusCodeEnum(a.RedirectStatus)}
		}
		out = append(out, w)
	}
	return out
}
