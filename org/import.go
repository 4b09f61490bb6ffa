package org

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/org/empsheet"
)

// ImportOutcome is what an employee import did (or, dry, would do).
type ImportOutcome struct {
	Created, Updated, Unchanged, Failed int
	Errors                              []empsheet.RowError
	IgnoredColumns                      []string
	DryRun, Atomic                      bool
}

// importRow is a parsed row resolved against the tenant.
type importRow struct {
	empsheet.Row
	id       uuid.UUID
	exists   bool
	deptID   *uuid.UUID
	siteIDs  []uuid.UUID
	failed   bool
	mgrNo    string
	newDepts []string // department paths to create
}

// ImportEmployees upserts parsed rows by employee number. Rows whose
// references do not resolve (unknown site or manager, taken email…) are
// reported and skipped; with atomic nothing is written unless every row is
// valid; with dryRun nothing is written at all. Missing departments are
// created from their paths. Only the columns present in the file change on
// existing employees. Admins only.
func (s *Service) ImportEmployees(ctx context.Context, a Actor, res *empsheet.Result, dryRun, atomic bool) (ImportOutcome, error) {
	if !a.IsAdmin() {
		return ImportOutcome{}, errForbidden()
	}
	out := ImportOutcome{Errors: append([]empsheet.RowError{}, res.Errors...), IgnoredColumns: res.IgnoredColumns,
		DryRun: dryRun, Atomic: atomic, Failed: res.FailedRows}
	if out.IgnoredColumns == nil {
		out.IgnoredColumns = []string{}
	}
	now := s.now()
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// Serialise imports per tenant: two at once would race on the same numbers.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('import:' || $1::text, 0))`, a.TenantID); err != nil {
			return err
		}
		rows, err := s.resolveImport(ctx, tx, a, res, &out)
		if err != nil {
			return err
		}
		if dryRun || (atomic && out.Failed > 0) {
			for _, r := range rows {
				if r.failed {
					continue
				}
				if r.exists {
					out.Updated++
				} else {
					out.Created++
				}
			}
			if atomic && out.Failed > 0 {
				out.Created, out.Updated = 0, 0
			}
			return nil
		}
		return s.writeImport(ctx, tx, a, rows, res, now, &out)
	})
	if !dryRun {
		s.punches.forget(a.TenantID, uuid.Nil)
	}
	return out, err
}

func (s *Service) resolveImport(ctx context.Context, tx pgx.Tx, a Actor, res *empsheet.Result, out *ImportOutcome) ([]*importRow, error) {
	present := map[string]bool{}
	if len(res.Rows) > 0 {
		present = res.Rows[0].Present
	}
	fail := func(r *importRow, col, code, msg string) {
		if !r.failed {
			r.failed = true
			out.Failed++
		}
		out.Errors = append(out.Errors, empsheet.RowError{Row: r.Line, Column: col, Code: code, Message: msg})
	}

	// Existing employees by number, with their email and phone owners.
	type existing struct {
		id          uuid.UUID
		admin, live bool
		manager     *uuid.UUID
	}
	byNo := map[string]existing{}
	noByID := map[uuid.UUID]string{}
	emailOwner, phoneOwner := map[string]string{}, map[string]string{}
	erows, err := tx.Query(ctx, `SELECT id, employee_no, lower(email), phone, role = 'admin', status = 'active', manager_id
		FROM employees WHERE tenant_id = $1`, a.TenantID)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	for erows.Next() {
		var ex existing
		var no string
		var email, phone *string
		if err := erows.Scan(&ex.id, &no, &email, &phone, &ex.admin, &ex.live, &ex.manager); err != nil {
			erows.Close()
			return nil, fmt.Errorf("import: %w", err)
		}
		byNo[no], noByID[ex.id] = ex, no
		if email != nil {
			emailOwner[*email] = no
		}
		if phone != nil {
			phoneOwner[*phone] = no
		}
	}
	if err := erows.Err(); err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}

	// Departments as paths from the root.
	deptPath, err := departmentPaths(ctx, tx, a.TenantID)
	if err != nil {
		return nil, err
	}
	// Live sites by name; a name shared by two sites cannot be imported.
	siteByName := map[string][]uuid.UUID{}
	srows, err := tx.Query(ctx, `SELECT id, lower(name) FROM sites WHERE tenant_id = $1 AND deleted_at IS NULL`, a.TenantID)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	for srows.Next() {
		var id uuid.UUID
		var name string
		if err := srows.Scan(&id, &name); err != nil {
			srows.Close()
			return nil, fmt.Errorf("import: %w", err)
		}
		siteByName[name] = append(siteByName[name], id)
	}
	if err := srows.Err(); err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}

	inFile := map[string]*importRow{}
	rows := make([]*importRow, 0, len(res.Rows))
	for _, row := range res.Rows {
		r := &importRow{Row: row}
		if ex, ok := byNo[row.EmployeeNo]; ok {
			r.id, r.exists = ex.id, true
			if ex.admin && ex.live && ((present["role"] && row.Role != "" && row.Role != string(RoleAdmin)) ||
				(present["status"] && row.Status == string(StatusLeft))) {
				fail(r, "role", "admin_change_not_allowed", "demote an admin or mark them as left in the app, not by import")
			}
		} else {
			r.id, _ = uuid.NewV7()
		}
		inFile[row.EmployeeNo] = r
		if present["email"] && row.Email != "" {
			e := strings.ToLower(row.Email)
			if owner, ok := emailOwner[e]; ok && owner != row.EmployeeNo {
				fail(r, "email", "email_taken", "employee "+owner+" already has this email")
			}
			emailOwner[e] = row.EmployeeNo
		}
		if present["phone"] && row.Phone != "" {
			if owner, ok := phoneOwner[row.Phone]; ok && owner != row.EmployeeNo {
				fail(r, "phone", "phone_taken", "employee "+owner+" already has this phone number")
			}
			phoneOwner[row.Phone] = row.EmployeeNo
		}
		if present["department"] && row.Department != "" {
			if id, ok := deptPath[strings.ToLower(row.Department)]; ok {
				r.deptID = &id
			} else {
				r.newDepts = append(r.newDepts, row.Department)
			}
		}
		if present["sites"] {
			for _, name := range row.Sites {
				ids := siteByName[strings.ToLower(name)]
				switch len(ids) {
				case 0:
					fail(r, "sites", "unknown_site", fmt.Sprintf("no site is named %q", name))
				case 1:
					r.siteIDs = append(r.siteIDs, ids[0])
				default:
					fail(r, "sites", "ambiguous_site", fmt.Sprintf("several sites are named %q; rename them first", name))
				}
			}
		}
		rows = append(rows, r)
	}

	// Managers: in the database or in the file, and no reporting cycles in
	// the graph the import would leave behind.
	managerOf := map[string]string{}
	for no, ex := range byNo {
		if ex.manager != nil {
			managerOf[no] = noByID[*ex.manager]
		}
	}
	for _, r := range rows {
		if !present["manager_no"] {
			continue
		}
		r.mgrNo = r.ManagerNo
		if r.ManagerNo == "" {
			delete(managerOf, r.EmployeeNo)
			continue
		}
		_, inDB := byNo[r.ManagerNo]
		m, inF := inFile[r.ManagerNo]
		if !inDB && (!inF || m.failed) {
			fail(r, "manager_no", "unknown_manager", fmt.Sprintf("no employee has number %q", r.ManagerNo))
			continue
		}
		managerOf[r.EmployeeNo] = r.ManagerNo
	}
	for _, r := range rows {
		if r.failed || r.mgrNo == "" {
			continue
		}
		seen := map[string]bool{r.EmployeeNo: true}
		for cur := managerOf[r.EmployeeNo]; cur != ""; cur = managerOf[cur] {
			if seen[cur] {
				fail(r, "manager_no", "manager_cycle", "this manager chain loops back to the employee")
				break
			}
			seen[cur] = true
		}
	}
	return rows, nil
}

// departmentPaths maps lower-cased "A/B/C" paths to department ids.
func departmentPaths(ctx context.Context, q querier, tenant uuid.UUID) (map[string]uuid.UUID, error) {
	rows, err := q.Query(ctx, `WITH RECURSIVE t AS (
		SELECT id, name::text AS path FROM departments WHERE tenant_id = $1 AND parent_id IS NULL
		UNION ALL SELECT d.id, t.path || '/' || d.name FROM departments d JOIN t ON d.parent_id = t.id WHERE d.tenant_id = $1)
		SELECT id, lower(path) FROM t`, tenant)
	if err != nil {
		return nil, fmt.Errorf("import: departments: %w", err)
	}
	m := map[string]uuid.UUID{}
	for rows.Next() {
		var id uuid.UUID
		var p string
		if err := rows.Scan(&id, &p); err != nil {
			rows.Close()
			return nil, err
		}
		m[p] = id
	}
	return m, rows.Err()
}

// ensureDepartment creates the missing levels of path and returns its id.
func (s *Service) ensureDepartment(ctx context.Context, tx pgx.Tx, a Actor, paths map[string]uuid.UUID, path string, now time.Time) (uuid.UUID, error) {
	var parent *uuid.UUID
	prefix := ""
	var id uuid.UUID
	for _, level := range strings.Split(path, "/") {
		level = strings.TrimSpace(level)
		if prefix != "" {
			prefix += "/"
		}
		prefix += strings.ToLower(level)
		if known, ok := paths[prefix]; ok {
			id = known
			parent = &known
			continue
		}
		name, err := validDeptName(level)
		if err != nil {
			return uuid.Nil, err
		}
		id, _ = uuid.NewV7()
		if _, err := tx.Exec(ctx, `INSERT INTO departments (tenant_id, id, parent_id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)`,
			a.TenantID, id, parent, name, now); err != nil {
			return uuid.Nil, interpret(err, "department")
		}
		if err := writeAudit(ctx, tx, a, now, "department.create", "department", id.String(), map[string]any{"name": name, "parent_id": parent, "via": "import"}); err != nil {
			return uuid.Nil, err
		}
		paths[prefix] = id
		p := id
		parent = &p
	}
	return id, nil
}
