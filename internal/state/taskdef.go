package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/store"
	"github.com/wharfhq/wharf/internal/store/cache"
)

// MaxRevisions is ECS's limit of revisions per family.
const MaxRevisions = 1_000_000

// familyRecord allocates revisions. It survives deregistration and deletion
// so that revision numbers are never reused.
type familyRecord struct {
	Family         string `json:"family"`
	LatestRevision int32  `json:"latestRevision"`
}

func familyKey(family string) string { return prefixFamilies + family }

// taskDefKey orders revisions by family, then revision. '#' sorts below
// every character a family name may contain, so "web" sorts before
// "web-x" exactly as ECS lists families.
func taskDefKey(family string, revision int32) string {
	return fmt.Sprintf("%s%s#%010d", prefixTaskDefs, family, revision)
}

// familyPrefix is the key prefix of one family's revisions.
func familyPrefix(family string) string { return prefixTaskDefs + family + "#" }

// ErrRevisionLimit is returned when a family has used all its revisions.
var ErrRevisionLimit = errors.New("the family has reached the limit of 1,000,000 revisions")

// RegisterTaskDefinition stores td as the family's next revision. The
// revision counter and the revision are written in one transaction, so
// concurrent registrations of a family get distinct, gapless revisions.
func (s *State) RegisterTaskDefinition(ctx context.Context, td model.TaskDefinition) (*model.TaskDefinition, error) {
	td.Status = model.TaskDefActive
	td.RegisteredAt = s.now()
	for attempt := 0; ; attempt++ {
		var fam familyRecord
		var famRev int64
		kv, err := s.store.Get(ctx, familyKey(td.Family))
		switch {
		case errors.Is(err, store.ErrNotFound):
			fam = familyRecord{Family: td.Family}
		case err != nil:
			return nil, err
		default:
			if err := json.Unmarshal(kv.Value, &fam); err != nil {
				return nil, fmt.Errorf("decode family %s: %w", td.Family, err)
			}
			famRev = kv.ModRevision
		}
		if fam.LatestRevision >= MaxRevisions {
			return nil, ErrRevisionLimit
		}
		fam.LatestRevision++
		td.Revision = fam.LatestRevision
		td.ARN = s.ARNs.TaskDefinition(td.Family, td.Revision)
		famBuf, err := json.Marshal(fam)
		if err != nil {
			return nil, err
		}
		tdBuf, err := json.Marshal(td)
		if err != nil {
			return nil, err
		}
		rev, err := s.store.Txn(ctx,
			[]store.Cond{{Key: familyKey(td.Family), ModRevision: famRev}},
			[]store.Op{{Key: familyKey(td.Family), Value: famBuf}, {Key: taskDefKey(td.Family, td.Revision), Value: tdBuf}})
		if errors.Is(err, store.ErrConflict) && attempt < 1000 {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &td, s.synced(ctx, rev)
	}
}

// TaskDefinition returns one revision in any status.
func (s *State) TaskDefinition(family string, revision int32) (*model.TaskDefinition, bool) {
	td, _, ok := get[model.TaskDefinition](s, taskDefKey(family, revision))
	return td, ok
}

// LatestActiveTaskDefinition returns the family's highest ACTIVE revision.
func (s *State) LatestActiveTaskDefinition(family string) (*model.TaskDefinition, bool) {
	revs := s.FamilyRevisions(family)
	for i := len(revs) - 1; i >= 0; i-- {
		if revs[i].Status == model.TaskDefActive {
			return revs[i], true
		}
	}
	return nil, false
}

// FamilyRevisions returns the stored revisions of one family, ascending.
func (s *State) FamilyRevisions(family string) []*model.TaskDefinition {
	return list[model.TaskDefinition](s, familyPrefix(family))
}

// TaskDefinitions returns every stored revision, sorted by family and
// then numerically by revision.
func (s *State) TaskDefinitions() []*model.TaskDefinition {
	return list[model.TaskDefinition](s, prefixTaskDefs)
}

// ScanTaskDefinitions visits revisions in ECS order (family, then
// revision; reversed when desc), of one family when family is set, starting
// after the revision whose key is after ("" from the start), until fn
// returns false. Keys are opaque cursors for pagination.
func (s *State) ScanTaskDefinitions(family, after string, desc bool, fn func(key string, td *model.TaskDefinition) bool) {
	prefix := prefixTaskDefs
	if family != "" {
		prefix = familyPrefix(family)
	}
	s.cache.Scan(prefix, after, desc, func(e cache.Entry) bool {
		td, ok := e.Obj.(*model.TaskDefinition)
		if !ok {
			return true
		}
		return fn(e.Key, td)
	})
}

// FamilyStatus summarises one family for ListTaskDefinitionFamilies.
type FamilyStatus struct {
	Family    string
	HasActive bool
}

// Families returns every family that has stored revisions, sorted by
// name, and whether each has an ACTIVE revision.
func (s *State) Families(prefix string) []FamilyStatus {
	var out []FamilyStatus
	for _, td := range list[model.TaskDefinition](s, prefixTaskDefs+prefix) {
		if n := len(out); n == 0 || out[n-1].Family != td.Family {
			out = append(out, FamilyStatus{Family: td.Family})
		}
		if td.Status == model.TaskDefActive {
			out[len(out)-1].HasActive = true
		}
	}
	return out
}

// UpdateTaskDefinition applies fn to one revision.
func (s *State) UpdateTaskDefinition(ctx context.Context, family string, revision int32, fn func(*model.TaskDefinition) error) (*model.TaskDefinition, error) {
	return mutate(ctx, s, taskDefKey(family, revision), fn)
}

// DeregisterTaskDefinition marks a revision INACTIVE. Deregistering an
// INACTIVE revision again is allowed and changes nothing.
func (s *State) DeregisterTaskDefinition(ctx context.Context, family string, revision int32) (*model.TaskDefinition, error) {
	return s.UpdateTaskDefinition(ctx, family, revision, func(td *model.TaskDefinition) error {
		switch td.Status {
		case model.TaskDefActive:
			td.Status = model.TaskDefInactive
			td.DeregisteredAt = s.now()
		case model.TaskDefInactive:
		default:
			return fmt.Errorf("task definition %s:%d is %s: %w", family, revision, td.Status, ErrInvalidState)
		}
		return nil
	})
}

// DeleteTaskDefinition marks an INACTIVE revision DELETE_IN_PROGRESS. The
// revision is purged by PurgeDeletedTaskDefinitions once nothing uses it.
func (s *State) DeleteTaskDefinition(ctx context.Context, family string, revision int32) (*model.TaskDefinition, error) {
	return s.UpdateTaskDefinition(ctx, family, revision, func(td *model.TaskDefinition) error {
		switch td.Status {
		case model.TaskDefInactive:
			td.Status = model.TaskDefDeleteInProgress
			td.DeleteRequestedAt = s.now()
		case model.TaskDefDeleteInProgress:
		default:
			return fmt.Errorf("task definition %s:%d is %s: %w", family, revision, td.Status, ErrInvalidState)
		}
		return nil
	})
}

// PurgeTaskDefinition removes a DELETE_IN_PROGRESS revision for good. The
// family's revision counter stays, so the number is never reused.
func (s *State) PurgeTaskDefinition(ctx context.Context, family string, revision int32) error {
	key := taskDefKey(family, revision)
	kv, err := s.store.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var td model.TaskDefinition
	if err := json.Unmarshal(kv.Value, &td); err != nil {
		return fmt.Errorf("decode %s: %w", key, err)
	}
	if td.Status != model.TaskDefDeleteInProgress {
		return fmt.Errorf("task definition %s:%d is %s: %w", family, revision, td.Status, ErrInvalidState)
	}
	rev, err := s.store.Delete(ctx, key, kv.ModRevision)
	if err != nil {
		return err
	}
	return s.synced(ctx, rev)
}

// ParseTaskDefinitionRef splits "family", "family:revision" or a task
// definition ARN into family and revision (0 when absent).
func ParseTaskDefinitionRef(ref string) (family string, revision int32, err error) {
	if strings.HasPrefix(ref, "arn:") {
		_, rest, ok := strings.Cut(ref, ":task-definition/")
		if !ok {
			return "", 0, fmt.Errorf("%q is not a task definition ARN", ref)
		}
		ref = rest
		if !strings.Contains(ref, ":") {
			return "", 0, fmt.Errorf("task definition ARN %q has no revision", ref)
		}
	}
	family, revStr, hasRev := strings.Cut(ref, ":")
	if family == "" {
		return "", 0, fmt.Errorf("task definition %q has no family", ref)
	}
	if !hasRev {
		return family, 0, nil
	}
	var r int64
	for _, c := range revStr {
		if c < '0' || c > '9' {
			return "", 0, fmt.Errorf("invalid revision %q", revStr)
		}
		r = r*10 + int64(c-'0')
		if r > MaxRevisions {
			return "", 0, fmt.Errorf("invalid revision %q", revStr)
		}
	}
	if revStr == "" || r == 0 {
		return "", 0, fmt.Errorf("invalid revision %q", revStr)
	}
	return family, int32(r), nil
}
