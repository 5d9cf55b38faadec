package gitrepo

import (
	"errors"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Errors callers map to their protocol's exceptions. They are wrapped with
// the repository, branch or commit they concern; test with errors.Is.
var (
	ErrNotFound       = errors.New("repository does not exist")
	ErrExists         = errors.New("repository already exists")
	ErrBranchNotFound = errors.New("branch does not exist")
	ErrBranchExists   = errors.New("branch already exists")
	ErrCommitNotFound = errors.New("commit does not exist")
	ErrDefaultBranch  = errors.New("the default branch of a repository cannot be deleted")
)

// Fields named by InvalidError, spelt as in the CodeCommit API.
const (
	FieldRepositoryName        = "repositoryName"
	FieldRepositoryDescription = "repositoryDescription"
	FieldBranchName            = "branchName"
	FieldCommitID              = "commitId"
)

// InvalidError reports an argument that breaks CodeCommit's rules. Field
// names the argument (one of the Field constants); Value is empty when the
// argument was missing.
type InvalidError struct {
	Field  string
	Value  string
	Reason string
}

func (e *InvalidError) Error() string {
	if e.Value == "" {
		return "invalid " + e.Field + ": " + e.Reason
	}
	return "invalid " + e.Field + " '" + e.Value + "': " + e.Reason
}

// Missing reports whether the argument was not given at all.
func (e *InvalidError) Missing() bool { return e.Value == "" }

var namePattern = regexp.MustCompile(`^[\w.-]+$`)

// ValidateName checks a repository name against CodeCommit's rules: 1 to
// 100 letters, digits, '_', '.' and '-', not ending in ".git". "." and ".."
// are refused as well, as they name directories.
func ValidateName(name string) error {
	switch {
	case name == "":
		return &InvalidError{Field: FieldRepositoryName, Reason: "a repository name is required"}
	case utf8.RuneCountInString(name) > 100:
		return &InvalidError{Field: FieldRepositoryName, Value: name, Reason: "must be at most 100 characters long"}
	case !namePattern.MatchString(name):
		return &InvalidError{Field: FieldRepositoryName, Value: name, Reason: "may only contain letters, digits, '_', '.' and '-'"}
	case strings.HasSuffix(strings.ToLower(name), ".git"):
		return &InvalidError{Field: FieldRepositoryName, Value: name, Reason: "must not end in .git"}
	case name == "." || name == "..":
		return &InvalidError{Field: FieldRepositoryName, Value: name, Reason: "must not be . or .."}
	}
	return nil
}

// ValidateDescription checks a repository description: at most 1000
// characters.
func ValidateDescription(d string) error {
	if utf8.RuneCountInString(d) > 1000 {
		return &InvalidError{Field: FieldRepositoryDescription, Value: string([]rune(d)[:40]) + "...", Reason: "must be at most 1000 characters long"}
	}
	return nil
}

// ValidateBranchName checks a branch name: 1 to 256 characters and a valid
// git ref name under refs/heads/ (git check-ref-format's rules).
func ValidateBranchName(b string) error {
	if b == "" {
		return &InvalidError{Field: FieldBranchName, Reason: "a branch name is required"}
	}
	if utf8.RuneCountInString(b) > 256 {
		return &InvalidError{Field: FieldBranchName, Value: b, Reason: "must be at most 256 characters long"}
	}
	if reason := refNameProblem(b); reason != "" {
		return &InvalidError{Field: FieldBranchName, Value: b, Reason: reason}
	}
	return nil
}

// refNameProblem applies git check-ref-format's rules to a branch name.
func refNameProblem(b string) string {
	if b == "HEAD" || strings.HasPrefix(b, "-") {
		return "is not a valid branch name"
	}
	if strings.HasPrefix(b, "/") || strings.HasSuffix(b, "/") || strings.Contains(b, "//") {
		return "must not begin or end with '/' or contain '//'"
	}
	if strings.HasSuffix(b, ".") || strings.Contains(b, "..") || strings.Contains(b, "@{") || b == "@" {
		return "must not end with '.' or contain '..' or '@{'"
	}
	for _, c := range b {
		if c < 0x20 || c == 0x7f || strings.ContainsRune(" ~^:?*[\\", c) {
			return "must not contain spaces, control characters or any of ~^:?*[\\"
		}
	}
	for _, part := range strings.Split(b, "/") {
		if strings.HasPrefix(part, ".") || strings.HasSuffix(part, ".lock") {
			return "no component may begin with '.' or end with '.lock'"
		}
	}
	return ""
}

var commitPattern = regexp.MustCompile(`^[0-9a-f]{40}$`)

// ValidateCommitID checks a full SHA-1 commit id (40 lower-case hex
// digits), as CodeCommit requires.
func ValidateCommitID(id string) error {
	if id == "" {
		return &InvalidError{Field: FieldCommitID, Reason: "a commit id is required"}
	}
	if !commitPattern.MatchString(id) {
		return &InvalidError{Field: FieldCommitID, Value: id, Reason: "must be a full commit id of 40 hexadecimal digits"}
	}
	return nil
}
