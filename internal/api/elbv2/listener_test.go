package elbv2_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"
)

func forward(tg types.TargetGroup) []types.Action {
	return []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: tg.TargetGroupArn}}
}

func TestListenersAndRules(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t)
	lb := must[*elb.CreateLoadBalancerOutput](t)(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("lb")})).LoadBalancers[0]
	tgA := createTG(t, c, "a", types.TargetTypeEnumIp)
	tgB := createTG(t, c, "b", types.TargetTypeEnumIp)
	port := freePort(t)

	l := must[*elb.CreateListenerOutput](t)(c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn,
		Protocol: types.ProtocolEnumHttp, Port: aws.Int32(port), DefaultActions: forward(tgA)})).Listeners[0]
	if aws.ToInt32(l.Port) != port || l.Protocol != types.ProtocolEnumHttp || aws.ToString(l.DefaultActions[0].TargetGroupArn) != aws.ToString(tgA.TargetGroupArn) ||
		!strings.Contains(aws.ToString(l.ListenerArn), ":listener/app/lb/") {
		t.Fatalf("listener = %+v", l)
	}
	// Same settings again: the same listener; another action on the port: DuplicateListener.
	again := must[*elb.CreateListenerOutput](t)(c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn,
		Protocol: types.ProtocolEnumHttp, Port: aws.Int32(port), DefaultActions: forward(tgA)})).Listeners[0]
	if aws.ToString(again.ListenerArn) != aws.ToString(l.ListenerArn) {
		t.Fatalf("idempotent listener: %+v", again)
	}
	_, err := c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn, Port: aws.Int32(port), DefaultActions: forward(tgB)})
	wantErr[*types.DuplicateListenerException](t, err)
	// A port bound by someone else is refused.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := int32(busy.Addr().(*net.TCPAddr).Port)
	_, err = c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn, Port: aws.Int32(busyPort), DefaultActions: forward(tgB)})
	wantErr[*types.InvalidConfigurationRequestException](t, err)
	// Another load balancer on the same address cannot take the port.
	lb2 := must[*elb.CreateLoadBalancerOutput](t)(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("lb2")})).LoadBalancers[0]
	_, err = c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb2.LoadBalancerArn, Port: aws.Int32(port), DefaultActions: forward(tgB)})
	wantErr[*types.InvalidConfigurationRequestException](t, err)
	// tgA belongs to lb now.
	_, err = c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb2.LoadBalancerArn, Port: aws.Int32(freePort(t)), DefaultActions: forward(tgA)})
	wantErr[*types.TargetGroupAssociationLimitException](t, err)
	_, err = c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn, Port: aws.Int32(freePort(t)), Protocol: types.ProtocolEnumHttps, DefaultActions: forward(tgB)})
	wantErr[*types.UnsupportedProtocolException](t, err)
	_, err = c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(strings.Replace(aws.ToString(lb.LoadBalancerArn), "/lb/", "/zz/", 1)), Port: aws.Int32(81), DefaultActions: forward(tgB)})
	wantErr[*types.LoadBalancerNotFoundException](t, err)
	_, err = c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn, Port: aws.Int32(freePort(t)),
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(strings.Replace(aws.ToString(tgB.TargetGroupArn), "/b/", "/q/", 1))}}})
	wantErr[*types.TargetGroupNotFoundException](t, err)

	// Action validation.
	badActions := [][]types.Action{
		{{Type: types.ActionTypeEnumFixedResponse, FixedResponseConfig: &types.FixedResponseActionConfig{StatusCode: aws.String("302")}}},
		{{Type: types.ActionTypeEnumFixedResponse, FixedResponseConfig: &types.FixedResponseActionConfig{StatusCode: aws.String("200"), ContentType: aws.String("image/png")}}},
		{{Type: types.ActionTypeEnumRedirect, RedirectConfig: &types.RedirectActionConfig{StatusCode: types.RedirectActionStatusCodeEnumHttp301, Path: aws.String("nope")}}},
		{{Type: types.ActionTypeEnumForward, ForwardConfig: &types.ForwardActionConfig{TargetGroups: []types.TargetGroupTuple{{TargetGroupArn: tgB.TargetGroupArn, Weight: aws.Int32(1000)}}}}},
		{{Type: types.ActionTypeEnumForward, ForwardConfig: &types.ForwardActionConfig{TargetGroups: []types.TargetGroupTuple{{TargetGroupArn: tgB.TargetGroupArn}, {TargetGroupArn: tgB.TargetGroupArn}}}}},
		{{Type: types.ActionTypeEnumForward}},
	}
	for i, a := range badActions {
		_, err := c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn, Port: aws.Int32(freePort(t)), DefaultActions: a})
		if e := wantErr[smithy.APIError](t, err); e.ErrorCode() != "ValidationError" {
			t.Fatalf("bad action %d: %v", i, err)
		}
	}
	sixTGs := make([]types.TargetGroupTuple, 6)
	for i := range sixTGs {
		sixTGs[i] = types.TargetGroupTuple{TargetGroupArn: createTG(t, c, "w"+strconv.Itoa(i), types.TargetTypeEnumIp).TargetGroupArn}
	}
	_, err = c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn, Port: aws.Int32(freePort(t)),
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward, ForwardConfig: &types.ForwardActionConfig{TargetGroups: sixTGs}}}})
	wantErr[*types.TooManyTargetGroupsException](t, err)

	// Weighted forward, fixed response and redirect listeners.
	weighted := must[*elb.CreateListenerOutput](t)(c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn, Port: aws.Int32(freePort(t)),
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward, ForwardConfig: &types.ForwardActionConfig{
			TargetGroups:                []types.TargetGroupTuple{{TargetGroupArn: tgA.TargetGroupArn, Weight: aws.Int32(90)}, {TargetGroupArn: tgB.TargetGroupArn, Weight: aws.Int32(10)}},
			TargetGroupStickinessConfig: &types.TargetGroupStickinessConfig{Enabled: aws.Bool(true), DurationSeconds: aws.Int32(60)}}}}})).Listeners[0]
	fc := weighted.DefaultActions[0].ForwardConfig
	if len(fc.TargetGroups) != 2 || aws.ToInt32(fc.TargetGroups[1].Weight) != 10 || !aws.ToBool(fc.TargetGroupStickinessConfig.Enabled) {
		t.Fatalf("weighted = %+v", fc)
	}
	fixed := must[*elb.CreateListenerOutput](t)(c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn, Port: aws.Int32(freePort(t)),
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumFixedResponse, FixedResponseConfig: &types.FixedResponseActionConfig{
			StatusCode: aws.String("404"), ContentType: aws.String("text/plain"), MessageBody: aws.String("nothing <here>")}}}})).Listeners[0]
	if aws.ToString(fixed.DefaultActions[0].FixedResponseConfig.MessageBody) != "nothing <here>" {
		t.Fatalf("fixed = %+v", fixed.DefaultActions[0])
	}

	// Modify: port and actions.
	newPort := freePort(t)
	mod := must[*elb.ModifyListenerOutput](t)(c.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: fixed.ListenerArn, Port: aws.Int32(newPort),
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumRedirect, RedirectConfig: &types.RedirectActionConfig{
			StatusCode: types.RedirectActionStatusCodeEnumHttp302, Host: aws.String("example.com"), Path: aws.String("/#{path}")}}}})).Listeners[0]
	if aws.ToInt32(mod.Port) != newPort || mod.DefaultActions[0].RedirectConfig.StatusCode != types.RedirectActionStatusCodeEnumHttp302 {
		t.Fatalf("modified = %+v", mod)
	}
	_, err = c.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: fixed.ListenerArn, Port: aws.Int32(port)})
	wantErr[*types.DuplicateListenerException](t, err)
	gone := strings.TrimSuffix(aws.ToString(l.ListenerArn), "0") + "1"
	if gone == aws.ToString(l.ListenerArn) {
		gone = strings.TrimSuffix(gone, "1") + "2"
	}
	_, err = c.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: aws.String(gone), Port: aws.Int32(1)})
	wantErr[*types.ListenerNotFoundException](t, err)

	// Describe, paginated by port.
	var ports []int32
	p := elb.NewDescribeListenersPaginator(c, &elb.DescribeListenersInput{LoadBalancerArn: lb.LoadBalancerArn, PageSize: aws.Int32(2)})
	for p.HasMorePages() {
		for _, x := range must[*elb.DescribeListenersOutput](t)(p.NextPage(ctx)).Listeners {
			ports = append(ports, aws.ToInt32(x.Port))
		}
	}
	if len(ports) != 3 || ports[0] > ports[1] || ports[1] > ports[2] {
		t.Fatalf("listener ports: %v", ports)
	}
	_, err = c.DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: []string{gone}})
	wantErr[*types.ListenerNotFoundException](t, err)

	// Target groups report the load balancer; an in-use one cannot be deleted.
	tgs := must[*elb.DescribeTargetGroupsOutput](t)(c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{LoadBalancerArn: lb.LoadBalancerArn}))
	if len(tgs.TargetGroups) != 2 || tgs.TargetGroups[0].LoadBalancerArns[0] != aws.ToString(lb.LoadBalancerArn) {
		t.Fatalf("target groups of lb: %+v", tgs.TargetGroups)
	}
	_, err = c.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: tgB.TargetGroupArn})
	wantErr[*types.ResourceInUseException](t, err)

	// Rules.
	rule := must[*elb.CreateRuleOutput](t)(c.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: l.ListenerArn, Priority: aws.Int32(10),
		Conditions: []types.RuleCondition{{Field: aws.String("path-pattern"), PathPatternConfig: &types.PathPatternConditionConfig{Values: []string{"/api/*"}}}},
		Actions:    forward(tgB)})).Rules[0]
	if aws.ToString(rule.Priority) != "10" || aws.ToBool(rule.IsDefault) || rule.Conditions[0].PathPatternConfig.Values[0] != "/api/*" {
		t.Fatalf("rule = %+v", rule)
	}
	_, err = c.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: l.ListenerArn, Priority: aws.Int32(10),
		Conditions: []types.RuleCondition{{Field: aws.String("host-header"), Values: []string{"a.example.com"}}}, Actions: forward(tgB)})
	wantErr[*types.PriorityInUseException](t, err)
	_, err = c.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: aws.String(gone), Priority: aws.Int32(11),
		Conditions: []types.RuleCondition{{Field: aws.String("host-header"), Values: []string{"a"}}}, Actions: forward(tgB)})
	wantErr[*types.ListenerNotFoundException](t, err)
	badConds := [][]types.RuleCondition{
		{{Field: aws.String("path-pattern"), Values: []string{"/" + strings.Repeat("a", 128)}}},
		{{Field: aws.String("path-pattern"), Values: []string{"/a b"}}},
		{{Field: aws.String("path-pattern"), Values: []string{"/a", "/b", "/c"}}, {Field: aws.String("host-header"), Values: []string{"a", "b", "c"}}},
		{{Field: aws.String("path-pattern"), Values: []string{"/a"}}, {Field: aws.String("path-pattern"), Values: []string{"/b"}}},
		{{Field: aws.String("source-ip"), SourceIpConfig: &types.SourceIpConditionConfig{Values: []string{"not-a-cidr"}}}},
		{{Field: aws.String("http-request-method"), HttpRequestMethodConfig: &types.HttpRequestMethodConditionConfig{Values: []string{"get"}}}},
		{{Field: aws.String("cookie"), Values: []string{"x"}}},
		{},
	}
	for i, conds := range badConds {
		_, err := c.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: l.ListenerArn, Priority: aws.Int32(int32(100 + i)), Conditions: conds, Actions: forward(tgB)})
		if e := wantErr[smithy.APIError](t, err); e.ErrorCode() != "ValidationError" {
			t.Fatalf("bad conditions %d: %v", i, err)
		}
	}
	r2 := must[*elb.CreateRuleOutput](t)(c.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: l.ListenerArn, Priority: aws.Int32(20),
		Conditions: []types.RuleCondition{
			{Field: aws.String("http-header"), HttpHeaderConfig: &types.HttpHeaderConditionConfig{HttpHeaderName: aws.String("X-Canary"), Values: []string{"yes"}}},
			{Field: aws.String("query-string"), QueryStringConfig: &types.QueryStringConditionConfig{Values: []types.QueryStringKeyValuePair{{Key: aws.String("v"), Value: aws.String("2")}}}},
			{Field: aws.String("http-request-method"), HttpRequestMethodConfig: &types.HttpRequestMethodConditionConfig{Values: []string{"GET"}}},
			{Field: aws.String("source-ip"), SourceIpConfig: &types.SourceIpConditionConfig{Values: []string{"127.0.0.0/8"}}},
		},
		Actions: []types.Action{{Type: types.ActionTypeEnumFixedResponse, FixedResponseConfig: &types.FixedResponseActionConfig{StatusCode: aws.String("200")}}}})).Rules[0]

	// Describe rules: by priority, default last; paginated.
	var prios []string
	var defaultARN string
	rp := elb.NewDescribeRulesPaginator(c, &elb.DescribeRulesInput{ListenerArn: l.ListenerArn, PageSize: aws.Int32(2)})
	for rp.HasMorePages() {
		for _, r := range must[*elb.DescribeRulesOutput](t)(rp.NextPage(ctx)).Rules {
			prios = append(prios, aws.ToString(r.Priority))
			if aws.ToBool(r.IsDefault) {
				defaultARN = aws.ToString(r.RuleArn)
			}
		}
	}
	if strings.Join(prios, ",") != "10,20,default" || defaultARN == "" {
		t.Fatalf("rules: %v", prios)
	}
	_, err = c.DeleteRule(ctx, &elb.DeleteRuleInput{RuleArn: aws.String(defaultARN)})
	wantErr[*types.OperationNotPermittedException](t, err)

	// Modify, reprioritise (swap atomically), delete.
	mr := must[*elb.ModifyRuleOutput](t)(c.ModifyRule(ctx, &elb.ModifyRuleInput{RuleArn: rule.RuleArn,
		Conditions: []types.RuleCondition{{Field: aws.String("path-pattern"), Values: []string{"/v2/*"}}}})).Rules[0]
	if mr.Conditions[0].Values[0] != "/v2/*" || aws.ToString(mr.Actions[0].TargetGroupArn) != aws.ToString(tgB.TargetGroupArn) {
		t.Fatalf("modified rule = %+v", mr)
	}
	swapped := must[*elb.SetRulePrioritiesOutput](t)(c.SetRulePriorities(ctx, &elb.SetRulePrioritiesInput{RulePriorities: []types.RulePriorityPair{
		{RuleArn: rule.RuleArn, Priority: aws.Int32(20)}, {RuleArn: r2.RuleArn, Priority: aws.Int32(10)}}}))
	if len(swapped.Rules) != 2 || aws.ToString(swapped.Rules[0].Priority) != "20" {
		t.Fatalf("swapped = %+v", swapped.Rules)
	}
	_, err = c.SetRulePriorities(ctx, &elb.SetRulePrioritiesInput{RulePriorities: []types.RulePriorityPair{{RuleArn: rule.RuleArn, Priority: aws.Int32(10)}}})
	wantErr[*types.PriorityInUseException](t, err)
	_, err = c.SetRulePriorities(ctx, &elb.SetRulePrioritiesInput{RulePriorities: []types.RulePriorityPair{{RuleArn: aws.String(defaultARN), Priority: aws.Int32(5)}}})
	wantErr[*types.OperationNotPermittedException](t, err)
	must[*elb.DeleteRuleOutput](t)(c.DeleteRule(ctx, &elb.DeleteRuleInput{RuleArn: rule.RuleArn}))
	_, err = c.DeleteRule(ctx, &elb.DeleteRuleInput{RuleArn: rule.RuleArn})
	wantErr[*types.RuleNotFoundException](t, err)
	_, err = c.ModifyRule(ctx, &elb.ModifyRuleInput{RuleArn: rule.RuleArn})
	wantErr[*types.RuleNotFoundException](t, err)
	_, err = c.DescribeRules(ctx, &elb.DescribeRulesInput{RuleArns: []string{aws.ToString(rule.RuleArn)}})
	wantErr[*types.RuleNotFoundException](t, err)

	// Tags on every kind of resource.
	for _, arn := range []string{aws.ToString(lb.LoadBalancerArn), aws.ToString(tgA.TargetGroupArn), aws.ToString(l.ListenerArn), aws.ToString(r2.RuleArn)} {
		must[*elb.AddTagsOutput](t)(c.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{arn},
			Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("test")}, {Key: aws.String("x"), Value: aws.String("1")}}}))
		must[*elb.RemoveTagsOutput](t)(c.RemoveTags(ctx, &elb.RemoveTagsInput{ResourceArns: []string{arn}, TagKeys: []string{"x"}}))
		d := must[*elb.DescribeTagsOutput](t)(c.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: []string{arn}}))
		if len(d.TagDescriptions) != 1 || len(d.TagDescriptions[0].Tags) != 1 || aws.ToString(d.TagDescriptions[0].Tags[0].Key) != "env" {
			t.Fatalf("tags of %s: %+v", arn, d.TagDescriptions)
		}
	}
	_, err = c.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{aws.ToString(lb.LoadBalancerArn)},
		Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("1")}, {Key: aws.String("k"), Value: aws.String("2")}}})
	wantErr[*types.DuplicateTagKeysException](t, err)
	tooMany := make([]types.Tag, 50)
	for i := range tooMany {
		tooMany[i] = types.Tag{Key: aws.String("t" + strconv.Itoa(i)), Value: aws.String("v")}
	}
	_, err = c.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{aws.ToString(lb.LoadBalancerArn)}, Tags: tooMany})
	wantErr[*types.TooManyTagsException](t, err)
	_, err = c.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: []string{gone}})
	wantErr[*types.ListenerNotFoundException](t, err)
	_, err = c.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: []string{strings.Replace(aws.ToString(lb.LoadBalancerArn), "/lb/", "/zz/", 1)}})
	wantErr[*types.LoadBalancerNotFoundException](t, err)

	// Deleting a listener removes its rules; deleting the load balancer its listeners.
	must[*elb.DeleteListenerOutput](t)(c.DeleteListener(ctx, &elb.DeleteListenerInput{ListenerArn: l.ListenerArn}))
	_, err = c.DescribeRules(ctx, &elb.DescribeRulesInput{RuleArns: []string{aws.ToString(r2.RuleArn)}})
	wantErr[*types.RuleNotFoundException](t, err)
	_, err = c.DeleteListener(ctx, &elb.DeleteListenerInput{ListenerArn: l.ListenerArn})
	wantErr[*types.ListenerNotFoundException](t, err)
	must[*elb.DeleteLoadBalancerOutput](t)(c.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: lb.LoadBalancerArn}))
	_, err = c.DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: []string{aws.ToString(weighted.ListenerArn)}})
	wantErr[*types.ListenerNotFoundException](t, err)
	must[*elb.DeleteTargetGroupOutput](t)(c.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: tgB.TargetGroupArn}))
}
