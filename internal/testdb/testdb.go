// Package testdb gives each test its own PostgreSQL database, cloned from a
// template that is migrated once per migration hash (the pgtestdb algorithm):
//
//  1. hash the embedded migrations and name the template after the hash;
//  2. under a session advisory lock (so parallel test binaries do not race),
//     create and migrate the template if it does not exist, and only then mark
//     it datistemplate, so a half-migrated template is never cloned;
//  3. every test runs CREATE DATABASE … TEMPLATE (tens of milliseconds);
//  4. the clone is dropped when the test passes and kept, with its URL logged,
//     when it fails, so it can be inspected with psql.
//
// The server comes from TEST_DATABASE_URL (set by .ci/test).
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dakahq/daka/migrations"
)

// URL returns the admin URL of the test server, failing the test if unset.
func URL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv("TEST_DATABASE_URL")
	if u == "" {
		tb.Fatal("TEST_DATABASE_URL is not set: run the tests with .ci/test, which starts a private PostgreSQL")
	}
	return u
}

// New returns a pool on a fresh, migrated database of its own.
func New(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	dbURL := NewURL(tb)
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		tb.Fatalf("testdb: %v", err)
	}
	cfg.MaxConns = 8
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("testdb: %v", err)
	}
	tb.Cleanup(pool.Close) // registered after NewURL's cleanup, so it runs before the DROP
	return pool
}

// NewURL clones the template and returns the clone's URL.
func NewURL(tb testing.TB) string {
	tb.Helper()
	ctx := context.Background()
	admin := URL(tb)
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Fatalf("testdb: connect %s: %v", redact(admin), err)
	}
	defer conn.Close(ctx)

	tpl := "daka_tpl_" + migrations.Hash()
	if err := ensureTemplate(ctx, conn, admin, tpl); err != nil {
		tb.Fatalf("testdb: template: %v", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "daka_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %q TEMPLATE %q`, name, tpl)); err != nil {
		tb.Fatalf("testdb: clone: %v", err)
	}
	u := withDatabase(admin, name)
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("testdb: kept %s for inspection", redact(u))
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			tb.Logf("testdb: drop: %v", err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %q WITH (FORCE)`, name)); err != nil {
			tb.Logf("testdb: drop %s: %v", name, err)
		}
	})
	return u
}

func ensureTemplate(ctx context.Context, conn *pgx.Conn, admin, tpl string) error {
	var ok bool
	const q = `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)`
	if err := conn.QueryRow(ctx, q, tpl).Scan(&ok); err != nil {
		return err
	}
	if ok {
		return nil
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(7411)`); err != nil {
		return err
	}
	defer conn.Exec(context.Background(), `SELECT pg_advisory_unlock(7411)`) //nolint:errcheck
	if err := conn.QueryRow(ctx, q, tpl).Scan(&ok); err != nil || ok {
		return err
	}
	// A template left unmarked by a crashed run is rebuilt from scratch.
	if _, err := conn.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %q WITH (FORCE)`, tpl)); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %q`, tpl)); err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, withDatabase(admin, tpl))
	if err != nil {
		return err
	}
	_, err = migrations.Up(ctx, pool)
	pool.Close()
	if err != nil {
		return err
	}
	_, err = conn.Exec(ctx, `UPDATE pg_database SET datistemplate = true WHERE datname = $1`, tpl)
	return err
}

func withDatabase(raw, db string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + db
	return u.String()
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable url)"
	}
	return u.Redacted()
}
