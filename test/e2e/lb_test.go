package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/moby/moby/client"

	"github.com/wharfhq/wharf/internal/testutil/dockertest"
	"github.com/wharfhq/wharf/internal/testutil/wharftest"
)

// traffic is a constant stream of requests through a listener.
type traffic struct {
	ok, failed, connErrs atomic.Int64
	mu                   sync.Mutex
	lastErrors           []string
	versions             sync.Map // body version seen → true
	stop                 chan struct{}
	wg                   sync.WaitGroup
}

func startTraffic(url string, workers int) *traffic {
	tr := &traffic{stop: make(chan struct{})}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	for range workers {
		tr.wg.Add(1)
		go func() {
			defer tr.wg.Done()
			for {
				select {
				case <-tr.stop:
					return
				default:
				}
				resp, err := client.Get(url)
				if err != nil {
					tr.connErrs.Add(1)
					tr.note(err.Error())
					time.Sleep(10 * time.Millisecond)
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					tr.failed.Add(1)
					tr.note(fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(body))))
					continue
				}
				tr.ok.Add(1)
				if f := strings.Fields(string(body)); len(f) > 0 {
					tr.versions.Store(f[len(f)-1], true)
				}
			}
		}()
	}
	return tr
}

func (tr *traffic) note(s string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.lastErrors) < 10 {
		tr.lastErrors = append(tr.lastErrors, s)
	}
}

// phase returns the counters since the previous call and resets them.
func (tr *traffic) phase() (ok, failed, connErrs int64, errs []string) {
	tr.mu.Lock()
	errs, tr.lastErrors = tr.lastErrors, nil
	tr.mu.Unlock()
	return tr.ok.Swap(0), tr.failed.Swap(0), tr.connErrs.Swap(0), errs
}

func (tr *traffic) finish() { close(tr.stop); tr.wg.Wait() }

// TestZeroDowntime: requests flow constantly through a wharf listener to a
// service of 4 tasks during a rolling deployment, a scale-in, a container
// killed behind wharf's back, a rule change and a kill -9 of the server.
func TestZeroDowntime(t *testing.T) {
	e := newDockerEnv(t)
	ctx := ctxTimeout(t, 5*time.Minute)
	lbc := wharftest.ELBv2(e.p.url)
	lbPort := freePort(t)

	lbOut, err := lbc.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("zd"), Subnets: []string{"subnet-a", "subnet-b"}})
	if err != nil {
		t.Fatal(err)
	}
	tgOut, err := lbc.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("zd"), Protocol: elbtypes.ProtocolEnumHttp,
		Port: aws.Int32(8080), VpcId: aws.String("vpc-local"), TargetType: elbtypes.TargetTypeEnumInstance,
		HealthCheckPath: aws.String("/health"), HealthCheckIntervalSeconds: aws.Int32(5), HealthCheckTimeoutSeconds: aws.Int32(2),
		HealthyThresholdCount: aws.Int32(2), UnhealthyThresholdCount: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	tgARN := tgOut.TargetGroups[0].TargetGroupArn
	if _, err := lbc.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: tgARN,
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("3")}}}); err != nil {
		t.Fatal(err)
	}
	listener, err := lbc.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lbOut.LoadBalancers[0].LoadBalancerArn,
		Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(int32(lbPort)),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tgARN}}})
	if err != nil {
		t.Fatal(err)
	}

	e.register(e.healthChecked("zd", "v1", nil))
	e.createService(&ecs.CreateServiceInput{ServiceName: aws.String("zd"), TaskDefinition: aws.String("zd"), DesiredCount: aws.Int32(4),
		LoadBalancers: []types.LoadBalancer{{TargetGroupArn: tgARN, ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080)}}})
	e.waitService("zd", "steady behind the load balancer", 2*time.Minute, isSteady)

	url := fmt.Sprintf("http://127.0.0.1:%d/", lbPort)
	body := httpGet(t, url)
	if !strings.Contains(body, "v1") {
		t.Fatalf("GET through the listener = %q", body)
	}
	tr := startTraffic(url, 8)
	defer tr.finish()
	time.Sleep(time.Second)
	check := func(name string, mustBeZero bool) {
		t.Helper()
		ok, failed, connErrs, errs := tr.phase()
		t.Logf("%s: %d ok, %d failed, %d connection errors %v", name, ok, failed, connErrs, errs)
		if ok == 0 {
			t.Fatalf("%s: no request succeeded", name)
		}
		if mustBeZero && failed+connErrs > 0 {
			lbLog, _ := os.ReadFile(filepath.Join(e.dir, "lb", "lb.log"))
			t.Fatalf("%s: %d failed requests and %d connection errors, want 0: %v\nlb log:\n%s\nserver log:\n%s",
				name, failed, connErrs, errs, tail(string(lbLog), 40), tail(e.p.logs.String(), 20))
		}
	}
	check("baseline", true)

	// (a) a rolling deployment to a new revision.
	e.register(e.healthChecked("zd", "v2", nil))
	if _, err := e.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(e.cluster), Service: aws.String("zd"), TaskDefinition: aws.String("zd:2")}); err != nil {
		t.Fatal(err)
	}
	e.waitService("zd", "rolled out", 3*time.Minute, func(s types.Service) bool {
		return isSteady(s) && strings.HasSuffix(aws.ToString(s.TaskDefinition), "zd:2")
	})
	time.Sleep(time.Second)
	check("(a) rolling deployment", true)
	if body := httpGet(t, url); !strings.Contains(body, "v2") {
		t.Fatalf("after the rollout GET = %q", body)
	}

	// (b) scale-in from 4 to 2.
	if _, err := e.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(e.cluster), Service: aws.String("zd"), DesiredCount: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	e.waitService("zd", "scaled in", 2*time.Minute, func(s types.Service) bool {
		live, _, err := e.countTasks("zd")
		return err == nil && isSteady(s) && s.RunningCount == 2 && live == 2
	})
	check("(b) scale-in", true)

	// (c) a container killed behind wharf's back, replaced by the service.
	victim := e.serviceTasks("zd")[0]
	dc := dockertest.RequireDocker(t)
	if _, err := dc.ContainerKill(ctx, aws.ToString(victim.Containers[0].RuntimeId), client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		t.Fatal(err)
	}
	e.waitStatus(aws.ToString(victim.TaskArn), "STOPPED")
	e.waitService("zd", "healed", 2*time.Minute, func(s types.Service) bool { return isSteady(s) && s.RunningCount == 2 })
	// Idempotent requests that found the dead container (Docker's port
	// proxy accepts, then resets) are retried on the other task.
	check("(c) container killed", true)

	// (d) a listener rule change.
	if _, err := lbc.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: listener.Listeners[0].ListenerArn, Priority: aws.Int32(10),
		Conditions: []elbtypes.RuleCondition{{Field: aws.String("path-pattern"), Values: []string{"/*"}}},
		Actions:    []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tgARN}}}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	check("(d) rule change", true)

	// (e) kill -9 of the server while traffic flows, then its restart.
	port := e.p.url[strings.LastIndexByte(e.p.url, ':')+1:]
	e.p.kill()
	time.Sleep(3 * time.Second)
	check("(e) server down", true)
	var portNum int
	fmt.Sscanf(port, "%d", &portNum)
	e.p = startServerOn(t, portNum, e.dir, "--local-agent-clusters", e.cluster)
	time.Sleep(3 * time.Second)
	e.waitService("zd", "steady after the restart", time.Minute, isSteady)
	check("(e) server restarted", true)
}

// TestELBv2ServiceAWSCLI runs testdata/elbv2-service.sh: the AWS CLI builds
// a load balancer, target group, listener and path rule, attaches a service
// and curls through the listener, getting answers from every task.
func TestELBv2ServiceAWSCLI(t *testing.T) {
	cli := awsCLI(t)
	e := newDockerEnv(t)
	_, file, _, _ := goruntime.Caller(0)
	cmd := exec.Command("bash", filepath.Join(filepath.Dir(file), "testdata", "elbv2-service.sh"))
	cmd.Env = append(os.Environ(), "WHARF_ENDPOINT="+e.p.url, "AWS="+cli, "CLUSTER="+e.cluster, "IMAGE="+e.image,
		fmt.Sprintf("LISTENER_PORT=%d", freePort(t)),
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
	out, err := cmd.CombinedOutput()
	t.Logf("elbv2-service.sh:\n%s", out)
	if err != nil || !strings.Contains(string(out), "all checks passed") {
		t.Fatalf("elbv2-service.sh failed: %v\nserver log:\n%s", err, tail(e.p.logs.String(), 40))
	}
}
