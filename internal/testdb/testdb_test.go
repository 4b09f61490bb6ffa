package testdb_test

import (
	"context"
	"testing"

	"github.com/dakahq/daka/internal/testdb"
)

func TestNew(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"First", "Second"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			pool := testdb.New(t)
			var n int
			if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM tenants`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Fatalf("fresh database has %d tenants", n)
			}
			// Each clone is private: a write here is invisible to the sibling test.
			if _, err := pool.Exec(context.Background(), `INSERT INTO tenants (id, slug, name) VALUES (gen_random_uuid(), 'iso-`+map[string]string{"First": "a", "Second": "b"}[name]+`', 'x')`); err != nil {
				t.Fatal(err)
			}
		})
	}
}
