package org

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/internal/page"
)

// Audit writes one audit event for a change made by actor, inside the caller's
// transaction, so the record exists exactly when the change does. Other domain
// packages call it with their own transaction.
func Audit(ctx context.Context, tx pgx.Tx, a Actor, at time.Time, action, targetType, targetID string, changes map[string]any) error {
	return writeAudit(ctx, tx, a, at, action, targetType, targetID, changes)
}

func writeAudit(ctx context.Context, q querier, a Actor, at time.Time, action, targetType, targetID string, changes map[string]any) error {
	if changes == nil {
		changes = map[string]any{}
	}
	b, err := json.Marshal(changes)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	var actor *uuid.UUID
	if a.EmployeeID != uuid.Nil {
		actor = &a.EmployeeID
	}
	role := string(a.Role)
	if role == "" {
		role = "system"
	}
	id, _ := uuid.NewV7()
	_, err = q.Exec(ctx, `INSERT INTO audit_events (tenant_id, id, at, actor_id, actor_role, action, target_type, target_id, changes, request_id, client_ip)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		a.TenantID, id, at, actor, role, action, targetType, targetID, b, a.RequestID, a.ClientIP)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// change records one field's old and new value for the audit trail.
func change(m map[string]any, field string, from, to any) {
	m[field] = map[string]any{"from": from, "to": to}
}

// AuditFilter narrows ListAudit.
type AuditFilter struct {
	From, To   *time.Time
	ActorID    *uuid.UUID
	Action     *string
	TargetType *string
	TargetID   *string
	Cursor     *string
	Limit      *int
}

// ListAudit returns audit events, newest first. Admins only.
func (s *Service) ListAudit(ctx context.Context, a Actor, f AuditFilter) ([]AuditEvent, *string, error) {
	if !a.IsAdmin() {
		return nil, nil, errForbidden()
	}
	cur, err := page.Decode(f.Cursor)
	if err != nil {
		return nil, nil, err
	}
	limit := page.Limit(f.Limit)
	args := []any{a.TenantID}
	where := "tenant_id = $1"
	add := func(cond string, v any) {
		args = append(args, v)
		where += fmt.Sprintf(" AND "+cond, len(args))
	}
	if f.From != nil {
		add("at >= $%d", *f.From)
	}
	if f.To != nil {
		add("at < $%d", *f.To)
	}
	if f.ActorID != nil {
		add("actor_id = $%d", *f.ActorID)
	}
	if f.Action != nil {
		add("action = $%d", *f.Action)
	}
	if f.TargetType != nil {
		add("target_type = $%d", *f.TargetType)
	}
	if f.TargetID != nil {
		add("target_id = $%d", *f.TargetID)
	}
	if cur != nil {
		args = append(args, cur.T, cur.ID)
		where += fmt.Sprintf(" AND (at, id) < ($%d, $%d)", len(args)-1, len(args))
	}
	args = append(args, limit+1)
	rows, err := s.pool.Query(ctx, `SELECT id, at, actor_id, actor_role, action, target_type, target_id, changes, request_id, client_ip
		FROM audit_events WHERE `+where+fmt.Sprintf(` ORDER BY at DESC, id DESC LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, nil, fmt.Errorf("list audit: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditEvent, error) {
		var e AuditEvent
		var raw []byte
		err := r.Scan(&e.ID, &e.At, &e.ActorID, &e.ActorRole, &e.Action, &e.TargetType, &e.TargetID, &raw, &e.RequestID, &e.ClientIP)
		if err == nil {
			err = json.Unmarshal(raw, &e.Changes)
		}
		return e, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list audit: %w", err)
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	var next *string
	if more {
		last := out[len(out)-1]
		next = page.Next(true, page.Cursor{T: last.At, ID: last.ID})
	}
	return out, next, nil
}

func errForbidden() error {
	return errs.New(errs.Forbidden, "forbidden", "your role does not allow this")
}
