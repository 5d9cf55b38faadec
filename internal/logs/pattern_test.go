package logs

import (
	"errors"
	"testing"
)

func TestPattern(t *testing.T) {
	tests := []struct {
		pattern string
		msg     string
		want    bool
	}{
		{"", "anything", true},
		{`""`, "anything", true},
		{"ERROR", "an ERROR here", true},
		{"ERROR", "an error here", false},
		{"ERROR timeout", "ERROR: db timeout", true},
		{"ERROR timeout", "ERROR: db refused", false},
		{`"connection refused"`, "dial: connection refused", true},
		{`"connection refused"`, "connection was refused", false},
		{"?ERROR ?WARN", "WARN disk", true},
		{"?ERROR ?WARN", "INFO ok", false},
		{"ERROR -Exiting", "ERROR: retrying", true},
		{"ERROR -Exiting", "ERROR: Exiting now", false},
		{`-"health check"`, "GET /health check", false},
		{`-"health check"`, "GET /", true},
		{`?"a b" ?c`, "x a b y", true},
		{`"say \"hi\""`, `they say "hi"`, true},
		{"%[0-9]{3} ms%", "took 123 ms", true},
		{"%[0-9]{3} ms%", "took 12 ms", false},
	}
	for _, tt := range tests {
		p, err := ParsePattern(tt.pattern)
		if err != nil {
			t.Fatalf("ParsePattern(%q): %v", tt.pattern, err)
		}
		if got := p.Match(tt.msg); got != tt.want {
			t.Errorf("ParsePattern(%q).Match(%q) = %v, want %v", tt.pattern, tt.msg, got, tt.want)
		}
	}
	for _, bad := range []string{`{ $.level = "error" }`, "[ip, user]", `"open`, "%[%", "? x"} {
		if _, err := ParsePattern(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParsePattern(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}
