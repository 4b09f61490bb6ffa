package org

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dakahq/daka/internal/errs"
)

// Options configure the Service.
type Options struct {
	Now             func() time.Time
	JWTSecret       []byte        // at least 32 bytes
	AccessTTL       time.Duration // default 15 min
	RefreshTTL      time.Duration // default 30 days
	DefaultTimezone string        // for employees created without one; default UTC
	PublicURL       string        // put in activation QR payloads when set
	// Login throttling: failures allowed per window, per account and per address.
	LoginWindow      time.Duration // default 15 min
	MaxFailsAccount  int           // default 10
	MaxFailsAddress  int           // default 50
	PasswordHashCost PasswordParams
	// PunchCacheTTL is how long an employee's punch permissions are cached
	// (default 5 s; negative disables). See punchCache.
	PunchCacheTTL time.Duration
}

// Service implements the organisation use cases on PostgreSQL.
type Service struct {
	pool    *pgxpool.Pool
	o       Options
	sites   siteCache
	punches punchCache
	hooks   struct {
		sync.RWMutex
		employee []EmployeeChangedFunc
	}
}

// NewService returns a Service; zero options get defaults.
func NewService(pool *pgxpool.Pool, o Options) (*Service, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if len(o.JWTSecret) < 32 {
		return nil, errors.New("org: the JWT secret must be at least 32 bytes")
	}
	if o.AccessTTL <= 0 {
		o.AccessTTL = 15 * time.Minute
	}
	if o.RefreshTTL <= 0 {
		o.RefreshTTL = 30 * 24 * time.Hour
	}
	if o.DefaultTimezone == "" {
		o.DefaultTimezone = "UTC"
	}
	if o.LoginWindow <= 0 {
		o.LoginWindow = 15 * time.Minute
	}
	if o.MaxFailsAccount <= 0 {
		o.MaxFailsAccount = 10
	}
	if o.MaxFailsAddress <= 0 {
		o.MaxFailsAddress = 50
	}
	if o.PunchCacheTTL == 0 {
		o.PunchCacheTTL = 5 * time.Second
	}
	if o.PasswordHashCost == (PasswordParams{}) {
		o.PasswordHashCost = DefaultPasswordParams
	}
	return &Service{pool: pool, o: o}, nil
}

// now is the one timestamp of an operation, truncated to what PostgreSQL keeps.
func (s *Service) now() time.Time { return s.o.Now().UTC().Truncate(time.Microsecond) }

// querier is what pgxpool.Pool and pgx.Tx have in common.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func (s *Service) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// interpret maps database facts to domain errors.
func interpret(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return errs.New(errs.NotFound, "not_found", "%s not found", what)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			taken := func(field, code, msg string) error {
				return &errs.Error{Kind: errs.Conflict, Code: code, Msg: msg, Fields: []errs.Field{{Field: field, Code: code, Message: msg}}}
			}
			switch pe.ConstraintName {
			case "employees_no":
				return taken("employee_no", "employee_no_taken", "another employee already has this employee number")
			case "employees_email":
				return taken("email", "email_taken", "another employee already has this email")
			case "employees_phone":
				return taken("phone", "phone_taken", "another employee already has this phone number")
			case "departments_sibling_name":
				return taken("name", "name_taken", "a sibling department already has this name")
			case "tenants_slug_key":
				return taken("slug", "slug_taken", "a tenant with this slug already exists")
			}
			return &errs.Error{Kind: errs.Conflict, Code: "conflict", Msg: what + " conflicts with an existing record", Err: err}
		case "23503":
			return &errs.Error{Kind: errs.Invalid, Code: "invalid_reference", Msg: what + " refers to a record that does not exist", Err: err}
		case "23514", "22001", "22P02":
			return &errs.Error{Kind: errs.Invalid, Code: "validation_failed", Msg: what + " breaks a rule of the schema", Err: err}
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Ping checks that the database answers.
func (s *Service) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }
