// Package migrations holds Daka's numbered SQL migrations (goose format),
// embedded in the binary, and the function that applies them. Up also
// applies River's own migrations (the job queue behind notifications), so
// one command brings the whole schema up to date.
package migrations

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"sort"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

//go:embed *.sql
var FS embed.FS

// Up applies every pending migration and returns the resulting version.
// It is safe to run from several replicas at once: goose takes a session
// advisory lock while it works.
func Up(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	return UpDB(ctx, db)
}

// UpDB is Up for a database/sql handle.
func UpDB(ctx context.Context, db *sql.DB) (int64, error) {
	locker, err := lockerFor()
	if err != nil {
		return 0, err
	}
	// Out-of-order: migrations written in parallel branches may land in any
	// order; each is applied once whatever its number.
	p, err := goose.NewProvider(goose.DialectPostgres, db, FS, goose.WithSessionLocker(locker), goose.WithAllowOutofOrder(true))
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return 0, fmt.Errorf("migrations: up: %w", err)
	}
	if err := riverUp(ctx, db); err != nil {
		return 0, err
	}
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrations: version: %w", err)
	}
	return v, nil
}

// Pending reports how many migrations have not been applied yet.
func Pending(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, FS)
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	st, err := p.Status(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrations: status: %w", err)
	}
	n := 0
	for _, s := range st {
		if s.State == goose.StatePending {
			n++
		}
	}
	rm, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: quietLogger()})
	if err != nil {
		return 0, fmt.Errorf("migrations: river: %w", err)
	}
	applied, err := rm.ExistingVersions(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrations: river versions: %w", err)
	}
	return n + len(rm.AllVersions()) - len(applied), nil
}

// riverAdvisoryKey serialises River migrations across replicas starting at
// once (goose's own lock is released by the time River migrates).
const riverAdvisoryKey = 7411_0005

// riverUp applies River's pending migrations on a pgx connection borrowed
// from db, one transaction per version (a later version may use an enum value
// an earlier one added, which PostgreSQL refuses within one transaction),
// each under a transaction-scoped advisory lock.
func riverUp(ctx context.Context, db *sql.DB) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrations: river: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("migrations: river: the database handle is not pgx (%T)", dc)
		}
		rm, err := rivermigrate.New(riverpgxv5.New(nil), &rivermigrate.Config{Logger: quietLogger()})
		if err != nil {
			return fmt.Errorf("migrations: river: %w", err)
		}
		for {
			applied := 0
			err := pgx.BeginFunc(ctx, sc.Conn(), func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, riverAdvisoryKey); err != nil {
					return fmt.Errorf("migrations: river lock: %w", err)
				}
				res, err := rm.MigrateTx(ctx, tx, rivermigrate.DirectionUp, &rivermigrate.MigrateOpts{MaxSteps: 1})
				if err != nil {
					return fmt.Errorf("migrations: river up: %w", err)
				}
				applied = len(res.Versions)
				return nil
			})
			if err != nil || applied == 0 {
				return err
			}
		}
	})
}

// RiverVersion is the newest River schema version Up applies.
func RiverVersion() int {
	rm, err := rivermigrate.New(riverpgxv5.New(nil), &rivermigrate.Config{Logger: quietLogger()})
	if err != nil {
		return 0
	}
	all := rm.AllVersions()
	if len(all) == 0 {
		return 0
	}
	return all[len(all)-1].Version
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// Hash identifies the current set of migrations, River's included; test
// templates are keyed by it.
func Hash() string {
	names, _ := fs.Glob(FS, "*.sql")
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		b, _ := FS.ReadFile(n)
		h.Write([]byte(n))
		h.Write(b)
	}
	fmt.Fprintf(h, "river:%d", RiverVersion())
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func lockerFor() (lock.SessionLocker, error) {
	l, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, fmt.Errorf("migrations: locker: %w", err)
	}
	return l, nil
}
