package elbv2

import (
	"slices"
	"strconv"
	"strings"
)

// attribute is one ALB attribute with its default and accepted values.
type attribute struct {
	key  string
	def  string
	kind string // bool, int, enum, string
	min  int64
	max  int64
	// orZero accepts 0 besides min..max (slow_start.duration_seconds).
	orZero bool
	enum   []string
}

// lbAttributes are an application load balancer's attributes.
var lbAttributes = []attribute{
	{key: "access_logs.s3.bucket", kind: "string"},
	{key: "access_logs.s3.enabled", def: "false", kind: "bool"},
	{key: "access_logs.s3.prefix", kind: "string"},
	{key: "client_keep_alive.seconds", def: "3600", kind: "int", min: 60, max: 604800},
	{key: "connection_logs.s3.bucket", kind: "string"},
	{key: "connection_logs.s3.enabled", def: "false", kind: "bool"},
	{key: "connection_logs.s3.prefix", kind: "string"},
	{key: "deletion_protection.enabled", def: "false", kind: "bool"},
	{key: "idle_timeout.timeout_seconds", def: "60", kind: "int", min: 1, max: 4000},
	{key: "routing.http.desync_mitigation_mode", def: "defensive", kind: "enum", enum: []string{"monitor", "defensive", "strictest"}},
	{key: "routing.http.drop_invalid_header_fields.enabled", def: "false", kind: "bool"},
	{key: "routing.http.preserve_host_header.enabled", def: "false", kind: "bool"},
	{key: "routing.http.x_amzn_tls_version_and_cipher_suite.enabled", def: "false", kind: "bool"},
	{key: "routing.http.xff_client_port.enabled", def: "false", kind: "bool"},
	{key: "routing.http.xff_header_processing.mode", def: "append", kind: "enum", enum: []string{"append", "preserve", "remove"}},
	{key: "routing.http2.enabled", def: "true", kind: "bool"},
	{key: "waf.fail_open.enabled", def: "false", kind: "bool"},
}

// tgAttributes are the attributes of an instance or ip target group of an
// application load balancer.
var tgAttributes = []attribute{
	{key: "deregistration_delay.timeout_seconds", def: "300", kind: "int", min: 0, max: 3600},
	{key: "load_balancing.algorithm.anomaly_mitigation", def: "off", kind: "enum", enum: []string{"on", "off"}},
	{key: "load_balancing.algorithm.type", def: "round_robin", kind: "enum", enum: []string{"round_robin", "least_outstanding_requests"}},
	{key: "load_balancing.cross_zone.enabled", def: "use_load_balancer_configuration", kind: "enum", enum: []string{"true", "false", "use_load_balancer_configuration"}},
	{key: "slow_start.duration_seconds", def: "0", kind: "int", min: 30, max: 900, orZero: true},
	{key: "stickiness.enabled", def: "false", kind: "bool"},
	{key: "stickiness.lb_cookie.duration_seconds", def: "86400", kind: "int", min: 1, max: 604800},
	{key: "stickiness.type", def: "lb_cookie", kind: "enum", enum: []string{"lb_cookie"}},
}

func findAttribute(table []attribute, key string) (attribute, bool) {
	i := slices.IndexFunc(table, func(a attribute) bool { return a.key == key })
	if i < 0 {
		return attribute{}, false
	}
	return table[i], true
}

func attributeDefault(table []attribute, key string) string {
	a, _ := findAttribute(table, key)
	return a.def
}

// checkAttribute validates one attribute change with ALB's messages.
func checkAttribute(table []attribute, what, key, value string) error {
	a, ok := findAttribute(table, key)
	if !ok {
		if strings.HasPrefix(key, "stickiness.app_cookie.") {
			return validationError("%s attribute key '%s' is not supported by wharf (only lb_cookie stickiness is)", what, key)
		}
		return validationError("%s attribute key '%s' is not recognized", what, key)
	}
	switch a.kind {
	case "bool":
		if value != "true" && value != "false" {
			return validationError("%s attribute '%s' value '%s' must be 'true' or 'false'", what, key, value)
		}
	case "int":
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil || ((n < a.min || n > a.max) && !(a.orZero && n == 0)) {
			if a.orZero {
				return validationError("%s attribute '%s' value '%s' must be 0 or between %d and %d", what, key, value, a.min, a.max)
			}
			return validationError("%s attribute '%s' value '%s' must be between %d and %d", what, key, value, a.min, a.max)
		}
	case "enum":
		if !slices.Contains(a.enum, value) {
			return validationError("%s attribute '%s' value '%s' must be one of: %s", what, key, value, strings.Join(a.enum, ", "))
		}
	}
	return nil
}
