// Package placement decides which container instance runs a build. It is a
// pure function of a snapshot (the instances, the builds in progress on
// each and the time) so the API handler that places a build at StartBuild
// and the queue controller that places waiting builds later agree, and the
// rules are tested without a store.
//
// An instance is eligible when it is ACTIVE, its agent is connected and its
// last heartbeat is at most HeartbeatTimeout old (an instance that never
// reported a heartbeat counts on AgentConnected alone). Among the eligible
// instances the one with the fewest builds in progress wins; ties go to the
// lowest cluster name, then the lowest instance id, so the choice is
// deterministic.
package placement
