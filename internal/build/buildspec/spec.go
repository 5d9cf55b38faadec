package buildspec

// Spec is a parsed, validated buildspec.
type Spec struct {
	Version   string // "0.1" or "0.2"
	RunAs     string
	Env       Env
	Phases    PhaseSpecs
	Artifacts *Artifacts // nil when the buildspec declares none
	Cache     Cache
	// Reports names the report groups declared; their content is accepted
	// and ignored.
	Reports []string
}

// Env is the buildspec's env block.
type Env struct {
	Shell               string // "bash" or "sh"; "" means bash
	Variables           []Variable
	ParameterStore      []Variable // Value is the parameter name
	SecretsManager      []Variable // Value is secret-id[:json-key[:version-stage[:version-id]]]
	ExportedVariables   []string
	GitCredentialHelper bool
}

// Variable is one name → value pair, kept in file order.
type Variable struct {
	Name  string
	Value string
}

// PhaseSpecs holds the four fixed phases; a nil phase was not declared.
type PhaseSpecs struct {
	Install   *PhaseSpec
	PreBuild  *PhaseSpec
	Build     *PhaseSpec
	PostBuild *PhaseSpec
}

// PhaseSpec is one phase as the buildspec declares it.
type PhaseSpec struct {
	RunAs           string
	OnFailure       string // "", OnFailureAbort or OnFailureContinue
	RuntimeVersions map[string]string
	Commands        []string
	Finally         []string
}

// on-failure values.
const (
	OnFailureAbort    = "ABORT"
	OnFailureContinue = "CONTINUE"
)

// Artifacts is a primary artifact block or one secondary artifact.
type Artifacts struct {
	Files          []string
	Name           string
	BaseDirectory  string
	DiscardPaths   bool
	ExcludePaths   []string
	EnableSymlinks bool
	S3Prefix       string
	// Secondary maps artifact identifier → artifact (primary block only).
	Secondary map[string]*Artifacts
}

// Cache is the buildspec's cache block.
type Cache struct {
	Paths []string
}

// phase returns the spec of the phase with CodeBuild type name t.
func (p PhaseSpecs) phase(t string) *PhaseSpec {
	switch t {
	case PhaseInstall:
		return p.Install
	case PhasePreBuild:
		return p.PreBuild
	case PhaseBuild:
		return p.Build
	case PhasePostBuild:
		return p.PostBuild
	}
	return nil
}
