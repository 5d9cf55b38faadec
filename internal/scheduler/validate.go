package scheduler

import (
	"errors"
	"fmt"
	"strings"
)

// Limits from the ECS API.
const (
	MaxStrategies  = 5
	MaxConstraints = 10
)

// ErrInvalidParameter is wrapped by every validation error; the API edge maps
// it to InvalidParameterException with the error's text as the message.
var ErrInvalidParameter = errors.New("invalid parameter")

// ParameterError carries an ECS-worded InvalidParameterException message.
type ParameterError struct{ Message string }

func (e *ParameterError) Error() string { return e.Message }
func (e *ParameterError) Unwrap() error { return ErrInvalidParameter }

func invalidf(format string, args ...any) error {
	return &ParameterError{Message: fmt.Sprintf(format, args...)}
}

// Validate checks placement strategies and constraints the way ECS does for
// RunTask, CreateService and UpdateService.
func Validate(strategies []Strategy, constraints []Constraint) error {
	_, err := compileStrategies(strategies)
	if err != nil {
		return err
	}
	_, err = compileConstraints(constraints, ParseExpression)
	return err
}

// request is a validated TaskRequest, ready to place.
type request struct {
	group     string
	family    string
	cpu, mem  int64
	tcp, udp  []PortKey
	requires  []Attribute
	rank      []rankKey
	cons      constraintSet
	staticKey string // identifies the count-independent filters, for caching
}

func compileRequest(r TaskRequest, parse func(string) (Expr, error)) (*request, error) {
	if r.CPU < 0 || r.Memory < 0 {
		return nil, invalidf("The task cpu and memory reservations must not be negative.")
	}
	rank, err := compileStrategies(r.Strategy)
	if err != nil {
		return nil, err
	}
	cons, err := compileConstraints(r.Constraints, parse)
	if err != nil {
		return nil, err
	}
	c := &request{group: r.Group, family: r.Family, cpu: r.CPU, mem: r.Memory, requires: r.RequiresAttributes, rank: rank, cons: cons}
	if c.group == "" {
		c.group = "family:" + r.Family
	}
	for _, p := range r.Ports {
		if p.Port <= 0 || p.Port > 65535 {
			return nil, invalidf("Invalid host port %d.", p.Port)
		}
		switch strings.ToLower(p.Protocol) {
		case "", "tcp":
			c.tcp = append(c.tcp, PortKey{Protocol: "tcp", Port: p.Port})
		case "udp":
			c.udp = append(c.udp, PortKey{Protocol: "udp", Port: p.Port})
		default:
			return nil, invalidf("Invalid protocol %s for host port %d.", p.Protocol, p.Port)
		}
	}
	var key strings.Builder
	for _, a := range c.requires {
		fmt.Fprintf(&key, "req %q=%q\n", a.Name, a.Value)
	}
	for _, e := range cons.static {
		fmt.Fprintf(&key, "expr %s\n", e)
	}
	c.staticKey = key.String()
	return c, nil
}
