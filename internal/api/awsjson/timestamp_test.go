package awsjson

import (
	"encoding/json"
	"testing"
	"time"
)

func TestTimestampMarshal(t *testing.T) {
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{"millis", time.UnixMilli(1732572345123), "1732572345.123"},
		{"whole seconds", time.Unix(1732572345, 0), "1732572345"},
		{"trailing zero trimmed", time.UnixMilli(1732572345120), "1732572345.12"},
		{"leading zero kept", time.UnixMilli(1732572345005), "1732572345.005"},
		{"sub-millisecond dropped", time.Unix(1732572345, 123456789), "1732572345.123"},
		{"epoch", time.Unix(0, 0), "0"},
		{"before epoch", time.UnixMilli(-1500), "-1.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(Timestamp{Time: tt.in})
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if string(got) != tt.want {
				t.Fatalf("Marshal = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestTimestampUnmarshal(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    time.Time
		wantErr bool
	}{
		{"integer", "1732572345", time.Unix(1732572345, 0), false},
		{"millis fraction", "1732572345.123", time.UnixMilli(1732572345123), false},
		{"nanos fraction", "1732572345.123456789", time.Unix(1732572345, 123456789), false},
		{"extra digits truncated", "1.1234567891", time.Unix(1, 123456789), false},
		{"negative", "-1.5", time.UnixMilli(-1500), false},
		{"exponent", "1.7e9", time.Unix(1700000000, 0), false},
		{"RFC 3339", `"2024-11-25T22:05:45.123Z"`, time.UnixMilli(1732572345123), false},
		{"RFC 3339 offset", `"2024-11-25T23:05:45+01:00"`, time.Unix(1732572345, 0), false},
		{"bad string", `"yesterday"`, time.Time{}, true},
		{"bool", "true", time.Time{}, true},
		{"object", "{}", time.Time{}, true},
		{"huge", "1e300", time.Time{}, true},
		{"huge integer", "99999999999999999999", time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Timestamp
			err := json.Unmarshal([]byte(tt.in), &got)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Unmarshal(%s) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if !got.Equal(tt.want) {
				t.Fatalf("Unmarshal(%s) = %v, want %v", tt.in, got.Time, tt.want)
			}
		})
	}
}

func TestTimestampNullLeavesValue(t *testing.T) {
	ts := Timestamp{Time: time.Unix(5, 0)}
	if err := ts.UnmarshalJSON([]byte("null")); err != nil {
		t.Fatalf("UnmarshalJSON(null): %v", err)
	}
	if got, want := ts.Unix(), int64(5); got != want {
		t.Fatalf("after null: Unix() = %d, want %d", got, want)
	}
}

func TestTimestampRoundTrip(t *testing.T) {
	in := NewTimestamp(time.UnixMilli(1732572345123))
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	var out Timestamp
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("Unmarshal(%s): %v", data, err)
	}
	if !out.Equal(in.Time) {
		t.Fatalf("round trip = %v, want %v", out.Time, in.Time)
	}
}

func TestNewTimestamp(t *testing.T) {
	if got := NewTimestamp(time.Time{}); got != nil {
		t.Fatalf("NewTimestamp(zero) = %v, want nil", got)
	}
	now := time.Unix(10, 0)
	if got := NewTimestamp(now); got == nil || !got.Equal(now) {
		t.Fatalf("NewTimestamp(%v) = %v", now, got)
	}
}
