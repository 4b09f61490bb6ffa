package org

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/internal/page"
)

const departmentCols = `id, parent_id, name, created_at, updated_at`

func scanDepartment(r pgx.Row) (Department, error) {
	var d Department
	err := r.Scan(&d.ID, &d.ParentID, &d.Name, &d.CreatedAt, &d.UpdatedAt)
	return d, err
}

func validDeptName(name string) (string, error) {
	v := strings.TrimSpace(name)
	if n := len([]rune(v)); n < 1 || n > 200 || strings.ContainsFunc(v, isControl) || strings.Contains(v, "/") {
		return "", errs.FieldErr("name", "invalid_name", "use 1–200 printable characters without '/' (it separates path levels in imports)")
	}
	return v, nil
}

// CreateDepartment adds a department under parent (nil: a root). Admins only.
func (s *Service) CreateDepartment(ctx context.Context, a Actor, name string, parent *uuid.UUID) (Department, error) {
	if !a.IsAdmin() {
		return Department{}, errForbidden()
	}
	name, err := validDeptName(name)
	if err != nil {
		return Department{}, err
	}
	now := s.now()
	id, _ := uuid.NewV7()
	var d Department
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if parent != nil {
			if _, err := s.getDepartment(ctx, tx, a.TenantID, *parent); err != nil {
				return errs.FieldErr("parent_id", "unknown_department", "no such parent department")
			}
		}
		var err error
		d, err = scanDepartment(tx.QueryRow(ctx, `INSERT INTO departments (tenant_id, id, parent_id, name, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $5) RETURNING `+departmentCols, a.TenantID, id, parent, name, now))
		if err != nil {
			return interpret(err, "department")
		}
		return writeAudit(ctx, tx, a, now, "department.create", "department", id.String(), map[string]any{"name": name, "parent_id": parent})
	})
	return d, err
}

func (s *Service) getDepartment(ctx context.Context, q querier, tenant, id uuid.UUID) (Department, error) {
	d, err := scanDepartment(q.QueryRow(ctx, `SELECT `+departmentCols+` FROM departments WHERE tenant_id = $1 AND id = $2`, tenant, id))
	return d, interpret(err, "department")
}

// GetDepartment returns a department. Every signed-in user may read the tree.
func (s *Service) GetDepartment(ctx context.Context, a Actor, id uuid.UUID) (Department, error) {
	return s.getDepartment(ctx, s.pool, a.TenantID, id)
}

// ListDepartments lists departments by id (creation order), optionally the
// children of one parent.
func (s *Service) ListDepartments(ctx context.Context, a Actor, parent *uuid.UUID, cursor *string, limit *int) ([]Department, *string, error) {
	cur, err := page.Decode(cursor)
	if err != nil {
		return nil, nil, err
	}
	n := page.Limit(limit)
	args := []any{a.TenantID}
	where := "tenant_id = $1"
	if parent != nil {
		args = append(args, *parent)
		where += fmt.Sprintf(" AND parent_id = $%d", len(args))
	}
	if cur != nil {
		args = append(args, cur.ID)
		where += fmt.Sprintf(" AND id > $%d", len(args))
	}
	args = append(args, n+1)
	rows, err := s.pool.Query(ctx, `SELECT `+departmentCols+` FROM departments WHERE `+where+fmt.Sprintf(` ORDER BY id LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, nil, fmt.Errorf("list departments: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Department, error) { return scanDepartment(r) })
	if err != nil {
		return nil, nil, fmt.Errorf("list departments: %w", err)
	}
	var next *string
	if len(out) > n {
		out = out[:n]
		next = page.Next(true, page.Cursor{ID: out[n-1].ID})
	}
	return out, next, nil
}

// UpdateDepartment renames and/or moves a department. Moving it under itself
// or its own subtree is refused. Admins only.
func (s *Service) UpdateDepartment(ctx context.Context, a Actor, id uuid.UUID, name *string, parent Opt[uuid.UUID]) (Department, error) {
	if !a.IsAdmin() {
		return Department{}, errForbidden()
	}
	now := s.now()
	var d Department
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		before, err := scanDepartment(tx.QueryRow(ctx, `SELECT `+departmentCols+` FROM departments WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, a.TenantID, id))
		if err != nil {
			return interpret(err, "department")
		}
		after := before
		changes := map[string]any{}
		if name != nil {
			v, err := validDeptName(*name)
			if err != nil {
				return err
			}
			after.Name = v
		}
		if parent.Set {
			after.ParentID = parent.V
			if parent.V != nil {
				var cyclic bool
				err := tx.QueryRow(ctx, `WITH RECURSIVE up AS (
					SELECT id, parent_id FROM departments WHERE tenant_id = $1 AND id = $2
					UNION SELECT d.id, d.parent_id FROM departments d JOIN up ON d.id = up.parent_id WHERE d.tenant_id = $1)
					SELECT EXISTS (SELECT 1 FROM up WHERE id = $3)`, a.TenantID, *parent.V, id).Scan(&cyclic)
				if err != nil {
					return err
				}
				if _, err := s.getDepartment(ctx, tx, a.TenantID, *parent.V); err != nil {
					return errs.FieldErr("parent_id", "unknown_department", "no such parent department")
				}
				if cyclic {
					return errs.FieldErr("parent_id", "department_cycle", "a department cannot move under itself or its own subtree")
				}
			}
		}
		if after.Name != before.Name {
			change(changes, "name", before.Name, after.Name)
		}
		if fmt.Sprint(deref(before.ParentID)) != fmt.Sprint(deref(after.ParentID)) {
			change(changes, "parent_id", before.ParentID, after.ParentID)
		}
		d, err = scanDepartment(tx.QueryRow(ctx, `UPDATE departments SET name = $3, parent_id = $4, updated_at = $5
			WHERE tenant_id = $1 AND id = $2 RETURNING `+departmentCols, a.TenantID, id, after.Name, after.ParentID, now))
		if err != nil {
			return interpret(err, "department")
		}
		if len(changes) == 0 {
			return nil
		}
		return writeAudit(ctx, tx, a, now, "department.update", "department", id.String(), changes)
	})
	return d, err
}

// DeleteDepartment removes a department with no children and no employees.
func (s *Service) DeleteDepartment(ctx context.Context, a Actor, id uuid.UUID) error {
	if !a.IsAdmin() {
		return errForbidden()
	}
	now := s.now()
	return s.inTx(ctx, func(tx pgx.Tx) error {
		d, err := s.getDepartment(ctx, tx, a.TenantID, id)
		if err != nil {
			return err
		}
		var used bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM departments WHERE tenant_id = $1 AND parent_id = $2)
			OR EXISTS (SELECT 1 FROM employees WHERE tenant_id = $1 AND department_id = $2)`, a.TenantID, id).Scan(&used); err != nil {
			return err
		}
		if used {
			return errs.New(errs.Conflict, "department_not_empty", "move its sub-departments and employees first")
		}
		if _, err := tx.Exec(ctx, `DELETE FROM departments WHERE tenant_id = $1 AND id = $2`, a.TenantID, id); err != nil {
			return interpret(err, "department")
		}
		return writeAudit(ctx, tx, a, now, "department.delete", "department", id.String(), map[string]any{"name": d.Name})
	})
}
