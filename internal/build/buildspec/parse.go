package buildspec

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ErrYAMLFile is wrapped by every error Parse returns.
var ErrYAMLFile = errors.New("YAML_FILE_ERROR")

// ParseError is an invalid buildspec, worded as CodeBuild words it.
type ParseError struct {
	Line int // 1-based; 0 when unknown
	Msg  string
}

func (e *ParseError) Error() string { return "YAML_FILE_ERROR Message: " + e.message() }

// message is the error as a phase context message, which carries the
// YAML_FILE_ERROR status code apart.
func (e *ParseError) message() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s at line %d", e.Msg, e.Line)
	}
	return e.Msg
}

func (e *ParseError) Unwrap() error { return ErrYAMLFile }

func errAt(n *yaml.Node, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &ParseError{Line: line, Msg: fmt.Sprintf(format, args...)}
}

var yamlLineRE = regexp.MustCompile(`line (\d+): (.*)`)

// ParseFile reads and parses the buildspec file at path, typically
// buildspec.yml in the downloaded source. A file that cannot be read is a
// *ParseError too, as CodeBuild reports it as a YAML_FILE_ERROR.
func ParseFile(path string) (*Spec, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, &ParseError{Msg: err.Error()}
	}
	return Parse(src)
}

// Parse parses and validates a buildspec of version 0.1 or 0.2.
func Parse(src []byte) (*Spec, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			return nil, &ParseError{Line: line, Msg: m[2]}
		}
		return nil, &ParseError{Msg: msg}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &ParseError{Line: 1, Msg: "buildspec is empty"}
	}
	root := deref(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return nil, errAt(root, "buildspec must be a map of keys")
	}
	s := &Spec{}
	var haveVersion, havePhases bool
	err := eachKey(root, "", func(key string, k, v *yaml.Node) error {
		var err error
		switch key {
		case "version":
			haveVersion = true
			s.Version, err = scalar(v, "version")
			if err == nil && s.Version != "0.1" && s.Version != "0.2" {
				err = errAt(v, "invalid buildspec version %q, expected 0.1 or 0.2", s.Version)
			}
		case "run-as":
			s.RunAs, err = scalar(v, "run-as")
		case "env":
			err = parseEnv(v, &s.Env)
		case "phases":
			havePhases = true
			err = parsePhases(v, &s.Phases)
		case "artifacts":
			s.Artifacts, err = parseArtifacts(v, "artifacts", true)
		case "cache":
			err = parseCache(v, &s.Cache)
		case "reports":
			err = eachKey(v, "reports", func(name string, _, _ *yaml.Node) error {
				s.Reports = append(s.Reports, name)
				return nil
			})
		case "proxy", "batch":
			// Accepted and ignored: explicit proxies and batch builds are
			// not part of the host environment.
			if deref(v).Kind != yaml.MappingNode {
				err = errAt(v, "%s must be a map", key)
			}
		default:
			err = errAt(k, "unknown key %q in buildspec", key)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if !haveVersion {
		return nil, errAt(root, "missing required key version in buildspec")
	}
	if !havePhases {
		return nil, errAt(root, "missing required key phases in buildspec")
	}
	return s, nil
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 16; i++ {
		n = n.Alias
	}
	if n == nil {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// eachKey calls fn for every key of mapping n in order, rejecting duplicate
// and non-scalar keys. A null node is an empty map.
func eachKey(n *yaml.Node, where string, fn func(key string, k, v *yaml.Node) error) error {
	if isNull(n) {
		return nil
	}
	m := deref(n)
	if m.Kind != yaml.MappingNode {
		return errAt(m, "%s must be a map", where)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := deref(m.Content[i]), m.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return errAt(k, "keys of %s must be strings", where)
		}
		if seen[k.Value] {
			return errAt(k, "duplicate key %q in %s", k.Value, nameOr(where))
		}
		seen[k.Value] = true
		if err := fn(k.Value, k, v); err != nil {
			return err
		}
	}
	return nil
}

func nameOr(where string) string {
	if where == "" {
		return "buildspec"
	}
	return where
}

func scalar(n *yaml.Node, where string) (string, error) {
	n = deref(n)
	if n.Kind != yaml.ScalarNode {
		return "", errAt(n, "expected %s to be of string type: found subkeys instead, check indentation or use quotes to escape colons", where)
	}
	if n.Tag == "!!null" {
		return "", nil
	}
	return n.Value, nil
}

func boolean(n *yaml.Node, where string) (bool, error) {
	v, err := scalar(n, where)
	if err != nil {
		return false, err
	}
	switch strings.ToLower(v) {
	case "yes", "true", "on":
		return true, nil
	case "no", "false", "off", "":
		return false, nil
	}
	return false, errAt(n, "%s must be yes or no, found %q", where, v)
}

// list reads a sequence of scalars; a bare scalar is a one-element list
// (files: imagedefinitions.json).
func list(n *yaml.Node, where string) ([]string, error) {
	if isNull(n) {
		return nil, nil
	}
	n = deref(n)
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, errAt(n, "%s must be a list", where)
	}
	out := make([]string, 0, len(n.Content))
	for i, item := range n.Content {
		item = deref(item)
		if item.Kind != yaml.ScalarNode || item.Tag == "!!null" {
			return nil, errAt(item, "Expected %s[%d] to be of string type: found subkeys instead, check indentation or use quotes to escape colons", where, i)
		}
		out = append(out, item.Value)
	}
	return out, nil
}

var nameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func variables(n *yaml.Node, where string, reserved bool) ([]Variable, error) {
	var out []Variable
	err := eachKey(n, where, func(name string, k, v *yaml.Node) error {
		if !nameRE.MatchString(name) {
			return errAt(k, "invalid environment variable name %q in %s", name, where)
		}
		if reserved && strings.HasPrefix(name, "CODEBUILD_") {
			return errAt(k, "environment variable names starting with CODEBUILD_ are reserved: %q", name)
		}
		val, err := scalar(v, where+"."+name)
		if err != nil {
			return err
		}
		out = append(out, Variable{Name: name, Value: val})
		return nil
	})
	return out, err
}

func parseEnv(n *yaml.Node, e *Env) error {
	return eachKey(n, "env", func(key string, k, v *yaml.Node) error {
		var err error
		switch key {
		case "shell":
			var sh string
			sh, err = scalar(v, "env.shell")
			switch sh {
			case "bash", "/bin/bash", "/usr/bin/bash":
				e.Shell = "bash"
			case "sh", "/bin/sh", "/usr/bin/sh":
				e.Shell = "sh"
			default:
				if err == nil {
					err = errAt(v, "unsupported shell %q, expected bash or /bin/sh", sh)
				}
			}
		case "variables":
			e.Variables, err = variables(v, "env.variables", true)
		case "parameter-store":
			e.ParameterStore, err = variables(v, "env.parameter-store", true)
		case "secrets-manager":
			e.SecretsManager, err = variables(v, "env.secrets-manager", true)
		case "exported-variables":
			e.ExportedVariables, err = list(v, "env.exported-variables")
			for i, name := range e.ExportedVariables {
				item := v
				if d := deref(v); d.Kind == yaml.SequenceNode {
					item = d.Content[i]
				}
				if !nameRE.MatchString(name) {
					return errAt(item, "invalid exported variable name %q", name)
				}
				if strings.HasPrefix(name, "AWS_") {
					return errAt(item, "variables starting with AWS_ cannot be exported: %q", name)
				}
			}
		case "git-credential-helper":
			e.GitCredentialHelper, err = boolean(v, "env.git-credential-helper")
		default:
			err = errAt(k, "unknown key %q in env", key)
		}
		return err
	})
}

// Phase names as the buildspec spells them, in run order.
var phaseKeys = []struct{ key, typ string }{
	{"install", PhaseInstall},
	{"pre_build", PhasePreBuild},
	{"build", PhaseBuild},
	{"post_build", PhasePostBuild},
}

func parsePhases(n *yaml.Node, p *PhaseSpecs) error {
	return eachKey(n, "phases", func(key string, k, v *yaml.Node) error {
		var target **PhaseSpec
		switch key {
		case "install":
			target = &p.Install
		case "pre_build":
			target = &p.PreBuild
		case "build":
			target = &p.Build
		case "post_build":
			target = &p.PostBuild
		default:
			return errAt(k, "unknown phase %q in phases, expected install, pre_build, build or post_build", key)
		}
		ps, err := parsePhase(k, v, key)
		*target = ps
		return err
	})
}

func parsePhase(k, n *yaml.Node, name string) (*PhaseSpec, error) {
	ps := &PhaseSpec{}
	haveCommands := false
	err := eachKey(n, "phases."+name, func(key string, kk, v *yaml.Node) error {
		var err error
		switch key {
		case "commands":
			haveCommands = true
			ps.Commands, err = list(v, "Commands")
		case "finally":
			ps.Finally, err = list(v, "Finally")
		case "run-as":
			ps.RunAs, err = scalar(v, "run-as")
		case "on-failure":
			ps.OnFailure, err = scalar(v, "on-failure")
			if err == nil && ps.OnFailure != OnFailureAbort && ps.OnFailure != OnFailureContinue {
				err = errAt(v, "on-failure must be ABORT or CONTINUE, found %q", ps.OnFailure)
			}
		case "runtime-versions":
			if name != "install" {
				return errAt(kk, "runtime-versions is only allowed in the install phase")
			}
			ps.RuntimeVersions = map[string]string{}
			err = eachKey(v, "runtime-versions", func(rt string, _, rv *yaml.Node) error {
				val, err := scalar(rv, "runtime-versions."+rt)
				ps.RuntimeVersions[rt] = val
				return err
			})
		default:
			err = errAt(kk, "unknown key %q in phases.%s", key, name)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if !haveCommands && name != "install" {
		return nil, errAt(k, "phase %s requires commands", name)
	}
	return ps, nil
}

func parseArtifacts(n *yaml.Node, where string, primary bool) (*Artifacts, error) {
	a := &Artifacts{}
	haveFiles := false
	err := eachKey(n, where, func(key string, k, v *yaml.Node) error {
		var err error
		switch key {
		case "files":
			haveFiles = true
			a.Files, err = list(v, where+".files")
		case "name":
			a.Name, err = scalar(v, where+".name")
		case "base-directory":
			a.BaseDirectory, err = scalar(v, where+".base-directory")
		case "discard-paths":
			a.DiscardPaths, err = boolean(v, where+".discard-paths")
		case "exclude-paths":
			a.ExcludePaths, err = list(v, where+".exclude-paths")
		case "enable-symlinks":
			a.EnableSymlinks, err = boolean(v, where+".enable-symlinks")
		case "s3-prefix":
			a.S3Prefix, err = scalar(v, where+".s3-prefix")
		case "secondary-artifacts":
			if !primary {
				return errAt(k, "unknown key %q in %s", key, where)
			}
			a.Secondary = map[string]*Artifacts{}
			err = eachKey(v, "secondary-artifacts", func(id string, _, sv *yaml.Node) error {
				sa, err := parseArtifacts(sv, "secondary-artifacts."+id, false)
				a.Secondary[id] = sa
				return err
			})
		default:
			err = errAt(k, "unknown key %q in %s", key, where)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if !haveFiles {
		return nil, errAt(n, "%s requires files", where)
	}
	return a, nil
}

func parseCache(n *yaml.Node, c *Cache) error {
	return eachKey(n, "cache", func(key string, k, v *yaml.Node) error {
		if key != "paths" {
			return errAt(k, "unknown key %q in cache", key)
		}
		var err error
		c.Paths, err = list(v, "cache.paths")
		return err
	})
}
