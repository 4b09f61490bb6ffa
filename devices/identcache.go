package devices

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/dakahq/daka/org"
)

// identityCache keeps, per device for a few seconds, the employees its
// PINs and cards resolved to. A ZK device in real-time mode posts one punch
// per request; without the cache every punch would cost the queries of a
// whole batch's resolution. Only positive answers are kept (a PIN that
// names nobody is looked up again, so a new employee counts at once);
// changes made through this process clear it, others (another replica)
// show within the TTL, like org's punch-permission cache.
type identityCache struct {
	mu sync.Mutex
	m  map[uuid.UUID]*identityEntry
}

type identityEntry struct {
	exp time.Time
	ids identities // never mutated once stored: replaced whole
}

// get returns the cached identities of d when they cover every PIN and
// card of recs.
func (c *identityCache) get(d uuid.UUID, recs []Record, now time.Time) (identities, bool) {
	c.mu.Lock()
	e := c.m[d]
	c.mu.Unlock()
	if e == nil || now.After(e.exp) {
		return identities{}, false
	}
	for _, r := range recs {
		switch {
		case usablePIN(r.PIN):
			if e.ids.byPIN[r.PIN] == nil {
				return identities{}, false
			}
		case r.Card != "" && r.Card != "0":
			if e.ids.byCard[r.Card] == nil {
				return identities{}, false
			}
		default:
			return identities{}, false
		}
	}
	return e.ids, true
}

// put merges fresh identities into d's entry (a copy), keeping the entry's
// expiry when it is still valid so entries cannot live forever.
func (c *identityCache) put(d uuid.UUID, ids identities, now time.Time, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 10000 {
		c.m = map[uuid.UUID]*identityEntry{}
	}
	n := identities{byPIN: map[string]*org.Employee{}, byCard: map[string]*org.Employee{}, enrolled: ids.enrolled}
	exp := now.Add(ttl)
	if old := c.m[d]; old != nil && now.Before(old.exp) {
		exp = old.exp
		for k, v := range old.ids.byPIN {
			n.byPIN[k] = v
		}
		for k, v := range old.ids.byCard {
			n.byCard[k] = v
		}
	}
	for k, v := range ids.byPIN {
		n.byPIN[k] = v
	}
	for k, v := range ids.byCard {
		n.byCard[k] = v
	}
	c.m[d] = &identityEntry{exp: exp, ids: n}
}

// clear forgets everything (PINs, cards, enrolments or employees changed).
func (c *identityCache) clear() {
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}

// resolve is identities through the cache.
func (s *Service) resolve(ctx context.Context, d Device, recs []Record) (identities, error) {
	if s.o.IdentityCacheTTL < 0 {
		return s.identities(ctx, d, recs)
	}
	now := s.o.Now()
	if ids, ok := s.idents.get(d.ID, recs, now); ok {
		return ids, nil
	}
	ids, err := s.identities(ctx, d, recs)
	if err != nil {
		return ids, err
	}
	s.idents.put(d.ID, ids, now, s.o.IdentityCacheTTL)
	return ids, nil
}
