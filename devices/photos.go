package devices

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/internal/errs"
)

// MaxPhotoBytes caps one terminal photo.
const MaxPhotoBytes = 8 << 20

// ErrNoMediaStore: photos cannot be kept because no media store is
// configured.
var ErrNoMediaStore = errors.New("devices: no media store configured for terminal photos")

// PhotoInput is a punch photo a terminal uploaded.
type PhotoInput struct {
	// DedupeKey ties the photo to its punch (ZKKey for ZK ATTPHOTO, the
	// event key for Hikvision); "" for native uploads, which link by id.
	DedupeKey string
	PIN       string
	// LocalTime is the device wall time of the punch, when known.
	LocalTime   *time.Time
	ContentType string
	Data        []byte
}

// StorePhoto keeps a terminal photo in the media store and links it to its
// punch when the punch is already stored (a punch stored later links it
// then). The same (device, key) stored twice returns the first photo.
func (s *Service) StorePhoto(ctx context.Context, d Device, in PhotoInput) (uuid.UUID, error) {
	if s.o.Media == nil {
		return uuid.Nil, ErrNoMediaStore
	}
	if len(in.Data) == 0 {
		return uuid.Nil, errs.New(errs.Invalid, "empty_photo", "the photo is empty")
	}
	if len(in.Data) > MaxPhotoBytes {
		return uuid.Nil, errs.New(errs.TooLarge, "photo_too_large", "a terminal photo may be at most %d bytes", MaxPhotoBytes)
	}
	id, _ := uuid.NewV7()
	if in.DedupeKey == "" {
		in.DedupeKey = "photo:" + id.String()
	} else {
		var prev uuid.UUID
		err := s.pool.QueryRow(ctx, `SELECT id FROM device_photos WHERE tenant_id = $1 AND device_id = $2 AND dedupe_key = $3`,
			d.TenantID, d.ID, in.DedupeKey).Scan(&prev)
		if err == nil {
			return prev, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return uuid.Nil, fmt.Errorf("store photo: %w", err)
		}
	}
	ct := in.ContentType
	if ct == "" {
		ct = "image/jpeg"
	}
	ext := "jpg"
	if ct != "image/jpeg" {
		ext = "bin"
	}
	key := fmt.Sprintf("terminals/%s/%s/%s.%s", d.TenantID, d.ID, id, ext)
	if err := s.o.Media.Put(ctx, key, bytes.NewReader(in.Data), int64(len(in.Data)), ct); err != nil {
		return uuid.Nil, fmt.Errorf("store photo: %w", err)
	}
	sum := sha256.Sum256(in.Data)
	var local *time.Time
	if in.LocalTime != nil {
		l := wallOf(*in.LocalTime)
		local = &l
	}
	var out uuid.UUID
	err := s.pool.QueryRow(ctx, `INSERT INTO device_photos (tenant_id, id, device_id, dedupe_key, pin, device_local_time, storage_key,
			content_type, bytes, sha256, punch_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
			(SELECT id FROM punches WHERE tenant_id = $1 AND device_id = $3 AND dedupe_key = $4), $11)
		ON CONFLICT (tenant_id, device_id, dedupe_key) DO UPDATE SET dedupe_key = EXCLUDED.dedupe_key
		RETURNING id`,
		d.TenantID, id, d.ID, in.DedupeKey, clip(in.PIN, 64), local, key, ct, len(in.Data), sum[:], s.Now()).Scan(&out)
	if err != nil {
		_ = s.o.Media.Delete(ctx, key)
		return uuid.Nil, fmt.Errorf("store photo: %w", err)
	}
	if out != id {
		_ = s.o.Media.Delete(ctx, key) // a concurrent upload of the same photo won
	}
	return out, nil
}

func wallOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
}
