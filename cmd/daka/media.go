package main

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/dakahq/daka/attendance"
	"github.com/dakahq/daka/media"
	"github.com/dakahq/daka/media/localstore"
	"github.com/dakahq/daka/media/s3store"
)

// MediaConfig is where photo evidence is stored and how uploads are
// bounded. With DAKA_S3_ENDPOINT set photos go to S3; otherwise to a local
// folder whose signed URLs the API itself serves under /v1/media/.
type MediaConfig struct {
	S3Endpoint       string        // DAKA_S3_ENDPOINT: host[:port] or URL; selects S3
	S3PublicEndpoint string        // DAKA_S3_PUBLIC_ENDPOINT: host clients use, if different
	S3AccessKey      string        // DAKA_S3_ACCESS_KEY or DAKA_S3_ACCESS_KEY_FILE
	S3SecretKey      string        // DAKA_S3_SECRET_KEY or DAKA_S3_SECRET_KEY_FILE
	S3Bucket         string        // DAKA_S3_BUCKET, default daka
	S3Region         string        // DAKA_S3_REGION, default us-east-1
	S3UseSSL         bool          // DAKA_S3_USE_SSL, default false
	S3PathStyle      bool          // DAKA_S3_PATH_STYLE, default false (minio-go picks)
	Dir              string        // DAKA_MEDIA_DIR, default .daka/media
	SigningKey       string        // DAKA_MEDIA_SIGNING_KEY or _FILE; default derived from the JWT secret
	PhotoMaxBytes    int64         // DAKA_PHOTO_MAX_BYTES, default 15 MiB
	PhotoURLTTL      time.Duration // DAKA_PHOTO_URL_TTL, default 5m
	PhotoReuseWindow time.Duration // DAKA_PHOTO_REUSE_WINDOW, default 720h
	PhotoConcurrency int           // DAKA_PHOTO_CONCURRENCY, default GOMAXPROCS
}

// loadMediaConfig reads the media variables.
func loadMediaConfig(getenv func(string) string) (MediaConfig, error) {
	m := MediaConfig{
		S3Endpoint:       getenv("DAKA_S3_ENDPOINT"),
		S3PublicEndpoint: getenv("DAKA_S3_PUBLIC_ENDPOINT"),
		S3Bucket:         first(getenv("DAKA_S3_BUCKET"), "daka"),
		S3Region:         first(getenv("DAKA_S3_REGION"), s3store.DefaultRegion),
		Dir:              first(getenv("DAKA_MEDIA_DIR"), filepath.Join(".daka", "media")),
	}
	var err error
	if m.S3AccessKey, err = secret(getenv, "DAKA_S3_ACCESS_KEY"); err != nil {
		return m, err
	}
	if m.S3SecretKey, err = secret(getenv, "DAKA_S3_SECRET_KEY"); err != nil {
		return m, err
	}
	if m.SigningKey, err = secret(getenv, "DAKA_MEDIA_SIGNING_KEY"); err != nil {
		return m, err
	}
	if m.SigningKey != "" && len(m.SigningKey) < 32 {
		return m, fmt.Errorf("config: DAKA_MEDIA_SIGNING_KEY must be at least 32 bytes")
	}
	if m.S3UseSSL, err = boolVar(getenv, "DAKA_S3_USE_SSL", false); err != nil {
		return m, err
	}
	if m.S3PathStyle, err = boolVar(getenv, "DAKA_S3_PATH_STYLE", false); err != nil {
		return m, err
	}
	n, err := intVar(getenv, "DAKA_PHOTO_MAX_BYTES", attendance.DefaultPhotoMaxBytes)
	if err != nil {
		return m, err
	}
	m.PhotoMaxBytes = int64(n)
	if m.PhotoURLTTL, err = durVar(getenv, "DAKA_PHOTO_URL_TTL", attendance.DefaultPhotoURLTTL); err != nil {
		return m, err
	}
	if err := media.ValidateTTL(m.PhotoURLTTL); err != nil {
		return m, fmt.Errorf("config: DAKA_PHOTO_URL_TTL: %w", err)
	}
	if m.PhotoReuseWindow, err = durVar(getenv, "DAKA_PHOTO_REUSE_WINDOW", attendance.DefaultPhotoReuseWindow); err != nil {
		return m, err
	}
	if getenv("DAKA_PHOTO_CONCURRENCY") != "" {
		if m.PhotoConcurrency, err = intVar(getenv, "DAKA_PHOTO_CONCURRENCY", 0); err != nil {
			return m, err
		}
	}
	if m.S3Endpoint != "" && (m.S3AccessKey == "" || m.S3SecretKey == "") {
		return m, fmt.Errorf("config: DAKA_S3_ENDPOINT is set: DAKA_S3_ACCESS_KEY and DAKA_S3_SECRET_KEY are required")
	}
	return m, nil
}

// photoOptions are the attendance service's photo settings.
func (m MediaConfig) photoOptions() attendance.PhotoOptions {
	return attendance.PhotoOptions{MaxBytes: m.PhotoMaxBytes, URLTTL: m.PhotoURLTTL, ReuseWindow: m.PhotoReuseWindow,
		Concurrency: m.PhotoConcurrency}
}

// openMediaStore opens the configured photo store. For the local store it
// also returns the handler of its signed URLs, which the API mounts.
func openMediaStore(ctx context.Context, cfg Config, log *slog.Logger) (media.Store, http.Handler, error) {
	m := cfg.Media
	if m.S3Endpoint != "" {
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		s, err := s3store.New(sctx, s3store.Options{Endpoint: m.S3Endpoint, PublicEndpoint: m.S3PublicEndpoint,
			AccessKey: m.S3AccessKey, SecretKey: m.S3SecretKey, Bucket: m.S3Bucket, Region: m.S3Region,
			UseSSL: m.S3UseSSL, PathStyle: m.S3PathStyle})
		if err != nil {
			return nil, nil, fmt.Errorf("photo storage: %w", err)
		}
		log.Info("photo storage: S3", "endpoint", m.S3Endpoint, "public_endpoint", m.S3PublicEndpoint,
			"bucket", m.S3Bucket, "region", m.S3Region, "ssl", m.S3UseSSL, "path_style", m.S3PathStyle)
		return s, nil, nil
	}
	key := []byte(m.SigningKey)
	if len(key) == 0 {
		// Derived, so a development server works out of the box and replicas
		// sharing DAKA_JWT_SECRET agree; the label keeps the two keys apart.
		k, err := hkdf.Key(sha256.New, []byte(cfg.JWTSecret), nil, "daka media signing key v1", 32)
		if err != nil {
			return nil, nil, fmt.Errorf("photo storage: derive signing key: %w", err)
		}
		key = k
	}
	base := cfg.PublicURL
	if base == "" {
		base = localBaseURL(cfg.HTTPAddr)
		log.Warn("DAKA_PUBLIC_URL is not set: signed photo URLs point at " + base)
	}
	s, err := localstore.New(localstore.Options{Dir: m.Dir, BaseURL: base, SigningKey: key, MaxPutBytes: m.PhotoMaxBytes})
	if err != nil {
		return nil, nil, fmt.Errorf("photo storage: %w", err)
	}
	dir, _ := filepath.Abs(m.Dir)
	log.Info("photo storage: local folder", "dir", dir, "base_url", base, "signing_key_derived", m.SigningKey == "")
	return s, s.Handler(), nil
}

// localBaseURL guesses the server's own URL from its listen address, for
// development without DAKA_PUBLIC_URL.
func localBaseURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://localhost"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}
