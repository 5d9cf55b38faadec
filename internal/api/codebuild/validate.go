package codebuild

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"

	w "github.com/wharfhq/wharf/internal/api/codebuild/cbwire"
	"github.com/wharfhq/wharf/internal/model"
)

// Checks of what the generated validators cannot express: rules across
// members, and rules on the settings a build ends up with after its
// overrides. Each error names the request member to fix.

// fieldError reports an invalid member in the words of the generated
// validators ("Invalid value for field artifacts.location: ...").
func fieldError(field, format string, args ...any) error {
	return invalidInput("Invalid value for field %s: %s", field, fmt.Sprintf(format, args...))
}

func index(field string, i int) string { return field + "[" + strconv.Itoa(i) + "]" }

var projectNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9\-_]{1,254}$`)

func checkProjectName(name string) error {
	if !projectNameRE.MatchString(name) {
		return fieldError("name", "must match pattern [A-Za-z0-9][A-Za-z0-9\\-_]{1,254}")
	}
	return nil
}

// checkSource checks a source's location and buildspec; locField and
// buildspecField name the members that set them.
func checkSource(s model.BuildSource, locField, buildspecField string) error {
	switch w.SourceType(s.Type) {
	case w.SourceTypeNoSource:
		if s.Buildspec == "" {
			return fieldError(buildspecField, "must be specified for source type NO_SOURCE")
		}
	case w.SourceTypeCodepipeline:
		// The pipeline supplies the input artifact at StartBuild.
	default:
		if s.Location == "" {
			return fieldError(locField, "must be specified for source type %s", s.Type)
		}
	}
	return nil
}

func checkArtifacts(a model.BuildArtifacts, field string) error {
	if a.Type == string(w.ArtifactsTypeS3) && a.Location == "" {
		return fieldError(field+".location", "must be specified for artifacts type S3")
	}
	return nil
}

func checkSecondaryArtifacts(list []model.BuildArtifacts, field string) error {
	seen := map[string]bool{}
	for i, a := range list {
		f := index(field, i)
		switch {
		case a.Identifier == "":
			return fieldError(f+".artifactIdentifier", "is required for secondary artifacts")
		case seen[a.Identifier]:
			return fieldError(f+".artifactIdentifier", "duplicate identifier %s", a.Identifier)
		case a.Type == string(w.ArtifactsTypeCodepipeline):
			return fieldError(f+".type", "CODEPIPELINE is not supported for secondary artifacts")
		}
		seen[a.Identifier] = true
		if err := checkArtifacts(a, f); err != nil {
			return err
		}
	}
	return nil
}

// checkCache checks a cache against the environment it runs in;
// privField names the member that sets privileged mode.
func checkCache(c model.BuildCache, field string, privileged bool, privField string) error {
	switch w.CacheType(c.Type) {
	case w.CacheTypeS3:
		if c.Location == "" {
			return fieldError(field+".location", "must be specified for cache type S3")
		}
	case w.CacheTypeLocal:
		if len(c.Modes) == 0 {
			return fieldError(field+".modes", "must name at least one mode for cache type LOCAL")
		}
		if slices.Contains(c.Modes, string(w.CacheModeLocalDockerLayerCache)) && !privileged {
			return fieldError(privField, "must be true to use cache mode LOCAL_DOCKER_LAYER_CACHE (%s.modes)", field)
		}
	}
	return nil
}

func checkTags(tags []model.Tag) error {
	seen := map[string]bool{}
	for i, t := range tags {
		if t.Key == "" {
			return fieldError(index("tags", i)+".key", "is required")
		}
		if seen[t.Key] {
			return fieldError(index("tags", i)+".key", "duplicate tag key %s", t.Key)
		}
		seen[t.Key] = true
	}
	return nil
}

func checkNoSecondarySources(n int, field string) error {
	if n > 0 {
		return fieldError(field, "secondary sources are not supported by wharf")
	}
	return nil
}

// checkProject checks a project as it would be stored.
func checkProject(p *model.BuildProject) error {
	if err := checkSource(p.Source, "source.location", "source.buildspec"); err != nil {
		return err
	}
	if err := checkArtifacts(p.Artifacts, "artifacts"); err != nil {
		return err
	}
	if err := checkSecondaryArtifacts(p.SecondaryArtifacts, "secondaryArtifacts"); err != nil {
		return err
	}
	if err := checkCache(p.Cache, "cache", p.Environment.PrivilegedMode, "environment.privilegedMode"); err != nil {
		return err
	}
	return checkTags(p.Tags)
}
