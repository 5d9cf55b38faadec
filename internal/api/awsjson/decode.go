package awsjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// DecodeError reports a request body that is not valid JSON or whose
// values have the wrong type. Field is the JSON path of the offending member
// when encoding/json knows it ("" for syntax errors); list indices are not
// included, e.g. "containerDefinitions.memory".
type DecodeError struct {
	Field  string
	Reason string
}

// Error returns a complete sentence naming the field when known.
func (e *DecodeError) Error() string {
	if e.Field == "" {
		return "Malformed request body: " + e.Reason
	}
	return "Invalid type for field " + e.Field + ": " + e.Reason
}

// Decode decodes a JSON-protocol request body into v. An empty body (or
// only whitespace) leaves v untouched, as does "{}" or "null". Members v does
// not know are ignored, as newer SDKs send members an older model lacks.
// Syntax errors, trailing data and type mismatches return a *DecodeError.
func Decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return &DecodeError{Reason: fmt.Sprintf("%s (at byte %d)", syntaxErr.Error(), syntaxErr.Offset)}
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return &DecodeError{
			Field:  typeErr.Field,
			Reason: "expected " + wireKind(typeErr.Type) + ", got " + typeErr.Value,
		}
	}
	var invalid *json.InvalidUnmarshalError
	if errors.As(err, &invalid) {
		// A programming error in the caller, not in the request.
		return fmt.Errorf("awsjson: decode: %w", err)
	}
	return &DecodeError{Reason: err.Error()}
}

// wireKind names a Go type by the JSON-protocol kind that decodes into it.
func wireKind(t reflect.Type) string {
	if t == nil {
		return "a different type"
	}
	if t == timestampType || t == reflect.PointerTo(timestampType) {
		return "timestamp"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "base64 string"
		}
		return "list"
	case reflect.Array:
		return "list"
	case reflect.Map, reflect.Struct:
		return "object"
	default:
		return t.String()
	}
}
