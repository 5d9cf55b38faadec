package logswire

import (
	"errors"
	"testing"

	"github.com/wharfhq/wharf/internal/api/awsjson"
)

func TestGetLogEventsRequestValidate(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		wantField string
	}{
		{"minimal", `{"logGroupName":"/ecs/web","logStreamName":"app/1"}`, ""},
		// limit is a plain int32 in the model: absent (zero) must not fail min 1.
		{"no limit", `{"logGroupName":"g","logStreamName":"s","startFromHead":true}`, ""},
		{"limit too big", `{"logGroupName":"g","logStreamName":"s","limit":10001}`, "limit"},
		{"missing stream", `{"logGroupName":"g"}`, "logStreamName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req GetLogEventsRequest
			if err := awsjson.Decode([]byte(tt.body), &req); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			err := req.Validate()
			var ve *awsjson.ValidationError
			switch {
			case tt.wantField == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.wantField != "" && (!errors.As(err, &ve) || ve.Field != tt.wantField):
				t.Fatalf("Validate() = %v, want error on %q", err, tt.wantField)
			}
		})
	}
}

func TestPutLogEventsRequestValidate(t *testing.T) {
	req := PutLogEventsRequest{LogGroupName: "g", LogStreamName: "s", LogEvents: []InputLogEvent{{Message: "hi", Timestamp: 1}, {}}}
	err := req.Validate()
	var ve *awsjson.ValidationError
	if !errors.As(err, &ve) || ve.Field != "logEvents[1].message" {
		t.Fatalf("Validate() = %v, want error on logEvents[1].message", err)
	}
}
