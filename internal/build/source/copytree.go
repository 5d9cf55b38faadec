package source

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// copyTree copies the directory src into dest and returns the number of
// entries written. Modes (permission bits) and modification times are
// kept; symlinks are copied as symlinks and never followed, so nothing
// outside src is read and nothing outside dest is written. Sockets, pipes
// and devices are skipped.
func copyTree(ctx context.Context, src, dest string, log func(string)) (int, error) {
	sroot, err := os.OpenRoot(src)
	if err != nil {
		return 0, err
	}
	defer sroot.Close()
	droot, err := os.OpenRoot(dest)
	if err != nil {
		return 0, err
	}
	defer droot.Close()
	x := &extractor{ctx: ctx, root: droot, dest: dest, log: log, dirs: map[string]dirMeta{}}
	err = fs.WalkDir(sroot.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if name == "." {
			return nil
		}
		p := filepath.FromSlash(name)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch mode := info.Mode(); {
		case mode.IsDir():
			err = x.dir(p, mode.Perm(), info.ModTime())
		case mode&fs.ModeSymlink != 0:
			var target string
			if target, err = sroot.Readlink(p); err == nil {
				err = x.symlink(p, target)
			}
		case mode.IsRegular():
			var f *os.File
			if f, err = sroot.Open(p); err == nil {
				err = x.file(p, f, mode.Perm(), info.ModTime())
				f.Close()
			}
		default:
			log(fmt.Sprintf("Skipping %s: unsupported file type %v", filepath.Join(src, p), mode.Type()))
		}
		if err != nil {
			return fmt.Errorf("copying %s: %w", filepath.Join(src, p), err)
		}
		return nil
	})
	return x.n, x.finish(err)
}
