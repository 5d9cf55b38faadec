// Package service is the ECS service controller: it keeps each service's
// desired count of tasks running and rolls deployments out the way the ECS
// rolling-update controller does.
//
// Each pass reads a Snapshot of one service (spec, deployments, tasks and
// their health) and calls Compute, a pure function returning a Plan (tasks
// to start and to stop, deployment progress, events, a rollback). The
// Controller applies the plan: it launches tasks through internal/tasks,
// marks tasks to stop, creates rollback deployments and records progress
// and events in the service's state, which only it writes.
//
//	store change / timer ─▶ queue(service) ─▶ snapshot ─▶ Compute ─▶ apply
package service
