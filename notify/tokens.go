package notify

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/org"
)

// Platforms an app installation may report.
var Platforms = []string{"android", "ios", "web", "harmonyos", "huawei", "honor", "xiaomi", "oppo", "vivo", "meizu"}

// ProviderNames are the push channels a token may name. Tokens for a channel
// this server has no Provider for are kept and get no pushes until it does.
var ProviderNames = []string{"fcm", "apns", "hms", "honor", "xiaomi", "oppo", "vivo", "meizu"}

var localeRe = regexp.MustCompile(`^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,3}$`)

// PushToken is one app installation that can receive pushes.
type PushToken struct {
	ID         uuid.UUID
	Token      string
	Platform   string
	Provider   string
	AppVersion *string
	Locale     *string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// TokenInput registers a token.
type TokenInput struct {
	Token      string
	Platform   string
	Provider   string // default fcm
	AppVersion *string
	Locale     *string
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func validToken(t string) bool {
	if len(t) == 0 || len(t) > 4096 {
		return false
	}
	for _, r := range t {
		if r <= ' ' || r == 0x7f {
			return false
		}
	}
	return true
}

// RegisterToken records the actor's app installation, or refreshes it. A
// token is one installation: registering it again updates it, and a token
// last registered by someone else (a shared phone, a re-login) moves to the
// actor, in this tenant or any other, so pushes never reach the previous
// user. created reports whether the token was new to the actor.
func (s *Service) RegisterToken(ctx context.Context, a org.Actor, in TokenInput) (t PushToken, created bool, err error) {
	if in.Provider == "" {
		in.Provider = "fcm"
	}
	var fe errs.Fields
	if !validToken(in.Token) {
		fe.Add("token", "invalid_token", "the token must be 1 to 4096 printable characters without spaces")
	}
	if !contains(Platforms, in.Platform) {
		fe.Add("platform", "invalid_platform", "the platform must be one of %s", strings.Join(Platforms, ", "))
	}
	if !contains(ProviderNames, in.Provider) {
		fe.Add("provider", "invalid_provider", "the provider must be one of %s", strings.Join(ProviderNames, ", "))
	}
	if in.AppVersion != nil && (len(*in.AppVersion) == 0 || len(*in.AppVersion) > 64 || !validToken(*in.AppVersion)) {
		fe.Add("app_version", "invalid_app_version", "the app version must be 1 to 64 printable characters without spaces")
	}
	if in.Locale != nil && !localeRe.MatchString(*in.Locale) {
		fe.Add("locale", "invalid_locale", "the locale must be a language tag such as zh-CN or en")
	}
	if err := fe.Err(); err != nil {
		return PushToken{}, false, err
	}
	now := s.now()
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// A token registered in another tenant now belongs to this login.
		if _, err := tx.Exec(ctx, `DELETE FROM push_tokens WHERE token = $1 AND provider = $2 AND tenant_id <> $3`,
			in.Token, in.Provider, a.TenantID); err != nil {
			return fmt.Errorf("notify: move token: %w", err)
		}
		var prev *uuid.UUID
		err := tx.QueryRow(ctx, `SELECT employee_id FROM push_tokens WHERE tenant_id = $1 AND provider = $2 AND token = $3 FOR UPDATE`,
			a.TenantID, in.Provider, in.Token).Scan(&prev)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("notify: token: %w", err)
		}
		created = prev == nil || *prev != a.EmployeeID
		return tx.QueryRow(ctx, `INSERT INTO push_tokens (tenant_id, id, employee_id, provider, token, platform, app_version, locale, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
			ON CONFLICT (tenant_id, provider, token) DO UPDATE SET employee_id = EXCLUDED.employee_id, platform = EXCLUDED.platform,
				app_version = EXCLUDED.app_version, locale = EXCLUDED.locale, updated_at = EXCLUDED.updated_at,
				created_at = CASE WHEN push_tokens.employee_id = EXCLUDED.employee_id THEN push_tokens.created_at ELSE EXCLUDED.created_at END
			RETURNING id, token, platform, provider, app_version, locale, created_at, updated_at`,
			a.TenantID, newID(), a.EmployeeID, in.Provider, in.Token, in.Platform, in.AppVersion, in.Locale, now).
			Scan(&t.ID, &t.Token, &t.Platform, &t.Provider, &t.AppVersion, &t.Locale, &t.CreatedAt, &t.UpdatedAt)
	})
	if err != nil {
		return PushToken{}, false, fmt.Errorf("notify: register token: %w", err)
	}
	return t, created, nil
}

// ListTokens returns the actor's registered installations, newest first.
func (s *Service) ListTokens(ctx context.Context, a org.Actor) ([]PushToken, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, token, platform, provider, app_version, locale, created_at, updated_at
		FROM push_tokens WHERE tenant_id = $1 AND employee_id = $2 ORDER BY updated_at DESC, id DESC LIMIT 100`,
		a.TenantID, a.EmployeeID)
	if err != nil {
		return nil, fmt.Errorf("notify: tokens: %w", err)
	}
	ts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PushToken, error) {
		var t PushToken
		err := r.Scan(&t.ID, &t.Token, &t.Platform, &t.Provider, &t.AppVersion, &t.Locale, &t.CreatedAt, &t.UpdatedAt)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("notify: tokens: %w", err)
	}
	return ts, nil
}

// DeleteToken removes one of the actor's tokens (logout, push turned off in
// the app); queued pushes to it are dropped. A token the actor does not hold
// is not found.
func (s *Service) DeleteToken(ctx context.Context, a org.Actor, token string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM push_tokens WHERE tenant_id = $1 AND employee_id = $2 AND token = $3`,
		a.TenantID, a.EmployeeID, token)
	if err != nil {
		return fmt.Errorf("notify: delete token: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return errs.New(errs.NotFound, "not_found", "push token not found")
	}
	return nil
}
