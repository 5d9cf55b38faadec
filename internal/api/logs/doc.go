// Package logsapi serves the CloudWatch Logs API (AWS JSON 1.1, target
// prefix Logs_20140328) over the log store of internal/logs: log groups,
// retention, log streams, PutLogEvents, GetLogEvents, FilterLogEvents and
// tags. It is what `aws logs tail --follow`, `aws logs get-log-events`, the
// SDK paginators and the agent's log capture talk to.
//
// Where wharf differs from CloudWatch Logs:
//
//   - Sequence tokens are ignored (as AWS does now) and never returned;
//     InvalidSequenceTokenException and DataAlreadyAcceptedException do not
//     occur.
//   - FilterLogEvents understands the unstructured filter syntax only:
//     terms, "quoted phrases", ?term, -term, and %regex% (Go RE2 syntax).
//     JSON ({ $.x = ... }) and space-delimited ([a, b]) patterns are
//     refused with InvalidParameterException.
//   - kmsKeyId, logGroupClass and deletionProtectionEnabled are accepted
//     and not kept: every group is STANDARD, unencrypted at rest beyond
//     what the host disk does, and deletable.
//   - Tokens: GetLogEvents tokens are "f/<timestamp>/<seq>" and
//     "b/<timestamp>/<seq>" positions in the stream; they do not expire.
//     When there is nothing further in a direction the token given is
//     returned unchanged, as AWS does, so that SDK paginators stop.
//     Listing tokens are opaque and bound to their operation.
//   - FilterLogEvents examines at most 100,000 events per call; a page may
//     then come back with fewer (or no) events and a nextToken, which AWS
//     does as well.
//   - Only log groups carry tags; TagResource on any other ARN answers
//     InvalidParameterException.
//
// The generated logswire shapes are used for requests. A few responses use
// local shapes (shapes.go) because the generated ones carry plain numbers
// that would always be sent: AWS leaves retentionInDays out for groups that
// never expire, the event timestamps out for empty streams and the
// rejected-event indexes out when nothing was rejected.
package logsapi
