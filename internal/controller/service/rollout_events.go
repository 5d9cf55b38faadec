package service

import (
	"strconv"
	"strings"
)

// Stop reasons (stoppedReason, with stopCode ServiceSchedulerInitiated).
const reasonUnhealthy = "Task failed container health checks"

func reasonScaling(deploymentID string) string {
	return "Scaling activity initiated by (deployment " + deploymentID + ")"
}

// Rollout state reasons.
func reasonInProgress(id string) string { return "ECS deployment " + id + " in progress." }
func reasonCompleted(id string) string  { return "ECS deployment " + id + " completed." }

const reasonBreakerFailed = "ECS deployment circuit breaker: task failed to start."

func reasonBreakerRollback(toID string) string {
	return "ECS deployment circuit breaker: rolling back to deploymentId " + toID + "."
}

// Service event messages, exactly as ECS words them (ecs.md 4.9).

func eventStopped(service string, taskIDs []string) string {
	var b strings.Builder
	b.WriteString("(service " + service + ") has stopped " + strconv.Itoa(len(taskIDs)) + " running tasks:")
	for _, id := range taskIDs {
		b.WriteString(" (task " + id + ")")
	}
	b.WriteString(".")
	return b.String()
}

func eventDeploymentCompleted(service, deploymentID string) string {
	return "(service " + service + ") (deployment " + deploymentID + ") deployment completed."
}

func eventSteady(service string) string {
	return "(service " + service + ") has reached a steady state."
}

func eventStuck(service string) string {
	return "(service " + service + ") was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again."
}

func eventStartImpaired(service string) string {
	return "(service " + service + ") is unable to consistently start tasks successfully."
}
