package ssmapi_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/wharfhq/wharf/internal/server"
	"github.com/wharfhq/wharf/internal/testutil/wharftest"
)

func newClient(t *testing.T) (*ssm.Client, *server.Server) {
	t.Helper()
	srv := wharftest.Start(t)
	return wharftest.SSM(srv.URL()), srv
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

func wantCode(t *testing.T, err error, code, what string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("%s: err = %v, want %s", what, err, code)
	}
}

func put(t *testing.T, c *ssm.Client, name string, typ types.ParameterType, value string, overwrite bool) int64 {
	t.Helper()
	out, err := c.PutParameter(ctx(t), &ssm.PutParameterInput{Name: aws.String(name), Type: typ, Value: aws.String(value), Overwrite: aws.Bool(overwrite)})
	if err != nil {
		t.Fatalf("PutParameter(%s): %v", name, err)
	}
	return out.Version
}

func TestPutGetParameter(t *testing.T) {
	c, _ := newClient(t)
	if v := put(t, c, "/app/db/host", types.ParameterTypeString, "db.local", false); v != 1 {
		t.Fatalf("first version = %d", v)
	}
	_, err := c.PutParameter(ctx(t), &ssm.PutParameterInput{Name: aws.String("/app/db/host"), Type: types.ParameterTypeString, Value: aws.String("x")})
	wantErr[*types.ParameterAlreadyExists](t, err, "PutParameter without Overwrite")
	if v := put(t, c, "/app/db/host", "", "db2.local", true); v != 2 {
		t.Fatalf("overwrite version = %d", v)
	}
	out, err := c.GetParameter(ctx(t), &ssm.GetParameterInput{Name: aws.String("/app/db/host")})
	if err != nil {
		t.Fatal(err)
	}
	p := out.Parameter
	if aws.ToString(p.Value) != "db2.local" || p.Version != 2 || p.Type != types.ParameterTypeString ||
		aws.ToString(p.ARN) != "arn:aws:ssm:us-east-1:"+server.DefaultAccount+":parameter/app/db/host" ||
		aws.ToString(p.DataType) != "text" || p.LastModifiedDate == nil {
		t.Fatalf("GetParameter = %+v", p)
	}
	// name:version selects an older version.
	out, err = c.GetParameter(ctx(t), &ssm.GetParameterInput{Name: aws.String("/app/db/host:1")})
	if err != nil || aws.ToString(out.Parameter.Value) != "db.local" || out.Parameter.Version != 1 || aws.ToString(out.Parameter.Selector) != ":1" {
		t.Fatalf("GetParameter(:1) = %+v, %v", out, err)
	}
	// By ARN.
	out, err = c.GetParameter(ctx(t), &ssm.GetParameterInput{Name: p.ARN})
	if err != nil || aws.ToString(out.Parameter.Name) != "/app/db/host" {
		t.Fatalf("GetParameter(ARN) = %+v, %v", out, err)
	}
	_, err = c.GetParameter(ctx(t), &ssm.GetParameterInput{Name: aws.String("/app/db/host:7")})
	wantErr[*types.ParameterVersionNotFound](t, err, "missing version")
	_, err = c.GetParameter(ctx(t), &ssm.GetParameterInput{Name: aws.String("/nope")})
	wantErr[*types.ParameterNotFound](t, err, "missing parameter")

	// StringList and a name without hierarchy.
	put(t, c, "colors", types.ParameterTypeStringList, "red,green", false)
	out, err = c.GetParameter(ctx(t), &ssm.GetParameterInput{Name: aws.String("colors")})
	if err != nil || out.Parameter.Type != types.ParameterTypeStringList || aws.ToString(out.Parameter.Value) != "red,green" ||
		aws.ToString(out.Parameter.ARN) != "arn:aws:ssm:us-east-1:"+server.DefaultAccount+":parameter/colors" {
		t.Fatalf("GetParameter(colors) = %+v, %v", out, err)
	}
}

func TestSecureString(t *testing.T) {
	c, srv := newClient(t)
	const plain = "p@ssw0rd-plaintext"
	put(t, c, "/app/secret", types.ParameterTypeSecureString, plain, false)
	out, err := c.GetParameter(ctx(t), &ssm.GetParameterInput{Name: aws.String("/app/secret")})
	if err != nil {
		t.Fatal(err)
	}
	if v := aws.ToString(out.Parameter.Value); v == plain || v == "" || out.Parameter.Type != types.ParameterTypeSecureString {
		t.Fatalf("undecrypted SecureString value = %q", v)
	}
	out, err = c.GetParameter(ctx(t), &ssm.GetParameterInput{Name: aws.String("/app/secret"), WithDecryption: aws.Bool(true)})
	if err != nil || aws.ToString(out.Parameter.Value) != plain {
		t.Fatalf("decrypted = %+v, %v", out, err)
	}
	raw, err := srv.State().RawParameter(ctx(t), "/app/secret")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), plain) {
		t.Fatalf("etcd holds the plaintext: %s", raw)
	}
	// Overwriting keeps the type when none is given.
	put(t, c, "/app/secret", "", "second", true)
	out, err = c.GetParameter(ctx(t), &ssm.GetParameterInput{Name: aws.String("/app/secret"), WithDecryption: aws.Bool(true)})
	if err != nil || aws.ToString(out.Parameter.Value) != "second" || out.Parameter.Type != types.ParameterTypeSecureString {
		t.Fatalf("after overwrite = %+v, %v", out, err)
	}
}

func TestParameterNameRules(t *testing.T) {
	c, _ := newClient(t)
	deep := strings.Repeat("/a", 16)
	_, err := c.PutParameter(ctx(t), &ssm.PutParameterInput{Name: aws.String(deep), Type: types.ParameterTypeString, Value: aws.String("v")})
	wantErr[*types.HierarchyLevelLimitExceededException](t, err, "16 levels")
	put(t, c, strings.Repeat("/a", 15), types.ParameterTypeString, "v", false)
	for _, name := range []string{"a/b", "/a//b", "/a/", "bad name", "/aws/x", "ssm-thing", "/x/$"} {
		_, err := c.PutParameter(ctx(t), &ssm.PutParameterInput{Name: aws.String(name), Type: types.ParameterTypeString, Value: aws.String("v")})
		wantCode(t, err, "ValidationException", "name "+name)
	}
	_, err = c.PutParameter(ctx(t), &ssm.PutParameterInput{Name: aws.String("/new"), Value: aws.String("v")})
	wantCode(t, err, "ValidationException", "new parameter without a type")
}

func TestGetParameters(t *testing.T) {
	c, _ := newClient(t)
	put(t, c, "/a", types.ParameterTypeString, "1", false)
	put(t, c, "/b", types.ParameterTypeSecureString, "2", false)
	out, err := c.GetParameters(ctx(t), &ssm.GetParametersInput{Names: []string{"/a", "/b", "/missing", "/a:5"}, WithDecryption: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range out.Parameters {
		got = append(got, aws.ToString(p.Name)+"="+aws.ToString(p.Value))
	}
	if !slices.Equal(got, []string{"/a=1", "/b=2"}) || !slices.Equal(out.InvalidParameters, []string{"/missing", "/a:5"}) {
		t.Fatalf("GetParameters = %v invalid %v", got, out.InvalidParameters)
	}
}

func TestGetParametersByPath(t *testing.T) {
	c, _ := newClient(t)
	for i := range 12 {
		put(t, c, "/svc/p"+string(rune('a'+i)), types.ParameterTypeString, "v", false)
	}
	put(t, c, "/svc/deep/x", types.ParameterTypeSecureString, "hidden", false)
	put(t, c, "/other/y", types.ParameterTypeString, "v", false)

	names := func(in *ssm.GetParametersByPathInput) []string {
		t.Helper()
		var out []string
		p := ssm.NewGetParametersByPathPaginator(c, in)
		pages := 0
		for p.HasMorePages() {
			page, err := p.NextPage(ctx(t))
			if err != nil {
				t.Fatalf("GetParametersByPath: %v", err)
			}
			pages++
			for _, prm := range page.Parameters {
				out = append(out, aws.ToString(prm.Name)+"="+aws.ToString(prm.Value))
			}
		}
		if pages < 2 && len(out) > 10 {
			t.Fatalf("%d results in %d page(s)", len(out), pages)
		}
		return out
	}
	flat := names(&ssm.GetParametersByPathInput{Path: aws.String("/svc")})
	if len(flat) != 12 || flat[0] != "/svc/pa=v" || slices.Contains(flat, "/svc/deep/x=hidden") {
		t.Fatalf("non-recursive = %v", flat)
	}
	rec := names(&ssm.GetParametersByPathInput{Path: aws.String("/svc/"), Recursive: aws.Bool(true), WithDecryption: aws.Bool(true), MaxResults: aws.Int32(5)})
	if len(rec) != 13 || !slices.Contains(rec, "/svc/deep/x=hidden") {
		t.Fatalf("recursive = %v", rec)
	}
	all := names(&ssm.GetParametersByPathInput{Path: aws.String("/"), Recursive: aws.Bool(true)})
	if len(all) != 14 {
		t.Fatalf("recursive from / = %d: %v", len(all), all)
	}
	secure := names(&ssm.GetParametersByPathInput{Path: aws.String("/svc"), Recursive: aws.Bool(true),
		ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Type"), Values: []string{"SecureString"}}}})
	if len(secure) != 1 || secure[0] == "/svc/deep/x=hidden" {
		t.Fatalf("SecureString filter without decryption = %v", secure)
	}
	_, err := c.GetParametersByPath(ctx(t), &ssm.GetParametersByPathInput{Path: aws.String("/svc"), NextToken: aws.String("garbage")})
	wantErr[*types.InvalidNextToken](t, err, "bad token")
	_, err = c.GetParametersByPath(ctx(t), &ssm.GetParametersByPathInput{Path: aws.String("svc")})
	wantCode(t, err, "ValidationException", "relative path")
	_, err = c.GetParametersByPath(ctx(t), &ssm.GetParametersByPathInput{Path: aws.String("/svc"),
		ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Label"), Values: []string{"x"}}}})
	wantErr[*types.InvalidFilterKey](t, err, "unsupported filter")
}

func TestDeleteParameters(t *testing.T) {
	c, _ := newClient(t)
	put(t, c, "/d/1", types.ParameterTypeString, "v", false)
	put(t, c, "/d/2", types.ParameterTypeString, "v", false)
	put(t, c, "/d/3", types.ParameterTypeString, "v", false)
	if _, err := c.DeleteParameter(ctx(t), &ssm.DeleteParameterInput{Name: aws.String("/d/1")}); err != nil {
		t.Fatal(err)
	}
	_, err := c.DeleteParameter(ctx(t), &ssm.DeleteParameterInput{Name: aws.String("/d/1")})
	wantErr[*types.ParameterNotFound](t, err, "delete twice")
	out, err := c.DeleteParameters(ctx(t), &ssm.DeleteParametersInput{Names: []string{"/d/2", "/d/1", "/d/3"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.DeletedParameters, []string{"/d/2", "/d/3"}) || !slices.Equal(out.InvalidParameters, []string{"/d/1"}) {
		t.Fatalf("DeleteParameters = %v / %v", out.DeletedParameters, out.InvalidParameters)
	}
	_, err = c.GetParameter(ctx(t), &ssm.GetParameterInput{Name: aws.String("/d/3")})
	wantErr[*types.ParameterNotFound](t, err, "after delete")
	// A deleted name starts again at version 1.
	if v := put(t, c, "/d/3", types.ParameterTypeString, "v", false); v != 1 {
		t.Fatalf("recreated version = %d", v)
	}
}

func TestUnimplementedOperation(t *testing.T) {
	c, _ := newClient(t)
	_, err := c.DescribeParameters(ctx(t), &ssm.DescribeParametersInput{})
	wantCode(t, err, "UnknownOperationException", "DescribeParameters")
}
