// Package registry is wharf's embedded image registry: an OCI distribution
// registry built on github.com/distribution/distribution/v3 with
// filesystem storage under <data-dir>/registry, plus what ECR adds on top
// of it and what the library leaves out of the OCI distribution spec.
//
// It owns:
//
//   - the /v2/ HTTP handler (Registry.ServeHTTP): the library's app behind
//     wharf's front door, which authenticates (ECR tokens, the agent
//     token), refuses pushes to repositories that do not exist (or creates
//     them when configured to), enforces tag immutability, serves the
//     referrers API, sets OCI-Subject, accepts sha512 manifests and
//     applies ?tag= parameters;
//   - ECR repository metadata (tag mutability, scanning configuration,
//     tags, lifecycle policies), kept as one JSON file per repository;
//   - the image view ECR's DescribeImages/ListImages/BatchGetImage need;
//   - lifecycle policy evaluation (a pure function) and enforcement;
//   - online garbage collection of unreferenced blobs.
//
// Wire types stay in internal/api/ecr; this package speaks Go types and
// returns sentinel errors (ErrRepositoryNotFound, ...).
package registry
