package org

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dakahq/daka/internal/errs"
)

// This file holds the read functions the approval engine (attendance) needs
// from the organisation: who manages whom, who heads a department, who has
// a role. They take a Querier so they can run inside the caller's
// transaction and see the same snapshot as the change being made. ActiveAdmins is in
// notify_support.go.
//
// A department's head is its head_employee_id when an admin has named one
// and that employee is active; otherwise every active manager-role employee
// of the department. "N levels up" counts departments upwards from the
// first one the employee does not head: for an ordinary employee level 1 is
// their own department, for a department's head it is the parent.

// Querier is what pgxpool.Pool and pgx.Tx have in common.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// EmployeeBrief is what an approver needs to see about a requester.
type EmployeeBrief struct {
	ID             uuid.UUID
	EmployeeNo     string
	Name           string
	Role           Role
	Status         Status
	Timezone       string
	DepartmentID   *uuid.UUID
	DepartmentName *string
	ManagerID      *uuid.UUID
}

const briefCols = `e.id, e.employee_no, e.name, e.role, e.status, e.timezone, e.department_id, d.name, e.manager_id`

const briefFrom = ` FROM employees e LEFT JOIN departments d ON d.tenant_id = e.tenant_id AND d.id = e.department_id`

func scanBrief(r pgx.Row) (EmployeeBrief, error) {
	var b EmployeeBrief
	err := r.Scan(&b.ID, &b.EmployeeNo, &b.Name, &b.Role, &b.Status, &b.Timezone, &b.DepartmentID, &b.DepartmentName, &b.ManagerID)
	return b, err
}

// EmployeeBriefs returns the employees of ids that exist in the tenant.
func EmployeeBriefs(ctx context.Context, q Querier, tenant uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]EmployeeBrief, error) {
	out := make(map[uuid.UUID]EmployeeBrief, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := q.Query(ctx, `SELECT `+briefCols+briefFrom+` WHERE e.tenant_id = $1 AND e.id = ANY($2)`, tenant, ids)
	if err != nil {
		return nil, fmt.Errorf("employee briefs: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (EmployeeBrief, error) { return scanBrief(r) })
	if err != nil {
		return nil, fmt.Errorf("employee briefs: %w", err)
	}
	for _, b := range list {
		out[b.ID] = b
	}
	return out, nil
}

// LockEmployee reads an employee and holds a row lock on them until tx ends,
// so checks that count their records (quotas) cannot race each other. The
// lock (FOR NO KEY UPDATE) does not block inserts that reference the row.
func LockEmployee(ctx context.Context, tx pgx.Tx, tenant, id uuid.UUID) (EmployeeBrief, error) {
	b, err := scanBrief(tx.QueryRow(ctx, `SELECT `+briefCols+briefFrom+` WHERE e.tenant_id = $1 AND e.id = $2 FOR NO KEY UPDATE OF e`, tenant, id))
	return b, interpret(err, "employee")
}

// ActiveEmployees returns those of ids that are active employees of the
// tenant, in the order given, without duplicates.
func ActiveEmployees(ctx context.Context, q Querier, tenant uuid.UUID, ids []uuid.UUID) ([]uuid.UUID, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := q.Query(ctx, `SELECT id FROM employees WHERE tenant_id = $1 AND id = ANY($2) AND status = 'active'`, tenant, ids)
	if err != nil {
		return nil, fmt.Errorf("active employees: %w", err)
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("active employees: %w", err)
	}
	var out []uuid.UUID
	for _, id := range ids {
		if slices.Contains(found, id) && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// EmployeesWithRole returns the tenant's active employees with role, by id.
func EmployeesWithRole(ctx context.Context, q Querier, tenant uuid.UUID, role Role) ([]uuid.UUID, error) {
	rows, err := q.Query(ctx, `SELECT id FROM employees WHERE tenant_id = $1 AND role = $2 AND status = 'active' ORDER BY id`, tenant, role)
	if err != nil {
		return nil, fmt.Errorf("employees with role: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("employees with role: %w", err)
	}
	return ids, nil
}

// departmentHeadLevels returns the heads of the employee's department and of
// each department above it, nearest first (an empty level has no head).
func departmentHeadLevels(ctx context.Context, q Querier, tenant, emp uuid.UUID) ([][]uuid.UUID, error) {
	rows, err := q.Query(ctx, `WITH RECURSIVE up AS (
		  SELECT d.id, d.parent_id, d.head_employee_id, 1 AS lvl FROM departments d
		  WHERE d.tenant_id = $1 AND d.id = (SELECT department_id FROM employees WHERE tenant_id = $1 AND id = $2)
		  UNION ALL
		  SELECT p.id, p.parent_id, p.head_employee_id, up.lvl + 1 FROM departments p JOIN up ON p.id = up.parent_id
		  WHERE p.tenant_id = $1 AND up.lvl < 64
		)
		SELECT up.lvl, e.id FROM up LEFT JOIN employees e ON e.tenant_id = $1 AND e.status = 'active' AND (
		    e.id = up.head_employee_id
		    OR (e.department_id = up.id AND e.role = 'manager' AND NOT EXISTS (
		        SELECT 1 FROM employees h WHERE h.tenant_id = $1 AND h.id = up.head_employee_id AND h.status = 'active')))
		ORDER BY up.lvl, e.id`, tenant, emp)
	if err != nil {
		return nil, fmt.Errorf("department heads: %w", err)
	}
	var levels [][]uuid.UUID
	var lvl int
	var id *uuid.UUID
	_, err = pgx.ForEachRow(rows, []any{&lvl, &id}, func() error {
		for len(levels) < lvl {
			levels = append(levels, nil)
		}
		if id != nil {
			levels[lvl-1] = append(levels[lvl-1], *id)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("department heads: %w", err)
	}
	return levels, nil
}

// DepartmentHeads returns the heads levels up from emp (levels ≥ 1; see the
// file comment for how levels count), leaving out exclude. When that level
// has nobody left, the next level up answers; nil when no level does.
func DepartmentHeads(ctx context.Context, q Querier, tenant, emp uuid.UUID, levels int, exclude ...uuid.UUID) ([]uuid.UUID, error) {
	all, err := departmentHeadLevels(ctx, q, tenant, emp)
	if err != nil {
		return nil, err
	}
	start := 0
	for start < len(all) && slices.Contains(all[start], emp) {
		start++
	}
	for i := start + max(levels, 1) - 1; i < len(all); i++ {
		var out []uuid.UUID
		for _, id := range all[i] {
			if !slices.Contains(exclude, id) {
				out = append(out, id)
			}
		}
		if len(out) > 0 {
			return out, nil
		}
	}
	return nil, nil
}

// DirectManagers returns emp's direct manager: their manager_id when that
// employee is active, else the head of their department (one level up for a
// department's head), leaving out exclude. nil when there is none.
func DirectManagers(ctx context.Context, q Querier, tenant, emp uuid.UUID, exclude ...uuid.UUID) ([]uuid.UUID, error) {
	var mgr *uuid.UUID
	err := q.QueryRow(ctx, `SELECT m.id FROM employees e JOIN employees m ON m.tenant_id = e.tenant_id AND m.id = e.manager_id
		WHERE e.tenant_id = $1 AND e.id = $2 AND m.status = 'active'`, tenant, emp).Scan(&mgr)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("direct manager: %w", err)
	}
	if mgr != nil && !slices.Contains(exclude, *mgr) {
		return []uuid.UUID{*mgr}, nil
	}
	return DepartmentHeads(ctx, q, tenant, emp, 1, slices.Concat(exclude, []uuid.UUID{emp})...)
}

// DepartmentHead is a department's named head and who heads it in effect.
type DepartmentHead struct {
	DepartmentID   uuid.UUID
	HeadEmployeeID *uuid.UUID  // named by an admin; nil: the managers
	EffectiveHeads []uuid.UUID // who is asked as this department's head now
}

func (s *Service) departmentHead(ctx context.Context, q Querier, tenant, dept uuid.UUID) (DepartmentHead, error) {
	h := DepartmentHead{DepartmentID: dept}
	if err := q.QueryRow(ctx, `SELECT head_employee_id FROM departments WHERE tenant_id = $1 AND id = $2`, tenant, dept).
		Scan(&h.HeadEmployeeID); err != nil {
		return h, interpret(err, "department")
	}
	rows, err := q.Query(ctx, `SELECT e.id FROM employees e WHERE e.tenant_id = $1 AND e.status = 'active' AND (
		  e.id = $3 OR (e.department_id = $2 AND e.role = 'manager' AND NOT EXISTS (
		      SELECT 1 FROM employees h WHERE h.tenant_id = $1 AND h.id = $3 AND h.status = 'active')))
		ORDER BY e.id`, tenant, dept, h.HeadEmployeeID)
	if err != nil {
		return h, fmt.Errorf("department head: %w", err)
	}
	h.EffectiveHeads, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return h, fmt.Errorf("department head: %w", err)
	}
	if h.EffectiveHeads == nil {
		h.EffectiveHeads = []uuid.UUID{}
	}
	return h, nil
}

// GetDepartmentHead returns who heads a department. Admins and managers.
func (s *Service) GetDepartmentHead(ctx context.Context, a Actor, dept uuid.UUID) (DepartmentHead, error) {
	if a.Role == RoleEmployee {
		return DepartmentHead{}, errForbidden()
	}
	return s.departmentHead(ctx, s.pool, a.TenantID, dept)
}

// SetDepartmentHead names a department's head (nil: back to its managers).
// The head must be an active employee of the tenant. Admins only; audited.
func (s *Service) SetDepartmentHead(ctx context.Context, a Actor, dept uuid.UUID, head *uuid.UUID) (DepartmentHead, error) {
	if !a.IsAdmin() {
		return DepartmentHead{}, errForbidden()
	}
	now := s.now()
	var out DepartmentHead
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var before *uuid.UUID
		if err := tx.QueryRow(ctx, `SELECT head_employee_id FROM departments WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
			a.TenantID, dept).Scan(&before); err != nil {
			return interpret(err, "department")
		}
		if head != nil {
			ok, err := ActiveEmployees(ctx, tx, a.TenantID, []uuid.UUID{*head})
			if err != nil {
				return err
			}
			if len(ok) == 0 {
				return errs.FieldErr("employee_id", "unknown_employee", "no active employee with this id")
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE departments SET head_employee_id = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2`,
			a.TenantID, dept, head, now); err != nil {
			return interpret(err, "department")
		}
		var err error
		if out, err = s.departmentHead(ctx, tx, a.TenantID, dept); err != nil {
			return err
		}
		changes := map[string]any{}
		change(changes, "head_employee_id", before, head)
		return writeAudit(ctx, tx, a, now, "department.set_head", "department", dept.String(), changes)
	})
	return out, err
}
