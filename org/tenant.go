package org

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/internal/errs"
)

var slugRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)

// NewTenant is what CreateTenant needs.
type NewTenant struct {
	Slug          string
	Name          string
	AdminEmail    string
	AdminPassword string
	AdminName     string // default "Administrator"
	AdminNo       string // default "admin"
	Timezone      string
}

// CreatedTenant is the new tenant and its first admin.
type CreatedTenant struct {
	Tenant  Tenant
	AdminID uuid.UUID
}

// CreateTenant bootstraps a tenant with its first admin (the operator's
// `daka tenant create`).
func (s *Service) CreateTenant(ctx context.Context, in NewTenant) (CreatedTenant, error) {
	var f errs.Fields
	in.Slug = strings.TrimSpace(in.Slug)
	if !slugRe.MatchString(in.Slug) {
		f.Add("slug", "invalid_slug", "use 2–63 lower-case letters, digits and dashes, starting with a letter or digit")
	}
	if n := len([]rune(strings.TrimSpace(in.Name))); n < 1 || n > 200 {
		f.Add("name", "required", "give the tenant a name of 1–200 characters")
	}
	if !validEmail(in.AdminEmail) {
		f.Add("admin_email", "invalid_email", "not an email address")
	}
	if err := checkPasswordStrength("admin_password", in.AdminPassword); err != nil {
		e, _ := errs.As(err)
		f = append(f, e.Fields...)
	}
	if err := f.Err(); err != nil {
		return CreatedTenant{}, err
	}
	if in.AdminName == "" {
		in.AdminName = "Administrator"
	}
	if in.AdminNo == "" {
		in.AdminNo = "admin"
	}
	tz := in.Timezone
	if tz == "" {
		tz = s.o.DefaultTimezone
	}
	now := s.now()
	tid, _ := uuid.NewV7()
	aid, _ := uuid.NewV7()
	out := CreatedTenant{Tenant: Tenant{ID: tid, Slug: in.Slug, Name: strings.TrimSpace(in.Name), CreatedAt: now}, AdminID: aid}
	hash := HashPassword(in.AdminPassword, s.o.PasswordHashCost)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO tenants (id, slug, name, created_at) VALUES ($1, $2, $3, $4)`,
			tid, in.Slug, out.Tenant.Name, now); err != nil {
			return interpret(err, "tenant")
		}
		email := strings.ToLower(strings.TrimSpace(in.AdminEmail))
		if _, err := tx.Exec(ctx, `INSERT INTO employees (tenant_id, id, employee_no, name, email, timezone, role, password_hash, password_set_at, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, 'admin', $7, $8, $8, $8)`, tid, aid, in.AdminNo, in.AdminName, email, tz, hash, now); err != nil {
			return interpret(err, "admin")
		}
		return writeAudit(ctx, tx, Actor{TenantID: tid}, now, "tenant.create", "tenant", tid.String(),
			map[string]any{"slug": in.Slug, "admin_id": aid})
	})
	return out, err
}

// TenantBySlug finds a tenant.
func (s *Service) TenantBySlug(ctx context.Context, slug string) (Tenant, error) {
	var t Tenant
	err := s.pool.QueryRow(ctx, `SELECT id, slug, name, created_at FROM tenants WHERE slug = $1`, strings.ToLower(strings.TrimSpace(slug))).
		Scan(&t.ID, &t.Slug, &t.Name, &t.CreatedAt)
	return t, interpret(err, "tenant")
}

// validTimezone accepts IANA names only ("Local" would mean the server's zone).
func validTimezone(tz string) bool {
	if tz == "" || tz == "Local" || len(tz) > 64 {
		return false
	}
	_, err := time.LoadLocation(tz)
	return err == nil
}
