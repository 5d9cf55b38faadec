package buildspec

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"
)

// cachePath is one cache.paths entry reduced to the directory it caches.
type cachePath struct {
	Dir string // absolute, or relative to the source directory (slash-separated)
	Key string // where it is kept under RunOptions.CacheDir
}

// cachePaths reduces cache.paths to the directories they cache: each path
// up to its first segment with a wildcard ('/root/.m2/**/*' caches
// /root/.m2, 'node_modules/**/*' the source's node_modules). An absolute
// directory is kept under "absolute/", a relative one under "source/", so
// builds with different source directories share it. Paths naming no
// directory are returned as errors.
func cachePaths(paths []string) ([]cachePath, []error) {
	var dirs []cachePath
	var errs []error
	seen := map[string]bool{}
	for _, p := range paths {
		dir := globPrefix(filepath.ToSlash(p))
		var key string
		switch {
		case path.IsAbs(dir) && dir != "/":
			key = "absolute" + dir
		case !path.IsAbs(dir) && dir != "." && dir != ".." && !strings.HasPrefix(dir, "../"):
			key = "source/" + dir
		default:
			errs = append(errs, fmt.Errorf("cache path %s names no directory to cache", p))
			continue
		}
		if !seen[key] {
			seen[key] = true
			dirs = append(dirs, cachePath{Dir: dir, Key: key})
		}
	}
	return dirs, errs
}

// globPrefix is p up to its first segment with a wildcard, cleaned.
func globPrefix(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if strings.ContainsAny(s, "*?[") {
			segs = segs[:i]
			break
		}
	}
	prefix := strings.Join(segs, "/")
	if prefix == "" && strings.HasPrefix(p, "/") {
		return "/"
	}
	return path.Clean(prefix)
}

// cacheDirs resolves the buildspec's cache paths against the source and
// cache directories; nil when there is no cache to keep. Paths naming no
// directory are logged and left out.
func (r *run) cacheDirs() (dirs []cachePath, src, cache string) {
	if r.opts.CacheDir == "" || r.spec == nil || len(r.spec.Cache.Paths) == 0 {
		return nil, "", ""
	}
	src, err1 := filepath.Abs(r.opts.Dir) // the shell may have moved since
	cache, err2 := filepath.Abs(r.opts.CacheDir)
	if err := errors.Join(err1, err2); err != nil {
		r.log.agent("Warning: cache: " + err.Error())
		return nil, "", ""
	}
	dirs, errs := cachePaths(r.spec.Cache.Paths)
	for _, err := range errs {
		r.log.agent("Warning: " + err.Error())
	}
	return dirs, src, cache
}

// where returns the directory a cache path names in the build, and where
// it is kept.
func (c cachePath) where(src, cache string) (dir, kept string) {
	dir = filepath.FromSlash(c.Dir)
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(src, dir)
	}
	return dir, filepath.Join(cache, filepath.FromSlash(c.Key))
}

// restoreCache puts each cached directory back into the build. A
// directory of the source tree that the source did not bring is moved in
// (a rename: the cache is as large as a Go build cache, and copying it
// would cost seconds per build); otherwise the cache is copied over what
// is there, merging. Absolute paths are always copied: on a LINUX_HOST
// build they are the host's own directories. The work is done by the
// build's shell, so that in a container it lands in the container's file
// system; a failure is only a warning, as a cache is best effort.
func (r *run) restoreCache() {
	dirs, src, cache := r.cacheDirs()
	if len(dirs) == 0 {
		return
	}
	r.log.agent("Restoring cache...")
	for _, c := range dirs {
		dir, kept := c.where(src, cache)
		code := fmt.Sprintf("( if [ -d %[1]s ]; then mkdir -p %[2]s && cp -a %[1]s/. %[2]s/; fi )",
			quote(kept), quote(dir))
		movable := !path.IsAbs(c.Dir)
		if movable {
			code = fmt.Sprintf("( if [ -d %[1]s ]; then if [ -e %[2]s ]; then cp -a %[1]s/. %[2]s/; "+
				"else mkdir -p %[3]s && mv %[1]s %[2]s; fi; fi )",
				quote(kept), quote(dir), quote(filepath.Dir(dir)))
		}
		if !r.cacheCommand("restoring cache for "+c.Dir, code) {
			return
		}
		if movable {
			r.cacheMoved = append(r.cacheMoved, c)
		}
	}
}

// saveCache replaces each kept directory with the build's. A directory of
// the source tree is moved (the build is over: its artifacts are already
// uploaded); an absolute one is copied beside the cache and renamed. Either
// way a failed or concurrent save never leaves a half-written cache.
func (r *run) saveCache() {
	dirs, src, cache := r.cacheDirs()
	if len(dirs) == 0 {
		return
	}
	r.log.agent("Saving cache...")
	// Whatever the last phase's run-as, the cache is the agent's.
	if err := r.sh.setUser(""); err != nil {
		r.log.agent("Warning: saving cache: " + err.Error())
		return
	}
	for _, c := range dirs {
		if !r.cacheCommand("saving cache for "+c.Dir, r.saveCode(c, src, cache, !path.IsAbs(c.Dir))) {
			return
		}
	}
}

// returnCache puts back the cache directories restoreCache moved into a
// build that ends before BUILD: such a build saves nothing, but must not
// lose the cache either.
func (r *run) returnCache() {
	if len(r.cacheMoved) == 0 {
		return
	}
	_, src, cache := r.cacheDirs()
	if err := r.sh.setUser(""); err != nil {
		return
	}
	for _, c := range r.cacheMoved {
		if !r.cacheCommand("returning cache for "+c.Dir, r.saveCode(c, src, cache, true)) {
			return
		}
	}
}

// saveCode is the shell code that replaces the kept copy of c with the
// build's directory, by moving it or by copying it beside and renaming.
func (r *run) saveCode(c cachePath, src, cache string, move bool) string {
	dir, kept := c.where(src, cache)
	tmp := kept + ".saving-" + r.sh.token
	fill := fmt.Sprintf("mkdir %[2]s && cp -a %[1]s/. %[2]s/", quote(dir), quote(tmp))
	if move {
		fill = fmt.Sprintf("mv %[1]s %[2]s", quote(dir), quote(tmp))
	}
	return fmt.Sprintf("( if [ -d %[1]s ]; then mkdir -p %[2]s && rm -rf %[3]s && "+
		"%[5]s && rm -rf %[4]s && mv %[3]s %[4]s || { rm -rf %[3]s; exit 1; }; fi )",
		quote(dir), quote(filepath.Dir(kept)), quote(tmp), quote(kept), fill)
}

// cacheCommand runs one cache copy in the build's shell; failing is a
// warning. It returns false when the build was interrupted.
func (r *run) cacheCommand(what, code string) bool {
	rc, err := r.sh.run(code, r.succeeding, r.interrupt)
	switch {
	case errors.Is(err, errInterrupted):
		return false
	case err != nil:
		r.log.agent(fmt.Sprintf("Warning: %s: %v", what, err))
	case rc != 0:
		r.log.agent(fmt.Sprintf("Warning: %s: exit status %d", what, rc))
	}
	return true
}
