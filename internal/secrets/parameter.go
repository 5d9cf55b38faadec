package secrets

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/wharfhq/wharf/internal/state"
)

// Parameter types.
const (
	TypeString       = "String"
	TypeStringList   = "StringList"
	TypeSecureString = "SecureString"
)

const (
	// MaxHierarchyLevels is the deepest parameter name SSM accepts.
	MaxHierarchyLevels = 15
	// maxParameterVersions is how many versions SSM keeps; older ones go.
	maxParameterVersions = 100
	// standardValueLimit and advancedValueLimit are the value sizes of
	// the Standard and Advanced tiers; wharf picks the tier by size.
	standardValueLimit = 4096
	advancedValueLimit = 8192
)

// PutParameterInput is a PutParameter request.
type PutParameterInput struct {
	Name        string
	Type        string // required for a new parameter; kept when overwriting
	Value       string
	Description string
	DataType    string // "text" (default) or "aws:ec2:image"
	KeyID       string
	Overwrite   bool
}

// Parameter is one version of a parameter as GetParameter returns it.
type Parameter struct {
	Name     string
	Type     string
	Value    string // plaintext, or for an undecrypted SecureString the base64 ciphertext
	Version  int64
	Selector string // ":N" when the request asked for a version
	DataType string
	Modified time.Time
	ARN      string
}

// ParameterARN returns the ARN of a parameter name.
func (s *Store) ParameterARN(name string) string {
	return "arn:aws:ssm:" + s.region + ":" + s.account + ":parameter/" + strings.TrimPrefix(name, "/")
}

// ValidateParameterName checks a parameter name as SSM does.
func ValidateParameterName(name string) error {
	switch {
	case name == "":
		return invalid("Parameter name must not be empty.")
	case len(name) > 1011:
		return invalid("Parameter name must be at most 1011 characters.")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_.-/", r)) {
			return invalid("Parameter name: can contain only a-zA-Z0-9_.-/ characters; %q is not allowed.", r)
		}
	}
	if strings.Contains(name, "/") {
		if !strings.HasPrefix(name, "/") {
			return invalid("Parameter name must be a fully qualified name.")
		}
		if strings.HasSuffix(name, "/") || strings.Contains(name, "//") {
			return invalid("Parameter name must be a fully qualified name: no empty hierarchy levels.")
		}
		if strings.Count(name, "/") > MaxHierarchyLevels {
			return ErrHierarchyTooDeep
		}
	}
	first := strings.ToLower(strings.TrimPrefix(name, "/"))
	if strings.HasPrefix(first, "aws") || strings.HasPrefix(first, "ssm") {
		return invalid("No access to reserved parameter name: %s.", name)
	}
	return nil
}

// PutParameter creates a parameter or, with Overwrite, adds a version;
// it returns the new version and the tier ("Standard" or "Advanced").
func (s *Store) PutParameter(ctx context.Context, in PutParameterInput) (int64, string, error) {
	if err := ValidateParameterName(in.Name); err != nil {
		return 0, "", err
	}
	switch in.Type {
	case "", TypeString, TypeStringList, TypeSecureString:
	default:
		return 0, "", invalid("Parameter type %q is not one of String, StringList, SecureString.", in.Type)
	}
	switch in.DataType {
	case "":
		in.DataType = "text"
	case "text", "aws:ec2:image":
	default:
		return 0, "", invalid("The following data type is not supported: %s (Data type names are all lowercase.)", in.DataType)
	}
	if in.Value == "" {
		return 0, "", invalid("Parameter value must not be empty.")
	}
	if len(in.Value) > advancedValueLimit {
		return 0, "", invalid("Parameter value must be at most %d characters.", advancedValueLimit)
	}
	tier := "Standard"
	if len(in.Value) > standardValueLimit {
		tier = "Advanced"
	}
	now := s.now().UTC()
	version := func(n int64, typ string) (state.ParameterVersion, error) {
		v := state.ParameterVersion{Version: n, Type: typ, DataType: in.DataType, Description: in.Description, KeyID: in.KeyID, Value: []byte(in.Value), Modified: now}
		if typ == TypeSecureString {
			if v.KeyID == "" {
				v.KeyID = "alias/aws/ssm"
			}
			blob, err := s.seal.seal(parameterItem(in.Name, n), []byte(in.Value))
			if err != nil {
				return v, err
			}
			v.Value = blob
		} else {
			v.KeyID = ""
		}
		return v, nil
	}
	if _, ok := s.st.Parameter(in.Name); !ok {
		if in.Type == "" {
			return 0, "", invalid("A parameter type is required when you create a parameter.")
		}
		v, err := version(1, in.Type)
		if err != nil {
			return 0, "", err
		}
		err = s.st.CreateParameter(ctx, &state.ParameterRecord{Name: in.Name, Versions: []state.ParameterVersion{v}})
		if err == nil {
			return 1, tier, nil
		}
		if !errors.Is(err, state.ErrExists) {
			return 0, "", err
		}
		// Created concurrently: fall through to the overwrite rules.
	}
	if !in.Overwrite {
		return 0, "", ErrExists
	}
	rec, err := s.st.UpdateParameter(ctx, in.Name, func(p *state.ParameterRecord) error {
		cur := p.Current()
		typ := in.Type
		if typ == "" {
			typ = cur.Type
		}
		v, err := version(cur.Version+1, typ)
		if err != nil {
			return err
		}
		if in.Description == "" {
			v.Description = cur.Description
		}
		p.Versions = append(p.Versions, v)
		if len(p.Versions) > maxParameterVersions {
			p.Versions = p.Versions[len(p.Versions)-maxParameterVersions:]
		}
		return nil
	})
	if errors.Is(err, state.ErrNotFound) {
		// Deleted between the read and the update: create it afresh.
		return s.PutParameter(ctx, in)
	}
	if err != nil {
		return 0, "", err
	}
	return rec.Current().Version, tier, nil
}

func parameterItem(name string, version int64) string {
	return "parameter:" + name + ":" + strconv.FormatInt(version, 10)
}

// splitSelector splits "name:version" (or an ARN with a selector) into
// the name and the selector; labels are not supported and never match.
func (s *Store) splitSelector(ref string) (name, selector string) {
	nameStart := 0
	if strings.HasPrefix(ref, "arn:") {
		if i := strings.Index(ref, ":parameter/"); i >= 0 {
			nameStart = i + len(":parameter/")
		}
	}
	if i := strings.LastIndexByte(ref[nameStart:], ':'); i >= 0 {
		return ref[:nameStart+i], ref[nameStart+i+1:]
	}
	return ref, ""
}

// lookupParameter resolves a name or ARN to a stored record.
func (s *Store) lookupParameter(ref string) (*state.ParameterRecord, error) {
	if rest, ok := strings.CutPrefix(ref, "arn:aws:ssm:"+s.region+":"+s.account+":parameter/"); ok {
		if p, ok := s.st.Parameter("/" + rest); ok {
			return p, nil
		}
		ref = rest
	} else if strings.HasPrefix(ref, "arn:") {
		return nil, ErrNotFound
	}
	if err := ValidateParameterName(ref); err != nil {
		var inv *InvalidError
		if errors.As(err, &inv) || errors.Is(err, ErrHierarchyTooDeep) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	p, ok := s.st.Parameter(ref)
	if !ok {
		return nil, ErrNotFound
	}
	return p, nil
}

// GetParameter returns the current version of a parameter, or the version
// a "name:N" reference selects. decrypt returns SecureString plaintext;
// otherwise its Value is the base64 of the stored ciphertext.
func (s *Store) GetParameter(_ context.Context, ref string, decrypt bool) (*Parameter, error) {
	name, selector := s.splitSelector(ref)
	p, err := s.lookupParameter(name)
	if err != nil {
		return nil, err
	}
	v := p.Current()
	if selector != "" {
		n, err := strconv.ParseInt(selector, 10, 64)
		if err != nil {
			return nil, ErrVersionNotFound
		}
		v = nil
		for i := range p.Versions {
			if p.Versions[i].Version == n {
				v = &p.Versions[i]
			}
		}
		if v == nil {
			return nil, ErrVersionNotFound
		}
		selector = ":" + selector
	}
	out, err := s.parameterOut(p.Name, v, decrypt)
	if err != nil {
		return nil, err
	}
	out.Selector = selector
	return out, nil
}

func (s *Store) parameterOut(name string, v *state.ParameterVersion, decrypt bool) (*Parameter, error) {
	out := &Parameter{Name: name, Type: v.Type, Version: v.Version, DataType: v.DataType, Modified: v.Modified, ARN: s.ParameterARN(name)}
	switch {
	case v.Type != TypeSecureString:
		out.Value = string(v.Value)
	case decrypt:
		pt, err := s.seal.open(parameterItem(name, v.Version), v.Value)
		if err != nil {
			return nil, err
		}
		out.Value = string(pt)
	default:
		out.Value = base64.StdEncoding.EncodeToString(v.Value)
	}
	return out, nil
}

// ParametersByPath returns the current versions of the parameters under
// path ("/a/b"; "/" for all hierarchical names), sorted by name: direct
// children only unless recursive. types, when not empty, keeps only
// parameters of those types.
func (s *Store) ParametersByPath(_ context.Context, path string, recursive, decrypt bool, types []string) ([]Parameter, error) {
	if !strings.HasPrefix(path, "/") {
		return nil, invalid("The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\".")
	}
	prefix := strings.TrimSuffix(path, "/") + "/"
	if prefix != "/" {
		if err := ValidateParameterName(strings.TrimSuffix(prefix, "/")); err != nil {
			var inv *InvalidError
			if errors.As(err, &inv) {
				return nil, invalid("The parameter path %s is not valid: %s", path, inv.Reason)
			}
			if !errors.Is(err, ErrHierarchyTooDeep) {
				return nil, err
			}
			return nil, nil // nothing can live deeper than the limit
		}
	}
	var out []Parameter
	for _, p := range s.st.ParametersWithPrefix(prefix) {
		rest := strings.TrimPrefix(p.Name, prefix)
		if !recursive && strings.Contains(rest, "/") {
			continue
		}
		v := p.Current()
		if len(types) > 0 && !contains(types, v.Type) {
			continue
		}
		o, err := s.parameterOut(p.Name, v, decrypt)
		if err != nil {
			return nil, err
		}
		out = append(out, *o)
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// DeleteParameter removes a parameter and all its versions.
func (s *Store) DeleteParameter(ctx context.Context, ref string) error {
	p, err := s.lookupParameter(ref)
	if err != nil {
		return err
	}
	err = s.st.DeleteParameter(ctx, p.Name)
	if errors.Is(err, state.ErrNotFound) {
		return ErrNotFound
	}
	return err
}
