package devices

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/internal/page"
	"github.com/dakahq/daka/org"
)

// Template kinds.
const (
	TemplateFingerprint = "fingerprint"
	TemplateFace        = "face"
	TemplatePalm        = "palm"
	TemplateFingerVein  = "finger_vein"
	TemplateOther       = "other"
)

// Enrolment (template review) statuses.
const (
	EnrolmentPending  = "pending"
	EnrolmentApproved = "approved"
	EnrolmentRejected = "rejected"
)

// MaxTemplateBytes caps one biometric template (ZK face templates are a
// few KB; BIOPHOTO-sized values are not templates).
const MaxTemplateBytes = 256 << 10

// TemplateInput is a biometric template a device uploaded.
type TemplateInput struct {
	PIN    string
	Kind   string
	Index  int
	Format string
	Data   []byte
}

// Template is a stored template's reference; the template itself stays
// sealed (see Service.TemplateData).
type Template struct {
	ID           uuid.UUID
	EmployeeID   *uuid.UUID
	DeviceID     uuid.UUID
	DeviceName   string
	PIN          string
	Kind         string
	Index        int
	Format       string
	Size         int
	SHA256       string
	Status       string
	CreatedAt    time.Time
	DecidedAt    *time.Time
	DecidedBy    *uuid.UUID
	Comment      string
	EmployeeName string
}

func templateAD(tenant, id uuid.UUID) string {
	return "template:" + tenant.String() + ":" + id.String()
}

// StoreTemplates keeps templates a device uploaded, sealed, as enrolments
// pending an admin's review, attributed to the employee the PIN names on
// that device when there is one. A template already stored (same device,
// PIN, kind, index and bytes) is skipped. It returns how many were new.
func (s *Service) StoreTemplates(ctx context.Context, d Device, in []TemplateInput) (int, error) {
	if len(in) == 0 {
		return 0, nil
	}
	recs := make([]Record, len(in))
	for i, t := range in {
		recs[i] = Record{PIN: t.PIN}
	}
	ids, err := s.identities(ctx, d, recs)
	if err != nil {
		return 0, err
	}
	now := s.Now()
	n := 0
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		for _, t := range in {
			if len(t.Data) == 0 || len(t.Data) > MaxTemplateBytes || !pinRe.MatchString(t.PIN) {
				continue
			}
			kind := t.Kind
			switch kind {
			case TemplateFingerprint, TemplateFace, TemplatePalm, TemplateFingerVein:
			default:
				kind = TemplateOther
			}
			var emp *uuid.UUID
			if e := ids.byPIN[t.PIN]; e != nil {
				emp = &e.ID
			}
			id, _ := uuid.NewV7()
			sum := sha256.Sum256(t.Data)
			tag, err := tx.Exec(ctx, `INSERT INTO biometric_templates (tenant_id, id, employee_id, device_id, pin, kind, finger_index,
				format, size, sha256, template_enc, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending', $12)
				ON CONFLICT (tenant_id, device_id, pin, kind, finger_index, sha256) DO NOTHING`,
				d.TenantID, id, emp, d.ID, t.PIN, kind, t.Index, clip(t.Format, 32), len(t.Data), sum[:],
				s.seal.seal(t.Data, templateAD(d.TenantID, id)), now)
			if err != nil {
				return fmt.Errorf("store template: %w", err)
			}
			n += int(tag.RowsAffected())
		}
		// The mirror counts what the device holds, reviewed or not.
		_, err := tx.Exec(ctx, `UPDATE device_users u SET
			fp_count = (SELECT count(*) FROM biometric_templates t WHERE t.tenant_id = u.tenant_id AND t.device_id = u.device_id
				AND t.pin = u.pin AND t.kind = 'fingerprint'),
			face_count = (SELECT count(*) FROM biometric_templates t WHERE t.tenant_id = u.tenant_id AND t.device_id = u.device_id
				AND t.pin = u.pin AND t.kind = 'face')
			WHERE u.tenant_id = $1 AND u.device_id = $2 AND u.pin = ANY($3::text[])`, d.TenantID, d.ID, keys(pinsOf(in)))
		if err != nil {
			return fmt.Errorf("store template: %w", err)
		}
		return nil
	})
	return n, err
}

func pinsOf(in []TemplateInput) map[string]bool {
	m := map[string]bool{}
	for _, t := range in {
		m[t.PIN] = true
	}
	return m
}

const templateCols = `t.id, t.employee_id, t.device_id, coalesce(d.name, ''), t.pin, t.kind, t.finger_index, t.format, t.size, t.sha256,
	t.status, t.created_at, t.decided_at, t.decided_by, t.comment, coalesce(e.name, '')`

const templateFrom = ` FROM biometric_templates t LEFT JOIN devices d ON d.tenant_id = t.tenant_id AND d.id = t.device_id
	LEFT JOIN employees e ON e.tenant_id = t.tenant_id AND e.id = t.employee_id`

func scanTemplate(r pgx.Row) (Template, error) {
	var t Template
	var sum []byte
	err := r.Scan(&t.ID, &t.EmployeeID, &t.DeviceID, &t.DeviceName, &t.PIN, &t.Kind, &t.Index, &t.Format, &t.Size, &sum, &t.Status,
		&t.CreatedAt, &t.DecidedAt, &t.DecidedBy, &t.Comment, &t.EmployeeName)
	t.SHA256 = hex.EncodeToString(sum)
	return t, err
}

// ListEnrolments lists templates by review status (pending first of all),
// newest first. Admins only.
func (s *Service) ListEnrolments(ctx context.Context, a org.Actor, status *string, cursor *string, limit *int) ([]Template, *string, error) {
	if err := requireAdmin(a); err != nil {
		return nil, nil, err
	}
	cur, err := page.Decode(cursor)
	if err != nil {
		return nil, nil, err
	}
	n := page.Limit(limit)
	args := []any{a.TenantID}
	where := "t.tenant_id = $1"
	if status != nil {
		args = append(args, *status)
		where += " AND t.status = $2"
	}
	if cur != nil {
		args = append(args, cur.T, cur.ID)
		where += fmt.Sprintf(" AND (t.created_at, t.id) < ($%d, $%d)", len(args)-1, len(args))
	}
	args = append(args, n+1)
	rows, err := s.pool.Query(ctx, `SELECT `+templateCols+templateFrom+` WHERE `+where+
		fmt.Sprintf(` ORDER BY t.created_at DESC, t.id DESC LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, nil, fmt.Errorf("list enrolments: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Template, error) { return scanTemplate(r) })
	if err != nil {
		return nil, nil, fmt.Errorf("list enrolments: %w", err)
	}
	var next *string
	if len(out) > n {
		out = out[:n]
		next = page.Next(true, page.Cursor{T: out[n-1].CreatedAt, ID: out[n-1].ID})
	}
	return out, next, nil
}

// EmployeeTemplates lists the template references of an employee. Admins
// only.
func (s *Service) EmployeeTemplates(ctx context.Context, a org.Actor, emp uuid.UUID) ([]Template, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	if _, err := s.org.GetEmployee(ctx, a, emp); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+templateCols+templateFrom+` WHERE t.tenant_id = $1 AND t.employee_id = $2
		ORDER BY t.created_at DESC, t.id DESC LIMIT 500`, a.TenantID, emp)
	if err != nil {
		return nil, fmt.Errorf("employee templates: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Template, error) { return scanTemplate(r) })
	if err != nil {
		return nil, fmt.Errorf("employee templates: %w", err)
	}
	return out, nil
}

// DecideEnrolment approves or rejects a pending template. Approving one
// without an employee needs employeeID (whose template it is). Approved
// templates appear in native rosters. Deciding a decided one is 409.
// Admins only; audited.
func (s *Service) DecideEnrolment(ctx context.Context, a org.Actor, id uuid.UUID, approve bool, employeeID *uuid.UUID, comment string) (Template, error) {
	if err := requireAdmin(a); err != nil {
		return Template{}, err
	}
	if len(comment) > 1000 {
		return Template{}, errs.FieldErr("comment", "invalid_length", "at most 1000 characters")
	}
	now := s.Now()
	var out Template
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		t, err := scanTemplate(tx.QueryRow(ctx, `SELECT `+templateCols+templateFrom+` WHERE t.tenant_id = $1 AND t.id = $2 FOR UPDATE OF t`,
			a.TenantID, id))
		if err != nil {
			return interpret(err, "enrolment")
		}
		if t.Status != EnrolmentPending {
			return errs.New(errs.Conflict, "already_decided", "this enrolment was already %s", t.Status)
		}
		status, emp := EnrolmentRejected, t.EmployeeID
		if approve {
			status = EnrolmentApproved
			if employeeID != nil {
				es, err := s.org.EmployeesByIDs(ctx, a.TenantID, []uuid.UUID{*employeeID})
				if err != nil {
					return err
				}
				if len(es) == 0 {
					return errs.FieldErr("employee_id", "unknown_employee", "no such employee")
				}
				emp = employeeID
			}
			if emp == nil {
				return errs.FieldErr("employee_id", "required", "no employee has this PIN: name the employee this template belongs to")
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE biometric_templates SET status = $3, employee_id = $4, decided_at = $5, decided_by = $6, comment = $7
			WHERE tenant_id = $1 AND id = $2`, a.TenantID, id, status, emp, now, a.EmployeeID, comment); err != nil {
			return fmt.Errorf("decide enrolment: %w", err)
		}
		if emp != nil {
			if err := touchRoster(ctx, tx, a.TenantID, now, *emp); err != nil {
				return err
			}
		}
		if out, err = scanTemplate(tx.QueryRow(ctx, `SELECT `+templateCols+templateFrom+` WHERE t.tenant_id = $1 AND t.id = $2`,
			a.TenantID, id)); err != nil {
			return fmt.Errorf("decide enrolment: %w", err)
		}
		action := "enrolment.reject"
		if approve {
			action = "enrolment.approve"
		}
		return org.Audit(ctx, tx, a, now, action, "enrolment", id.String(), map[string]any{"employee_id": emp, "comment": comment})
	})
	return out, err
}

// TemplateData opens an approved template for a native device that may
// hold it (its employee may use the device).
func (s *Service) TemplateData(ctx context.Context, d Device, id uuid.UUID) (Template, []byte, error) {
	var enc []byte
	t, err := scanTemplateWith(s.pool.QueryRow(ctx, `SELECT `+templateCols+`, t.template_enc`+templateFrom+
		` WHERE t.tenant_id = $1 AND t.id = $2 AND t.status = 'approved'`, d.TenantID, id), &enc)
	if err != nil {
		return Template{}, nil, interpret(err, "template")
	}
	if t.EmployeeID == nil {
		return Template{}, nil, errs.New(errs.NotFound, "not_found", "template not found")
	}
	es, err := s.org.EmployeesByIDs(ctx, d.TenantID, []uuid.UUID{*t.EmployeeID})
	if err != nil {
		return Template{}, nil, err
	}
	enrolled, err := s.enrolledOn(ctx, s.pool, d)
	if err != nil {
		return Template{}, nil, err
	}
	if len(es) == 0 || es[0].Status != org.StatusActive || !(es[0].PermittedAt(d.SiteID) || containsID(enrolled, es[0].ID)) {
		return Template{}, nil, errs.New(errs.NotFound, "not_found", "template not found")
	}
	data, err := s.seal.open(enc, templateAD(d.TenantID, id))
	if err != nil {
		if errors.Is(err, errOpen) {
			return Template{}, nil, fmt.Errorf("template %s: %w (was DAKA_ENCRYPTION_KEY changed?)", id, err)
		}
		return Template{}, nil, err
	}
	return t, data, nil
}

func scanTemplateWith(r pgx.Row, extra ...any) (Template, error) {
	var t Template
	var sum []byte
	dest := []any{&t.ID, &t.EmployeeID, &t.DeviceID, &t.DeviceName, &t.PIN, &t.Kind, &t.Index, &t.Format, &t.Size, &sum, &t.Status,
		&t.CreatedAt, &t.DecidedAt, &t.DecidedBy, &t.Comment, &t.EmployeeName}
	err := r.Scan(append(dest, extra...)...)
	t.SHA256 = hex.EncodeToString(sum)
	return t, err
}

func containsID(ids []uuid.UUID, id uuid.UUID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
