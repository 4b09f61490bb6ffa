package attendance

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/geo"
	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/internal/testdb"
	"github.com/dakahq/daka/org"
)

func TestCheckMakeupTime(t *testing.T) {
	t.Parallel()
	sh, _ := time.LoadLocation("Asia/Shanghai")
	at := func(m time.Month, d, h, min int) time.Time { return time.Date(2026, m, d, h, min, 0, 0, sh) }
	def := DefaultMakeupPolicy()
	noCutoff := func(p *MakeupPolicy) { p.CutoffDay = 0 }
	for _, tc := range []struct {
		name   string
		policy func(*MakeupPolicy)
		t, now time.Time
		code   string
	}{
		{"AMinuteAgo", nil, at(3, 18, 9, 59), at(3, 18, 10, 0), ""},
		{"ExactlyNow", nil, at(3, 18, 10, 0), at(3, 18, 10, 0), ""},
		{"ASecondAhead", nil, at(3, 18, 10, 0).Add(time.Second), at(3, 18, 10, 0), CodeInFuture},
		{"TheFirstMinuteOfTheOldestDay", noCutoff, at(2, 16, 0, 0), at(3, 18, 23, 59), ""},
		{"TheLastMinuteBeforeIt", noCutoff, at(2, 15, 23, 59), at(3, 18, 0, 0), CodeTooOld},
		// Days back count calendar days in the employee's zone, not 24 h spans:
		// 00:30 in Shanghai is still the previous day in UTC.
		{"DaysAreTheEmployeesDays", noCutoff, at(2, 16, 0, 30), at(3, 18, 0, 10), ""},
		{"LastMonthOnTheCutoffDay", nil, at(2, 27, 9, 0), at(3, 5, 23, 59), ""},
		{"LastMonthTheDayAfter", nil, at(2, 27, 9, 0), at(3, 6, 0, 0), CodePeriodClosed},
		{"ThisMonthIsNeverClosed", nil, at(3, 1, 0, 0), at(3, 28, 0, 0), ""},
		{"CutoffZeroNeverCloses", func(p *MakeupPolicy) { p.CutoffDay = 0; p.DaysBack = 180 }, at(1, 2, 9, 0), at(3, 28, 0, 0), ""},
		{"TooOldWinsOverClosed", nil, at(1, 2, 9, 0), at(3, 28, 0, 0), CodeTooOld},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := def
			if tc.policy != nil {
				tc.policy(&p)
			}
			err := CheckMakeupTime(p, tc.t.UTC(), tc.now.UTC(), sh)
			if got := errs.CodeOf(err); got != tc.code {
				t.Fatalf("code %q, want %q (%v)", got, tc.code, err)
			}
			if err != nil && errs.KindOf(err) != errs.Invalid {
				t.Fatalf("kind %v, want Invalid (422)", errs.KindOf(err))
			}
		})
	}
}

func TestLeaveDays(t *testing.T) {
	t.Parallel()
	d := func(day int) time.Time { return time.Date(2026, 4, day, 0, 0, 0, 0, time.UTC) }
	am, pm := HalfAM, HalfPM
	for _, tc := range []struct {
		name       string
		start, end int
		sh, eh     *string
		days       float64
	}{
		{"OneWholeDay", 1, 1, nil, nil, 1},
		{"AMorning", 1, 1, nil, &am, 0.5},
		{"AnAfternoon", 1, 1, &pm, nil, 0.5},
		{"ThreeDaysFromNoonToNoon", 1, 3, &pm, &am, 2},
		{"ExplicitWholeDays", 1, 2, &am, &pm, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := (LeaveDetails{Start: d(tc.start), End: d(tc.end), StartHalf: tc.sh, EndHalf: tc.eh}).Days(); got != tc.days {
				t.Fatalf("%g days, want %g", got, tc.days)
			}
		})
	}
}

func TestAutoApproves(t *testing.T) {
	t.Parallel()
	photo := uuid.New()
	site := uuid.New()
	inside, straddles := string(geo.Inside), string(geo.Straddles)
	good := func() *Evidence {
		return &Evidence{Verdict: VerdictAccepted, SiteID: &site, Containment: &inside,
			Signals: []Signal{{Code: "inside_geofence", Severity: "info"}}}
	}
	on := AutoApproveRule{Enabled: true, RequirePhoto: true}
	for _, tc := range []struct {
		name  string
		rule  AutoApproveRule
		photo *uuid.UUID
		ev    func(*Evidence) *Evidence
		want  bool
	}{
		{"EverythingThere", on, &photo, nil, true},
		{"RuleOff", AutoApproveRule{}, &photo, nil, false},
		{"NoPhoto", on, nil, nil, false},
		{"NoPhotoNeeded", AutoApproveRule{Enabled: true}, nil, nil, true},
		{"NoLocation", on, &photo, func(*Evidence) *Evidence { return nil }, false},
		{"Flagged", on, &photo, func(e *Evidence) *Evidence { e.Verdict = VerdictFlagged; return e }, false},
		{"OnlyWithinAccuracy", on, &photo, func(e *Evidence) *Evidence { e.Containment = &straddles; return e }, false},
		{"AWarning", on, &photo, func(e *Evidence) *Evidence {
			e.Signals = append(e.Signals, Signal{Code: "low_precision_coordinates", Severity: "warning"})
			return e
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := good()
			if tc.ev != nil {
				ev = tc.ev(ev)
			}
			if got := autoApproves(tc.rule, tc.photo, ev); got != tc.want {
				t.Fatalf("auto-approves %t, want %t", got, tc.want)
			}
		})
	}
}

func TestFlowValidate(t *testing.T) {
	t.Parallel()
	step := func(src ...ApproverSource) FlowStep { return FlowStep{Approvers: src} }
	for _, tc := range []struct {
		name  string
		flow  Flow
		field string // "" when valid
	}{
		{"Default", DefaultFlow(), ""},
		{"TheAdminsAsAStep", Flow{Steps: []FlowStep{step(ApproverSource{Type: SourceManager}), step(ApproverSource{Type: SourceAdmins})}}, ""},
		{"NoSteps", Flow{}, "steps"},
		{"UnknownSource", Flow{Steps: []FlowStep{step(ApproverSource{Type: "hr"})}}, "steps[0].approvers[0].type"},
		{"EmployeeIsNotAnApproverRole", Flow{Steps: []FlowStep{step(ApproverSource{Type: SourceRole, Role: "employee"})}}, "steps[0].approvers[0].role"},
		{"TooManyLevels", Flow{Steps: []FlowStep{step(ApproverSource{Type: SourceDepartmentHead, Levels: 11})}}, "steps[0].approvers[0].levels"},
		{"NoUsers", Flow{Steps: []FlowStep{step(ApproverSource{Type: SourceUsers})}}, "steps[0].approvers[0].user_ids"},
		{"BadMode", Flow{Steps: []FlowStep{{Mode: "most", Approvers: []ApproverSource{{Type: SourceManager}}}}}, "steps[0].mode"},
		{"NegativeDelay", Flow{Steps: []FlowStep{step(ApproverSource{Type: SourceManager})}, RemindAfterHours: -1}, "remind_after_hours"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.flow.validate()
			e, _ := errs.As(err)
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.field != "" && (e == nil || e.Fields[0].Field != tc.field):
				t.Fatalf("error %v, want one on %s", err, tc.field)
			}
		})
	}
	t.Run("DefaultsAreFilledIn", func(t *testing.T) {
		f := Flow{Steps: []FlowStep{step(ApproverSource{Type: SourceDepartmentHead}, ApproverSource{Type: SourceManager, Levels: 3, Role: "admin"})}}
		if err := f.validate(); err != nil {
			t.Fatal(err)
		}
		if st := f.Steps[0]; st.Mode != ModeAny || st.Approvers[0].Levels != 1 || st.Approvers[1].Levels != 0 || st.Approvers[1].Role != "" {
			t.Fatalf("normalised %+v", st)
		}
	})
}

// recorder is a Notifier that keeps every notification it is handed (tests
// reset it around the transactions they look at).
type recorder struct {
	mu    sync.Mutex
	notes []Notification
}

func (r *recorder) NotifyTx(_ context.Context, _ pgx.Tx, n Notification) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, n)
	return nil
}

func (r *recorder) PublishTx(context.Context, pgx.Tx, Event) error { return nil }

func TestStartApprovalTx_RoutesAFlaggedPunch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	now := time.Date(2026, 3, 18, 2, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	orgs, err := org.NewService(pool, org.Options{Now: clock, JWTSecret: []byte("attendance-test-secret-attendance-test"),
		PasswordHashCost: org.PasswordParams{MemoryKiB: 1024, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	ct, err := orgs.CreateTenant(ctx, org.NewTenant{Slug: "acme", Name: "Acme", AdminEmail: "a@acme.test", AdminPassword: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	admin := org.Actor{TenantID: ct.Tenant.ID, EmployeeID: ct.AdminID, Role: org.RoleAdmin}
	str := func(s string) *string { return &s }
	mgrRole := org.RoleManager
	mgr, err := orgs.CreateEmployee(ctx, admin, org.EmployeeInput{EmployeeNo: str("M"), Name: str("Manager"), Role: &mgrRole})
	if err != nil {
		t.Fatal(err)
	}
	emp, err := orgs.CreateEmployee(ctx, admin, org.EmployeeInput{EmployeeNo: str("E"), Name: str("Field worker"), ManagerID: org.Put(mgr.ID)})
	if err != nil {
		t.Fatal(err)
	}
	att := NewService(pool, orgs, Options{Now: clock})
	rec := &recorder{}
	reqs := NewRequests(att, RequestOptions{Notifier: rec})

	punch := uuid.New()
	if _, err := pool.Exec(ctx, `INSERT INTO punches (tenant_id, id, employee_id, kind, source, verdict, occurred_at, received_at,
			lat, lng, accuracy_m, src_crs, src_lat, src_lng, nearest_site_name, nearest_distance_m, signals)
		VALUES ($1, $2, $3, 'in', 'app', 'needs_approval', $4, $4, 31.3, 121.5, 20, 'wgs84', 31.3, 121.5, 'HQ', 850,
			'[{"code":"outside_geofence","message":"850 m outside HQ","severity":"critical"}]')`,
		ct.Tenant.ID, punch, emp.ID, now); err != nil {
		t.Fatal(err)
	}
	ref := RequestRef{TenantID: ct.Tenant.ID, Type: RequestPunch, ID: punch, EmployeeID: emp.ID}

	t.Run("ARolledBackStartLeavesNothing", func(t *testing.T) {
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := reqs.StartApprovalTx(ctx, tx, ref); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM approvals`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d approvals after a rollback (%v)", n, err)
		}
	})

	var apID uuid.UUID
	t.Run("TheManagerIsAsked", func(t *testing.T) {
		rec.notes = nil
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			ap, err := reqs.StartApprovalTx(ctx, tx, ref)
			apID = ap.ID
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.notes) != 1 || rec.notes[0].Recipients[0] != mgr.ID || rec.notes[0].Params["request_type"] != "flagged_punch" ||
			!strings.Contains(rec.notes[0].Params["summary"], "850 m from HQ") {
			t.Fatalf("notifications %+v", rec.notes)
		}
		m := org.Actor{TenantID: ct.Tenant.ID, EmployeeID: mgr.ID, Role: org.RoleManager}
		aps, _, err := reqs.ListApprovals(ctx, m, ApprovalFilter{Status: str(StatusPending)})
		if err != nil || len(aps) != 1 || aps[0].Punch == nil || aps[0].Punch.ID != punch || !aps[0].CanDecide {
			t.Fatalf("manager's list %+v (%v)", aps, err)
		}
		ap, err := reqs.Decide(ctx, m, apID, ActionApprove, str("I sent them to the client"))
		if err != nil || ap.Status != StatusApproved {
			t.Fatalf("decided %+v (%v)", ap, err)
		}
		var punches int
		var verdict string
		if err := pool.QueryRow(ctx, `SELECT count(*), min(verdict) FROM punches`).Scan(&punches, &verdict); err != nil {
			t.Fatal(err)
		}
		if punches != 1 || verdict != VerdictNeedsApproval {
			t.Fatalf("a reviewed punch is neither copied nor edited: %d punches, verdict %s", punches, verdict)
		}
	})

	t.Run("StartingTwiceIsRefused", func(t *testing.T) {
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			_, err := reqs.StartApprovalTx(ctx, tx, ref)
			return err
		})
		if errs.CodeOf(err) != "approval_exists" {
			t.Fatalf("got %v, want approval_exists", err)
		}
	})
}
