// Package logcapture is the agent side of the awslogs log driver: it
// follows a container's output through the runtime and ships every line, as
// one event stamped with the runtime's timestamp, to the server's
// CloudWatch Logs API with PutLogEvents. stdout and stderr go to the same
// stream, as awslogs does.
//
//	runtime.Logs(follow) ──► follow ──► buffer (bounded, drops oldest)
//	                                       │
//	                                       ▼  every second, or when a batch is full
//	                                    ship ──► PutLogEvents (retries with backoff)
//
// Batches hold at most 10,000 events and 1 MiB (messages plus 26 bytes per
// event), span at most 24 hours and are chronological: a line stamped
// earlier than the one before it gets the earlier line's timestamp.
//
// Differences from ECS's awslogs driver:
//   - The log group is created when missing, whatever awslogs-create-group
//     says (ECS fails the task unless it is "true"): on wharf the group
//     lives on the same server, so creating it costs nothing and saves a
//     failed first deployment.
//   - While the server is unreachable, lines are kept in memory (up to
//     100,000 events per container) and the oldest are dropped beyond
//     that, with a count in the agent's log, instead of blocking the
//     container as Docker's blocking mode would.
//   - Empty lines are skipped: CloudWatch Logs rejects empty messages.
//   - Messages longer than 256 KiB minus 26 bytes are truncated.
package logcapture
