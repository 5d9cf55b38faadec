package source

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// errCommitNotFound: the wanted commit is not (yet) in the repository.
var errCommitNotFound = errors.New("commit not found")

// findCommit returns the commit t names in s, peeling annotated tags.
// localRef is where t.ref is stored in s. It returns errCommitNotFound
// when the commit is missing, so the caller can fetch more history.
func findCommit(s storage.Storer, t target, localRef plumbing.ReferenceName) (plumbing.Hash, error) {
	switch {
	case t.commit == "":
		r, err := storer.ResolveReference(s, localRef)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("%w: ref %s: %v", errCommitNotFound, localRef, err)
		}
		c, _, err := peel(s, r.Hash())
		return c, err
	case len(t.commit) == 40:
		c, _, err := peel(s, plumbing.NewHash(t.commit))
		return c, err
	}
	// An abbreviated id: scan the commits. Fine for the repository sizes
	// of a build; git does the same through its pack indexes.
	iter, err := s.IterEncodedObjects(plumbing.CommitObject)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	defer iter.Close()
	var found []plumbing.Hash
	err = iter.ForEach(func(o plumbing.EncodedObject) error {
		if strings.HasPrefix(o.Hash().String(), t.commit) {
			found = append(found, o.Hash())
		}
		return nil
	})
	switch {
	case err != nil:
		return plumbing.ZeroHash, err
	case len(found) == 0:
		return plumbing.ZeroHash, errCommitNotFound
	case len(found) > 1:
		return plumbing.ZeroHash, fmt.Errorf("%w %s: the abbreviated commit id is ambiguous (%d commits)", ErrInvalidVersion, t.commit, len(found))
	}
	return found[0], nil
}

// peel follows annotated tags from h to a commit. It returns the commit
// and the tag objects passed on the way.
func peel(s storer.EncodedObjectStorer, h plumbing.Hash) (plumbing.Hash, []plumbing.Hash, error) {
	var tags []plumbing.Hash
	for range 10 {
		o, err := s.EncodedObject(plumbing.AnyObject, h)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			return plumbing.ZeroHash, nil, errCommitNotFound
		}
		if err != nil {
			return plumbing.ZeroHash, nil, err
		}
		switch o.Type() {
		case plumbing.CommitObject:
			return h, tags, nil
		case plumbing.TagObject:
			tag, err := object.DecodeTag(s, o)
			if err != nil {
				return plumbing.ZeroHash, nil, err
			}
			tags = append(tags, h)
			h = tag.Target
		default:
			return plumbing.ZeroHash, nil, fmt.Errorf("%w %s: object is a %s, not a commit", ErrInvalidVersion, h, o.Type())
		}
	}
	return plumbing.ZeroHash, nil, fmt.Errorf("%w %s: tag chain too long", ErrInvalidVersion, h)
}

// objectsDir returns the objects directory of a repository storage whose
// objects can be copied as files: on disk, and with no alternates.
func objectsDir(s storage.Storer) (string, bool) {
	fs, ok := s.(*filesystem.Storage)
	if !ok {
		return "", false
	}
	dir := filepath.Join(fs.Filesystem().Root(), "objects")
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return "", false
	}
	if _, err := os.Lstat(filepath.Join(dir, "info", "alternates")); err == nil {
		return "", false
	}
	return dir, true
}

// copyHistory copies commit c with its trees and blobs, and its history
// down to depth commits (0: all), from src into dst as one packfile,
// together with the objects in extra (annotated tags). Submodule commits
// are not copied. It returns the shallow boundary: copied commits whose
// parents were left out.
func copyHistory(ctx context.Context, src storage.Storer, dst storage.Storer, c plumbing.Hash, extra []plumbing.Hash, depth int) ([]plumbing.Hash, error) {
	srcShallow := map[plumbing.Hash]bool{}
	if sh, err := src.Shallow(); err == nil {
		for _, h := range sh {
			srcShallow[h] = true
		}
	}
	w := &historyWalk{ctx: ctx, src: src, seen: map[plumbing.Hash]bool{}}
	w.objs = append(w.objs, extra...)
	type item struct {
		h     plumbing.Hash
		level int
	}
	queue := []item{{c, 1}}
	w.seen[c] = true
	var shallow []plumbing.Hash
	for len(queue) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		it := queue[0]
		queue = queue[1:]
		commit, err := object.GetCommit(src, it.h)
		if err != nil {
			return nil, fmt.Errorf("reading commit %s: %w", it.h, err)
		}
		w.objs = append(w.objs, it.h)
		if err := w.tree(commit.TreeHash); err != nil {
			return nil, err
		}
		if len(commit.ParentHashes) == 0 {
			continue
		}
		if srcShallow[it.h] || depth > 0 && it.level >= depth {
			shallow = append(shallow, it.h)
			continue
		}
		for _, p := range commit.ParentHashes {
			if !w.seen[p] {
				w.seen[p] = true
				queue = append(queue, item{p, it.level + 1})
			}
		}
	}
	if err := writePack(src, dst, w.objs, depth > 0); err != nil {
		return nil, err
	}
	return shallow, nil
}

// historyWalk collects the objects to copy.
type historyWalk struct {
	ctx  context.Context
	src  storer.EncodedObjectStorer
	seen map[plumbing.Hash]bool
	objs []plumbing.Hash
}

func (w *historyWalk) tree(h plumbing.Hash) error {
	if w.seen[h] {
		return nil
	}
	w.seen[h] = true
	w.objs = append(w.objs, h)
	t, err := object.GetTree(w.src, h)
	if err != nil {
		return fmt.Errorf("reading tree %s: %w", h, err)
	}
	for _, e := range t.Entries {
		switch e.Mode {
		case filemode.Submodule: // a commit of another repository
		case filemode.Dir:
			if err := w.tree(e.Hash); err != nil {
				return err
			}
		default:
			if !w.seen[e.Hash] {
				w.seen[e.Hash] = true
				w.objs = append(w.objs, e.Hash)
			}
		}
	}
	return nil
}

// deltaWindowMaxObjects bounds the packs copyHistory delta-compresses:
// go-git's delta search is slow on large object sets, and a local copy
// trades disk for time.
const deltaWindowMaxObjects = 20000

// writePack writes the objects hashes of src into dst as one packfile,
// delta-compressed unless shallow (one snapshot has few deltas to find) or
// large.
func writePack(src storer.EncodedObjectStorer, dst storage.Storer, hashes []plumbing.Hash, shallow bool) error {
	if len(hashes) == 0 {
		return nil
	}
	pw, ok := dst.(storer.PackfileWriter)
	if !ok {
		return errors.New("destination repository storage cannot write packfiles")
	}
	wc, err := pw.PackfileWriter()
	if err != nil {
		return err
	}
	var window uint = 10
	if shallow || len(hashes) > deltaWindowMaxObjects {
		window = 0
	}
	if _, err := packfile.NewEncoder(wc, src, false).Encode(hashes, window); err != nil {
		wc.Close()
		return fmt.Errorf("writing packfile: %w", err)
	}
	return wc.Close()
}
