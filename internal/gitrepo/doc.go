// Package gitrepo hosts wharf's git repositories, the CodeCommit half of
// wharf: bare repositories under a root directory (the server's data
// directory + "/git"), their metadata, their branches and commits, and
// git's smart HTTP protocol so that the stock git client clones from and
// pushes to http://SERVER/git/NAME.
//
// # Layout
//
//	ROOT/NAME.git/                       bare repository
//	ROOT/NAME.git/wharf-repository.json  name, id, description, times, default branch
//
// The metadata lives inside the repository directory so that creating and
// deleting a repository are each one rename: Create builds the repository
// in ROOT/.tmp-* and renames it into place, Delete renames it to
// ROOT/.trash-* before removing it. Metadata is replaced atomically
// (fsutil.WriteFileAtomic). Git itself is the source of truth for refs.
//
// # Why git http-backend
//
// The HTTP handler runs `git http-backend` (the CGI program every git
// hosting setup from Apache to cgit uses) through net/http/cgi, rather
// than go-git's server-side transport. http-backend is git's own
// implementation of upload-pack and receive-pack, so whatever the stock
// client sends works: protocol v0 and v2, shallow and partial clones
// (--depth, --filter, --unshallow), gzip-compressed requests, atomic and
// force pushes, branch and tag deletion, thin packs, side-band progress
// and per-ref rejections. go-git's server lacks protocol v2 and several
// of these capabilities, and its failures would surface as hard-to-debug
// client errors. The price is a runtime dependency on the git executable
// (WithGit names it; without it Create fails and the handler answers
// 500). The handler adds what CGI lacks: chunked request bodies (git
// streams packs over 1 MiB that way) are spooled to a temporary file so
// that http-backend gets a Content-Length; missing repositories answer
// 404 with a plain-text message git shows as "remote: ..."; an optional
// Authorize hook answers 401 with a Basic challenge.
//
// # Push events
//
// Refs change only in receive-pack (and in CreateBranch/DeleteBranch).
// Those run under a per-repository lock; the refs are listed before and
// after, and every ref that differs yields exactly one PushEvent (Old or
// New is ZeroID for a created or deleted ref), delivered to the OnPush
// hooks after the lock is released and before the git client's request
// completes. Rejected refs of a partly failed push yield no event. The
// first branch pushed to an empty repository becomes its default branch
// (main or master when pushed together with others) and HEAD follows it;
// git refuses pushes that delete the default branch, like CodeCommit.
//
// Other processes must not write to ROOT: the events rely on every ref
// update passing through this package.
package gitrepo
