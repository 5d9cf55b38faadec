package main

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/wharfhq/wharf/internal/testutil/wharftest"
)

// targetPollInterval is how often DescribeTargetHealth is polled.
const targetPollInterval = 100 * time.Millisecond

// rollout is when the service's targets and tasks changed during one run.
type rollout struct {
	tasksCreated    time.Time       // earliest createdAt of the new tasks
	tasksStarted    time.Time       // latest startedAt of the new tasks
	newRegistered   time.Time       // the first new target appeared
	newHealthyFirst time.Time       // the first new target healthy
	newHealthyLast  time.Time       // the last new target healthy
	oldOut          time.Time       // the first old target seen draining, or last listed (removed at once when drained)
	oldGone         time.Time       // the last old target last listed (then removed)
	oldStopping     time.Time       // earliest stoppingAt of the old tasks
	oldStoppingLast time.Time       // latest stoppingAt of the old tasks
	oldStopped      time.Time       // latest stoppedAt of the old tasks
	regToHealthy    []time.Duration // per new target: first listed → healthy
	oldTargets      int             // old targets listed
	oldHealthy      int             // … of which seen healthy
	trace           []string        // per target: first seen, healthy, draining, last seen
}

type targetSeen struct {
	first, healthy, drained time.Time
	last                    time.Time
}

type targetPoller struct {
	cancel    context.CancelFunc
	done      chan struct{}
	mu        sync.Mutex
	targets   map[string]*targetSeen
	firstPoll time.Time
}

func (w *wharf) startTargetPoller(ctx context.Context) *targetPoller {
	return startTargetPoller(ctx, w.elb, w.tgARN)
}

// startTargetPoller polls the target health of group arn, or of the group
// named hello once it exists when arn is empty.
func startTargetPoller(ctx context.Context, elb *elbv2.Client, arn string) *targetPoller {
	ctx, cancel := context.WithCancel(ctx)
	p := &targetPoller{cancel: cancel, done: make(chan struct{}), targets: map[string]*targetSeen{}}
	go func() {
		defer close(p.done)
		for ctx.Err() == nil {
			if arn == "" {
				tg, err := elb.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{Names: []string{name}})
				if err == nil && len(tg.TargetGroups) == 1 {
					arn = aws.ToString(tg.TargetGroups[0].TargetGroupArn)
				}
			}
			if arn != "" {
				out, err := elb.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn)})
				if err == nil {
					p.record(out.TargetHealthDescriptions, time.Now())
				}
			}
			t := time.NewTimer(targetPollInterval)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
	}()
	return p
}

// startQuickstartTargetPoller polls the quickstart's target group from
// when its server answers.
func startQuickstartTargetPoller(ctx context.Context, q *quickstart) *targetPoller {
	elb := elbv2.NewFromConfig(wharftest.AWSConfig(""), func(o *elbv2.Options) {
		o.BaseEndpoint = aws.String(q.endpoint())
		o.RetryMaxAttempts = 1
	})
	return startTargetPoller(ctx, elb, "")
}

func (p *targetPoller) record(ds []elbtypes.TargetHealthDescription, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.firstPoll.IsZero() {
		p.firstPoll = now
	}
	for _, d := range ds {
		if d.Target == nil {
			continue
		}
		key := fmt.Sprintf("%s:%d", aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port))
		t := p.targets[key]
		if t == nil {
			t = &targetSeen{first: now}
			p.targets[key] = t
		}
		t.last = now
		if d.TargetHealth == nil {
			continue
		}
		switch d.TargetHealth.State {
		case elbtypes.TargetHealthStateEnumHealthy:
			if t.healthy.IsZero() {
				t.healthy = now
			}
		case elbtypes.TargetHealthStateEnumDraining:
			if t.drained.IsZero() {
				t.drained = now
			}
		}
	}
}

// stop ends the polling and returns the rollout's target times. Targets
// listed before cutoff are old (zero: those of the first poll). An old
// target that was still listed at the last poll has no oldGone.
func (p *targetPoller) stop(cutoff time.Time) rollout {
	p.cancel()
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	if cutoff.IsZero() {
		cutoff = p.firstPoll.Add(time.Nanosecond)
	}
	var r rollout
	var lastPoll time.Time
	for _, t := range p.targets {
		if t.last.After(lastPoll) {
			lastPoll = t.last
		}
	}
	keys := make([]string, 0, len(p.targets))
	for k := range p.targets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t := p.targets[k]
		r.trace = append(r.trace, fmt.Sprintf("%s old=%v first=%s healthy=%s draining=%s last=%s", k, t.first.Before(cutoff),
			clock(t.first), clock(t.healthy), clock(t.drained), clock(t.last)))
	}
	min := func(cur *time.Time, t time.Time) {
		if !t.IsZero() && (cur.IsZero() || t.Before(*cur)) {
			*cur = t
		}
	}
	max := func(cur *time.Time, t time.Time) {
		if t.After(*cur) {
			*cur = t
		}
	}
	goneAll := true
	for _, t := range p.targets {
		if t.first.Before(cutoff) {
			r.oldTargets++
			if !t.healthy.IsZero() {
				r.oldHealthy++
			}
			out := t.drained
			if t.last.Equal(lastPoll) {
				goneAll = false
			} else if out.IsZero() {
				out = t.last
			}
			min(&r.oldOut, out)
			max(&r.oldGone, t.last)
			continue
		}
		min(&r.newRegistered, t.first)
		min(&r.newHealthyFirst, t.healthy)
		max(&r.newHealthyLast, t.healthy)
		if !t.healthy.IsZero() {
			r.regToHealthy = append(r.regToHealthy, t.healthy.Sub(t.first))
		}
	}
	if !goneAll {
		r.oldGone = time.Time{}
	}
	return r
}

func clock(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format("15:04:05.000")
}
