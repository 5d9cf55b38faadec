package ecr_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/wharfhq/wharf/internal/server"
	"github.com/wharfhq/wharf/internal/testutil/wharftest"
)

func setup(t *testing.T) (*ecr.Client, string) {
	t.Helper()
	srv := wharftest.StartWith(t, server.Config{DataDir: t.TempDir(), Registry: server.RegistryConfig{AutoCreate: false}})
	return ecr.NewFromConfig(wharftest.AWSConfig(""), func(o *ecr.Options) { o.BaseEndpoint = aws.String(srv.URL()) }), srv.URL()
}

// push puts a small image through the OCI API and returns its manifest.
func push(t *testing.T, base, repo, tag string) []byte {
	t.Helper()
	layer := make([]byte, 64)
	_, _ = rand.Read(layer)
	cfg := []byte(`{"architecture":"amd64","os":"linux"}`)
	for _, b := range [][]byte{cfg, layer} {
		resp, err := http.Post(fmt.Sprintf("%s/v2/%s/blobs/uploads/?digest=%s", base, repo, digest.FromBytes(b)), "application/octet-stream", bytes.NewReader(b))
		if err != nil || resp.StatusCode != 201 {
			t.Fatalf("push blob: %v %v", err, resp)
		}
	}
	m := v1.Manifest{MediaType: v1.MediaTypeImageManifest,
		Config: v1.Descriptor{MediaType: v1.MediaTypeImageConfig, Digest: digest.FromBytes(cfg), Size: int64(len(cfg))},
		Layers: []v1.Descriptor{{MediaType: v1.MediaTypeImageLayer, Digest: digest.FromBytes(layer), Size: int64(len(layer))}}}
	m.SchemaVersion = 2
	body, _ := json.Marshal(m)
	req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/v2/%s/manifests/%s", base, repo, tag), bytes.NewReader(body))
	req.Header.Set("Content-Type", v1.MediaTypeImageManifest)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("push manifest: %v %v", err, resp)
	}
	return body
}

func TestRepositories(t *testing.T) {
	c, base := setup(t)
	ctx := context.Background()
	var inv *types.InvalidParameterException
	if _, err := c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("Bad_Name")}); !errors.As(err, &inv) {
		t.Fatalf("bad name: %v", err)
	}
	for _, n := range []string{"a/one", "a/two", "b"} {
		out, err := c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(n),
			ImageScanningConfiguration: &types.ImageScanningConfiguration{ScanOnPush: true},
			Tags:                       []types.Tag{{Key: aws.String("team"), Value: aws.String("x")}}})
		if err != nil {
			if n == "b" && errors.As(err, &inv) {
				continue // one-character names are too short for ECR
			}
			t.Fatal(err)
		}
		if !strings.HasSuffix(aws.ToString(out.Repository.RepositoryUri), "/"+n) || aws.ToString(out.Repository.RepositoryArn) != "arn:aws:ecr:us-east-1:000000000000:repository/"+n ||
			!out.Repository.ImageScanningConfiguration.ScanOnPush || out.Repository.ImageTagMutability != types.ImageTagMutabilityMutable {
			t.Fatalf("repository %+v", out.Repository)
		}
	}
	// Pagination.
	p := ecr.NewDescribeRepositoriesPaginator(c, &ecr.DescribeRepositoriesInput{MaxResults: aws.Int32(1)})
	var names []string
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.Repositories {
			names = append(names, aws.ToString(r.RepositoryName))
		}
	}
	if strings.Join(names, ",") != "a/one,a/two" {
		t.Fatalf("paged names %v", names)
	}
	var nf *types.RepositoryNotFoundException
	if _, err := c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"nope"}}); !errors.As(err, &nf) {
		t.Fatalf("describe missing: %v", err)
	}
	// A push to a repository that does not exist is refused (no auto-create).
	resp, _ := http.Post(base+"/v2/nope/x/blobs/uploads/", "", nil)
	if resp.StatusCode != 404 {
		t.Fatalf("push to missing repository: %d", resp.StatusCode)
	}
	push(t, base, "a/one", "1")
	var notEmpty *types.RepositoryNotEmptyException
	if _, err := c.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("a/one")}); !errors.As(err, &notEmpty) {
		t.Fatalf("delete non-empty: %v", err)
	}
	if _, err := c.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("a/one"), Force: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String("a/one")}); !errors.As(err, &nf) {
		t.Fatalf("list images of deleted repository: %v", err)
	}
	tags, err := c.ListTagsForResource(ctx, &ecr.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:ecr:us-east-1:000000000000:repository/a/two")})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "team" {
		t.Fatalf("tags %v %v", tags, err)
	}
}

func TestImages(t *testing.T) {
	c, base := setup(t)
	ctx := context.Background()
	if _, err := c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("app"), ImageTagMutability: types.ImageTagMutabilityImmutable}); err != nil {
		t.Fatal(err)
	}
	m1 := push(t, base, "app", "1")
	time.Sleep(10 * time.Millisecond)
	m2 := push(t, base, "app", "2")
	d1 := digest.FromBytes(m1).String()

	// PutImage: another tag for an existing manifest, then the refusals.
	if _, err := c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String("app"), ImageManifest: aws.String(string(m1)), ImageTag: aws.String("stable")}); err != nil {
		t.Fatal(err)
	}
	var tagExists *types.ImageTagAlreadyExistsException
	if _, err := c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String("app"), ImageManifest: aws.String(string(m2)), ImageTag: aws.String("1")}); !errors.As(err, &tagExists) {
		t.Fatalf("move immutable tag: %v", err)
	}
	var already *types.ImageAlreadyExistsException
	if _, err := c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String("app"), ImageManifest: aws.String(string(m1)), ImageTag: aws.String("1")}); !errors.As(err, &already) {
		t.Fatalf("same image and tag again: %v", err)
	}
	var mismatch *types.ImageDigestDoesNotMatchException
	if _, err := c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String("app"), ImageManifest: aws.String(string(m1)), ImageDigest: aws.String(digest.FromBytes(m2).String())}); !errors.As(err, &mismatch) {
		t.Fatalf("digest mismatch: %v", err)
	}

	li, err := c.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String("app"), Filter: &types.ListImagesFilter{TagStatus: types.TagStatusTagged}})
	if err != nil || len(li.ImageIds) != 3 {
		t.Fatalf("list images: %+v %v", li, err)
	}
	di, err := c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("app"), ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("stable")}}})
	if err != nil || len(di.ImageDetails) != 1 || aws.ToString(di.ImageDetails[0].ImageDigest) != d1 || len(di.ImageDetails[0].ImageTags) != 2 ||
		aws.ToInt64(di.ImageDetails[0].ImageSizeInBytes) != 64 || di.ImageDetails[0].ImagePushedAt == nil ||
		aws.ToString(di.ImageDetails[0].ImageManifestMediaType) != v1.MediaTypeImageManifest || aws.ToString(di.ImageDetails[0].ArtifactMediaType) != v1.MediaTypeImageConfig {
		t.Fatalf("describe images: %+v %v", di, err)
	}
	var inf *types.ImageNotFoundException
	if _, err := c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("app"), ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("nope")}}}); !errors.As(err, &inf) {
		t.Fatalf("describe missing image: %v", err)
	}
	bg, err := c.BatchGetImage(ctx, &ecr.BatchGetImageInput{RepositoryName: aws.String("app"), ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("1")}, {ImageTag: aws.String("nope")}}})
	if err != nil || len(bg.Images) != 1 || aws.ToString(bg.Images[0].ImageManifest) != string(m1) || len(bg.Failures) != 1 || bg.Failures[0].FailureCode != types.ImageFailureCodeImageNotFound {
		t.Fatalf("batch get: %+v %v", bg, err)
	}
	// Deleting one of two tags keeps the image; deleting by digest removes it.
	bd, err := c.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{RepositoryName: aws.String("app"), ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("stable")}, {ImageDigest: aws.String(digest.FromBytes(m2).String())}, {ImageTag: aws.String("gone")}}})
	if err != nil || len(bd.ImageIds) != 2 || len(bd.Failures) != 1 {
		t.Fatalf("batch delete: %+v %v", bd, err)
	}
	li, _ = c.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String("app")})
	if len(li.ImageIds) != 1 || aws.ToString(li.ImageIds[0].ImageTag) != "1" {
		t.Fatalf("after delete: %+v", li.ImageIds)
	}
	tok, err := c.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil || len(tok.AuthorizationData) != 1 || !strings.HasPrefix(aws.ToString(tok.AuthorizationData[0].ProxyEndpoint), "http://127.0.0.1:") ||
		time.Until(aws.ToTime(tok.AuthorizationData[0].ExpiresAt)) < 11*time.Hour {
		t.Fatalf("token: %+v %v", tok, err)
	}
	var lnf *types.LifecyclePolicyNotFoundException
	if _, err := c.GetLifecyclePolicy(ctx, &ecr.GetLifecyclePolicyInput{RepositoryName: aws.String("app")}); !errors.As(err, &lnf) {
		t.Fatalf("get missing policy: %v", err)
	}
	var invalid *types.InvalidParameterException
	if _, err := c.PutLifecyclePolicy(ctx, &ecr.PutLifecyclePolicyInput{RepositoryName: aws.String("app"), LifecyclePolicyText: aws.String(`{"rules":[]}`)}); !errors.As(err, &invalid) {
		t.Fatalf("empty policy: %v", err)
	}
}
