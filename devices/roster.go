package devices

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/org"
)

// RosterEntry is one employee in a native terminal's roster.
type RosterEntry struct {
	EmployeeID uuid.UUID
	EmployeeNo string
	// PIN is what the employee types or is known by on this device.
	PIN       string
	Name      string
	Cards     []string
	Templates []Template
	// Removed: the employee may no longer use the device (left, moved,
	// access withdrawn); the device deletes them.
	Removed bool
}

// RosterPage is one page of a roster.
type RosterPage struct {
	Items []RosterEntry
	// NextCursor continues this roster (nil: complete).
	NextCursor *string
	// Since is what to send as since= next time, once every page is in.
	Since string
	// Full: this is the whole roster (first sync, or the device moved to
	// another site); the device drops the users it was not sent.
	Full bool
}

// rosterCursor is what roster cursors carry (opaque to devices).
type rosterCursor struct {
	// Sync is the instant this roster reflects; the next delta starts there.
	Sync time.Time `json:"a"`
	// Since is the delta's start (zero: full roster).
	Since time.Time `json:"s,omitzero"`
	// After is the last employee_no sent.
	After string `json:"n,omitempty"`
}

func encodeRoster(c rosterCursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeRoster(s, field string) (rosterCursor, error) {
	var c rosterCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.Sync.IsZero() {
		return c, errs.FieldErr(field, "invalid_cursor", "the cursor is not one this server issued")
	}
	return c, nil
}

// rosterMargin covers clock differences between replicas and transactions
// that committed a change stamped just before a delta was taken: deltas
// overlap a little rather than miss a change (entries are idempotent).
const rosterMargin = 10 * time.Second

// Roster returns a native device's roster: in full the first time (since
// empty) and whenever the device changed site, else the employees whose
// entry changed since the since cursor, those no longer permitted marked
// Removed. cursor continues a page.
func (s *Service) Roster(ctx context.Context, d Device, since, cursor *string, limit int) (RosterPage, error) {
	if limit <= 0 || limit > 1000 {
		limit = 500
	}
	var c rosterCursor
	switch {
	case cursor != nil && *cursor != "":
		var err error
		if c, err = decodeRoster(*cursor, "cursor"); err != nil {
			return RosterPage{}, err
		}
	default:
		c.Sync = s.o.Now().Add(-rosterMargin).UTC()
		if since != nil && *since != "" {
			prev, err := decodeRoster(*since, "since")
			if err != nil {
				return RosterPage{}, err
			}
			c.Since = prev.Sync
		}
	}
	full := c.Since.IsZero() || c.Since.Before(d.RosterResetAt)
	enrolled, err := s.enrolledOn(ctx, s.pool, d)
	if err != nil {
		return RosterPage{}, err
	}
	isEnrolled := map[uuid.UUID]bool{}
	for _, id := range enrolled {
		isEnrolled[id] = true
	}
	q := org.TerminalRosterQuery{AfterNo: c.After, Limit: limit}
	if full {
		q.SiteID, q.IDs = &d.SiteID, enrolled
	} else {
		since := c.Since
		q.Since = &since
		rows, err := s.pool.Query(ctx, `SELECT employee_id FROM terminal_roster_changes WHERE tenant_id = $1 AND changed_at > $2`,
			d.TenantID, since)
		if err != nil {
			return RosterPage{}, fmt.Errorf("roster: %w", err)
		}
		if q.IDs, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID]); err != nil {
			return RosterPage{}, fmt.Errorf("roster: %w", err)
		}
	}
	es, err := s.org.TerminalRoster(ctx, d.TenantID, q)
	if err != nil {
		return RosterPage{}, err
	}
	out := RosterPage{Items: []RosterEntry{}, Full: full, Since: encodeRoster(rosterCursor{Sync: c.Sync})}
	if len(es) == 0 {
		return out, nil
	}
	ids := make([]uuid.UUID, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	pins, err := devicePINs(ctx, s.pool, d)
	if err != nil {
		return RosterPage{}, err
	}
	cards, tmpls, err := s.rosterExtras(ctx, d.TenantID, ids)
	if err != nil {
		return RosterPage{}, err
	}
	for _, e := range es {
		permitted := e.Status == org.StatusActive && (e.PermittedAt(d.SiteID) || isEnrolled[e.ID])
		if full && !permitted {
			continue
		}
		pin := e.EmployeeNo
		if p, ok := pins[e.ID]; ok {
			pin = p
		}
		en := RosterEntry{EmployeeID: e.ID, EmployeeNo: e.EmployeeNo, PIN: pin, Name: e.Name, Removed: !permitted,
			Cards: []string{}, Templates: []Template{}}
		if permitted {
			if e.CardNo != nil {
				en.Cards = append(en.Cards, *e.CardNo)
			}
			en.Cards = append(en.Cards, cards[e.ID]...)
			en.Templates = append(en.Templates, tmpls[e.ID]...)
		}
		out.Items = append(out.Items, en)
	}
	if len(es) == limit {
		next := encodeRoster(rosterCursor{Sync: c.Sync, Since: c.Since, After: es[len(es)-1].EmployeeNo})
		out.NextCursor = &next
	}
	return out, nil
}

// rosterExtras loads the extra cards and approved templates of employees.
func (s *Service) rosterExtras(ctx context.Context, tenant uuid.UUID, ids []uuid.UUID) (map[uuid.UUID][]string, map[uuid.UUID][]Template, error) {
	cards := map[uuid.UUID][]string{}
	rows, err := s.pool.Query(ctx, `SELECT employee_id, card_no FROM employee_cards WHERE tenant_id = $1 AND employee_id = ANY($2::uuid[])
		ORDER BY created_at, card_no`, tenant, ids)
	if err != nil {
		return nil, nil, fmt.Errorf("roster cards: %w", err)
	}
	for rows.Next() {
		var id uuid.UUID
		var c string
		if err := rows.Scan(&id, &c); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("roster cards: %w", err)
		}
		cards[id] = append(cards[id], c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("roster cards: %w", err)
	}
	rows, err = s.pool.Query(ctx, `SELECT `+templateCols+templateFrom+` WHERE t.tenant_id = $1 AND t.employee_id = ANY($2::uuid[])
		AND t.status = 'approved' ORDER BY t.created_at, t.id`, tenant, ids)
	if err != nil {
		return nil, nil, fmt.Errorf("roster templates: %w", err)
	}
	ts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Template, error) { return scanTemplate(r) })
	if err != nil {
		return nil, nil, fmt.Errorf("roster templates: %w", err)
	}
	tmpls := map[uuid.UUID][]Template{}
	for _, t := range ts {
		tmpls[*t.EmployeeID] = append(tmpls[*t.EmployeeID], t)
	}
	return cards, tmpls, nil
}
