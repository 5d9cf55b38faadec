package codebuild_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	"github.com/aws/aws-sdk-go-v2/service/codebuild/types"

	"github.com/wharfhq/wharf/internal/model"
)

var buildIDRE = regexp.MustCompile(`^app:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func buildARN(id string) string {
	return "arn:aws:codebuild:" + region + ":" + account + ":build/" + id
}

func (e *env) start(t *testing.T, in *codebuild.StartBuildInput) *types.Build {
	t.Helper()
	out, err := e.c.StartBuild(ctx(t), in)
	if err != nil {
		t.Fatalf("StartBuild(%s): %v", aws.ToString(in.ProjectName), err)
	}
	return out.Build
}

// stored returns a build's spec and state as the state store holds them.
func (e *env) stored(t *testing.T, id string) (*model.Build, *model.BuildState) {
	t.Helper()
	b, st, ok := e.st.Build(id)
	if !ok {
		t.Fatalf("build %s is not stored", id)
	}
	return b, st
}

// finish writes a complete state for a build, as its agent would.
func (e *env) finish(t *testing.T, id, status string) {
	t.Helper()
	_, cur := e.stored(t, id)
	now := e.clock.Now()
	if err := e.st.PutBuildState(context.Background(), id, model.BuildState{
		Version: cur.Version + 1, Status: status, CurrentPhase: "COMPLETED", Complete: true, EndTime: now,
		Phases: []model.BuildPhase{{Type: "COMPLETED", Start: now}},
	}); err != nil {
		t.Fatal(err)
	}
}

func phases(b *types.Build) string {
	var out []string
	for _, p := range b.Phases {
		out = append(out, fmt.Sprintf("%s:%s", p.PhaseType, p.PhaseStatus))
	}
	return strings.Join(out, ",")
}

func TestStartBuildAppliesOverrides(t *testing.T) {
	e := setup(t)
	in := project("app")
	in.SourceVersion = aws.String("main")
	in.Environment.EnvironmentVariables = []types.EnvironmentVariable{
		{Name: aws.String("A"), Value: aws.String("1")}, {Name: aws.String("B"), Value: aws.String("2")}}
	in.LogsConfig = &types.LogsConfig{CloudWatchLogs: &types.CloudWatchLogsConfig{Status: types.LogsConfigStatusTypeEnabled,
		GroupName: aws.String("custom"), StreamName: aws.String("pfx")}}
	e.create(t, in)

	buildspec := "version: 0.2\nphases:\n  build:\n    commands: [make]\n"
	b := e.start(t, &codebuild.StartBuildInput{
		ProjectName:            aws.String(projectARN("app")), // an ARN works as well as a name
		SourceVersion:          aws.String("abc123"),
		SourceTypeOverride:     types.SourceTypeS3,
		SourceLocationOverride: aws.String("/srv/src.zip"),
		BuildspecOverride:      aws.String(buildspec),
		GitCloneDepthOverride:  aws.Int32(1),
		EnvironmentVariablesOverride: []types.EnvironmentVariable{
			{Name: aws.String("B"), Value: aws.String("/app/b"), Type: types.EnvironmentVariableTypeParameterStore},
			{Name: aws.String("C"), Value: aws.String("3")}},
		ImageOverride:                  aws.String("golang:1.22"),
		EnvironmentTypeOverride:        "LINUX_HOST",
		ComputeTypeOverride:            types.ComputeTypeBuildGeneral1Medium,
		PrivilegedModeOverride:         aws.Bool(true),
		TimeoutInMinutesOverride:       aws.Int32(15),
		QueuedTimeoutInMinutesOverride: aws.Int32(10),
		ArtifactsOverride: &types.ProjectArtifacts{Type: types.ArtifactsTypeS3, Location: aws.String("bucket"),
			Name: aws.String("out.zip"), Packaging: types.ArtifactPackagingZip},
		SecondaryArtifactsOverride: []types.ProjectArtifacts{{Type: types.ArtifactsTypeS3, Location: aws.String("bucket2"),
			ArtifactIdentifier: aws.String("extra")}},
		CacheOverride:       &types.ProjectCache{Type: types.CacheTypeLocal, Modes: []types.CacheMode{types.CacheModeLocalDockerLayerCache}},
		ServiceRoleOverride: aws.String("arn:aws:iam::000000000000:role/other"),
	})
	id := aws.ToString(b.Id)
	if !buildIDRE.MatchString(id) {
		t.Fatalf("build id %q", id)
	}
	uuid := strings.TrimPrefix(id, "app:")
	sb, st := e.stored(t, id)
	wantVars := []model.BuildVariable{{Name: "A", Value: "1", Type: "PLAINTEXT"},
		{Name: "B", Value: "/app/b", Type: "PARAMETER_STORE"}, {Name: "C", Value: "3", Type: "PLAINTEXT"}}
	if sb.ARN != buildARN(id) || sb.Number != 1 || sb.Project != "app" || sb.Initiator != "root" || !sb.StartTime.Equal(e.clock.Now()) ||
		sb.SourceVersion != "abc123" ||
		sb.Source != (model.BuildSource{Type: "S3", Location: "/srv/src.zip", Buildspec: buildspec, GitCloneDepth: 1}) ||
		fmt.Sprint(sb.Environment.Variables) != fmt.Sprint(wantVars) ||
		sb.Environment.Image != "golang:1.22" || sb.Environment.Type != "LINUX_HOST" || sb.Environment.ComputeType != "BUILD_GENERAL1_MEDIUM" ||
		!sb.Environment.PrivilegedMode || sb.TimeoutInMinutes != 15 || sb.QueuedTimeout != 10 ||
		sb.Artifacts != (model.BuildArtifacts{Type: "S3", Location: "bucket", Name: "out.zip", Packaging: "ZIP", NamespaceType: "NONE"}) ||
		len(sb.SecondaryArtifacts) != 1 || sb.SecondaryArtifacts[0].Identifier != "extra" ||
		sb.Cache.Type != "LOCAL" || fmt.Sprint(sb.Cache.Modes) != "[LOCAL_DOCKER_LAYER_CACHE]" ||
		sb.ServiceRole != "arn:aws:iam::000000000000:role/other" ||
		sb.LogGroup != "custom" || sb.LogStream != "pfx/"+uuid || sb.Cluster != "" || sb.InstanceID != "" {
		t.Fatalf("stored build = %+v", sb)
	}
	// No instance is registered: the build waits in QUEUED.
	if st.Version != 1 || st.Status != "IN_PROGRESS" || st.CurrentPhase != "QUEUED" || st.Complete || len(st.Phases) != 2 {
		t.Fatalf("stored state = %+v", st)
	}
	if b.BuildStatus != types.StatusTypeInProgress || aws.ToString(b.CurrentPhase) != "QUEUED" || b.BuildComplete ||
		phases(b) != "SUBMITTED:SUCCEEDED,QUEUED:IN_PROGRESS" || b.BuildNumber == nil || *b.BuildNumber != 1 ||
		aws.ToString(b.Logs.GroupName) != "custom" || aws.ToString(b.Logs.StreamName) != "pfx/"+uuid ||
		b.Environment.Type != "LINUX_HOST" || aws.ToString(b.Source.Buildspec) != buildspec || aws.ToString(b.SourceVersion) != "abc123" ||
		aws.ToInt32(b.TimeoutInMinutes) != 15 || aws.ToInt32(b.QueuedTimeoutInMinutes) != 10 {
		t.Fatalf("StartBuild answer = %+v", b)
	}
	// The project itself is unchanged but for its counter.
	if p, _ := e.st.BuildProject("app"); p.BuildCounter != 1 || p.Environment.Image != "aws/codebuild/standard:7.0" || len(p.Environment.Variables) != 2 {
		t.Fatalf("project after StartBuild = %+v", p)
	}

	// Without overrides the build takes the project's settings.
	b = e.start(t, &codebuild.StartBuildInput{ProjectName: aws.String("app")})
	sb, _ = e.stored(t, aws.ToString(b.Id))
	if sb.Number != 2 || sb.SourceVersion != "main" || sb.Source.Type != "GITHUB" || sb.Environment.Type != "LINUX_CONTAINER" ||
		sb.TimeoutInMinutes != 60 || sb.QueuedTimeout != 480 || sb.Cache.Type != "NO_CACHE" || sb.Artifacts.Type != "NO_ARTIFACTS" ||
		sb.ServiceRole != role || len(sb.Environment.Variables) != 2 {
		t.Fatalf("plain build = %+v", sb)
	}
}

func TestStartBuildErrors(t *testing.T) {
	e := setup(t)
	e.create(t, project("app"))
	_, err := e.c.StartBuild(ctx(t), &codebuild.StartBuildInput{ProjectName: aws.String("nope")})
	wantErr[*types.ResourceNotFoundException](t, err, "missing project", "Project cannot be found: "+projectARN("nope"))

	tests := []struct {
		name   string
		in     codebuild.StartBuildInput
		fields []string
	}{
		{"docker cache without privileged mode", codebuild.StartBuildInput{CacheOverride: &types.ProjectCache{Type: types.CacheTypeLocal,
			Modes: []types.CacheMode{types.CacheModeLocalDockerLayerCache}}}, []string{"environment.privilegedMode", "cacheOverride"}},
		{"privileged mode turned off", codebuild.StartBuildInput{PrivilegedModeOverride: aws.Bool(false), CacheOverride: &types.ProjectCache{
			Type: types.CacheTypeLocal, Modes: []types.CacheMode{types.CacheModeLocalDockerLayerCache}}}, []string{"privilegedModeOverride"}},
		{"environment type", codebuild.StartBuildInput{EnvironmentTypeOverride: "BOGUS"}, []string{"environmentTypeOverride"}},
		{"NO_SOURCE without buildspec", codebuild.StartBuildInput{SourceTypeOverride: types.SourceTypeNoSource}, []string{"buildspecOverride"}},
		{"S3 artifacts without location", codebuild.StartBuildInput{ArtifactsOverride: &types.ProjectArtifacts{Type: types.ArtifactsTypeS3}},
			[]string{"artifactsOverride.location"}},
		{"timeout", codebuild.StartBuildInput{TimeoutInMinutesOverride: aws.Int32(4)}, []string{"timeoutInMinutesOverride"}},
		{"empty variable value", codebuild.StartBuildInput{EnvironmentVariablesOverride: []types.EnvironmentVariable{{Name: aws.String("X"), Value: aws.String("")}}},
			[]string{"environmentVariablesOverride[0].value"}},
	}
	for _, tt := range tests {
		in := tt.in
		in.ProjectName = aws.String("app")
		_, err := e.c.StartBuild(ctx(t), &in)
		wantErr[*types.InvalidInputException](t, err, tt.name, tt.fields...)
	}
	if n := len(e.st.Builds("")); n != 0 {
		t.Fatalf("refused requests stored %d builds", n)
	}
	if p, _ := e.st.BuildProject("app"); p.BuildCounter != 0 {
		t.Fatalf("refused requests took build numbers: %d", p.BuildCounter)
	}
}

func TestBuildNumbersSurviveDeletes(t *testing.T) {
	e := setup(t)
	e.create(t, project("app"))
	b1 := e.start(t, &codebuild.StartBuildInput{ProjectName: aws.String("app")})
	b2 := e.start(t, &codebuild.StartBuildInput{ProjectName: aws.String("app")})
	if *b1.BuildNumber != 1 || *b2.BuildNumber != 2 {
		t.Fatalf("numbers %d %d", *b1.BuildNumber, *b2.BuildNumber)
	}
	e.finish(t, aws.ToString(b2.Id), model.BuildSucceeded)

	out, err := e.c.BatchDeleteBuilds(ctx(t), &codebuild.BatchDeleteBuildsInput{Ids: []string{aws.ToString(b1.Id), aws.ToString(b2.Arn), "app:missing"}})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(out.BuildsDeleted) != fmt.Sprint([]string{aws.ToString(b2.Arn)}) || len(out.BuildsNotDeleted) != 2 ||
		aws.ToString(out.BuildsNotDeleted[0].Id) != aws.ToString(b1.Arn) || aws.ToString(out.BuildsNotDeleted[0].StatusCode) != "BUILD_IN_PROGRESS" ||
		aws.ToString(out.BuildsNotDeleted[1].Id) != "app:missing" || aws.ToString(out.BuildsNotDeleted[1].StatusCode) != "BUILD_NOT_FOUND" {
		t.Fatalf("BatchDeleteBuilds = %+v", out)
	}
	if _, _, ok := e.st.Build(aws.ToString(b2.Id)); ok {
		t.Fatal("deleted build is still stored")
	}
	b3 := e.start(t, &codebuild.StartBuildInput{ProjectName: aws.String("app")})
	if *b3.BuildNumber != 3 {
		t.Fatalf("number after a delete = %d, want 3", *b3.BuildNumber)
	}
	// Builds outlive their project.
	if _, err := e.c.DeleteProject(ctx(t), &codebuild.DeleteProjectInput{Name: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	got, err := e.c.BatchGetBuilds(ctx(t), &codebuild.BatchGetBuildsInput{Ids: []string{aws.ToString(b3.Id)}})
	if err != nil || len(got.Builds) != 1 {
		t.Fatalf("build of a deleted project: %+v %v", got, err)
	}
}

func TestIdempotencyToken(t *testing.T) {
	e := setup(t)
	e.create(t, project("app"))
	in := &codebuild.StartBuildInput{ProjectName: aws.String("app"), IdempotencyToken: aws.String("tok-1"), ImageOverride: aws.String("img:1")}
	b1 := e.start(t, in)
	e.clock.Advance(4 * time.Minute)
	if b := e.start(t, in); aws.ToString(b.Id) != aws.ToString(b1.Id) || *b.BuildNumber != 1 {
		t.Fatalf("same token and request started %s (#%d), want %s", aws.ToString(b.Id), *b.BuildNumber, aws.ToString(b1.Id))
	}
	other := *in
	other.ImageOverride = aws.String("img:2")
	_, err := e.c.StartBuild(ctx(t), &other)
	wantCode(t, err, "IdempotentParameterMismatchException", "same token, other image")
	if n := len(e.st.Builds("app")); n != 1 {
		t.Fatalf("%d builds stored, want 1", n)
	}
	// After five minutes the token is free again.
	e.clock.Advance(2 * time.Minute)
	if b := e.start(t, &other); aws.ToString(b.Id) == aws.ToString(b1.Id) || *b.BuildNumber != 2 {
		t.Fatalf("expired token: %s #%d", aws.ToString(b.Id), *b.BuildNumber)
	}
}

func TestStopBuild(t *testing.T) {
	e := setup(t)
	e.create(t, project("app"))
	b := e.start(t, &codebuild.StartBuildInput{ProjectName: aws.String("app")})
	id := aws.ToString(b.Id)
	e.clock.Advance(30 * time.Second)

	out, err := e.c.StopBuild(ctx(t), &codebuild.StopBuildInput{Id: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	s := out.Build
	if s.BuildStatus != types.StatusTypeStopped || !s.BuildComplete || aws.ToString(s.CurrentPhase) != "COMPLETED" ||
		!aws.ToTime(s.EndTime).Equal(e.clock.Now()) || phases(s) != "SUBMITTED:SUCCEEDED,QUEUED:STOPPED,COMPLETED:" ||
		s.Phases[1].DurationInSeconds == nil || *s.Phases[1].DurationInSeconds != 30 || s.Phases[2].EndTime != nil {
		t.Fatalf("stopped build = %+v", s)
	}
	sb, st := e.stored(t, id)
	if !sb.StopRequested || st.Version != 2 || !st.Complete || st.Status != model.BuildStopped {
		t.Fatalf("stored after stop: %+v %+v", sb, st)
	}
	// Stopping it again answers the same build.
	e.clock.Advance(time.Minute)
	out, err = e.c.StopBuild(ctx(t), &codebuild.StopBuildInput{Id: aws.String(buildARN(id))})
	if err != nil || out.Build.BuildStatus != types.StatusTypeStopped || !aws.ToTime(out.Build.EndTime).Equal(aws.ToTime(s.EndTime)) {
		t.Fatalf("second stop: %+v %v", out, err)
	}
	if _, st := e.stored(t, id); st.Version != 2 {
		t.Fatalf("second stop rewrote the state: %+v", st)
	}
	// A build that ended is returned unchanged.
	done := e.start(t, &codebuild.StartBuildInput{ProjectName: aws.String("app")})
	e.finish(t, aws.ToString(done.Id), model.BuildSucceeded)
	out, err = e.c.StopBuild(ctx(t), &codebuild.StopBuildInput{Id: done.Id})
	if err != nil || out.Build.BuildStatus != types.StatusTypeSucceeded {
		t.Fatalf("stop of a finished build: %+v %v", out, err)
	}
	if sb, _ := e.stored(t, aws.ToString(done.Id)); sb.StopRequested {
		t.Fatal("stop of a finished build set StopRequested")
	}
	_, err = e.c.StopBuild(ctx(t), &codebuild.StopBuildInput{Id: aws.String("app:nope")})
	wantErr[*types.ResourceNotFoundException](t, err, "stop unknown build", "app:nope")
}

func TestBatchGetBuildsConversion(t *testing.T) {
	e := setup(t)
	in := project("app")
	in.Artifacts = &types.ProjectArtifacts{Type: types.ArtifactsTypeS3, Location: aws.String("bucket"), Name: aws.String("out.zip")}
	in.SecondaryArtifacts = []types.ProjectArtifacts{{Type: types.ArtifactsTypeS3, Location: aws.String("bucket"), ArtifactIdentifier: aws.String("extra")}}
	e.create(t, in)
	b := e.start(t, &codebuild.StartBuildInput{ProjectName: aws.String("app"), SourceVersion: aws.String("main")})
	id := aws.ToString(b.Id)
	uuid := strings.TrimPrefix(id, "app:")
	t0 := e.clock.Now()
	sec := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }
	err := e.st.PutBuildState(context.Background(), id, model.BuildState{
		Version: 7, Status: model.BuildFailed, CurrentPhase: "COMPLETED", Complete: true, EndTime: sec(100),
		ResolvedSourceVersion: "0123456789abcdef0123456789abcdef01234567",
		Phases: []model.BuildPhase{
			{Type: "SUBMITTED", Status: "SUCCEEDED", Start: t0, End: t0},
			{Type: "QUEUED", Status: "SUCCEEDED", Start: t0, End: sec(2)},
			{Type: "BUILD", Status: "FAILED", Start: sec(2), End: sec(92), Contexts: []model.BuildPhaseContext{
				{StatusCode: "COMMAND_EXECUTION_ERROR", Message: "Error while executing command: make. Reason: exit status 2"}}},
			{Type: "COMPLETED", Start: sec(100)},
		},
		Exported: []model.BuildVariable{{Name: "IMAGE_TAG", Value: "0123456"}},
		Artifacts: []model.BuildArtifactResult{
			{Key: "artifacts/app/" + uuid + "/out.zip", SHA256: "aa", MD5: "bb"},
			{Identifier: "extra", Key: "artifacts/app/" + uuid + "/extra.zip", SHA256: "cc", MD5: "dd"},
			{Identifier: "report", Key: "artifacts/app/" + uuid + "/report.zip"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.c.BatchGetBuilds(ctx(t), &codebuild.BatchGetBuildsInput{Ids: []string{buildARN(id), "app:nope"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Builds) != 1 || fmt.Sprint(out.BuildsNotFound) != "[app:nope]" {
		t.Fatalf("BatchGetBuilds = %+v", out)
	}
	g := out.Builds[0]
	if aws.ToString(g.Id) != id || aws.ToString(g.Arn) != buildARN(id) || *g.BuildNumber != 1 || aws.ToString(g.ProjectName) != "app" ||
		aws.ToString(g.Initiator) != "root" || g.BuildStatus != types.StatusTypeFailed || !g.BuildComplete ||
		aws.ToString(g.CurrentPhase) != "COMPLETED" || !aws.ToTime(g.StartTime).Equal(t0) || !aws.ToTime(g.EndTime).Equal(sec(100)) ||
		aws.ToString(g.SourceVersion) != "main" || aws.ToString(g.ResolvedSourceVersion) != "0123456789abcdef0123456789abcdef01234567" ||
		g.Source.Type != types.SourceTypeGithub || aws.ToString(g.Environment.Image) != "aws/codebuild/standard:7.0" ||
		g.Cache.Type != types.CacheTypeNoCache || aws.ToInt32(g.TimeoutInMinutes) != 60 || aws.ToString(g.ServiceRole) != role {
		t.Fatalf("build = %+v", g)
	}
	if phases(&g) != "SUBMITTED:SUCCEEDED,QUEUED:SUCCEEDED,BUILD:FAILED,COMPLETED:" {
		t.Fatalf("phases %s", phases(&g))
	}
	var durations []int64
	for _, p := range g.Phases {
		durations = append(durations, aws.ToInt64(p.DurationInSeconds))
	}
	if fmt.Sprint(durations) != "[0 2 90 0]" || g.Phases[3].EndTime != nil || len(g.Phases[2].Contexts) != 1 ||
		aws.ToString(g.Phases[2].Contexts[0].StatusCode) != "COMMAND_EXECUTION_ERROR" ||
		!strings.Contains(aws.ToString(g.Phases[2].Contexts[0].Message), "exit status 2") {
		t.Fatalf("phase details %v %+v", durations, g.Phases)
	}
	if len(g.ExportedEnvironmentVariables) != 1 || aws.ToString(g.ExportedEnvironmentVariables[0].Name) != "IMAGE_TAG" ||
		aws.ToString(g.ExportedEnvironmentVariables[0].Value) != "0123456" {
		t.Fatalf("exported %+v", g.ExportedEnvironmentVariables)
	}
	if aws.ToString(g.Artifacts.Location) != "arn:aws:s3:::artifacts/app/"+uuid+"/out.zip" ||
		aws.ToString(g.Artifacts.Sha256sum) != "aa" || aws.ToString(g.Artifacts.Md5sum) != "bb" || len(g.SecondaryArtifacts) != 2 ||
		aws.ToString(g.SecondaryArtifacts[0].ArtifactIdentifier) != "extra" ||
		aws.ToString(g.SecondaryArtifacts[0].Location) != "arn:aws:s3:::artifacts/app/"+uuid+"/extra.zip" ||
		aws.ToString(g.SecondaryArtifacts[0].Sha256sum) != "cc" ||
		aws.ToString(g.SecondaryArtifacts[1].ArtifactIdentifier) != "report" {
		t.Fatalf("artifacts %+v %+v", g.Artifacts, g.SecondaryArtifacts)
	}
	if aws.ToString(g.Logs.GroupName) != "/aws/codebuild/app" || aws.ToString(g.Logs.StreamName) != uuid ||
		aws.ToString(g.Logs.CloudWatchLogsArn) != "arn:aws:logs:us-east-1:000000000000:log-group:/aws/codebuild/app:log-stream:"+uuid ||
		g.Logs.CloudWatchLogs.Status != types.LogsConfigStatusTypeEnabled {
		t.Fatalf("logs %+v", g.Logs)
	}
}

func TestListBuilds(t *testing.T) {
	e := setup(t)
	e.create(t, project("one"))
	e.create(t, project("two"))
	t0 := e.clock.Now()
	var all, two []string
	for i := range 105 {
		p := "one"
		if i%3 == 0 {
			p = "two"
		}
		id := fmt.Sprintf("%s:00000000-0000-4000-8000-%012d", p, i)
		b := &model.Build{ID: id, ARN: buildARN(id), Project: p, Number: int64(i + 1), StartTime: t0.Add(time.Duration(i) * time.Second)}
		if err := e.st.CreateBuild(context.Background(), b, &model.BuildState{Version: 1, Status: "SUCCEEDED", Complete: true}); err != nil {
			t.Fatal(err)
		}
		all = append(all, id)
		if p == "two" {
			two = append(two, id)
		}
	}
	reverse := func(in []string) []string {
		out := make([]string, len(in))
		for i, s := range in {
			out[len(in)-1-i] = s
		}
		return out
	}

	collect := func(order types.SortOrderType) ([]string, int) {
		p := codebuild.NewListBuildsPaginator(e.c, &codebuild.ListBuildsInput{SortOrder: order})
		var ids []string
		pages := 0
		for p.HasMorePages() {
			out, err := p.NextPage(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			if pages == 0 && len(out.Ids) != 100 {
				t.Fatalf("first page has %d ids", len(out.Ids))
			}
			pages++
			ids = append(ids, out.Ids...)
		}
		return ids, pages
	}
	if ids, pages := collect(""); pages != 2 || strings.Join(ids, ",") != strings.Join(reverse(all), ",") {
		t.Fatalf("default (descending) order: %d pages, %v...", pages, ids[:3])
	}
	if ids, _ := collect(types.SortOrderTypeAscending); strings.Join(ids, ",") != strings.Join(all, ",") {
		t.Fatalf("ascending order: %v...", ids[:3])
	}

	out, err := e.c.ListBuildsForProject(ctx(t), &codebuild.ListBuildsForProjectInput{ProjectName: aws.String("two")})
	if err != nil || strings.Join(out.Ids, ",") != strings.Join(reverse(two), ",") || out.NextToken != nil {
		t.Fatalf("ListBuildsForProject(two) = %v %v", out, err)
	}
	_, err = e.c.ListBuildsForProject(ctx(t), &codebuild.ListBuildsForProjectInput{ProjectName: aws.String("three")})
	wantErr[*types.ResourceNotFoundException](t, err, "list builds of a missing project", projectARN("three"))
	_, err = e.c.ListBuilds(ctx(t), &codebuild.ListBuildsInput{NextToken: aws.String("%%%")})
	wantErr[*types.InvalidInputException](t, err, "bad token", "nextToken")
}

func TestPlacement(t *testing.T) {
	e := setup(t)
	c := context.Background()
	if _, err := e.st.CreateCluster(c, model.Cluster{Name: "default"}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"i-b", "i-a"} {
		if _, err := e.st.RegisterInstance(c, "default", model.ContainerInstance{
			ID: id, ARN: e.st.ARNs.ContainerInstance("default", id), ClusterARN: e.st.ARNs.Cluster("default"),
			Status: model.InstanceActive, AgentConnected: true, LastHeartbeat: e.clock.Now(),
		}); err != nil {
			t.Fatal(err)
		}
	}
	e.create(t, project("app"))
	startOn := func(wantInstance string) string {
		t.Helper()
		b := e.start(t, &codebuild.StartBuildInput{ProjectName: aws.String("app")})
		sb, st := e.stored(t, aws.ToString(b.Id))
		wantPhase := "SUBMITTED"
		wantCluster := "default"
		if wantInstance == "" {
			wantPhase, wantCluster = "QUEUED", ""
		}
		if sb.InstanceID != wantInstance || sb.Cluster != wantCluster || st.CurrentPhase != wantPhase || aws.ToString(b.CurrentPhase) != wantPhase {
			t.Fatalf("build #%d placed on %q/%q in %s, want %q in %s", sb.Number, sb.Cluster, sb.InstanceID, st.CurrentPhase, wantInstance, wantPhase)
		}
		return sb.ID
	}
	b1 := startOn("i-a") // tie: the lowest id
	b2 := startOn("i-b") // i-a has one build
	e.finish(t, b1, model.BuildSucceeded)
	startOn("i-a") // b1 ended: i-a is free again

	// Both agents fall silent: the build waits.
	e.clock.Advance(3 * time.Minute)
	startOn("")
	// i-b calls in again (the heartbeat is recorded apart from the instance).
	if err := e.st.RecordHeartbeat(c, "default", "i-b"); err != nil {
		t.Fatal(err)
	}
	startOn("i-b")

	// Stopping a placed build asks its agent; the build runs on until then.
	out, err := e.c.StopBuild(ctx(t), &codebuild.StopBuildInput{Id: aws.String(b2)})
	if err != nil || out.Build.BuildStatus != types.StatusTypeInProgress || out.Build.BuildComplete {
		t.Fatalf("stop of a placed build: %+v %v", out, err)
	}
	if sb, st := e.stored(t, b2); !sb.StopRequested || st.Complete || st.Version != 1 {
		t.Fatalf("placed build after stop: %+v %+v", sb, st)
	}
}

func TestRetryBuild(t *testing.T) {
	e := setup(t)
	e.create(t, project("app"))
	b1 := e.start(t, &codebuild.StartBuildInput{ProjectName: aws.String("app"), ImageOverride: aws.String("custom:1"),
		EnvironmentVariablesOverride: []types.EnvironmentVariable{{Name: aws.String("X"), Value: aws.String("y")}}})
	e.clock.Advance(time.Minute)
	out, err := e.c.RetryBuild(ctx(t), &codebuild.RetryBuildInput{Id: b1.Id})
	if err != nil {
		t.Fatal(err)
	}
	r := out.Build
	s1, _ := e.stored(t, aws.ToString(b1.Id))
	s2, st2 := e.stored(t, aws.ToString(r.Id))
	if s2.ID == s1.ID || s2.Number != 2 || s2.Environment.Image != "custom:1" || fmt.Sprint(s2.Environment.Variables) != fmt.Sprint(s1.Environment.Variables) ||
		s2.LogStream != s2.UUID() || !s2.StartTime.Equal(e.clock.Now()) || st2.Version != 1 || st2.Complete {
		t.Fatalf("retried build = %+v (from %+v)", s2, s1)
	}
	// With a token, a repeated retry answers the same build, with or
	// without the id.
	r3, err := e.c.RetryBuild(ctx(t), &codebuild.RetryBuildInput{Id: b1.Id, IdempotencyToken: aws.String("r1")})
	if err != nil || *r3.Build.BuildNumber != 3 {
		t.Fatalf("retry with token: %+v %v", r3, err)
	}
	for _, in := range []*codebuild.RetryBuildInput{{Id: b1.Id, IdempotencyToken: aws.String("r1")}, {IdempotencyToken: aws.String("r1")}} {
		again, err := e.c.RetryBuild(ctx(t), in)
		if err != nil || aws.ToString(again.Build.Id) != aws.ToString(r3.Build.Id) {
			t.Fatalf("repeated retry %+v: %+v %v", in, again, err)
		}
	}
	_, err = e.c.RetryBuild(ctx(t), &codebuild.RetryBuildInput{Id: aws.String("app:nope")})
	wantErr[*types.ResourceNotFoundException](t, err, "retry unknown build", "app:nope")
	_, err = e.c.RetryBuild(ctx(t), &codebuild.RetryBuildInput{})
	wantErr[*types.InvalidInputException](t, err, "retry without id", "id")
}
