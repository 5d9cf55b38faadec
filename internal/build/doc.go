// Package build is the home of wharf's CodeBuild-compatible build service.
// The API is internal/api/codebuild, the agent side internal/agent/buildrun,
// the queue internal/controller/buildqueue; these sub-packages hold the
// parts that know nothing of agents or the API.
//
// Sub-packages:
//
//   - buildspec: parses and validates buildspec.yml (versions 0.1 and 0.2)
//     and runs its phases in one shell, on the host or through a caller's
//     command (docker exec), with CodeBuild's phase transition rules, log
//     lines, exported variables, caches and artifacts.
//   - source: fetches a build's source: git by URL (go-git), local
//     directories and archives (wharf's stand-in for S3), pipeline artifacts.
//   - placement: picks the container instance a build runs on.
package build
