package logs

import (
	"regexp"
	"strings"
)

// Pattern is a parsed CloudWatch Logs filter pattern for unstructured
// events. Supported: plain terms (all must appear, case-sensitive), quoted
// phrases ("connection refused"), ?term (at least one of the ?terms must
// appear), -term (must not appear) and %regex% (RE2 syntax, a superset of
// what CloudWatch accepts). JSON ({ $.x = ... }) and space-delimited
// ([ip, user, ...]) patterns are refused with an error wrapping ErrInvalid.
type Pattern struct {
	all, any, none []string
	re             *regexp.Regexp
}

// ParsePattern parses a filter pattern; the empty pattern matches every
// event.
func ParsePattern(s string) (*Pattern, error) {
	s = strings.TrimSpace(s)
	p := &Pattern{}
	switch {
	case s == "" || s == `""`:
		return p, nil
	case strings.HasPrefix(s, "{"):
		return nil, invalidf("JSON filter patterns ({ $.field ... }) are not supported by wharf; use terms, quoted phrases, ?term, -term or %%regex%%.")
	case strings.HasPrefix(s, "["):
		return nil, invalidf("Space-delimited filter patterns ([field, ...]) are not supported by wharf; use terms, quoted phrases, ?term, -term or %%regex%%.")
	case len(s) >= 2 && strings.HasPrefix(s, "%") && strings.HasSuffix(s, "%"):
		re, err := regexp.Compile(s[1 : len(s)-1])
		if err != nil {
			return nil, invalidf("Invalid regular expression in filter pattern: %v", err)
		}
		p.re = re
		return p, nil
	}
	for len(s) > 0 {
		var mod byte
		if s[0] == '?' || s[0] == '-' {
			mod, s = s[0], s[1:]
		}
		var term string
		if strings.HasPrefix(s, `"`) {
			var b strings.Builder
			i := 1
			closed := false
			for ; i < len(s); i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
					b.WriteByte(s[i])
					continue
				}
				if s[i] == '"' {
					closed = true
					i++
					break
				}
				b.WriteByte(s[i])
			}
			if !closed {
				return nil, invalidf("Invalid filter pattern: unterminated quoted string.")
			}
			term, s = b.String(), s[i:]
		} else {
			end := strings.IndexAny(s, " \t")
			if end < 0 {
				end = len(s)
			}
			term, s = s[:end], s[end:]
		}
		s = strings.TrimLeft(s, " \t")
		if term == "" {
			if mod != 0 {
				return nil, invalidf("Invalid filter pattern: %q must be followed by a term.", string(mod))
			}
			continue
		}
		switch mod {
		case '?':
			p.any = append(p.any, term)
		case '-':
			p.none = append(p.none, term)
		default:
			p.all = append(p.all, term)
		}
	}
	return p, nil
}

// Match reports whether a message matches the pattern.
func (p *Pattern) Match(msg string) bool {
	if p.re != nil {
		return p.re.MatchString(msg)
	}
	for _, t := range p.all {
		if !strings.Contains(msg, t) {
			return false
		}
	}
	for _, t := range p.none {
		if strings.Contains(msg, t) {
			return false
		}
	}
	if len(p.any) == 0 {
		return true
	}
	for _, t := range p.any {
		if strings.Contains(msg, t) {
			return true
		}
	}
	return false
}
