package codecommit_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	"github.com/aws/aws-sdk-go-v2/service/codecommit/types"

	"github.com/wharfhq/wharf/internal/api"
	cc "github.com/wharfhq/wharf/internal/api/codecommit"
	"github.com/wharfhq/wharf/internal/gitrepo"
	"github.com/wharfhq/wharf/internal/testutil/apitest"
)

type fixture struct {
	client *codecommit.Client
	url    string
	store  *gitrepo.Store
	clock  *apitest.Clock
}

// setup serves the CodeCommit API through the gateway and the git handler
// at /git/, as the server mounts them, on a loopback port.
func setup(t *testing.T, opts ...cc.Option) *fixture {
	t.Helper()
	logger := apitest.Logger()
	clk := apitest.NewClock(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
	store := gitrepo.New(filepath.Join(t.TempDir(), "git"), gitrepo.WithClock(clk.Now))
	url := apitest.Serve(t, logger, func(gw *api.Gateway, url string) {
		baseURL := func(context.Context) string { return url }
		gw.AddJSONService(cc.New(store, "us-east-1", "000000000000", baseURL, logger, opts...).Service())
		gw.Handle(store.PathPrefix(), store.Handler(gitrepo.HandlerOptions{}))
	})

	// No retries: a failed request fails the test at once.
	cfg := apitest.AWSConfig("us-east-1")
	cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	client := codecommit.NewFromConfig(cfg, func(o *codecommit.Options) { o.BaseEndpoint = aws.String(url) })
	return &fixture{client: client, url: url, store: store, clock: clk}
}

func TestRepositories(t *testing.T) {
	f := setup(t, cc.WithPageSize(2))
	ctx := context.Background()

	var invalid *types.InvalidRepositoryNameException
	for _, name := range []string{"bad name", "app.git", strings.Repeat("x", 101)} {
		if _, err := f.client.CreateRepository(ctx, &codecommit.CreateRepositoryInput{RepositoryName: aws.String(name)}); !errors.As(err, &invalid) {
			t.Fatalf("create %q: %v", name, err)
		}
	}
	var badDesc *types.InvalidRepositoryDescriptionException
	if _, err := f.client.CreateRepository(ctx, &codecommit.CreateRepositoryInput{RepositoryName: aws.String("x"),
		RepositoryDescription: aws.String(strings.Repeat("d", 1001))}); !errors.As(err, &badDesc) {
		t.Fatalf("long description: %v", err)
	}

	out, err := f.client.CreateRepository(ctx, &codecommit.CreateRepositoryInput{RepositoryName: aws.String("app"),
		RepositoryDescription: aws.String("the app"), Tags: map[string]string{"team": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	md := out.RepositoryMetadata
	if aws.ToString(md.Arn) != "arn:aws:codecommit:us-east-1:000000000000:app" || aws.ToString(md.AccountId) != "000000000000" ||
		aws.ToString(md.CloneUrlHttp) != f.url+"/git/app" || len(aws.ToString(md.RepositoryId)) != 36 ||
		aws.ToString(md.RepositoryDescription) != "the app" || md.DefaultBranch != nil ||
		!aws.ToTime(md.CreationDate).Equal(f.clock.Now()) || !aws.ToTime(md.LastModifiedDate).Equal(f.clock.Now()) {
		t.Fatalf("metadata %+v", md)
	}
	var exists *types.RepositoryNameExistsException
	if _, err := f.client.CreateRepository(ctx, &codecommit.CreateRepositoryInput{RepositoryName: aws.String("app")}); !errors.As(err, &exists) {
		t.Fatalf("duplicate: %v", err)
	}
	got, err := f.client.GetRepository(ctx, &codecommit.GetRepositoryInput{RepositoryName: aws.String("app")})
	if err != nil || aws.ToString(got.RepositoryMetadata.RepositoryId) != aws.ToString(md.RepositoryId) {
		t.Fatalf("get %+v %v", got, err)
	}
	var missing *types.RepositoryDoesNotExistException
	if _, err := f.client.GetRepository(ctx, &codecommit.GetRepositoryInput{RepositoryName: aws.String("nope")}); !errors.As(err, &missing) ||
		!strings.Contains(err.Error(), "nope does not exist") {
		t.Fatalf("get missing: %v", err)
	}
	if _, err := f.client.UpdateRepositoryDescription(ctx, &codecommit.UpdateRepositoryDescriptionInput{RepositoryName: aws.String("app"),
		RepositoryDescription: aws.String("new")}); err != nil {
		t.Fatal(err)
	}

	// Four more repositories, modified in an order unlike their names.
	for _, name := range []string{"delta", "bravo", "echo", "charlie"} {
		f.clock.Advance(time.Minute)
		if _, err := f.client.CreateRepository(ctx, &codecommit.CreateRepositoryInput{RepositoryName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
	list := func(in codecommit.ListRepositoriesInput) []string {
		t.Helper()
		var names []string
		pages := 0
		p := codecommit.NewListRepositoriesPaginator(f.client, &in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, r := range out.Repositories {
				names = append(names, aws.ToString(r.RepositoryName))
			}
		}
		if pages != 3 {
			t.Fatalf("%d pages of 2 for %v", pages, names)
		}
		return names
	}
	for _, tc := range []struct {
		in   codecommit.ListRepositoriesInput
		want string
	}{
		{codecommit.ListRepositoriesInput{}, "app,bravo,charlie,delta,echo"},
		{codecommit.ListRepositoriesInput{Order: types.OrderEnumDescending}, "echo,delta,charlie,bravo,app"},
		{codecommit.ListRepositoriesInput{SortBy: types.SortByEnumModifiedDate}, "app,delta,bravo,echo,charlie"},
		{codecommit.ListRepositoriesInput{SortBy: types.SortByEnumModifiedDate, Order: types.OrderEnumDescending}, "charlie,echo,bravo,delta,app"},
	} {
		if got := strings.Join(list(tc.in), ","); got != tc.want {
			t.Errorf("list %+v: %s, want %s", tc.in, got, tc.want)
		}
	}
	var badToken *types.InvalidContinuationTokenException
	if _, err := f.client.ListRepositories(ctx, &codecommit.ListRepositoriesInput{NextToken: aws.String("garbage")}); !errors.As(err, &badToken) {
		t.Fatalf("bad token: %v", err)
	}
	first, _ := f.client.ListRepositories(ctx, &codecommit.ListRepositoriesInput{})
	if _, err := f.client.ListRepositories(ctx, &codecommit.ListRepositoriesInput{NextToken: first.NextToken, Order: types.OrderEnumDescending}); !errors.As(err, &badToken) {
		t.Fatalf("token of another listing: %v", err)
	}
	var badSort *types.InvalidSortByException
	if _, err := f.client.ListRepositories(ctx, &codecommit.ListRepositoriesInput{SortBy: "size"}); !errors.As(err, &badSort) {
		t.Fatalf("bad sortBy: %v", err)
	}

	batch, err := f.client.BatchGetRepositories(ctx, &codecommit.BatchGetRepositoriesInput{RepositoryNames: []string{"app", "ghost"}})
	if err != nil || len(batch.Repositories) != 1 || aws.ToString(batch.Repositories[0].RepositoryDescription) != "new" ||
		!reflect.DeepEqual(batch.RepositoriesNotFound, []string{"ghost"}) {
		t.Fatalf("batch get %+v %v", batch, err)
	}

	del, err := f.client.DeleteRepository(ctx, &codecommit.DeleteRepositoryInput{RepositoryName: aws.String("app")})
	if err != nil || aws.ToString(del.RepositoryId) != aws.ToString(md.RepositoryId) {
		t.Fatalf("delete %+v %v", del, err)
	}
	del, err = f.client.DeleteRepository(ctx, &codecommit.DeleteRepositoryInput{RepositoryName: aws.String("app")})
	if err != nil || del.RepositoryId != nil {
		t.Fatalf("delete again %+v %v", del, err)
	}
	if _, err := f.client.DeleteRepository(ctx, &codecommit.DeleteRepositoryInput{RepositoryName: aws.String("bad name")}); !errors.As(err, &invalid) {
		t.Fatalf("delete bad name: %v", err)
	}
	if _, err := f.client.GetRepository(ctx, &codecommit.GetRepositoryInput{RepositoryName: aws.String("app")}); !errors.As(err, &missing) {
		t.Fatalf("get deleted: %v", err)
	}
}

// TestRequiredMembers posts requests the SDK would refuse to send, to see
// CodeCommit's own exceptions for missing members.
func TestRequiredMembers(t *testing.T) {
	f := setup(t)
	for _, tc := range []struct{ op, body, want string }{
		{"GetRepository", `{}`, "RepositoryNameRequiredException"},
		{"CreateRepository", `{"repositoryName":""}`, "RepositoryNameRequiredException"},
		{"GetBranch", `{"repositoryName":"app"}`, "BranchNameRequiredException"},
		{"GetBranch", `{"branchName":"main"}`, "RepositoryNameRequiredException"},
		{"GetCommit", `{"repositoryName":"app"}`, "CommitIdRequiredException"},
		{"BatchGetRepositories", `{}`, "RepositoryNamesRequiredException"},
		{"ListRepositories", `{"order":"sideways"}`, "InvalidOrderException"},
		{"GetRepository", `{"repositoryName":7}`, "SerializationException"},
		{"MergeBranchesByFastForward", `{}`, "UnknownOperationException"},
	} {
		req, _ := http.NewRequest("POST", f.url, strings.NewReader(tc.body))
		req.Header.Set("X-Amz-Target", "CodeCommit_20150413."+tc.op)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(body), `"__type":"`+tc.want+`"`) {
			t.Errorf("%s %s: %d %s, want %s", tc.op, tc.body, resp.StatusCode, body, tc.want)
		}
	}
}

// TestBranchesAndCommits pushes with the stock git client to the clone URL
// the API returns, then reads the result back through the API.
func TestBranchesAndCommits(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	f := setup(t, cc.WithPageSize(2))
	ctx := context.Background()
	out, err := f.client.CreateRepository(ctx, &codecommit.CreateRepositoryInput{RepositoryName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	cloneURL := aws.ToString(out.RepositoryMetadata.CloneUrlHttp)
	work := filepath.Join(t.TempDir(), "work")
	home := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = work
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0",
			"GIT_AUTHOR_NAME=Ada Lovelace", "GIT_AUTHOR_EMAIL=ada@example.com",
			"GIT_COMMITTER_NAME=Ada Lovelace", "GIT_COMMITTER_EMAIL=ada@example.com",
			"GIT_AUTHOR_DATE=1700000000 +0100", "GIT_COMMITTER_DATE=1700000000 +0100"}
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, b)
		}
		return strings.TrimSpace(string(b))
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	git("init", "--quiet", "-b", "main")
	if err := os.WriteFile(filepath.Join(work, "buildspec.yml"), []byte("version: 0.2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", ".")
	git("commit", "--quiet", "-m", "Add buildspec")
	head := git("rev-parse", "HEAD")
	git("push", "--quiet", cloneURL, "main")

	b, err := f.client.GetBranch(ctx, &codecommit.GetBranchInput{RepositoryName: aws.String("app"), BranchName: aws.String("main")})
	if err != nil || aws.ToString(b.Branch.CommitId) != head || aws.ToString(b.Branch.BranchName) != "main" {
		t.Fatalf("get branch %+v %v", b, err)
	}
	repo, err := f.client.GetRepository(ctx, &codecommit.GetRepositoryInput{RepositoryName: aws.String("app")})
	if err != nil || aws.ToString(repo.RepositoryMetadata.DefaultBranch) != "main" {
		t.Fatalf("default branch after the first push: %+v %v", repo, err)
	}
	var noBranch *types.BranchDoesNotExistException
	if _, err := f.client.GetBranch(ctx, &codecommit.GetBranchInput{RepositoryName: aws.String("app"), BranchName: aws.String("nope")}); !errors.As(err, &noBranch) {
		t.Fatalf("missing branch: %v", err)
	}
	var noRepo *types.RepositoryDoesNotExistException
	if _, err := f.client.GetBranch(ctx, &codecommit.GetBranchInput{RepositoryName: aws.String("nope"), BranchName: aws.String("main")}); !errors.As(err, &noRepo) {
		t.Fatalf("branch of a missing repository: %v", err)
	}
	var badBranch *types.InvalidBranchNameException
	if _, err := f.client.GetBranch(ctx, &codecommit.GetBranchInput{RepositoryName: aws.String("app"), BranchName: aws.String("a..b")}); !errors.As(err, &badBranch) {
		t.Fatalf("invalid branch name: %v", err)
	}

	// Branches made through the API, listed in pages of two.
	for _, name := range []string{"dev", "release/1"} {
		if _, err := f.client.CreateBranch(ctx, &codecommit.CreateBranchInput{RepositoryName: aws.String("app"), BranchName: aws.String(name), CommitId: aws.String(head)}); err != nil {
			t.Fatal(err)
		}
	}
	var branchExists *types.BranchNameExistsException
	if _, err := f.client.CreateBranch(ctx, &codecommit.CreateBranchInput{RepositoryName: aws.String("app"), BranchName: aws.String("dev"), CommitId: aws.String(head)}); !errors.As(err, &branchExists) {
		t.Fatalf("create existing branch: %v", err)
	}
	var noCommit *types.CommitDoesNotExistException
	if _, err := f.client.CreateBranch(ctx, &codecommit.CreateBranchInput{RepositoryName: aws.String("app"), BranchName: aws.String("x"), CommitId: aws.String(strings.Repeat("1", 40))}); !errors.As(err, &noCommit) {
		t.Fatalf("create at a missing commit: %v", err)
	}
	var names []string
	p := codecommit.NewListBranchesPaginator(f.client, &codecommit.ListBranchesInput{RepositoryName: aws.String("app")})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Branches) > 2 {
			t.Fatalf("page of %d branches", len(page.Branches))
		}
		names = append(names, page.Branches...)
	}
	if strings.Join(names, ",") != "dev,main,release/1" {
		t.Fatalf("branches %v", names)
	}

	var isDefault *types.DefaultBranchCannotBeDeletedException
	if _, err := f.client.DeleteBranch(ctx, &codecommit.DeleteBranchInput{RepositoryName: aws.String("app"), BranchName: aws.String("main")}); !errors.As(err, &isDefault) {
		t.Fatalf("delete default branch: %v", err)
	}
	if _, err := f.client.UpdateDefaultBranch(ctx, &codecommit.UpdateDefaultBranchInput{RepositoryName: aws.String("app"), DefaultBranchName: aws.String("dev")}); err != nil {
		t.Fatal(err)
	}
	del, err := f.client.DeleteBranch(ctx, &codecommit.DeleteBranchInput{RepositoryName: aws.String("app"), BranchName: aws.String("main")})
	if err != nil || aws.ToString(del.DeletedBranch.CommitId) != head {
		t.Fatalf("delete branch %+v %v", del, err)
	}
	del, err = f.client.DeleteBranch(ctx, &codecommit.DeleteBranchInput{RepositoryName: aws.String("app"), BranchName: aws.String("main")})
	if err != nil || del.DeletedBranch != nil {
		t.Fatalf("delete missing branch %+v %v", del, err)
	}

	c, err := f.client.GetCommit(ctx, &codecommit.GetCommitInput{RepositoryName: aws.String("app"), CommitId: aws.String(head)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(c.Commit.CommitId) != head || aws.ToString(c.Commit.Message) != "Add buildspec\n" || len(c.Commit.Parents) != 0 ||
		aws.ToString(c.Commit.Author.Name) != "Ada Lovelace" || aws.ToString(c.Commit.Author.Email) != "ada@example.com" ||
		aws.ToString(c.Commit.Author.Date) != "1700000000 +0100" || aws.ToString(c.Commit.TreeId) == "" {
		t.Fatalf("commit %+v author %+v", c.Commit, c.Commit.Author)
	}
	var noCommitID *types.CommitIdDoesNotExistException
	if _, err := f.client.GetCommit(ctx, &codecommit.GetCommitInput{RepositoryName: aws.String("app"), CommitId: aws.String(strings.Repeat("2", 40))}); !errors.As(err, &noCommitID) {
		t.Fatalf("missing commit: %v", err)
	}
	var badCommit *types.InvalidCommitIdException
	if _, err := f.client.GetCommit(ctx, &codecommit.GetCommitInput{RepositoryName: aws.String("app"), CommitId: aws.String("HEAD")}); !errors.As(err, &badCommit) {
		t.Fatalf("invalid commit id: %v", err)
	}
}
