package attendance

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/org"
)

// Leave types.
var leaveTypes = map[string]bool{"annual": true, "sick": true, "personal": true, "marriage": true, "maternity": true,
	"paternity": true, "bereavement": true, "other": true}

// Half days of a leave's first and last day.
const (
	HalfAM = "am"
	HalfPM = "pm"
)

// LeaveDetails is what a leave request asks for. Start and End are calendar
// dates (midnight UTC); a StartHalf of pm starts at noon, an EndHalf of am
// ends at noon, and without them the leave covers whole days.
type LeaveDetails struct {
	Type      string
	Start     time.Time
	End       time.Time
	StartHalf *string
	EndHalf   *string
}

// slots are the leave's first and last half-day, counted from the epoch
// (day*2 is a morning, day*2+1 an afternoon).
func (l LeaveDetails) slots() (first, last int64) {
	first = l.Start.Unix() / 86400 * 2
	if l.StartHalf != nil && *l.StartHalf == HalfPM {
		first++
	}
	last = l.End.Unix()/86400*2 + 1
	if l.EndHalf != nil && *l.EndHalf == HalfAM {
		last--
	}
	return first, last
}

// Days is the leave's length in calendar days, halves counted as 0.5.
// Working days are the attendance engine's business (it knows schedules).
func (l LeaveDetails) Days() float64 {
	first, last := l.slots()
	return float64(last-first+1) / 2
}

// NewLeaveRequest asks for leave.
type NewLeaveRequest struct {
	Type      string
	Start     time.Time // a date
	End       time.Time // a date, not before Start
	StartHalf *string
	EndHalf   *string
	Reason    string
	PhotoID   *uuid.UUID // e.g. a medical certificate
}

func dateOnly(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// CreateLeave files a leave request for the caller. It may not overlap the
// caller's pending or approved leave (409 leave_overlap).
func (r *Requests) CreateLeave(ctx context.Context, a org.Actor, in NewLeaveRequest) (Request, error) {
	var f errs.Fields
	if !leaveTypes[in.Type] {
		f.Add("type", "invalid_leave_type", "type must be annual, sick, personal, marriage, maternity, paternity, bereavement or other")
	}
	l := LeaveDetails{Type: in.Type, Start: dateOnly(in.Start), End: dateOnly(in.End), StartHalf: in.StartHalf, EndHalf: in.EndHalf}
	for _, h := range []struct {
		field string
		v     *string
	}{{"start_half", in.StartHalf}, {"end_half", in.EndHalf}} {
		if h.v != nil && *h.v != HalfAM && *h.v != HalfPM {
			f.Add(h.field, "invalid_half", "%s must be am or pm", h.field)
		}
	}
	first, last := l.slots()
	switch {
	case l.End.Before(l.Start):
		f.Add("end", "invalid_range", "end must not be before start")
	case last < first:
		f.Add("end_half", "invalid_range", "a one-day leave cannot start in the afternoon and end in the morning")
	case l.End.Sub(l.Start) > 366*24*time.Hour:
		f.Add("end", "invalid_range", "one request covers at most a year")
	}
	reason, ok := validReason(in.Reason)
	if !ok {
		f.Add("reason", "invalid_reason", "give a reason of 1 to 1000 printable characters")
	}
	if err := f.Err(); err != nil {
		return Request{}, err
	}
	if err := r.checkPhoto(ctx, a, in.PhotoID); err != nil {
		return Request{}, err
	}
	sp, err := r.policy(ctx, r.pool, a.TenantID)
	if err != nil {
		return Request{}, err
	}
	q := Request{Type: RequestLeave, Reason: reason, PhotoID: in.PhotoID, Leave: &l}
	return r.create(ctx, a, q, func(tx pgx.Tx, _ org.EmployeeBrief) error {
		if err := checkEvidence(sp.Policy.RequiredEvidence.Leave, in.PhotoID, false); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT r.id, r.start_date, r.end_date, r.start_half, r.end_half FROM requests r
			WHERE r.tenant_id = $1 AND r.employee_id = $2 AND r.type = 'leave' AND r.status IN ('pending', 'approved')
			  AND r.start_date <= $4 AND r.end_date >= $3`, a.TenantID, a.EmployeeID, l.Start, l.End)
		if err != nil {
			return fmt.Errorf("leave overlap: %w", err)
		}
		var id uuid.UUID
		var o LeaveDetails
		clash := uuid.Nil
		_, err = pgx.ForEachRow(rows, []any{&id, &o.Start, &o.End, &o.StartHalf, &o.EndHalf}, func() error {
			if f2, l2 := o.slots(); f2 <= last && first <= l2 {
				clash = id
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("leave overlap: %w", err)
		}
		if clash != uuid.Nil {
			return errs.New(errs.Conflict, "leave_overlap", "this leave overlaps your leave request %s", clash)
		}
		return nil
	}, false)
}
