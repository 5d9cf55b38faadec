package state

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wharfhq/wharf/internal/arn"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/store"
)

// ELB keys. Load balancers and target groups are keyed by name (so names
// are unique by construction); listeners by load balancer id, rules by
// listener id, targets and their health by target group id, where the ids
// are the last ARN segments. Every write of the data plane's configuration
// also puts elb/generation, whose ModRevision is the configuration revision
// the lb API long-polls on; health reports do not.
const (
	prefixLoadBalancers = "elb/loadbalancers/" // <name>
	prefixTargetGroups  = "elb/targetgroups/"  // <name>
	prefixListeners     = "elb/listeners/"     // <lbID>/<listenerID>
	prefixRules         = "elb/rules/"         // <listenerID>/<ruleID>
	prefixTargets       = "elb/targets/"       // <tgID>/<id>:<port>
	prefixTargetHealth  = "elb/health/"        // <tgID>/<id>:<port>
	keyELBGeneration    = "elb/generation"
)

// ELBConfigPrefixes are the key prefixes of the data plane configuration.
var ELBConfigPrefixes = []string{prefixLoadBalancers, prefixTargetGroups, prefixListeners, prefixRules, prefixTargets}

// ELB errors; ErrExists and ErrNotFound are used as for other resources.
var (
	// ErrTooManyTargets means a registration would exceed the limit.
	ErrTooManyTargets = errors.New("too many targets")
)

type elbGeneration struct{}

func registerELB(s *State) {
	s.cache.Register(prefixLoadBalancers, decoder[model.LoadBalancer]())
	s.cache.Register(prefixTargetGroups, decoder[model.TargetGroup]())
	s.cache.Register(prefixListeners, decoder[model.Listener]())
	s.cache.Register(prefixRules, decoder[model.Rule]())
	s.cache.Register(prefixTargets, decoder[model.Target]())
	s.cache.Register(prefixTargetHealth, decoder[model.TargetHealth]())
	s.cache.Register(keyELBGeneration, decoder[elbGeneration]())
}

// ELBRevision is the store revision of the last change to the data plane
// configuration (0 before the first).
func (s *State) ELBRevision() int64 {
	_, rev, _ := s.cache.Get(keyELBGeneration)
	return rev
}

// ELBGenerationKey is the key whose changes signal configuration changes.
func ELBGenerationKey() string { return keyELBGeneration }

// newELBID returns the 16-hex-digit id ELB puts at the end of ARNs.
func newELBID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *State) elbARN(resource string) string {
	return arn.ARN{Partition: "aws", Service: "elasticloadbalancing", Region: s.ARNs.Region, Account: s.ARNs.Account, Resource: resource}.String()
}

// ELBRef is a parsed ELBv2 ARN.
type ELBRef struct {
	Kind       string // loadbalancer, targetgroup, listener, listener-rule
	Name       string // load balancer or target group name
	ID         string // load balancer or target group id
	ListenerID string
	RuleID     string
}

// ParseELBARN parses the ARN of a load balancer, target group, listener
// or rule of this region and account.
func (s *State) ParseELBARN(ref string) (ELBRef, bool) {
	a, err := arn.Parse(ref)
	if err != nil || a.Service != "elasticloadbalancing" || a.Region != s.ARNs.Region || a.Account != s.ARNs.Account {
		return ELBRef{}, false
	}
	p := strings.Split(a.Resource, "/")
	switch {
	case p[0] == "loadbalancer" && len(p) == 4 && p[1] == "app":
		return ELBRef{Kind: p[0], Name: p[2], ID: p[3]}, true
	case p[0] == "targetgroup" && len(p) == 3:
		return ELBRef{Kind: p[0], Name: p[1], ID: p[2]}, true
	case p[0] == "listener" && len(p) == 5 && p[1] == "app":
		return ELBRef{Kind: p[0], Name: p[2], ID: p[3], ListenerID: p[4]}, true
	case p[0] == "listener-rule" && len(p) == 6 && p[1] == "app":
		return ELBRef{Kind: p[0], Name: p[2], ID: p[3], ListenerID: p[4], RuleID: p[5]}, true
	}
	return ELBRef{}, false
}

func lbKey(name string) string                { return prefixLoadBalancers + name }
func tgKey(name string) string                { return prefixTargetGroups + name }
func listenerKey(lbID, id string) string      { return prefixListeners + lbID + "/" + id }
func ruleKey(listenerID, id string) string    { return prefixRules + listenerID + "/" + id }
func targetKey(tgID, key string) string       { return prefixTargets + tgID + "/" + key }
func targetHealthKey(tgID, key string) string { return prefixTargetHealth + tgID + "/" + key }

// elbTxn applies a configuration write: the ops when every cond holds,
// plus the generation bump. guards are keys whose cached value is put back
// unchanged with a ModRevision condition, which serialises writes that
// check a set of siblings (listener ports of a load balancer, rule
// priorities of a listener). build runs against the cache and may run more
// than once; a conflict waits for the cache to catch up and retries.
func (s *State) elbTxn(ctx context.Context, guards []string, build func() ([]store.Cond, []store.Op, error)) error {
	for attempt := 0; attempt < 50; attempt++ {
		var conds []store.Cond
		var ops []store.Op
		for _, g := range guards {
			obj, rev, ok := s.cache.Get(g)
			if !ok {
				return fmt.Errorf("%s: %w", g, ErrNotFound)
			}
			buf, err := json.Marshal(obj)
			if err != nil {
				return err
			}
			conds = append(conds, store.Cond{Key: g, ModRevision: rev})
			ops = append(ops, store.Op{Key: g, Value: buf})
		}
		c, o, err := build()
		if err != nil {
			return err
		}
		conds = append(conds, c...)
		ops = append(ops, o...)
		ops = append(ops, store.Op{Key: keyELBGeneration, Value: []byte("{}")})
		rev, err := s.store.Txn(ctx, conds, ops)
		if errors.Is(err, store.ErrConflict) {
			// The cache was behind: wait a little for it (the store's
			// revision may also count writes outside the cached namespace,
			// so do not wait for it unconditionally) and build again.
			cur, rerr := s.store.Revision(ctx)
			if rerr != nil {
				return rerr
			}
			waitCtx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			_ = s.synced(waitCtx, cur)
			cancel()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue
		}
		if err != nil {
			return err
		}
		return s.synced(ctx, rev)
	}
	return fmt.Errorf("elb write: too much contention: %w", store.ErrConflict)
}

func putOp(key string, v any) (store.Op, error) {
	buf, err := json.Marshal(v)
	return store.Op{Key: key, Value: buf}, err
}

// entryRev returns the cached ModRevision of key (0 when absent).
func (s *State) entryRev(key string) int64 {
	_, rev, _ := s.cache.Get(key)
	return rev
}

// ---- Load balancers -------------------------------------------------------

// CreateLoadBalancer stores a new load balancer with a fresh ARN. When the
// name is taken it returns the existing one and ErrExists.
func (s *State) CreateLoadBalancer(ctx context.Context, lb model.LoadBalancer) (*model.LoadBalancer, error) {
	lb.ARN = s.elbARN("loadbalancer/app/" + lb.Name + "/" + newELBID())
	lb.CreatedAt = s.now()
	var existing *model.LoadBalancer
	err := s.elbTxn(ctx, nil, func() ([]store.Cond, []store.Op, error) {
		if old, ok := s.LoadBalancer(lb.Name); ok {
			existing = old
			return nil, nil, fmt.Errorf("load balancer %s: %w", lb.Name, ErrExists)
		}
		op, err := putOp(lbKey(lb.Name), &lb)
		return []store.Cond{{Key: lbKey(lb.Name)}}, []store.Op{op}, err
	})
	if errors.Is(err, ErrExists) {
		return existing, err
	}
	if err != nil {
		return nil, err
	}
	return &lb, nil
}

// LoadBalancer returns a load balancer by name.
func (s *State) LoadBalancer(name string) (*model.LoadBalancer, bool) {
	v, _, ok := get[model.LoadBalancer](s, lbKey(name))
	return v, ok
}

// LoadBalancerByARN returns a load balancer by ARN.
func (s *State) LoadBalancerByARN(ref string) (*model.LoadBalancer, bool) {
	r, ok := s.ParseELBARN(ref)
	if !ok || r.Kind != "loadbalancer" {
		return nil, false
	}
	lb, ok := s.LoadBalancer(r.Name)
	if !ok || lb.ARN != ref {
		return nil, false
	}
	return lb, true
}

// LoadBalancers returns every load balancer sorted by name.
func (s *State) LoadBalancers() []*model.LoadBalancer {
	return list[model.LoadBalancer](s, prefixLoadBalancers)
}

// UpdateLoadBalancer applies fn to a load balancer.
func (s *State) UpdateLoadBalancer(ctx context.Context, name string, fn func(*model.LoadBalancer) error) (*model.LoadBalancer, error) {
	var out model.LoadBalancer
	err := s.elbTxn(ctx, nil, func() ([]store.Cond, []store.Op, error) {
		cur, rev, ok := get[model.LoadBalancer](s, lbKey(name))
		if !ok {
			return nil, nil, fmt.Errorf("load balancer %s: %w", name, ErrNotFound)
		}
		out = *cur
		out.Attributes = cloneMap(cur.Attributes)
		out.Tags = append([]model.Tag(nil), cur.Tags...)
		if err := fn(&out); err != nil {
			return nil, nil, err
		}
		op, err := putOp(lbKey(name), &out)
		return []store.Cond{{Key: lbKey(name), ModRevision: rev}}, []store.Op{op}, err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteLoadBalancer deletes a load balancer with its listeners and their
// rules (rules first, so no rule outlives its listener). Deleting one that
// does not exist succeeds.
func (s *State) DeleteLoadBalancer(ctx context.Context, lb *model.LoadBalancer) error {
	r, _ := s.ParseELBARN(lb.ARN)
	for _, l := range s.Listeners(r.ID) {
		if err := s.DeleteListener(ctx, l.ARN); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	return s.elbTxn(ctx, nil, func() ([]store.Cond, []store.Op, error) {
		rev := s.entryRev(lbKey(lb.Name))
		cur, ok := s.LoadBalancer(lb.Name)
		if !ok || cur.ARN != lb.ARN {
			return nil, nil, nil
		}
		return []store.Cond{{Key: lbKey(lb.Name), ModRevision: rev}}, []store.Op{{Key: lbKey(lb.Name), Delete: true}}, nil
	})
}

// ---- Target groups --------------------------------------------------------

// CreateTargetGroup stores a new target group with a fresh ARN. When the
// name is taken it returns the existing one and ErrExists.
func (s *State) CreateTargetGroup(ctx context.Context, tg model.TargetGroup) (*model.TargetGroup, error) {
	tg.ARN = s.elbARN("targetgroup/" + tg.Name + "/" + newELBID())
	tg.CreatedAt = s.now()
	var existing *model.TargetGroup
	err := s.elbTxn(ctx, nil, func() ([]store.Cond, []store.Op, error) {
		if old, ok := s.TargetGroup(tg.Name); ok {
			existing = old
			return nil, nil, fmt.Errorf("target group %s: %w", tg.Name, ErrExists)
		}
		op, err := putOp(tgKey(tg.Name), &tg)
		return []store.Cond{{Key: tgKey(tg.Name)}}, []store.Op{op}, err
	})
	if errors.Is(err, ErrExists) {
		return existing, err
	}
	if err != nil {
		return nil, err
	}
	return &tg, nil
}

// TargetGroup returns a target group by name.
func (s *State) TargetGroup(name string) (*model.TargetGroup, bool) {
	v, _, ok := get[model.TargetGroup](s, tgKey(name))
	return v, ok
}

// TargetGroupByARN returns a target group by ARN.
func (s *State) TargetGroupByARN(ref string) (*model.TargetGroup, bool) {
	r, ok := s.ParseELBARN(ref)
	if !ok || r.Kind != "targetgroup" {
		return nil, false
	}
	tg, ok := s.TargetGroup(r.Name)
	if !ok || tg.ARN != ref {
		return nil, false
	}
	return tg, true
}

// TargetGroups returns every target group sorted by name.
func (s *State) TargetGroups() []*model.TargetGroup {
	return list[model.TargetGroup](s, prefixTargetGroups)
}

// UpdateTargetGroup applies fn to a target group.
func (s *State) UpdateTargetGroup(ctx context.Context, name string, fn func(*model.TargetGroup) error) (*model.TargetGroup, error) {
	var out model.TargetGroup
	err := s.elbTxn(ctx, nil, func() ([]store.Cond, []store.Op, error) {
		cur, rev, ok := get[model.TargetGroup](s, tgKey(name))
		if !ok {
			return nil, nil, fmt.Errorf("target group %s: %w", name, ErrNotFound)
		}
		out = *cur
		out.Attributes = cloneMap(cur.Attributes)
		out.Tags = append([]model.Tag(nil), cur.Tags...)
		if err := fn(&out); err != nil {
			return nil, nil, err
		}
		op, err := putOp(tgKey(name), &out)
		return []store.Cond{{Key: tgKey(name), ModRevision: rev}}, []store.Op{op}, err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteTargetGroup deletes a target group with its targets and their
// health, after inUse (checked against the cache) allows it. Deleting one
// that does not exist succeeds.
func (s *State) DeleteTargetGroup(ctx context.Context, tg *model.TargetGroup, inUse func() error) error {
	if err := inUse(); err != nil {
		return err
	}
	r, _ := s.ParseELBARN(tg.ARN)
	if err := s.deleteKeys(ctx, s.keysUnder(prefixTargets+r.ID+"/", prefixTargetHealth+r.ID+"/")); err != nil {
		return err
	}
	return s.elbTxn(ctx, nil, func() ([]store.Cond, []store.Op, error) {
		rev := s.entryRev(tgKey(tg.Name))
		cur, ok := s.TargetGroup(tg.Name)
		if !ok || cur.ARN != tg.ARN {
			return nil, nil, nil
		}
		return []store.Cond{{Key: tgKey(tg.Name), ModRevision: rev}}, []store.Op{{Key: tgKey(tg.Name), Delete: true}}, nil
	})
}

func (s *State) keysUnder(prefixes ...string) []string {
	var keys []string
	for _, p := range prefixes {
		for _, e := range s.cache.List(p) {
			keys = append(keys, e.Key)
		}
	}
	return keys
}

// deleteKeys deletes keys in transactions of at most 100 operations.
func (s *State) deleteKeys(ctx context.Context, keys []string) error {
	for len(keys) > 0 {
		n := min(len(keys), 100)
		batch := keys[:n]
		keys = keys[n:]
		err := s.elbTxn(ctx, nil, func() ([]store.Cond, []store.Op, error) {
			ops := make([]store.Op, len(batch))
			for i, k := range batch {
				ops[i] = store.Op{Key: k, Delete: true}
			}
			return nil, ops, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// ---- Listeners ------------------------------------------------------------

// ListenerARN returns a new listener ARN for a load balancer.
func (s *State) ListenerARN(lb *model.LoadBalancer) string {
	r, _ := s.ParseELBARN(lb.ARN)
	return s.elbARN("listener/app/" + lb.Name + "/" + r.ID + "/" + newELBID())
}

// RuleARN returns a new rule ARN for a listener.
func (s *State) RuleARN(l *model.Listener) string {
	r, _ := s.ParseELBARN(l.ARN)
	return s.elbARN("listener-rule/app/" + r.Name + "/" + r.ID + "/" + r.ListenerID + "/" + newELBID())
}

// Listeners returns the listeners of a load balancer (by id), in key order.
func (s *State) Listeners(lbID string) []*model.Listener {
	return list[model.Listener](s, prefixListeners+lbID+"/")
}

// AllListeners returns every listener.
func (s *State) AllListeners() []*model.Listener { return list[model.Listener](s, prefixListeners) }

// ListenerByARN returns a listener by ARN.
func (s *State) ListenerByARN(ref string) (*model.Listener, bool) {
	r, ok := s.ParseELBARN(ref)
	if !ok || r.Kind != "listener" {
		return nil, false
	}
	l, _, ok := get[model.Listener](s, listenerKey(r.ID, r.ListenerID))
	if !ok || l.ARN != ref {
		return nil, false
	}
	return l, true
}

// CreateListener stores l (ARN from ListenerARN) after check accepts it
// against the load balancer's current listeners; writes to one load
// balancer's listeners are serialised.
func (s *State) CreateListener(ctx context.Context, lb *model.LoadBalancer, l model.Listener, check func(siblings []*model.Listener) error) (*model.Listener, error) {
	r, _ := s.ParseELBARN(l.ARN)
	err := s.elbTxn(ctx, []string{lbKey(lb.Name)}, func() ([]store.Cond, []store.Op, error) {
		if cur, ok := s.LoadBalancer(lb.Name); !ok || cur.ARN != lb.ARN {
			return nil, nil, fmt.Errorf("load balancer %s: %w", lb.Name, ErrNotFound)
		}
		if err := check(s.Listeners(r.ID)); err != nil {
			return nil, nil, err
		}
		op, err := putOp(listenerKey(r.ID, r.ListenerID), &l)
		return []store.Cond{{Key: listenerKey(r.ID, r.ListenerID)}}, []store.Op{op}, err
	})
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// UpdateListener applies fn to a listener; fn sees the load balancer's
// other listeners.
func (s *State) UpdateListener(ctx context.Context, ref string, fn func(l *model.Listener, siblings []*model.Listener) error) (*model.Listener, error) {
	r, ok := s.ParseELBARN(ref)
	if !ok || r.Kind != "listener" {
		return nil, fmt.Errorf("listener %s: %w", ref, ErrNotFound)
	}
	var out model.Listener
	err := s.elbTxn(ctx, []string{lbKey(r.Name)}, func() ([]store.Cond, []store.Op, error) {
		cur, ok := s.ListenerByARN(ref)
		if !ok {
			return nil, nil, fmt.Errorf("listener %s: %w", ref, ErrNotFound)
		}
		key := listenerKey(r.ID, r.ListenerID)
		out = *cur
		out.DefaultActions = append([]model.Action(nil), cur.DefaultActions...)
		out.Tags = append([]model.Tag(nil), cur.Tags...)
		var siblings []*model.Listener
		for _, o := range s.Listeners(r.ID) {
			if o.ARN != ref {
				siblings = append(siblings, o)
			}
		}
		if err := fn(&out, siblings); err != nil {
			return nil, nil, err
		}
		op, err := putOp(key, &out)
		return []store.Cond{{Key: key, ModRevision: s.entryRev(key)}}, []store.Op{op}, err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteListener deletes a listener and its rules.
func (s *State) DeleteListener(ctx context.Context, ref string) error {
	r, ok := s.ParseELBARN(ref)
	if !ok || r.Kind != "listener" {
		return fmt.Errorf("listener %s: %w", ref, ErrNotFound)
	}
	if _, ok := s.ListenerByARN(ref); !ok {
		return fmt.Errorf("listener %s: %w", ref, ErrNotFound)
	}
	if err := s.deleteKeys(ctx, s.keysUnder(prefixRules+r.ListenerID+"/")); err != nil {
		return err
	}
	return s.elbTxn(ctx, nil, func() ([]store.Cond, []store.Op, error) {
		key := listenerKey(r.ID, r.ListenerID)
		rev := s.entryRev(key)
		if rev == 0 {
			return nil, nil, fmt.Errorf("listener %s: %w", ref, ErrNotFound)
		}
		return []store.Cond{{Key: key, ModRevision: rev}}, []store.Op{{Key: key, Delete: true}}, nil
	})
}

// ---- Rules ----------------------------------------------------------------

// Rules returns the rules of a listener (by id).
func (s *State) Rules(listenerID string) []*model.Rule {
	return list[model.Rule](s, prefixRules+listenerID+"/")
}

// AllRules returns every rule.
func (s *State) AllRules() []*model.Rule { return list[model.Rule](s, prefixRules) }

// RuleByARN returns a rule by ARN.
func (s *State) RuleByARN(ref string) (*model.Rule, bool) {
	r, ok := s.ParseELBARN(ref)
	if !ok || r.Kind != "listener-rule" {
		return nil, false
	}
	v, _, ok := get[model.Rule](s, ruleKey(r.ListenerID, r.RuleID))
	if !ok || v.ARN != ref {
		return nil, false
	}
	return v, true
}

func (s *State) listenerGuard(listenerARN string) (string, ELBRef, error) {
	r, ok := s.ParseELBARN(listenerARN)
	if !ok || r.Kind != "listener" {
		return "", r, fmt.Errorf("listener %s: %w", listenerARN, ErrNotFound)
	}
	return listenerKey(r.ID, r.ListenerID), r, nil
}

// CreateRule stores a rule (ARN from RuleARN) after check accepts it
// against the listener's current rules; writes to one listener's rules
// are serialised.
func (s *State) CreateRule(ctx context.Context, rule model.Rule, check func(siblings []*model.Rule) error) (*model.Rule, error) {
	guard, lr, err := s.listenerGuard(rule.ListenerARN)
	if err != nil {
		return nil, err
	}
	rr, _ := s.ParseELBARN(rule.ARN)
	err = s.elbTxn(ctx, []string{guard}, func() ([]store.Cond, []store.Op, error) {
		if err := check(s.Rules(lr.ListenerID)); err != nil {
			return nil, nil, err
		}
		op, err := putOp(ruleKey(lr.ListenerID, rr.RuleID), &rule)
		return []store.Cond{{Key: ruleKey(lr.ListenerID, rr.RuleID)}}, []store.Op{op}, err
	})
	if err != nil {
		return nil, err
	}
	return &rule, nil
}

// UpdateRules applies fn to rules given by ARN (of any listeners) in one
// transaction; fn sees every rule of the listeners involved, with the
// changed rules in place, and may reject the result.
func (s *State) UpdateRules(ctx context.Context, refs []string, fn func(changed map[string]*model.Rule) error, check func(listenerRules map[string][]*model.Rule) error) ([]*model.Rule, error) {
	var guards []string
	seen := map[string]bool{}
	for _, ref := range refs {
		rule, ok := s.RuleByARN(ref)
		if !ok {
			return nil, fmt.Errorf("rule %s: %w", ref, ErrNotFound)
		}
		g, _, err := s.listenerGuard(rule.ListenerARN)
		if err != nil {
			return nil, err
		}
		if !seen[g] {
			seen[g] = true
			guards = append(guards, g)
		}
	}
	var out []*model.Rule
	err := s.elbTxn(ctx, guards, func() ([]store.Cond, []store.Op, error) {
		changed := map[string]*model.Rule{}
		var conds []store.Cond
		for _, ref := range refs {
			cur, ok := s.RuleByARN(ref)
			if !ok {
				return nil, nil, fmt.Errorf("rule %s: %w", ref, ErrNotFound)
			}
			c := *cur
			c.Conditions = append([]model.Condition(nil), cur.Conditions...)
			c.Actions = append([]model.Action(nil), cur.Actions...)
			c.Tags = append([]model.Tag(nil), cur.Tags...)
			changed[ref] = &c
			r, _ := s.ParseELBARN(ref)
			conds = append(conds, store.Cond{Key: ruleKey(r.ListenerID, r.RuleID), ModRevision: s.entryRev(ruleKey(r.ListenerID, r.RuleID))})
		}
		if err := fn(changed); err != nil {
			return nil, nil, err
		}
		byListener := map[string][]*model.Rule{}
		for _, ref := range refs {
			l := changed[ref].ListenerARN
			if _, done := byListener[l]; done {
				continue
			}
			_, lr, _ := s.listenerGuard(l)
			for _, r := range s.Rules(lr.ListenerID) {
				if c, ok := changed[r.ARN]; ok {
					r = c
				}
				byListener[l] = append(byListener[l], r)
			}
		}
		if err := check(byListener); err != nil {
			return nil, nil, err
		}
		out = out[:0]
		var ops []store.Op
		for _, ref := range refs {
			r, _ := s.ParseELBARN(ref)
			op, err := putOp(ruleKey(r.ListenerID, r.RuleID), changed[ref])
			if err != nil {
				return nil, nil, err
			}
			ops = append(ops, op)
			out = append(out, changed[ref])
		}
		return conds, ops, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteRule deletes a rule.
func (s *State) DeleteRule(ctx context.Context, ref string) error {
	return s.elbTxn(ctx, nil, func() ([]store.Cond, []store.Op, error) {
		if _, ok := s.RuleByARN(ref); !ok {
			return nil, nil, fmt.Errorf("rule %s: %w", ref, ErrNotFound)
		}
		r, _ := s.ParseELBARN(ref)
		key := ruleKey(r.ListenerID, r.RuleID)
		return []store.Cond{{Key: key, ModRevision: s.entryRev(key)}}, []store.Op{{Key: key, Delete: true}}, nil
	})
}

// ---- Targets and health ---------------------------------------------------

func (s *State) tgID(tg *model.TargetGroup) string {
	r, _ := s.ParseELBARN(tg.ARN)
	return r.ID
}

// Targets returns the targets of a target group (registered and draining),
// sorted by key.
func (s *State) Targets(tg *model.TargetGroup) []*model.Target {
	return list[model.Target](s, prefixTargets+s.tgID(tg)+"/")
}

// TargetHealth returns the data plane's last report about a target.
func (s *State) TargetHealth(tg *model.TargetGroup, id string, port int32) (*model.TargetHealth, bool) {
	v, _, ok := get[model.TargetHealth](s, targetHealthKey(s.tgID(tg), targetKeyOf(id, port)))
	return v, ok
}

func targetKeyOf(id string, port int32) string { return fmt.Sprintf("%s:%d", id, port) }

// RegisterTargets registers targets (each with its resolved Address) in a
// target group. A target registered again (even while draining) starts
// over: its deregistration and last health report are cleared. The group
// may hold at most limit targets.
func (s *State) RegisterTargets(ctx context.Context, tg *model.TargetGroup, targets []model.Target, limit int) error {
	id := s.tgID(tg)
	for len(targets) > 0 {
		n := min(len(targets), 50)
		batch := targets[:n]
		targets = targets[n:]
		err := s.elbTxn(ctx, []string{tgKey(tg.Name)}, func() ([]store.Cond, []store.Op, error) {
			if cur, ok := s.TargetGroup(tg.Name); !ok || cur.ARN != tg.ARN {
				return nil, nil, fmt.Errorf("target group %s: %w", tg.Name, ErrNotFound)
			}
			existing := map[string]*model.Target{}
			for _, t := range s.Targets(tg) {
				existing[targetKeyOf(t.ID, t.Port)] = t
			}
			count := len(existing)
			var ops []store.Op
			seen := map[string]bool{}
			for _, t := range batch {
				k := targetKeyOf(t.ID, t.Port)
				if seen[k] {
					continue
				}
				seen[k] = true
				if old, ok := existing[k]; ok {
					if old.DeregisteredAt.IsZero() && old.Address == t.Address {
						continue // already registered: a no-op, as in ELB
					}
				} else {
					count++
				}
				t.RegisteredAt = s.now()
				t.DeregisteredAt = time.Time{}
				op, err := putOp(targetKey(id, k), &t)
				if err != nil {
					return nil, nil, err
				}
				ops = append(ops, op)
				if _, _, ok := s.cache.Get(targetHealthKey(id, k)); ok {
					ops = append(ops, store.Op{Key: targetHealthKey(id, k), Delete: true})
				}
			}
			if count > limit {
				return nil, nil, ErrTooManyTargets
			}
			return nil, ops, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// DeregisterTargets starts draining registered targets (given as
// id:port keys). It returns ErrNotFound naming the first key that is not
// registered, before changing anything.
func (s *State) DeregisterTargets(ctx context.Context, tg *model.TargetGroup, keys []string) error {
	id := s.tgID(tg)
	for _, k := range keys {
		if _, _, ok := s.cache.Get(targetKey(id, k)); !ok {
			return fmt.Errorf("target %s: %w", k, ErrNotFound)
		}
	}
	for len(keys) > 0 {
		n := min(len(keys), 50)
		batch := keys[:n]
		keys = keys[n:]
		err := s.elbTxn(ctx, nil, func() ([]store.Cond, []store.Op, error) {
			var conds []store.Cond
			var ops []store.Op
			for _, k := range batch {
				t, rev, ok := get[model.Target](s, targetKey(id, k))
				if !ok || !t.DeregisteredAt.IsZero() {
					continue
				}
				c := *t
				c.DeregisteredAt = s.now()
				op, err := putOp(targetKey(id, k), &c)
				if err != nil {
					return nil, nil, err
				}
				conds = append(conds, store.Cond{Key: targetKey(id, k), ModRevision: rev})
				ops = append(ops, op)
			}
			return conds, ops, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// PutTargetHealth stores the data plane's health report. Reports about
// unknown targets are ignored; unchanged reports are not rewritten (so
// steady health causes no writes). A deregistered target that is drained,
// or whose deregistration delay (delay(tg)) has passed, is removed with its
// health; health records of removed targets are deleted.
func (s *State) PutTargetHealth(ctx context.Context, report map[string]map[string]model.TargetHealth, delay func(*model.TargetGroup) time.Duration) error {
	var puts []store.Op
	var removeTargets, removeHealth []string
	now := s.now()
	for _, tg := range s.TargetGroups() {
		id := s.tgID(tg)
		reported := report[tg.ARN]
		live := map[string]bool{}
		for _, t := range s.Targets(tg) {
			k := targetKeyOf(t.ID, t.Port)
			live[k] = true
			h, ok := reported[k]
			old, hadOld := s.TargetHealth(tg, t.ID, t.Port)
			if !t.DeregisteredAt.IsZero() && ((ok && h.Drained) || (hadOld && old.Drained) || now.Sub(t.DeregisteredAt) >= delay(tg)) {
				removeTargets = append(removeTargets, targetKey(id, k))
				if hadOld {
					removeHealth = append(removeHealth, targetHealthKey(id, k))
				}
				continue
			}
			if !ok {
				continue
			}
			if hadOld && old.State == h.State && old.Reason == h.Reason && old.Description == h.Description && old.Drained == h.Drained {
				continue
			}
			if h.UpdatedAt.IsZero() {
				h.UpdatedAt = now
			}
			op, err := putOp(targetHealthKey(id, k), &h)
			if err != nil {
				return err
			}
			puts = append(puts, op)
		}
		for _, e := range s.cache.List(prefixTargetHealth + id + "/") {
			if !live[strings.TrimPrefix(e.Key, prefixTargetHealth+id+"/")] {
				removeHealth = append(removeHealth, e.Key)
			}
		}
	}
	for len(puts) > 0 {
		n := min(len(puts), 100)
		rev, err := s.store.Txn(ctx, nil, puts[:n])
		if err != nil {
			return err
		}
		if err := s.synced(ctx, rev); err != nil {
			return err
		}
		puts = puts[n:]
	}
	// Orphaned health records are not configuration: delete them without a
	// generation bump; removed targets are.
	for len(removeHealth) > 0 {
		n := min(len(removeHealth), 100)
		ops := make([]store.Op, n)
		for i, k := range removeHealth[:n] {
			ops[i] = store.Op{Key: k, Delete: true}
		}
		rev, err := s.store.Txn(ctx, nil, ops)
		if err != nil {
			return err
		}
		if err := s.synced(ctx, rev); err != nil {
			return err
		}
		removeHealth = removeHealth[n:]
	}
	return s.deleteKeys(ctx, removeTargets)
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
