package buildspec

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// Builtins are the CODEBUILD_* variables the runner sets. Empty fields are
// left unset; SrcDir defaults to RunOptions.Dir.
type Builtins struct {
	BuildID               string // project:uuid
	BuildARN              string
	BuildNumber           int64 // 0: unset
	SrcDir                string
	SourceVersion         string
	ResolvedSourceVersion string
	StartTime             time.Time // CODEBUILD_START_TIME, epoch milliseconds
	Initiator             string
	BuildImage            string
	KMSKeyID              string
	LogPath               string
	Region                string // AWS_REGION and AWS_DEFAULT_REGION
}

func (b Builtins) variables(dir string) []Variable {
	var vs []Variable
	add := func(name, v string) {
		if v != "" {
			vs = append(vs, Variable{name, v})
		}
	}
	src := b.SrcDir
	if src == "" {
		src = dir
	}
	add("CODEBUILD_BUILD_ID", b.BuildID)
	add("CODEBUILD_BUILD_ARN", b.BuildARN)
	if b.BuildNumber > 0 {
		add("CODEBUILD_BUILD_NUMBER", strconv.FormatInt(b.BuildNumber, 10))
	}
	add("CODEBUILD_SRC_DIR", src)
	add("CODEBUILD_SOURCE_VERSION", b.SourceVersion)
	add("CODEBUILD_RESOLVED_SOURCE_VERSION", b.ResolvedSourceVersion)
	if !b.StartTime.IsZero() {
		add("CODEBUILD_START_TIME", strconv.FormatInt(b.StartTime.UnixMilli(), 10))
	}
	add("CODEBUILD_INITIATOR", b.Initiator)
	add("CODEBUILD_BUILD_IMAGE", b.BuildImage)
	add("CODEBUILD_KMS_KEY_ID", b.KMSKeyID)
	add("CODEBUILD_LOG_PATH", b.LogPath)
	add("AWS_REGION", b.Region)
	add("AWS_DEFAULT_REGION", b.Region)
	return vs
}

// envList is an environment with last-writer-wins assignment that keeps
// first-definition order.
type envList struct {
	names []string
	vals  map[string]string
}

func (e *envList) set(name, v string) {
	if e.vals == nil {
		e.vals = map[string]string{}
	}
	if _, ok := e.vals[name]; !ok {
		e.names = append(e.names, name)
	}
	e.vals[name] = v
}

func (e *envList) setAll(kvs []string) {
	for _, kv := range kvs {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			e.set(k, v)
		}
	}
}

func (e *envList) list() []string {
	out := make([]string, 0, len(e.names))
	for _, n := range e.names {
		out = append(out, n+"="+e.vals[n])
	}
	return out
}

// defaultEnv is the clean environment of the host environment when the
// caller gives none.
func defaultEnv() []string {
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"}
	if home, err := os.UserHomeDir(); err == nil {
		env = append(env, "HOME="+home)
	}
	return env
}

// buildEnv composes the shell's environment, lowest precedence first: the
// base (image) environment, the buildspec's variables and resolved secrets,
// the project/StartBuild variables, the built-ins.
func buildEnv(base []string, spec []Variable, secrets []Variable, overrides []string, builtins []Variable) []string {
	var e envList
	if base == nil {
		base = defaultEnv()
	}
	for _, kv := range base {
		if strings.HasPrefix(kv, "CODEBUILD_WEBHOOK_") {
			continue
		}
		e.setAll([]string{kv})
	}
	for _, v := range spec {
		e.set(v.Name, v.Value)
	}
	for _, v := range secrets {
		e.set(v.Name, v.Value)
	}
	e.setAll(overrides)
	for _, v := range builtins {
		e.set(v.Name, v.Value)
	}
	e.set("CODEBUILD_BUILD_SUCCEEDING", "1")
	return e.list()
}
