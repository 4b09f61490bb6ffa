package org

import (
	"context"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/internal/page"
)

// Opt is an optional change to a nullable field: Set=false leaves the value
// alone; Set with a nil V clears it.
type Opt[T any] struct {
	Set bool
	V   *T
}

// Put returns an Opt that sets v.
func Put[T any](v T) Opt[T] { return Opt[T]{Set: true, V: &v} }

// EmployeeInput creates an employee (nil fields take defaults) or, as a
// patch, changes only the fields that are set.
type EmployeeInput struct {
	EmployeeNo   *string
	Name         *string
	Role         *Role
	Status       *Status
	Password     *string
	DepartmentID Opt[uuid.UUID]
	ManagerID    Opt[uuid.UUID]
	Email        Opt[string]
	Phone        Opt[string]
	Timezone     *string
	CardNo       Opt[string]
	SiteIDs      *[]uuid.UUID
}

var (
	employeeNoRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,32}$`)
	phoneRe      = regexp.MustCompile(`^\+?[0-9]{5,16}$`)
	cardRe       = regexp.MustCompile(`^[A-Za-z0-9]{1,32}$`)
)

// ValidEmployeeNo reports whether s can be an employee number.
func ValidEmployeeNo(s string) bool { return employeeNoRe.MatchString(s) }

func validEmail(s string) bool {
	if len(s) > 320 || strings.ContainsAny(s, " \t\r\n<>") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".")
}

// NormalisePhone returns a phone number in E.164 form ("+8613800138000"):
// separators are dropped, an 11-digit mainland mobile gets +86, and a 00
// prefix becomes +. It returns "" when what is left is not a phone number.
func NormalisePhone(s string) string {
	s = strings.NewReplacer(" ", "", "-", "", "(", "", ")", "", ".", "").Replace(s)
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	if len(s) == 11 && s[0] == '1' && !strings.HasPrefix(s, "+") {
		s = "+86" + s
	}
	if !phoneRe.MatchString(s) {
		return ""
	}
	return s
}

// apply validates in against e (the current record, zero for a new one) and
// writes the result into e.
func (in EmployeeInput) apply(e *Employee, creating bool, defaultTZ string) error {
	var f errs.Fields
	if in.EmployeeNo != nil {
		v := strings.TrimSpace(*in.EmployeeNo)
		if !employeeNoRe.MatchString(v) {
			f.Add("employee_no", "invalid_employee_no", "use 1–32 letters, digits, '.', '_' or '-'")
		}
		e.EmployeeNo = v
	} else if creating {
		f.Add("employee_no", "required", "the employee number is required")
	}
	if in.Name != nil {
		v := strings.TrimSpace(*in.Name)
		if n := len([]rune(v)); n < 1 || n > 200 || strings.ContainsFunc(v, isControl) {
			f.Add("name", "invalid_name", "use 1–200 printable characters")
		}
		e.Name = v
	} else if creating {
		f.Add("name", "required", "the name is required")
	}
	if in.Role != nil {
		if !in.Role.Valid() {
			f.Add("role", "invalid_role", "role must be employee, manager or admin")
		}
		e.Role = *in.Role
	} else if creating {
		e.Role = RoleEmployee
	}
	if in.Status != nil {
		if !in.Status.Valid() {
			f.Add("status", "invalid_status", "status must be active or left")
		}
		e.Status = *in.Status
	} else if creating {
		e.Status = StatusActive
	}
	if in.Password != nil {
		if err := checkPasswordStrength("password", *in.Password); err != nil {
			ee, _ := errs.As(err)
			f = append(f, ee.Fields...)
		}
	}
	if in.DepartmentID.Set {
		e.DepartmentID = in.DepartmentID.V
	}
	if in.ManagerID.Set {
		e.ManagerID = in.ManagerID.V
		if e.ManagerID != nil && *e.ManagerID == e.ID {
			f.Add("manager_id", "invalid_manager", "an employee cannot be their own manager")
		}
	}
	if in.Email.Set {
		e.Email = nil
		if in.Email.V != nil && *in.Email.V != "" {
			v := strings.ToLower(strings.TrimSpace(*in.Email.V))
			if !validEmail(v) {
				f.Add("email", "invalid_email", "not an email address")
			}
			e.Email = &v
		}
	}
	if in.Phone.Set {
		e.Phone = nil
		if in.Phone.V != nil && *in.Phone.V != "" {
			v := NormalisePhone(*in.Phone.V)
			if v == "" {
				f.Add("phone", "invalid_phone", "not a phone number (digits, optionally with + and separators)")
			}
			e.Phone = &v
		}
	}
	if in.Timezone != nil {
		if !validTimezone(*in.Timezone) {
			f.Add("timezone", "invalid_timezone", "not an IANA time zone name such as Asia/Shanghai")
		}
		e.Timezone = *in.Timezone
	} else if creating {
		e.Timezone = defaultTZ
	}
	if in.CardNo.Set {
		e.CardNo = nil
		if in.CardNo.V != nil && *in.CardNo.V != "" {
			v := strings.TrimSpace(*in.CardNo.V)
			if !cardRe.MatchString(v) {
				f.Add("card_no", "invalid_card_no", "use 1–32 letters or digits")
			}
			e.CardNo = &v
		}
	}
	if in.SiteIDs != nil {
		ids := slices.Clone(*in.SiteIDs)
		slices.SortFunc(ids, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
		e.SiteIDs = slices.Compact(ids)
	}
	return f.Err()
}

// isControl refuses C0 and C1 control characters and the bidirectional
// overrides and isolates that can disguise a name (U+202A–U+202E, U+2066–U+2069).
func isControl(r rune) bool {
	return unicode.IsControl(r) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x2028 || r == 0x2029
}

const employeeCols = `e.id, e.tenant_id, e.employee_no, e.name, e.role, e.status, e.department_id, e.manager_id, e.email,
	e.phone, e.timezone, e.card_no, e.password_hash IS NOT NULL, e.created_at, e.updated_at,
	coalesce((SELECT array_agg(es.site_id ORDER BY es.site_id) FROM employee_sites es JOIN sites s
	          ON s.tenant_id = es.tenant_id AND s.id = es.site_id AND s.deleted_at IS NULL
	          WHERE es.tenant_id = e.tenant_id AND es.employee_id = e.id), '{}'),
	NOT EXISTS (SELECT 1 FROM employee_sites es WHERE es.tenant_id = e.tenant_id AND es.employee_id = e.id)`

func scanEmployee(r pgx.Row) (Employee, error) {
	var e Employee
	err := r.Scan(&e.ID, &e.TenantID, &e.EmployeeNo, &e.Name, &e.Role, &e.Status, &e.DepartmentID, &e.ManagerID, &e.Email,
		&e.Phone, &e.Timezone, &e.CardNo, &e.HasPassword, &e.CreatedAt, &e.UpdatedAt, &e.SiteIDs, &e.AllSites)
	return e, err
}

func (s *Service) getEmployee(ctx context.Context, q querier, tenant, id uuid.UUID) (Employee, error) {
	e, err := scanEmployee(q.QueryRow(ctx, `SELECT `+employeeCols+` FROM employees e WHERE e.tenant_id = $1 AND e.id = $2`, tenant, id))
	return e, interpret(err, "employee")
}

// employeeByLogin finds an active or departed employee by employee number,
// email or phone, in that order, and returns their password hash.
func (s *Service) employeeByLogin(ctx context.Context, tenant uuid.UUID, login string) (Employee, string, error) {
	phone := NormalisePhone(login)
	var hash *string
	var id uuid.UUID
	err := s.pool.QueryRow(ctx, `SELECT id, password_hash FROM employees
		WHERE tenant_id = $1 AND (employee_no = $2 OR lower(email) = lower($2) OR ($3 <> '' AND phone = $3))
		ORDER BY (employee_no = $2) DESC, (lower(email) = lower($2)) DESC LIMIT 1`, tenant, login, phone).Scan(&id, &hash)
	if err != nil {
		return Employee{}, "", interpret(err, "employee")
	}
	e, err := s.getEmployee(ctx, s.pool, tenant, id)
	if hash == nil {
		return e, "", err
	}
	return e, *hash, err
}

// scopeCond restricts employees aliased e to what actor may see: all for
// admins; for managers their department subtree, their reports (transitively)
// and themselves; for employees themselves. It adds its arguments to args.
func scopeCond(a Actor, args *[]any) string {
	if a.IsAdmin() {
		return "TRUE"
	}
	*args = append(*args, a.EmployeeID)
	me := fmt.Sprintf("$%d", len(*args))
	if a.Role != RoleManager {
		return "e.id = " + me
	}
	return `(e.id = ` + me + ` OR e.id IN (
	  WITH RECURSIVE depts AS (
	    SELECT d.id FROM departments d WHERE d.tenant_id = e.tenant_id
	      AND d.id = (SELECT m.department_id FROM employees m WHERE m.tenant_id = e.tenant_id AND m.id = ` + me + `)
	    UNION SELECT d.id FROM departments d JOIN depts ON d.parent_id = depts.id WHERE d.tenant_id = e.tenant_id
	  ), reports AS (
	    SELECT r.id FROM employees r WHERE r.tenant_id = e.tenant_id AND r.manager_id = ` + me + `
	    UNION SELECT r.id FROM employees r JOIN reports ON r.manager_id = reports.id WHERE r.tenant_id = e.tenant_id
	  )
	  SELECT x.id FROM employees x WHERE x.tenant_id = e.tenant_id
	    AND (x.department_id IN (SELECT id FROM depts) OR x.id IN (SELECT id FROM reports))))`
}

// VisibleEmployees returns the ids actor may see, or all=true for admins
// (so callers need not materialise a whole tenant).
func (s *Service) VisibleEmployees(ctx context.Context, a Actor) (ids []uuid.UUID, all bool, err error) {
	if a.IsAdmin() {
		return nil, true, nil
	}
	args := []any{a.TenantID}
	rows, err := s.pool.Query(ctx, `SELECT e.id FROM employees e WHERE e.tenant_id = $1 AND `+scopeCond(a, &args), args...)
	if err != nil {
		return nil, false, fmt.Errorf("visible employees: %w", err)
	}
	ids, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	return ids, false, err
}

// GetEmployee returns one employee the actor may see (others are not found).
func (s *Service) GetEmployee(ctx context.Context, a Actor, id uuid.UUID) (Employee, error) {
	args := []any{a.TenantID, id}
	e, err := scanEmployee(s.pool.QueryRow(ctx, `SELECT `+employeeCols+` FROM employees e WHERE e.tenant_id = $1 AND e.id = $2 AND `+
		scopeCond(a, &args), args...))
	return e, interpret(err, "employee")
}

// EmployeeFilter narrows ListEmployees.
type EmployeeFilter struct {
	DepartmentID *uuid.UUID
	Status       *Status
	Role         *Role
	Q            *string
	Cursor       *string
	Limit        *int
}

// ListEmployees lists, by employee number, the employees the actor may see.
func (s *Service) ListEmployees(ctx context.Context, a Actor, f EmployeeFilter) ([]Employee, *string, error) {
	if a.Role == RoleEmployee {
		return nil, nil, errForbidden()
	}
	cur, err := page.Decode(f.Cursor)
	if err != nil {
		return nil, nil, err
	}
	limit := page.Limit(f.Limit)
	args := []any{a.TenantID}
	where := "e.tenant_id = $1 AND " + scopeCond(a, &args)
	if f.DepartmentID != nil {
		args = append(args, *f.DepartmentID)
		where += fmt.Sprintf(` AND e.department_id IN (WITH RECURSIVE sub AS (
			SELECT id FROM departments WHERE tenant_id = $1 AND id = $%d
			UNION SELECT d.id FROM departments d JOIN sub ON d.parent_id = sub.id WHERE d.tenant_id = $1) SELECT id FROM sub)`, len(args))
	}
	if f.Status != nil {
		args = append(args, *f.Status)
		where += fmt.Sprintf(" AND e.status = $%d", len(args))
	}
	if f.Role != nil {
		args = append(args, *f.Role)
		where += fmt.Sprintf(" AND e.role = $%d", len(args))
	}
	if f.Q != nil && *f.Q != "" {
		args = append(args, "%"+escapeLike(*f.Q)+"%")
		n := len(args)
		where += fmt.Sprintf(" AND (e.name ILIKE $%d OR e.employee_no ILIKE $%d OR e.email ILIKE $%d OR e.phone ILIKE $%d)", n, n, n, n)
	}
	if cur != nil {
		args = append(args, cur.S)
		where += fmt.Sprintf(" AND e.employee_no > $%d", len(args))
	}
	args = append(args, limit+1)
	rows, err := s.pool.Query(ctx, `SELECT `+employeeCols+` FROM employees e WHERE `+where+
		fmt.Sprintf(" ORDER BY e.employee_no LIMIT $%d", len(args)), args...)
	if err != nil {
		return nil, nil, fmt.Errorf("list employees: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Employee, error) { return scanEmployee(r) })
	if err != nil {
		return nil, nil, fmt.Errorf("list employees: %w", err)
	}
	var next *string
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = page.Next(true, page.Cursor{S: last.EmployeeNo, ID: last.ID})
	}
	return out, next, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// CreateEmployee adds an employee. Admins only.
func (s *Service) CreateEmployee(ctx context.Context, a Actor, in EmployeeInput) (Employee, error) {
	if !a.IsAdmin() {
		return Employee{}, errForbidden()
	}
	id, _ := uuid.NewV7()
	e := Employee{ID: id, TenantID: a.TenantID}
	if err := in.apply(&e, true, s.o.DefaultTimezone); err != nil {
		return Employee{}, err
	}
	now := s.now()
	var out Employee
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = s.insertEmployee(ctx, tx, a, e, in.Password, now)
		if err != nil {
			return err
		}
		if err := s.EmployeeChanged(ctx, tx, Employee{}, out); err != nil {
			return err
		}
		return writeAudit(ctx, tx, a, now, "employee.create", "employee", id.String(), employeeSnapshot(out))
	})
	return out, err
}
