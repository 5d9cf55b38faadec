package placement

import (
	"strings"
	"time"

	"github.com/wharfhq/wharf/internal/arn"
	"github.com/wharfhq/wharf/internal/model"
)

// HeartbeatTimeout is how old an instance's last heartbeat may be for it
// to take a build.
const HeartbeatTimeout = 2 * time.Minute

// Key returns the key of an instance in the running map of Place:
// cluster + "/" + id.
func Key(cluster, id string) string { return cluster + "/" + id }

// ClusterName returns the cluster name of an instance, taken from its
// cluster ARN (arn:aws:ecs:REGION:ACCOUNT:cluster/NAME); a ClusterARN that
// is not an ARN is taken as the name itself.
func ClusterName(ci *model.ContainerInstance) string {
	if !arn.IsARN(ci.ClusterARN) {
		return ci.ClusterARN
	}
	a, err := arn.Parse(ci.ClusterARN)
	if err != nil {
		return ""
	}
	name, ok := strings.CutPrefix(a.Resource, "cluster/")
	if !ok {
		return ""
	}
	return name
}

// Eligible reports whether an instance may take a build at now and, if
// not, why (the text names the rule, for logs and build phase contexts).
func Eligible(ci *model.ContainerInstance, now time.Time) (bool, string) {
	switch {
	case ci == nil:
		return false, "no instance"
	case ClusterName(ci) == "" || ci.ID == "":
		return false, "instance has no cluster or id"
	case ci.Status != model.InstanceActive:
		return false, "instance is " + ci.Status + ", not " + model.InstanceActive
	case !ci.AgentConnected:
		return false, "agent is not connected"
	case !ci.LastHeartbeat.IsZero() && now.Sub(ci.LastHeartbeat) > HeartbeatTimeout:
		return false, "last heartbeat " + now.Sub(ci.LastHeartbeat).Truncate(time.Second).String() + " ago"
	}
	return true, ""
}

// Place picks the eligible instance with the fewest builds in progress.
// running counts builds in progress by Key(cluster, id); instances missing
// from it run none. ok is false when no instance is eligible.
func Place(instances []*model.ContainerInstance, running map[string]int, now time.Time) (cluster, id string, ok bool) {
	best := -1
	for _, ci := range instances {
		if eligible, _ := Eligible(ci, now); !eligible {
			continue
		}
		c := ClusterName(ci)
		n := running[Key(c, ci.ID)]
		if ok && (n > best || n == best && (c > cluster || c == cluster && ci.ID >= id)) {
			continue
		}
		cluster, id, best, ok = c, ci.ID, n, true
	}
	return cluster, id, ok
}
