package e2e

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestELBv2AWSCLI drives the ELBv2 query API with the AWS CLI v2: a load
// balancer, an ip target group, a listener, a path rule, two targets and
// their health.
func TestELBv2AWSCLI(t *testing.T) {
	awsBin := awsCLI(t)
	p := startServer(t, t.TempDir())
	run := func(args ...string) map[string]any {
		t.Helper()
		cmd := exec.Command(awsBin, append([]string{"--endpoint-url", p.url, "--output", "json", "elbv2"}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws elbv2 %s: %v\n%s\nserver log:\n%s", strings.Join(args, " "), err, out, p.logs.String())
		}
		var v map[string]any
		if len(strings.TrimSpace(string(out))) > 0 {
			if err := json.Unmarshal(out, &v); err != nil {
				t.Fatalf("aws elbv2 %s: output is not JSON: %s", args[0], out)
			}
		}
		return v
	}
	first := func(v map[string]any, list, field string) string {
		t.Helper()
		items, _ := v[list].([]any)
		if len(items) == 0 {
			t.Fatalf("no %s in %v", list, v)
		}
		s, _ := items[0].(map[string]any)[field].(string)
		return s
	}

	lb := run("create-load-balancer", "--name", "cli-lb", "--subnets", "subnet-1", "subnet-2", "--tags", "Key=team,Value=a")
	lbARN := first(lb, "LoadBalancers", "LoadBalancerArn")
	if dns := first(lb, "LoadBalancers", "DNSName"); !strings.HasSuffix(dns, ".us-east-1.elb.localhost") {
		t.Fatalf("DNS name %q", dns)
	}
	tg := run("create-target-group", "--name", "cli-tg", "--protocol", "HTTP", "--port", "8080", "--target-type", "ip",
		"--vpc-id", "vpc-1", "--health-check-path", "/healthz", "--health-check-interval-seconds", "10")
	tgARN := first(tg, "TargetGroups", "TargetGroupArn")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	listener := run("create-listener", "--load-balancer-arn", lbARN, "--protocol", "HTTP", "--port", strconv.Itoa(port),
		"--default-actions", "Type=fixed-response,FixedResponseConfig={StatusCode=404,ContentType=text/plain,MessageBody=none}")
	listenerARN := first(listener, "Listeners", "ListenerArn")
	rule := run("create-rule", "--listener-arn", listenerARN, "--priority", "10",
		"--conditions", "Field=path-pattern,Values=/api/*", "--actions", "Type=forward,TargetGroupArn="+tgARN)
	if prio := first(rule, "Rules", "Priority"); prio != "10" {
		t.Fatalf("rule priority %q", prio)
	}
	run("register-targets", "--target-group-arn", tgARN, "--targets", "Id=127.0.0.1,Port=9001", "Id=127.0.0.1,Port=9002")
	health := run("describe-target-health", "--target-group-arn", tgARN)
	descs, _ := health["TargetHealthDescriptions"].([]any)
	if len(descs) != 2 {
		t.Fatalf("target health: %v", health)
	}
	for _, d := range descs {
		th := d.(map[string]any)["TargetHealth"].(map[string]any)
		// Registered, then being health-checked by the data plane: both
		// are ALB's "initial" state.
		if th["State"] != "initial" || (th["Reason"] != "Elb.RegistrationInProgress" && th["Reason"] != "Elb.InitialHealthChecking") {
			t.Fatalf("target health: %v", d)
		}
	}
	rules := run("describe-rules", "--listener-arn", listenerARN)
	if items, _ := rules["Rules"].([]any); len(items) != 2 {
		t.Fatalf("rules: %v", rules)
	}
	tgs := run("describe-target-groups", "--load-balancer-arn", lbARN)
	if first(tgs, "TargetGroups", "TargetGroupName") != "cli-tg" {
		t.Fatalf("target groups: %v", tgs)
	}
}
