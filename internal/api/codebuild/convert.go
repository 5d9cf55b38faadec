package codebuild

import (
	"slices"
	"strings"

	"github.com/wharfhq/wharf/internal/api/awsjson"
	w "github.com/wharfhq/wharf/internal/api/codebuild/cbwire"
	"github.com/wharfhq/wharf/internal/arn"
	"github.com/wharfhq/wharf/internal/model"
)

// Converters between the wire shapes and the domain model, shared by
// projects and builds.

func (h *Handler) projectARN(name string) string {
	return "arn:aws:codebuild:" + h.region + ":" + h.account + ":project/" + name
}

func (h *Handler) buildARN(id string) string {
	return "arn:aws:codebuild:" + h.region + ":" + h.account + ":build/" + id
}

// defaultEncryptionKey is what CodeBuild reports for projects and builds
// without a customer key: the AWS-managed S3 key.
func (h *Handler) defaultEncryptionKey() string {
	return "arn:aws:kms:" + h.region + ":" + h.account + ":alias/aws/s3"
}

// fromARN returns the resource of a CodeBuild ARN of this region and
// account after the "project/" or "build/" prefix; anything else is
// returned unchanged (a name or id, or an ARN that will not be found).
func (h *Handler) fromARN(s, kind string) string {
	if !arn.IsARN(s) {
		return s
	}
	a, err := arn.Parse(s)
	if err != nil || a.Service != "codebuild" || a.Region != h.region || a.Account != h.account {
		return s
	}
	if rest, ok := strings.CutPrefix(a.Resource, kind+"/"); ok && rest != "" {
		return rest
	}
	return s
}

func (h *Handler) projectName(s string) string { return h.fromARN(s, "project") }
func (h *Handler) buildID(s string) string     { return h.fromARN(s, "build") }

func boolPtr(b bool) *bool    { return &b }
func int32Ptr(n int32) *int32 { return &n }

func sourceFromWire(s *w.ProjectSource) model.BuildSource {
	return model.BuildSource{
		Type: string(s.Type), Location: s.Location, Buildspec: s.Buildspec, GitCloneDepth: s.GitCloneDepth,
		InsecureSSL: s.InsecureSsl != nil && *s.InsecureSsl, Identifier: s.SourceIdentifier,
	}
}

func sourceToWire(s model.BuildSource) *w.ProjectSource {
	return &w.ProjectSource{
		Type: w.SourceType(s.Type), Location: s.Location, Buildspec: s.Buildspec, GitCloneDepth: s.GitCloneDepth,
		InsecureSsl: boolPtr(s.InsecureSSL), SourceIdentifier: s.Identifier,
	}
}

func artifactsFromWire(a *w.ProjectArtifacts) model.BuildArtifacts {
	out := model.BuildArtifacts{
		Type: string(a.Type), Location: a.Location, Path: a.Path, Name: a.Name,
		NamespaceType: string(a.NamespaceType), Packaging: string(a.Packaging), Identifier: a.ArtifactIdentifier,
		OverrideArtifactName: a.OverrideArtifactName != nil && *a.OverrideArtifactName,
		EncryptionDisabled:   a.EncryptionDisabled != nil && *a.EncryptionDisabled,
	}
	if out.Type == string(w.ArtifactsTypeS3) {
		if out.NamespaceType == "" {
			out.NamespaceType = string(w.ArtifactNamespaceNone)
		}
		if out.Packaging == "" {
			out.Packaging = string(w.ArtifactPackagingNone)
		}
	}
	return out
}

func secondaryArtifactsFromWire(in []w.ProjectArtifacts) []model.BuildArtifacts {
	var out []model.BuildArtifacts
	for i := range in {
		out = append(out, artifactsFromWire(&in[i]))
	}
	return out
}

func projectArtifactsToWire(a model.BuildArtifacts) w.ProjectArtifacts {
	out := w.ProjectArtifacts{
		Type: w.ArtifactsType(a.Type), Location: a.Location, Path: a.Path, Name: a.Name,
		NamespaceType: w.ArtifactNamespace(a.NamespaceType), Packaging: w.ArtifactPackaging(a.Packaging),
		ArtifactIdentifier: a.Identifier,
	}
	if a.OverrideArtifactName {
		out.OverrideArtifactName = boolPtr(true)
	}
	if a.EncryptionDisabled {
		out.EncryptionDisabled = boolPtr(true)
	}
	return out
}

func variablesFromWire(in []w.EnvironmentVariable) []model.BuildVariable {
	var out []model.BuildVariable
	for _, v := range in {
		typ := string(v.Type)
		if typ == "" {
			typ = string(w.EnvironmentVariableTypePlaintext)
		}
		out = append(out, model.BuildVariable{Name: v.Name, Value: v.Value, Type: typ})
	}
	return out
}

func variablesToWire(in []model.BuildVariable) []w.EnvironmentVariable {
	var out []w.EnvironmentVariable
	for _, v := range in {
		out = append(out, w.EnvironmentVariable{Name: v.Name, Value: v.Value, Type: w.EnvironmentVariableType(v.Type)})
	}
	return out
}

// mergeVariables returns base with every variable of over replacing the one
// of the same name, or appended when base has none.
func mergeVariables(base, over []model.BuildVariable) []model.BuildVariable {
	out := slices.Clone(base)
	for _, v := range over {
		i := slices.IndexFunc(out, func(b model.BuildVariable) bool { return b.Name == v.Name })
		if i >= 0 {
			out[i] = v
		} else {
			out = append(out, v)
		}
	}
	return out
}

func environmentFromWire(e *w.ProjectEnvironment) model.BuildEnvironment {
	out := model.BuildEnvironment{
		Type: string(e.Type), Image: e.Image, ComputeType: string(e.ComputeType),
		Variables:                variablesFromWire(e.EnvironmentVariables),
		PrivilegedMode:           e.PrivilegedMode != nil && *e.PrivilegedMode,
		ImagePullCredentialsType: string(e.ImagePullCredentialsType),
		Certificate:              e.Certificate,
	}
	if out.ImagePullCredentialsType == "" {
		out.ImagePullCredentialsType = string(w.ImagePullCredentialsTypeCodebuild)
	}
	return out
}

func environmentToWire(e model.BuildEnvironment) *w.ProjectEnvironment {
	return &w.ProjectEnvironment{
		Type: w.EnvironmentType(e.Type), Image: e.Image, ComputeType: w.ComputeType(e.ComputeType),
		EnvironmentVariables:     variablesToWire(e.Variables),
		PrivilegedMode:           boolPtr(e.PrivilegedMode),
		ImagePullCredentialsType: w.ImagePullCredentialsType(e.ImagePullCredentialsType),
		Certificate:              e.Certificate,
	}
}

func cacheFromWire(c *w.ProjectCache) model.BuildCache {
	if c == nil {
		return model.BuildCache{Type: string(w.CacheTypeNoCache)}
	}
	out := model.BuildCache{Type: string(c.Type), Location: c.Location, Namespace: c.CacheNamespace}
	for _, m := range c.Modes {
		out.Modes = append(out.Modes, string(m))
	}
	return out
}

func cacheToWire(c model.BuildCache) *w.ProjectCache {
	out := &w.ProjectCache{Type: w.CacheType(c.Type), Location: c.Location, CacheNamespace: c.Namespace}
	for _, m := range c.Modes {
		out.Modes = append(out.Modes, w.CacheMode(m))
	}
	return out
}

// logsFromWire returns the CloudWatch Logs settings of a logsConfig; logs
// are ENABLED unless the request disables them. S3 logs are ignored.
func logsFromWire(l *w.LogsConfig) model.BuildLogsConfig {
	if l == nil || l.CloudWatchLogs == nil {
		return model.BuildLogsConfig{Status: string(w.LogsConfigStatusTypeEnabled)}
	}
	return model.BuildLogsConfig{Status: string(l.CloudWatchLogs.Status), GroupName: l.CloudWatchLogs.GroupName, StreamName: l.CloudWatchLogs.StreamName}
}

func logsToWire(l model.BuildLogsConfig) *w.LogsConfig {
	status := l.Status
	if status == "" {
		status = string(w.LogsConfigStatusTypeEnabled)
	}
	return &w.LogsConfig{
		CloudWatchLogs: &w.CloudWatchLogsConfig{Status: w.LogsConfigStatusType(status), GroupName: l.GroupName, StreamName: l.StreamName},
		S3Logs:         &w.S3LogsConfig{Status: w.LogsConfigStatusTypeDisabled},
	}
}

func tagsFromWire(in []w.Tag) []model.Tag {
	var out []model.Tag
	for _, t := range in {
		out = append(out, model.Tag{Key: t.Key, Value: t.Value})
	}
	return out
}

func tagsToWire(in []model.Tag) []w.Tag {
	var out []w.Tag
	for _, t := range in {
		out = append(out, w.Tag{Key: t.Key, Value: t.Value})
	}
	return out
}

func (h *Handler) projectToWire(p *model.BuildProject) w.Project {
	out := w.Project{
		Arn: p.ARN, Name: p.Name, Description: p.Description,
		Source: sourceToWire(p.Source), SourceVersion: p.SourceVersion,
		Environment: environmentToWire(p.Environment), Cache: cacheToWire(p.Cache),
		ServiceRole: p.ServiceRole, TimeoutInMinutes: p.TimeoutInMinutes, QueuedTimeoutInMinutes: p.QueuedTimeout,
		LogsConfig: logsToWire(p.Logs), Tags: tagsToWire(p.Tags),
		Created: awsjson.NewTimestamp(p.Created), LastModified: awsjson.NewTimestamp(p.LastModified),
		EncryptionKey:     h.defaultEncryptionKey(),
		Badge:             &w.ProjectBadge{BadgeEnabled: false},
		ProjectVisibility: w.ProjectVisibilityTypePrivate,
	}
	a := projectArtifactsToWire(p.Artifacts)
	out.Artifacts = &a
	for _, s := range p.SecondaryArtifacts {
		out.SecondaryArtifacts = append(out.SecondaryArtifacts, projectArtifactsToWire(s))
	}
	if p.ConcurrentLimit > 0 {
		out.ConcurrentBuildLimit = int32Ptr(p.ConcurrentLimit)
	}
	return out
}
