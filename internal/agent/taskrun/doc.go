// Package taskrun runs one ECS task on a container runtime: one Runner, one
// goroutine per task, the only writer of the task's observed state
// (model.TaskState), after amazon-ecs-agent's task_manager.
//
// The Runner adopts whatever already runs for the task (an agent restart
// never starts a second copy), then loops: take news (runtime events are
// only triggers; state always comes from Inspect), decide the next step
// with the pure function next (plan.go, dependencies.go, health.go), apply
// it (steps.go), report the state if it changed. Container definitions map
// onto runtime specs in containerspec.go; EnsurePauseImage builds the awsvpc
// pause image (pause.go).
//
// Task status (only moves forward; a task that never ran jumps ahead to
// STOPPING, DEPROVISIONING or STOPPED, skipping what it has nothing to do
// for):
//
//	PROVISIONING  awsvpc: network + pause container (its IP is the task's)
//	     │
//	PENDING       pull missing images ──fail──► TaskFailedToStart (CannotPullContainerError)
//	     │        create containers   ──fail──► TaskFailedToStart (CannotCreateContainerError,
//	     │                                      ResourceInitializationError)
//	ACTIVATING    start in dependsOn order (START/COMPLETE/SUCCESS/HEALTHY, startTimeout)
//	     │        ──unmet/timeout/start error──► TaskFailedToStart
//	RUNNING       every container started, every essential one running
//	     │        desired STOPPED (server's stop code) or essential exit
//	     │        (EssentialContainerExited)
//	DEACTIVATING
//	     │
//	STOPPING      stop in reverse dependency order: SIGTERM, SIGKILL after stopTimeout
//	     │
//	DEPROVISIONING remove the pause container
//	     │
//	STOPPED       containers are kept for inspection until Runner.Cleanup
//
// Container status: PENDING → RUNNING → STOPPED (exit code; reason for OOM,
// kills by a signal the agent did not send, containers removed behind its
// back, and start failures). Task health aggregates the essential
// containers: UNHEALTHY > UNKNOWN > HEALTHY.
//
// Choices where ECS leaves room:
//   - all containers exited without an essential one (impossible after
//     validation) stops the task with no stop code and reason
//     "All containers exited";
//   - a dependency's COMPLETE/SUCCESS/HEALTHY wait times out after the
//     dependency's startTimeout (Config.StartTimeoutDefault if unset) from
//     the dependency's start, as the ECS agent measures it;
//   - task-level cpu/memory cap every container (see containerSpec);
//   - task-scoped volumes outlive STOPPED together with the containers that
//     mount them and are removed by Cleanup;
//   - awslogs: stream <prefix>/<container>/<task id>, or the container ID
//     without a prefix; an adopted container is captured from
//     adoptedCaptureOverlap before the adoption (possible duplicates in that
//     window, lines written while no agent ran before it are lost).
package taskrun
