// Package codecommit is the Source/AWS/CodeCommit pipeline action over
// wharf's hosted git repositories (internal/gitrepo).
//
// The action takes the commit the execution pinned for it
// (PipelineExecution.SourceRevisions, set from the triggering push), or,
// when nothing is pinned, the head of the configured branch at the moment
// it starts. It writes the tree of that commit as a zip (`git archive
// --format=zip`, no .git directory) to the artifact store under
// ARTIFACT_PREFIX/OUTPUT_ARTIFACT.zip and finishes at once; there is no
// job to poll.
//
// Configuration keys, as CodePipeline spells them:
//
//	RepositoryName        required
//	BranchName            required
//	OutputArtifactFormat  CODE_ZIP (default) or CODEBUILD_CLONE_REF
//	PollForSourceChanges  ignored here (triggers belong to the engine)
//
// CODEBUILD_CLONE_REF is accepted but produces the same zip as CODE_ZIP:
// in AWS it hands CodeBuild a reference to clone (with full git history),
// which wharf's CodeBuild does not consume. Builds that run git commands
// on the source therefore see no .git directory.
//
// Output variables are CodePipeline's: AuthorDate, BranchName, CommitId,
// CommitMessage, CommitterDate, RepositoryName, with dates in ISO 8601
// UTC (2026-11-26T10:00:00Z). The action's revision is the commit id and
// its revision summary the commit message.
//
// Failures a user can fix (missing repository, branch or pinned commit,
// bad configuration) end the action with a message; anything else (git
// failing, the artifact store failing) is returned as an error, so the
// engine calls Start again.
package codecommit
