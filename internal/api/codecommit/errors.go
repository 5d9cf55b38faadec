package codecommit

import (
	"errors"
	"fmt"
	"strings"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/awsjson"
	w "github.com/wharfhq/wharf/internal/api/codecommit/ccwire"
	"github.com/wharfhq/wharf/internal/gitrepo"
)

// Messages CodeCommit sends for its argument exceptions.
const (
	msgNameRequired   = "Repository name is required"
	msgInvalidName    = "The repository name is not valid. A name must be 1 to 100 letters, numbers, periods, underscores and dashes, and must not end in .git"
	msgBranchRequired = "Branch name is required"
	msgCommitRequired = "Commit id is required"
)

// invalid is the exception for a field CodeCommit validates, by field and
// by whether the field was missing or wrong.
var invalid = map[string][2]string{
	gitrepo.FieldRepositoryName:        {w.ErrRepositoryNameRequiredException, w.ErrInvalidRepositoryNameException},
	"repositoryNames":                  {w.ErrRepositoryNamesRequiredException, w.ErrInvalidRepositoryNameException},
	gitrepo.FieldRepositoryDescription: {w.ErrInvalidRepositoryDescriptionException, w.ErrInvalidRepositoryDescriptionException},
	gitrepo.FieldBranchName:            {w.ErrBranchNameRequiredException, w.ErrInvalidBranchNameException},
	"defaultBranchName":                {w.ErrBranchNameRequiredException, w.ErrInvalidBranchNameException},
	gitrepo.FieldCommitID:              {w.ErrCommitIdRequiredException, w.ErrInvalidCommitIdException},
	"sortBy":                           {w.ErrInvalidSortByException, w.ErrInvalidSortByException},
	"order":                            {w.ErrInvalidOrderException, w.ErrInvalidOrderException},
	"tags":                             {w.ErrInvalidTagsMapException, w.ErrInvalidTagsMapException},
}

// validationError answers a failed model constraint with CodeCommit's
// exception for the field; other failures keep the generic code.
func validationError(err error) error {
	var ve *awsjson.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	field, _, _ := strings.Cut(ve.Field, "[")
	codes, ok := invalid[field]
	if !ok {
		return err
	}
	if ve.Reason == "is required" {
		return api.Errorf(codes[0], "%s is required", field)
	}
	return api.Errorf(codes[1], "%s", ve.Error())
}

// subject names what a request is about, for error messages.
type subject struct {
	repo, branch, commit string
	// commitMissing is the exception for an unknown commit: GetCommit
	// says CommitIdDoesNotExistException, CreateBranch
	// CommitDoesNotExistException.
	commitMissing string
}

// mapError turns gitrepo errors into CodeCommit exceptions, with
// CodeCommit's wording where it is known.
func mapError(err error, s subject) error {
	var inv *gitrepo.InvalidError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &inv):
		codes, ok := invalid[inv.Field]
		if !ok {
			return api.Errorf(w.ErrInvalidRepositoryNameException, "%s", inv.Error())
		}
		if inv.Missing() {
			switch inv.Field {
			case gitrepo.FieldRepositoryName:
				return api.Errorf(codes[0], msgNameRequired)
			case gitrepo.FieldBranchName:
				return api.Errorf(codes[0], msgBranchRequired)
			case gitrepo.FieldCommitID:
				return api.Errorf(codes[0], msgCommitRequired)
			}
		}
		if inv.Field == gitrepo.FieldRepositoryName {
			return api.Errorf(codes[1], "%s (%s)", msgInvalidName, inv.Error())
		}
		return api.Errorf(codes[1], "%s", inv.Error())
	case errors.Is(err, gitrepo.ErrNotFound):
		return api.Errorf(w.ErrRepositoryDoesNotExistException, "%s does not exist", s.repo)
	case errors.Is(err, gitrepo.ErrExists):
		return api.Errorf(w.ErrRepositoryNameExistsException, "Repository named %s already exists", s.repo)
	case errors.Is(err, gitrepo.ErrBranchNotFound):
		return api.Errorf(w.ErrBranchDoesNotExistException, "Branch %s does not exist in repository %s", s.branch, s.repo)
	case errors.Is(err, gitrepo.ErrBranchExists):
		return api.Errorf(w.ErrBranchNameExistsException, "Branch %s already exists in repository %s", s.branch, s.repo)
	case errors.Is(err, gitrepo.ErrDefaultBranch):
		return api.Errorf(w.ErrDefaultBranchCannotBeDeletedException, "Branch %s is the default branch of repository %s and cannot be deleted", s.branch, s.repo)
	case errors.Is(err, gitrepo.ErrCommitNotFound):
		code := s.commitMissing
		if code == "" {
			code = w.ErrCommitIdDoesNotExistException
		}
		return api.Errorf(code, "Could not find commit %s in repository %s", s.commit, s.repo)
	}
	return fmt.Errorf("gitrepo: %w", err)
}
