package elbv2

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/elbv2/elbv2wire"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/state"
)

// ALB rule limits.
const (
	maxRulesPerListener = 100
	maxConditionValues  = 5
	maxPatternLength    = 128
)

// Characters ALB accepts in path patterns and host headers (besides
// letters and digits).
const (
	pathPatternChars = "_-.$/~\"'@:+&*?"
	hostHeaderChars  = "-.*?"
)

func charsOK(s, extra string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(extra, r)) {
			return false
		}
	}
	return true
}

// conditionsFromWire checks rule conditions with ALB's limits: at most 5
// values in all, at most one condition of each field except http-header
// and query-string.
func conditionsFromWire(conds []elbv2wire.RuleCondition) ([]model.Condition, error) {
	if len(conds) == 0 {
		return nil, validationError("At least one condition must be specified")
	}
	out := make([]model.Condition, 0, len(conds))
	fields := map[string]bool{}
	total := 0
	for _, c := range conds {
		m := model.Condition{Field: c.Field}
		if c.Field != "http-header" && c.Field != "query-string" {
			if fields[c.Field] {
				return nil, validationError("A rule can contain only one '%s' condition", c.Field)
			}
			fields[c.Field] = true
		}
		values := c.Values
		fromConfig := func(v []string, regex []string) error {
			if len(regex) > 0 {
				return validationError("Regex condition values are not supported by wharf")
			}
			if v != nil && c.Values != nil {
				return validationError("Condition '%s' cannot have both Values and a %s configuration", c.Field, c.Field)
			}
			if v != nil {
				values = v
			}
			return nil
		}
		if len(c.RegexValues) > 0 {
			return nil, validationError("Regex condition values are not supported by wharf")
		}
		var err error
		switch c.Field {
		case "path-pattern":
			if c.PathPatternConfig != nil {
				err = fromConfig(c.PathPatternConfig.Values, c.PathPatternConfig.RegexValues)
			}
			for _, v := range values {
				if len(v) > maxPatternLength || !charsOK(v, pathPatternChars) {
					return nil, validationError("Path pattern '%s' must be at most %d characters of letters, digits and %s", v, maxPatternLength, pathPatternChars)
				}
			}
		case "host-header":
			if c.HostHeaderConfig != nil {
				err = fromConfig(c.HostHeaderConfig.Values, c.HostHeaderConfig.RegexValues)
			}
			for _, v := range values {
				if len(v) > maxPatternLength || !charsOK(v, hostHeaderChars) {
					return nil, validationError("Host header '%s' must be at most %d characters of letters, digits and %s", v, maxPatternLength, hostHeaderChars)
				}
			}
		case "http-header":
			hc := c.HttpHeaderConfig
			if hc == nil || hc.HttpHeaderName == "" {
				return nil, validationError("An http-header condition needs an HttpHeaderConfig with HttpHeaderName")
			}
			if len(hc.HttpHeaderName) > 40 || !charsOK(hc.HttpHeaderName, "-_!#$%&'*+.^`|~") {
				return nil, validationError("HTTP header name '%s' is not valid", hc.HttpHeaderName)
			}
			m.HeaderName = hc.HttpHeaderName
			err = fromConfig(hc.Values, hc.RegexValues)
			for _, v := range values {
				if len(v) > maxPatternLength {
					return nil, validationError("HTTP header values must be at most %d characters", maxPatternLength)
				}
			}
		case "http-request-method":
			if c.HttpRequestMethodConfig != nil {
				err = fromConfig(c.HttpRequestMethodConfig.Values, nil)
			}
			for _, v := range values {
				if v == "" || len(v) > 40 || !charsOK(v, "_-") || strings.ToUpper(v) != v {
					return nil, validationError("HTTP request method '%s' must be up to 40 characters of A-Z, '_' and '-'", v)
				}
			}
		case "source-ip":
			if c.SourceIpConfig != nil {
				err = fromConfig(c.SourceIpConfig.Values, nil)
			}
			for _, v := range values {
				if _, perr := netip.ParsePrefix(v); perr != nil {
					return nil, validationError("Source IP '%s' must be a CIDR block", v)
				}
			}
		case "query-string":
			if c.QueryStringConfig == nil || len(c.QueryStringConfig.Values) == 0 {
				return nil, validationError("A query-string condition needs QueryStringConfig values")
			}
			if c.Values != nil {
				return nil, validationError("A query-string condition cannot have Values")
			}
			for _, kv := range c.QueryStringConfig.Values {
				if kv.Value == "" || len(kv.Value) > maxPatternLength || len(kv.Key) > maxPatternLength {
					return nil, validationError("Query string values are required and at most %d characters", maxPatternLength)
				}
				m.QueryValues = append(m.QueryValues, model.QueryValue{Key: kv.Key, Value: kv.Value})
			}
			total += len(m.QueryValues)
		default:
			return nil, validationError("Condition field '%s' must be one of: path-pattern, host-header, http-header, http-request-method, query-string, source-ip", c.Field)
		}
		if err != nil {
			return nil, err
		}
		if c.Field != "query-string" {
			if len(values) == 0 {
				return nil, validationError("Condition '%s' must have at least one value", c.Field)
			}
			m.Values = slices.Clone(values)
			total += len(values)
		}
		out = append(out, m)
	}
	if total > maxConditionValues {
		return nil, validationError("A rule can have at most %d condition values", maxConditionValues)
	}
	return out, nil
}

func conditionsToWire(conds []model.Condition) []elbv2wire.RuleCondition {
	out := make([]elbv2wire.RuleCondition, 0, len(conds))
	for _, c := range conds {
		w := elbv2wire.RuleCondition{Field: c.Field}
		vals := slices.Clone(c.Values)
		switch c.Field {
		case "path-pattern":
			w.Values = vals
			w.PathPatternConfig = &elbv2wire.PathPatternConditionConfig{Values: vals}
		case "host-header":
			w.Values = vals
			w.HostHeaderConfig = &elbv2wire.HostHeaderConditionConfig{Values: vals}
		case "http-header":
			w.HttpHeaderConfig = &elbv2wire.HttpHeaderConditionConfig{HttpHeaderName: c.HeaderName, Values: vals}
		case "http-request-method":
			w.HttpRequestMethodConfig = &elbv2wire.HttpRequestMethodConditionConfig{Values: vals}
		case "source-ip":
			w.SourceIpConfig = &elbv2wire.SourceIpConditionConfig{Values: vals}
		case "query-string":
			qc := &elbv2wire.QueryStringConditionConfig{}
			for _, q := range c.QueryValues {
				qc.Values = append(qc.Values, elbv2wire.QueryStringKeyValuePair{Key: q.Key, Value: q.Value})
			}
			w.QueryStringConfig = qc
		}
		out = append(out, w)
	}
	return out
}

func ruleToWire(r *model.Rule) elbv2wire.Rule {
	no := false
	return elbv2wire.Rule{RuleArn: r.ARN, Priority: strconv.Itoa(int(r.Priority)), IsDefault: &no,
		Conditions: conditionsToWire(r.Conditions), Actions: actionsToWire(r.Actions)}
}

// defaultRuleARN is the ARN of a listener's default rule: the listener's
// own path with a rule id derived from it.
func (h *Handler) defaultRuleARN(l *model.Listener) string {
	sum := sha256.Sum256([]byte(l.ARN))
	return strings.Replace(l.ARN, ":listener/", ":listener-rule/", 1) + "/" + hex.EncodeToString(sum[:8])
}

// defaultRuleListener returns the listener whose default rule ref is.
func (h *Handler) defaultRuleListener(ref string) (*model.Listener, bool) {
	r, ok := h.st.ParseELBARN(ref)
	if !ok || r.Kind != "listener-rule" {
		return nil, false
	}
	lref := strings.Replace(strings.TrimSuffix(ref, "/"+r.RuleID), ":listener-rule/", ":listener/", 1)
	l, ok := h.st.ListenerByARN(lref)
	if !ok || h.defaultRuleARN(l) != ref {
		return nil, false
	}
	return l, true
}

func (h *Handler) defaultRuleToWire(l *model.Listener) elbv2wire.Rule {
	yes := true
	return elbv2wire.Rule{RuleArn: h.defaultRuleARN(l), Priority: "default", IsDefault: &yes,
		Conditions: []elbv2wire.RuleCondition{}, Actions: actionsToWire(l.DefaultActions)}
}

func priorityInUse(p int32) error {
	return api.Errorf(elbv2wire.ErrPriorityInUseException, "Priority '%d' is currently in use", p)
}

// CreateRule adds a rule to a listener.
func (h *Handler) CreateRule(ctx context.Context, in *elbv2wire.CreateRuleInput) (*elbv2wire.CreateRuleOutput, error) {
	l, ok := h.st.ListenerByARN(in.ListenerArn)
	if !ok {
		return nil, listenerNotFound()
	}
	if in.Priority == nil {
		return nil, validationError("A rule priority must be specified")
	}
	if len(in.Transforms) > 0 {
		return nil, validationError("Rule transforms are not supported by wharf")
	}
	conds, err := conditionsFromWire(in.Conditions)
	if err != nil {
		return nil, err
	}
	actions, err := h.actionsFromWire(in.Actions, l.LoadBalancerARN)
	if err != nil {
		return nil, err
	}
	tags, err := tagsFromWire(in.Tags)
	if err != nil {
		return nil, err
	}
	rule := model.Rule{ARN: h.st.RuleARN(l), ListenerARN: l.ARN, Priority: *in.Priority, Conditions: conds, Actions: actions, Tags: tags}
	created, err := h.st.CreateRule(ctx, rule, func(siblings []*model.Rule) error {
		if len(siblings) >= maxRulesPerListener {
			return api.Errorf(elbv2wire.ErrTooManyRulesException, "You've reached the limit on the number of rules per listener (%d)", maxRulesPerListener)
		}
		for _, o := range siblings {
			if o.Priority == rule.Priority {
				return priorityInUse(rule.Priority)
			}
		}
		return nil
	})
	if errors.Is(err, state.ErrNotFound) {
		return nil, listenerNotFound()
	}
	if err != nil {
		return nil, mapStateError(err)
	}
	return &elbv2wire.CreateRuleOutput{Rules: []elbv2wire.Rule{ruleToWire(created)}}, nil
}

// checkPriorities refuses two rules of one listener with one priority.
func checkPriorities(byListener map[string][]*model.Rule) error {
	for _, rules := range byListener {
		seen := map[int32]bool{}
		for _, r := range rules {
			if seen[r.Priority] {
				return priorityInUse(r.Priority)
			}
			seen[r.Priority] = true
		}
	}
	return nil
}

// ModifyRule replaces the conditions and/or actions of a rule. For a
// default rule only the actions change (the listener's default actions).
func (h *Handler) ModifyRule(ctx context.Context, in *elbv2wire.ModifyRuleInput) (*elbv2wire.ModifyRuleOutput, error) {
	if len(in.Transforms) > 0 {
		return nil, validationError("Rule transforms are not supported by wharf")
	}
	if l, ok := h.defaultRuleListener(in.RuleArn); ok {
		if in.Conditions != nil {
			return nil, api.Errorf(elbv2wire.ErrOperationNotPermittedException, "The conditions of a default rule cannot be modified")
		}
		if in.Actions != nil {
			actions, err := h.actionsFromWire(in.Actions, l.LoadBalancerARN)
			if err != nil {
				return nil, err
			}
			l, err = h.st.UpdateListener(ctx, l.ARN, func(x *model.Listener, _ []*model.Listener) error { x.DefaultActions = actions; return nil })
			if err != nil {
				return nil, mapStateError(err)
			}
		}
		return &elbv2wire.ModifyRuleOutput{Rules: []elbv2wire.Rule{h.defaultRuleToWire(l)}}, nil
	}
	cur, ok := h.st.RuleByARN(in.RuleArn)
	if !ok {
		return nil, ruleNotFound()
	}
	var conds []model.Condition
	var actions []model.Action
	var err error
	if in.Conditions != nil {
		if conds, err = conditionsFromWire(in.Conditions); err != nil {
			return nil, err
		}
	}
	if in.Actions != nil {
		l, _ := h.st.ListenerByARN(cur.ListenerARN)
		lbARN := ""
		if l != nil {
			lbARN = l.LoadBalancerARN
		}
		if actions, err = h.actionsFromWire(in.Actions, lbARN); err != nil {
			return nil, err
		}
	}
	rules, err := h.st.UpdateRules(ctx, []string{in.RuleArn}, func(m map[string]*model.Rule) error {
		if conds != nil {
			m[in.RuleArn].Conditions = conds
		}
		if actions != nil {
			m[in.RuleArn].Actions = actions
		}
		return nil
	}, func(map[string][]*model.Rule) error { return nil })
	if errors.Is(err, state.ErrNotFound) {
		return nil, ruleNotFound()
	}
	if err != nil {
		return nil, mapStateError(err)
	}
	return &elbv2wire.ModifyRuleOutput{Rules: []elbv2wire.Rule{ruleToWire(rules[0])}}, nil
}

// DeleteRule deletes a rule; default rules cannot be deleted.
func (h *Handler) DeleteRule(ctx context.Context, in *elbv2wire.DeleteRuleInput) (*elbv2wire.DeleteRuleOutput, error) {
	if _, ok := h.defaultRuleListener(in.RuleArn); ok {
		return nil, api.Errorf(elbv2wire.ErrOperationNotPermittedException, "Default rule '%s' cannot be deleted", in.RuleArn)
	}
	if err := h.st.DeleteRule(ctx, in.RuleArn); err != nil {
		if errors.Is(err, state.ErrNotFound) {
			return nil, ruleNotFound()
		}
		return nil, mapStateError(err)
	}
	return &elbv2wire.DeleteRuleOutput{}, nil
}

// DescribeRules describes the rules of a listener (by priority, the
// default rule last) or rules by ARN.
func (h *Handler) DescribeRules(_ context.Context, in *elbv2wire.DescribeRulesInput) (*elbv2wire.DescribeRulesOutput, error) {
	byKey := map[string]elbv2wire.Rule{}
	add := func(prio int, arn string, w elbv2wire.Rule) { byKey[fmt.Sprintf("%05d/%s", prio, arn)] = w }
	switch {
	case in.ListenerArn != "" && len(in.RuleArns) > 0:
		return nil, validationError("Rule ARNs and a listener ARN cannot be specified at the same time")
	case len(in.RuleArns) > 0:
		for _, ref := range in.RuleArns {
			if l, ok := h.defaultRuleListener(ref); ok {
				add(99999, ref, h.defaultRuleToWire(l))
				continue
			}
			r, ok := h.st.RuleByARN(ref)
			if !ok {
				return nil, ruleNotFound()
			}
			add(int(r.Priority), r.ARN, ruleToWire(r))
		}
	case in.ListenerArn != "":
		l, ok := h.st.ListenerByARN(in.ListenerArn)
		if !ok {
			return nil, listenerNotFound()
		}
		r, _ := h.st.ParseELBARN(l.ARN)
		for _, rule := range h.st.Rules(r.ListenerID) {
			add(int(rule.Priority), rule.ARN, ruleToWire(rule))
		}
		add(99999, h.defaultRuleARN(l), h.defaultRuleToWire(l))
	default:
		return nil, validationError("You must specify either listener ARN or rule ARNs")
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	page, next, err := paginate("rule", keys, in.PageSize, in.Marker)
	if err != nil {
		return nil, err
	}
	out := &elbv2wire.DescribeRulesOutput{Rules: []elbv2wire.Rule{}, NextMarker: next}
	for _, k := range page {
		out.Rules = append(out.Rules, byKey[k])
	}
	return out, nil
}

// SetRulePriorities changes the priorities of rules atomically.
func (h *Handler) SetRulePriorities(ctx context.Context, in *elbv2wire.SetRulePrioritiesInput) (*elbv2wire.SetRulePrioritiesOutput, error) {
	prios := map[string]int32{}
	var refs []string
	for _, p := range in.RulePriorities {
		if _, ok := h.defaultRuleListener(p.RuleArn); ok {
			return nil, api.Errorf(elbv2wire.ErrOperationNotPermittedException, "The priority of default rule '%s' cannot be changed", p.RuleArn)
		}
		if p.Priority == nil {
			return nil, validationError("A priority must be specified for rule '%s'", p.RuleArn)
		}
		if _, dup := prios[p.RuleArn]; dup {
			return nil, validationError("Rule '%s' is specified more than once", p.RuleArn)
		}
		if _, ok := h.st.RuleByARN(p.RuleArn); !ok {
			return nil, ruleNotFound()
		}
		prios[p.RuleArn] = *p.Priority
		refs = append(refs, p.RuleArn)
	}
	rules, err := h.st.UpdateRules(ctx, refs, func(m map[string]*model.Rule) error {
		for ref, p := range prios {
			m[ref].Priority = p
		}
		return nil
	}, checkPriorities)
	if errors.Is(err, state.ErrNotFound) {
		return nil, ruleNotFound()
	}
	if err != nil {
		return nil, mapStateError(err)
	}
	out := &elbv2wire.SetRulePrioritiesOutput{Rules: []elbv2wire.Rule{}}
	for _, r := range rules {
		out.Rules = append(out.Rules, ruleToWire(r))
	}
	return out, nil
}
