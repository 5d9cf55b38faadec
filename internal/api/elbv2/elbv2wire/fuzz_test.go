package elbv2wire

import (
	"errors"
	"testing"

	"github.com/wharfhq/wharf/internal/api/awsquery"
)

type request interface {
	DecodeQuery(*awsquery.Node) error
	Validate() error
}

// FuzzDecodeForm checks that parsing and decoding any form body into the
// request shapes never panics and fails only with a *ValidationError that
// names the parameter. Seeds live in testdata/fuzz/FuzzDecodeForm.
func FuzzDecodeForm(f *testing.F) {
	f.Add("Action=RegisterTargets&Version=2015-12-01&TargetGroupArn=a&Targets.member.1.Id=i-1&Targets.member.1.Port=80")
	f.Add("Action=CreateRule&ListenerArn=l&Priority=1&Conditions.member.1.Field=path-pattern&Conditions.member.1.Values.member.1=%2Fa" +
		"&Actions.member.1.Type=forward&Actions.member.1.ForwardConfig.TargetGroups.member.1.TargetGroupArn=t")
	f.Add("Action=ModifyLoadBalancerAttributes&LoadBalancerArn=a&Attributes.member.1.Key=idle_timeout.timeout_seconds&Attributes.member.1.Value=60")
	f.Add("Action=CreateTargetGroup&Name=tg&Port=80&Protocol=HTTP&HealthCheckIntervalSeconds=10&Matcher.HttpCode=200&Tags=")
	f.Fuzz(func(t *testing.T, body string) {
		n, err := awsquery.ParseForm(body)
		if err != nil {
			var ve *awsquery.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("ParseForm(%q): %T %v", body, err, err)
			}
			return
		}
		for _, v := range []request{
			&RegisterTargetsInput{}, &CreateRuleInput{}, &CreateListenerInput{}, &CreateTargetGroupInput{},
			&ModifyLoadBalancerAttributesInput{}, &CreateLoadBalancerInput{}, &SetRulePrioritiesInput{}, &AddTagsInput{},
		} {
			err := v.DecodeQuery(n)
			if err == nil {
				err = v.Validate()
			}
			if err == nil {
				continue
			}
			var ve *awsquery.ValidationError
			if !errors.As(err, &ve) || ve.Field == "" {
				t.Fatalf("%T from %q: %T %v, want a ValidationError naming the parameter", v, body, err, err)
			}
			_ = ve.Error()
		}
	})
}
