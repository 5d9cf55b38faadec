package state

import (
	"context"
	"encoding/json"
	"time"
)

const prefixAgents = "agents/"

func agentKey(cluster, id string) string { return prefixAgents + cluster + "/" + id }

// AgentHeartbeat records when an instance's agent last called in. It is a
// key of its own so that heartbeats do not bump the instance's version.
type AgentHeartbeat struct {
	LastSeen time.Time `json:"lastSeen"`
}

// RecordHeartbeat notes that an instance's agent is alive.
func (s *State) RecordHeartbeat(ctx context.Context, cluster, id string) error {
	buf, err := json.Marshal(AgentHeartbeat{LastSeen: s.now()})
	if err != nil {
		return err
	}
	_, err = s.store.Put(ctx, agentKey(cluster, id), buf)
	return err
}

// LastHeartbeat returns when an instance's agent last called in.
func (s *State) LastHeartbeat(cluster, id string) (time.Time, bool) {
	hb, _, ok := get[AgentHeartbeat](s, agentKey(cluster, id))
	if !ok {
		return time.Time{}, false
	}
	return hb.LastSeen, true
}
