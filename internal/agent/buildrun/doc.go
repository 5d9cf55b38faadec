// Package buildrun is the agent side of wharf's build service (CodeBuild):
// it runs the builds the server placed on this container instance and
// reports what they do.
//
// For each build it
//
//   - closes QUEUED and runs PROVISIONING: a private workspace under the
//     agent's data directory and, for container environments, a build
//     container from environment.image (on the host network, with the
//     workspace mounted at the same path and, in privileged mode, the host's
//     Docker socket, so `docker build` and `docker push` work);
//   - hands the rest to internal/build/buildspec: DOWNLOAD_SOURCE fetches the
//     source (internal/build/source) and loads the buildspec, then the
//     phases run in one shell, on the host for LINUX_HOST or through
//     `docker exec` in the build container;
//   - ships every log line to the logs store (group /aws/codebuild/PROJECT,
//     stream UUID), uploads artifacts to the server's artifact store and
//     reports every phase change;
//   - removes the container and the workspace at the end.
//
// A StopBuild reaches the agent as StopRequested: the build's context is
// cancelled, the runner kills the shell and the container is removed, so
// nothing the build started keeps running. A build found IN_PROGRESS that
// this agent does not run (the agent restarted under it) is reported as
// FAULT: its shell died with the old agent process.
package buildrun
