package awsjson

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Timestamp is a point in time as the AWS JSON protocol carries it: a JSON
// number of seconds since the Unix epoch with a millisecond fraction
// (1732572345.123). When decoding it also accepts an integer, any decimal
// fraction, and an ISO-8601 (RFC 3339) string.
type Timestamp struct {
	time.Time
}

// NewTimestamp returns t as a *Timestamp, or nil when t is the zero time so
// that omitempty drops the member.
func NewTimestamp(t time.Time) *Timestamp {
	if t.IsZero() {
		return nil
	}
	return &Timestamp{Time: t}
}

var timestampType = reflect.TypeFor[Timestamp]()

// MarshalJSON encodes the time as epoch seconds with at most millisecond
// precision, without trailing zeros in the fraction.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	ms := t.UnixMilli()
	neg := ms < 0
	if neg {
		ms = -ms
	}
	b := make([]byte, 0, 24)
	if neg {
		b = append(b, '-')
	}
	b = strconv.AppendInt(b, ms/1000, 10)
	if frac := ms % 1000; frac != 0 {
		s := strconv.FormatInt(frac+1000, 10)[1:] // zero-padded to 3 digits
		b = append(b, '.')
		b = append(b, strings.TrimRight(s, "0")...)
	}
	return b, nil
}

// UnmarshalJSON accepts a JSON number of epoch seconds or an ISO-8601
// string. null leaves the value unchanged. A malformed value is reported as
// a *json.UnmarshalTypeError so that encoding/json adds the member path.
func (t *Timestamp) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if string(data) == "null" {
		return nil
	}
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return &json.UnmarshalTypeError{Value: "string", Type: timestampType}
		}
		parsed, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return &json.UnmarshalTypeError{Value: "string " + strconv.Quote(s), Type: timestampType}
		}
		t.Time = parsed
		return nil
	}
	parsed, ok := parseEpochSeconds(string(data))
	if !ok {
		return &json.UnmarshalTypeError{Value: describeLiteral(data), Type: timestampType}
	}
	t.Time = parsed
	return nil
}

// parseEpochSeconds parses a JSON number of seconds since the epoch. Plain
// decimals are parsed exactly (to the nanosecond); exponent forms go through
// float64.
func parseEpochSeconds(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if strings.ContainsAny(s, "eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f != f || f > 1e15 || f < -1e15 {
			return time.Time{}, false
		}
		sec := int64(f)
		nsec := int64((f - float64(sec)) * 1e9)
		return time.Unix(sec, nsec).UTC(), true
	}
	intPart, fracPart, hasFrac := strings.Cut(s, ".")
	neg := strings.HasPrefix(intPart, "-")
	digits := strings.TrimPrefix(intPart, "-")
	if digits == "" || !allDigits(digits) || (hasFrac && (fracPart == "" || !allDigits(fracPart))) {
		return time.Time{}, false
	}
	sec, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || sec > 1e15 {
		return time.Time{}, false
	}
	var nsec int64
	if hasFrac {
		if len(fracPart) > 9 {
			fracPart = fracPart[:9]
		}
		n, err := strconv.ParseInt(fracPart, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		for i := len(fracPart); i < 9; i++ {
			n *= 10
		}
		nsec = n
	}
	if neg {
		sec, nsec = -sec, -nsec
	}
	return time.Unix(sec, nsec).UTC(), true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// describeLiteral names the JSON kind of a literal the way encoding/json
// does in UnmarshalTypeError.Value.
func describeLiteral(data []byte) string {
	if len(data) == 0 {
		return "empty value"
	}
	switch data[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	case '"':
		return "string"
	default:
		return "number " + string(data)
	}
}
