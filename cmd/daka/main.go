// Command daka is the Daka attendance server and its operator tools:
//
//	daka serve            the API (migrates first unless DAKA_AUTO_MIGRATE=false)
//	daka migrate          apply database migrations and exit
//	daka tenant create    bootstrap a tenant and its first admin
//	daka demo             seed the demo tenant (idempotent) and print its logins
//	daka version
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/dakahq/daka/api"
	"github.com/dakahq/daka/attendance"
	"github.com/dakahq/daka/migrations"
	"github.com/dakahq/daka/org"
)

var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "daka:", err)
		os.Exit(1)
	}
}

const usage = `usage: daka <command>

commands:
  serve                   run the API server
  migrate                 apply database migrations and exit
  tenant create --slug S --name N --admin-email E --admin-password P
                          create a tenant and its first admin; prints JSON
  demo                    create the demo tenant if missing and print its logins
  version                 print the version
`

// run is main without the process: e2e tests call it with their own
// environment and a listener on :0 (ready receives the bound address).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ready chan<- string) error {
	if len(args) == 0 {
		args = []string{"serve"}
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	switch args[0] {
	case "version":
		fmt.Fprintln(stdout, version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "serve":
		return serve(ctx, cfg, stderr, ready)
	case "migrate":
		pool, err := openDB(ctx, cfg)
		if err != nil {
			return err
		}
		defer pool.Close()
		v, err := migrations.Up(ctx, pool)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "database at migration %d\n", v)
		return nil
	case "tenant":
		if len(args) < 2 || args[1] != "create" {
			return fmt.Errorf("usage: daka tenant create --slug S --name N --admin-email E --admin-password P")
		}
		return tenantCreate(ctx, cfg, args[2:], stdout)
	case "demo":
		return demo(ctx, cfg, stdout)
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func openDB(ctx context.Context, cfg Config) (*pgxpool.Pool, error) {
	if cfg.DatabaseURL == "" {
		return nil, errors.New("DATABASE_URL is not set (the README's run command starts a private PostgreSQL and sets it)")
	}
	pc, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	pc.MaxConns = cfg.DBMaxConns
	pc.ConnConfig.RuntimeParams["timezone"] = "UTC"
	pc.ConnConfig.RuntimeParams["application_name"] = "daka"
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database: %w", err)
	}
	return pool, nil
}

func newOrg(pool *pgxpool.Pool, cfg Config) (*org.Service, error) {
	cfg.ensureJWTSecret()
	return org.NewService(pool, org.Options{JWTSecret: []byte(cfg.JWTSecret), AccessTTL: cfg.AccessTTL,
		RefreshTTL: cfg.RefreshTTL, DefaultTimezone: cfg.DefaultTimezone, PublicURL: cfg.PublicURL})
}

func serve(ctx context.Context, cfg Config, stderr io.Writer, ready chan<- string) error {
	log := newLogger(cfg, stderr)
	cfg.ensureJWTSecret()
	log.Info("starting daka", "version", version, "config", cfg.String())
	if cfg.jwtGenerated {
		log.Warn("DAKA_JWT_SECRET is not set: using a random secret; tokens end with this process and replicas will not accept each other's")
	}
	pool, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	if cfg.AutoMigrate {
		v, err := migrations.Up(ctx, pool)
		if err != nil {
			return err
		}
		log.Info("database migrated", "version", v)
	} else if n, err := migrations.Pending(ctx, pool); err != nil {
		return err
	} else if n > 0 {
		return fmt.Errorf("the database is %d migrations behind: run `daka migrate` (or set DAKA_AUTO_MIGRATE=true)", n)
	}
	orgs, err := newOrg(pool, cfg)
	if err != nil {
		return err
	}
	photos, mediaHandler, err := openMediaStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	att := attendance.NewService(pool, orgs, attendance.Options{MaxAccuracySlackM: cfg.AccuracySlackM,
		Photos: photos, PhotoOptions: cfg.Media.photoOptions()})
	go att.RunPhotoRetention(ctx, time.Hour, log)
	go runTrackRetention(ctx, att, log)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	ntf, err := openNotify(ctx, pool, cfg.Notify, log, reg)
	if err != nil {
		return err
	}
	reqs := newRequests(att, ntf)
	dev, err := newDevices(ctx, pool, orgs, att, photos, ntf, cfg, log)
	if err != nil {
		return err
	}
	go runApprovalSweeper(ctx, reqs, cfg.ApprovalSweepInterval, log)
	e, err := api.New(api.Deps{
		Org: orgs, Attendance: att, Requests: reqs,
		Logger: log, Registry: reg, Version: version, MaxBodyBytes: cfg.MaxBodyBytes, TrustedProxies: cfg.TrustedProxies,
		Media: mediaHandler, Notify: ntf, Devices: dev,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
	if err := ntf.Start(ctx); err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "docs", "/docs", "spec", "/openapi.yaml")
	if ready != nil {
		ready <- ln.Addr().String()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining requests", "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("shutting down: finishing push and webhook jobs")
	if err := ntf.Stop(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

func tenantCreate(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("tenant create", flag.ContinueOnError)
	slug := fs.String("slug", "", "tenant slug (used to log in)")
	name := fs.String("name", "", "tenant name")
	email := fs.String("admin-email", "", "first admin's email")
	pw := fs.String("admin-password", "", "first admin's password (at least 8 characters)")
	tz := fs.String("timezone", "", "the admin's IANA time zone (default DAKA_DEFAULT_TIMEZONE)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pool, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	if _, err := migrations.Up(ctx, pool); err != nil {
		return err
	}
	orgs, err := newOrg(pool, cfg)
	if err != nil {
		return err
	}
	t, err := orgs.CreateTenant(ctx, org.NewTenant{Slug: *slug, Name: *name, AdminEmail: *email, AdminPassword: *pw, Timezone: *tz})
	if err != nil {
		return describe(err)
	}
	return json.NewEncoder(stdout).Encode(map[string]string{
		"tenant_id": t.Tenant.ID.String(), "slug": t.Tenant.Slug, "admin_user_id": t.AdminID.String()})
}
