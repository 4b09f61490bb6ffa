package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dakahq/daka/notify"
	"github.com/dakahq/daka/notify/fcm"
)

// NotifyConfig configures notifications: push providers, the workers that
// deliver pushes and webhooks, and what webhooks may reach.
type NotifyConfig struct {
	FCMProjectID       string // DAKA_FCM_PROJECT_ID
	FCMCredentialsFile string // DAKA_FCM_CREDENTIALS_FILE: service account JSON
	FCMEndpoint        string // DAKA_FCM_ENDPOINT: replaces https://fcm.googleapis.com/v1 (a proxy, a local fake)
	Workers            int    // DAKA_WORKERS, default 10: concurrent push and webhook jobs per replica (each queue)
	DefaultLocale      string // DAKA_NOTIFY_DEFAULT_LOCALE: zh-CN (default) or en
	WebhookAllowHTTP   bool   // DAKA_WEBHOOK_ALLOW_HTTP: http:// to loopback hosts (tests, local development)
	WebhookAllowPriv   bool   // DAKA_WEBHOOK_ALLOW_PRIVATE: deliveries to private networks (on-premises OA systems)
}

func loadNotifyConfig(getenv func(string) string) (NotifyConfig, error) {
	c := NotifyConfig{
		FCMProjectID:       getenv("DAKA_FCM_PROJECT_ID"),
		FCMCredentialsFile: getenv("DAKA_FCM_CREDENTIALS_FILE"),
		FCMEndpoint:        getenv("DAKA_FCM_ENDPOINT"),
		DefaultLocale:      first(getenv("DAKA_NOTIFY_DEFAULT_LOCALE"), notify.LocaleZhCN),
	}
	var err error
	if c.Workers, err = intVar(getenv, "DAKA_WORKERS", 10); err != nil {
		return c, err
	}
	if c.WebhookAllowHTTP, err = boolVar(getenv, "DAKA_WEBHOOK_ALLOW_HTTP", false); err != nil {
		return c, err
	}
	if c.WebhookAllowPriv, err = boolVar(getenv, "DAKA_WEBHOOK_ALLOW_PRIVATE", false); err != nil {
		return c, err
	}
	if c.DefaultLocale != notify.LocaleZhCN && c.DefaultLocale != notify.LocaleEn {
		return c, fmt.Errorf("config: DAKA_NOTIFY_DEFAULT_LOCALE: %q is not zh-CN or en", c.DefaultLocale)
	}
	return c, nil
}

func (c NotifyConfig) fcm() fcm.Config {
	return fcm.Config{ProjectID: c.FCMProjectID, CredentialsFile: c.FCMCredentialsFile, Endpoint: c.FCMEndpoint}
}

// openNotify builds the notification service. Without FCM credentials or
// an endpoint push is off, which it says, and the inbox and webhooks work.
func openNotify(ctx context.Context, pool *pgxpool.Pool, c NotifyConfig, log *slog.Logger, reg prometheus.Registerer) (*notify.Service, error) {
	var providers []notify.Provider
	if fc := c.fcm(); fc.Enabled() {
		p, err := fcm.New(ctx, fc)
		if err != nil {
			return nil, fmt.Errorf("push: %w", err)
		}
		providers = append(providers, p)
		log.Info("push on: FCM", "project", c.FCMProjectID, "endpoint", first(c.FCMEndpoint, "https://fcm.googleapis.com/v1"),
			"credentials", c.FCMCredentialsFile != "")
	} else {
		log.Warn("push is off: set DAKA_FCM_CREDENTIALS_FILE (or DAKA_FCM_ENDPOINT for a proxy) to send FCM pushes; the in-app inbox and webhooks still work")
	}
	if c.WebhookAllowHTTP || c.WebhookAllowPriv {
		log.Warn("webhooks may reach internal addresses", "allow_http_loopback", c.WebhookAllowHTTP, "allow_private", c.WebhookAllowPriv)
	}
	return notify.New(pool, notify.Options{
		Providers: providers, Workers: c.Workers, DefaultLocale: c.DefaultLocale,
		Webhooks: notify.WebhookOptions{AllowHTTP: c.WebhookAllowHTTP, AllowPrivate: c.WebhookAllowPriv},
		Logger:   log.With("component", "notify"), Registerer: reg,
	})
}
