package main

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// machine is how loaded the host was around the run.
type machine struct {
	start, end       time.Time
	loadStart        string  // /proc/loadavg's three averages
	busyBefore       float64 // share of the CPUs busy in the 3 s before the start
	loadEnd          string
	cpuStart, cpuEnd cpuStat
	goVersion        string
	docker           string
	commit           string
	dirty            bool
}

// cpuStat is /proc/stat's first line: total and idle (incl. iowait) jiffies.
type cpuStat struct{ total, idle uint64 }

func readCPU() cpuStat {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuStat{}
	}
	first, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(first)
	var c cpuStat
	for i, v := range f[1:] {
		n, _ := strconv.ParseUint(v, 10, 64)
		if i < 8 { // user nice system idle iowait irq softirq steal
			c.total += n
		}
		if i == 3 || i == 4 {
			c.idle += n
		}
	}
	return c
}

func loadavgString() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// loadavg is the 1-minute load average.
func loadavg() float64 {
	f := strings.Fields(loadavgString())
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

func cmdOut(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}

func machineStart() machine {
	before := readCPU()
	time.Sleep(3 * time.Second)
	m := machine{start: time.Now(), loadStart: loadavgString(), cpuStart: readCPU()}
	m.busyBefore = busyBetween(before, m.cpuStart)
	m.goVersion = cmdOut("go", "env", "GOVERSION")
	m.docker = cmdOut("docker", "version", "--format", "{{.Server.Version}}")
	m.commit = cmdOut("git", "rev-parse", "--short", "HEAD")
	m.dirty = cmdOut("git", "status", "--porcelain", "--untracked-files=no") != ""
	return m
}

func (m *machine) finish() {
	m.end, m.loadEnd, m.cpuEnd = time.Now(), loadavgString(), readCPU()
}

// busy is the share of the CPUs not idle between start and finish.
func (m machine) busy() float64 { return busyBetween(m.cpuStart, m.cpuEnd) }

func busyBetween(a, b cpuStat) float64 {
	t := b.total - a.total
	if t == 0 {
		return 0
	}
	return 1 - float64(b.idle-a.idle)/float64(t)
}
