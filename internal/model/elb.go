package model

import "time"

// Load balancer objects (ELBv2, Application Load Balancer). The API writes
// them; target health is observed by the wharf lb data plane.

// LoadBalancer is an application load balancer.
type LoadBalancer struct {
	ARN            string            `json:"arn"`
	Name           string            `json:"name"`
	Scheme         string            `json:"scheme"` // internet-facing | internal
	Type           string            `json:"type"`   // application
	State          string            `json:"state"`  // provisioning | active | failed
	DNSName        string            `json:"dnsName"`
	IPAddress      string            `json:"ipAddress"` // address its listeners bind (default 127.0.0.1)
	Subnets        []string          `json:"subnets,omitempty"`
	VpcID          string            `json:"vpcId,omitempty"`
	IPAddressType  string            `json:"ipAddressType,omitempty"` // ipv4 | dualstack
	SecurityGroups []string          `json:"securityGroups,omitempty"`
	Attributes     map[string]string `json:"attributes,omitempty"` // idle_timeout.timeout_seconds, …
	Tags           []Tag             `json:"tags,omitempty"`
	CreatedAt      time.Time         `json:"createdAt"`
}

// TargetGroup is a set of targets with a health check.
type TargetGroup struct {
	ARN        string `json:"arn"`
	Name       string `json:"name"`
	Protocol   string `json:"protocol"` // HTTP
	Port       int32  `json:"port"`
	TargetType string `json:"targetType"` // instance | ip
	VpcID      string `json:"vpcId,omitempty"`
	// ProtocolVersion is HTTP1 (the only one the data plane speaks).
	ProtocolVersion string `json:"protocolVersion,omitempty"`

	HealthCheck HealthCheckConfig `json:"healthCheck"`
	Attributes  map[string]string `json:"attributes,omitempty"` // deregistration_delay.timeout_seconds, slow_start.duration_seconds, load_balancing.algorithm.type, stickiness.*
	Tags        []Tag             `json:"tags,omitempty"`
	CreatedAt   time.Time         `json:"createdAt"`
}

// HealthCheckConfig is a target group's active health check (ALB defaults:
// HTTP, path "/", port "traffic-port", interval 30 s, timeout 5 s,
// healthy 5, unhealthy 2, matcher "200").
type HealthCheckConfig struct {
	Enabled            bool   `json:"enabled"`
	Protocol           string `json:"protocol"`
	Path               string `json:"path"`
	Port               string `json:"port"` // "traffic-port" or a number
	IntervalSeconds    int32  `json:"intervalSeconds"`
	TimeoutSeconds     int32  `json:"timeoutSeconds"`
	HealthyThreshold   int32  `json:"healthyThreshold"`
	UnhealthyThreshold int32  `json:"unhealthyThreshold"`
	Matcher            string `json:"matcher"` // HTTP codes, e.g. "200" or "200-299" or "200,302"
}

// Target is a registered target of a target group: an instance id and port
// (targetType instance; the data plane resolves the instance's address) or
// an IP and port (targetType ip).
type Target struct {
	ID               string `json:"id"`
	Port             int32  `json:"port"`
	AvailabilityZone string `json:"availabilityZone,omitempty"`
	// Address is the host:port the data plane connects to, resolved by the
	// server when the target is registered.
	Address string `json:"address"`
	// RegisteredAt starts the "initial" health state; DeregisteredAt starts
	// draining (zero while registered).
	RegisteredAt   time.Time `json:"registeredAt"`
	DeregisteredAt time.Time `json:"deregisteredAt,omitzero"`
	// TaskARN is set for targets an ECS service registered.
	TaskARN string `json:"taskArn,omitempty"`
}

// Listener accepts connections on a port of a load balancer.
type Listener struct {
	ARN             string   `json:"arn"`
	LoadBalancerARN string   `json:"loadBalancerArn"`
	Protocol        string   `json:"protocol"` // HTTP
	Port            int32    `json:"port"`
	DefaultActions  []Action `json:"defaultActions"`
	Tags            []Tag    `json:"tags,omitempty"`
}

// Rule routes matching requests of a listener.
type Rule struct {
	ARN         string      `json:"arn"`
	ListenerARN string      `json:"listenerArn"`
	Priority    int32       `json:"priority"` // 1..50000
	Conditions  []Condition `json:"conditions"`
	Actions     []Action    `json:"actions"`
	Tags        []Tag       `json:"tags,omitempty"`
}

// Action is forward (one target group or weighted several),
// fixed-response or redirect.
type Action struct {
	Type  string `json:"type"` // forward | fixed-response | redirect
	Order int32  `json:"order,omitempty"`
	// Forward.
	TargetGroups []WeightedTargetGroup `json:"targetGroups,omitempty"`
	Stickiness   *GroupStickiness      `json:"stickiness,omitempty"`
	// Fixed response.
	StatusCode  string `json:"statusCode,omitempty"`
	ContentType string `json:"contentType,omitempty"`
	MessageBody string `json:"messageBody,omitempty"`
	// Redirect (values may use #{protocol}, #{host}, #{port}, #{path}, #{query}).
	RedirectProtocol string `json:"redirectProtocol,omitempty"`
	RedirectHost     string `json:"redirectHost,omitempty"`
	RedirectPort     string `json:"redirectPort,omitempty"`
	RedirectPath     string `json:"redirectPath,omitempty"`
	RedirectQuery    string `json:"redirectQuery,omitempty"`
	RedirectStatus   string `json:"redirectStatus,omitempty"` // HTTP_301 | HTTP_302
}

// WeightedTargetGroup is one target group of a forward action.
type WeightedTargetGroup struct {
	ARN    string `json:"arn"`
	Weight int32  `json:"weight"`
}

// GroupStickiness is target-group stickiness of a weighted forward.
type GroupStickiness struct {
	Enabled         bool  `json:"enabled"`
	DurationSeconds int32 `json:"durationSeconds"`
}

// Condition is a rule condition: path-pattern, host-header, http-header,
// http-request-method, query-string or source-ip.
type Condition struct {
	Field       string       `json:"field"`
	Values      []string     `json:"values,omitempty"`      // path-pattern, host-header, http-request-method, source-ip
	HeaderName  string       `json:"headerName,omitempty"`  // http-header
	QueryValues []QueryValue `json:"queryValues,omitempty"` // query-string
}

// QueryValue is a key/value pair of a query-string condition (Key optional).
type QueryValue struct {
	Key   string `json:"key,omitempty"`
	Value string `json:"value"`
}

// Target health states and the data plane's observation of one target.
const (
	TargetInitial   = "initial"
	TargetHealthy   = "healthy"
	TargetUnhealthy = "unhealthy"
	TargetUnused    = "unused"
	TargetDraining  = "draining"
)

// TargetHealth is what the data plane observed about one target.
type TargetHealth struct {
	State       string    `json:"state"`
	Reason      string    `json:"reason,omitempty"` // Elb.RegistrationInProgress, Elb.InitialHealthChecking, Target.ResponseCodeMismatch, Target.Timeout, Target.FailedHealthChecks, Target.DeregistrationInProgress, …
	Description string    `json:"description,omitempty"`
	UpdatedAt   time.Time `json:"updatedAt"`
	// Drained is set once a deregistered target has no request in flight
	// (or the deregistration delay passed): it can be stopped.
	Drained bool `json:"drained,omitempty"`
}
