package devices

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dakahq/daka/attendance"
	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/media"
	"github.com/dakahq/daka/org"
)

// Options configure the Service. Zero values take the defaults named.
type Options struct {
	Now func() time.Time
	// EncryptionKey seals signing keys and biometric templates (32 bytes;
	// see ParseKey and DeriveKey). Required.
	EncryptionKey []byte
	// MaxClockSkew is the device clock offset beyond which punches are
	// flagged device_clock_skew. Default 5 min.
	MaxClockSkew time.Duration
	// SignatureWindow is how far a signed native request's timestamp may be
	// from the server clock; nonces are remembered this long. Default 5 min.
	SignatureWindow time.Duration
	// ActivationTTL is how long a native activation code works. Default 72 h.
	ActivationTTL time.Duration
	// PublicURL is put in activation QR payloads when set.
	PublicURL string
	// OnlineWindow: a device seen within it is online. Default 3 min.
	OnlineWindow time.Duration
	// OfflineAfter: a device silent this long is reported to the OnOffline
	// hooks. Default 15 min.
	OfflineAfter time.Duration
	// CommandTimeout: a delivered command with no reply after it is
	// delivered again (same id). Default 100 s (10 × the ZK poll Delay).
	CommandTimeout time.Duration
	// CommandMaxAttempts: deliveries before an unanswered command expires.
	// Default 3.
	CommandMaxAttempts int
	// RawLogRetention is how long the raw request log is kept. Default 7 days.
	RawLogRetention time.Duration
	// PendingRetention is how long an unapproved serial and what it sent are
	// kept after it was last seen. Default 30 days.
	PendingRetention time.Duration
	// PendingMaxBytes caps what one unregistered serial may have stored
	// (default 64 MiB); PendingMaxTotal caps all of them (default 1 GiB).
	// Past either, requests are still answered ERROR but not kept.
	PendingMaxBytes int64
	PendingMaxTotal int64
	// Media stores punch photos from terminals; nil keeps none (they are
	// counted in the raw log only).
	Media media.Store
	// Logger receives authentication failures and rejected records.
	Logger *slog.Logger
	// DeviceCacheTTL is how long a device looked up by serial, token or id
	// is reused (default 2 s; negative disables). Changes made through this
	// process drop their entries at once.
	DeviceCacheTTL time.Duration
	// IdentityCacheTTL is how long a device's resolved PINs and cards are
	// reused (default 5 s; negative disables). See identityCache.
	IdentityCacheTTL time.Duration
}

// AlarmFunc is told about each new alarm inside the transaction that
// stores it, so a notification commits with it. See Service.OnAlarm.
type AlarmFunc func(ctx context.Context, tx pgx.Tx, e Event) error

// Replayer ingests what a pending device sent, once it is approved. The
// protocol handlers register one (see Service.RegisterReplayer).
type Replayer func(ctx context.Context, d Device, reqs []PendingRequest) error

// Service implements the terminal use cases on PostgreSQL.
type Service struct {
	pool   *pgxpool.Pool
	org    *org.Service
	att    *attendance.Service
	o      Options
	seal   *sealer
	log    *slog.Logger
	cache  deviceCache
	idents identityCache

	mu        sync.RWMutex
	alarms    []AlarmFunc
	offline   []OfflineFunc
	replayers map[Protocol]Replayer
}

// NewService returns a Service and registers its employee hook on orgs (so
// changing an employee queues the matching terminal commands).
func NewService(pool *pgxpool.Pool, orgs *org.Service, att *attendance.Service, o Options) (*Service, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	sl, err := newSealer(o.EncryptionKey)
	if err != nil {
		return nil, err
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.MaxClockSkew, 5*time.Minute)
	def(&o.SignatureWindow, 5*time.Minute)
	def(&o.ActivationTTL, 72*time.Hour)
	def(&o.OnlineWindow, 3*time.Minute)
	def(&o.OfflineAfter, 15*time.Minute)
	def(&o.CommandTimeout, 100*time.Second)
	def(&o.RawLogRetention, 7*24*time.Hour)
	def(&o.PendingRetention, 30*24*time.Hour)
	def(&o.DeviceCacheTTL, 2*time.Second)
	def(&o.IdentityCacheTTL, 5*time.Second)
	if o.CommandMaxAttempts <= 0 {
		o.CommandMaxAttempts = 3
	}
	if o.PendingMaxBytes <= 0 {
		o.PendingMaxBytes = 64 << 20
	}
	if o.PendingMaxTotal <= 0 {
		o.PendingMaxTotal = 1 << 30
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Service{pool: pool, org: orgs, att: att, o: o, seal: sl, log: o.Logger, replayers: map[Protocol]Replayer{}}
	orgs.OnEmployeeChanged(s.employeeChanged)
	return s, nil
}

// OnAlarm registers f to run for every new alarm (native events, failed
// verifications, tamper), inside the transaction that stores it.
func (s *Service) OnAlarm(f AlarmFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.alarms = append(s.alarms, f)
}

// RegisterReplayer sets how approved pending devices of protocol p have
// what they sent ingested.
func (s *Service) RegisterReplayer(p Protocol, r Replayer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replayers[p] = r
}

// Now is the service clock (truncated to what PostgreSQL keeps).
func (s *Service) Now() time.Time { return s.o.Now().UTC().Truncate(time.Microsecond) }

// MaxClockSkew is the configured clock-offset bound.
func (s *Service) MaxClockSkew() time.Duration { return s.o.MaxClockSkew }

// Logger is the service's logger (for the protocol handlers).
func (s *Service) Logger() *slog.Logger { return s.log }

func (s *Service) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// querier is what pgxpool.Pool and pgx.Tx have in common.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
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
			switch pe.ConstraintName {
			case "devices_serial":
				return errs.FieldErr("serial", "serial_taken", "a device with this serial number is already registered")
			case "device_pins_pkey":
				return errs.FieldErr("pins", "pin_taken", "another employee already has this PIN on the device")
			case "employee_cards_pkey":
				return errs.FieldErr("cards", "card_taken", "another employee already has this card")
			case "device_commands_cmd_id":
				return errs.FieldErr("cmd_id", "cmd_id_taken", "the device already has a command with this id")
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

func errForbidden() error {
	return errs.New(errs.Forbidden, "forbidden", "your role does not allow this")
}

func requireAdmin(a org.Actor) error {
	if !a.IsAdmin() {
		return errForbidden()
	}
	return nil
}
