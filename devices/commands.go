package devices

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/devices/zkadms"
	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/internal/page"
	"github.com/dakahq/daka/org"
)

// Command kinds. Every protocol with commands (ZKTeco ADMS, native) takes
// the same kinds; ZK devices receive them as their SPEC command lines.
// There is deliberately no remote shell.
const (
	CmdUserUpdate  = "user_update"
	CmdUserDelete  = "user_delete"
	CmdInfo        = "info"
	CmdCheck       = "check"
	CmdLog         = "log"
	CmdReboot      = "reboot"
	CmdSetOption   = "set_option"
	CmdClearLog    = "clear_log"
	CmdQueryAttLog = "query_attlog"
	CmdQueryUser   = "query_user"
	// CmdSyncUsers is not queued itself: it queues a user_update for every
	// employee who may use the device.
	CmdSyncUsers = "sync_users"
)

// Command states.
const (
	StateQueued    = "queued"
	StateSent      = "sent"
	StateDone      = "done"
	StateFailed    = "failed"
	StateExpired   = "expired"
	StateCancelled = "cancelled"
)

// CommandArgs are a command's arguments; which ones matter depends on the
// kind.
type CommandArgs struct {
	PIN       string     `json:"pin,omitempty"`
	Name      string     `json:"name,omitempty"`
	Card      string     `json:"card,omitempty"`
	Password  string     `json:"password,omitempty"`
	Privilege int        `json:"privilege,omitempty"`
	Key       string     `json:"key,omitempty"`
	Value     string     `json:"value,omitempty"`
	Start     *time.Time `json:"start,omitempty"`
	End       *time.Time `json:"end,omitempty"`
}

// Command is one queued server → device command.
type Command struct {
	ID         uuid.UUID
	DeviceID   uuid.UUID
	CmdID      string
	Kind       string
	Args       CommandArgs
	EmployeeID *uuid.UUID
	State      string
	Attempts   int
	ReturnCode *int
	Result     map[string]any
	CreatedAt  time.Time
	SentAt     *time.Time
	FinishedAt *time.Time
}

// ZK renders the command as the ZKTeco command line it is delivered as.
func (c Command) ZK() (zkadms.Command, error) {
	a := c.Args
	switch c.Kind {
	case CmdUserUpdate:
		return zkadms.CmdUpdateUser(c.CmdID, zkadms.User{PIN: a.PIN, Name: a.Name, Pri: a.Privilege, Passwd: a.Password, Card: a.Card})
	case CmdUserDelete:
		return zkadms.CmdDeleteUser(c.CmdID, a.PIN)
	case CmdInfo:
		return zkadms.CmdInfo(c.CmdID)
	case CmdCheck:
		return zkadms.CmdCheck(c.CmdID)
	case CmdLog:
		return zkadms.CmdLog(c.CmdID)
	case CmdReboot:
		return zkadms.CmdReboot(c.CmdID)
	case CmdSetOption:
		return zkadms.CmdSetOption(c.CmdID, a.Key, a.Value)
	case CmdClearLog:
		return zkadms.CmdClearLog(c.CmdID)
	case CmdQueryAttLog:
		if a.Start == nil || a.End == nil {
			return zkadms.Command{}, fmt.Errorf("%w: query_attlog needs start and end", zkadms.ErrBadValue)
		}
		return zkadms.CmdQueryAttLog(c.CmdID, *a.Start, *a.End)
	case CmdQueryUser:
		return zkadms.CmdQueryUser(c.CmdID, a.PIN)
	}
	return zkadms.Command{}, fmt.Errorf("%w: unknown command kind %q", zkadms.ErrBadValue, c.Kind)
}

var cmdIDRe = regexp.MustCompile(`^[A-Za-z0-9]{1,16}$`)

const commandCols = `id, device_id, cmd_id, kind, args, employee_id, state, attempts, return_code, result, created_at, sent_at, finished_at`

func scanCommand(r pgx.Row) (Command, error) {
	var c Command
	var args, result []byte
	err := r.Scan(&c.ID, &c.DeviceID, &c.CmdID, &c.Kind, &args, &c.EmployeeID, &c.State, &c.Attempts, &c.ReturnCode, &result,
		&c.CreatedAt, &c.SentAt, &c.FinishedAt)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(args, &c.Args); err != nil {
		return c, fmt.Errorf("command args: %w", err)
	}
	if result != nil {
		if err := json.Unmarshal(result, &c.Result); err != nil {
			return c, fmt.Errorf("command result: %w", err)
		}
	}
	return c, nil
}

// enqueue adds a command to a device's queue inside tx. cmdID "" takes the
// device's next counter value. For ZK devices the command line is built
// once here so a command that could never be delivered is refused now.
// A queued (undelivered) user command for the same PIN is cancelled: the
// newer one carries the current state.
func (s *Service) enqueue(ctx context.Context, tx pgx.Tx, d Device, c Command, createdBy *uuid.UUID, now time.Time) (Command, error) {
	if c.CmdID == "" {
		var n int64
		if err := tx.QueryRow(ctx, `UPDATE devices SET next_cmd = next_cmd + 1 WHERE tenant_id = $1 AND id = $2 RETURNING next_cmd - 1`,
			d.TenantID, d.ID).Scan(&n); err != nil {
			return Command{}, fmt.Errorf("enqueue: %w", err)
		}
		c.CmdID = strconv.FormatInt(n, 10)
	}
	if !cmdIDRe.MatchString(c.CmdID) {
		return Command{}, errs.FieldErr("cmd_id", "invalid_cmd_id", "a command id is 1–16 letters or digits")
	}
	if n, err := strconv.ParseInt(c.CmdID, 10, 64); err == nil && n < 1<<62 {
		// An explicit numeric id moves the counter past it, so the counter
		// never hands out an id that is taken.
		if _, err := tx.Exec(ctx, `UPDATE devices SET next_cmd = greatest(next_cmd, $3::bigint + 1) WHERE tenant_id = $1 AND id = $2`,
			d.TenantID, d.ID, n); err != nil {
			return Command{}, fmt.Errorf("enqueue: %w", err)
		}
	}
	if d.Protocol == ProtocolZKTeco {
		if _, err := c.ZK(); err != nil {
			return Command{}, errs.FieldErr("args", "invalid_args", "%v", err)
		}
	}
	if c.Kind == CmdUserUpdate || c.Kind == CmdUserDelete {
		if _, err := tx.Exec(ctx, `UPDATE device_commands SET state = 'cancelled', finished_at = $4
			WHERE tenant_id = $1 AND device_id = $2 AND state = 'queued' AND kind IN ('user_update', 'user_delete') AND args->>'pin' = $3`,
			d.TenantID, d.ID, c.Args.PIN, now); err != nil {
			return Command{}, fmt.Errorf("enqueue: %w", err)
		}
	}
	id, _ := uuid.NewV7()
	args, _ := json.Marshal(c.Args)
	if _, err := tx.Exec(ctx, `INSERT INTO device_commands (tenant_id, id, device_id, cmd_id, kind, args, employee_id, state,
		created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $9)`,
		d.TenantID, id, d.ID, c.CmdID, c.Kind, args, c.EmployeeID, createdBy, now); err != nil {
		return Command{}, interpret(err, "command")
	}
	s.cache.forget(d)
	c.ID, c.DeviceID, c.State, c.CreatedAt = id, d.ID, StateQueued, now
	return c, nil
}

// EnqueueCommand queues a command for a device. Admins only; audited.
// sync_users queues a user_update per employee who may use the device and
// returns those commands.
func (s *Service) EnqueueCommand(ctx context.Context, a org.Actor, deviceID uuid.UUID, kind string, args CommandArgs, cmdID string) ([]Command, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	switch kind {
	case CmdUserUpdate, CmdUserDelete, CmdInfo, CmdCheck, CmdLog, CmdReboot, CmdSetOption, CmdClearLog, CmdQueryAttLog,
		CmdQueryUser, CmdSyncUsers:
	default:
		return nil, errs.FieldErr("type", "invalid_type", "unknown command type %q", kind)
	}
	now := s.Now()
	var out []Command
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		d, err := s.getDevice(ctx, tx, a.TenantID, deviceID)
		if err != nil {
			return err
		}
		if d.Protocol == ProtocolHikvision {
			return errs.New(errs.Conflict, "no_command_channel", "Hikvision HTTP-listening devices take no commands from the server")
		}
		by := a.EmployeeID
		if kind == CmdSyncUsers {
			out, err = s.syncUsers(ctx, tx, d, &by, now)
			if err != nil {
				return err
			}
		} else {
			c, err := s.enqueue(ctx, tx, d, Command{CmdID: cmdID, Kind: kind, Args: args}, &by, now)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return org.Audit(ctx, tx, a, now, "device.command", "device", deviceID.String(), map[string]any{
			"type": kind, "commands": len(out), "cmd_id": cmdID})
	})
	return out, err
}

// ListCommands lists a device's commands, newest first. Admins only.
func (s *Service) ListCommands(ctx context.Context, a org.Actor, deviceID uuid.UUID, state *string, cursor *string, limit *int) ([]Command, *string, error) {
	if err := requireAdmin(a); err != nil {
		return nil, nil, err
	}
	if _, err := s.getDevice(ctx, s.pool, a.TenantID, deviceID); err != nil {
		return nil, nil, err
	}
	cur, err := page.Decode(cursor)
	if err != nil {
		return nil, nil, err
	}
	n := page.Limit(limit)
	args := []any{a.TenantID, deviceID}
	where := "tenant_id = $1 AND device_id = $2"
	if state != nil {
		args = append(args, *state)
		where += fmt.Sprintf(" AND state = $%d", len(args))
	}
	if cur != nil {
		args = append(args, cur.T, cur.ID)
		where += fmt.Sprintf(" AND (created_at, id) < ($%d, $%d)", len(args)-1, len(args))
	}
	args = append(args, n+1)
	rows, err := s.pool.Query(ctx, `SELECT `+commandCols+` FROM device_commands WHERE `+where+
		fmt.Sprintf(" ORDER BY created_at DESC, id DESC LIMIT $%d", len(args)), args...)
	if err != nil {
		return nil, nil, fmt.Errorf("list commands: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Command, error) { return scanCommand(r) })
	if err != nil {
		return nil, nil, fmt.Errorf("list commands: %w", err)
	}
	var next *string
	if len(out) > n {
		out = out[:n]
		next = page.Next(true, page.Cursor{T: out[n-1].CreatedAt, ID: out[n-1].ID})
	}
	return out, next, nil
}

// TakeCommands delivers a device's queued commands exactly once: it
// re-queues sent commands whose reply is overdue (expiring those delivered
// too often), locks the queued ones in order, lets pick say how many of
// them the answer holds, and marks those sent, all in one transaction.
// Concurrent polls of one device never get the same command.
func (s *Service) TakeCommands(ctx context.Context, d Device, max int, pick func([]Command) int) ([]Command, error) {
	if d.PendingCommands == 0 {
		return nil, nil
	}
	now := s.Now()
	var out []Command
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE device_commands SET
				state = CASE WHEN attempts >= $4 THEN 'expired' ELSE 'queued' END,
				finished_at = CASE WHEN attempts >= $4 THEN $3::timestamptz END
			WHERE tenant_id = $1 AND device_id = $2 AND state = 'sent' AND sent_at < $3::timestamptz - $5::bigint * interval '1 millisecond'`,
			d.TenantID, d.ID, now, s.o.CommandMaxAttempts, s.o.CommandTimeout.Milliseconds()); err != nil {
			return fmt.Errorf("take commands: %w", err)
		}
		rows, err := tx.Query(ctx, `SELECT `+commandCols+` FROM device_commands WHERE tenant_id = $1 AND device_id = $2
			AND state = 'queued' ORDER BY created_at, id LIMIT $3 FOR UPDATE SKIP LOCKED`, d.TenantID, d.ID, max)
		if err != nil {
			return fmt.Errorf("take commands: %w", err)
		}
		cs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Command, error) { return scanCommand(r) })
		if err != nil {
			return fmt.Errorf("take commands: %w", err)
		}
		if len(cs) == 0 {
			return nil
		}
		n := pick(cs)
		if n <= 0 {
			return nil
		}
		out = cs[:n]
		ids := make([]uuid.UUID, n)
		for i, c := range out {
			ids[i] = c.ID
			out[i].State, out[i].Attempts, out[i].SentAt = StateSent, c.Attempts+1, &now
		}
		_, err = tx.Exec(ctx, `UPDATE device_commands SET state = 'sent', attempts = attempts + 1, sent_at = $3
			WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, d.TenantID, ids, now)
		if err != nil {
			return fmt.Errorf("take commands: %w", err)
		}
		return nil
	})
	if len(out) > 0 {
		s.cache.forget(d)
	}
	return out, err
}

// CommandReply is a device's answer to one command.
type CommandReply struct {
	CmdID string
	// Return is the device's result code (0 success) when it sent one.
	Return *int
	// Echo is the CMD= value ZK devices echo ("DATA", "INFO", ...).
	Echo string
	// Props are extra values (INFO's Key=Value lines, native result data).
	Props map[string]string
	// Message is a native device's error text.
	Message string
}

// CompleteCommands records replies: done for Return 0 (or no code), failed
// otherwise, with the code and what came with it. A reply for a command
// that expired meanwhile still completes it. It returns the ids it knew
// nothing about (logged by the caller; devices answer commands from other
// servers too).
func (s *Service) CompleteCommands(ctx context.Context, d Device, replies []CommandReply) (unknown []string, err error) {
	if len(replies) == 0 {
		return nil, nil
	}
	now := s.Now()
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		for _, r := range replies {
			state := StateDone
			if r.Return != nil && *r.Return != 0 {
				state = StateFailed
			}
			res := map[string]any{}
			if r.Echo != "" {
				res["cmd"] = r.Echo
			}
			if r.Return != nil {
				res["meaning"] = zkadms.ReturnMeaning(*r.Return)
			}
			if r.Message != "" {
				res["message"] = r.Message
			}
			if len(r.Props) > 0 {
				res["props"] = r.Props
			}
			b, _ := json.Marshal(res)
			tag, err := tx.Exec(ctx, `UPDATE device_commands SET state = $4, return_code = $5, result = $6, finished_at = $7
				WHERE tenant_id = $1 AND device_id = $2 AND cmd_id = $3 AND state IN ('sent', 'queued', 'expired')`,
				d.TenantID, d.ID, r.CmdID, state, r.Return, b, now)
			if err != nil {
				return fmt.Errorf("complete commands: %w", err)
			}
			if tag.RowsAffected() == 0 {
				unknown = append(unknown, r.CmdID)
			}
		}
		return nil
	})
	s.cache.forget(d)
	return unknown, err
}
