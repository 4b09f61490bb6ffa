package devices

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/internal/errs"
)

// Native terminals sign every request (docs/terminals.md):
//
//	X-Daka-Device:    the device id
//	X-Daka-Timestamp: Unix seconds
//	X-Daka-Nonce:     16–64 of [A-Za-z0-9_-], never reused
//	X-Daka-Signature: lowercase hex HMAC-SHA256(key, canonical)
//
//	canonical = METHOD "\n" PATH "\n" TIMESTAMP "\n" NONCE "\n" hex(SHA-256(body))
//	key       = SHA-256(secret), the 32 raw bytes
//
// PATH is the request target as sent, query string included. The
// timestamp must be within the signature window of the server clock and
// the nonce is remembered for the window, so a captured request cannot be
// replayed; GET /v1/terminal/time is exempt from both (a device with a
// wrong clock must still be able to learn the right time, and the answer
// changes nothing).

// Signature headers.
const (
	HeaderDevice    = "X-Daka-Device"
	HeaderTimestamp = "X-Daka-Timestamp"
	HeaderNonce     = "X-Daka-Nonce"
	HeaderSignature = "X-Daka-Signature"
)

var nonceRe = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

// SignedRequest is what VerifyRequest checks.
type SignedRequest struct {
	Method string
	// Target is the path with the query string, as sent.
	Target    string
	Device    string
	Timestamp string
	Nonce     string
	Signature string
	Body      []byte
	// Unwindowed skips the timestamp window and the nonce (the time
	// endpoint only).
	Unwindowed bool
}

// Canonical is the string a native terminal signs.
func Canonical(method, target, timestamp, nonce string, body []byte) string {
	h := sha256.Sum256(body)
	return strings.ToUpper(method) + "\n" + target + "\n" + timestamp + "\n" + nonce + "\n" + hex.EncodeToString(h[:])
}

// SigningKey derives the HMAC key from the secret a device was given.
func SigningKey(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// Sign computes X-Daka-Signature (what a native terminal does; tests and
// the simulator use it).
func Sign(secret, method, target, timestamp, nonce string, body []byte) string {
	m := hmac.New(sha256.New, SigningKey(secret))
	m.Write([]byte(Canonical(method, target, timestamp, nonce, body)))
	return hex.EncodeToString(m.Sum(nil))
}

// AuthError is a refused native request: 401 (or 403 for a disabled
// device) with a stable code, plus the server time so a device whose clock
// drifted out of the window can tell.
type AuthError struct {
	Err        *errs.Error
	ServerTime time.Time
}

func (e *AuthError) Error() string { return e.Err.Error() }

// Unwrap exposes the *errs.Error (kind and code) to errs.As.
func (e *AuthError) Unwrap() error { return e.Err }

func (s *Service) authErr(kind errs.Kind, code, msg string) error {
	return &AuthError{Err: errs.New(kind, code, "%s", msg), ServerTime: s.o.Now()}
}

func keyAD(tenant, id uuid.UUID) string { return "devicekey:" + tenant.String() + ":" + id.String() }

// VerifyRequest authenticates a signed native request and returns its
// device. Refusals are *AuthError (errs.Unauthenticated, or Forbidden for a
// disabled device) and are logged; the nonce is recorded only for a valid
// signature, so forged requests cannot fill the table.
func (s *Service) VerifyRequest(ctx context.Context, r SignedRequest) (Device, error) {
	fail := func(d *Device, code, msg string) (Device, error) {
		s.log.Warn("terminal request refused", "code", code, "device", r.Device, "method", r.Method, "target", clip(r.Target, 200))
		if d != nil {
			s.LogRequest(context.WithoutCancel(ctx), *d, RawRequest{At: s.Now(), Method: r.Method, Path: r.Target,
				Body: r.Body, BodySize: len(r.Body), Status: 401, Response: code})
		}
		return Device{}, s.authErr(errs.Unauthenticated, code, msg)
	}
	if r.Device == "" || r.Timestamp == "" || r.Nonce == "" || r.Signature == "" {
		return fail(nil, "signature_missing", "sign the request: X-Daka-Device, X-Daka-Timestamp, X-Daka-Nonce, X-Daka-Signature")
	}
	id, err := uuid.Parse(r.Device)
	if err != nil {
		return fail(nil, "unknown_device", "X-Daka-Device is not a registered device")
	}
	d, err := s.DeviceByID(ctx, id)
	if err != nil {
		if errs.KindOf(err) == errs.NotFound {
			return fail(nil, "unknown_device", "X-Daka-Device is not a registered device")
		}
		return Device{}, err
	}
	if d.Protocol != ProtocolDaka || d.keyEnc == nil {
		return fail(&d, "not_activated", "the device is not activated: redeem an activation code first")
	}
	ts, err := strconv.ParseInt(r.Timestamp, 10, 64)
	if err != nil {
		return fail(&d, "invalid_timestamp", "X-Daka-Timestamp is Unix seconds")
	}
	now := s.o.Now()
	if skew := now.Sub(time.Unix(ts, 0)); !r.Unwindowed && (skew > s.o.SignatureWindow || skew < -s.o.SignatureWindow) {
		return fail(&d, "stale_timestamp", fmt.Sprintf("the timestamp is %s from the server's time: sync the clock with GET /v1/terminal/time",
			skew.Round(time.Second)))
	}
	if !nonceRe.MatchString(r.Nonce) {
		return fail(&d, "invalid_nonce", "X-Daka-Nonce is 16–64 letters, digits, '_' or '-'")
	}
	key, err := s.seal.open(d.keyEnc, keyAD(d.TenantID, d.ID))
	if err != nil {
		s.log.Error("terminal signing key does not open (was DAKA_ENCRYPTION_KEY changed?)", "device", d.ID)
		return fail(&d, "invalid_signature", "the signature does not match")
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(Canonical(r.Method, r.Target, r.Timestamp, r.Nonce, r.Body)))
	got, err := hex.DecodeString(strings.ToLower(r.Signature))
	if err != nil || !hmac.Equal(got, m.Sum(nil)) {
		return fail(&d, "invalid_signature", "the signature does not match")
	}
	if !r.Unwindowed {
		tag, err := s.pool.Exec(ctx, `INSERT INTO device_nonces (tenant_id, device_id, nonce, seen_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT DO NOTHING`, d.TenantID, d.ID, r.Nonce, now)
		if err != nil {
			return Device{}, fmt.Errorf("nonce: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fail(&d, "replayed_nonce", "this nonce was used already")
		}
	}
	if !d.Enabled {
		s.log.Warn("terminal request refused", "code", "device_disabled", "device", d.ID)
		return Device{}, s.authErr(errs.Forbidden, "device_disabled", "the device is disabled")
	}
	return d, nil
}

// Activation is what redeeming an activation code gives a native device.
type Activation struct {
	Device Device
	// Secret is shown once; the device signs with SigningKey(Secret).
	Secret string
}

// Activate redeems a one-time activation code: the device gets its secret
// (shown once; the server keeps only the sealed signing key) and any
// previous secret stops working.
func (s *Service) Activate(ctx context.Context, code string) (Activation, error) {
	now := s.Now()
	var out Activation
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var tenant, devID, codeID uuid.UUID
		var exp time.Time
		var used *time.Time
		err := tx.QueryRow(ctx, `SELECT tenant_id, device_id, id, expires_at, used_at FROM device_activation_codes WHERE code_hash = $1
			FOR UPDATE`, hashCode(code)).Scan(&tenant, &devID, &codeID, &exp, &used)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && (used != nil || now.After(exp))) {
			s.log.Warn("terminal activation refused")
			return errs.New(errs.Unauthenticated, "invalid_activation_code", "the activation code is unknown, used or expired")
		}
		if err != nil {
			return fmt.Errorf("activate: %w", err)
		}
		d, err := s.getDevice(ctx, tx, tenant, devID)
		if err != nil {
			return errs.New(errs.Unauthenticated, "invalid_activation_code", "the activation code is unknown, used or expired")
		}
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		secret := base64.RawURLEncoding.EncodeToString(b)
		if _, err := tx.Exec(ctx, `UPDATE devices SET key_enc = $3, activated_at = $4, updated_at = $4, last_seen_at = $4
			WHERE tenant_id = $1 AND id = $2`, tenant, devID, s.seal.seal(SigningKey(secret), keyAD(tenant, devID)), now); err != nil {
			return fmt.Errorf("activate: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE device_activation_codes SET used_at = $3 WHERE tenant_id = $1 AND id = $2`, tenant, codeID, now); err != nil {
			return fmt.Errorf("activate: %w", err)
		}
		if out.Device, err = s.getDevice(ctx, tx, tenant, devID); err != nil {
			return err
		}
		out.Secret = secret
		s.cache.forget(d)
		return nil
	})
	return out, err
}

// Heartbeat is what a native device reports on POST /v1/terminal/heartbeat.
type Heartbeat struct {
	Firmware   string
	IP         string
	UserCount  *int
	PunchCount *int
	FaceCount  *int
	FPCount    *int
	// ClockOffsetMs is the device's measured offset (device minus server),
	// from its GET /v1/terminal/time exchange.
	ClockOffsetMs *int64
	Props         map[string]string
}

// RecordHeartbeat stores a native heartbeat and returns the device as it is
// now (pending commands, roster reset time).
func (s *Service) RecordHeartbeat(ctx context.Context, d Device, h Heartbeat) (Device, error) {
	u := InfoUpdate{Firmware: h.Firmware, IP: h.IP, UserCount: h.UserCount, PunchCount: h.PunchCount, FaceCount: h.FaceCount,
		FPCount: h.FPCount, Props: h.Props}
	if h.ClockOffsetMs != nil {
		off := time.Duration(*h.ClockOffsetMs) * time.Millisecond
		u.ClockOffset = &off
	}
	if err := s.UpdateInfo(ctx, d, u); err != nil {
		return Device{}, err
	}
	return s.getDevice(ctx, s.pool, d.TenantID, d.ID)
}
