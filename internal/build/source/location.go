package source

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// scpLike matches git's scp-like ssh syntax: user@host:path.
var scpLike = regexp.MustCompile(`^[A-Za-z0-9._~-]+@[A-Za-z0-9.-]+:`)

// isGitLocation reports whether a location of a non-git source type is a
// git repository all the same: an ssh or git:// URL, an scp-like address,
// or a path or URL ending in ".git". For an empty or unknown type any
// http(s) URL counts too.
func isGitLocation(typ, loc string) bool {
	if scpLike.MatchString(loc) && !strings.Contains(loc, "://") {
		return true
	}
	trimmed := strings.TrimSuffix(loc, "/")
	if strings.HasSuffix(trimmed, ".git") {
		return true
	}
	u, err := url.Parse(loc)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "ssh", "git", "git+ssh", "ssh+git":
		return true
	case "http", "https":
		return typ != TypeS3 && typ != TypeCodePipeline
	}
	return false
}

// gitEndpoint is a git location split into what go-git needs.
type gitEndpoint struct {
	url   string     // the location without credentials; RepoURL
	local string     // a local repository path, or ""
	auth  *BasicAuth // credentials taken from the URL, or nil
}

// parseGitLocation classifies a git location. Local paths must be
// absolute (or file:// URLs); ssh is not supported.
func parseGitLocation(loc string) (gitEndpoint, error) {
	if scpLike.MatchString(loc) && !strings.Contains(loc, "://") {
		return gitEndpoint{}, sshUnsupported(loc)
	}
	if filepath.IsAbs(loc) {
		return gitEndpoint{url: loc, local: filepath.Clean(loc)}, nil
	}
	u, err := url.Parse(loc)
	if err != nil {
		return gitEndpoint{}, kindf(ErrUnsupported, "git source location %q: %v", loc, err)
	}
	switch strings.ToLower(u.Scheme) {
	case "file":
		p, err := fileURLPath(u)
		if err != nil {
			return gitEndpoint{}, kindf(ErrUnsupported, "git source location %q: %v", loc, err)
		}
		return gitEndpoint{url: loc, local: p}, nil
	case "http", "https", "git":
		ep := gitEndpoint{url: loc}
		if u.User != nil {
			pw, _ := u.User.Password()
			ep.auth = &BasicAuth{Username: u.User.Username(), Password: pw}
			u.User = nil
			ep.url = u.String()
		}
		return ep, nil
	case "ssh", "git+ssh", "ssh+git":
		return gitEndpoint{}, sshUnsupported(loc)
	case "":
		return gitEndpoint{}, kindf(ErrUnsupported, "git source location %q is neither a URL nor an absolute path", loc)
	}
	return gitEndpoint{}, kindf(ErrUnsupported, "git source location %q: scheme %q", loc, u.Scheme)
}

func sshUnsupported(loc string) error {
	return kindf(ErrUnsupported, "git source location %s uses ssh, which wharf does not support; use an https URL with credentials", loc)
}

// localSourcePath turns an S3 or CODEPIPELINE location into an existing
// host path. Absolute paths and file:// URLs are taken as they are;
// "bucket/key" and "s3://bucket/key" are looked up under s3Root ("/" when
// empty) and must exist.
func localSourcePath(typ, loc, s3Root string) (string, error) {
	var p string
	switch {
	case strings.HasPrefix(loc, "file://"):
		u, err := url.Parse(loc)
		if err == nil {
			p, err = fileURLPath(u)
		}
		if err != nil {
			return "", kindf(ErrUnsupported, "%s source location %q: %v", typ, loc, err)
		}
	case filepath.IsAbs(loc):
		p = loc
	default:
		rel := filepath.FromSlash(strings.TrimPrefix(loc, "s3://"))
		if s3Root == "" {
			s3Root = string(filepath.Separator)
		}
		if filepath.IsLocal(rel) {
			cand := filepath.Join(s3Root, rel)
			if _, err := os.Lstat(cand); err == nil {
				return cand, nil
			}
		}
		return "", kindf(ErrNotFound, "%s source location %s is not a local path: wharf has no S3; use an absolute path to a directory or archive", typ, loc)
	}
	p = filepath.Clean(p)
	if _, err := os.Lstat(p); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", kindf(ErrNotFound, "%s source location %s does not exist", typ, loc)
		}
		return "", fmt.Errorf("%s source location %s: %w", typ, loc, err)
	}
	return p, nil
}

// fileURLPath is the local path of a file:// URL: file:///abs/path or
// file://localhost/abs/path.
func fileURLPath(u *url.URL) (string, error) {
	if (u.Host != "" && u.Host != "localhost") || !filepath.IsAbs(u.Path) {
		return "", errors.New("a file:// URL needs an absolute path (file:///path)")
	}
	return filepath.Clean(u.Path), nil
}
