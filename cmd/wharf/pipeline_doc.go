package main

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// --- SDK values as the documents the AWS CLI prints ---
//
// The codepipeline SDK types carry no JSON tags. awsDoc turns them into
// the JSON documents the service sends: every member is its Go field name
// with a lower-case first letter (true of every CodePipeline member the
// CLI prints), nil and unset members are left out, enums are their
// strings and times are printed the way the AWS CLI prints them. The
// result keeps "name" first and the other members in alphabetical order,
// for JSON (-o json) and YAML (-o yaml) alike.

// docTimeLocation is where awsDoc prints times (tests pin it to UTC).
var docTimeLocation = time.Local

// docTimeLayout is the AWS CLI's: 2026-11-25T23:56:22.281000+01:00.
const docTimeLayout = "2006-01-02T15:04:05.000000-07:00"

// docMap is a JSON object with its members in a fixed order.
type docMap struct {
	keys []string
	vals map[string]any
}

func (m *docMap) set(k string, v any) {
	if m.vals == nil {
		m.vals = map[string]any{}
	}
	if _, ok := m.vals[k]; !ok {
		m.keys = append(m.keys, k)
	}
	m.vals[k] = v
}

// MarshalJSON writes the members in order.
func (m *docMap) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range m.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(m.vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// MarshalYAML writes the members in order.
func (m *docMap) MarshalYAML() (any, error) {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for _, k := range m.keys {
		var kn, vn yaml.Node
		kn.SetString(k)
		if err := vn.Encode(m.vals[k]); err != nil {
			return nil, err
		}
		n.Content = append(n.Content, &kn, &vn)
	}
	return n, nil
}

// awsDoc converts an SDK value (a struct, a pointer to one, a slice, …)
// into plain values and *docMap objects ready for JSON or YAML.
func awsDoc(v any) any {
	return docValue(reflect.ValueOf(v))
}

var timeType = reflect.TypeFor[time.Time]()

func docValue(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Invalid:
		return nil
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return docValue(v.Elem())
	case reflect.Struct:
		if v.Type() == timeType {
			return v.Interface().(time.Time).In(docTimeLocation).Format(docTimeLayout)
		}
		return docStruct(v)
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return v.Bytes() // base64, as encoding/json writes blobs
		}
		out := make([]any, 0, v.Len())
		for i := range v.Len() {
			out = append(out, docValue(v.Index(i)))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		m := &docMap{}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			m.set(k.String(), docValue(v.MapIndex(k)))
		}
		return m
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return v.Uint()
	case reflect.Float32, reflect.Float64:
		return v.Float()
	}
	return v.Interface()
}

func docStruct(v reflect.Value) *docMap {
	t := v.Type()
	type member struct {
		key string
		val any
	}
	var members []member
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || f.Anonymous || f.Name == "ResultMetadata" {
			continue
		}
		fv := v.Field(i)
		// Unset members: nil pointers, slices and maps, and enums (plain
		// strings) left empty. Plain numbers and booleans are members the
		// SDK always sends, so they stay.
		if (fv.Kind() == reflect.String && fv.String() == "") || ((fv.Kind() == reflect.Pointer || fv.Kind() == reflect.Slice || fv.Kind() == reflect.Map) && fv.IsNil()) {
			continue
		}
		members = append(members, member{strings.ToLower(f.Name[:1]) + f.Name[1:], docValue(fv)})
	}
	slices.SortStableFunc(members, func(a, b member) int {
		if (a.key == "name") != (b.key == "name") {
			if a.key == "name" {
				return -1
			}
			return 1
		}
		return strings.Compare(a.key, b.key)
	})
	m := &docMap{}
	for _, mb := range members {
		m.set(mb.key, mb.val)
	}
	return m
}

// writeYAML prints v as YAML, two-space indented.
func writeYAML(w interface{ Write([]byte) (int, error) }, v any) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return err
	}
	return enc.Close()
}
