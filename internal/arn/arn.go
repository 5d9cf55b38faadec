// Package arn builds and parses the Amazon Resource Names wharf hands out.
//
// All resources use the long ARN format:
//
//	arn:aws:ecs:<region>:<account>:cluster/<name>
//	arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>
//	arn:aws:ecs:<region>:<account>:container-instance/<cluster>/<id>
//	arn:aws:ecs:<region>:<account>:task/<cluster>/<id>
package arn

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
)

// DefaultAccount is the account id wharf reports unless configured.
const DefaultAccount = "000000000000"

// ARN is a parsed Amazon Resource Name.
type ARN struct {
	Partition string
	Service   string
	Region    string
	Account   string
	Resource  string // everything after the fifth colon, e.g. "cluster/web"
}

// Parse splits an ARN into its parts. It does not validate the service.
func Parse(s string) (ARN, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" || parts[5] == "" {
		return ARN{}, fmt.Errorf("invalid ARN %q", s)
	}
	return ARN{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: parts[5]}, nil
}

// IsARN reports whether s looks like an ARN rather than a name or id.
func IsARN(s string) bool { return strings.HasPrefix(s, "arn:") }

// String formats the ARN.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

// Type returns the resource type: the part of Resource before the first '/'.
func (a ARN) Type() string {
	t, _, _ := strings.Cut(a.Resource, "/")
	return t
}

// Builder makes ARNs for one region and account.
type Builder struct {
	Region  string
	Account string
}

func (b Builder) make(service, resource string) string {
	return ARN{Partition: "aws", Service: service, Region: b.Region, Account: b.Account, Resource: resource}.String()
}

// Cluster returns the ARN of a cluster.
func (b Builder) Cluster(name string) string { return b.make("ecs", "cluster/"+name) }

// TaskDefinition returns the ARN of a task definition revision.
func (b Builder) TaskDefinition(family string, revision int32) string {
	return b.make("ecs", fmt.Sprintf("task-definition/%s:%d", family, revision))
}

// ContainerInstance returns the ARN of a container instance.
func (b Builder) ContainerInstance(cluster, id string) string {
	return b.make("ecs", "container-instance/"+cluster+"/"+id)
}

// Task returns the ARN of a task.
func (b Builder) Task(cluster, id string) string { return b.make("ecs", "task/"+cluster+"/"+id) }

// Service returns the ARN of a service.
func (b Builder) Service(cluster, name string) string {
	return b.make("ecs", "service/"+cluster+"/"+name)
}

// CapacityProvider returns the ARN of a capacity provider.
func (b Builder) CapacityProvider(name string) string {
	return b.make("ecs", "capacity-provider/"+name)
}

// NewID returns a new 32-character lowercase hex id, the form ECS uses for
// task and container instance ids.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b[:])
}

// LastSegment returns the part of s after its last '/', which is the id of
// a task or container instance given either as an ARN or as a bare id.
func LastSegment(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}
