package buildspec

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ErrNoArtifacts is returned when an artifact's files match nothing.
var ErrNoArtifacts = errors.New("no matching artifact paths found")

// File is one file of an artifact.
type File struct {
	Path   string // slash-separated path inside the artifact
	Source string // file on disk
	Link   string // symlink target, kept only with enable-symlinks
}

// CollectArtifacts selects the files of an artifact under dir (the source
// directory) with CodeBuild's rules: files globs ("*" matches within one
// path element, "**" any number of them, so "**/*" is everything), a
// literal directory name taking its whole content, relative to
// base-directory (itself possibly a glob); exclude-paths globs dropping
// files; discard-paths flattening every file to the artifact root. A nil
// artifact has no files.
func CollectArtifacts(a *Artifacts, dir string) ([]File, error) {
	if a == nil {
		return nil, nil
	}
	bases := []string{dir}
	if a.BaseDirectory != "" {
		bd := path.Clean(filepath.ToSlash(a.BaseDirectory))
		if path.IsAbs(bd) || bd == ".." || strings.HasPrefix(bd, "../") {
			return nil, fmt.Errorf("base directory %s is outside the source directory", a.BaseDirectory)
		}
		matches, err := filepath.Glob(filepath.Join(dir, filepath.FromSlash(bd)))
		if err != nil {
			return nil, fmt.Errorf("base directory %s: %w", a.BaseDirectory, err)
		}
		bases = bases[:0]
		for _, m := range matches {
			if fi, err := os.Stat(m); err == nil && fi.IsDir() {
				bases = append(bases, m)
			}
		}
		if len(bases) == 0 {
			return nil, fmt.Errorf("no matching base directory path found for %s", a.BaseDirectory)
		}
	}
	var files []File
	seen := map[string]bool{}
	for _, base := range bases {
		err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			rel, err := filepath.Rel(base, p)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			if !matchAny(a.Files, rel) || matchAny(a.ExcludePaths, rel) {
				return nil
			}
			f := File{Path: rel, Source: p}
			if a.DiscardPaths {
				f.Path = path.Base(rel)
			}
			if d.Type()&fs.ModeSymlink != 0 {
				if a.EnableSymlinks {
					if f.Link, err = os.Readlink(p); err != nil {
						return err
					}
				} else if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
					return nil // dangling, or a link to a directory
				}
			} else if !d.Type().IsRegular() {
				return nil
			}
			if !seen[f.Path] {
				seen[f.Path] = true
				files = append(files, f)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if len(files) == 0 {
		return nil, ErrNoArtifacts
	}
	return files, nil
}

func matchAny(patterns []string, rel string) bool {
	segs := strings.Split(rel, "/")
	for _, p := range patterns {
		p = strings.TrimPrefix(path.Clean(filepath.ToSlash(p)), "./")
		if p == "." || p == "" {
			continue
		}
		ps := strings.Split(p, "/")
		if matchSegs(ps, segs) {
			return true
		}
		// A literal directory name takes everything under it.
		if !strings.ContainsAny(p, "*?[") {
			for k := 1; k < len(segs); k++ {
				if strings.Join(segs[:k], "/") == p {
					return true
				}
			}
		}
	}
	return false
}

// matchSegs matches path elements against pattern elements; "**" matches
// zero or more elements, anything else one element by path.Match.
func matchSegs(p, s []string) bool {
	if len(p) == 0 {
		return len(s) == 0
	}
	if p[0] == "**" {
		for len(p) > 1 && p[1] == "**" {
			p = p[1:]
		}
		for i := 0; i <= len(s); i++ {
			if matchSegs(p[1:], s[i:]) {
				return true
			}
		}
		return false
	}
	if len(s) == 0 {
		return false
	}
	if ok, _ := path.Match(p[0], s[0]); !ok {
		return false
	}
	return matchSegs(p[1:], s[1:])
}

// Zip writes files as a zip archive to w.
func Zip(files []File, w io.Writer) error {
	zw := zip.NewWriter(w)
	for _, f := range files {
		if err := addToZip(zw, f); err != nil {
			return fmt.Errorf("zip %s: %w", f.Path, err)
		}
	}
	return zw.Close()
}

func addToZip(zw *zip.Writer, f File) error {
	if f.Link != "" {
		h := &zip.FileHeader{Name: f.Path, Method: zip.Store}
		h.SetMode(fs.ModeSymlink | 0o777)
		lw, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		_, err = io.WriteString(lw, f.Link)
		return err
	}
	src, err := os.Open(f.Source)
	if err != nil {
		return err
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return err
	}
	h, err := zip.FileInfoHeader(fi)
	if err != nil {
		return err
	}
	h.Name = f.Path
	h.Method = zip.Deflate
	fw, err := zw.CreateHeader(h)
	if err != nil {
		return err
	}
	_, err = io.Copy(fw, src)
	return err
}
