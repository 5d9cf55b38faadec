package logs

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Sentinel errors. Store methods wrap them; test with errors.Is.
var (
	ErrGroupNotFound  = errors.New("the specified log group does not exist")
	ErrStreamNotFound = errors.New("the specified log stream does not exist")
	ErrGroupExists    = errors.New("the specified log group already exists")
	ErrStreamExists   = errors.New("the specified log stream already exists")
	// ErrInvalid marks a request that breaks a CloudWatch Logs rule; the
	// error is an *InvalidError whose Reason is fit for the client.
	ErrInvalid = errors.New("invalid parameter")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("log store is closed")
)

// InvalidError is a rejected request, with a reason worded for the client.
type InvalidError struct{ Reason string }

func (e *InvalidError) Error() string        { return e.Reason }
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

func invalidf(format string, args ...any) error {
	return &InvalidError{Reason: fmt.Sprintf(format, args...)}
}

// Name limits of CloudWatch Logs.
const maxNameLen = 512

// ValidGroupName reports whether name is a valid log group name:
// 1 to 512 characters from [.-_/#A-Za-z0-9].
func ValidGroupName(name string) bool {
	if len(name) < 1 || len(name) > maxNameLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '-', c == '_', c == '/', c == '#':
		default:
			return false
		}
	}
	return true
}

// ValidStreamName reports whether name is a valid log stream name: 1 to
// 512 characters, none of them ':' or '*'.
func ValidStreamName(name string) bool {
	n := utf8.RuneCountInString(name)
	return n >= 1 && n <= maxNameLen && utf8.ValidString(name) && !strings.ContainsAny(name, ":*")
}

func checkGroupName(name string) error {
	if !ValidGroupName(name) {
		return invalidf("Invalid log group name %q: it must be 1 to 512 characters from a-z, A-Z, 0-9, '_', '-', '/', '.' and '#'.", name)
	}
	return nil
}

func checkStreamName(name string) error {
	if !ValidStreamName(name) {
		return invalidf("Invalid log stream name %q: it must be 1 to 512 characters and contain neither ':' nor '*'.", name)
	}
	return nil
}
