package ecsdeploy

import (
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// TestNewRevisionCopiesEveryRegistrableField fills every field of a task
// definition that RegisterTaskDefinition also accepts and checks that the
// registration carries it: a field a newer SDK adds to both fails here
// until newRevision copies it.
func TestNewRevisionCopiesEveryRegistrableField(t *testing.T) {
	var td types.TaskDefinition
	tdv := reflect.ValueOf(&td).Elem()
	inType := reflect.TypeOf(ecs.RegisterTaskDefinitionInput{})
	var copied []string
	for i := 0; i < inType.NumField(); i++ {
		f := inType.Field(i)
		if !f.IsExported() || f.Name == "Tags" || f.Name == "ContainerDefinitions" {
			continue
		}
		dst := tdv.FieldByName(f.Name)
		if !dst.IsValid() {
			t.Errorf("RegisterTaskDefinitionInput.%s has no TaskDefinition field of that name", f.Name)
			continue
		}
		dst.Set(nonZero(t, f.Name, dst.Type()))
		copied = append(copied, f.Name)
	}
	td.ContainerDefinitions = []types.ContainerDefinition{{Name: aws.String("web"), Image: aws.String("web:1")}}
	td.TaskDefinitionArn = aws.String("arn:aws:ecs:us-east-1:000000000000:task-definition/web:1")

	in, err := newRevision(&td, nil, []ImageDefinition{{Name: "web", ImageURI: "web:2"}}, DefaultFileName, "run-1")
	if err != nil {
		t.Fatal(err)
	}
	inv := reflect.ValueOf(in).Elem()
	for _, name := range copied {
		if got, want := inv.FieldByName(name).Interface(), tdv.FieldByName(name).Interface(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", name, got, want)
		}
	}
	if aws.ToString(in.ContainerDefinitions[0].Image) != "web:2" || aws.ToString(td.ContainerDefinitions[0].Image) != "web:1" {
		t.Fatalf("images: new %s, old %s (the old definition must not change)",
			aws.ToString(in.ContainerDefinitions[0].Image), aws.ToString(td.ContainerDefinitions[0].Image))
	}
}

// nonZero returns a non-zero value of type typ.
func nonZero(t *testing.T, name string, typ reflect.Type) reflect.Value {
	v := reflect.New(typ).Elem()
	switch typ.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(typ.Elem()))
	case reflect.Slice:
		v.Set(reflect.MakeSlice(typ, 1, 1))
	case reflect.String:
		v.SetString("x-" + name)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int32, reflect.Int64, reflect.Int:
		v.SetInt(7)
	default:
		t.Fatalf("%s: no non-zero value for kind %s", name, typ.Kind())
	}
	return v
}

func TestNewRevisionTags(t *testing.T) {
	td := &types.TaskDefinition{
		Family:               aws.String("web"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("web"), Image: aws.String("web:1")}},
	}
	tag := func(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }
	in, err := newRevision(td, []types.Tag{tag("team", "a"), tag("aws:cloudformation:stack-name", "s"), tag(MarkerTag, "old-run")}, nil, DefaultFileName, "run-2")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tg := range in.Tags {
		got = append(got, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
	}
	if strings.Join(got, ",") != "team=a,"+MarkerTag+"=run-2" {
		t.Fatalf("tags = %v", got)
	}
	if !hasMarker(in.Tags, "run-2") || hasMarker(in.Tags, "old-run") || hasMarker(in.Tags, "") {
		t.Fatalf("hasMarker wrong on %v", got)
	}

	// At ECS's 50-tag limit the marker gives way to the user's tags.
	var full []types.Tag
	for i := 0; i < maxTags; i++ {
		full = append(full, tag("k"+strings.Repeat("x", i), "v"))
	}
	in, err = newRevision(td, full, nil, DefaultFileName, "run-3")
	if err != nil || len(in.Tags) != maxTags || hasMarker(in.Tags, "run-3") {
		t.Fatalf("full tags: %d tags, marker %v, err %v", len(in.Tags), hasMarker(in.Tags, "run-3"), err)
	}
}

func TestShortTaskDef(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:ecs:us-east-1:000000000000:task-definition/web:12": "web:12",
		"web:3": "web:3",
		"":      "",
	} {
		if got := shortTaskDef(in); got != want {
			t.Errorf("shortTaskDef(%q) = %q, want %q", in, got, want)
		}
	}
}
