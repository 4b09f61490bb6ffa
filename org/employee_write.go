package org

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/internal/errs"
)

// checkRefs verifies that the department, manager and sites e points at exist
// in the tenant (and that sites are not deleted), with errors per field.
func checkRefs(ctx context.Context, q querier, tenant uuid.UUID, e Employee) error {
	var f errs.Fields
	var ok bool
	if e.DepartmentID != nil {
		if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM departments WHERE tenant_id = $1 AND id = $2)`, tenant, *e.DepartmentID).Scan(&ok); err != nil {
			return err
		}
		if !ok {
			f.Add("department_id", "unknown_department", "no such department")
		}
	}
	if e.ManagerID != nil {
		// The manager chain must not loop back to e: 0 = no such manager,
		// 1 = fine, 2 = the chain reaches e.
		var state int
		err := q.QueryRow(ctx, `WITH RECURSIVE up AS (
			SELECT id, manager_id, 1 AS depth FROM employees WHERE tenant_id = $1 AND id = $2
			UNION ALL SELECT m.id, m.manager_id, up.depth + 1 FROM employees m JOIN up ON m.id = up.manager_id
			WHERE m.tenant_id = $1 AND up.depth < 1000)
			SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM up) THEN 0 WHEN EXISTS (SELECT 1 FROM up WHERE id = $3) THEN 2 ELSE 1 END`,
			tenant, *e.ManagerID, e.ID).Scan(&state)
		if err != nil {
			return err
		}
		switch state {
		case 0:
			f.Add("manager_id", "unknown_manager", "no such employee")
		case 2:
			f.Add("manager_id", "manager_cycle", "this manager reports (directly or not) to the employee")
		}
	}
	if len(e.SiteIDs) > 0 {
		var n int
		if err := q.QueryRow(ctx, `SELECT count(*) FROM sites WHERE tenant_id = $1 AND id = ANY($2) AND deleted_at IS NULL`,
			tenant, e.SiteIDs).Scan(&n); err != nil {
			return err
		}
		if n != len(e.SiteIDs) {
			f.Add("site_ids", "unknown_site", "one or more sites do not exist")
		}
	}
	return f.Err()
}

func (s *Service) insertEmployee(ctx context.Context, tx pgx.Tx, a Actor, e Employee, password *string, now time.Time) (Employee, error) {
	if err := checkRefs(ctx, tx, a.TenantID, e); err != nil {
		return Employee{}, err
	}
	var hash *string
	var setAt *time.Time
	if password != nil {
		h := HashPassword(*password, s.o.PasswordHashCost)
		hash, setAt = &h, &now
	}
	_, err := tx.Exec(ctx, `INSERT INTO employees (tenant_id, id, employee_no, name, department_id, manager_id, email, phone,
		timezone, status, role, card_no, password_hash, password_set_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)`,
		a.TenantID, e.ID, e.EmployeeNo, e.Name, e.DepartmentID, e.ManagerID, e.Email, e.Phone, e.Timezone, e.Status, e.Role,
		e.CardNo, hash, setAt, now)
	if err != nil {
		return Employee{}, interpret(err, "employee")
	}
	if err := setSites(ctx, tx, a.TenantID, e.ID, e.SiteIDs); err != nil {
		return Employee{}, err
	}
	return s.getEmployee(ctx, tx, a.TenantID, e.ID)
}

func setSites(ctx context.Context, tx pgx.Tx, tenant, emp uuid.UUID, ids []uuid.UUID) error {
	if _, err := tx.Exec(ctx, `DELETE FROM employee_sites WHERE tenant_id = $1 AND employee_id = $2`, tenant, emp); err != nil {
		return fmt.Errorf("set sites: %w", err)
	}
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO employee_sites (tenant_id, employee_id, site_id) SELECT $1, $2, unnest($3::uuid[])`, tenant, emp, ids)
	return interpret(err, "employee sites")
}

// UpdateEmployee changes the fields set in in. Admins only. The last active
// admin of a tenant cannot be demoted or marked as left.
func (s *Service) UpdateEmployee(ctx context.Context, a Actor, id uuid.UUID, in EmployeeInput) (Employee, error) {
	if !a.IsAdmin() {
		return Employee{}, errForbidden()
	}
	now := s.now()
	var out Employee
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		before, err := scanEmployee(tx.QueryRow(ctx, `SELECT `+employeeCols+` FROM employees e WHERE e.tenant_id = $1 AND e.id = $2 FOR UPDATE`,
			a.TenantID, id))
		if err != nil {
			return interpret(err, "employee")
		}
		e := before
		if err := in.apply(&e, false, s.o.DefaultTimezone); err != nil {
			return err
		}
		if err := checkRefs(ctx, tx, a.TenantID, e); err != nil {
			return err
		}
		if before.Role == RoleAdmin && before.Status == StatusActive && (e.Role != RoleAdmin || e.Status != StatusActive) {
			var others int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM employees WHERE tenant_id = $1 AND id <> $2 AND role = 'admin' AND status = 'active'`,
				a.TenantID, id).Scan(&others); err != nil {
				return err
			}
			if others == 0 {
				return errs.New(errs.Conflict, "last_admin", "this is the tenant's last active admin")
			}
		}
		var hash *string
		if in.Password != nil {
			h := HashPassword(*in.Password, s.o.PasswordHashCost)
			hash = &h
		}
		_, err = tx.Exec(ctx, `UPDATE employees SET employee_no = $3, name = $4, department_id = $5, manager_id = $6, email = $7,
			phone = $8, timezone = $9, status = $10, role = $11, card_no = $12,
			password_hash = coalesce($13, password_hash), password_set_at = CASE WHEN $13::text IS NULL THEN password_set_at ELSE $14 END,
			updated_at = $14 WHERE tenant_id = $1 AND id = $2`,
			a.TenantID, id, e.EmployeeNo, e.Name, e.DepartmentID, e.ManagerID, e.Email, e.Phone, e.Timezone, e.Status, e.Role,
			e.CardNo, hash, now)
		if err != nil {
			return interpret(err, "employee")
		}
		if in.SiteIDs != nil {
			if err := setSites(ctx, tx, a.TenantID, id, e.SiteIDs); err != nil {
				return err
			}
		}
		// Leaving, demotion or a new password end the sessions the old facts allowed.
		if e.Status != before.Status || e.Role != before.Role || hash != nil {
			if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND employee_id = $2 AND revoked_at IS NULL`,
				a.TenantID, id, now); err != nil {
				return err
			}
		}
		out, err = s.getEmployee(ctx, tx, a.TenantID, id)
		if err != nil {
			return err
		}
		if err := s.EmployeeChanged(ctx, tx, before, out); err != nil {
			return err
		}
		changes := diffEmployee(before, out)
		if hash != nil {
			changes["password"] = "changed"
		}
		if len(changes) == 0 {
			return nil
		}
		return writeAudit(ctx, tx, a, now, "employee.update", "employee", id.String(), changes)
	})
	s.punches.forget(a.TenantID, id)
	return out, err
}

// employeeSnapshot is what the audit trail keeps of a new employee (no secrets).
func employeeSnapshot(e Employee) map[string]any {
	return map[string]any{
		"employee_no": e.EmployeeNo, "name": e.Name, "role": e.Role, "status": e.Status,
		"department_id": e.DepartmentID, "manager_id": e.ManagerID, "email": e.Email, "phone": e.Phone,
		"timezone": e.Timezone, "card_no": e.CardNo, "site_ids": e.SiteIDs, "has_password": e.HasPassword,
	}
}

func diffEmployee(a, b Employee) map[string]any {
	m := map[string]any{}
	sa, sb := employeeSnapshot(a), employeeSnapshot(b)
	for k, va := range sa {
		if fmt.Sprint(deref(va)) != fmt.Sprint(deref(sb[k])) {
			change(m, k, va, sb[k])
		}
	}
	if !slices.Equal(a.SiteIDs, b.SiteIDs) {
		change(m, "site_ids", a.SiteIDs, b.SiteIDs)
	}
	return m
}

func deref(v any) any {
	switch p := v.(type) {
	case *string:
		if p == nil {
			return nil
		}
		return *p
	case *uuid.UUID:
		if p == nil {
			return nil
		}
		return *p
	}
	return v
}
