package scheduler

import (
	"strconv"
	"strings"
	"time"
)

// target is what a comparison can ask about an instance. Match uses a plain
// Instance; placement uses a snapshot row plus the copies already planned.
type target interface {
	attribute(name string) (string, bool)
	ec2InstanceID() string
	agentConnected() bool
	agentVersion() string
	registeredAt() time.Time
	runningTasks() int64
	hasGroup(name string) bool
	anyGroup(match func(string) bool) bool
}

// Match reports whether inst satisfies the expression. task:group and
// runningTasksCount look at inst.Tasks.
func (e Expr) Match(inst Instance) bool {
	if e.root == nil {
		return true
	}
	return e.root.eval(instanceTarget{&inst})
}

// dynamic reports whether the result can change as tasks are placed.
func (e Expr) dynamic() bool { return e.root != nil && e.root.dynamic() }

func (e Expr) eval(t target) bool { return e.root == nil || e.root.eval(t) }

type instanceTarget struct{ inst *Instance }

func (t instanceTarget) attribute(name string) (string, bool) {
	v, ok := t.inst.Attributes[name]
	return v, ok
}
func (t instanceTarget) ec2InstanceID() string   { return t.inst.EC2InstanceID }
func (t instanceTarget) agentConnected() bool    { return !t.inst.AgentDisconnected }
func (t instanceTarget) agentVersion() string    { return t.inst.AgentVersion }
func (t instanceTarget) registeredAt() time.Time { return t.inst.RegisteredAt }
func (t instanceTarget) runningTasks() int64     { return int64(len(t.inst.Tasks)) }
func (t instanceTarget) hasGroup(name string) bool {
	return t.anyGroup(func(g string) bool { return g == name })
}
func (t instanceTarget) anyGroup(match func(string) bool) bool {
	for _, task := range t.inst.Tasks {
		if match(task.Group) {
			return true
		}
	}
	return false
}

func (n *cmpNode) eval(t target) bool {
	if pos, ok := negated[n.op]; ok {
		return !n.evalPositive(t, pos)
	}
	return n.evalPositive(t, n.op)
}

func (n *cmpNode) evalPositive(t target, o op) bool {
	switch n.subj {
	case subjTaskGroup:
		switch o {
		case opMatches:
			return t.anyGroup(n.re.MatchString)
		default: // == and in
			for _, a := range n.args {
				if t.hasGroup(a) {
					return true
				}
			}
			return false
		}
	case subjRunningTasksCount:
		return ordered(o, cmpInt(t.runningTasks(), n.ints[0]))
	case subjRegisteredAt:
		return ordered(o, t.registeredAt().Compare(n.times[0]))
	case subjAgentVersion:
		return ordered(o, compareVersions(t.agentVersion(), n.args[0]))
	}

	var v string
	var ok bool
	switch n.subj {
	case subjAttribute:
		v, ok = t.attribute(n.attr)
	case subjEC2InstanceID:
		v = t.ec2InstanceID()
		ok = v != ""
	case subjAgentConnected:
		v, ok = strconv.FormatBool(t.agentConnected()), true
	}
	if !ok {
		return false
	}
	switch o {
	case opExists:
		return true
	case opMatches:
		return n.re.MatchString(v)
	case opEq, opIn:
		for _, a := range n.args {
			if v == a || n.subj == subjAgentConnected && strings.EqualFold(v, a) {
				return true
			}
		}
		return false
	default:
		return ordered(o, compareValues(v, n.args[0]))
	}
}

// ordered applies an ordering operator (or ==) to a three-way comparison.
func ordered(o op, c int) bool {
	switch o {
	case opEq:
		return c == 0
	case opGt:
		return c > 0
	case opGe:
		return c >= 0
	case opLt:
		return c < 0
	case opLe:
		return c <= 0
	}
	return false
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compareValues compares attribute values numerically when both are numbers,
// as versions when both are dotted numbers, else as strings.
func compareValues(a, b string) int {
	fa, errA := strconv.ParseFloat(a, 64)
	fb, errB := strconv.ParseFloat(b, 64)
	if errA == nil && errB == nil {
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	}
	if isVersion(a) && isVersion(b) {
		return compareVersions(a, b)
	}
	return strings.Compare(a, b)
}

func isVersion(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '.' && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// compareVersions compares dotted versions ("1.14.5" < "1.20.0") segment by
// segment, numerically where both segments are numbers. A leading "v" is
// ignored.
func compareVersions(a, b string) int {
	a, b = strings.TrimPrefix(a, "v"), strings.TrimPrefix(b, "v")
	for a != "" || b != "" {
		var sa, sb string
		sa, a, _ = strings.Cut(a, ".")
		sb, b, _ = strings.Cut(b, ".")
		na, errA := strconv.ParseUint(sa, 10, 64)
		nb, errB := strconv.ParseUint(sb, 10, 64)
		if sa == "" {
			errA, na = nil, 0
		}
		if sb == "" {
			errB, nb = nil, 0
		}
		var c int
		if errA == nil && errB == nil {
			c = cmpInt(int64(min(na, 1<<62)), int64(min(nb, 1<<62)))
		} else {
			c = strings.Compare(sa, sb)
		}
		if c != 0 {
			return c
		}
	}
	return 0
}
