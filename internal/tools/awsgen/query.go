package main

import (
	"bytes"
	"fmt"
	"sort"
)

// queryRuntime is the package the generated query-protocol code builds on.
const queryRuntime = "github.com/wharfhq/wharf/internal/api/awsquery"

// queryProtocol is the AWS query protocol (ELBv2): form-encoded requests
// (Action=…&Version=…, Name.member.N lists, Name.entry.N.key/value maps)
// and XML responses. Besides the shared types and validators it emits a
// form decoder for every structure reachable from an operation input and
// an XML encoder for every structure reachable from an output. Query
// models do not mark optional scalars with "box", so every scalar member
// is a pointer: absent and zero differ (Port, HealthCheckIntervalSeconds).
type queryProtocol struct{}

func (queryProtocol) runtime() string { return queryRuntime }

func (queryProtocol) fieldTag(wireName string, _ bool) string {
	return fmt.Sprintf("query:%q", wireName)
}

func (queryProtocol) timestampType(g *generator) string {
	g.imports["time"] = true
	return "time.Time"
}

func (queryProtocol) boxAllScalars() bool { return true }

func (queryProtocol) emitService(g *generator, b *bytes.Buffer) {
	md := g.model.Metadata
	b.WriteString("// Service identity: the Version form parameter and the XML namespace of responses.\nconst (\n")
	fmt.Fprintf(b, "APIVersion = %q\nXMLNamespace = %q\n)\n\n", md.APIVersion, md.XMLNamespace)

	b.WriteString("// Operations lists the actions of the service, sorted by name. Errors are\n// the error codes the model lists for the action.\n")
	b.WriteString("var Operations = []awsquery.Operation{\n")
	ops := make([]*Operation, 0, len(g.model.Operations))
	for key, op := range g.model.Operations {
		if op.Name == "" {
			op.Name = key
		}
		ops = append(ops, op)
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].Name < ops[j].Name })
	for _, op := range ops {
		var in, out, wrapper string
		if op.Input != nil {
			in = op.Input.Shape
		}
		if op.Output != nil {
			out, wrapper = op.Output.Shape, op.Output.ResultWrapper
		}
		fmt.Fprintf(b, "{Name: %q, Input: %q, Output: %q, ResultWrapper: %q", op.Name, in, out, wrapper)
		if len(op.Errors) > 0 {
			b.WriteString(", Errors: []string{")
			for i, e := range op.Errors {
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(b, "%q", errorCode(e.Shape, g.model.Shapes[e.Shape]))
			}
			b.WriteString("}")
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n\n")

	var exceptions []string
	for _, name := range sortedKeys(g.model.Shapes) {
		if s := g.model.Shapes[name]; s.Type == typeStructure && s.Exception {
			exceptions = append(exceptions, name)
		}
	}
	b.WriteString("// Exceptions maps each error code of the service (the <Code> of the XML\n// error) to how it is sent.\n")
	b.WriteString("var Exceptions = map[string]awsquery.ExceptionInfo{\n")
	byCode := map[string]string{}
	for _, name := range exceptions {
		byCode[errorCode(name, g.model.Shapes[name])] = name
	}
	for _, code := range sortedKeys(byCode) {
		s := g.model.Shapes[byCode[code]]
		status := 400
		if s.Fault {
			status = 500
		}
		if s.Error != nil && s.Error.HTTPStatusCode != 0 {
			status = s.Error.HTTPStatusCode
		}
		fault := s.Fault || (s.Error != nil && !s.Error.SenderFault && status >= 500)
		fmt.Fprintf(b, "%q: {HTTPStatus: %d, Fault: %t},\n", code, status, fault)
	}
	b.WriteString("}\n\n")
	if len(exceptions) > 0 {
		b.WriteString("// Error codes of the service, named after their exception shapes.\nconst (\n")
		for _, name := range exceptions {
			fmt.Fprintf(b, "%s = %q\n", g.errName[name], errorCode(name, g.model.Shapes[name]))
		}
		b.WriteString(")\n\n")
	}
}

// errorCode is the wire code of an exception: error.code, else the shape name.
func errorCode(name string, s *Shape) string {
	if s.Error != nil && s.Error.Code != "" {
		return s.Error.Code
	}
	return name
}

func (queryProtocol) emitCodecs(g *generator, b *bytes.Buffer) error {
	for _, name := range sortedKeys(g.model.Shapes) {
		s := g.model.Shapes[name]
		if s.Flattened {
			return fmt.Errorf("shape %s: flattened lists and maps are not supported by the query emitter", name)
		}
		for _, mn := range sortedKeys(s.Members) {
			if s.Members[mn].Flattened {
				return fmt.Errorf("shape %s member %s: flattened members are not supported by the query emitter", name, mn)
			}
		}
	}
	var inputs, outputs []string
	for _, op := range g.model.Operations {
		if op.Input != nil {
			inputs = append(inputs, op.Input.Shape)
		}
		if op.Output != nil {
			outputs = append(outputs, op.Output.Shape)
		}
	}
	dec := g.reachable(inputs)
	enc := g.reachable(outputs)
	q := &queryEmitter{g: g, helpers: namespace{}, decName: map[string]string{}, encName: map[string]string{}}
	for _, name := range sortedKeys(g.model.Shapes) {
		s := g.model.Shapes[name]
		if dec[name] && (s.Type == typeList || s.Type == typeMap) {
			q.decName[name] = q.helpers.claim("decodeQuery" + exportedName(name))
		}
		if enc[name] && (s.Type == typeList || s.Type == typeMap) {
			q.encName[name] = q.helpers.claim("encodeXML" + exportedName(name))
		}
	}
	for _, name := range sortedKeys(g.model.Shapes) {
		s := g.model.Shapes[name]
		if dec[name] {
			switch {
			case s.isPlainStruct():
				q.structDecoder(b, name, s)
			case s.Type == typeList:
				q.listDecoder(b, name, s)
			case s.Type == typeMap:
				q.mapDecoder(b, name, s)
			}
		}
		if enc[name] {
			switch {
			case s.isPlainStruct():
				q.structEncoder(b, name, s)
			case s.Type == typeList:
				q.listEncoder(b, name, s)
			case s.Type == typeMap:
				q.mapEncoder(b, name, s)
			}
		}
	}
	return nil
}

// reachable returns the shapes reachable from roots through structure
// members, list members and map keys/values.
func (g *generator) reachable(roots []string) map[string]bool {
	seen := map[string]bool{}
	var visit func(string)
	visit = func(name string) {
		if seen[name] {
			return
		}
		seen[name] = true
		s := g.model.Shapes[name]
		if s.Exception {
			return
		}
		for _, mn := range sortedKeys(s.Members) {
			visit(s.Members[mn].Shape)
		}
		if s.Member != nil {
			visit(s.Member.Shape)
		}
		if s.Key != nil {
			visit(s.Key.Shape)
		}
		if s.Value != nil {
			visit(s.Value.Shape)
		}
	}
	for _, r := range roots {
		visit(r)
	}
	return seen
}

type queryEmitter struct {
	g       *generator
	helpers namespace
	decName map[string]string // list/map shape → decoder function
	encName map[string]string // list/map shape → encoder function
}

// scalarReader names the awsquery.Node method that reads a scalar shape.
func scalarReader(t string) string {
	switch t {
	case typeString:
		return "String"
	case typeInteger:
		return "Int32"
	case typeLong:
		return "Int64"
	case typeDouble:
		return "Float64"
	case typeFloat:
		return "Float32"
	case typeBoolean:
		return "Bool"
	case typeTimestamp:
		return "Time"
	case typeBlob:
		return "Blob"
	}
	panic("unreachable: scalar reader for " + t)
}

// decodeInto writes code that decodes node expression n (path expression p)
// into the Go lvalue dst of shape ref. member is true for structure members
// (pointer structs and pointer scalars).
func (q *queryEmitter) decodeInto(b *bytes.Buffer, dst string, ref *ShapeRef, n, p string, member bool) {
	g := q.g
	s := g.model.Shapes[ref.Shape]
	switch {
	case s.Type == typeList || s.Type == typeMap:
		fmt.Fprintf(b, "x, err := %s(%s, %s)\nif err != nil {\nreturn err\n}\n%s = x\n", q.decName[ref.Shape], n, p, dst)
	case s.isPlainStruct():
		if member {
			fmt.Fprintf(b, "x := new(%s)\nif err := x.decodeQuery(%s, %s); err != nil {\nreturn err\n}\n%s = x\n", g.typeName[ref.Shape], n, p, dst)
		} else {
			fmt.Fprintf(b, "if err := %s.decodeQuery(%s, %s); err != nil {\nreturn err\n}\n", dst, n, p)
		}
	case s.Type == typeStructure:
		// Exceptions and documents do not appear in query inputs; skip.
	default:
		fmt.Fprintf(b, "x, err := %s.%s(%s)\nif err != nil {\nreturn err\n}\n", n, scalarReader(s.Type), p)
		val := "x"
		switch {
		case s.isEnum():
			val = g.typeName[ref.Shape] + "(x)"
		case s.Type == typeInteger || s.Type == typeLong || s.Type == typeDouble || s.Type == typeFloat ||
			s.Type == typeBoolean || s.Type == typeTimestamp:
			if member {
				val = "&x"
			}
		}
		fmt.Fprintf(b, "%s = %s\n", dst, val)
	}
}

func (q *queryEmitter) structDecoder(b *bytes.Buffer, name string, s *Shape) {
	g := q.g
	t := g.typeName[name]
	fields := structFieldNames(s)
	fmt.Fprintf(b, "// DecodeQuery fills v from the form parameters of a request (see\n// awsquery.ParseForm); malformed values give a *awsquery.ValidationError.\n")
	fmt.Fprintf(b, "func (v *%s) DecodeQuery(n *awsquery.Node) error { return v.decodeQuery(n, \"\") }\n\n", t)
	fmt.Fprintf(b, "func (v *%s) decodeQuery(n *awsquery.Node, path string) error {\n", t)
	b.WriteString("if err := n.Struct(path); err != nil {\nreturn err\n}\n")
	for _, mn := range sortedKeys(s.Members) {
		ref := s.Members[mn]
		wire := jsonName(mn, ref)
		fmt.Fprintf(b, "if c := n.Child(%q); c != nil {\np := awsquery.MemberPath(path, %q)\n", wire, wire)
		q.decodeInto(b, "v."+fields[mn], ref, "c", "p", true)
		b.WriteString("}\n")
	}
	b.WriteString("return nil\n}\n\n")
}

func memberElement(ref *ShapeRef) string {
	if ref.LocationName != "" {
		return ref.LocationName
	}
	return "member"
}

func (q *queryEmitter) listDecoder(b *bytes.Buffer, name string, s *Shape) {
	elem := q.g.goType(s.Member, false)
	fmt.Fprintf(b, "func %s(n *awsquery.Node, path string) ([]%s, error) {\n", q.decName[name], elem)
	fmt.Fprintf(b, "items, err := n.List(path, %q)\nif err != nil {\nreturn nil, err\n}\n", memberElement(s.Member))
	fmt.Fprintf(b, "out := make([]%s, len(items))\nfor i, c := range items {\np := awsquery.IndexPath(path, i)\n", elem)
	fmt.Fprintf(b, "if err := func() error {\n")
	q.decodeInto(b, "out[i]", s.Member, "c", "p", false)
	b.WriteString("return nil\n}(); err != nil {\nreturn nil, err\n}\n}\nreturn out, nil\n}\n\n")
}

func (q *queryEmitter) mapDecoder(b *bytes.Buffer, name string, s *Shape) {
	val := q.g.goType(s.Value, false)
	key, value := "key", "value"
	if s.Key.LocationName != "" {
		key = s.Key.LocationName
	}
	if s.Value.LocationName != "" {
		value = s.Value.LocationName
	}
	fmt.Fprintf(b, "func %s(n *awsquery.Node, path string) (map[string]%s, error) {\n", q.decName[name], val)
	fmt.Fprintf(b, "entries, err := n.Map(path, %q, %q)\nif err != nil {\nreturn nil, err\n}\n", key, value)
	fmt.Fprintf(b, "out := make(map[string]%s, len(entries))\nfor _, e := range entries {\np := awsquery.KeyPath(path, e.Key)\n", val)
	fmt.Fprintf(b, "var v %s\nif err := func() error {\n", val)
	q.decodeInto(b, "v", s.Value, "e.Value", "p", false)
	b.WriteString("return nil\n}(); err != nil {\nreturn nil, err\n}\nout[e.Key] = v\n}\nreturn out, nil\n}\n\n")
}

// encodeValue writes code that encodes the Go expression v of shape ref as
// the element name. v is a pointer for boxed scalars and structure members.
func (q *queryEmitter) encodeValue(b *bytes.Buffer, v string, ref *ShapeRef, name string, isPtr bool) {
	g := q.g
	s := g.model.Shapes[ref.Shape]
	deref := v
	if isPtr {
		deref = "*" + v
	}
	switch s.Type {
	case typeString:
		if s.isEnum() {
			fmt.Fprintf(b, "w.String(%q, string(%s))\n", name, v)
		} else {
			fmt.Fprintf(b, "w.String(%q, %s)\n", name, v)
		}
	case typeInteger, typeLong:
		fmt.Fprintf(b, "w.Int(%q, int64(%s))\n", name, deref)
	case typeDouble, typeFloat:
		fmt.Fprintf(b, "w.Float(%q, float64(%s))\n", name, deref)
	case typeBoolean:
		fmt.Fprintf(b, "w.Bool(%q, %s)\n", name, deref)
	case typeTimestamp:
		fmt.Fprintf(b, "w.Time(%q, %s)\n", name, deref)
	case typeBlob:
		fmt.Fprintf(b, "w.Blob(%q, %s)\n", name, v)
	case typeList, typeMap:
		fmt.Fprintf(b, "w.Open(%q)\n%s(w, %s)\nw.Close(%q)\n", name, q.encName[ref.Shape], v, name)
	case typeStructure:
		if !s.isPlainStruct() {
			return
		}
		fmt.Fprintf(b, "w.Open(%q)\n%s.EncodeXML(w)\nw.Close(%q)\n", name, v, name)
	}
}

func (q *queryEmitter) structEncoder(b *bytes.Buffer, name string, s *Shape) {
	g := q.g
	t := g.typeName[name]
	fields := structFieldNames(s)
	fmt.Fprintf(b, "// EncodeXML writes the members of v as XML elements named as in the model.\n")
	fmt.Fprintf(b, "func (v *%s) EncodeXML(w *awsquery.XMLWriter) {\n", t)
	for _, mn := range sortedKeys(s.Members) {
		ref := s.Members[mn]
		target := g.model.Shapes[ref.Shape]
		expr := "v." + fields[mn]
		var guard string
		isPtr := false
		switch {
		case target.Type == typeString:
			guard = expr + ` != ""`
		case isScalar(target.Type) || target.Type == typeTimestamp:
			guard, isPtr = expr+" != nil", true
		case target.Type == typeStructure && !target.isPlainStruct():
			continue
		default:
			guard = expr + " != nil"
		}
		fmt.Fprintf(b, "if %s {\n", guard)
		q.encodeValue(b, expr, ref, jsonName(mn, ref), isPtr)
		b.WriteString("}\n")
	}
	b.WriteString("}\n\n")
}

func (q *queryEmitter) listEncoder(b *bytes.Buffer, name string, s *Shape) {
	fmt.Fprintf(b, "func %s(w *awsquery.XMLWriter, v []%s) {\nfor i := range v {\n", q.encName[name], q.g.goType(s.Member, false))
	q.encodeValue(b, "v[i]", s.Member, memberElement(s.Member), false)
	b.WriteString("}\n}\n\n")
}

func (q *queryEmitter) mapEncoder(b *bytes.Buffer, name string, s *Shape) {
	key, value := "key", "value"
	if s.Key.LocationName != "" {
		key = s.Key.LocationName
	}
	if s.Value.LocationName != "" {
		value = s.Value.LocationName
	}
	fmt.Fprintf(b, "func %s(w *awsquery.XMLWriter, v map[string]%s) {\n", q.encName[name], q.g.goType(s.Value, false))
	fmt.Fprintf(b, "for _, k := range awsquery.SortedKeys(v) {\nx := v[k]\nw.Open(\"entry\")\nw.String(%q, k)\n", key)
	q.encodeValue(b, "x", s.Value, value, false)
	b.WriteString("w.Close(\"entry\")\n}\n}\n\n")
}
