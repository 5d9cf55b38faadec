// Package ecsdeploy is the Deploy/AWS/ECS pipeline action: CodePipeline's
// "ECS (standard)" rolling deploy, driven through wharf's own ECS API with
// the real SDK client, so that it goes through the same validation and
// bookkeeping as any other caller.
//
// Configuration keys, as CodePipeline spells them:
//
//	ClusterName        required
//	ServiceName        required
//	FileName           image definitions file, default imagedefinitions.json
//	DeploymentTimeout  minutes, 1 to 60, default 60
//
// # Start
//
//  1. Read FileName from the root of the single input artifact (a zip):
//     UTF-8, at most 100 KB, a JSON array of {"name", "imageUri"}.
//  2. DescribeServices → the service's current task definition (the one
//     its PRIMARY deployment runs; revisions registered without updating
//     the service are ignored, as in AWS); DescribeTaskDefinition with its
//     tags.
//  3. Copy every registrable field of that definition into a new
//     revision of the same family, replacing the image of each container
//     the file names. A name the definition does not have fails the
//     action; containers the file does not name keep their image.
//  4. RegisterTaskDefinition, then UpdateService to the new revision. The
//     deployment configuration (percentages, circuit breaker) is the
//     service's own.
//  5. The new PRIMARY deployment's id is the action's external id.
//
// # Poll
//
// Poll describes the service and looks at that deployment:
//
//	rolloutState COMPLETED                 → Succeeded
//	rolloutState FAILED                    → Failed at once, with ECS's reason
//	no longer PRIMARY, or gone             → Failed at once ("rolled back")
//	service missing or not ACTIVE          → Failed
//	DeploymentTimeout since the run began  → Failed, TimeoutError
//	otherwise                              → InProgress, with task counts
//
// This improves on AWS, whose action waited for its timeout when the
// circuit breaker had failed and rolled back the deployment
// (aws/containers-roadmap#1399). A timed-out action does not roll the
// service back; the deployment carries on under the service's own rules.
//
// # Idempotency
//
// Start is not repeated once the engine recorded the deployment id. For a
// crash between UpdateService and that record, every registered revision
// carries the tag MarkerTag = the action execution's id; a repeated Start
// that finds its own revision in use by the service adopts the PRIMARY
// deployment instead of registering and deploying again. (A crash between
// RegisterTaskDefinition and UpdateService leaves an unused revision.)
//
// # Errors
//
// Problems a user must fix fail the action: JobFailed with a message in
// CodePipeline's words for the image definitions file and ECS's message
// for a rejected call; ConfigurationError for the configuration. Transient
// failures (ECS unreachable, server faults) are returned as errors for the
// engine to retry, until the deployment timeout has passed.
package ecsdeploy
