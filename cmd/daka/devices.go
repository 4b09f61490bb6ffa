package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dakahq/daka/attendance"
	"github.com/dakahq/daka/devices"
	"github.com/dakahq/daka/media"
	"github.com/dakahq/daka/notify"
	"github.com/dakahq/daka/org"
)

// DevicesConfig configures door terminals.
type DevicesConfig struct {
	// EncryptionKey seals terminal signing keys and biometric templates:
	// DAKA_ENCRYPTION_KEY or DAKA_ENCRYPTION_KEY_FILE, 32 bytes as hex or
	// base64. Unset: derived from the JWT secret (development only: rotating
	// the JWT secret would then make sealed data unreadable).
	EncryptionKey    string
	MaxClockSkew     time.Duration // DAKA_DEVICE_MAX_CLOCK_SKEW, default 5m
	RawLogRetention  time.Duration // DAKA_DEVICE_RAW_LOG_RETENTION, default 168h
	PendingRetention time.Duration // DAKA_DEVICE_PENDING_RETENTION, default 720h
	OfflineAfter     time.Duration // DAKA_DEVICE_OFFLINE_AFTER, default 15m
}

func loadDevicesConfig(getenv func(string) string) (DevicesConfig, error) {
	var c DevicesConfig
	var err error
	if c.EncryptionKey, err = secret(getenv, "DAKA_ENCRYPTION_KEY"); err != nil {
		return c, err
	}
	if c.EncryptionKey != "" {
		if _, err := devices.ParseKey(c.EncryptionKey); err != nil {
			return c, fmt.Errorf("config: DAKA_ENCRYPTION_KEY: %w", err)
		}
	}
	for _, v := range []struct {
		dst  *time.Duration
		name string
		def  time.Duration
	}{
		{&c.MaxClockSkew, "DAKA_DEVICE_MAX_CLOCK_SKEW", 5 * time.Minute},
		{&c.RawLogRetention, "DAKA_DEVICE_RAW_LOG_RETENTION", 7 * 24 * time.Hour},
		{&c.PendingRetention, "DAKA_DEVICE_PENDING_RETENTION", 30 * 24 * time.Hour},
		{&c.OfflineAfter, "DAKA_DEVICE_OFFLINE_AFTER", 15 * time.Minute},
	} {
		if *v.dst, err = durVar(getenv, v.name, v.def); err != nil {
			return c, err
		}
	}
	return c, nil
}

// newDevices builds the terminal service: photos go to the media store,
// alarms and silent devices to the admins through notify, and the
// background work (offline checks, retention) runs until ctx ends.
func newDevices(ctx context.Context, pool *pgxpool.Pool, orgs *org.Service, att *attendance.Service, photos media.Store,
	ntf *notify.Service, cfg Config, log *slog.Logger) (*devices.Service, error) {
	key := devices.DeriveKey([]byte(cfg.JWTSecret))
	if cfg.Devices.EncryptionKey != "" {
		k, err := devices.ParseKey(cfg.Devices.EncryptionKey)
		if err != nil {
			return nil, fmt.Errorf("config: DAKA_ENCRYPTION_KEY: %w", err)
		}
		key = k
	} else {
		log.Warn("DAKA_ENCRYPTION_KEY is not set: terminal keys and biometric templates are sealed with a key derived from DAKA_JWT_SECRET")
	}
	dev, err := devices.NewService(pool, orgs, att, devices.Options{EncryptionKey: key, MaxClockSkew: cfg.Devices.MaxClockSkew,
		RawLogRetention: cfg.Devices.RawLogRetention, PendingRetention: cfg.Devices.PendingRetention,
		OfflineAfter: cfg.Devices.OfflineAfter, PublicURL: cfg.PublicURL, Media: photos, Logger: log})
	if err != nil {
		return nil, err
	}
	if ntf != nil {
		dev.OnAlarm(devices.NotifyAlarms(ntf))
		dev.OnOffline(devices.NotifyOffline(ntf))
	}
	go dev.Run(ctx)
	return dev, nil
}
