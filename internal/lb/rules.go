package lb

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"sort"
	"strings"

	"github.com/wharfhq/wharf/internal/model"
)

// pattern is a compiled ALB wildcard pattern: '*' matches any run of
// characters (also none), '?' exactly one. Case folding, where a condition
// wants it, is done by lower-casing both sides before matching.
type pattern struct {
	kind uint8
	lit  string
}

const (
	patExact uint8 = iota
	patPrefix
	patSuffix
	patAny
	patGlob
)

func compilePattern(p string, fold bool) pattern {
	if fold {
		p = strings.ToLower(p)
	}
	switch {
	case p == "*":
		return pattern{kind: patAny}
	case !strings.ContainsAny(p, "*?"):
		return pattern{kind: patExact, lit: p}
	case strings.IndexAny(p, "*?") == len(p)-1 && p[len(p)-1] == '*':
		return pattern{kind: patPrefix, lit: p[:len(p)-1]}
	case p[0] == '*' && !strings.ContainsAny(p[1:], "*?"):
		return pattern{kind: patSuffix, lit: p[1:]}
	}
	return pattern{kind: patGlob, lit: p}
}

func (p pattern) match(s string) bool {
	switch p.kind {
	case patExact:
		return s == p.lit
	case patPrefix:
		return strings.HasPrefix(s, p.lit)
	case patSuffix:
		return strings.HasSuffix(s, p.lit)
	case patAny:
		return true
	}
	return globMatch(p.lit, s)
}

// globMatch matches s against a pattern of literals, '*' and '?' in linear
// time for the common cases (the backtracking loop of path.Match without
// character classes).
func globMatch(p, s string) bool {
	px, sx := 0, 0
	nextPx, nextSx := 0, 0
	for px < len(p) || sx < len(s) {
		if px < len(p) {
			switch c := p[px]; c {
			case '*':
				nextPx, nextSx = px, sx+1
				px++
				continue
			case '?':
				if sx < len(s) {
					px++
					sx++
					continue
				}
			default:
				if sx < len(s) && s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if 0 < nextSx && nextSx <= len(s) {
			px, sx = nextPx, nextSx
			continue
		}
		return false
	}
	return true
}

func matchAny(ps []pattern, s string) bool {
	for i := range ps {
		if ps[i].match(s) {
			return true
		}
	}
	return false
}

// condition is a compiled rule condition. Values of one condition are
// alternatives (OR); the conditions of a rule must all match (AND).
type condition struct {
	field    string
	patterns []pattern // path-pattern, host-header, http-header
	header   string    // canonical header name of http-header
	methods  []string
	query    []queryMatch
	nets     []netip.Prefix
}

type queryMatch struct {
	anyKey bool
	key    pattern
	value  pattern
}

func compileCondition(c model.Condition) (condition, error) {
	out := condition{field: c.Field}
	switch c.Field {
	case "path-pattern":
		for _, v := range c.Values {
			out.patterns = append(out.patterns, compilePattern(v, false))
		}
	case "host-header":
		for _, v := range c.Values {
			out.patterns = append(out.patterns, compilePattern(v, true))
		}
	case "http-header":
		if c.HeaderName == "" {
			return out, fmt.Errorf("http-header condition without a header name")
		}
		out.header = http.CanonicalHeaderKey(c.HeaderName)
		for _, v := range c.Values {
			out.patterns = append(out.patterns, compilePattern(v, true))
		}
	case "http-request-method":
		out.methods = append(out.methods, c.Values...)
	case "query-string":
		for _, q := range c.QueryValues {
			out.query = append(out.query, queryMatch{anyKey: q.Key == "", key: compilePattern(q.Key, true), value: compilePattern(q.Value, true)})
		}
	case "source-ip":
		for _, v := range c.Values {
			p, err := netip.ParsePrefix(v)
			if err != nil {
				a, aerr := netip.ParseAddr(v)
				if aerr != nil {
					return out, fmt.Errorf("source-ip %q: %w", v, err)
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			out.nets = append(out.nets, p.Masked())
		}
	default:
		return out, fmt.Errorf("unsupported condition field %q", c.Field)
	}
	return out, nil
}

// reqView is what rule matching reads from a request; derived values are
// computed once, on first use.
type reqView struct {
	// Either r, or h with the decoded path, raw query and RemoteAddr.
	r        *http.Request
	h        *reqHead
	path     string
	rawQuery string
	remote   string

	host     string
	hostDone bool
	query    url.Values
	addr     netip.Addr
	addrDone bool
}

func (v *reqView) lowerHost() string {
	if !v.hostDone {
		if v.h != nil {
			v.host = strings.ToLower(stripPort(string(v.h.fieldVal(v.h.host))))
		} else {
			v.host = strings.ToLower(stripPort(v.r.Host))
		}
		v.hostDone = true
	}
	return v.host
}

func (v *reqView) clientAddr() netip.Addr {
	if !v.addrDone {
		remote := v.remote
		if v.h == nil {
			remote = v.r.RemoteAddr
		}
		if ap, err := netip.ParseAddrPort(remote); err == nil {
			v.addr = ap.Addr().Unmap()
		}
		v.addrDone = true
	}
	return v.addr
}

func (v *reqView) urlPath() string {
	if v.h != nil {
		return v.path
	}
	return v.r.URL.Path
}

func (v *reqView) methodIs(m string) bool {
	if v.h != nil {
		return v.h.methodIs(m)
	}
	return v.r.Method == m
}

func (v *reqView) rawQueryString() string {
	if v.h != nil {
		return v.rawQuery
	}
	return v.r.URL.RawQuery
}

// header returns the values of a field (name in canonical form).
func (v *reqView) header(name string) []string {
	if v.h == nil {
		return v.r.Header[name]
	}
	var vals []string
	for i := 0; i < v.h.n; i++ {
		if equalFold(v.h.fieldName(i), name) {
			vals = append(vals, string(v.h.fieldVal(i)))
		}
	}
	return vals
}

func stripPort(host string) string {
	i := strings.LastIndexByte(host, ':')
	if i < 0 || strings.IndexByte(host[i:], ']') >= 0 {
		return host
	}
	return host[:i]
}

func (c *condition) match(v *reqView) bool {
	switch c.field {
	case "path-pattern":
		return matchAny(c.patterns, v.urlPath())
	case "host-header":
		return matchAny(c.patterns, v.lowerHost())
	case "http-header":
		for _, hv := range v.header(c.header) {
			if matchAny(c.patterns, strings.ToLower(hv)) {
				return true
			}
		}
		return false
	case "http-request-method":
		for _, m := range c.methods {
			if v.methodIs(m) {
				return true
			}
		}
		return false
	case "query-string":
		if v.query == nil {
			v.query, _ = url.ParseQuery(v.rawQueryString())
		}
		for _, q := range c.query {
			for k, vals := range v.query {
				lk := strings.ToLower(k)
				if !q.anyKey && !q.key.match(lk) {
					continue
				}
				for _, val := range vals {
					if q.value.match(strings.ToLower(val)) {
						return true
					}
				}
			}
		}
		return false
	case "source-ip":
		a := v.clientAddr()
		for _, n := range c.nets {
			if n.Contains(a) {
				return true
			}
		}
		return false
	}
	return false
}

// rule is a compiled listener rule.
type rule struct {
	arn        string
	priority   int32
	conditions []condition
	action     *action
}

func (r *rule) match(v *reqView) bool {
	for i := range r.conditions {
		if !r.conditions[i].match(v) {
			return false
		}
	}
	return true
}

// matchRule returns the first rule, by ascending priority, whose conditions
// all hold, or nil (then the listener's default action applies).
func matchRule(rules []rule, v *reqView) *rule {
	for i := range rules {
		if rules[i].match(v) {
			return &rules[i]
		}
	}
	return nil
}

func sortRules(rs []rule) {
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].priority < rs[j].priority })
}
