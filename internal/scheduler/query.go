package scheduler

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// MaxExpressionLength is the ECS limit on a memberOf expression.
const MaxExpressionLength = 2000

// Expr is a parsed cluster query language expression. The zero Expr matches
// every instance.
type Expr struct {
	root node
}

// SyntaxError reports where an expression stopped making sense.
type SyntaxError struct {
	Pos int // byte offset into the expression
	Msg string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s at position %d", e.Msg, e.Pos) }

// String renders the expression canonically: keywords and, or, not; symbolic
// operators; 'quoted' literals where a bare one would not parse back.
// ParseExpression(e.String()) yields an equivalent Expr with the same String.
func (e Expr) String() string {
	if e.root == nil {
		return ""
	}
	var b strings.Builder
	e.root.format(&b)
	return b.String()
}

// node is one operator of the expression tree.
type node interface {
	eval(t target) bool
	format(b *strings.Builder)
	dynamic() bool // depends on tasks placed on the instance
}

type (
	andNode []node
	orNode  []node
	notNode struct{ x node }
)

func (n andNode) eval(t target) bool {
	for _, x := range n {
		if !x.eval(t) {
			return false
		}
	}
	return true
}

func (n orNode) eval(t target) bool {
	for _, x := range n {
		if x.eval(t) {
			return true
		}
	}
	return false
}

func (n notNode) eval(t target) bool { return !n.x.eval(t) }

func (n andNode) dynamic() bool { return anyDynamic(n) }
func (n orNode) dynamic() bool  { return anyDynamic(n) }
func (n notNode) dynamic() bool { return n.x.dynamic() }

func anyDynamic(xs []node) bool {
	for _, x := range xs {
		if x.dynamic() {
			return true
		}
	}
	return false
}

func (n andNode) format(b *strings.Builder) {
	for i, x := range n {
		if i > 0 {
			b.WriteString(" and ")
		}
		_, compound := x.(andNode)
		if _, or := x.(orNode); or {
			compound = true
		}
		formatGrouped(b, x, compound)
	}
}

func (n orNode) format(b *strings.Builder) {
	for i, x := range n {
		if i > 0 {
			b.WriteString(" or ")
		}
		_, compound := x.(orNode)
		formatGrouped(b, x, compound)
	}
}

func (n notNode) format(b *strings.Builder) {
	b.WriteString("not ")
	_, compound := n.x.(andNode)
	if _, or := n.x.(orNode); or {
		compound = true
	}
	formatGrouped(b, n.x, compound)
}

func formatGrouped(b *strings.Builder, x node, parens bool) {
	if parens {
		b.WriteByte('(')
	}
	x.format(b)
	if parens {
		b.WriteByte(')')
	}
}

// subject is the left-hand side of a comparison.
type subject int

const (
	subjAttribute subject = iota
	subjTaskGroup
	subjAgentConnected
	subjAgentVersion
	subjEC2InstanceID
	subjRegisteredAt
	subjRunningTasksCount
)

var subjectNames = map[string]subject{
	"task:group":        subjTaskGroup,
	"agentconnected":    subjAgentConnected,
	"agentversion":      subjAgentVersion,
	"ec2instanceid":     subjEC2InstanceID,
	"registeredat":      subjRegisteredAt,
	"runningtaskscount": subjRunningTasksCount,
}

var subjectCanonical = [...]string{
	subjTaskGroup:         "task:group",
	subjAgentConnected:    "agentConnected",
	subjAgentVersion:      "agentVersion",
	subjEC2InstanceID:     "ec2InstanceId",
	subjRegisteredAt:      "registeredAt",
	subjRunningTasksCount: "runningTasksCount",
}

// op is a comparison operator.
type op int

const (
	opEq op = iota
	opNe
	opGt
	opGe
	opLt
	opLe
	opExists
	opNotExists
	opIn
	opNotIn
	opMatches
	opNotMatches
)

var opCanonical = [...]string{
	opEq: "==", opNe: "!=", opGt: ">", opGe: ">=", opLt: "<", opLe: "<=",
	opExists: "exists", opNotExists: "!exists", opIn: "in", opNotIn: "!in",
	opMatches: "=~", opNotMatches: "!~",
}

var opWords = map[string]op{
	"equals": opEq, "not_equals": opNe,
	"greater_than": opGt, "greater_than_equal": opGe,
	"less_than": opLt, "less_than_equal": opLe,
	"exists": opExists, "not_exists": opNotExists,
	"in": opIn, "not_in": opNotIn,
	"matches": opMatches, "not_matches": opNotMatches,
}

// negated maps each negative operator to its positive form.
var negated = map[op]op{opNe: opEq, opNotExists: opExists, opNotIn: opIn, opNotMatches: opMatches}

// allowedOps lists the operators each subject accepts (ECS cluster query
// language docs); attributes accept all of them.
var allowedOps = map[subject][]op{
	subjTaskGroup:         {opEq, opNe, opIn, opNotIn, opMatches, opNotMatches},
	subjAgentConnected:    {opEq, opNe, opIn, opNotIn, opMatches, opNotMatches},
	subjEC2InstanceID:     {opEq, opNe, opIn, opNotIn, opMatches, opNotMatches},
	subjAgentVersion:      {opEq, opNe, opGt, opGe, opLt, opLe},
	subjRegisteredAt:      {opEq, opNe, opGt, opGe, opLt, opLe},
	subjRunningTasksCount: {opEq, opNe, opGt, opGe, opLt, opLe},
}

// cmpNode is `subject op [args]`. Negative operators are evaluated as the
// negation of their positive form, so `attribute:x != a` holds on instances
// without x.
type cmpNode struct {
	subj  subject
	attr  string // attribute name for subjAttribute
	op    op
	args  []string
	re    *regexp.Regexp // =~ and !~, anchored like Java's String.matches
	times []time.Time    // registeredAt
	ints  []int64        // runningTasksCount
}

func (n *cmpNode) dynamic() bool {
	return n.subj == subjTaskGroup || n.subj == subjRunningTasksCount
}

func (n *cmpNode) format(b *strings.Builder) {
	if n.subj == subjAttribute {
		b.WriteString("attribute:")
		b.WriteString(n.attr)
	} else {
		b.WriteString(subjectCanonical[n.subj])
	}
	b.WriteByte(' ')
	b.WriteString(opCanonical[n.op])
	switch {
	case n.op == opExists || n.op == opNotExists:
	case n.op == opIn || n.op == opNotIn:
		b.WriteString(" [")
		for i, a := range n.args {
			if i > 0 {
				b.WriteString(", ")
			}
			writeLiteral(b, a)
		}
		b.WriteByte(']')
	default:
		b.WriteByte(' ')
		writeLiteral(b, n.args[0])
	}
}

// ParseExpression parses a cluster query language expression, e.g.
// `attribute:ecs.instance-type =~ t2.* and not(task:group == service:db)`.
//
// Grammar (ECS docs; keywords case-insensitive):
//
//	expr    := term { ("or" | "||") term }
//	term    := factor { ("and" | "&&") factor }
//	factor  := ("not" | "!") factor | "(" expr ")" | cmp
//	cmp     := subject op [argument]
//	subject := agentConnected | agentVersion | ec2InstanceId | registeredAt
//	         | runningTasksCount | task:group | attribute:NAME
//	op      := == equals | != not_equals | > greater_than | >= greater_than_equal
//	         | < less_than | <= less_than_equal | exists | !exists not_exists "not exists"
//	         | in | !in not_in "not in" | =~ matches | !~ not_matches
//	argument:= literal | "[" literal { "," literal } "]"
//
// Literals are bare (no spaces, parentheses, brackets, commas, quotes, && or
// ||) or 'quoted' / "quoted" with \\ and \' (or \") escapes. Patterns for =~
// are regular expressions matched against the whole value.
func ParseExpression(s string) (Expr, error) {
	if len(s) > MaxExpressionLength {
		return Expr{}, &SyntaxError{Pos: MaxExpressionLength, Msg: fmt.Sprintf("expression is longer than %d characters", MaxExpressionLength)}
	}
	p := &parser{src: s}
	p.skipSpace()
	if p.eof() {
		return Expr{}, p.errorf("empty expression")
	}
	root, err := p.expr(0)
	if err != nil {
		return Expr{}, err
	}
	p.skipSpace()
	if !p.eof() {
		return Expr{}, p.errorf("unexpected %q", p.rest(10))
	}
	return Expr{root: root}, nil
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 200

type parser struct {
	src string
	pos int
}

func (p *parser) eof() bool { return p.pos >= len(p.src) }

func (p *parser) rest(n int) string {
	r := p.src[p.pos:]
	if len(r) > n {
		r = r[:n]
	}
	return r
}

func (p *parser) errorf(format string, args ...any) error {
	return &SyntaxError{Pos: p.pos, Msg: fmt.Sprintf(format, args...)}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func (p *parser) skipSpace() {
	for !p.eof() && isSpace(p.src[p.pos]) {
		p.pos++
	}
}

func isWordChar(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// keyword consumes word (case-insensitive) if it stands alone at the cursor.
func (p *parser) keyword(word string) bool {
	p.skipSpace()
	end := p.pos + len(word)
	if end > len(p.src) || !strings.EqualFold(p.src[p.pos:end], word) {
		return false
	}
	if end < len(p.src) && isWordChar(p.src[end]) {
		return false
	}
	p.pos = end
	return true
}

// symbol consumes sym if it is at the cursor.
func (p *parser) symbol(sym string) bool {
	p.skipSpace()
	if strings.HasPrefix(p.src[p.pos:], sym) {
		p.pos += len(sym)
		return true
	}
	return false
}

func (p *parser) expr(depth int) (node, error) {
	if depth > maxDepth {
		return nil, p.errorf("expression nested too deeply")
	}
	var terms orNode
	for {
		t, err := p.term(depth)
		if err != nil {
			return nil, err
		}
		terms = append(terms, t)
		if !p.keyword("or") && !p.symbol("||") {
			break
		}
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return terms, nil
}

func (p *parser) term(depth int) (node, error) {
	var factors andNode
	for {
		f, err := p.factor(depth)
		if err != nil {
			return nil, err
		}
		factors = append(factors, f)
		if !p.keyword("and") && !p.symbol("&&") {
			break
		}
	}
	if len(factors) == 1 {
		return factors[0], nil
	}
	return factors, nil
}

func (p *parser) factor(depth int) (node, error) {
	if depth > maxDepth {
		return nil, p.errorf("expression nested too deeply")
	}
	if p.keyword("not") || p.symbol("!") {
		x, err := p.factor(depth + 1)
		if err != nil {
			return nil, err
		}
		return notNode{x}, nil
	}
	if p.symbol("(") {
		x, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		if !p.symbol(")") {
			return nil, p.errorf("expected )")
		}
		return x, nil
	}
	return p.comparison()
}

func isNameChar(c byte) bool {
	return isWordChar(c) || c == '.' || c == '-' || c == '/' || c == ':' || c == '@'
}

func (p *parser) comparison() (node, error) {
	p.skipSpace()
	start := p.pos
	for !p.eof() && isNameChar(p.src[p.pos]) {
		p.pos++
	}
	name := p.src[start:p.pos]
	n := &cmpNode{}
	switch {
	case name == "":
		return nil, p.errorf("expected a subject such as attribute:<name>")
	case len(name) > len("attribute:") && strings.EqualFold(name[:len("attribute:")], "attribute:"):
		n.subj, n.attr = subjAttribute, name[len("attribute:"):]
	default:
		s, ok := subjectNames[strings.ToLower(name)]
		if !ok {
			p.pos = start
			return nil, p.errorf("unknown subject %q", name)
		}
		n.subj = s
	}
	opPos := p.pos
	o, err := p.operator()
	if err != nil {
		return nil, err
	}
	n.op = o
	if allowed, limited := allowedOps[n.subj]; limited && !containsOp(allowed, o) {
		p.pos = opPos
		return nil, p.errorf("operator %s is not supported for %s", opCanonical[o], subjectCanonical[n.subj])
	}
	switch o {
	case opExists, opNotExists:
		return n, nil
	case opIn, opNotIn:
		if p.symbol("[") {
			for {
				lit, err := p.literal()
				if err != nil {
					return nil, err
				}
				n.args = append(n.args, lit)
				if p.symbol("]") {
					break
				}
				if !p.symbol(",") {
					return nil, p.errorf("expected , or ]")
				}
			}
		} else {
			lit, err := p.literal()
			if err != nil {
				return nil, err
			}
			n.args = []string{lit}
		}
	default:
		lit, err := p.literal()
		if err != nil {
			return nil, err
		}
		n.args = []string{lit}
	}
	argPos := p.pos
	if err := n.compileArgs(); err != nil {
		p.pos = argPos
		return nil, p.errorf("%v", err)
	}
	return n, nil
}

func containsOp(ops []op, o op) bool {
	for _, x := range ops {
		if x == o {
			return true
		}
	}
	return false
}

func (p *parser) operator() (op, error) {
	p.skipSpace()
	// Longest symbols first.
	for _, s := range []struct {
		sym string
		op  op
	}{
		{"!exists", opNotExists}, {"!in", opNotIn},
		{"==", opEq}, {"!=", opNe}, {">=", opGe}, {"<=", opLe},
		{"=~", opMatches}, {"!~", opNotMatches}, {">", opGt}, {"<", opLt},
	} {
		if s.sym == "!in" || s.sym == "!exists" {
			save := p.pos
			if p.symbol("!") && p.keyword(s.sym[1:]) {
				return s.op, nil
			}
			p.pos = save
			continue
		}
		if p.symbol(s.sym) {
			return s.op, nil
		}
	}
	if p.keyword("not") {
		switch {
		case p.keyword("in"):
			return opNotIn, nil
		case p.keyword("exists"):
			return opNotExists, nil
		case p.keyword("matches"):
			return opNotMatches, nil
		}
		return 0, p.errorf("expected in, exists or matches after not")
	}
	start := p.pos
	for !p.eof() && isWordChar(p.src[p.pos]) {
		p.pos++
	}
	if o, ok := opWords[strings.ToLower(p.src[start:p.pos])]; ok && p.pos > start {
		return o, nil
	}
	p.pos = start
	return 0, p.errorf("expected an operator")
}

// isBareStop reports whether a bare literal ends at src[i].
func isBareStop(src string, i int) bool {
	switch c := src[i]; c {
	case '(', ')', '[', ']', ',', '\'', '"':
		return true
	case '&', '|':
		return i+1 < len(src) && src[i+1] == c
	default:
		return isSpace(c)
	}
}

func (p *parser) literal() (string, error) {
	p.skipSpace()
	if p.eof() {
		return "", p.errorf("expected a value")
	}
	if q := p.src[p.pos]; q == '\'' || q == '"' {
		var b strings.Builder
		start := p.pos
		for i := p.pos + 1; i < len(p.src); i++ {
			c := p.src[i]
			switch {
			case c == q:
				p.pos = i + 1
				return b.String(), nil
			case c == '\\' && i+1 < len(p.src) && (p.src[i+1] == q || p.src[i+1] == '\\'):
				b.WriteByte(p.src[i+1])
				i++
			default:
				b.WriteByte(c)
			}
		}
		p.pos = start
		return "", p.errorf("unterminated quoted value")
	}
	start := p.pos
	for !p.eof() && !isBareStop(p.src, p.pos) {
		p.pos++
	}
	if p.pos == start {
		return "", p.errorf("expected a value")
	}
	return p.src[start:p.pos], nil
}

// writeLiteral writes s bare when it would parse back as is, else quoted.
func writeLiteral(b *strings.Builder, s string) {
	bare := s != ""
	for i := 0; bare && i < len(s); i++ {
		bare = !isBareStop(s, i)
	}
	if bare {
		b.WriteString(s)
		return
	}
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' || s[i] == '\'' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('\'')
}

// registeredAtLayouts are the date formats ECS accepts for registeredAt.
var registeredAtLayouts = []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"}

// compileArgs checks and pre-parses the arguments once, at parse time.
func (n *cmpNode) compileArgs() error {
	switch {
	case n.op == opMatches || n.op == opNotMatches:
		if _, err := regexp.Compile(n.args[0]); err != nil {
			return fmt.Errorf("invalid pattern %q", n.args[0])
		}
		re, err := regexp.Compile(`^(?:` + n.args[0] + `)$`)
		if err != nil {
			return fmt.Errorf("invalid pattern %q", n.args[0])
		}
		n.re = re
	case n.subj == subjRegisteredAt:
		for _, a := range n.args {
			t, err := parseRegisteredAt(a)
			if err != nil {
				return err
			}
			n.times = append(n.times, t)
		}
	case n.subj == subjRunningTasksCount:
		for _, a := range n.args {
			v, err := strconv.ParseInt(a, 10, 64)
			if err != nil {
				return fmt.Errorf("runningTasksCount needs an integer, got %q", a)
			}
			n.ints = append(n.ints, v)
		}
	}
	return nil
}

func parseRegisteredAt(s string) (time.Time, error) {
	for _, layout := range registeredAtLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("registeredAt needs a date like 2018-06-18T22:28:28+00:00, got %q", s)
}
