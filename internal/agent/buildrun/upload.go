package buildrun

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/wharfhq/wharf/internal/build/buildspec"
	"github.com/wharfhq/wharf/internal/model"
)

// upload stores the collected artifacts in the server's artifact store,
// each under the key ArtifactKey gives it.
func (r *Runner) upload(ctx context.Context, b *model.Build, arts []buildspec.ArtifactOutput, out *output) ([]model.BuildArtifactResult, error) {
	var results []model.BuildArtifactResult
	for _, a := range arts {
		cfg, ok := artifactConfig(b, a.Identifier)
		if !ok {
			return results, fmt.Errorf("secondary artifact %q is not declared in the project's secondaryArtifacts", a.Identifier)
		}
		if cfg.Type == "" || cfg.Type == "NO_ARTIFACTS" {
			continue
		}
		key := ArtifactKey(b, cfg, a.Name)
		out.agent(fmt.Sprintf("Uploading %d files to %s", len(a.Files), key))
		var res model.BuildArtifactResult
		var err error
		if cfg.Packaging == "NONE" && cfg.Type == "S3" {
			res, err = r.uploadFiles(ctx, key, a.Files)
		} else {
			res, err = r.uploadZip(ctx, key, a.Files)
		}
		if err != nil {
			return results, fmt.Errorf("upload artifact %s: %w", key, err)
		}
		res.Identifier = a.Identifier
		results = append(results, res)
	}
	return results, nil
}

// artifactConfig finds the project's setting for an artifact identifier
// ("" is the primary artifact).
func artifactConfig(b *model.Build, identifier string) (model.BuildArtifacts, bool) {
	if identifier == "" {
		return b.Artifacts, true
	}
	for _, a := range b.SecondaryArtifacts {
		if a.Identifier == identifier {
			return a, true
		}
	}
	return model.BuildArtifacts{}, false
}

// ArtifactKey is where an artifact lands in the artifact store, as its S3
// object key would be: LOCATION/PATH/[BUILD_ID/]NAME for S3 artifacts,
// codepipeline/PROJECT/UUID/IDENTIFIER.zip for pipeline artifacts.
// specName is the buildspec's (shell-evaluated) artifacts name, used when
// the project sets overrideArtifactName.
func ArtifactKey(b *model.Build, a model.BuildArtifacts, specName string) string {
	if a.Type == "CODEPIPELINE" {
		id := a.Identifier
		if id == "" {
			id = "primary"
		}
		return path.Join("codepipeline", b.Project, b.UUID(), id+".zip")
	}
	name := a.Name
	if a.OverrideArtifactName && specName != "" {
		name = specName
	}
	if name == "" {
		name = b.Project
	}
	parts := []string{a.Location, a.Path}
	if a.NamespaceType == "BUILD_ID" {
		parts = append(parts, b.UUID())
	}
	parts = append(parts, name)
	var clean []string
	for _, p := range parts {
		for _, seg := range strings.Split(p, "/") {
			if seg != "" && seg != "." && seg != ".." {
				clean = append(clean, seg)
			}
		}
	}
	return strings.Join(clean, "/")
}

func (r *Runner) uploadZip(ctx context.Context, key string, files []buildspec.File) (model.BuildArtifactResult, error) {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(buildspec.Zip(files, pw)) }()
	info, err := r.cfg.Server.UploadArtifact(ctx, key, pr)
	pr.CloseWithError(err)
	if err != nil {
		return model.BuildArtifactResult{}, err
	}
	return model.BuildArtifactResult{Key: info.Key, SHA256: info.SHA256, MD5: info.MD5, Size: info.Size}, nil
}

// uploadFiles stores each file under key/ (packaging NONE).
func (r *Runner) uploadFiles(ctx context.Context, key string, files []buildspec.File) (model.BuildArtifactResult, error) {
	var total int64
	for _, f := range files {
		if f.Source == "" {
			continue
		}
		fh, err := os.Open(f.Source)
		if err != nil {
			return model.BuildArtifactResult{}, err
		}
		info, err := r.cfg.Server.UploadArtifact(ctx, key+"/"+f.Path, fh)
		fh.Close()
		if err != nil {
			return model.BuildArtifactResult{}, err
		}
		total += info.Size
	}
	return model.BuildArtifactResult{Key: key, Size: total}, nil
}
