package source

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Archive formats, told apart by their leading bytes rather than the file
// name: pipeline artifacts in the artifact store have no extension.
const (
	formatZip  = "zip"
	formatGzip = "gzip"
	formatTar  = "tar"
)

func sniffArchive(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return formatZip
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return formatGzip
	case len(head) >= 262 && string(head[257:262]) == "ustar":
		return formatTar
	}
	return ""
}

// extractFile extracts the zip, tar or gzip-compressed tar archive at path
// into dest and returns the number of entries written.
func extractFile(ctx context.Context, path, dest string, log func(string)) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	n, err := extractArchive(ctx, io.NewSectionReader(f, 0, st.Size()), dest, log)
	if err != nil {
		return n, fmt.Errorf("extracting %s: %w", path, err)
	}
	return n, nil
}

// extractArchive extracts an archive read from r into dest. Every write
// goes through an os.Root opened on dest, so no entry, symlink or hard
// link can make it write outside dest; entries whose names leave dest are
// rejected with ErrUnsafeArchive.
func extractArchive(ctx context.Context, r *io.SectionReader, dest string, log func(string)) (int, error) {
	head := make([]byte, 512)
	n, err := r.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, err
	}
	root, err := os.OpenRoot(dest)
	if err != nil {
		return 0, err
	}
	defer root.Close()
	x := &extractor{ctx: ctx, root: root, dest: dest, log: log, dirs: map[string]dirMeta{}}
	switch sniffArchive(head[:n]) {
	case formatZip:
		zr, err := zip.NewReader(r, r.Size())
		if err != nil {
			return 0, fmt.Errorf("reading zip archive: %w", err)
		}
		err = x.zip(zr)
		return x.n, x.finish(err)
	case formatGzip:
		gz, err := gzip.NewReader(r)
		if err != nil {
			return 0, fmt.Errorf("reading gzip archive: %w", err)
		}
		defer gz.Close()
		return x.n, x.finish(x.tar(tar.NewReader(gz)))
	case formatTar:
		return x.n, x.finish(x.tar(tar.NewReader(r)))
	}
	return 0, kindf(ErrUnsupported, "not a .zip, .tar or .tar.gz archive")
}

// extractor writes archive entries below root.
type extractor struct {
	ctx  context.Context
	root *os.Root
	dest string
	log  func(string)
	dirs map[string]dirMeta // applied by finish, once nothing more is written
	n    int
}

type dirMeta struct {
	mode  fs.FileMode
	mtime time.Time
}

// entryPath turns an archive entry name into a path relative to dest; ""
// is dest itself.
func (x *extractor) entryPath(name string) (string, error) {
	p := strings.TrimSuffix(name, "/")
	if p == "" || p == "." || p == "./" {
		return "", nil
	}
	p = filepath.FromSlash(p)
	if !filepath.IsLocal(p) {
		return "", kindf(ErrUnsafeArchive, "unsafe archive entry %q: it would be written outside %s", name, x.dest)
	}
	p = filepath.Clean(p)
	if p == "." {
		return "", nil
	}
	return p, nil
}

func (x *extractor) zip(zr *zip.Reader) error {
	for _, f := range zr.File {
		if err := x.ctx.Err(); err != nil {
			return err
		}
		p, err := x.entryPath(f.Name)
		if err != nil {
			return err
		}
		mode := f.Mode()
		perm := mode.Perm()
		if creator := f.CreatorVersion >> 8; creator != 3 && creator != 19 { // not Unix, not macOS
			perm &^= 0o022 // no Unix modes recorded: be like unzip with umask 022
		}
		switch {
		case mode.IsDir() || strings.HasSuffix(f.Name, "/"):
			err = x.dir(p, perm, f.Modified)
		case mode&fs.ModeSymlink != 0:
			err = x.zipSymlink(f, p)
		case mode.IsRegular():
			err = x.zipFile(f, p, perm)
		default:
			x.log(fmt.Sprintf("Skipping archive entry %s: unsupported type %v", f.Name, mode.Type()))
			continue
		}
		if err != nil {
			return fmt.Errorf("archive entry %q: %w", f.Name, err)
		}
	}
	return nil
}

func (x *extractor) zipFile(f *zip.File, p string, perm fs.FileMode) error {
	if p == "" {
		return errors.New("a file cannot replace the destination directory")
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return x.file(p, rc, perm, f.Modified)
}

func (x *extractor) zipSymlink(f *zip.File, p string) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	target, err := io.ReadAll(io.LimitReader(rc, 4096))
	if err != nil {
		return err
	}
	return x.symlink(p, string(target))
}

func (x *extractor) tar(tr *tar.Reader) error {
	for {
		if err := x.ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading tar archive: %w", err)
		}
		if h.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		p, err := x.entryPath(h.Name)
		if err != nil {
			return err
		}
		perm := fs.FileMode(h.Mode) & fs.ModePerm
		switch h.Typeflag {
		case tar.TypeDir:
			err = x.dir(p, perm, h.ModTime)
		case tar.TypeReg, tar.TypeRegA:
			if p == "" {
				err = errors.New("a file cannot replace the destination directory")
			} else {
				err = x.file(p, tr, perm, h.ModTime)
			}
		case tar.TypeSymlink:
			err = x.symlink(p, h.Linkname)
		case tar.TypeLink:
			err = x.hardlink(p, h.Linkname)
		default:
			x.log(fmt.Sprintf("Skipping archive entry %s: unsupported tar type %q", h.Name, h.Typeflag))
			continue
		}
		if err != nil {
			return fmt.Errorf("archive entry %q: %w", h.Name, err)
		}
	}
}

// dir creates a directory; its mode and time are set by finish.
func (x *extractor) dir(p string, perm fs.FileMode, mtime time.Time) error {
	if p == "" {
		return nil
	}
	if err := x.root.MkdirAll(p, 0o755); err != nil {
		return err
	}
	x.dirs[p] = dirMeta{mode: perm, mtime: mtime}
	x.n++
	return nil
}

// clear makes room for a non-directory entry at p: its parent directories
// are created and an existing file or symlink there is removed (later
// entries win, as with tar and unzip -o).
func (x *extractor) clear(p string) error {
	if dir := filepath.Dir(p); dir != "." {
		if err := x.root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	st, err := x.root.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case st.IsDir():
		return errors.New("a directory of that name already exists")
	}
	return x.root.Remove(p)
}

func (x *extractor) file(p string, r io.Reader, perm fs.FileMode, mtime time.Time) error {
	if err := x.clear(p); err != nil {
		return err
	}
	f, err := x.root.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil { // on the open file: no path lookup
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	x.n++
	if !mtime.IsZero() {
		return x.root.Chtimes(p, mtime, mtime)
	}
	return nil
}

// symlink creates a symlink as it is recorded. Its target is never
// followed while extracting: the os.Root refuses any later write through
// it that would leave dest.
func (x *extractor) symlink(p, target string) error {
	if p == "" {
		return errors.New("a symlink cannot replace the destination directory")
	}
	if target == "" {
		return errors.New("empty symlink target")
	}
	if err := x.clear(p); err != nil {
		return err
	}
	if err := x.root.Symlink(target, p); err != nil {
		return err
	}
	x.n++
	return nil
}

func (x *extractor) hardlink(p, target string) error {
	if p == "" {
		return errors.New("a hard link cannot replace the destination directory")
	}
	t, err := x.entryPath(target)
	if err != nil || t == "" {
		return kindf(ErrUnsafeArchive, "hard link target %q is outside %s", target, x.dest)
	}
	if err := x.clear(p); err != nil {
		return err
	}
	if err := x.root.Link(t, p); err != nil {
		return err
	}
	x.n++
	return nil
}

// finish sets the recorded directory modes and times, deepest first, so a
// read-only directory does not block writes into it. err is the extraction
// error, returned unchanged when set.
func (x *extractor) finish(err error) error {
	if err != nil {
		return err
	}
	paths := make([]string, 0, len(x.dirs))
	for p := range x.dirs {
		paths = append(paths, p)
	}
	sort.Slice(paths, func(i, j int) bool { return len(paths[i]) > len(paths[j]) })
	for _, p := range paths {
		st, err := x.root.Lstat(p)
		if err != nil {
			return err
		}
		if !st.IsDir() { // replaced by a later entry
			continue
		}
		m := x.dirs[p]
		if !m.mtime.IsZero() {
			if err := x.root.Chtimes(p, m.mtime, m.mtime); err != nil {
				return err
			}
		}
		if err := x.root.Chmod(p, m.mode); err != nil {
			return err
		}
	}
	return nil
}
