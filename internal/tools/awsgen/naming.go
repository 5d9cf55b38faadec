package main

import (
	"strconv"
	"strings"
	"unicode"
)

// exportedName turns a model name (shape or member) into an exported Go
// identifier: the first letter is upper-cased and the rest kept, so
// "containerDefinitions" becomes "ContainerDefinitions". Characters that
// cannot appear in an identifier split the name into words that are joined
// with their first letters upper-cased ("foo-bar" → "FooBar"); a leading
// digit gets a "V" prefix.
func exportedName(name string) string {
	var b strings.Builder
	upperNext := true
	for _, r := range name {
		if !isIdentRune(r) {
			upperNext = true
			continue
		}
		if upperNext {
			r = unicode.ToUpper(r)
			upperNext = false
		}
		b.WriteRune(r)
	}
	return fixLeading(b.String())
}

// enumValueName turns an enum value into the CamelCase suffix of its
// constant: the value is split on non-alphanumerics and each part is
// capitalised. An all-upper-case or all-lower-case part is lower-cased after
// its first letter ("SERVICE_CONNECT" → "ServiceConnect", "awsvpc" →
// "Awsvpc", "us-east-1" → "UsEast1"); a part in mixed case keeps its inner
// capitals ("LogGroupName" stays "LogGroupName").
func enumValueName(value string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(value, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if !isMixedCase(part) {
			part = strings.ToLower(part)
		}
		for i, r := range part {
			if i == 0 {
				r = unicode.ToUpper(r)
			}
			b.WriteRune(r)
		}
	}
	return fixLeading(b.String())
}

// fixLeading makes s a valid exported identifier: "Empty" for "", a "V"
// prefix before a leading digit or underscore.
func fixLeading(s string) string {
	if s == "" {
		return "Empty"
	}
	r := []rune(s)[0]
	if !unicode.IsLetter(r) || !unicode.IsUpper(r) {
		return "V" + s
	}
	return s
}

func isIdentRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

func isMixedCase(s string) bool {
	var upper, lower bool
	for _, r := range s {
		upper = upper || unicode.IsUpper(r)
		lower = lower || unicode.IsLower(r)
	}
	return upper && lower
}

// namespace hands out identifiers that are unique within one scope (the
// package, or the fields of one struct). Asking for a taken name yields the
// name with the smallest free numeric suffix, so results depend only on the
// order of the requests, which the emitter keeps sorted.
type namespace map[string]bool

func (ns namespace) claim(name string) string {
	if !ns[name] {
		ns[name] = true
		return name
	}
	for i := 2; ; i++ {
		candidate := name + strconv.Itoa(i)
		if !ns[candidate] {
			ns[candidate] = true
			return candidate
		}
	}
}
