package lb

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wharfhq/wharf/internal/model"
)

// latencyBounds are the upper bounds of the target response time
// histogram (seconds in the exported form).
var latencyBounds = [...]time.Duration{
	500 * time.Microsecond, time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
	250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2500 * time.Millisecond,
	5 * time.Second, 10 * time.Second,
}

// groupMetrics are a target group's counters, updated lock-free per request.
type groupMetrics struct {
	requests  atomic.Uint64
	target4xx atomic.Uint64
	target5xx atomic.Uint64
	elb5xx    atomic.Uint64
	buckets   [len(latencyBounds) + 1]atomic.Uint64
	sumNanos  atomic.Uint64
}

func (m *groupMetrics) observe(targetStatus, elbStatus int, targetTime time.Duration, measured bool) {
	m.requests.Add(1)
	switch {
	case targetStatus >= 500:
		m.target5xx.Add(1)
	case targetStatus >= 400:
		m.target4xx.Add(1)
	}
	if elbStatus >= 500 && targetStatus == 0 {
		m.elb5xx.Add(1)
	}
	if measured {
		i := 0
		for i < len(latencyBounds) && targetTime > latencyBounds[i] {
			i++
		}
		m.buckets[i].Add(1)
		m.sumNanos.Add(uint64(targetTime))
	}
}

// Metrics is a snapshot of the data plane's counters, per target group.
type Metrics struct {
	TakenAt      time.Time            `json:"takenAt"`
	TargetGroups []TargetGroupMetrics `json:"targetGroups"`
}

// TargetGroupMetrics mirrors the ALB CloudWatch metrics auto scaling needs:
// RequestCount (and per healthy target), HTTPCode_Target_4XX/5XX_Count,
// HTTPCode_ELB_5XX_Count and TargetResponseTime.
type TargetGroupMetrics struct {
	TargetGroupARN   string    `json:"targetGroupArn"`
	RequestCount     uint64    `json:"requestCount"`
	Target4xxCount   uint64    `json:"target4xxCount"`
	Target5xxCount   uint64    `json:"target5xxCount"`
	ELB5xxCount      uint64    `json:"elb5xxCount"`
	HealthyTargets   int       `json:"healthyTargets"`
	RegisteredTarget int       `json:"registeredTargets"`
	ResponseTime     Histogram `json:"targetResponseTime"`
}

// Histogram is a cumulative histogram: Counts[i] observations ≤ Bounds[i]
// seconds; Count is the total (the +Inf bucket).
type Histogram struct {
	Bounds []float64 `json:"bounds"`
	Counts []uint64  `json:"counts"`
	Count  uint64    `json:"count"`
	Sum    float64   `json:"sum"`
}

func (m *groupMetrics) histogram() Histogram {
	h := Histogram{Bounds: make([]float64, len(latencyBounds)), Counts: make([]uint64, len(latencyBounds))}
	var cum uint64
	for i, b := range latencyBounds {
		cum += m.buckets[i].Load()
		h.Bounds[i] = b.Seconds()
		h.Counts[i] = cum
	}
	h.Count = cum + m.buckets[len(latencyBounds)].Load()
	h.Sum = time.Duration(m.sumNanos.Load()).Seconds()
	return h
}

// Metrics returns a snapshot of every target group's counters.
func (b *Balancer) Metrics() Metrics {
	b.mu.Lock()
	groups := make([]*targetGroup, 0, len(b.groups))
	for _, tg := range b.groups {
		groups = append(groups, tg)
	}
	b.mu.Unlock()
	sort.Slice(groups, func(i, j int) bool { return groups[i].arn < groups[j].arn })
	out := Metrics{TakenAt: b.now(), TargetGroups: make([]TargetGroupMetrics, 0, len(groups))}
	for _, tg := range groups {
		gm := TargetGroupMetrics{
			TargetGroupARN: tg.arn,
			RequestCount:   tg.metrics.requests.Load(),
			Target4xxCount: tg.metrics.target4xx.Load(),
			Target5xxCount: tg.metrics.target5xx.Load(),
			ELB5xxCount:    tg.metrics.elb5xx.Load(),
			ResponseTime:   tg.metrics.histogram(),
		}
		tg.mu.Lock()
		for _, t := range tg.order {
			if t.deregistered.Load() {
				continue
			}
			gm.RegisteredTarget++
			if t.health.State == model.TargetHealthy {
				gm.HealthyTargets++
			}
		}
		tg.mu.Unlock()
		out.TargetGroups = append(out.TargetGroups, gm)
	}
	return out
}

// WritePrometheus writes a snapshot in the Prometheus text exposition
// format (version 0.0.4).
func WritePrometheus(w io.Writer, m Metrics) error {
	bw := bufio.NewWriter(w)
	counter := func(name, help string, get func(TargetGroupMetrics) uint64) {
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s counter\n", name, help, name)
		for _, g := range m.TargetGroups {
			fmt.Fprintf(bw, "%s{target_group=\"%s\"} %d\n", name, escapeLabel(g.TargetGroupARN), get(g))
		}
	}
	gauge := func(name, help string, get func(TargetGroupMetrics) int) {
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name)
		for _, g := range m.TargetGroups {
			fmt.Fprintf(bw, "%s{target_group=\"%s\"} %d\n", name, escapeLabel(g.TargetGroupARN), get(g))
		}
	}
	counter("wharf_lb_requests_total", "Requests routed to the target group.", func(g TargetGroupMetrics) uint64 { return g.RequestCount })
	counter("wharf_lb_target_4xx_total", "4xx responses returned by targets.", func(g TargetGroupMetrics) uint64 { return g.Target4xxCount })
	counter("wharf_lb_target_5xx_total", "5xx responses returned by targets.", func(g TargetGroupMetrics) uint64 { return g.Target5xxCount })
	counter("wharf_lb_elb_5xx_total", "5xx responses generated by the load balancer (502, 503, 504).", func(g TargetGroupMetrics) uint64 { return g.ELB5xxCount })
	gauge("wharf_lb_healthy_targets", "Healthy registered targets.", func(g TargetGroupMetrics) int { return g.HealthyTargets })
	gauge("wharf_lb_registered_targets", "Registered targets (not draining).", func(g TargetGroupMetrics) int { return g.RegisteredTarget })
	const h = "wharf_lb_target_response_seconds"
	fmt.Fprintf(bw, "# HELP %s Time from sending the request to a target until its response headers arrived.\n# TYPE %s histogram\n", h, h)
	for _, g := range m.TargetGroups {
		lbl := escapeLabel(g.TargetGroupARN)
		for i, bnd := range g.ResponseTime.Bounds {
			fmt.Fprintf(bw, "%s_bucket{target_group=\"%s\",le=\"%s\"} %d\n", h, lbl, strconv.FormatFloat(bnd, 'g', -1, 64), g.ResponseTime.Counts[i])
		}
		fmt.Fprintf(bw, "%s_bucket{target_group=\"%s\",le=\"+Inf\"} %d\n", h, lbl, g.ResponseTime.Count)
		fmt.Fprintf(bw, "%s_sum{target_group=\"%s\"} %s\n", h, lbl, strconv.FormatFloat(g.ResponseTime.Sum, 'g', -1, 64))
		fmt.Fprintf(bw, "%s_count{target_group=\"%s\"} %d\n", h, lbl, g.ResponseTime.Count)
	}
	return bw.Flush()
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }
