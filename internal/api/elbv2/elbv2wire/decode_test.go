package elbv2wire

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/api/awsquery"
)

func decode(t *testing.T, form string, v interface {
	DecodeQuery(*awsquery.Node) error
	Validate() error
}) error {
	t.Helper()
	n, err := awsquery.ParseForm(form)
	if err != nil {
		return err
	}
	if err := v.DecodeQuery(n); err != nil {
		return err
	}
	return v.Validate()
}

func TestDecodeRegisterTargets(t *testing.T) {
	var in RegisterTargetsInput
	form := "Action=RegisterTargets&Version=2015-12-01&TargetGroupArn=arn%3Atg&Targets.member.1.Id=i-1&Targets.member.1.Port=8080" +
		"&Targets.member.2.Id=10.0.0.1"
	if err := decode(t, form, &in); err != nil {
		t.Fatal(err)
	}
	if in.TargetGroupArn != "arn:tg" || len(in.Targets) != 2 || in.Targets[0].Id != "i-1" || *in.Targets[0].Port != 8080 ||
		in.Targets[1].Id != "10.0.0.1" || in.Targets[1].Port != nil {
		t.Fatalf("decoded %+v", in)
	}
}

func TestDecodeNested(t *testing.T) {
	var in CreateRuleInput
	form := "ListenerArn=l&Priority=10&Conditions.member.1.Field=path-pattern&Conditions.member.1.PathPatternConfig.Values.member.1=%2Fapi%2F*" +
		"&Actions.member.1.Type=forward&Actions.member.1.ForwardConfig.TargetGroups.member.1.TargetGroupArn=a" +
		"&Actions.member.1.ForwardConfig.TargetGroups.member.1.Weight=3&Actions.member.1.ForwardConfig.TargetGroupStickinessConfig.Enabled=true"
	if err := decode(t, form, &in); err != nil {
		t.Fatal(err)
	}
	a := in.Actions[0]
	if *in.Priority != 10 || in.Conditions[0].PathPatternConfig.Values[0] != "/api/*" || a.Type != ActionTypeEnumForward ||
		*a.ForwardConfig.TargetGroups[0].Weight != 3 || !*a.ForwardConfig.TargetGroupStickinessConfig.Enabled ||
		in.Tags != nil {
		t.Fatalf("decoded %+v", in)
	}
	var names DescribeLoadBalancersInput
	if err := decode(t, "Names=", &names); err != nil || names.Names == nil || len(names.Names) != 0 {
		t.Fatalf("empty list: %v %#v", err, names.Names)
	}
}

func TestDecodeRejects(t *testing.T) {
	tests := []struct{ form, field string }{
		{"Targets.member.0.Id=x&TargetGroupArn=a", "Targets.member.0"},
		{"Targets.member.2.Id=x&TargetGroupArn=a", "Targets.member.2"},
		{"Targets.member.01.Id=x&TargetGroupArn=a", "Targets.member.01"},
		{"Targets.member.1.Port=abc&Targets.member.1.Id=x&TargetGroupArn=a", "Targets.member.1.Port"},
		{"Targets.member.1.Port=99999&Targets.member.1.Id=x&TargetGroupArn=a", "Targets.member.1.Port"},
		{"Targets.member.1.Port=80&TargetGroupArn=a", "Targets.member.1.Id"},
		{"Targets.foo=1&TargetGroupArn=a", "Targets.foo"},
		{"Targets=x&TargetGroupArn=a", "Targets"},
		{"Targets.member=x&TargetGroupArn=a", "Targets.member"},
		{"TargetGroupArn.x=1", "TargetGroupArn"},
		{"TargetGroupArn=a&TargetGroupArn=b", "TargetGroupArn"},
		{"TargetGroupArn=%zz", "TargetGroupArn"},
		{"Targets.member.1.Id=x", "TargetGroupArn"},
	}
	for _, tt := range tests {
		var in RegisterTargetsInput
		err := decode(t, tt.form, &in)
		var ve *awsquery.ValidationError
		if !errors.As(err, &ve) || ve.Field != tt.field {
			t.Fatalf("%s: error %v, want a ValidationError for %s", tt.form, err, tt.field)
		}
	}
	var attrs ModifyTargetGroupAttributesInput
	if err := decode(t, "TargetGroupArn=a&Attributes.member.1.Key=x&Attributes.member.1.Value.y=1", &attrs); err == nil ||
		!strings.Contains(err.Error(), "Attributes.member.1.Value") {
		t.Fatalf("nested value: %v", err)
	}
	var lb CreateLoadBalancerInput
	if err := decode(t, "Name=a&Type=nope", &lb); err == nil || !strings.Contains(err.Error(), "Type") {
		t.Fatalf("bad enum: %v", err)
	}
}

func TestEncodeXML(t *testing.T) {
	ts := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	out := DescribeLoadBalancersOutput{LoadBalancers: []LoadBalancer{{
		LoadBalancerName: "a<b", CreatedTime: &ts, Scheme: LoadBalancerSchemeEnumInternal,
		State: &LoadBalancerState{Code: LoadBalancerStateEnumActive}, SecurityGroups: []string{},
	}}, NextMarker: "m"}
	var w awsquery.XMLWriter
	w.Open("R")
	out.EncodeXML(&w)
	w.Close("R")
	want := "<R><LoadBalancers><member><CreatedTime>2024-05-01T12:00:00.000Z</CreatedTime><LoadBalancerName>a&lt;b</LoadBalancerName>" +
		"<Scheme>internal</Scheme><SecurityGroups></SecurityGroups><State><Code>active</Code></State></member></LoadBalancers><NextMarker>m</NextMarker></R>"
	if got := string(w.Bytes()); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	var parsed struct {
		Names []string `xml:"LoadBalancers>member>LoadBalancerName"`
	}
	if err := xml.Unmarshal(w.Bytes(), &parsed); err != nil || parsed.Names[0] != "a<b" {
		t.Fatalf("round trip: %v %v", parsed, err)
	}
}
