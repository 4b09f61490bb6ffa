package org

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// What package devices needs from org: employees looked up the way door
// terminals name them (employee number, card, id), the roster a terminal
// should hold, and a hook that runs inside the transaction that changes an
// employee so terminals can be told (DATA UPDATE USERINFO) in the same
// commit.

// EmployeeChangedFunc is called inside the transaction that created or
// changed an employee, after the change is written. before is the zero
// Employee for a new one. An error rolls the change back.
type EmployeeChangedFunc func(ctx context.Context, tx pgx.Tx, before, after Employee) error

// OnEmployeeChanged registers f to run on every employee creation and
// change (see EmployeeChanged). Register hooks while wiring, before serving.
func (s *Service) OnEmployeeChanged(f EmployeeChangedFunc) {
	s.hooks.Lock()
	defer s.hooks.Unlock()
	s.hooks.employee = append(s.hooks.employee, f)
}

// EmployeeChanged runs the registered hooks in registration order, inside
// tx, and stops at the first error. CreateEmployee, UpdateEmployee and the
// import call it after writing the employee and before committing.
func (s *Service) EmployeeChanged(ctx context.Context, tx pgx.Tx, before, after Employee) error {
	s.hooks.RLock()
	hooks := s.hooks.employee
	s.hooks.RUnlock()
	for _, f := range hooks {
		if err := f(ctx, tx, before, after); err != nil {
			return fmt.Errorf("employee changed: %w", err)
		}
	}
	return nil
}

func (s *Service) hasEmployeeHooks() bool {
	s.hooks.RLock()
	defer s.hooks.RUnlock()
	return len(s.hooks.employee) > 0
}

// EmployeesByNumbers returns the tenant's employees (active or not) whose
// employee_no is one of nos.
func (s *Service) EmployeesByNumbers(ctx context.Context, tenant uuid.UUID, nos []string) ([]Employee, error) {
	if len(nos) == 0 {
		return nil, nil
	}
	return s.collectEmployees(ctx, `SELECT `+employeeCols+` FROM employees e WHERE e.tenant_id = $1 AND e.employee_no = ANY($2::text[])`,
		tenant, nos)
}

// EmployeesByCards returns the tenant's employees whose card_no is one of
// cards.
func (s *Service) EmployeesByCards(ctx context.Context, tenant uuid.UUID, cards []string) ([]Employee, error) {
	if len(cards) == 0 {
		return nil, nil
	}
	return s.collectEmployees(ctx, `SELECT `+employeeCols+` FROM employees e WHERE e.tenant_id = $1 AND e.card_no = ANY($2::text[])`,
		tenant, cards)
}

// EmployeesByIDs returns the tenant's employees with these ids (ids of
// another tenant are simply absent).
func (s *Service) EmployeesByIDs(ctx context.Context, tenant uuid.UUID, ids []uuid.UUID) ([]Employee, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return s.collectEmployees(ctx, `SELECT `+employeeCols+` FROM employees e WHERE e.tenant_id = $1 AND e.id = ANY($2::uuid[])`,
		tenant, ids)
}

// TerminalRosterQuery selects a page of a terminal's roster, ordered by
// employee_no.
type TerminalRosterQuery struct {
	// SiteID (full roster): active employees permitted at this site, plus
	// IDs. Ignored when Since is set.
	SiteID *uuid.UUID
	// Since (delta): employees changed after Since, plus IDs, whatever their
	// status and sites (the caller reports those no longer permitted as
	// removed).
	Since *time.Time
	// IDs are included whatever the other conditions say (explicit
	// enrolments for a full roster, other changes for a delta).
	IDs []uuid.UUID
	// AfterNo continues after this employee_no; Limit caps the page.
	AfterNo string
	Limit   int
}

// TerminalRoster returns one page of the employees a terminal roster is
// built from (see TerminalRosterQuery).
func (s *Service) TerminalRoster(ctx context.Context, tenant uuid.UUID, q TerminalRosterQuery) ([]Employee, error) {
	if q.Limit <= 0 {
		q.Limit = 500
	}
	ids := q.IDs
	if ids == nil {
		ids = []uuid.UUID{}
	}
	if q.Since != nil {
		return s.collectEmployees(ctx, `SELECT `+employeeCols+` FROM employees e WHERE e.tenant_id = $1
			AND (e.updated_at > $2 OR e.id = ANY($3::uuid[])) AND e.employee_no > $4 ORDER BY e.employee_no LIMIT $5`,
			tenant, *q.Since, ids, q.AfterNo, q.Limit)
	}
	var site uuid.UUID
	if q.SiteID != nil {
		site = *q.SiteID
	}
	return s.collectEmployees(ctx, `SELECT `+employeeCols+` FROM employees e WHERE e.tenant_id = $1 AND e.employee_no > $4
		AND (e.id = ANY($3::uuid[]) OR (e.status = 'active' AND (
			NOT EXISTS (SELECT 1 FROM employee_sites es WHERE es.tenant_id = e.tenant_id AND es.employee_id = e.id)
			OR EXISTS (SELECT 1 FROM employee_sites es WHERE es.tenant_id = e.tenant_id AND es.employee_id = e.id AND es.site_id = $2))))
		ORDER BY e.employee_no LIMIT $5`, tenant, site, ids, q.AfterNo, q.Limit)
}

// PermittedAt reports whether e's site permissions allow site (explicit
// terminal enrolments are package devices' business).
func (e Employee) PermittedAt(site uuid.UUID) bool {
	if e.AllSites {
		return true
	}
	for _, id := range e.SiteIDs {
		if id == site {
			return true
		}
	}
	return false
}

func (s *Service) collectEmployees(ctx context.Context, sql string, args ...any) ([]Employee, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("employees for terminals: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Employee, error) { return scanEmployee(r) })
	if err != nil {
		return nil, fmt.Errorf("employees for terminals: %w", err)
	}
	return out, nil
}
