// Package tasks creates ECS tasks: it computes what a task reserves on a
// container instance, builds the placement snapshot of a cluster from the
// state, asks the scheduler for a plan and commits the placed tasks in one
// transaction (retrying when a concurrent placement won). RunTask, StartTask
// and the service controller all launch tasks through it.
//
// It also owns the derived views of the task state that several callers
// need: what each instance has reserved, and the cluster's task counters.
package tasks
