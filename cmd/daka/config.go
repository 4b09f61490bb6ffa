package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of the binary, read once from the environment.
// Each variable is documented in the README with its default.
type Config struct {
	DatabaseURL     string        // DATABASE_URL (or DAKA_DATABASE_URL)
	HTTPAddr        string        // DAKA_HTTP_ADDR, default :8080
	JWTSecret       string        // DAKA_JWT_SECRET or DAKA_JWT_SECRET_FILE
	AutoMigrate     bool          // DAKA_AUTO_MIGRATE, default true
	AccessTTL       time.Duration // DAKA_ACCESS_TOKEN_TTL, default 15m
	RefreshTTL      time.Duration // DAKA_REFRESH_TOKEN_TTL, default 720h
	DefaultTimezone string        // DAKA_DEFAULT_TIMEZONE, default UTC
	PublicURL       string        // DAKA_PUBLIC_URL
	TrustedProxies  []string      // DAKA_TRUSTED_PROXIES, comma-separated CIDRs
	LogLevel        slog.Level    // DAKA_LOG_LEVEL, default info
	LogFormat       string        // DAKA_LOG_FORMAT: json (default) or text
	DBMaxConns      int32         // DAKA_DB_MAX_CONNS, default 20
	MaxBodyBytes    int64         // DAKA_MAX_BODY_BYTES, default 1 MiB
	ShutdownTimeout time.Duration // DAKA_SHUTDOWN_TIMEOUT, default 20s
	AccuracySlackM  float64       // DAKA_ACCURACY_SLACK_M, default 100
	Media           MediaConfig   // photo storage and upload limits (media.go)
	Notify          NotifyConfig  // push, workers and webhooks (notify.go)
	Devices         DevicesConfig // door terminals (devices.go)

	// ApprovalSweepInterval is how often due approval reminders and
	// escalations are sent (DAKA_APPROVAL_SWEEP_INTERVAL, default 1m).
	ApprovalSweepInterval time.Duration

	jwtGenerated bool
}

func loadConfig(getenv func(string) string) (Config, error) {
	c := Config{
		DatabaseURL:     first(getenv("DATABASE_URL"), getenv("DAKA_DATABASE_URL")),
		HTTPAddr:        first(getenv("DAKA_HTTP_ADDR"), ":8080"),
		DefaultTimezone: first(getenv("DAKA_DEFAULT_TIMEZONE"), "UTC"),
		PublicURL:       getenv("DAKA_PUBLIC_URL"),
		LogFormat:       first(getenv("DAKA_LOG_FORMAT"), "json"),
	}
	var err error
	if c.JWTSecret, err = secret(getenv, "DAKA_JWT_SECRET"); err != nil {
		return c, err
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < 32 {
		return c, fmt.Errorf("config: DAKA_JWT_SECRET must be at least 32 bytes")
	}
	if c.AutoMigrate, err = boolVar(getenv, "DAKA_AUTO_MIGRATE", true); err != nil {
		return c, err
	}
	if c.AccessTTL, err = durVar(getenv, "DAKA_ACCESS_TOKEN_TTL", 15*time.Minute); err != nil {
		return c, err
	}
	if c.RefreshTTL, err = durVar(getenv, "DAKA_REFRESH_TOKEN_TTL", 720*time.Hour); err != nil {
		return c, err
	}
	if c.ShutdownTimeout, err = durVar(getenv, "DAKA_SHUTDOWN_TIMEOUT", 20*time.Second); err != nil {
		return c, err
	}
	if c.ApprovalSweepInterval, err = durVar(getenv, "DAKA_APPROVAL_SWEEP_INTERVAL", time.Minute); err != nil {
		return c, err
	}
	if v := getenv("DAKA_TRUSTED_PROXIES"); v != "" {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				c.TrustedProxies = append(c.TrustedProxies, p)
			}
		}
	}
	if err := c.LogLevel.UnmarshalText([]byte(first(getenv("DAKA_LOG_LEVEL"), "info"))); err != nil {
		return c, fmt.Errorf("config: DAKA_LOG_LEVEL: %w", err)
	}
	n, err := intVar(getenv, "DAKA_DB_MAX_CONNS", 20)
	if err != nil {
		return c, err
	}
	c.DBMaxConns = int32(n)
	b, err := intVar(getenv, "DAKA_MAX_BODY_BYTES", 1<<20)
	if err != nil {
		return c, err
	}
	c.MaxBodyBytes = int64(b)
	slack, err := floatVar(getenv, "DAKA_ACCURACY_SLACK_M", 100)
	if err != nil {
		return c, err
	}
	c.AccuracySlackM = slack
	if c.Devices, err = loadDevicesConfig(getenv); err != nil {
		return c, err
	}
	if c.Notify, err = loadNotifyConfig(getenv); err != nil {
		return c, err
	}
	if c.Media, err = loadMediaConfig(getenv); err != nil {
		return c, err
	}
	if _, err := time.LoadLocation(c.DefaultTimezone); err != nil {
		return c, fmt.Errorf("config: DAKA_DEFAULT_TIMEZONE: %w", err)
	}
	return c, nil
}

// ensureJWTSecret makes up a random secret when none is configured: fine for
// one process, but tokens die with it and replicas would not agree.
func (c *Config) ensureJWTSecret() {
	if c.JWTSecret != "" {
		return
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	c.JWTSecret, c.jwtGenerated = hex.EncodeToString(b), true
}

// String prints the configuration with secrets masked.
func (c Config) String() string {
	return fmt.Sprintf("http_addr=%s database_url=%s jwt_secret=%s auto_migrate=%t access_ttl=%s refresh_ttl=%s default_tz=%s public_url=%q trusted_proxies=%v db_max_conns=%d",
		c.HTTPAddr, maskURL(c.DatabaseURL), mask(c.JWTSecret), c.AutoMigrate, c.AccessTTL, c.RefreshTTL, c.DefaultTimezone,
		c.PublicURL, c.TrustedProxies, c.DBMaxConns)
}

func mask(s string) string {
	if s == "" {
		return "(unset)"
	}
	return "***"
}

func maskURL(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		if j := strings.Index(s[i+3:], "@"); j >= 0 {
			if k := strings.Index(s[i+3:i+3+j], ":"); k >= 0 {
				return s[:i+3+k+1] + "***" + s[i+3+j:]
			}
		}
	}
	return s
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// secret reads NAME, or the file named by NAME_FILE.
func secret(getenv func(string) string, name string) (string, error) {
	if f := getenv(name + "_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("config: %s_FILE: %w", name, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return getenv(name), nil
}

func boolVar(getenv func(string) string, name string, def bool) (bool, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return def, fmt.Errorf("config: %s: %w", name, err)
	}
	return b, nil
}

func durVar(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return def, fmt.Errorf("config: %s: not a positive duration: %q", name, v)
	}
	return d, nil
}

func intVar(getenv func(string) string, name string, def int) (int, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return def, fmt.Errorf("config: %s: not a positive integer: %q", name, v)
	}
	return n, nil
}

func floatVar(getenv func(string) string, name string, def float64) (float64, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 {
		return def, fmt.Errorf("config: %s: not a non-negative number: %q", name, v)
	}
	return f, nil
}
