// Package codecommit serves the AWS CodeCommit API (AWS JSON 1.1,
// CodeCommit_20150413) over wharf's hosted git repositories
// (internal/gitrepo): repositories, branches and commits. Wire shapes come
// from ccwire; this package validates, converts and maps gitrepo errors to
// CodeCommit exceptions.
//
// Implemented: CreateRepository, GetRepository, BatchGetRepositories,
// ListRepositories, DeleteRepository, UpdateRepositoryDescription,
// GetBranch, ListBranches, CreateBranch, DeleteBranch,
// UpdateDefaultBranch and GetCommit. Other operations answer
// UnknownOperationException naming them as not implemented yet.
//
// What differs from AWS: cloneUrlHttp is the wharf server's base URL +
// /git/NAME (served by gitrepo's smart-HTTP handler); there is no SSH
// endpoint, so cloneUrlSsh is empty. kmsKeyId and tags are accepted and
// ignored (repositories are not encrypted beyond the disk they live on).
// The model's constraint failures are answered with the exception
// CodeCommit itself uses for the field (RepositoryNameRequiredException,
// InvalidRepositoryNameException, ...), not a generic validation error.
package codecommit
