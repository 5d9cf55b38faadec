package store_test

import (
	"testing"

	"github.com/wharfhq/wharf/internal/store"
)

func TestJSONCodecRoundTrip(t *testing.T) {
	type cluster struct {
		Name string            `json:"name"`
		Tags map[string]string `json:"tags,omitempty"`
	}
	var codec store.Codec[cluster] = store.JSONCodec[cluster]{}
	in := cluster{Name: "default", Tags: map[string]string{"env": "prod"}}
	b, err := codec.Encode(in)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	if got, want := string(b), `{"name":"default","tags":{"env":"prod"}}`; got != want {
		t.Fatalf("Encode = %s, want %s", got, want)
	}
	out, err := codec.Decode(b)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if out.Name != in.Name || out.Tags["env"] != "prod" {
		t.Fatalf("Decode = %+v, want %+v", out, in)
	}
	if _, err := codec.Decode([]byte("{")); err == nil {
		t.Fatalf("Decode of invalid JSON succeeded")
	}
}
