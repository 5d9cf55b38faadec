// Package codebuild serves the AWS CodeBuild API (AWS JSON 1.1, target
// prefix CodeBuild_20161006) over the build projects and builds in
// internal/state: CreateProject, UpdateProject, DeleteProject,
// BatchGetProjects, ListProjects, StartBuild, StopBuild, RetryBuild,
// BatchGetBuilds, ListBuilds, ListBuildsForProject and BatchDeleteBuilds.
// Every other CodeBuild operation answers that it is not implemented.
//
// The handlers only validate and write desired state: StartBuild stores a
// model.Build (the project's settings with the request's overrides applied)
// with its first model.BuildState, and places it on a container instance
// with internal/build/placement when one is eligible; otherwise the build
// waits in QUEUED for the queue controller. The agent that runs a build
// writes its later states; BatchGetBuilds reports them.
//
// Differences from AWS:
//   - environment.type (and environmentTypeOverride) also accepts
//     LINUX_HOST, a wharf extension: the commands run in a workspace on the
//     agent host without a container.
//   - Secondary sources are refused (InvalidInputException); VPC configs,
//     file system locations, badges, encryption keys, source auth, build
//     status reporting, fleets, registry credentials, S3 logs and batch
//     build settings are accepted and ignored.
//   - gitCloneDepthOverride 0 cannot be told from "absent", so it does not
//     override a project's depth.
//   - Builds are initiated by "root" (wharf has no IAM users).
//   - A project's concurrentBuildLimit refuses StartBuild with
//     AccountLimitExceededException while that many of its builds are not
//     complete.
//   - RetryBuild needs the id of the build to retry; with only an
//     idempotencyToken it answers the build that token started in the
//     last five minutes, or InvalidInputException.
//   - ListProjects sorts by NAME, ASCENDING, unless told otherwise;
//     ListBuilds and ListBuildsForProject list the newest build first
//     unless sortOrder is ASCENDING.
//   - A reused idempotencyToken with different parameters answers
//     IdempotentParameterMismatchException, which the CodeBuild API model
//     does not declare (SDKs see a generic API error with that code).
//     "Different" means the resulting build settings differ.
//   - BatchDeleteBuilds reports an unknown build id in buildsNotDeleted
//     with statusCode BUILD_NOT_FOUND, and a build not yet complete with
//     BUILD_IN_PROGRESS.
//   - Build logs name a CloudWatch Logs group and stream in wharf's own log
//     store; logs.deepLink is empty (there is no console URL to point at).
package codebuild
