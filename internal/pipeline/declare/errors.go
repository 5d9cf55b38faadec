package declare

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	w "github.com/wharfhq/wharf/internal/api/codepipeline/cpwire"
)

// Error is a declaration that breaks a rule: Code is the CodePipeline
// exception a client expects (a cpwire.Err... name), Field the JSON path
// of the offending member ("pipeline.stages[1].actions[0].configuration"),
// Message AWS's wording where it is known.
type Error struct {
	Code    string
	Field   string
	Message string
}

// Error returns the message, followed by the field when the message does
// not name it already.
func (e *Error) Error() string {
	if e.Field == "" || strings.Contains(e.Message, "'"+e.Field+"'") {
		return e.Message
	}
	return e.Message + " (" + e.Field + ")"
}

func newErr(code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

func structErr(field, format string, args ...any) *Error {
	return newErr(w.ErrInvalidStructureException, field, format, args...)
}

func stageErr(field, format string, args ...any) *Error {
	return newErr(w.ErrInvalidStageDeclarationException, field, format, args...)
}

func actionErr(field, format string, args ...any) *Error {
	return newErr(w.ErrInvalidActionDeclarationException, field, format, args...)
}

// Patterns of the API model.
const (
	// NamePattern is the pattern of pipeline, stage and action names.
	NamePattern = `[A-Za-z0-9.@\-_]+`
	// ArtifactNamePattern is the pattern of artifact names.
	ArtifactNamePattern = `[a-zA-Z0-9_\-]+`
	// NamespacePattern is the pattern of action namespaces.
	NamespacePattern = `[A-Za-z0-9@\-_]+`
	// VariableNamePattern is the pattern of pipeline variable names.
	VariableNamePattern = `[A-Za-z0-9@\-_]+`
	// ProviderPattern is the pattern of an actionTypeId's provider and
	// version.
	ProviderPattern = `[0-9A-Za-z_-]+`
	// UUIDPattern is the pattern of execution ids and approval tokens.
	UUIDPattern = `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`
)

var (
	patternsMu sync.Mutex
	patterns   = map[string]*regexp.Regexp{}
)

// fullMatch reports whether all of s matches pattern.
func fullMatch(pattern, s string) bool {
	patternsMu.Lock()
	re, ok := patterns[pattern]
	if !ok {
		re = regexp.MustCompile(`^(?:` + pattern + `)$`)
		patterns[pattern] = re
	}
	patternsMu.Unlock()
	return re.MatchString(s)
}

// constraint words a ValidationException as AWS does.
func constraint(field, value, rule string) *Error {
	return newErr(w.ErrValidationException, field,
		"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, field, rule)
}

func missing(field string) *Error {
	return newErr(w.ErrValidationException, field,
		"1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", field)
}

// CheckString checks a string member against the model's constraints: its
// length in characters from lo to hi (0: no bound) and a pattern ("" for
// none). An empty value with lo > 0 is reported as missing. The error is a
// ValidationException worded as AWS words it.
func CheckString(field, value string, lo, hi int, pattern string) error {
	if err := checkString(field, value, lo, hi, pattern); err != nil {
		return err
	}
	return nil
}

func checkString(field, value string, lo, hi int, pattern string) *Error {
	n := utf8.RuneCountInString(value)
	switch {
	case n == 0 && lo > 0:
		return missing(field)
	case n < lo:
		return constraint(field, value, fmt.Sprintf("Member must have length greater than or equal to %d", lo))
	case hi > 0 && n > hi:
		return constraint(field, value, fmt.Sprintf("Member must have length less than or equal to %d", hi))
	case pattern != "" && n > 0 && !fullMatch(pattern, value):
		return constraint(field, value, "Member must satisfy regular expression pattern: "+pattern)
	}
	return nil
}

// CheckName checks a pipeline, stage or action name.
func CheckName(field, value string) error { return CheckString(field, value, 1, 100, NamePattern) }

func checkEnum(field, value string, values ...string) *Error {
	for _, v := range values {
		if v == value {
			return nil
		}
	}
	if value == "" {
		return missing(field)
	}
	return constraint(field, value, "Member must satisfy enum value set: ["+strings.Join(values, ", ")+"]")
}

func checkRange(field string, value, lo, hi int32) *Error {
	switch {
	case value < lo:
		return constraint(field, fmt.Sprint(value), fmt.Sprintf("Member must have value greater than or equal to %d", lo))
	case value > hi:
		return constraint(field, fmt.Sprint(value), fmt.Sprintf("Member must have value less than or equal to %d", hi))
	}
	return nil
}
