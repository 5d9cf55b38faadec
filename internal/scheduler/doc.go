// Package scheduler decides where ECS tasks run on EC2/EXTERNAL container
// instances. It owns:
//
//   - the placement pipeline (filter → rank → pick, see place.go) that turns a
//     cluster [Snapshot] and a [TaskRequest] into a [Plan] of placements and
//     ECS-style failures;
//   - the placement strategies (random, spread, binpack) and constraints
//     (distinctInstance, memberOf) and their validation, worded like ECS's
//     InvalidParameterException messages ([Validate]);
//   - the cluster query language used by memberOf, task-definition constraints
//     and ListContainerInstances filters ([ParseExpression], [Expr.Match]).
//
// Everything here is a pure function of its inputs: no clock, no I/O, no
// imports of other wharf packages. Callers convert their domain objects into
// [Instance] and [TaskRequest], call [Place] (or [Snapshot.Place] and
// [Snapshot.Apply] when placing many batches against one snapshot), and apply
// the resulting plan themselves. Given the same inputs and the same rng seed a
// plan is reproducible.
package scheduler
