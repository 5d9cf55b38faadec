package elbv2_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"

	"github.com/wharfhq/wharf/internal/model"
)

func createTG(t *testing.T, c *elb.Client, name string, tt types.TargetTypeEnum) types.TargetGroup {
	t.Helper()
	out := must[*elb.CreateTargetGroupOutput](t)(c.CreateTargetGroup(context.Background(), &elb.CreateTargetGroupInput{
		Name: aws.String(name), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(8080), TargetType: tt, VpcId: aws.String("vpc-1"),
	}))
	return out.TargetGroups[0]
}

func TestTargetGroupLifecycle(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t)
	tg := createTG(t, c, "api", types.TargetTypeEnumIp)
	if aws.ToString(tg.HealthCheckPath) != "/" || aws.ToString(tg.HealthCheckPort) != "traffic-port" || tg.HealthCheckProtocol != types.ProtocolEnumHttp ||
		aws.ToInt32(tg.HealthCheckIntervalSeconds) != 30 || aws.ToInt32(tg.HealthCheckTimeoutSeconds) != 5 ||
		aws.ToInt32(tg.HealthyThresholdCount) != 5 || aws.ToInt32(tg.UnhealthyThresholdCount) != 2 ||
		aws.ToString(tg.Matcher.HttpCode) != "200" || !aws.ToBool(tg.HealthCheckEnabled) || aws.ToInt32(tg.Port) != 8080 ||
		!strings.Contains(aws.ToString(tg.TargetGroupArn), ":targetgroup/api/") || len(tg.LoadBalancerArns) != 0 {
		t.Fatalf("defaults: %+v", tg)
	}
	// Same settings: same group; different: DuplicateTargetGroupName.
	if again := createTG(t, c, "api", types.TargetTypeEnumIp); aws.ToString(again.TargetGroupArn) != aws.ToString(tg.TargetGroupArn) {
		t.Fatalf("idempotent create: %+v", again)
	}
	_, err := c.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("api"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(81)})
	wantErr[*types.DuplicateTargetGroupNameException](t, err)

	bad := []elb.CreateTargetGroupInput{
		{Name: aws.String("x"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80), HealthCheckIntervalSeconds: aws.Int32(4)},
		{Name: aws.String("x"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80), HealthCheckIntervalSeconds: aws.Int32(301)},
		{Name: aws.String("x"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80), HealthCheckTimeoutSeconds: aws.Int32(30)},
		{Name: aws.String("x"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80), HealthCheckTimeoutSeconds: aws.Int32(1)},
		{Name: aws.String("x"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80), HealthyThresholdCount: aws.Int32(11)},
		{Name: aws.String("x"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80), UnhealthyThresholdCount: aws.Int32(1)},
		{Name: aws.String("x"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80), HealthCheckPath: aws.String("health")},
		{Name: aws.String("x"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80), Matcher: &types.Matcher{HttpCode: aws.String("600")}},
		{Name: aws.String("x"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80), TargetType: types.TargetTypeEnumLambda},
		{Name: aws.String("x"), Protocol: types.ProtocolEnumTcp, Port: aws.Int32(80)},
		{Name: aws.String("x"), Protocol: types.ProtocolEnumHttp},
		{Name: aws.String("x"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(70000)},
		{Name: aws.String("bad_name"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80)},
	}
	for i, in := range bad {
		_, err := c.CreateTargetGroup(ctx, &in)
		if e := wantErr[smithy.APIError](t, err); e.ErrorCode() != "ValidationError" {
			t.Fatalf("bad[%d]: %v", i, err)
		}
	}

	// Modify the health check.
	m := must[*elb.ModifyTargetGroupOutput](t)(c.ModifyTargetGroup(ctx, &elb.ModifyTargetGroupInput{TargetGroupArn: tg.TargetGroupArn,
		HealthCheckPath: aws.String("/healthz"), HealthCheckIntervalSeconds: aws.Int32(10), Matcher: &types.Matcher{HttpCode: aws.String("200-299")}}))
	if aws.ToString(m.TargetGroups[0].HealthCheckPath) != "/healthz" || aws.ToInt32(m.TargetGroups[0].HealthCheckIntervalSeconds) != 10 ||
		aws.ToString(m.TargetGroups[0].Matcher.HttpCode) != "200-299" {
		t.Fatalf("modified: %+v", m.TargetGroups[0])
	}
	_, err = c.ModifyTargetGroup(ctx, &elb.ModifyTargetGroupInput{TargetGroupArn: tg.TargetGroupArn, HealthCheckTimeoutSeconds: aws.Int32(10)})
	if e := wantErr[smithy.APIError](t, err); e.ErrorCode() != "ValidationError" || !strings.Contains(e.ErrorMessage(), "interval") {
		t.Fatalf("timeout >= interval: %v", err)
	}
	missing := strings.Replace(aws.ToString(tg.TargetGroupArn), "/api/", "/nope/", 1)
	_, err = c.ModifyTargetGroup(ctx, &elb.ModifyTargetGroupInput{TargetGroupArn: aws.String(missing)})
	wantErr[*types.TargetGroupNotFoundException](t, err)

	// Attributes: defaults, bounds, changes.
	attrs := must[*elb.DescribeTargetGroupAttributesOutput](t)(c.DescribeTargetGroupAttributes(ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: tg.TargetGroupArn}))
	for k, v := range map[string]string{"deregistration_delay.timeout_seconds": "300", "slow_start.duration_seconds": "0",
		"load_balancing.algorithm.type": "round_robin", "stickiness.enabled": "false", "stickiness.type": "lb_cookie",
		"stickiness.lb_cookie.duration_seconds": "86400"} {
		if got := attrValue(attrs.Attributes, k); got != v {
			t.Fatalf("%s = %s, want %s", k, got, v)
		}
	}
	set := func(k, v string) error {
		_, err := c.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: tg.TargetGroupArn,
			Attributes: []types.TargetGroupAttribute{{Key: aws.String(k), Value: aws.String(v)}}})
		return err
	}
	for _, ok := range [][2]string{{"deregistration_delay.timeout_seconds", "0"}, {"deregistration_delay.timeout_seconds", "3600"},
		{"slow_start.duration_seconds", "0"}, {"slow_start.duration_seconds", "30"}, {"load_balancing.algorithm.type", "least_outstanding_requests"},
		{"stickiness.enabled", "true"}, {"stickiness.lb_cookie.duration_seconds", "604800"}} {
		if err := set(ok[0], ok[1]); err != nil {
			t.Fatalf("%v: %v", ok, err)
		}
	}
	for _, bad := range [][2]string{{"deregistration_delay.timeout_seconds", "3601"}, {"slow_start.duration_seconds", "29"},
		{"slow_start.duration_seconds", "901"}, {"load_balancing.algorithm.type", "random"}, {"stickiness.type", "app_cookie"},
		{"stickiness.lb_cookie.duration_seconds", "0"}, {"what", "1"}} {
		if e := wantErr[smithy.APIError](t, set(bad[0], bad[1])); e.ErrorCode() != "ValidationError" {
			t.Fatalf("%v accepted: %v", bad, e)
		}
	}
	attrs = must[*elb.DescribeTargetGroupAttributesOutput](t)(c.DescribeTargetGroupAttributes(ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: tg.TargetGroupArn}))
	if attrValue(attrs.Attributes, "deregistration_delay.timeout_seconds") != "3600" || attrValue(attrs.Attributes, "stickiness.enabled") != "true" {
		t.Fatalf("attributes after modify: %+v", attrs.Attributes)
	}
	_, err = c.DescribeTargetGroupAttributes(ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(missing)})
	wantErr[*types.TargetGroupNotFoundException](t, err)

	// Describe and paginate.
	createTG(t, c, "b", types.TargetTypeEnumInstance)
	createTG(t, c, "c", types.TargetTypeEnumInstance)
	var names []string
	p := elb.NewDescribeTargetGroupsPaginator(c, &elb.DescribeTargetGroupsInput{PageSize: aws.Int32(1)})
	for p.HasMorePages() {
		for _, g := range must[*elb.DescribeTargetGroupsOutput](t)(p.NextPage(ctx)).TargetGroups {
			names = append(names, aws.ToString(g.TargetGroupName))
		}
	}
	if strings.Join(names, ",") != "api,b,c" {
		t.Fatalf("paginated: %v", names)
	}
	_, err = c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: []string{"nope"}})
	wantErr[*types.TargetGroupNotFoundException](t, err)

	// Delete (twice).
	must[*elb.DeleteTargetGroupOutput](t)(c.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: tg.TargetGroupArn}))
	must[*elb.DeleteTargetGroupOutput](t)(c.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: tg.TargetGroupArn}))
	_, err = c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{aws.ToString(tg.TargetGroupArn)}})
	wantErr[*types.TargetGroupNotFoundException](t, err)
}

func TestTargetsAndHealth(t *testing.T) {
	ctx := context.Background()
	c, srv := newClient(t)
	st := srv.State()
	ipTG := createTG(t, c, "ips", types.TargetTypeEnumIp)
	instTG := createTG(t, c, "instances", types.TargetTypeEnumInstance)

	// Instance targets resolve through container instances of any cluster.
	must[*model.Cluster](t)(st.CreateCluster(ctx, model.Cluster{Name: "prod"}))
	must[*model.ContainerInstance](t)(st.RegisterInstance(ctx, "prod", model.ContainerInstance{ID: "ci1", EC2InstanceID: "i-0abc",
		Status: model.InstanceActive, Attributes: []model.Attribute{{Name: "wharf.host-address", Value: "10.1.2.3"}}}))
	must[*model.ContainerInstance](t)(st.RegisterInstance(ctx, "prod", model.ContainerInstance{ID: "ci2", EC2InstanceID: "i-0def", Status: model.InstanceActive}))
	must[*elb.RegisterTargetsOutput](t)(c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: instTG.TargetGroupArn,
		Targets: []types.TargetDescription{{Id: aws.String("i-0abc"), Port: aws.Int32(32768)}, {Id: aws.String("i-0def")}}}))
	targets := st.Targets(mustTG(t, st, aws.ToString(instTG.TargetGroupArn)))
	if len(targets) != 2 || targets[0].Address != "10.1.2.3:32768" || targets[1].Address != "127.0.0.1:8080" {
		t.Fatalf("instance targets: %+v %+v", targets[0], targets[1])
	}
	_, err := c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: instTG.TargetGroupArn, Targets: []types.TargetDescription{{Id: aws.String("i-nope")}}})
	wantErr[*types.InvalidTargetException](t, err)
	_, err = c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: ipTG.TargetGroupArn, Targets: []types.TargetDescription{{Id: aws.String("not-an-ip")}}})
	wantErr[*types.InvalidTargetException](t, err)
	_, err = c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(strings.Replace(aws.ToString(ipTG.TargetGroupArn), "/ips/", "/x/", 1)),
		Targets: []types.TargetDescription{{Id: aws.String("10.0.0.1")}}})
	wantErr[*types.TargetGroupNotFoundException](t, err)

	// ip targets; not behind a listener they are unused.
	must[*elb.RegisterTargetsOutput](t)(c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: ipTG.TargetGroupArn,
		Targets: []types.TargetDescription{{Id: aws.String("10.0.0.1"), Port: aws.Int32(80)}, {Id: aws.String("10.0.0.2"), Port: aws.Int32(80)}}}))
	health := func() map[string]types.TargetHealth {
		out := must[*elb.DescribeTargetHealthOutput](t)(c.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: ipTG.TargetGroupArn}))
		m := map[string]types.TargetHealth{}
		for _, d := range out.TargetHealthDescriptions {
			m[aws.ToString(d.Target.Id)] = *d.TargetHealth
		}
		return m
	}
	if h := health(); len(h) != 2 || h["10.0.0.1"].State != types.TargetHealthStateEnumUnused || h["10.0.0.1"].Reason != types.TargetHealthReasonEnumNotInUse {
		t.Fatalf("unused: %+v", h)
	}
	lb := must[*elb.CreateLoadBalancerOutput](t)(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("lb")})).LoadBalancers[0]
	must[*elb.CreateListenerOutput](t)(c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn,
		Protocol: types.ProtocolEnumHttp, Port: aws.Int32(freePort(t)),
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: ipTG.TargetGroupArn}}}))
	if h := health(); h["10.0.0.1"].State != types.TargetHealthStateEnumInitial || h["10.0.0.1"].Reason != types.TargetHealthReasonEnumRegistrationInProgress {
		t.Fatalf("initial: %+v", h)
	}
	// TooManyTargets.
	many := make([]types.TargetDescription, 1000)
	for i := range many {
		many[i] = types.TargetDescription{Id: aws.String("10.9." + itoa(i/250) + "." + itoa(i%250)), Port: aws.Int32(1)}
	}
	_, err = c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: ipTG.TargetGroupArn, Targets: many})
	wantErr[*types.TooManyTargetsException](t, err)

	// Deregister: draining until the data plane reports it drained.
	must[*elb.DeregisterTargetsOutput](t)(c.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: ipTG.TargetGroupArn,
		Targets: []types.TargetDescription{{Id: aws.String("10.0.0.2"), Port: aws.Int32(80)}}}))
	if h := health(); h["10.0.0.2"].State != types.TargetHealthStateEnumDraining || h["10.0.0.2"].Reason != types.TargetHealthReasonEnumDeregistrationInProgress {
		t.Fatalf("draining: %+v", h)
	}
	_, err = c.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: ipTG.TargetGroupArn, Targets: []types.TargetDescription{{Id: aws.String("10.0.0.9")}}})
	wantErr[*types.InvalidTargetException](t, err)
	// Asking for an unregistered target.
	one := must[*elb.DescribeTargetHealthOutput](t)(c.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: ipTG.TargetGroupArn,
		Targets: []types.TargetDescription{{Id: aws.String("10.0.0.7"), Port: aws.Int32(80)}}}))
	if len(one.TargetHealthDescriptions) != 1 || one.TargetHealthDescriptions[0].TargetHealth.Reason != types.TargetHealthReasonEnumNotRegistered {
		t.Fatalf("unregistered: %+v", one.TargetHealthDescriptions)
	}
	_, err = c.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(strings.Replace(aws.ToString(ipTG.TargetGroupArn), "/ips/", "/x/", 1))})
	wantErr[*types.TargetGroupNotFoundException](t, err)
}

func mustTG(t *testing.T, st interface {
	TargetGroupByARN(string) (*model.TargetGroup, bool)
}, arn string) *model.TargetGroup {
	t.Helper()
	tg, ok := st.TargetGroupByARN(arn)
	if !ok {
		t.Fatalf("target group %s not in state", arn)
	}
	return tg
}

func itoa(i int) string { return strconv.Itoa(i) }
