// Package source owns the DOWNLOAD_SOURCE phase of a build: it puts the
// source a CodeBuild project names (ProjectSource plus the build's
// sourceVersion) into a directory on the build host, and reports the
// commit it checked out (CODEBUILD_RESOLVED_SOURCE_VERSION) and the
// repository URL (CODEBUILD_SOURCE_REPO_URL).
//
// By source type:
//
//   - NO_SOURCE: the directory is created empty.
//   - CODECOMMIT, GITHUB, GITHUB_ENTERPRISE, GITLAB, GITLAB_SELF_MANAGED,
//     BITBUCKET, and any location that looks like a git URL: a git clone
//     made with go-git (http, https, git://, file:// and absolute paths;
//     no ssh). The sourceVersion may be a commit id (abbreviated to 7+ hex
//     digits too), a branch, a tag, a full ref, pr/N, or CodeBuild's
//     webhook form ref^{commit}; "" is the default branch. dest is left as
//     git clone leaves it (origin, remote-tracking branches, tags), with
//     the working tree checked out and HEAD detached at the commit.
//     GitCloneDepth > 0 makes a shallow single-ref clone, redone in full
//     when the commit is older than the shallow history.
//   - S3 (a wharf extension, as wharf has no S3): the location is a host
//     path, a directory that is copied or a .zip/.tar/.tar.gz archive that
//     is extracted.
//   - CODEPIPELINE: the location is the input artifact (a zip) from the
//     pipeline artifact store, extracted like an S3 archive.
//
// With Options.CacheDir set (CodeBuild's LOCAL_SOURCE_CACHE), each remote
// git location gets one bare repository in the cache directory, named by
// a hash of the URL. A fetch updates it with the new objects only and then
// clones from it locally: a full clone copies its pack files, a shallow
// one packs just the history wanted. An flock per location serialises
// concurrent fetches of that location across goroutines and processes.
// Local repositories are read in place, the same way, and never cached.
//
// Archive extraction and directory copies write through an os.Root opened
// on the destination, so no archive entry, symlink or hard link can write
// outside it; entries named outside it (zip-slip) are rejected with an
// error naming them. Symlinks are recreated as they are and never
// followed.
package source
