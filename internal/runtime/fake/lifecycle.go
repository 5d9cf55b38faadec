package fake

import (
	"container/heap"
	"maps"
	"net/netip"
	"strings"
	"time"

	"github.com/wharfhq/wharf/internal/runtime"
)

type timerKind int

const (
	timerExit   timerKind = iota // the process exits with exitCode (137 = killed)
	timerOOM                     // the process is OOM-killed
	timerHealth                  // the health status becomes health
)

// timer is something due at a point in fake time for one run (gen) of a
// container.
type timer struct {
	at       time.Time
	seq      uint64
	id       string
	gen      uint64
	kind     timerKind
	exitCode int
	health   string
}

func (r *Runtime) schedule(t timer) {
	r.seq++
	t.seq = r.seq
	heap.Push(&r.timers, t)
}

// processDue applies every timer due by now, in time order.
func (r *Runtime) processDue() {
	now := r.nowLocked()
	for len(r.timers) > 0 && !r.timers[0].at.After(now) {
		t := heap.Pop(&r.timers).(timer)
		c, ok := r.containers[t.id]
		if !ok || c.gen != t.gen || !c.st.Running {
			continue // removed, or a timer of an earlier run
		}
		switch t.kind {
		case timerExit:
			r.exit(c, t.at, t.exitCode, false)
		case timerOOM:
			r.emit(c, runtime.Event{Type: runtime.EventOOM, Time: t.at})
			r.exit(c, t.at, 137, true)
		case timerHealth:
			if c.st.Health != t.health {
				c.st.Health = t.health
				r.emit(c, runtime.Event{Type: runtime.EventHealthStatus, Health: t.health, Time: t.at})
			}
		}
	}
}

// start begins a run of c at the current time.
func (r *Runtime) start(c *container) {
	now := r.nowLocked()
	c.gen++
	c.done = make(chan struct{})
	c.st.Status = runtime.StatusRunning
	c.st.Running = true
	c.st.ExitCode = nil
	c.st.OOMKilled = false
	c.st.Error = ""
	c.st.StartedAt = now
	c.st.FinishedAt = time.Time{}
	c.st.Health = ""
	r.attachNetworks(c)

	r.emit(c, runtime.Event{Type: runtime.EventStart, Time: now})
	for _, l := range c.b.Output {
		r.appendLog(c, runtime.LogLine{Stream: l.Stream, Time: now, Text: l.Text})
	}
	if hc := c.spec.Healthcheck; hc != nil && !(len(hc.Test) > 0 && hc.Test[0] == "NONE") {
		c.st.Health = runtime.HealthStarting
		steps := c.b.Health
		if steps == nil {
			interval := hc.Interval
			if interval <= 0 {
				interval = 30 * time.Second // Docker's default
			}
			steps = []HealthStep{{After: interval, Status: runtime.HealthHealthy}}
		}
		for _, s := range steps {
			r.schedule(timer{at: now.Add(s.After), id: c.st.ID, gen: c.gen, kind: timerHealth, health: s.Status})
		}
	}
	if c.b.RunFor > 0 {
		t := timer{at: now.Add(c.b.RunFor), id: c.st.ID, gen: c.gen, kind: timerExit, exitCode: c.b.ExitCode}
		if c.b.OOM {
			t.kind = timerOOM
		}
		r.schedule(t)
	}
}

// exit ends the current run of c at time at.
func (r *Runtime) exit(c *container, at time.Time, code int, oom bool) {
	c.gen++
	c.st.Status = runtime.StatusExited
	c.st.Running = false
	c.st.ExitCode = &code
	c.st.OOMKilled = oom
	c.st.FinishedAt = at
	c.st.Ports = nil
	for name := range c.st.Networks {
		c.st.Networks[name] = ""
	}
	close(c.done)
	c.done = nil
	if c.logChanged != nil {
		close(c.logChanged)
		c.logChanged = nil
	}
	exitCode := code
	r.emit(c, runtime.Event{Type: runtime.EventDie, ExitCode: &exitCode, Time: at})
}

// attachNetworks assigns addresses and host ports for a run, like Docker does
// on start.
func (r *Runtime) attachNetworks(c *container) {
	mode := c.spec.NetworkMode
	if mode == "" {
		mode = "bridge"
	}
	c.st.Networks = map[string]string{}
	c.st.Ports = nil
	switch {
	case mode == "host" || mode == "none":
		c.st.Networks[mode] = ""
		return
	case strings.HasPrefix(mode, "container:"):
		return
	}
	if n := r.networks[mode]; n != nil {
		c.st.Networks[mode] = n.allocate()
	}
	for _, pb := range c.spec.PortBindings {
		hostPort := pb.HostPort
		if hostPort == 0 {
			hostPort = uint16(r.nextHostPort)
			r.nextHostPort++
			if r.nextHostPort > 60999 { // Linux's default ephemeral range
				r.nextHostPort = 32768
			}
		}
		proto := pb.Protocol
		if proto == "" {
			proto = runtime.TCP
		}
		ip := pb.HostIP
		if ip == "" {
			ip = "0.0.0.0"
		}
		c.st.Ports = append(c.st.Ports, runtime.PortMapping{
			ContainerPort: pb.ContainerPort, HostPort: hostPort, Protocol: proto, HostIP: ip,
		})
	}
}

func (r *Runtime) addNetwork(name string, labels map[string]string, octet int) *network {
	subnet := netip.PrefixFrom(netip.AddrFrom4([4]byte{172, byte(octet), 0, 0}), 16)
	n := &network{
		info: runtime.NetworkInfo{
			ID: r.newID(), Name: name, Labels: labels,
			Subnet: subnet, Gateway: netip.AddrFrom4([4]byte{172, byte(octet), 0, 1}),
		},
		next: 2,
	}
	r.networks[name] = n
	return n
}

// allocate hands out the next address of the subnet (wrapping around; the
// fake does not track releases).
func (n *network) allocate() string {
	if !n.info.Subnet.IsValid() {
		return ""
	}
	base := n.info.Subnet.Addr().As4()
	host := n.next
	n.next++
	if n.next >= 1<<16-1 {
		n.next = 2
	}
	return netip.AddrFrom4([4]byte{base[0], base[1], byte(host >> 8), byte(host)}).String()
}

func (r *Runtime) appendLog(c *container, l runtime.LogLine) {
	c.logs = append(c.logs, l)
	if c.logChanged != nil {
		close(c.logChanged)
		c.logChanged = nil
	}
}

// emit fills in the container's identity and hands ev to every subscriber.
func (r *Runtime) emit(c *container, ev runtime.Event) {
	ev.ContainerID = c.st.ID
	ev.Name = c.st.Name
	ev.Labels = maps.Clone(c.spec.Labels)
	for s := range r.subs {
		s.push(ev)
	}
}
