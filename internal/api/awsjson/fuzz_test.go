package awsjson

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzDecode checks that Decode never panics, only ever fails with a
// *DecodeError, and that whatever it accepts re-encodes and decodes again.
// Seeds live in testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"family":"web","containerDefinitions":[{"name":"app","memory":512}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var v taskDefinition
		err := Decode(body, &v)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Decode(%q) error %T %v, want *DecodeError", body, err, err)
			}
			_ = de.Error()
			return
		}
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("Marshal after Decode(%q): %v", body, err)
		}
		var again taskDefinition
		if err := Decode(data, &again); err != nil {
			t.Fatalf("Decode(Marshal(Decode(%q))) = %v (re-encoded %s)", body, err, data)
		}
	})
}
