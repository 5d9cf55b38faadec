package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// LifecyclePolicy is a parsed ECR lifecycle policy.
//
//	{"rules": [{"rulePriority": 1, "description": "...",
//	            "selection": {"tagStatus": "tagged|untagged|any",
//	                          "tagPrefixList": [...], "tagPatternList": [...],
//	                          "countType": "imageCountMoreThan|sinceImagePushed",
//	                          "countUnit": "days", "countNumber": N},
//	            "action": {"type": "expire"}}]}
type LifecyclePolicy struct {
	Rules []LifecycleRule `json:"rules"`
}

// LifecycleRule is one rule of a policy.
type LifecycleRule struct {
	RulePriority int    `json:"rulePriority"`
	Description  string `json:"description,omitempty"`
	Selection    struct {
		TagStatus      string   `json:"tagStatus"`
		TagPrefixList  []string `json:"tagPrefixList,omitempty"`
		TagPatternList []string `json:"tagPatternList,omitempty"`
		CountType      string   `json:"countType"`
		CountUnit      string   `json:"countUnit,omitempty"`
		CountNumber    int      `json:"countNumber"`
	} `json:"selection"`
	Action struct {
		Type string `json:"type"`
	} `json:"action"`
}

// ParseLifecyclePolicy parses and validates a policy as ECR does.
func ParseLifecyclePolicy(text string) (LifecyclePolicy, error) {
	var p LifecyclePolicy
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, invalid("Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: %v'", err)
	}
	if len(p.Rules) == 0 {
		return p, lifecycleInvalid("at least one rule is required")
	}
	prios := map[int]bool{}
	untagged, anyRule := 0, -1
	maxPrio := 0
	for i, r := range p.Rules {
		s := r.Selection
		switch {
		case r.RulePriority < 1:
			return p, lifecycleInvalid("rulePriority must be a positive integer (rule %d)", i+1)
		case prios[r.RulePriority]:
			return p, lifecycleInvalid("rulePriority %d is used by more than one rule", r.RulePriority)
		case r.Action.Type != "expire":
			return p, lifecycleInvalid("action.type must be \"expire\" (rule %d)", r.RulePriority)
		case s.CountNumber < 1:
			return p, lifecycleInvalid("countNumber must be a positive integer (rule %d)", r.RulePriority)
		}
		prios[r.RulePriority] = true
		if r.RulePriority > maxPrio {
			maxPrio = r.RulePriority
		}
		switch s.TagStatus {
		case "tagged":
			if len(s.TagPrefixList) == 0 && len(s.TagPatternList) == 0 {
				return p, lifecycleInvalid("tagPrefixList or tagPatternList is required when tagStatus is tagged (rule %d)", r.RulePriority)
			}
			if len(s.TagPrefixList) > 0 && len(s.TagPatternList) > 0 {
				return p, lifecycleInvalid("tagPrefixList and tagPatternList cannot both be set (rule %d)", r.RulePriority)
			}
		case "untagged", "any":
			if len(s.TagPrefixList) > 0 || len(s.TagPatternList) > 0 {
				return p, lifecycleInvalid("tagPrefixList and tagPatternList are only allowed when tagStatus is tagged (rule %d)", r.RulePriority)
			}
			if s.TagStatus == "untagged" {
				untagged++
			} else {
				anyRule = r.RulePriority
			}
		default:
			return p, lifecycleInvalid("tagStatus must be tagged, untagged or any (rule %d)", r.RulePriority)
		}
		for _, pat := range s.TagPatternList {
			if strings.Count(pat, "*") > 4 {
				return p, lifecycleInvalid("a tag pattern may contain at most 4 wildcards (rule %d)", r.RulePriority)
			}
		}
		switch s.CountType {
		case "imageCountMoreThan":
			if s.CountUnit != "" {
				return p, lifecycleInvalid("countUnit is only allowed with sinceImagePushed (rule %d)", r.RulePriority)
			}
		case "sinceImagePushed":
			if s.CountUnit != "days" {
				return p, lifecycleInvalid("countUnit must be days with sinceImagePushed (rule %d)", r.RulePriority)
			}
		default:
			return p, lifecycleInvalid("countType must be imageCountMoreThan or sinceImagePushed (rule %d)", r.RulePriority)
		}
	}
	if untagged > 1 {
		return p, lifecycleInvalid("only one rule may select untagged images")
	}
	if anyRule >= 0 && anyRule != maxPrio {
		return p, lifecycleInvalid("a rule with tagStatus any must have the highest rulePriority value")
	}
	sort.Slice(p.Rules, func(i, j int) bool { return p.Rules[i].RulePriority < p.Rules[j].RulePriority })
	return p, nil
}

func lifecycleInvalid(format string, args ...any) error {
	return invalid("Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: "+format+"'", args...)
}

// selects reports whether a rule's tag selection matches an image.
func (rule *LifecycleRule) selects(img Image) bool {
	s := rule.Selection
	switch s.TagStatus {
	case "untagged":
		return len(img.Tags) == 0
	case "any":
		return true
	}
	if len(img.Tags) == 0 {
		return false
	}
	// Every prefix (pattern) must match one of the image's tags.
	for _, pre := range s.TagPrefixList {
		if !anyTag(img.Tags, func(t string) bool { return strings.HasPrefix(t, pre) }) {
			return false
		}
	}
	for _, pat := range s.TagPatternList {
		if !anyTag(img.Tags, func(t string) bool { return wildcardMatch(pat, t) }) {
			return false
		}
	}
	return true
}

func anyTag(tags []string, fn func(string) bool) bool {
	for _, t := range tags {
		if fn(t) {
			return true
		}
	}
	return false
}

// Expiry is one image a policy expires, and by which rule.
type Expiry struct {
	Image        Image
	RulePriority int
}

// EvaluateLifecycle decides which images a policy expires at now. Rules
// run by ascending priority; each considers the images its selection
// matches, newest push first, and expires those beyond countNumber
// (imageCountMoreThan) or pushed more than countNumber days before now
// (sinceImagePushed). An image is expired by at most one rule, and an
// image matched by a rule's selection cannot be expired by a rule of
// lower priority (ECR's evaluation rules). It is a pure function.
func EvaluateLifecycle(p LifecyclePolicy, images []Image, now time.Time) []Expiry {
	sorted := append([]Image(nil), images...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].PushedAt.After(sorted[j].PushedAt) })
	claimed := map[string]bool{}
	expired := map[string]int{}
	var out []Expiry
	for i := range p.Rules {
		rule := &p.Rules[i]
		var matching []Image
		for _, img := range sorted {
			if rule.selects(img) {
				matching = append(matching, img)
			}
		}
		for n, img := range matching {
			key := img.Digest.String()
			var expire bool
			switch rule.Selection.CountType {
			case "imageCountMoreThan":
				expire = n >= rule.Selection.CountNumber
			case "sinceImagePushed":
				expire = img.PushedAt.Before(now.Add(-time.Duration(rule.Selection.CountNumber) * 24 * time.Hour))
			}
			if expire && !claimed[key] {
				if _, done := expired[key]; !done {
					expired[key] = rule.RulePriority
					out = append(out, Expiry{Image: img, RulePriority: rule.RulePriority})
				}
			}
		}
		for _, img := range matching {
			claimed[img.Digest.String()] = true
		}
	}
	return out
}

// PutLifecyclePolicy validates and stores a repository's policy.
func (r *Registry) PutLifecyclePolicy(name, text string) (Repository, error) {
	if _, err := ParseLifecyclePolicy(text); err != nil {
		return Repository{}, err
	}
	return r.repos.update(name, func(repo *Repository) error {
		repo.LifecyclePolicy = text
		repo.LifecyclePolicyUpdatedAt = r.cfg.Now().UTC()
		return nil
	})
}

// DeleteLifecyclePolicy removes a repository's policy and returns it.
func (r *Registry) DeleteLifecyclePolicy(name string) (Repository, error) {
	var old Repository
	_, err := r.repos.update(name, func(repo *Repository) error {
		if repo.LifecyclePolicy == "" {
			return ErrLifecyclePolicyNotFound
		}
		old = *repo
		repo.LifecyclePolicy = ""
		repo.LifecyclePolicyUpdatedAt = time.Time{}
		return nil
	})
	return old, err
}

// ApplyLifecyclePolicies enforces every repository's policy now and
// returns the images it expired.
func (r *Registry) ApplyLifecyclePolicies(ctx context.Context) ([]Expiry, error) {
	var all []Expiry
	for _, repo := range r.repos.list() {
		if repo.LifecyclePolicy == "" {
			continue
		}
		p, err := ParseLifecyclePolicy(repo.LifecyclePolicy)
		if err != nil {
			continue // stored policies were validated; a newer rule set may refuse old text
		}
		done, err := r.applyLifecycle(ctx, repo.Name, p)
		all = append(all, done...)
		if err != nil {
			return all, err
		}
	}
	return all, nil
}

func (r *Registry) applyLifecycle(ctx context.Context, name string, p LifecyclePolicy) ([]Expiry, error) {
	unlock := r.locks.Lock(name)
	defer unlock()
	images, err := r.images(ctx, name)
	if err != nil {
		return nil, err
	}
	plan := EvaluateLifecycle(p, images, r.cfg.Now())
	for _, e := range plan {
		if _, err := r.deleteImageLocked(ctx, name, ImageRef{Digest: e.Image.Digest.String()}); err != nil && err != ErrImageNotFound {
			return nil, fmt.Errorf("registry: lifecycle expire %s@%s: %w", name, e.Image.Digest, err)
		}
		r.log.Info("lifecycle policy expired image", "repository", name, "digest", e.Image.Digest, "tags", e.Image.Tags, "rule", e.RulePriority)
	}
	return plan, nil
}

// LifecyclePreview is the result of StartLifecyclePolicyPreview.
type LifecyclePreview struct {
	PolicyText string
	Expiries   []Expiry
}

// StartLifecyclePreview evaluates a policy (the repository's own when text
// is empty) without deleting anything and keeps the result.
func (r *Registry) StartLifecyclePreview(ctx context.Context, name, text string) (LifecyclePreview, error) {
	repo, ok := r.repos.get(name)
	if !ok {
		return LifecyclePreview{}, ErrRepositoryNotFound
	}
	if text == "" {
		text = repo.LifecyclePolicy
	}
	if text == "" {
		return LifecyclePreview{}, ErrLifecyclePolicyNotFound
	}
	p, err := ParseLifecyclePolicy(text)
	if err != nil {
		return LifecyclePreview{}, err
	}
	images, err := r.images(ctx, name)
	if err != nil {
		return LifecyclePreview{}, err
	}
	pv := &LifecyclePreview{PolicyText: text, Expiries: EvaluateLifecycle(p, images, r.cfg.Now())}
	r.previews.Store(name, pv)
	return *pv, nil
}

// LifecyclePreview returns the last preview of a repository.
func (r *Registry) LifecyclePreview(name string) (LifecyclePreview, error) {
	if _, ok := r.repos.get(name); !ok {
		return LifecyclePreview{}, ErrRepositoryNotFound
	}
	v, ok := r.previews.Load(name)
	if !ok {
		return LifecyclePreview{}, ErrPreviewNotFound
	}
	return *v.(*LifecyclePreview), nil
}
