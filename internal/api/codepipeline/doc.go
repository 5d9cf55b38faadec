// Package codepipeline serves the AWS CodePipeline API (AWS JSON 1.1,
// target prefix CodePipeline_20150709) over the pipelines and executions
// in internal/state: CreatePipeline, GetPipeline, UpdatePipeline,
// DeletePipeline, ListPipelines, StartPipelineExecution,
// StopPipelineExecution, GetPipelineExecution, ListPipelineExecutions,
// GetPipelineState, ListActionExecutions, PutApprovalResult,
// RetryStageExecution, EnableStageTransition, DisableStageTransition,
// TagResource, UntagResource and ListTagsForResource. Every other
// CodePipeline operation answers that it is not implemented.
//
// The handlers only validate and write desired state. Declarations are
// converted and checked by internal/pipeline/declare; executions are
// created by the pipeline engine (the Starter), which alone moves them
// through their stages. StopPipelineExecution, PutApprovalResult,
// RetryStageExecution and the transition operations set the flags the
// engine acts on (StopRequested, an approval's ApprovalStatus, a reset
// stage, Pipeline.Transitions).
//
// Differences from AWS:
//   - Only the action types wharf runs are accepted: CodeCommit sources,
//     CodeBuild build and test actions, manual approvals and ECS (rolling)
//     deploys. V2 triggers may name a CodeCommit source action. Blockers,
//     stage conditions (beforeEntry, onSuccess, onFailure conditions),
//     Commands actions, pull request triggers and cross-region artifact
//     stores (more than one entry in artifactStores) are refused; an
//     artifact store's encryptionKey is accepted and dropped. roleArn is
//     stored and not used.
//   - A manual approval without timeoutInMinutes is stored (and returned by
//     GetPipeline) with the default, 10080.
//   - The trigger detail of an execution and a transition's lastChangedBy
//     are the account's root ARN (wharf has no IAM users).
//   - A stage's Outbound transition is the next stage's Inbound one: wharf
//     keeps one door between two stages, shown as the later stage's
//     inboundTransitionState. The first stage has no Inbound transition
//     (ValidationException), the last none Outbound.
//   - An execution asked to stop shows Stopping until the engine stops it.
//   - RetryStageExecution forgets the runs it retries: ListActionExecutions
//     shows each action's latest run only. The retry count appears as
//     retryStageMetadata.manualStageRetryAttempt.
//   - Stopping or retrying an execution id the pipeline does not have
//     answers the operation's own exception (PipelineExecutionNotStoppable,
//     StageNotRetryable) rather than PipelineExecutionNotFoundException,
//     which those operations do not declare.
//   - ListActionExecutions ignores filter.latestInPipelineExecution; its
//     artifacts' s3location names the pipeline's artifact store location as
//     the bucket and the artifact's key in wharf's artifact store.
//   - Rollback (RollbackStage), webhooks, custom action types and job
//     workers are not implemented.
package codepipeline
