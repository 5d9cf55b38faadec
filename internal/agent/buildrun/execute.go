package buildrun

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wharfhq/wharf/internal/agentapi"
	"github.com/wharfhq/wharf/internal/build/buildspec"
	"github.com/wharfhq/wharf/internal/build/source"
	"github.com/wharfhq/wharf/internal/model"
)

// Cache modes of a project's LOCAL cache.
const (
	cacheSource = "LOCAL_SOURCE_CACHE"
	cacheCustom = "LOCAL_CUSTOM_CACHE"
)

// execute runs one build from PROVISIONING to COMPLETED. The build
// container and the workspace are removed before the final state is
// reported, so a client that sees the build complete finds nothing of it
// left running; execute returns once that report is sent or given up.
func (r *Runner) execute(ctx context.Context, d agentapi.DesiredBuild) {
	b := d.Build
	log := r.logger.With("build", b.ID)
	rep := newReporter(r.quit, r.cfg.Server, b.ID, log)
	defer rep.close()
	p := newProgress(d.State)
	now := r.cfg.Now

	out := r.output(ctx, &b)
	defer out.close()

	p.start(phaseProvisioning, now())
	rep.put(p.state())
	out.agent("Running on wharf agent " + r.cfg.Instance)
	ws := filepath.Join(r.cfg.WorkDir, workspaceName(b.ID))
	env, err := r.provision(ctx, &b, ws, out)
	release := func() {
		env.cleanup()
		_ = os.RemoveAll(ws)
	}
	if err != nil {
		c := &model.BuildPhaseContext{StatusCode: "CLIENT_ERROR", Message: err.Error()}
		out.agent("Phase complete: PROVISIONING State: FAILED")
		out.agent("Phase context status code: CLIENT_ERROR Message: " + err.Error())
		status := model.BuildFailed
		if ctx.Err() != nil {
			status, c = model.BuildStopped, nil
		}
		p.end(phaseProvisioning, status, now(), c)
		p.complete(status, now(), nil)
		release()
		rep.final(p.state())
		return
	}
	p.end(phaseProvisioning, model.BuildSucceeded, now(), nil)
	rep.put(p.state())

	var fetched source.Result
	opts := buildspec.RunOptions{
		Dir:       env.src,
		Env:       env.base,
		Variables: plainVariables(b.Environment.Variables),
		Builtins: buildspec.Builtins{
			BuildID: b.ID, BuildARN: b.ARN, BuildNumber: b.Number, SrcDir: env.src,
			SourceVersion: b.SourceVersion, StartTime: b.StartTime, Initiator: b.Initiator,
			BuildImage: b.Environment.Image, LogPath: b.LogStream, Region: r.cfg.Region,
		},
		Secrets: secretResolver{ctx: ctx, server: r.cfg.Server},
		Log:     out.raw,
		Now:     now,
		Timeout: time.Duration(b.TimeoutInMinutes) * time.Minute,
		Prepare: func(ctx context.Context, logf func(string)) (*buildspec.Spec, error) {
			res, err := r.fetchSource(ctx, &b, env.src, logf)
			if err != nil {
				return nil, err
			}
			fetched = res
			spec, err := loadSpec(b.Source.Buildspec, env.src)
			if err != nil {
				return nil, err
			}
			addSecretVariables(spec, b.Environment.Variables)
			return spec, nil
		},
		ResolvedSourceVersion: func() string { return fetched.ResolvedVersion },
		OnPhase: func(ph buildspec.Phase) {
			switch {
			case ph.Type == buildspec.PhaseCompleted:
				return // complete() below closes the build
			case ph.Status == buildspec.StatusInProgress:
				p.start(ph.Type, ph.Start)
			default:
				var c *model.BuildPhaseContext
				if len(ph.Contexts) > 0 {
					c = &model.BuildPhaseContext{StatusCode: ph.Contexts[0].StatusCode, Message: ph.Contexts[0].Message}
				}
				p.end(ph.Type, ph.Status, ph.End, c)
			}
			p.st.ResolvedSourceVersion = fetched.ResolvedVersion
			rep.put(p.state())
		},
		ShellCommand: env.shell,
		ScratchDir:   filepath.Join(ws, "tmp"),
		Upload: func(ctx context.Context, arts []buildspec.ArtifactOutput) error {
			results, err := r.upload(ctx, &b, arts, out)
			p.st.Artifacts = append(p.st.Artifacts, results...)
			return err
		},
	}
	if hasMode(b.Cache, cacheCustom) {
		opts.CacheDir = r.cacheDir(&b, "custom")
	}
	res := buildspec.Run(ctx, nil, opts)
	p.st.ResolvedSourceVersion = fetched.ResolvedVersion
	for _, name := range sortedKeys(res.Exported) {
		p.st.Exported = append(p.st.Exported, model.BuildVariable{Name: name, Value: res.Exported[name]})
	}
	p.complete(res.Status, now(), nil)
	release()
	rep.final(p.state())
	log.Info("build finished", "status", res.Status)
}

// fetchSource runs internal/build/source for the build's primary source.
// A pipeline build's source (CODEPIPELINE) is an artifact in the server's
// store: it is downloaded first, and the revision the pipeline passed as
// sourceVersion is the resolved one, as in CodeBuild.
func (r *Runner) fetchSource(ctx context.Context, b *model.Build, dest string, logf func(string)) (source.Result, error) {
	opts := source.Options{Log: logf}
	if hasMode(b.Cache, cacheSource) {
		opts.CacheDir = r.cacheDir(b, "source")
	}
	spec := source.Spec{Type: b.Source.Type, Location: b.Source.Location, Version: b.SourceVersion,
		GitCloneDepth: b.Source.GitCloneDepth}
	if b.Source.Type == source.TypeCodePipeline {
		local := filepath.Join(filepath.Dir(dest), "input.zip")
		if err := r.download(ctx, b.Source.Location, local); err != nil {
			return source.Result{}, err
		}
		logf("Downloaded the pipeline input artifact " + b.Source.Location)
		spec.Location = local
		res, err := source.Fetch(ctx, spec, dest, opts)
		if isCommit(b.SourceVersion) {
			res.ResolvedVersion = b.SourceVersion
		}
		return res, err
	}
	return source.Fetch(ctx, spec, dest, opts)
}

func (r *Runner) download(ctx context.Context, key, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := r.cfg.Server.DownloadArtifact(ctx, key, f); err != nil {
		f.Close()
		return fmt.Errorf("download the input artifact %s: %w", key, err)
	}
	return f.Close()
}

// isCommit reports whether v is a full git commit id.
func isCommit(v string) bool {
	if len(v) != 40 {
		return false
	}
	for _, c := range v {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// cacheDir is a LOCAL cache directory of the build's project (or cache
// namespace, which lets projects share one).
func (r *Runner) cacheDir(b *model.Build, kind string) string {
	ns := b.Project
	if b.Cache.Namespace != "" {
		ns = "ns-" + b.Cache.Namespace
	}
	return filepath.Join(r.cfg.CacheDir, ns, kind)
}

func hasMode(c model.BuildCache, mode string) bool {
	if c.Type != "LOCAL" {
		return false
	}
	for _, m := range c.Modes {
		if m == mode {
			return true
		}
	}
	return false
}

// loadSpec reads the buildspec: the project's or StartBuild's buildspec
// (inline YAML, or a path relative to the source), else buildspec.yml at
// the root of the source.
func loadSpec(override, src string) (*buildspec.Spec, error) {
	switch {
	case override == "":
		return buildspec.ParseFile(filepath.Join(src, "buildspec.yml"))
	case strings.Contains(override, "\n") || strings.HasPrefix(strings.TrimSpace(override), "version"):
		return buildspec.Parse([]byte(override))
	}
	rel := filepath.Clean(override)
	if filepath.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, "../") {
		return nil, fmt.Errorf("buildspec path %q must be relative to the source directory", override)
	}
	return buildspec.ParseFile(filepath.Join(src, rel))
}

// plainVariables returns the PLAINTEXT variables as NAME=value.
func plainVariables(vs []model.BuildVariable) []string {
	var out []string
	for _, v := range vs {
		if v.Type == "" || v.Type == "PLAINTEXT" {
			out = append(out, v.Name+"="+v.Value)
		}
	}
	return out
}

// addSecretVariables hands the project's PARAMETER_STORE and
// SECRETS_MANAGER variables to the runner like the buildspec's own, so
// they are resolved and masked the same way.
func addSecretVariables(spec *buildspec.Spec, vs []model.BuildVariable) {
	for _, v := range vs {
		switch v.Type {
		case "PARAMETER_STORE":
			spec.Env.ParameterStore = append(spec.Env.ParameterStore, buildspec.Variable{Name: v.Name, Value: v.Value})
		case "SECRETS_MANAGER":
			spec.Env.SecretsManager = append(spec.Env.SecretsManager, buildspec.Variable{Name: v.Name, Value: v.Value})
		}
	}
}

// secretResolver resolves buildspec secrets through the server.
type secretResolver struct {
	ctx    context.Context
	server Server
}

func (s secretResolver) Resolve(kind, ref string) (string, error) {
	return s.server.ResolveSecret(s.ctx, kind, ref)
}
