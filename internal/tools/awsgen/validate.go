package main

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// emitValidator writes Validate and validate for structure name. validate
// checks the members in name order and returns the first problem; it only
// descends into values whose shapes have constraints (see
// shapesNeedingChecks), so validators of unconstrained shapes are empty.
func (g *generator) emitValidator(b *bytes.Buffer, name string, s *Shape) {
	t := g.typeName[name]
	fields := structFieldNames(s)
	fmt.Fprintf(b, "// Validate checks v against the constraints of the model and returns the\n"+
		"// first problem found as a *%s.ValidationError.\n"+
		"func (v *%s) Validate() error { return v.validate(\"\") }\n\n", g.rt, t)
	fmt.Fprintf(b, "func (v *%s) validate(path string) error {\n", t)
	for _, mn := range sortedKeys(s.Members) {
		ref := s.Members[mn]
		target := g.model.Shapes[ref.Shape]
		expr := "v." + fields[mn]
		path := fmt.Sprintf("%s.MemberPath(path, %q)", g.rt, jsonName(mn, ref))
		if s.isRequired(mn) {
			if cond := g.requiredCheck(target, ref, expr); cond != "" {
				fmt.Fprintf(b, "if %s {\n%s}\n", cond, g.fail(path, "is required"))
			}
		}
		isPtr := target.isPlainStruct() || (isScalar(target.Type) && g.isBoxed(target, ref))
		g.valueChecks(b, expr, isPtr, ref, path, 0)
	}
	b.WriteString("return nil\n}\n\n")
}

// requiredCheck returns the condition under which a required member is
// missing, or "" when absence cannot be seen (a plain, non-boxed scalar).
func (g *generator) requiredCheck(s *Shape, ref *ShapeRef, expr string) string {
	switch {
	case s.Type == typeString:
		return expr + ` == ""`
	case isScalar(s.Type) && !g.isBoxed(s, ref):
		return ""
	default:
		return expr + " == nil"
	}
}

func (g *generator) fail(pathExpr, reason string) string {
	return fmt.Sprintf("return &%s.ValidationError{Field: %s, Reason: %q}\n", g.rt, pathExpr, reason)
}

// valueChecks writes the checks of one value: expr is a Go expression of
// the value (a pointer when isPtr), pathExpr a Go expression of its JSON path
// and depth the loop nesting, used to name loop variables.
func (g *generator) valueChecks(b *bytes.Buffer, expr string, isPtr bool, ref *ShapeRef, pathExpr string, depth int) {
	s := g.model.Shapes[ref.Shape]
	if !g.checked[ref.Shape] {
		return
	}
	switch {
	case s.isEnum():
		fmt.Fprintf(b, "if %s != \"\" && !%s.isKnown() {\n%s}\n", expr, expr,
			g.fail(pathExpr, "must be one of: "+strings.Join(s.Enum, ", ")))
	case s.Type == typeString:
		g.imports["unicode/utf8"] = true
		fmt.Fprintf(b, "if %s != \"\" {\n", expr)
		if lo, ok := lengthBound(s.Min); ok && lo > 1 {
			fmt.Fprintf(b, "if utf8.RuneCountInString(%s) < %d {\n%s}\n", expr, lo,
				g.fail(pathExpr, fmt.Sprintf("length must be at least %d", lo)))
		}
		if hi, ok := lengthBound(s.Max); ok {
			fmt.Fprintf(b, "if len(%s) > %d && utf8.RuneCountInString(%s) > %d {\n%s}\n", expr, hi, expr, hi,
				g.fail(pathExpr, fmt.Sprintf("length must be at most %d", hi)))
		}
		b.WriteString("}\n")
	case isScalar(s.Type):
		// A plain (non-boxed) scalar cannot tell absent from zero, and the
		// JSON protocol treats every member as optional: zero is not checked.
		val := expr
		guard := expr + " != 0 && "
		if isPtr {
			val = "*" + expr
			guard = expr + " != nil && "
		}
		if lo, ok := numberBound(s.Type, s.Min, true); ok {
			fmt.Fprintf(b, "if %s%s < %s {\n%s}\n", guard, val, lo, g.fail(pathExpr, "must be at least "+lo))
		}
		if hi, ok := numberBound(s.Type, s.Max, false); ok {
			fmt.Fprintf(b, "if %s%s > %s {\n%s}\n", guard, val, hi, g.fail(pathExpr, "must be at most "+hi))
		}
	case s.Type == typeBlob || s.Type == typeList || s.Type == typeMap:
		g.lengthChecks(b, expr, s, pathExpr)
		if s.Type == typeList && g.checked[s.Member.Shape] {
			i := fmt.Sprintf("i%d", depth)
			fmt.Fprintf(b, "for %s := range %s {\n", i, expr)
			g.valueChecks(b, expr+"["+i+"]", false, s.Member, fmt.Sprintf("%s.IndexPath(%s, %s)", g.rt, pathExpr, i), depth+1)
			b.WriteString("}\n")
		}
		if s.Type == typeMap && (g.checked[s.Key.Shape] || g.checked[s.Value.Shape]) {
			k, v := fmt.Sprintf("k%d", depth), fmt.Sprintf("v%d", depth)
			elemPath := fmt.Sprintf("%s.KeyPath(%s, %s)", g.rt, pathExpr, k)
			fmt.Fprintf(b, "for _, %s := range %s.SortedKeys(%s) {\n", k, g.rt, expr)
			if g.checked[s.Key.Shape] {
				keyExpr := k
				if ks := g.model.Shapes[s.Key.Shape]; ks.isEnum() {
					keyExpr = g.typeName[s.Key.Shape] + "(" + k + ")"
				}
				g.valueChecks(b, keyExpr, false, s.Key, elemPath, depth+1)
			}
			if g.checked[s.Value.Shape] {
				fmt.Fprintf(b, "%s := %s[%s]\n", v, expr, k)
				g.valueChecks(b, v, false, s.Value, elemPath, depth+1)
			}
			b.WriteString("}\n")
		}
	case s.isPlainStruct():
		call := fmt.Sprintf("if err := %s.validate(%s); err != nil {\nreturn err\n}\n", expr, pathExpr)
		if isPtr {
			fmt.Fprintf(b, "if %s != nil {\n%s}\n", expr, call)
		} else {
			b.WriteString(call)
		}
	}
}

// lengthChecks writes the min/max element (or byte) count checks of a
// list, map or blob, applied only when the value is present.
func (g *generator) lengthChecks(b *bytes.Buffer, expr string, s *Shape, pathExpr string) {
	lo, hasLo := lengthBound(s.Min)
	hi, hasHi := lengthBound(s.Max)
	hasLo = hasLo && lo > 0
	if !hasLo && !hasHi {
		return
	}
	if hasLo {
		fmt.Fprintf(b, "if %s != nil && len(%s) < %d {\n%s}\n", expr, expr, lo, g.fail(pathExpr, fmt.Sprintf("length must be at least %d", lo)))
	}
	if hasHi {
		fmt.Fprintf(b, "if len(%s) > %d {\n%s}\n", expr, hi, g.fail(pathExpr, fmt.Sprintf("length must be at most %d", hi)))
	}
}

// lengthBound reads a non-negative integer length bound.
func lengthBound(n *jsonNumber) (int64, bool) {
	if n == nil {
		return 0, false
	}
	f, err := strconv.ParseFloat(n.String(), 64)
	if err != nil || f < 0 || f > math.MaxInt32 || f != math.Trunc(f) {
		return 0, false
	}
	return int64(f), true
}

// numberBound returns the Go literal of a numeric bound of a scalar shape,
// or false when there is none or it cannot be violated by the Go type
// (e.g. an integer minimum of -2147483648).
func numberBound(shapeType string, n *jsonNumber, isMin bool) (string, bool) {
	if n == nil || shapeType == typeBoolean {
		return "", false
	}
	f, err := strconv.ParseFloat(n.String(), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return "", false
	}
	var lo, hi float64
	switch shapeType {
	case typeInteger:
		lo, hi = math.MinInt32, math.MaxInt32
	case typeLong:
		lo, hi = math.MinInt64, math.MaxInt64
	default:
		return strconv.FormatFloat(f, 'g', -1, 64), true
	}
	if f != math.Trunc(f) || f < lo || f > hi || (isMin && f == lo) || (!isMin && f == hi) {
		return "", false
	}
	// Integers beyond 2^53 lose precision in float64; keep the model's text.
	if i, err := strconv.ParseInt(n.String(), 10, 64); err == nil {
		return strconv.FormatInt(i, 10), true
	}
	return strconv.FormatFloat(f, 'f', 0, 64), true
}

// shapesNeedingChecks returns the shapes whose values have at least one
// constraint to check, directly or in a nested value. It iterates to a
// fixed point so recursive shapes are handled.
func (g *generator) shapesNeedingChecks() map[string]bool {
	checked := map[string]bool{}
	names := sortedKeys(g.model.Shapes)
	for changed := true; changed; {
		changed = false
		for _, name := range names {
			if !checked[name] && g.needsChecks(g.model.Shapes[name], checked) {
				checked[name] = true
				changed = true
			}
		}
	}
	return checked
}

func (g *generator) needsChecks(s *Shape, checked map[string]bool) bool {
	switch {
	case s.isEnum():
		return true
	case s.Type == typeString:
		lo, hasLo := lengthBound(s.Min)
		_, hasHi := lengthBound(s.Max)
		return (hasLo && lo > 1) || hasHi
	case isScalar(s.Type):
		_, hasLo := numberBound(s.Type, s.Min, true)
		_, hasHi := numberBound(s.Type, s.Max, false)
		return hasLo || hasHi
	case s.Type == typeBlob || s.Type == typeList || s.Type == typeMap:
		lo, hasLo := lengthBound(s.Min)
		_, hasHi := lengthBound(s.Max)
		if (hasLo && lo > 0) || hasHi {
			return true
		}
		if s.Type == typeList {
			return checked[s.Member.Shape]
		}
		if s.Type == typeMap {
			return checked[s.Key.Shape] || checked[s.Value.Shape]
		}
		return false
	case s.isPlainStruct():
		for _, mn := range sortedKeys(s.Members) {
			ref := s.Members[mn]
			target := g.model.Shapes[ref.Shape]
			if s.isRequired(mn) && g.requiredCheck(target, ref, "x") != "" {
				return true
			}
			if checked[ref.Shape] {
				return true
			}
		}
	}
	return false
}
