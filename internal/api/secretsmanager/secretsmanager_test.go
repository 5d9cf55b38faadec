package smapi_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"

	"github.com/wharfhq/wharf/internal/server"
	"github.com/wharfhq/wharf/internal/testutil/wharftest"
)

func newClient(t *testing.T) (*secretsmanager.Client, *server.Server) {
	t.Helper()
	srv := wharftest.Start(t)
	return wharftest.SecretsManager(srv.URL()), srv
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func wantErr[E error](t *testing.T, err error, what string) {
	t.Helper()
	var target E
	if !errors.As(err, &target) {
		t.Fatalf("%s: err = %v, want %T", what, err, target)
	}
}

func create(t *testing.T, c *secretsmanager.Client, name, value string) *secretsmanager.CreateSecretOutput {
	t.Helper()
	out, err := c.CreateSecret(ctx(t), &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)})
	if err != nil {
		t.Fatalf("CreateSecret(%s): %v", name, err)
	}
	return out
}

func getString(t *testing.T, c *secretsmanager.Client, in *secretsmanager.GetSecretValueInput) *secretsmanager.GetSecretValueOutput {
	t.Helper()
	out, err := c.GetSecretValue(ctx(t), in)
	if err != nil {
		t.Fatalf("GetSecretValue(%s): %v", aws.ToString(in.SecretId), err)
	}
	return out
}

var arnRE = regexp.MustCompile(`^arn:aws:secretsmanager:us-east-1:` + server.DefaultAccount + `:secret:prod/db-[A-Za-z0-9]{6}$`)

func TestCreateAndGetSecret(t *testing.T) {
	c, srv := newClient(t)
	const plain = `{"user":"admin","password":"plaintext-pw"}`
	out := create(t, c, "prod/db", plain)
	if !arnRE.MatchString(aws.ToString(out.ARN)) || aws.ToString(out.Name) != "prod/db" || aws.ToString(out.VersionId) == "" {
		t.Fatalf("CreateSecret = %+v", out)
	}
	for _, id := range []string{"prod/db", aws.ToString(out.ARN)} {
		got := getString(t, c, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		if aws.ToString(got.SecretString) != plain || aws.ToString(got.VersionId) != aws.ToString(out.VersionId) ||
			!slices.Equal(got.VersionStages, []string{"AWSCURRENT"}) || aws.ToString(got.ARN) != aws.ToString(out.ARN) || got.CreatedDate == nil {
			t.Fatalf("GetSecretValue(%s) = %+v", id, got)
		}
	}
	raw, err := srv.State().RawSecret(ctx(t), "prod/db")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "plaintext-pw") {
		t.Fatalf("etcd holds the plaintext: %s", raw)
	}

	_, err = c.CreateSecret(ctx(t), &secretsmanager.CreateSecretInput{Name: aws.String("prod/db"), SecretString: aws.String("x")})
	wantErr[*types.ResourceExistsException](t, err, "duplicate name")
	// The same request again (same token and value) is idempotent.
	again, err := c.CreateSecret(ctx(t), &secretsmanager.CreateSecretInput{Name: aws.String("prod/db"), SecretString: aws.String(plain), ClientRequestToken: out.VersionId})
	if err != nil || aws.ToString(again.ARN) != aws.ToString(out.ARN) {
		t.Fatalf("idempotent CreateSecret = %+v, %v", again, err)
	}
	_, err = c.GetSecretValue(ctx(t), &secretsmanager.GetSecretValueInput{SecretId: aws.String("nope")})
	wantErr[*types.ResourceNotFoundException](t, err, "missing secret")
	_, err = c.CreateSecret(ctx(t), &secretsmanager.CreateSecretInput{Name: aws.String("both"), SecretString: aws.String("x"), SecretBinary: []byte{1}})
	wantErr[*types.InvalidParameterException](t, err, "string and binary")
	_, err = c.CreateSecret(ctx(t), &secretsmanager.CreateSecretInput{Name: aws.String("bad name!"), SecretString: aws.String("x")})
	wantErr[*types.InvalidParameterException](t, err, "bad name")

	// Binary secrets round-trip.
	if _, err := c.CreateSecret(ctx(t), &secretsmanager.CreateSecretInput{Name: aws.String("bin"), SecretBinary: []byte{0, 1, 2, 255}}); err != nil {
		t.Fatal(err)
	}
	bin := getString(t, c, &secretsmanager.GetSecretValueInput{SecretId: aws.String("bin")})
	if !slices.Equal(bin.SecretBinary, []byte{0, 1, 2, 255}) || bin.SecretString != nil {
		t.Fatalf("binary secret = %+v", bin)
	}
	// A secret without a value has no AWSCURRENT version yet.
	if _, err := c.CreateSecret(ctx(t), &secretsmanager.CreateSecretInput{Name: aws.String("empty")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetSecretValue(ctx(t), &secretsmanager.GetSecretValueInput{SecretId: aws.String("empty")})
	wantErr[*types.ResourceNotFoundException](t, err, "secret without a version")
}

func TestPutSecretValueStages(t *testing.T) {
	c, _ := newClient(t)
	v1 := aws.ToString(create(t, c, "app", "one").VersionId)
	put, err := c.PutSecretValue(ctx(t), &secretsmanager.PutSecretValueInput{SecretId: aws.String("app"), SecretString: aws.String("two")})
	if err != nil {
		t.Fatal(err)
	}
	v2 := aws.ToString(put.VersionId)
	if v2 == v1 || !slices.Equal(put.VersionStages, []string{"AWSCURRENT"}) {
		t.Fatalf("PutSecretValue = %+v", put)
	}
	cur := getString(t, c, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app")})
	prev := getString(t, c, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app"), VersionStage: aws.String("AWSPREVIOUS")})
	byID := getString(t, c, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app"), VersionId: aws.String(v1)})
	if aws.ToString(cur.SecretString) != "two" || aws.ToString(prev.SecretString) != "one" || aws.ToString(byID.SecretString) != "one" ||
		!slices.Equal(prev.VersionStages, []string{"AWSPREVIOUS"}) {
		t.Fatalf("current %+v previous %+v byID %+v", cur, prev, byID)
	}
	_, err = c.GetSecretValue(ctx(t), &secretsmanager.GetSecretValueInput{SecretId: aws.String("app"), VersionId: aws.String(v1), VersionStage: aws.String("AWSCURRENT")})
	wantErr[*types.ResourceNotFoundException](t, err, "id and stage of different versions")

	// A third value: v2 becomes AWSPREVIOUS, v1 loses its label.
	if _, err := c.PutSecretValue(ctx(t), &secretsmanager.PutSecretValueInput{SecretId: aws.String("app"), SecretString: aws.String("three")}); err != nil {
		t.Fatal(err)
	}
	desc, err := c.DescribeSecret(ctx(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(desc.VersionIdsToStages[v2], []string{"AWSPREVIOUS"}) || len(desc.VersionIdsToStages) != 2 {
		t.Fatalf("VersionIdsToStages = %v", desc.VersionIdsToStages)
	}
	// A custom label leaves AWSCURRENT where it is.
	if _, err := c.PutSecretValue(ctx(t), &secretsmanager.PutSecretValueInput{SecretId: aws.String("app"), SecretString: aws.String("staged"), VersionStages: []string{"NEXT"}}); err != nil {
		t.Fatal(err)
	}
	if got := getString(t, c, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app")}); aws.ToString(got.SecretString) != "three" {
		t.Fatalf("AWSCURRENT moved to %q", aws.ToString(got.SecretString))
	}
	if got := getString(t, c, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app"), VersionStage: aws.String("NEXT")}); aws.ToString(got.SecretString) != "staged" {
		t.Fatalf("NEXT = %q", aws.ToString(got.SecretString))
	}
	// Reusing a version id: same value is idempotent, another value fails.
	tok := "00000000-0000-4000-8000-000000000001"
	for range 2 {
		if _, err := c.PutSecretValue(ctx(t), &secretsmanager.PutSecretValueInput{SecretId: aws.String("app"), SecretString: aws.String("four"), ClientRequestToken: aws.String(tok)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.PutSecretValue(ctx(t), &secretsmanager.PutSecretValueInput{SecretId: aws.String("app"), SecretString: aws.String("five"), ClientRequestToken: aws.String(tok)})
	wantErr[*types.ResourceExistsException](t, err, "version id reused")
	_, err = c.PutSecretValue(ctx(t), &secretsmanager.PutSecretValueInput{SecretId: aws.String("missing"), SecretString: aws.String("x")})
	wantErr[*types.ResourceNotFoundException](t, err, "put to a missing secret")
	_, err = c.PutSecretValue(ctx(t), &secretsmanager.PutSecretValueInput{SecretId: aws.String("app")})
	wantErr[*types.InvalidParameterException](t, err, "put without a value")
}

func TestDescribeAndListSecrets(t *testing.T) {
	c, _ := newClient(t)
	if _, err := c.CreateSecret(ctx(t), &secretsmanager.CreateSecretInput{Name: aws.String("tagged"), SecretString: aws.String("v"),
		Description: aws.String("the db"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("core")}}}); err != nil {
		t.Fatal(err)
	}
	desc, err := c.DescribeSecret(ctx(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String("tagged")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(desc.Description) != "the db" || len(desc.Tags) != 1 || aws.ToString(desc.Tags[0].Value) != "core" || desc.CreatedDate == nil || desc.DeletedDate != nil {
		t.Fatalf("DescribeSecret = %+v", desc)
	}
	_, err = c.DescribeSecret(ctx(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String("missing")})
	wantErr[*types.ResourceNotFoundException](t, err, "describe missing")

	for i := range 7 {
		create(t, c, "list/s"+string(rune('a'+i)), "v")
	}
	var names []string
	p := secretsmanager.NewListSecretsPaginator(c, &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(3)})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, s := range page.SecretList {
			names = append(names, aws.ToString(s.Name))
		}
	}
	if pages != 3 || len(names) != 8 || !slices.IsSorted(names) {
		t.Fatalf("ListSecrets: %d pages %v", pages, names)
	}
	out, err := c.ListSecrets(ctx(t), &secretsmanager.ListSecretsInput{Filters: []types.Filter{{Key: types.FilterNameStringTypeTagKey, Values: []string{"team"}}}})
	if err != nil || len(out.SecretList) != 1 || aws.ToString(out.SecretList[0].Name) != "tagged" {
		t.Fatalf("tag filter = %+v, %v", out, err)
	}
	out, err = c.ListSecrets(ctx(t), &secretsmanager.ListSecretsInput{Filters: []types.Filter{{Key: types.FilterNameStringTypeName, Values: []string{"!list/"}}}})
	if err != nil || len(out.SecretList) != 1 {
		t.Fatalf("negated name filter = %+v, %v", out, err)
	}
	_, err = c.ListSecrets(ctx(t), &secretsmanager.ListSecretsInput{NextToken: aws.String("junk")})
	wantErr[*types.InvalidNextTokenException](t, err, "bad token")
}

func TestDeleteSecret(t *testing.T) {
	c, _ := newClient(t)
	arn := aws.ToString(create(t, c, "soft", "v").ARN)
	create(t, c, "hard", "v")

	del, err := c.DeleteSecret(ctx(t), &secretsmanager.DeleteSecretInput{SecretId: aws.String(arn), RecoveryWindowInDays: aws.Int64(7)})
	if err != nil || aws.ToString(del.Name) != "soft" || del.DeletionDate == nil || time.Until(*del.DeletionDate) < 6*24*time.Hour {
		t.Fatalf("DeleteSecret = %+v, %v", del, err)
	}
	_, err = c.GetSecretValue(ctx(t), &secretsmanager.GetSecretValueInput{SecretId: aws.String("soft")})
	wantErr[*types.InvalidRequestException](t, err, "get while scheduled")
	_, err = c.PutSecretValue(ctx(t), &secretsmanager.PutSecretValueInput{SecretId: aws.String("soft"), SecretString: aws.String("x")})
	wantErr[*types.InvalidRequestException](t, err, "put while scheduled")
	_, err = c.CreateSecret(ctx(t), &secretsmanager.CreateSecretInput{Name: aws.String("soft"), SecretString: aws.String("x")})
	wantErr[*types.InvalidRequestException](t, err, "create while scheduled")
	_, err = c.DeleteSecret(ctx(t), &secretsmanager.DeleteSecretInput{SecretId: aws.String("soft")})
	wantErr[*types.InvalidRequestException](t, err, "delete twice")
	desc, err := c.DescribeSecret(ctx(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String("soft")})
	if err != nil || desc.DeletedDate == nil {
		t.Fatalf("describe while scheduled = %+v, %v", desc, err)
	}
	list, err := c.ListSecrets(ctx(t), &secretsmanager.ListSecretsInput{})
	if err != nil || len(list.SecretList) != 1 {
		t.Fatalf("ListSecrets hides scheduled: %+v, %v", list, err)
	}
	list, err = c.ListSecrets(ctx(t), &secretsmanager.ListSecretsInput{IncludePlannedDeletion: aws.Bool(true)})
	if err != nil || len(list.SecretList) != 2 {
		t.Fatalf("ListSecrets IncludePlannedDeletion: %+v, %v", list, err)
	}
	if _, err := c.RestoreSecret(ctx(t), &secretsmanager.RestoreSecretInput{SecretId: aws.String("soft")}); err != nil {
		t.Fatal(err)
	}
	getString(t, c, &secretsmanager.GetSecretValueInput{SecretId: aws.String("soft")})

	_, err = c.DeleteSecret(ctx(t), &secretsmanager.DeleteSecretInput{SecretId: aws.String("hard"), ForceDeleteWithoutRecovery: aws.Bool(true), RecoveryWindowInDays: aws.Int64(7)})
	wantErr[*types.InvalidParameterException](t, err, "force with a window")
	_, err = c.DeleteSecret(ctx(t), &secretsmanager.DeleteSecretInput{SecretId: aws.String("hard"), RecoveryWindowInDays: aws.Int64(3)})
	wantErr[*types.InvalidParameterException](t, err, "window too short")
	if _, err := c.DeleteSecret(ctx(t), &secretsmanager.DeleteSecretInput{SecretId: aws.String("hard"), ForceDeleteWithoutRecovery: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetSecretValue(ctx(t), &secretsmanager.GetSecretValueInput{SecretId: aws.String("hard")})
	wantErr[*types.ResourceNotFoundException](t, err, "get after force delete")
	_, err = c.DeleteSecret(ctx(t), &secretsmanager.DeleteSecretInput{SecretId: aws.String("hard"), ForceDeleteWithoutRecovery: aws.Bool(true)})
	wantErr[*types.ResourceNotFoundException](t, err, "delete missing")
	create(t, c, "hard", "reborn")
}

func TestUnimplementedOperation(t *testing.T) {
	c, _ := newClient(t)
	_, err := c.RotateSecret(ctx(t), &secretsmanager.RotateSecretInput{SecretId: aws.String("x")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "UnknownOperationException" {
		t.Fatalf("RotateSecret: %v", err)
	}
}
