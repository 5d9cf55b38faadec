package declare

import (
	"errors"
	"regexp"
	"strings"
)

// Reserved namespaces of variable references.
const (
	// NamespaceCodePipeline holds execution metadata:
	// #{codepipeline.PipelineExecutionId}.
	NamespaceCodePipeline = "codepipeline"
	// NamespaceVariables holds the pipeline-level variables:
	// #{variables.NAME}.
	NamespaceVariables = "variables"
)

// codePipelineVariables are the names of the codepipeline namespace.
var codePipelineVariables = map[string]bool{"PipelineExecutionId": true}

// Ref is one #{Namespace.Name} variable reference.
type Ref struct {
	Namespace string
	Name      string
}

// String returns the reference as written in a configuration value.
func (r Ref) String() string { return "#{" + r.Namespace + "." + r.Name + "}" }

var namespaceRE = regexp.MustCompile(`^[A-Za-z0-9@\-_]+$`)

// token is one "#{...}" occurrence in a string: s[start:end] is the whole
// text; ref is set when it is a well-formed reference.
type token struct {
	start, end int
	text       string
	ref        Ref
	ok         bool
}

// scan finds the "#{...}" occurrences of s. An occurrence without its
// closing brace is plain text. A well-formed reference has a namespace of
// [A-Za-z0-9@\-_]+, a period, and a name without spaces or braces.
func scan(s string) []token {
	var out []token
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "#{")
		if j < 0 {
			break
		}
		start := i + j
		k := strings.IndexByte(s[start+2:], '}')
		if k < 0 {
			break
		}
		end := start + 2 + k + 1
		body := s[start+2 : end-1]
		t := token{start: start, end: end, text: s[start:end]}
		if ns, name, found := strings.Cut(body, "."); found && namespaceRE.MatchString(ns) &&
			name != "" && !strings.ContainsAny(name, " \t\r\n{#") {
			t.ref, t.ok = Ref{Namespace: ns, Name: name}, true
		}
		out = append(out, t)
		i = end
	}
	return out
}

// References returns the well-formed variable references of s in order
// of appearance, repeats included.
func References(s string) []Ref {
	var out []Ref
	for _, t := range scan(s) {
		if t.ok {
			out = append(out, t.ref)
		}
	}
	return out
}

// ErrUnresolved is matched (errors.Is) by the error of Resolve when a
// reference has no value.
var ErrUnresolved = errors.New("variable reference could not be resolved")

// UnresolvedError names the reference Resolve could not resolve.
type UnresolvedError struct{ Ref Ref }

func (e *UnresolvedError) Error() string {
	return "the variable " + e.Ref.String() + " could not be resolved"
}

// Is makes errors.Is(err, ErrUnresolved) true.
func (e *UnresolvedError) Is(target error) bool { return target == ErrUnresolved }

// Resolve replaces every well-formed reference of s by its value from
// lookup. Values are inserted as they are: a value that itself looks like a
// reference is not resolved again. Text that is not a well-formed reference
// stays as written. The first reference lookup does not know makes an
// *UnresolvedError.
func Resolve(s string, lookup func(namespace, name string) (string, bool)) (string, error) {
	toks := scan(s)
	if len(toks) == 0 {
		return s, nil
	}
	var b strings.Builder
	last := 0
	for _, t := range toks {
		if !t.ok {
			continue
		}
		v, found := lookup(t.ref.Namespace, t.ref.Name)
		if !found {
			return "", &UnresolvedError{Ref: t.ref}
		}
		b.WriteString(s[last:t.start])
		b.WriteString(v)
		last = t.end
	}
	b.WriteString(s[last:])
	return b.String(), nil
}
