// Package buildspec owns the buildspec.yml file of a build: parsing and
// validating it (Parse), running its phases in one long-lived shell on the
// host as CodeBuild does (Run), and selecting and zipping its artifacts
// (CollectArtifacts, Zip).
//
// The build lifecycle Run walks through (default transitions, no on-failure):
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
// build TIMED_OUT or STOPPED.
//
// Parse errors read as CodeBuild words them: "YAML_FILE_ERROR Message: ...
// at line N".
package buildspec
