package org

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/internal/errs"
)

// globalTenant keys throttling counters that are not per tenant (client addresses).
var globalTenant = uuid.Nil

var errBadCredentials = errs.New(errs.Unauthenticated, "invalid_credentials", "the tenant, login or password is wrong")

// Login checks a password for an email, phone or employee number and opens a
// session. Failures are counted per account and per client address; past the
// limit the answer is RateLimited until the window ends.
func (s *Service) Login(ctx context.Context, tenantSlug, login, password, clientIP string) (Tokens, error) {
	now := s.now()
	login = strings.TrimSpace(login)
	if err := s.checkThrottle(ctx, globalTenant, "ip:"+clientIP, s.o.MaxFailsAddress, now); err != nil {
		return Tokens{}, err
	}
	t, err := s.TenantBySlug(ctx, tenantSlug)
	if err != nil {
		CheckPassword(dummyHash, password)
		s.recordFailure(ctx, globalTenant, "ip:"+clientIP, now)
		return Tokens{}, errBadCredentials
	}
	acct := "acct:" + strings.ToLower(login)
	if err := s.checkThrottle(ctx, t.ID, acct, s.o.MaxFailsAccount, now); err != nil {
		return Tokens{}, err
	}
	e, hash, err := s.employeeByLogin(ctx, t.ID, login)
	if err != nil || hash == "" || e.Status != StatusActive {
		CheckPassword(dummyHash, password)
		s.recordFailure(ctx, t.ID, acct, now)
		s.recordFailure(ctx, globalTenant, "ip:"+clientIP, now)
		if err != nil && errs.KindOf(err) != errs.NotFound {
			return Tokens{}, err
		}
		return Tokens{}, errBadCredentials
	}
	if !CheckPassword(hash, password) {
		s.recordFailure(ctx, t.ID, acct, now)
		s.recordFailure(ctx, globalTenant, "ip:"+clientIP, now)
		return Tokens{}, errBadCredentials
	}
	_, _ = s.pool.Exec(ctx, `DELETE FROM login_failures WHERE tenant_id = $1 AND subject = $2`, t.ID, acct)
	var out Tokens
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		out, err = s.openSession(ctx, tx, e, uuid.Nil, now)
		return err
	})
	return out, err
}

// checkThrottle refuses when subject has failed max times in the current window.
func (s *Service) checkThrottle(ctx context.Context, tenant uuid.UUID, subject string, max int, now time.Time) error {
	var start time.Time
	var n int
	err := s.pool.QueryRow(ctx, `SELECT window_start, failures FROM login_failures WHERE tenant_id = $1 AND subject = $2`,
		tenant, subject).Scan(&start, &n)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("throttle: %w", err)
	}
	end := start.Add(s.o.LoginWindow)
	if n >= max && now.Before(end) {
		return &errs.Error{Kind: errs.RateLimited, Code: "too_many_attempts",
			Msg: "too many failed attempts; try again later", RetryAfter: end.Sub(now)}
	}
	return nil
}

// recordFailure counts a failed attempt in a fixed window that restarts once expired.
func (s *Service) recordFailure(ctx context.Context, tenant uuid.UUID, subject string, now time.Time) {
	_, _ = s.pool.Exec(ctx, `INSERT INTO login_failures (tenant_id, subject, window_start, failures) VALUES ($1, $2, $3, 1)
		ON CONFLICT (tenant_id, subject) DO UPDATE SET
		  failures = CASE WHEN login_failures.window_start + $4::interval <= $3 THEN 1 ELSE login_failures.failures + 1 END,
		  window_start = CASE WHEN login_failures.window_start + $4::interval <= $3 THEN $3 ELSE login_failures.window_start END`,
		tenant, subject, now, s.o.LoginWindow)
}

// openSession mints an access token and a refresh token of a new or existing family.
func (s *Service) openSession(ctx context.Context, tx pgx.Tx, e Employee, family uuid.UUID, now time.Time) (Tokens, error) {
	if family == uuid.Nil {
		family, _ = uuid.NewV7()
	}
	refresh, hash := randomToken()
	id, _ := uuid.NewV7()
	if _, err := tx.Exec(ctx, `INSERT INTO refresh_tokens (tenant_id, id, family_id, employee_id, token_hash, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, e.TenantID, id, family, e.ID, hash, now, now.Add(s.o.RefreshTTL)); err != nil {
		return Tokens{}, fmt.Errorf("open session: %w", err)
	}
	access, err := s.mintAccess(e, now)
	if err != nil {
		return Tokens{}, fmt.Errorf("open session: %w", err)
	}
	return Tokens{AccessToken: access, RefreshToken: refresh, ExpiresIn: int(s.o.AccessTTL.Seconds()), Employee: e}, nil
}

var errBadRefresh = errs.New(errs.Unauthenticated, "invalid_refresh_token", "the refresh token is not valid")

// Refresh rotates a refresh token. A token that was already rotated is a sign
// of theft: the whole family is revoked and the caller must log in again.
func (s *Service) Refresh(ctx context.Context, token string) (Tokens, error) {
	now := s.now()
	var out Tokens
	reused := false
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var tenant, id, family, emp uuid.UUID
		var expires time.Time
		var rotated, revoked *time.Time
		err := tx.QueryRow(ctx, `SELECT tenant_id, id, family_id, employee_id, expires_at, rotated_at, revoked_at
			FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE`, hashToken(token)).
			Scan(&tenant, &id, &family, &emp, &expires, &rotated, &revoked)
		if errors.Is(err, pgx.ErrNoRows) {
			return errBadRefresh
		}
		if err != nil {
			return fmt.Errorf("refresh: %w", err)
		}
		if revoked != nil || !now.Before(expires) {
			return errBadRefresh
		}
		if rotated != nil {
			reused = true
			_, err := tx.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND family_id = $2 AND revoked_at IS NULL`,
				tenant, family, now)
			return err
		}
		e, err := s.getEmployee(ctx, tx, tenant, emp)
		if err != nil || e.Status != StatusActive {
			return errBadRefresh
		}
		if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET rotated_at = $3 WHERE tenant_id = $1 AND id = $2`, tenant, id, now); err != nil {
			return fmt.Errorf("refresh: %w", err)
		}
		out, err = s.openSession(ctx, tx, e, family, now)
		return err
	})
	if err == nil && reused {
		return Tokens{}, errs.New(errs.Unauthenticated, "refresh_token_reused",
			"this refresh token was already used; every session of this login has been revoked")
	}
	return out, err
}

// Logout revokes the family of the given refresh token (which must be the
// caller's), or every session of the caller when all is true.
func (s *Service) Logout(ctx context.Context, a Actor, refreshToken *string, all bool) error {
	now := s.now()
	if all {
		_, err := s.pool.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND employee_id = $2 AND revoked_at IS NULL`,
			a.TenantID, a.EmployeeID, now)
		return err
	}
	if refreshToken == nil {
		return errs.FieldErr("refresh_token", "required", "send the refresh token to revoke, or all=true")
	}
	tag, err := s.pool.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = $4 WHERE tenant_id = $1 AND employee_id = $2 AND revoked_at IS NULL
		AND family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $3 AND tenant_id = $1 AND employee_id = $2)`,
		a.TenantID, a.EmployeeID, hashToken(*refreshToken), now)
	if err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return errBadRefresh
	}
	return nil
}

// ActivationCode is a one-time code binding the app to an employee.
type ActivationCode struct {
	EmployeeID uuid.UUID
	Code       string // formatted XXXX-XXXX-XXXX, shown once
	QRPayload  string
	ExpiresAt  time.Time
}

// codeAlphabet is Crockford's base32: no I, L, O or U to misread.
const codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

func normaliseCode(c string) string {
	c = strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(c))
	return strings.NewReplacer("O", "0", "I", "1", "L", "1").Replace(c)
}

func codeHash(tenant uuid.UUID, code string) []byte {
	h := sha256.Sum256(append(tenant[:], []byte(normaliseCode(code))...))
	return h[:]
}

// IssueActivationCode creates a fresh code for an employee and invalidates
// their earlier unused codes. Admins only.
func (s *Service) IssueActivationCode(ctx context.Context, a Actor, employeeID uuid.UUID, ttl time.Duration) (ActivationCode, error) {
	if !a.IsAdmin() {
		return ActivationCode{}, errForbidden()
	}
	if ttl <= 0 {
		ttl = 72 * time.Hour
	}
	now := s.now()
	raw := make([]byte, 12)
	_, _ = rand.Read(raw)
	var sb strings.Builder
	for i, b := range raw {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(codeAlphabet[int(b)%len(codeAlphabet)])
	}
	code := sb.String()
	out := ActivationCode{EmployeeID: employeeID, Code: code, ExpiresAt: now.Add(ttl)}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		e, err := s.getEmployee(ctx, tx, a.TenantID, employeeID)
		if err != nil {
			return err
		}
		if e.Status != StatusActive {
			return errs.New(errs.Conflict, "employee_left", "the employee has left")
		}
		var slug string
		if err := tx.QueryRow(ctx, `SELECT slug FROM tenants WHERE id = $1`, a.TenantID).Scan(&slug); err != nil {
			return fmt.Errorf("activation code: %w", err)
		}
		q := url.Values{"tenant": {slug}, "code": {normaliseCode(code)}}
		if s.o.PublicURL != "" {
			q.Set("server", s.o.PublicURL)
		}
		out.QRPayload = "daka://activate?" + q.Encode()
		if _, err := tx.Exec(ctx, `UPDATE activation_codes SET used_at = $3 WHERE tenant_id = $1 AND employee_id = $2 AND used_at IS NULL`,
			a.TenantID, employeeID, now); err != nil {
			return err
		}
		id, _ := uuid.NewV7()
		if _, err := tx.Exec(ctx, `INSERT INTO activation_codes (tenant_id, id, employee_id, code_hash, created_by, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, a.TenantID, id, employeeID, codeHash(a.TenantID, code), a.EmployeeID, now, out.ExpiresAt); err != nil {
			return fmt.Errorf("activation code: %w", err)
		}
		return writeAudit(ctx, tx, a, now, "employee.activation_code.issue", "employee", employeeID.String(),
			map[string]any{"expires_at": out.ExpiresAt})
	})
	return out, err
}

var errBadCode = errs.New(errs.Unauthenticated, "invalid_activation_code", "the activation code is wrong, used or expired")

// Activate redeems an activation code: the employee's password is set and a
// session opened. Failures count against the client address like logins.
func (s *Service) Activate(ctx context.Context, tenantSlug, code, password, clientIP string) (Tokens, error) {
	now := s.now()
	if err := s.checkThrottle(ctx, globalTenant, "ip:"+clientIP, s.o.MaxFailsAddress, now); err != nil {
		return Tokens{}, err
	}
	if err := checkPasswordStrength("password", password); err != nil {
		return Tokens{}, err
	}
	t, err := s.TenantBySlug(ctx, tenantSlug)
	if err != nil {
		s.recordFailure(ctx, globalTenant, "ip:"+clientIP, now)
		return Tokens{}, errBadCode
	}
	hash := HashPassword(password, s.o.PasswordHashCost)
	var out Tokens
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var emp uuid.UUID
		err := tx.QueryRow(ctx, `UPDATE activation_codes SET used_at = $3
			WHERE tenant_id = $1 AND code_hash = $2 AND used_at IS NULL AND expires_at > $3 RETURNING employee_id`,
			t.ID, codeHash(t.ID, code), now).Scan(&emp)
		if errors.Is(err, pgx.ErrNoRows) {
			return errBadCode
		}
		if err != nil {
			return fmt.Errorf("activate: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE employees SET password_hash = $3, password_set_at = $4, updated_at = $4
			WHERE tenant_id = $1 AND id = $2 AND status = 'active'`, t.ID, emp, hash, now); err != nil {
			return fmt.Errorf("activate: %w", err)
		}
		e, err := s.getEmployee(ctx, tx, t.ID, emp)
		if err != nil {
			return err
		}
		if e.Status != StatusActive {
			return errBadCode
		}
		out, err = s.openSession(ctx, tx, e, uuid.Nil, now)
		return err
	})
	if errs.CodeOf(err) == "invalid_activation_code" {
		s.recordFailure(ctx, globalTenant, "ip:"+clientIP, now)
	}
	return out, err
}

// ChangePassword sets a new password after checking the current one, and
// revokes every other session of the employee.
func (s *Service) ChangePassword(ctx context.Context, a Actor, current, next string) error {
	if err := checkPasswordStrength("new_password", next); err != nil {
		return err
	}
	var hash *string
	if err := s.pool.QueryRow(ctx, `SELECT password_hash FROM employees WHERE tenant_id = $1 AND id = $2`,
		a.TenantID, a.EmployeeID).Scan(&hash); err != nil {
		return interpret(err, "employee")
	}
	if hash == nil || !CheckPassword(*hash, current) {
		return errs.FieldErr("current_password", "invalid_credentials", "the current password is wrong")
	}
	now := s.now()
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE employees SET password_hash = $3, password_set_at = $4, updated_at = $4 WHERE tenant_id = $1 AND id = $2`,
			a.TenantID, a.EmployeeID, HashPassword(next, s.o.PasswordHashCost), now); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND employee_id = $2 AND revoked_at IS NULL`,
			a.TenantID, a.EmployeeID, now)
		return err
	})
}

func checkPasswordStrength(field, pw string) error {
	switch {
	case len([]rune(pw)) < 8:
		return errs.FieldErr(field, "password_too_short", "use at least 8 characters")
	case len(pw) > 256:
		return errs.FieldErr(field, "too_long", "use at most 256 bytes")
	}
	return nil
}
