package attendance

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/org"
)

// Compensations for overtime.
const (
	CompensationPay     = "pay"
	CompensationTimeOff = "time_off"
)

// OvertimeDetails is the overtime a request asks to be recognised.
type OvertimeDetails struct {
	Start        time.Time
	End          time.Time
	Compensation string
}

// Hours is the overtime's length, to the hundredth of an hour.
func (o OvertimeDetails) Hours() float64 { return math.Round(o.End.Sub(o.Start).Hours()*100) / 100 }

// NewOvertimeRequest asks for overtime, before or after it is worked.
type NewOvertimeRequest struct {
	Start        time.Time
	End          time.Time
	Reason       string
	Compensation string
	PhotoID      *uuid.UUID
}

// CreateOvertime files an overtime request for the caller: at most 24 hours,
// not overlapping the caller's pending or approved overtime (409
// overtime_overlap).
func (r *Requests) CreateOvertime(ctx context.Context, a org.Actor, in NewOvertimeRequest) (Request, error) {
	var f errs.Fields
	o := OvertimeDetails{Start: in.Start.UTC().Truncate(time.Microsecond), End: in.End.UTC().Truncate(time.Microsecond),
		Compensation: in.Compensation}
	if o.Compensation == "" {
		o.Compensation = CompensationPay
	}
	if o.Compensation != CompensationPay && o.Compensation != CompensationTimeOff {
		f.Add("compensation", "invalid_compensation", "compensation must be pay or time_off")
	}
	switch d := o.End.Sub(o.Start); {
	case d <= 0:
		f.Add("end", "invalid_range", "end must be after start")
	case d > 24*time.Hour:
		f.Add("end", "invalid_range", "one request covers at most 24 hours")
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
	q := Request{Type: RequestOvertime, Reason: reason, PhotoID: in.PhotoID, Overtime: &o}
	return r.create(ctx, a, q, func(tx pgx.Tx, _ org.EmployeeBrief) error {
		if err := checkEvidence(sp.Policy.RequiredEvidence.Overtime, in.PhotoID, false); err != nil {
			return err
		}
		var clash *uuid.UUID
		err := tx.QueryRow(ctx, `SELECT id FROM requests WHERE tenant_id = $1 AND employee_id = $2 AND type = 'overtime'
			AND status IN ('pending', 'approved') AND starts_at < $4 AND ends_at > $3 LIMIT 1`,
			a.TenantID, a.EmployeeID, o.Start, o.End).Scan(&clash)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("overtime overlap: %w", err)
		}
		if clash != nil {
			return errs.New(errs.Conflict, "overtime_overlap", "this overtime overlaps your overtime request %s", *clash)
		}
		return nil
	}, false)
}
