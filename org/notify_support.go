package org

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// ActiveAdmins returns the ids of the tenant's active admins, oldest first, read
// inside the caller's transaction. Notifications use it to reach the people
// who must hear about alarms and about requests nobody else can approve.
func ActiveAdmins(ctx context.Context, tx pgx.Tx, tenant uuid.UUID) ([]uuid.UUID, error) {
	rows, err := tx.Query(ctx, `SELECT id FROM employees
		WHERE tenant_id = $1 AND role = 'admin' AND status = 'active' ORDER BY created_at, id`, tenant)
	if err != nil {
		return nil, fmt.Errorf("active admins: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("active admins: %w", err)
	}
	return ids, nil
}
