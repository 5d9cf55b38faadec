// Package gitsource is the Source/AWS/CodeStarSourceConnection pipeline
// action over git repositories outside wharf: GitHub, GitLab, Bitbucket,
// Gitea, or a repository on the server's disk.
//
// In AWS the action reaches the repository through a connection
// (ConnectionArn) and names it owner/repo. wharf has no connections
// service, so, as a wharf extension, FullRepositoryId is where the
// repository is fetched from:
//
//	https://git.example.com/acme/web.git      (http works too)
//	https://user:token@github.com/acme/web.git  private: credentials in the URL
//	file:///srv/git/web.git
//	/srv/git/web.git                           an absolute path on the server
//
// An owner/repo FullRepositoryId fails the action with a
// ConfigurationError asking for a URL; ssh URLs are not supported.
// ConnectionArn is required (as in AWS) but may be anything: it is only
// echoed in the ConnectionArn output variable. Credentials never appear
// in output variables, messages or trigger details.
//
// Configuration keys, as CodePipeline spells them:
//
//	ConnectionArn         required, any value
//	FullRepositoryId      required: a URL or path, see above
//	BranchName            required
//	OutputArtifactFormat  CODE_ZIP (default) or CODEBUILD_CLONE_REF
//	DetectChanges         "true" (default) or "false": whether the engine
//	                      polls the branch (pipeline.Engine.PollSources)
//
// CODEBUILD_CLONE_REF is accepted but produces the same zip as CODE_ZIP:
// in AWS it hands CodeBuild a reference to clone (with full git history),
// which wharf's CodeBuild does not consume. Builds that run git commands
// on the source therefore see no .git directory.
//
// The action takes the commit the execution pinned for it
// (PipelineExecution.SourceRevisions: set by source polling, or by
// StartPipelineExecution's sourceRevisions), else the one an earlier Start
// of the same run recorded, else the head of BranchName when it starts
// (git ls-remote, or the ref read in place for a local repository). It
// fetches that commit with internal/build/source (shallow when it is the
// branch tip), writes its tree as a zip to the artifact store under
// ARTIFACT_PREFIX/OUTPUT_ARTIFACT.zip and finishes at once; there is no
// job to poll. The zip holds the files of the commit without .git, sorted
// by path, with their modes (0644, 0755, symlinks), stamped with the
// commit time: the same commit always gives the same bytes.
//
// Output variables are CodePipeline's for this provider: AuthorDate,
// BranchName, CommitId, CommitMessage (at most 100 KB), ConnectionArn,
// FullRepositoryName. FullRepositoryName is the FullRepositoryId as
// configured, without credentials. AuthorDate is ISO 8601 UTC
// (2026-11-26T10:00:00Z). The action's revision is the commit id and its
// revision summary the commit message; its external URL is the
// repository's URL for http(s) repositories.
//
// Failures a user can fix end the action: an unreachable or missing
// repository, a missing branch, an owner/repo name or bad configuration
// with ConfigurationError; a pinned commit the repository does not have,
// or a fetch failing half way, with JobFailed. Only the artifact store
// failing (or the server shutting down) is returned as an error, so the
// engine calls Start again.
//
// Provider also implements pipeline.ChangeDetector: Head reads the
// branch head for the engine's source polling.
package gitsource
