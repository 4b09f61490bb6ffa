package attendance_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/dakahq/daka/attendance"
	"github.com/dakahq/daka/internal/testdb"
	"github.com/dakahq/daka/org"
)

func TestEvaluateTerminalTime(t *testing.T) {
	t.Parallel()
	received := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	off := func(d time.Duration) *time.Duration { return &d }
	for _, tc := range []struct {
		name     string
		device   time.Time
		offset   *time.Duration
		correct  bool
		occurred time.Time
		signals  []string
	}{
		{"OnTime", received.Add(-time.Minute), nil, false, received.Add(-time.Minute), nil},
		{"SmallOffsetIsCorrectedSilently", received.Add(-time.Minute), off(2 * time.Minute), true, received.Add(-3 * time.Minute), nil},
		{"LargeOffsetIsCorrectedAndFlagged", received.Add(-time.Hour), off(10 * time.Minute), true, received.Add(-70 * time.Minute),
			[]string{attendance.SignalDeviceClockSkew}},
		{"EstimatedOffsetFlagsWithoutCorrecting", received.Add(-time.Hour), off(-10 * time.Minute), false, received.Add(-time.Hour),
			[]string{attendance.SignalDeviceClockSkew}},
		{"Before2010", time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), nil, false, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
			[]string{attendance.SignalImplausibleDeviceTime}},
		{"TenMinutesAheadIsStillPlausible", received.Add(10 * time.Minute), nil, false, received.Add(10 * time.Minute), nil},
		{"MoreThanTenMinutesAhead", received.Add(11 * time.Minute), nil, false, received.Add(11 * time.Minute),
			[]string{attendance.SignalImplausibleDeviceTime}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			occ, sig := attendance.EvaluateTerminalTime(tc.device, received, tc.offset, 5*time.Minute, tc.correct)
			if !occ.Equal(tc.occurred) {
				t.Fatalf("occurred %v, want %v", occ, tc.occurred)
			}
			if len(sig) != len(tc.signals) {
				t.Fatalf("signals %+v, want %v", sig, tc.signals)
			}
			for i, s := range sig {
				if s.Code != tc.signals[i] || s.Severity != "warning" {
					t.Fatalf("signal %+v", s)
				}
			}
		})
	}
}

// terminalFixture is a tenant with employees and a terminal id.
type terminalFixture struct {
	att    *attendance.Service
	tenant uuid.UUID
	device uuid.UUID
	emps   []uuid.UUID
}

func newTerminalFixture(t *testing.T, employees int) terminalFixture {
	t.Helper()
	pool := testdb.New(t)
	ctx := context.Background()
	orgs, err := org.NewService(pool, org.Options{JWTSecret: []byte("test-secret-test-secret-test-secret!!"),
		PasswordHashCost: org.PasswordParams{MemoryKiB: 1024, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	ct, err := orgs.CreateTenant(ctx, org.NewTenant{Slug: "acme", Name: "Acme", AdminEmail: "a@acme.test", AdminPassword: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	f := terminalFixture{att: attendance.NewService(pool, orgs, attendance.Options{}), tenant: ct.Tenant.ID, device: uuid.New()}
	for i := 0; i < employees; i++ {
		id := uuid.New()
		if _, err := pool.Exec(ctx, `INSERT INTO employees (tenant_id, id, employee_no, name, timezone, created_at, updated_at)
			VALUES ($1, $2, $3, 'E', 'UTC', now(), now())`, f.tenant, id, fmt.Sprintf("E%d", i)); err != nil {
			t.Fatal(err)
		}
		f.emps = append(f.emps, id)
	}
	return f
}

func (f terminalFixture) punches(n, from int) []attendance.TerminalPunch {
	at := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	out := make([]attendance.TerminalPunch, n)
	for i := range out {
		seq := int64(from + i)
		t := at.Add(time.Duration(seq) * time.Minute)
		out[i] = attendance.TerminalPunch{EmployeeID: f.emps[i%len(f.emps)], Kind: attendance.KindIn, DedupeKey: fmt.Sprintf("seq:%d", seq),
			DeviceSeq: &seq, DeviceLocalTime: t.Add(8 * time.Hour), DeviceZone: "Asia/Shanghai", DeviceTime: t, OccurredAt: t,
			Raw: fmt.Sprintf(`{"seq":%d}`, seq), VerifyMethod: "face"}
	}
	return out
}

func TestRecordTerminalPunches(t *testing.T) {
	t.Parallel()
	f := newTerminalFixture(t, 5)
	ctx := context.Background()
	t.Run("CreatedOnceThenDuplicates", func(t *testing.T) {
		first, err := f.att.RecordTerminalPunches(ctx, f.tenant, f.device, f.punches(3, 1))
		if err != nil {
			t.Fatal(err)
		}
		again, err := f.att.RecordTerminalPunches(ctx, f.tenant, f.device, f.punches(4, 1))
		if err != nil {
			t.Fatal(err)
		}
		for i := range first {
			if !first[i].Created || again[i].Created || again[i].ID != first[i].ID || first[i].Verdict != attendance.VerdictAccepted {
				t.Fatalf("item %d: %+v then %+v", i, first[i], again[i])
			}
		}
		if !again[3].Created {
			t.Fatal("the new item was not created")
		}
	})
	t.Run("DuplicatesInsideOneBatch", func(t *testing.T) {
		ps := append(f.punches(1, 100), f.punches(1, 100)...)
		res, err := f.att.RecordTerminalPunches(ctx, f.tenant, f.device, ps)
		if err != nil {
			t.Fatal(err)
		}
		if !res[0].Created || res[1].Created || res[0].ID != res[1].ID {
			t.Fatalf("%+v", res)
		}
	})
	t.Run("OtherDevicesHaveTheirOwnKeys", func(t *testing.T) {
		res, err := f.att.RecordTerminalPunches(ctx, f.tenant, uuid.New(), f.punches(1, 1))
		if err != nil || !res[0].Created {
			t.Fatalf("%+v %v", res, err)
		}
	})
	t.Run("WarningSignalsFlag", func(t *testing.T) {
		ps := f.punches(1, 200)
		ps[0].Signals = []attendance.Signal{{Code: attendance.SignalImplausibleDeviceTime, Severity: "warning", Message: "x"}}
		res, err := f.att.RecordTerminalPunches(ctx, f.tenant, f.device, ps)
		if err != nil || res[0].Verdict != attendance.VerdictFlagged {
			t.Fatalf("%+v %v", res, err)
		}
	})
	t.Run("ListedWithTheTerminalSource", func(t *testing.T) {
		src := attendance.SourceTerminal
		ps, _, err := f.att.ListPunches(ctx, org.Actor{TenantID: f.tenant, Role: org.RoleAdmin}, false,
			attendance.PunchFilter{Source: &src, Limit: ptrInt(200)})
		if err != nil || len(ps) != 7 {
			t.Fatalf("%d punches, %v", len(ps), err)
		}
	})
	t.Run("RefusesWhatCannotBeStored", func(t *testing.T) {
		ps := f.punches(1, 300)
		ps[0].Kind = "sideways"
		if _, err := f.att.RecordTerminalPunches(ctx, f.tenant, f.device, ps); err == nil {
			t.Fatal("a kind that is not in or out was stored")
		}
		ps = f.punches(1, 300)
		ps[0].DedupeKey = ""
		if _, err := f.att.RecordTerminalPunches(ctx, f.tenant, f.device, ps); err == nil {
			t.Fatal("a punch without a dedupe key was stored")
		}
	})
}

func ptrInt(v int) *int { return &v }

// TestRecordTerminalPunches_Chunks stores more than one chunk in one call,
// then all of it again: every chunk is one statement, nothing is doubled.
func TestRecordTerminalPunches_Chunks(t *testing.T) {
	t.Parallel()
	f := newTerminalFixture(t, 50)
	ctx := context.Background()
	n := attendance.TerminalChunk*2 + 17
	res, err := f.att.RecordTerminalPunches(ctx, f.tenant, f.device, f.punches(n, 1))
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.att.RecordTerminalPunches(ctx, f.tenant, f.device, f.punches(n, 1))
	if err != nil {
		t.Fatal(err)
	}
	for i := range res {
		if !res[i].Created || again[i].Created || again[i].ID != res[i].ID {
			t.Fatalf("item %d: %+v then %+v", i, res[i], again[i])
		}
	}
}
