package lbsvc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/wharfhq/wharf/internal/lbapi"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/server"
	"github.com/wharfhq/wharf/internal/testutil/wharftest"
)

func do(t *testing.T, srv *server.Server, method, path string, body any, out any) int {
	t.Helper()
	var buf bytes.Buffer
	if body != nil {
		_ = json.NewEncoder(&buf).Encode(body)
	}
	req, _ := http.NewRequest(method, srv.URL()+path, &buf)
	req.Header.Set("Authorization", "Bearer "+srv.AgentToken())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode == 200 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

func freePort(t *testing.T) int32 {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return int32(l.Addr().(*net.TCPAddr).Port)
}

func TestConfigLongPollAndHealth(t *testing.T) {
	ctx := context.Background()
	srv := wharftest.Start(t)
	c := wharftest.ELBv2(srv.URL())

	// Authentication.
	req, _ := http.NewRequest(http.MethodGet, srv.URL()+lbapi.PathPrefix+"config", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no token: %v %v", resp, err)
	}

	var cfg lbapi.Config
	if status := do(t, srv, "GET", lbapi.PathPrefix+"config", nil, &cfg); status != 200 || len(cfg.LoadBalancers) != 0 {
		t.Fatalf("empty config: %d %+v", status, cfg)
	}
	// A long poll returns as soon as the configuration changes.
	type result struct {
		cfg lbapi.Config
		at  time.Time
	}
	done := make(chan result, 1)
	go func() {
		var got lbapi.Config
		do(t, srv, "GET", lbapi.PathPrefix+"config?after="+strconv.FormatInt(cfg.Revision, 10)+"&wait=30", nil, &got)
		done <- result{got, time.Now()}
	}()
	time.Sleep(100 * time.Millisecond)
	lb := must[*elb.CreateLoadBalancerOutput](t)(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("lb")})).LoadBalancers[0]
	var polled result
	select {
	case polled = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("long poll did not return after a change")
	}
	if polled.cfg.Revision <= cfg.Revision || len(polled.cfg.LoadBalancers) != 1 || polled.cfg.LoadBalancers[0].IPAddress != "127.0.0.1" {
		t.Fatalf("polled config: %+v", polled.cfg)
	}
	// Without a change it waits until the deadline.
	start := time.Now()
	do(t, srv, "GET", lbapi.PathPrefix+"config?after="+strconv.FormatInt(polled.cfg.Revision, 10)+"&wait=1", nil, &cfg)
	if time.Since(start) < 900*time.Millisecond {
		t.Fatalf("long poll without change returned after %v", time.Since(start))
	}

	tg := must[*elb.CreateTargetGroupOutput](t)(c.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("tg"), Protocol: types.ProtocolEnumHttp,
		Port: aws.Int32(80), TargetType: types.TargetTypeEnumIp})).TargetGroups[0]
	must[*elb.CreateListenerOutput](t)(c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn, Port: aws.Int32(freePort(t)),
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: tg.TargetGroupArn}}}))
	must[*elb.RegisterTargetsOutput](t)(c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []types.TargetDescription{
		{Id: aws.String("10.0.0.1")}, {Id: aws.String("10.0.0.2")}, {Id: aws.String("10.0.0.3")}}}))
	must[*elb.DeregisterTargetsOutput](t)(c.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []types.TargetDescription{{Id: aws.String("10.0.0.3")}}}))

	do(t, srv, "GET", lbapi.PathPrefix+"config", nil, &cfg)
	if len(cfg.Listeners) != 1 || len(cfg.TargetGroups) != 1 || len(cfg.TargetGroups[0].Targets) != 3 ||
		cfg.TargetGroups[0].Targets[0].Address != "10.0.0.1:80" || cfg.TargetGroups[0].Targets[2].DeregisteredAt.IsZero() ||
		cfg.TargetGroups[0].Attributes["deregistration_delay.timeout_seconds"] != "300" {
		t.Fatalf("config: %+v", cfg)
	}

	health := func() map[string]types.TargetHealth {
		out := must[*elb.DescribeTargetHealthOutput](t)(c.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn}))
		m := map[string]types.TargetHealth{}
		for _, d := range out.TargetHealthDescriptions {
			m[aws.ToString(d.Target.Id)] = *d.TargetHealth
		}
		return m
	}
	if h := health(); h["10.0.0.1"].State != types.TargetHealthStateEnumInitial || h["10.0.0.3"].State != types.TargetHealthStateEnumDraining {
		t.Fatalf("before report: %+v", h)
	}
	report := lbapi.HealthReport{Targets: map[string]map[string]model.TargetHealth{aws.ToString(tg.TargetGroupArn): {
		lbapi.TargetKey("10.0.0.1", 80): {State: model.TargetHealthy},
		lbapi.TargetKey("10.0.0.2", 80): {State: model.TargetUnhealthy, Reason: "Target.ResponseCodeMismatch", Description: "Health checks failed with these codes: [500]"},
		lbapi.TargetKey("10.0.0.3", 80): {State: model.TargetDraining, Reason: "Target.DeregistrationInProgress"},
		lbapi.TargetKey("10.9.9.9", 80): {State: model.TargetHealthy},
	}}}
	if status := do(t, srv, "PUT", lbapi.PathPrefix+"health", report, nil); status != http.StatusNoContent {
		t.Fatalf("health report: %d", status)
	}
	h := health()
	if h["10.0.0.1"].State != types.TargetHealthStateEnumHealthy || h["10.0.0.2"].State != types.TargetHealthStateEnumUnhealthy ||
		h["10.0.0.2"].Reason != types.TargetHealthReasonEnumResponseCodeMismatch || h["10.0.0.3"].State != types.TargetHealthStateEnumDraining || len(h) != 3 {
		t.Fatalf("after report: %+v", h)
	}
	// Drained: the target leaves the group (and the configuration).
	report.Targets[aws.ToString(tg.TargetGroupArn)][lbapi.TargetKey("10.0.0.3", 80)] = model.TargetHealth{State: model.TargetDraining, Drained: true}
	if status := do(t, srv, "PUT", lbapi.PathPrefix+"health", report, nil); status != http.StatusNoContent {
		t.Fatalf("health report: %d", status)
	}
	if h := health(); len(h) != 2 {
		t.Fatalf("drained target still described: %+v", h)
	}
	do(t, srv, "GET", lbapi.PathPrefix+"config", nil, &cfg)
	if len(cfg.TargetGroups[0].Targets) != 2 {
		t.Fatalf("drained target still in config: %+v", cfg.TargetGroups[0].Targets)
	}
	if status := do(t, srv, "PUT", lbapi.PathPrefix+"health", "not a report", nil); status != http.StatusBadRequest {
		t.Fatalf("bad report: %d", status)
	}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}
