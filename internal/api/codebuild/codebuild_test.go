package codebuild_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	"github.com/aws/aws-sdk-go-v2/service/codebuild/types"
	"github.com/aws/smithy-go"

	cbapi "github.com/wharfhq/wharf/internal/api/codebuild"
	"github.com/wharfhq/wharf/internal/arn"
	"github.com/wharfhq/wharf/internal/state"
	"github.com/wharfhq/wharf/internal/testutil/apitest"
)

const (
	region  = "us-east-1"
	account = "000000000000"
	role    = "arn:aws:iam::000000000000:role/build"
)

// env is a CodeBuild service on a state with embedded etcd, mounted on the
// gateway of an httptest server, and a real SDK client for it.
type env struct {
	c     *codebuild.Client
	st    *state.State
	clock *apitest.Clock
	url   string
}

func setup(t testing.TB) *env {
	t.Helper()
	clk := apitest.NewClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	a := apitest.Start(t, apitest.Config{Now: clk.Now, ARNs: arn.Builder{Region: region, Account: account}}, func(a *apitest.Env) {
		a.Gateway.AddJSONService(cbapi.New(a.State, region, account, a.Logger).Service())
	})
	c := codebuild.NewFromConfig(apitest.AWSConfig(region), func(o *codebuild.Options) { o.BaseEndpoint = aws.String(a.URL) })
	return &env{c: c, st: a.State, clock: clk, url: a.URL}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// wantErr checks that err is the typed SDK error E and that its message
// contains every fragment.
func wantErr[E interface {
	error
	ErrorMessage() string
}](t *testing.T, err error, what string, fragments ...string) {
	t.Helper()
	var target E
	if !errors.As(err, &target) {
		t.Fatalf("%s: err = %v, want %T", what, err, target)
	}
	for _, f := range fragments {
		if !strings.Contains(target.ErrorMessage(), f) {
			t.Fatalf("%s: message %q does not mention %q", what, target.ErrorMessage(), f)
		}
	}
}

func wantCode(t *testing.T, err error, code, what string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("%s: err = %v, want %s", what, err, code)
	}
}

// raw posts a body to an operation without the SDK (whose client-side
// checks would refuse it) and returns the status and error envelope.
func (e *env) raw(t *testing.T, op, body string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.url+"/", bytes.NewReader([]byte(body)))
	req.Header.Set("X-Amz-Target", "CodeBuild_20161006."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf, _ := io.ReadAll(resp.Body)
	var out struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(buf, &out)
	return resp.StatusCode, out.Type, out.Message
}

// project returns a valid CreateProject request.
func project(name string) *codebuild.CreateProjectInput {
	return &codebuild.CreateProjectInput{
		Name:        aws.String(name),
		ServiceRole: aws.String(role),
		Source:      &types.ProjectSource{Type: types.SourceTypeGithub, Location: aws.String("https://example.invalid/app.git")},
		Artifacts:   &types.ProjectArtifacts{Type: types.ArtifactsTypeNoArtifacts},
		Environment: &types.ProjectEnvironment{
			Type: types.EnvironmentTypeLinuxContainer, Image: aws.String("aws/codebuild/standard:7.0"),
			ComputeType: types.ComputeTypeBuildGeneral1Small,
		},
	}
}

func (e *env) create(t *testing.T, in *codebuild.CreateProjectInput) *types.Project {
	t.Helper()
	out, err := e.c.CreateProject(ctx(t), in)
	if err != nil {
		t.Fatalf("CreateProject(%s): %v", aws.ToString(in.Name), err)
	}
	return out.Project
}

func projectARN(name string) string {
	return "arn:aws:codebuild:" + region + ":" + account + ":project/" + name
}

func TestCreateProjectDefaults(t *testing.T) {
	e := setup(t)
	in := project("app")
	in.Tags = []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}}
	p := e.create(t, in)
	if aws.ToString(p.Arn) != projectARN("app") || aws.ToString(p.Name) != "app" ||
		aws.ToInt32(p.TimeoutInMinutes) != 60 || aws.ToInt32(p.QueuedTimeoutInMinutes) != 480 ||
		p.Cache == nil || p.Cache.Type != types.CacheTypeNoCache ||
		p.LogsConfig == nil || p.LogsConfig.CloudWatchLogs == nil || p.LogsConfig.CloudWatchLogs.Status != types.LogsConfigStatusTypeEnabled ||
		p.Environment.ImagePullCredentialsType != types.ImagePullCredentialsTypeCodebuild || aws.ToBool(p.Environment.PrivilegedMode) ||
		!aws.ToTime(p.Created).Equal(e.clock.Now()) || !aws.ToTime(p.LastModified).Equal(e.clock.Now()) ||
		len(p.Tags) != 1 || aws.ToString(p.Tags[0].Key) != "team" || aws.ToString(p.ServiceRole) != role ||
		p.Artifacts.Type != types.ArtifactsTypeNoArtifacts || p.Source.Type != types.SourceTypeGithub {
		t.Fatalf("project = %+v", p)
	}
	// The stored project is what BatchGetProjects reports.
	stored, ok := e.st.BuildProject("app")
	if !ok || stored.BuildCounter != 0 || stored.TimeoutInMinutes != 60 || stored.Logs.Status != "ENABLED" {
		t.Fatalf("stored = %+v", stored)
	}

	_, err := e.c.CreateProject(ctx(t), project("app"))
	wantErr[*types.ResourceAlreadyExistsException](t, err, "duplicate", "Project already exists: "+projectARN("app"))

	// LINUX_HOST, wharf's extension, is accepted though the model's enum
	// does not list it.
	host := project("host")
	host.Environment.Type = "LINUX_HOST"
	if p := e.create(t, host); p.Environment.Type != "LINUX_HOST" {
		t.Fatalf("LINUX_HOST project = %+v", p.Environment)
	}
	if p, _ := e.st.BuildProject("host"); p.Environment.Type != "LINUX_HOST" {
		t.Fatalf("stored LINUX_HOST project = %+v", p.Environment)
	}
}

func TestCreateProjectValidation(t *testing.T) {
	e := setup(t)
	tests := []struct {
		name   string
		mod    func(*codebuild.CreateProjectInput)
		fields []string
	}{
		{"name pattern", func(in *codebuild.CreateProjectInput) { in.Name = aws.String("-app") }, []string{"name"}},
		{"name too long", func(in *codebuild.CreateProjectInput) { in.Name = aws.String(strings.Repeat("a", 151)) }, []string{"name"}},
		{"environment type", func(in *codebuild.CreateProjectInput) { in.Environment.Type = "LINUX_BOGUS" }, []string{"environment.type"}},
		{"compute type", func(in *codebuild.CreateProjectInput) { in.Environment.ComputeType = "HUGE" }, []string{"environment.computeType"}},
		{"source type", func(in *codebuild.CreateProjectInput) { in.Source.Type = "SVN" }, []string{"source.type"}},
		{"source location", func(in *codebuild.CreateProjectInput) { in.Source.Location = nil }, []string{"source.location"}},
		{"NO_SOURCE needs a buildspec", func(in *codebuild.CreateProjectInput) {
			in.Source = &types.ProjectSource{Type: types.SourceTypeNoSource}
		}, []string{"source.buildspec"}},
		{"S3 artifacts need a location", func(in *codebuild.CreateProjectInput) {
			in.Artifacts = &types.ProjectArtifacts{Type: types.ArtifactsTypeS3}
		}, []string{"artifacts.location"}},
		{"secondary artifacts need an identifier", func(in *codebuild.CreateProjectInput) {
			in.SecondaryArtifacts = []types.ProjectArtifacts{{Type: types.ArtifactsTypeS3, Location: aws.String("b")}}
		}, []string{"secondaryArtifacts[0].artifactIdentifier"}},
		{"timeout bounds", func(in *codebuild.CreateProjectInput) { in.TimeoutInMinutes = aws.Int32(3) }, []string{"timeoutInMinutes"}},
		{"queued timeout bounds", func(in *codebuild.CreateProjectInput) { in.QueuedTimeoutInMinutes = aws.Int32(481) }, []string{"queuedTimeoutInMinutes"}},
		{"LOCAL cache needs modes", func(in *codebuild.CreateProjectInput) {
			in.Cache = &types.ProjectCache{Type: types.CacheTypeLocal}
		}, []string{"cache.modes"}},
		{"docker layer cache needs privileged mode", func(in *codebuild.CreateProjectInput) {
			in.Cache = &types.ProjectCache{Type: types.CacheTypeLocal, Modes: []types.CacheMode{types.CacheModeLocalDockerLayerCache}}
		}, []string{"environment.privilegedMode", "LOCAL_DOCKER_LAYER_CACHE"}},
		{"logs status", func(in *codebuild.CreateProjectInput) {
			in.LogsConfig = &types.LogsConfig{CloudWatchLogs: &types.CloudWatchLogsConfig{Status: "MAYBE"}}
		}, []string{"logsConfig.cloudWatchLogs.status"}},
		{"secondary sources", func(in *codebuild.CreateProjectInput) {
			in.SecondarySources = []types.ProjectSource{{Type: types.SourceTypeNoSource, SourceIdentifier: aws.String("x")}}
		}, []string{"secondarySources"}},
		{"empty tag key", func(in *codebuild.CreateProjectInput) {
			in.Tags = []types.Tag{{Key: aws.String(""), Value: aws.String("v")}}
		}, []string{"tags[0].key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := project("valid-name")
			tt.mod(in)
			_, err := e.c.CreateProject(ctx(t), in)
			wantErr[*types.InvalidInputException](t, err, tt.name, tt.fields...)
		})
	}
	// The docker layer cache is fine in privileged mode.
	ok := project("docker")
	ok.Environment.PrivilegedMode = aws.Bool(true)
	ok.Cache = &types.ProjectCache{Type: types.CacheTypeLocal, Modes: []types.CacheMode{types.CacheModeLocalDockerLayerCache, types.CacheModeLocalSourceCache}}
	if p := e.create(t, ok); len(p.Cache.Modes) != 2 || !aws.ToBool(p.Environment.PrivilegedMode) {
		t.Fatalf("docker cache project = %+v %+v", p.Cache, p.Environment)
	}
	if len(e.st.BuildProjects()) != 1 {
		t.Fatalf("invalid requests stored projects: %d", len(e.st.BuildProjects()))
	}

	// Required members the SDK would refuse to send.
	for _, tt := range []struct{ body, field string }{
		{`{"name":"x1","serviceRole":"r","artifacts":{"type":"NO_ARTIFACTS"},"environment":{"type":"LINUX_CONTAINER","image":"i","computeType":"BUILD_GENERAL1_SMALL"}}`, "source"},
		{`{"name":"x1","serviceRole":"r","source":{"type":"NO_SOURCE","buildspec":"b"},"environment":{"type":"LINUX_CONTAINER","image":"i","computeType":"BUILD_GENERAL1_SMALL"}}`, "artifacts"},
		{`{"name":"x1","serviceRole":"r","source":{"type":"NO_SOURCE","buildspec":"b"},"artifacts":{"type":"NO_ARTIFACTS"}}`, "environment"},
		{`{"name":"x1","serviceRole":"r","source":{"type":"NO_SOURCE","buildspec":"b"},"artifacts":{"type":"NO_ARTIFACTS"},"environment":{"type":"LINUX_HOST","computeType":"BUILD_GENERAL1_SMALL"}}`, "environment.image"},
		{`{"name":"x1","source":{"type":"NO_SOURCE","buildspec":"b"},"artifacts":{"type":"NO_ARTIFACTS"},"environment":{"type":"LINUX_HOST","image":"i","computeType":"BUILD_GENERAL1_SMALL"}}`, "serviceRole"},
		{`{"name":"x1","serviceRole":"r","source":{"type":"NO_SOURCE","buildspec":"b"},"artifacts":{"type":"NO_ARTIFACTS"},"environment":{"image":"i","computeType":"BUILD_GENERAL1_SMALL"}}`, "environment.type"},
	} {
		status, typ, msg := e.raw(t, "CreateProject", tt.body)
		if status != 400 || typ != "InvalidInputException" || !strings.Contains(msg, tt.field) {
			t.Errorf("CreateProject %s: %d %s %q", tt.body, status, typ, msg)
		}
	}
}

func TestUpdateProject(t *testing.T) {
	e := setup(t)
	in := project("app")
	in.Description = aws.String("first")
	in.Environment.EnvironmentVariables = []types.EnvironmentVariable{{Name: aws.String("A"), Value: aws.String("1")}}
	e.create(t, in)
	e.clock.Advance(time.Minute)

	out, err := e.c.UpdateProject(ctx(t), &codebuild.UpdateProjectInput{Name: aws.String("app"), TimeoutInMinutes: aws.Int32(30)})
	if err != nil {
		t.Fatal(err)
	}
	p := out.Project
	if aws.ToInt32(p.TimeoutInMinutes) != 30 || aws.ToString(p.Description) != "first" || aws.ToInt32(p.QueuedTimeoutInMinutes) != 480 ||
		len(p.Environment.EnvironmentVariables) != 1 || p.Source.Type != types.SourceTypeGithub ||
		!aws.ToTime(p.LastModified).Equal(e.clock.Now()) || aws.ToTime(p.Created).Equal(e.clock.Now()) {
		t.Fatalf("after timeout update: %+v", p)
	}

	// A cache that needs privileged mode is refused until the environment
	// has it; both may change in one request.
	cache := &types.ProjectCache{Type: types.CacheTypeLocal, Modes: []types.CacheMode{types.CacheModeLocalDockerLayerCache}}
	_, err = e.c.UpdateProject(ctx(t), &codebuild.UpdateProjectInput{Name: aws.String("app"), Cache: cache})
	wantErr[*types.InvalidInputException](t, err, "docker cache without privileged mode", "environment.privilegedMode")
	envIn := *in.Environment
	envIn.PrivilegedMode = aws.Bool(true)
	envIn.Type = "LINUX_HOST"
	out, err = e.c.UpdateProject(ctx(t), &codebuild.UpdateProjectInput{Name: aws.String("app"), Cache: cache, Environment: &envIn,
		Artifacts: &types.ProjectArtifacts{Type: types.ArtifactsTypeS3, Location: aws.String("bucket"), Name: aws.String("out.zip")},
		Tags:      []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	if err != nil {
		t.Fatal(err)
	}
	p = out.Project
	if p.Cache.Type != types.CacheTypeLocal || !aws.ToBool(p.Environment.PrivilegedMode) || p.Environment.Type != "LINUX_HOST" ||
		p.Artifacts.Type != types.ArtifactsTypeS3 || aws.ToString(p.Artifacts.Location) != "bucket" ||
		p.Artifacts.Packaging != types.ArtifactPackagingNone || len(p.Tags) != 1 || aws.ToInt32(p.TimeoutInMinutes) != 30 {
		t.Fatalf("after second update: %+v", p)
	}

	_, err = e.c.UpdateProject(ctx(t), &codebuild.UpdateProjectInput{Name: aws.String("nope"), Description: aws.String("x")})
	wantErr[*types.ResourceNotFoundException](t, err, "update missing project", "Project cannot be found: "+projectARN("nope"))
	_, err = e.c.UpdateProject(ctx(t), &codebuild.UpdateProjectInput{Name: aws.String("app"), TimeoutInMinutes: aws.Int32(3000)})
	wantErr[*types.InvalidInputException](t, err, "update timeout", "timeoutInMinutes")
	if p, _ := e.st.BuildProject("app"); p.TimeoutInMinutes != 30 {
		t.Fatalf("refused update changed the project: %+v", p)
	}
}

func TestGetListDeleteProjects(t *testing.T) {
	e := setup(t)
	for _, n := range []string{"bravo", "alpha", "charlie"} {
		e.create(t, project(n))
		e.clock.Advance(time.Second)
	}
	// bravo, created first, is modified last.
	if _, err := e.c.UpdateProject(ctx(t), &codebuild.UpdateProjectInput{Name: aws.String("bravo"), Description: aws.String("x")}); err != nil {
		t.Fatal(err)
	}

	bg, err := e.c.BatchGetProjects(ctx(t), &codebuild.BatchGetProjectsInput{Names: []string{"alpha", projectARN("charlie"), "nope", projectARN("nope2")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(bg.Projects) != 2 || aws.ToString(bg.Projects[0].Name) != "alpha" || aws.ToString(bg.Projects[1].Name) != "charlie" ||
		fmt.Sprint(bg.ProjectsNotFound) != fmt.Sprint([]string{"nope", projectARN("nope2")}) {
		t.Fatalf("BatchGetProjects = %+v", bg)
	}

	list := func(by types.ProjectSortByType, order types.SortOrderType) string {
		t.Helper()
		out, err := e.c.ListProjects(ctx(t), &codebuild.ListProjectsInput{SortBy: by, SortOrder: order})
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(out.Projects, ",")
	}
	for _, tt := range []struct {
		by    types.ProjectSortByType
		order types.SortOrderType
		want  string
	}{
		{"", "", "alpha,bravo,charlie"},
		{types.ProjectSortByTypeName, types.SortOrderTypeDescending, "charlie,bravo,alpha"},
		{types.ProjectSortByTypeCreatedTime, types.SortOrderTypeAscending, "bravo,alpha,charlie"},
		{types.ProjectSortByTypeLastModifiedTime, types.SortOrderTypeDescending, "bravo,charlie,alpha"},
	} {
		if got := list(tt.by, tt.order); got != tt.want {
			t.Errorf("ListProjects(%s %s) = %s, want %s", tt.by, tt.order, got, tt.want)
		}
	}
	_, err = e.c.ListProjects(ctx(t), &codebuild.ListProjectsInput{NextToken: aws.String("!!!")})
	wantErr[*types.InvalidInputException](t, err, "bad token", "nextToken")

	// Deleting is idempotent, by name or ARN.
	for _, n := range []string{"alpha", projectARN("bravo"), "alpha", "never-existed"} {
		if _, err := e.c.DeleteProject(ctx(t), &codebuild.DeleteProjectInput{Name: aws.String(n)}); err != nil {
			t.Fatalf("DeleteProject(%s): %v", n, err)
		}
	}
	if got := list("", ""); got != "charlie" {
		t.Fatalf("after delete: %s", got)
	}
}

// TestProjectPagination lists more projects than fit on a page.
func TestProjectPagination(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 150 projects")
	}
	e := setup(t)
	for i := range 150 {
		e.create(t, project(fmt.Sprintf("p%03d", i)))
	}
	p := codebuild.NewListProjectsPaginator(e.c, &codebuild.ListProjectsInput{SortOrder: types.SortOrderTypeDescending})
	var names []string
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		pages++
		names = append(names, out.Projects...)
	}
	if pages != 2 || len(names) != 150 || names[0] != "p149" || names[99] != "p050" || names[149] != "p000" {
		t.Fatalf("%d pages, %d names: %v ... %v", pages, len(names), names[:2], names[len(names)-2:])
	}
}
