package org

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/org/empsheet"
)

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// writeImport writes resolved rows: COPY into a temporary table, then one
// INSERT for new employees and one UPDATE (of the present columns only) for
// existing ones, then managers and sites. 10,000 rows take a few statements.
func (s *Service) writeImport(ctx context.Context, tx pgx.Tx, a Actor, rows []*importRow, res *empsheet.Result, now time.Time, out *ImportOutcome) error {
	present := map[string]bool{}
	if len(res.Rows) > 0 {
		present = res.Rows[0].Present
	}
	paths, err := departmentPaths(ctx, tx, a.TenantID)
	if err != nil {
		return err
	}
	var ok []*importRow
	for _, r := range rows {
		if r.failed {
			continue
		}
		if len(r.newDepts) > 0 {
			id, err := s.ensureDepartment(ctx, tx, a, paths, r.newDepts[0], now)
			if err != nil {
				return err
			}
			r.deptID = &id
		}
		ok = append(ok, r)
	}
	if len(ok) == 0 {
		return nil
	}
	// Terminals mirror employees: hooks see each imported change, with the
	// state before it.
	hooks := s.hasEmployeeHooks()
	before := map[uuid.UUID]Employee{}
	if hooks {
		ids := make([]uuid.UUID, 0, len(ok))
		for _, r := range ok {
			if r.exists {
				ids = append(ids, r.id)
			}
		}
		es, err := s.collectEmployeesTx(ctx, tx, `SELECT `+employeeCols+` FROM employees e WHERE e.tenant_id = $1 AND e.id = ANY($2)`, a.TenantID, ids)
		if err != nil {
			return err
		}
		for _, e := range es {
			before[e.ID] = e
		}
	}
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE imp (id uuid, employee_no text, name text, department_id uuid, email text,
		phone text, timezone text, status text, role text, card_no text, manager_no text, is_new bool) ON COMMIT DROP`); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"imp"},
		[]string{"id", "employee_no", "name", "department_id", "email", "phone", "timezone", "status", "role", "card_no", "manager_no", "is_new"},
		pgx.CopyFromSlice(len(ok), func(i int) ([]any, error) {
			r := ok[i]
			var email *string
			if r.Email != "" {
				e := strings.ToLower(r.Email)
				email = &e
			}
			return []any{r.id, r.EmployeeNo, r.Name, r.deptID, email, nonEmpty(r.Phone), nonEmpty(r.Timezone), nonEmpty(r.Status),
				nonEmpty(r.Role), nonEmpty(r.CardNo), nonEmpty(r.ManagerNo), !r.exists}, nil
		}))
	if err != nil {
		return fmt.Errorf("import: copy: %w", err)
	}
	created, err := tx.Exec(ctx, `INSERT INTO employees (tenant_id, id, employee_no, name, department_id, email, phone, timezone,
		status, role, card_no, created_at, updated_at)
		SELECT $1, id, employee_no, name, department_id, email, phone, coalesce(timezone, $2), coalesce(status, 'active'),
		       coalesce(role, 'employee'), card_no, $3, $3 FROM imp WHERE is_new`, a.TenantID, s.o.DefaultTimezone, now)
	if err != nil {
		return interpret(err, "import")
	}
	out.Created = int(created.RowsAffected())

	// Existing employees: only the columns the file has change.
	sets := []string{"name = i.name"}
	cmpOld, cmpNew := []string{"e.name"}, []string{"i.name"}
	col := func(key, set, old, nw string) {
		if present[key] {
			sets, cmpOld, cmpNew = append(sets, set), append(cmpOld, old), append(cmpNew, nw)
		}
	}
	col("department", "department_id = i.department_id", "e.department_id", "i.department_id")
	col("email", "email = i.email", "e.email", "i.email")
	col("phone", "phone = i.phone", "e.phone", "i.phone")
	col("card_no", "card_no = i.card_no", "e.card_no", "i.card_no")
	col("timezone", "timezone = coalesce(i.timezone, e.timezone)", "e.timezone", "coalesce(i.timezone, e.timezone)")
	col("status", "status = coalesce(i.status, e.status)", "e.status", "coalesce(i.status, e.status)")
	col("role", "role = coalesce(i.role, e.role)", "e.role", "coalesce(i.role, e.role)")
	changed := map[uuid.UUID]bool{}
	urows, err := tx.Query(ctx, `UPDATE employees e SET `+strings.Join(sets, ", ")+`, updated_at = $2 FROM imp i
		WHERE e.tenant_id = $1 AND e.employee_no = i.employee_no AND NOT i.is_new
		AND (`+strings.Join(cmpOld, ", ")+`) IS DISTINCT FROM (`+strings.Join(cmpNew, ", ")+`) RETURNING e.id`, a.TenantID, now)
	if err != nil {
		return interpret(err, "import")
	}
	ids, err := pgx.CollectRows(urows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return interpret(err, "import")
	}
	for _, id := range ids {
		changed[id] = true
	}
	if present["manager_no"] {
		mrows, err := tx.Query(ctx, `UPDATE employees e SET manager_id = m.id, updated_at = $2 FROM imp i
			LEFT JOIN employees m ON m.tenant_id = $1 AND m.employee_no = i.manager_no
			WHERE e.tenant_id = $1 AND e.employee_no = i.employee_no AND e.manager_id IS DISTINCT FROM m.id RETURNING e.id`, a.TenantID, now)
		if err != nil {
			return interpret(err, "import")
		}
		ids, err := pgx.CollectRows(mrows, pgx.RowTo[uuid.UUID])
		if err != nil {
			return interpret(err, "import")
		}
		for _, id := range ids {
			changed[id] = true
		}
	}
	if present["sites"] {
		if err := importSites(ctx, tx, a.TenantID, ok, changed); err != nil {
			return err
		}
	}
	if present["status"] {
		if _, err := tx.Exec(ctx, `UPDATE refresh_tokens t SET revoked_at = $2 FROM employees e
			WHERE e.tenant_id = $1 AND t.tenant_id = $1 AND t.employee_id = e.id AND e.status = 'left' AND t.revoked_at IS NULL
			AND e.employee_no IN (SELECT employee_no FROM imp)`, a.TenantID, now); err != nil {
			return err
		}
	}
	if hooks {
		var ids []uuid.UUID
		for _, r := range ok {
			if !r.exists || changed[r.id] {
				ids = append(ids, r.id)
			}
		}
		after, err := s.collectEmployeesTx(ctx, tx, `SELECT `+employeeCols+` FROM employees e WHERE e.tenant_id = $1 AND e.id = ANY($2)`, a.TenantID, ids)
		if err != nil {
			return err
		}
		for _, e := range after {
			if err := s.EmployeeChanged(ctx, tx, before[e.ID], e); err != nil {
				return err
			}
		}
	}
	var createdNos, updatedNos []string
	for _, r := range ok {
		switch {
		case !r.exists:
			createdNos = append(createdNos, r.EmployeeNo)
		case changed[r.id]:
			out.Updated++
			updatedNos = append(updatedNos, r.EmployeeNo)
		default:
			out.Unchanged++
		}
	}
	return writeAudit(ctx, tx, a, now, "employee.import", "employee", "*", map[string]any{
		"created": createdNos, "updated": updatedNos, "failed": out.Failed, "columns": presentKeys(present)})
}

func presentKeys(p map[string]bool) []string {
	var k []string
	for key := range p {
		k = append(k, key)
	}
	slices.Sort(k)
	return k
}

// importSites replaces the site restrictions of the imported employees whose
// set differs, and marks them changed.
func importSites(ctx context.Context, tx pgx.Tx, tenant uuid.UUID, rows []*importRow, changed map[uuid.UUID]bool) error {
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		ids[i] = r.id
	}
	cur := map[uuid.UUID][]uuid.UUID{}
	crows, err := tx.Query(ctx, `SELECT employee_id, array_agg(site_id ORDER BY site_id) FROM employee_sites
		WHERE tenant_id = $1 AND employee_id = ANY($2) GROUP BY employee_id`, tenant, ids)
	if err != nil {
		return fmt.Errorf("import sites: %w", err)
	}
	for crows.Next() {
		var id uuid.UUID
		var sites []uuid.UUID
		if err := crows.Scan(&id, &sites); err != nil {
			crows.Close()
			return err
		}
		cur[id] = sites
	}
	if err := crows.Err(); err != nil {
		return err
	}
	var empIDs, siteIDs, replace []uuid.UUID
	for _, r := range rows {
		want := slices.Clone(r.siteIDs)
		slices.SortFunc(want, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
		want = slices.Compact(want)
		if slices.Equal(want, cur[r.id]) {
			continue
		}
		replace = append(replace, r.id)
		if r.exists {
			changed[r.id] = true
		}
		for _, s := range want {
			empIDs, siteIDs = append(empIDs, r.id), append(siteIDs, s)
		}
	}
	if len(replace) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `DELETE FROM employee_sites WHERE tenant_id = $1 AND employee_id = ANY($2)`, tenant, replace); err != nil {
		return fmt.Errorf("import sites: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO employee_sites (tenant_id, employee_id, site_id) SELECT $1, unnest($2::uuid[]), unnest($3::uuid[])`,
		tenant, empIDs, siteIDs)
	return interpret(err, "import sites")
}

func (s *Service) collectEmployeesTx(ctx context.Context, q querier, sql string, args ...any) ([]Employee, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("employees: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Employee, error) { return scanEmployee(r) })
	if err != nil {
		return nil, fmt.Errorf("employees: %w", err)
	}
	return out, nil
}
