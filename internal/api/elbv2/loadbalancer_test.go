package elbv2_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"
)

func TestLoadBalancerLifecycle(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t)
	out := must[*elb.CreateLoadBalancerOutput](t)(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{
		Name: aws.String("web-lb"), Subnets: []string{"subnet-a", "subnet-b"},
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}},
	}))
	lb := out.LoadBalancers[0]
	if !regexp.MustCompile(`^arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web-lb/[0-9a-f]{16}$`).MatchString(aws.ToString(lb.LoadBalancerArn)) {
		t.Fatalf("arn = %s", aws.ToString(lb.LoadBalancerArn))
	}
	if !regexp.MustCompile(`^web-lb-\d{10}\.us-east-1\.elb\.localhost$`).MatchString(aws.ToString(lb.DNSName)) ||
		lb.State.Code != types.LoadBalancerStateEnumActive || lb.Type != types.LoadBalancerTypeEnumApplication ||
		lb.Scheme != types.LoadBalancerSchemeEnumInternetFacing || lb.CreatedTime == nil || len(lb.AvailabilityZones) != 2 ||
		aws.ToString(lb.AvailabilityZones[0].LoadBalancerAddresses[0].IpAddress) != "127.0.0.1" {
		t.Fatalf("created = %+v", lb)
	}
	// Idempotent with the same settings, refused with others.
	again := must[*elb.CreateLoadBalancerOutput](t)(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("web-lb")}))
	if aws.ToString(again.LoadBalancers[0].LoadBalancerArn) != aws.ToString(lb.LoadBalancerArn) {
		t.Fatalf("idempotent create returned %+v", again.LoadBalancers[0])
	}
	_, err := c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("web-lb"), Scheme: types.LoadBalancerSchemeEnumInternal})
	wantErr[*types.DuplicateLoadBalancerNameException](t, err)

	for _, bad := range []string{"-x", "x-", "internal-x", strings.Repeat("a", 33), "a_b", ""} {
		_, err := c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String(bad)})
		if e := wantErr[smithy.APIError](t, err); e.ErrorCode() != "ValidationError" {
			t.Fatalf("name %q: %v", bad, err)
		}
	}
	_, err = c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("n"), Type: types.LoadBalancerTypeEnumNetwork})
	if e := wantErr[smithy.APIError](t, err); e.ErrorCode() != "ValidationError" {
		t.Fatalf("network: %v", err)
	}

	// Describe by name, by ARN, unknown, and paginated.
	for i := range 3 {
		must[*elb.CreateLoadBalancerOutput](t)(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("page-" + string(rune('a'+i)))}))
	}
	d := must[*elb.DescribeLoadBalancersOutput](t)(c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{"web-lb"}}))
	if len(d.LoadBalancers) != 1 || aws.ToString(d.LoadBalancers[0].DNSName) != aws.ToString(lb.DNSName) {
		t.Fatalf("describe = %+v", d)
	}
	_, err = c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{"nope"}})
	wantErr[*types.LoadBalancerNotFoundException](t, err)
	_, err = c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{strings.Replace(aws.ToString(lb.LoadBalancerArn), "web-lb", "xx", 1)}})
	wantErr[*types.LoadBalancerNotFoundException](t, err)
	var names []string
	p := elb.NewDescribeLoadBalancersPaginator(c, &elb.DescribeLoadBalancersInput{PageSize: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		page := must[*elb.DescribeLoadBalancersOutput](t)(p.NextPage(ctx))
		pages++
		for _, l := range page.LoadBalancers {
			names = append(names, aws.ToString(l.LoadBalancerName))
		}
	}
	if pages != 2 || strings.Join(names, ",") != "page-a,page-b,page-c,web-lb" {
		t.Fatalf("paginated %d pages: %v", pages, names)
	}
	_, err = c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{PageSize: aws.Int32(401)})
	if e := wantErr[smithy.APIError](t, err); e.ErrorCode() != "ValidationError" {
		t.Fatalf("page size: %v", err)
	}
	_, err = c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Marker: aws.String("garbage")})
	wantErr[smithy.APIError](t, err)

	// Attributes.
	attrs := must[*elb.DescribeLoadBalancerAttributesOutput](t)(c.DescribeLoadBalancerAttributes(ctx, &elb.DescribeLoadBalancerAttributesInput{LoadBalancerArn: lb.LoadBalancerArn}))
	if attrValue(attrs.Attributes, "idle_timeout.timeout_seconds") != "60" {
		t.Fatalf("attributes = %+v", attrs.Attributes)
	}
	mod := must[*elb.ModifyLoadBalancerAttributesOutput](t)(c.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{
		LoadBalancerArn: lb.LoadBalancerArn, Attributes: []types.LoadBalancerAttribute{
			{Key: aws.String("idle_timeout.timeout_seconds"), Value: aws.String("120")},
			{Key: aws.String("deletion_protection.enabled"), Value: aws.String("true")},
		}}))
	if attrValue(mod.Attributes, "idle_timeout.timeout_seconds") != "120" {
		t.Fatalf("modified = %+v", mod.Attributes)
	}
	for _, bad := range [][2]string{{"idle_timeout.timeout_seconds", "0"}, {"idle_timeout.timeout_seconds", "4001"}, {"nope", "1"}, {"routing.http2.enabled", "yes"}} {
		_, err := c.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: lb.LoadBalancerArn,
			Attributes: []types.LoadBalancerAttribute{{Key: aws.String(bad[0]), Value: aws.String(bad[1])}}})
		if e := wantErr[smithy.APIError](t, err); e.ErrorCode() != "ValidationError" || !strings.Contains(e.ErrorMessage(), bad[0]) {
			t.Fatalf("%v: %v", bad, err)
		}
	}
	_, err = c.DescribeLoadBalancerAttributes(ctx, &elb.DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String("arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/x/0123456789abcdef")})
	wantErr[*types.LoadBalancerNotFoundException](t, err)

	// Deletion protection, then delete (twice: the second is a no-op).
	_, err = c.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: lb.LoadBalancerArn})
	wantErr[*types.OperationNotPermittedException](t, err)
	must[*elb.ModifyLoadBalancerAttributesOutput](t)(c.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{
		LoadBalancerArn: lb.LoadBalancerArn, Attributes: []types.LoadBalancerAttribute{{Key: aws.String("deletion_protection.enabled"), Value: aws.String("false")}}}))
	must[*elb.DeleteLoadBalancerOutput](t)(c.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: lb.LoadBalancerArn}))
	must[*elb.DeleteLoadBalancerOutput](t)(c.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: lb.LoadBalancerArn}))
	_, err = c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{aws.ToString(lb.LoadBalancerArn)}})
	wantErr[*types.LoadBalancerNotFoundException](t, err)
}

func attrValue[T interface {
	types.LoadBalancerAttribute | types.TargetGroupAttribute
}](attrs []T, key string) string {
	for _, a := range attrs {
		switch a := any(a).(type) {
		case types.LoadBalancerAttribute:
			if aws.ToString(a.Key) == key {
				return aws.ToString(a.Value)
			}
		case types.TargetGroupAttribute:
			if aws.ToString(a.Key) == key {
				return aws.ToString(a.Value)
			}
		}
	}
	return "<missing>"
}
