package gitsource

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// writeZip writes the tree of commit c as a zip, the way `git archive
// --format=zip` lays it out: one entry per file, no .git, no directories,
// regular files 0644, executables 0755, symlinks as links whose content
// is their target; submodules are left out. Entries are sorted by path
// and carry the commit time, so a commit always gives the same bytes.
func writeZip(w io.Writer, c *object.Commit) error {
	tree, err := c.Tree()
	if err != nil {
		return fmt.Errorf("tree of %s: %w", c.Hash, err)
	}
	var files []*object.File
	if err := tree.Files().ForEach(func(f *object.File) error {
		files = append(files, f)
		return nil
	}); err != nil {
		return fmt.Errorf("listing the tree of %s: %w", c.Hash, err)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })

	zw := zip.NewWriter(w)
	modified := c.Committer.When.UTC()
	for _, f := range files {
		h := &zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: modified}
		switch f.Mode {
		case filemode.Executable:
			h.SetMode(0o755)
		case filemode.Symlink:
			h.SetMode(os.ModeSymlink | 0o777)
			h.Method = zip.Store
		default:
			h.SetMode(0o644)
		}
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		r, err := f.Blob.Reader()
		if err != nil {
			return fmt.Errorf("reading %s: %w", f.Name, err)
		}
		_, err = io.Copy(fw, r)
		r.Close()
		if err != nil {
			return fmt.Errorf("zipping %s: %w", f.Name, err)
		}
	}
	return zw.Close()
}
