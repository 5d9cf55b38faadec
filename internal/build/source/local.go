package source

import (
	"context"
	"fmt"
	"os"
)

// fetchLocal fetches an S3 or CODEPIPELINE source: a host directory is
// copied, a .zip, .tar or .tar.gz file is extracted into dest.
func fetchLocal(ctx context.Context, typ string, s Spec, dest string, opts Options) (Result, error) {
	res := Result{RepoURL: s.Location}
	p, err := localSourcePath(typ, s.Location, opts.S3Root)
	if err != nil {
		return res, err
	}
	opts.Log("Source is located at " + p)
	if s.Version != "" && typ == TypeS3 {
		opts.Log("Ignoring source version " + s.Version + ": wharf's local S3 stand-in has no object versions")
	}
	st, err := os.Stat(p) // the location itself may be a symlink
	if err != nil {
		return res, fmt.Errorf("%s source location %s: %w", typ, s.Location, err)
	}
	switch {
	case st.IsDir():
		opts.Log("Copying directory " + p)
		n, err := copyTree(ctx, p, dest, opts.Log)
		if err != nil {
			return res, err
		}
		opts.Log(fmt.Sprintf("Copied %d entries", n))
	case st.Mode().IsRegular():
		opts.Log("Extracting archive " + p)
		n, err := extractFile(ctx, p, dest, opts.Log)
		if err != nil {
			return res, err
		}
		opts.Log(fmt.Sprintf("Extracted %d entries", n))
	default:
		return res, kindf(ErrUnsupported, "%s source location %s is neither a directory nor an archive file", typ, s.Location)
	}
	return res, nil
}
