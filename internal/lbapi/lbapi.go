// Package lbapi defines the protocol between wharf server and its load
// balancer data plane (wharf lb), in the manner of an xDS feed: the data
// plane long-polls the whole configuration and reports target health. The
// data plane keeps serving its last configuration (also saved to disk)
// while the server is unreachable.
//
//	GET /lb/v1/config?after=REV&wait=SECONDS   → Config (long poll; 200 with the current config
//	                                             once the revision passes `after` or wait elapses)
//	PUT /lb/v1/health                          body: HealthReport → 204
//
// Requests carry "Authorization: Bearer <agent token>".
package lbapi

import (
	"strconv"

	"github.com/wharfhq/wharf/internal/model"
)

// PathPrefix of the load balancer API.
const PathPrefix = "/lb/v1/"

// Config is the complete configuration of the data plane.
type Config struct {
	Revision      int64                `json:"revision"`
	LoadBalancers []model.LoadBalancer `json:"loadBalancers"`
	Listeners     []model.Listener     `json:"listeners"`
	Rules         []model.Rule         `json:"rules"`
	TargetGroups  []TargetGroup        `json:"targetGroups"`
}

// TargetGroup is a target group with its current targets (registered and
// draining ones).
type TargetGroup struct {
	model.TargetGroup
	Targets []model.Target `json:"targets"`
}

// HealthReport is the data plane's observation of every target it knows.
type HealthReport struct {
	// Targets maps target group ARN → target key ("<id>:<port>") → health.
	Targets map[string]map[string]model.TargetHealth `json:"targets"`
}

// TargetKey is the key of a target in a HealthReport.
func TargetKey(id string, port int32) string {
	return id + ":" + itoa(port)
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }
