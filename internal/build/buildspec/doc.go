// Package buildspec owns the buildspec.yml file of a build: parsing and
// validating it (Parse, ParseFile), running its phases in one long-lived
// shell as CodeBuild does (Run), and selecting and zipping its artifacts
// (CollectArtifacts, Zip).
//
// The build lifecycle Run walks through (default transitions, no
// on-failure). SUBMITTED, QUEUED and PROVISIONING come before it and are
// the caller's: it reports them and prepends them to Result.Phases.
//
//	DOWNLOAD_SOURCE ──fail──────────────────────────────────────┐
//	      │ ok                                                  │
//	   INSTALL ──────fail───────────────────────────────────────┤
//	      │ ok                                                  │
//	  PRE_BUILD ─────fail───────────────────────────────────────┤
//	      │ ok                                                  │
//	    BUILD ───────ok or fail──┐                              │
//	                             ▼                              │
//	                        POST_BUILD ──ok or fail──┐          │
//	                                                 ▼          ▼
//	                                       UPLOAD_ARTIFACTS → FINALIZING → COMPLETED
//
// on-failure: CONTINUE moves on to the next phase whatever failed;
// on-failure: ABORT goes straight to FINALIZING. A timeout or a cancelled
// context kills the shell's process group and goes to FINALIZING with the
// build TIMED_OUT or STOPPED. RunOptions.OnPhase sees each phase start
// (IN_PROGRESS) and end.
//
// DOWNLOAD_SOURCE first calls RunOptions.Prepare, where the caller
// downloads the source and loads the buildspec from it (so Run's spec may
// be nil); a buildspec that does not parse fails the phase with
// YAML_FILE_ERROR, any other error with CLIENT_ERROR. It then resolves
// secrets, starts the shell and restores the cache. UPLOAD_ARTIFACTS
// evaluates artifacts.name in the build's shell, with its variables,
// before collecting the files. FINALIZING saves the cache, if the build
// reached BUILD and was not interrupted, then kills what is left.
//
// The shell runs on the host, or in the build's container when
// RunOptions.ShellCommand makes it (`docker exec -i …`). In a container:
// the shell is looked up in the image; the scratch directory
// (RunOptions.ScratchDir), the source directory and the cache directory
// must be mounted at the same paths as on the host, which reads and
// writes them; run-as is the container's user (docker exec -u); killing
// the build kills the docker exec client only, so the caller removes the
// container. The shell protocol is plain POSIX sh: bash, dash and busybox
// ash all run it.
//
// cache.paths (LOCAL_CUSTOM_CACHE) caches, in RunOptions.CacheDir, the
// directory before each path's first wildcard: absolute ones under
// absolute/, ones relative to the source under source/. The build's shell
// does the work, so that in a container it lands in the container. A
// directory of the source tree that the source did not bring is moved in
// at the end of DOWNLOAD_SOURCE and moved back in FINALIZING: a rename,
// where a copy of a Go build cache costs seconds per build. Like
// CodeBuild's symlinked local cache, what the build does to it stays, also
// when it fails before BUILD; unlike it, a second build of the project
// running at the same time starts without the cache instead of writing
// into the first one's. Absolute directories (on LINUX_HOST, the host's
// own) and directories the source brought are copied (cp -a, merging),
// and saved as a copy beside the kept one, then renamed. Cache failures
// are warnings, never build failures.
//
// Parse errors read as CodeBuild words them: "YAML_FILE_ERROR Message: ...
// at line N".
package buildspec
