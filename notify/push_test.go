package notify_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/internal/fcmfake"
	"github.com/dakahq/daka/notify"
	"github.com/dakahq/daka/org"
)

func TestPush(t *testing.T) {
	t.Parallel()

	t.Run("DeliversTheInboxItemAndOnePushPerDeviceThroughFCM", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.start()
		alice := e.employee(org.RoleEmployee)
		e.device(alice, "alice-phone", "zh-Hans-CN")
		e.device(alice, "alice-tablet", "en-GB")
		e.notify(e.message("req-1:decided", alice))

		eventually(t, "both pushes", func() bool {
			return len(e.fake.Delivered("alice-phone")) == 1 && len(e.fake.Delivered("alice-tablet")) == 1
		})
		var id uuid.UUID
		var title string
		if err := e.pool.QueryRow(e.ctx, `SELECT id, title FROM notifications WHERE recipient_id = $1`, alice.EmployeeID).Scan(&id, &title); err != nil {
			t.Fatal(err)
		}
		// The inbox reads the newest device's language; each push its own device's.
		if title != "Your make-up punch request was approved" {
			t.Errorf("inbox title %q", title)
		}
		phone := e.fake.Delivered("alice-phone")[0].Message
		tablet := e.fake.Delivered("alice-tablet")[0].Message
		if phone.Notification.Title != "你的补卡申请已通过" || phone.Notification.Body != "王经理已通过了你的补卡申请。" {
			t.Errorf("zh-CN push %+v", phone.Notification)
		}
		if tablet.Notification.Title != "Your make-up punch request was approved" {
			t.Errorf("en push %+v", tablet.Notification)
		}
		if phone.Data["type"] != "request.decided" || phone.Data["request_id"] != "r-req-1:decided" || phone.Data["notification_id"] != id.String() {
			t.Errorf("data %v", phone.Data)
		}
		if phone.Android.Notification.Tag != id.String() || phone.APNS.Headers["apns-collapse-id"] != id.String() {
			t.Errorf("collapse ids %+v %+v", phone.Android.Notification, phone.APNS.Headers)
		}
		eventually(t, "delivery records", func() bool {
			return e.count(`SELECT count(*) FROM push_deliveries WHERE notification_id = $1 AND status = 'delivered' AND message_id LIKE 'projects/demo-test/messages/%'`, id) == 2
		})
	})

	t.Run("RolledBackChangeSendsNothing", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.start()
		bob := e.employee(org.RoleEmployee)
		e.device(bob, "bob-phone", "")
		tx, err := e.pool.Begin(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.NotifyTx(e.ctx, tx, e.message("k", bob)); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(e.ctx); err != nil {
			t.Fatal(err)
		}
		settle()
		if n := e.fake.Requests(); n != 0 {
			t.Errorf("%d pushes for a rolled-back change", n)
		}
		if n := e.count(`SELECT count(*) FROM notifications`) + e.count(`SELECT count(*) FROM river_job`); n != 0 {
			t.Errorf("%d rows left by a rolled-back change", n)
		}
	})

	t.Run("SameDedupeKeyTwiceIsOneInboxItemAndOnePush", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.start()
		carol := e.employee(org.RoleEmployee)
		e.device(carol, "carol-phone", "")
		m := e.message("req-9:decided", carol, carol) // a duplicate recipient too
		e.notify(m)
		e.notify(m)
		if err := pgx.BeginFunc(e.ctx, e.pool, func(tx pgx.Tx) error {
			if err := e.svc.NotifyTx(e.ctx, tx, m); err != nil {
				return err
			}
			return e.svc.NotifyTx(e.ctx, tx, m)
		}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the push", func() bool { return len(e.fake.Delivered("carol-phone")) == 1 })
		settle()
		if n := e.fake.Requests(); n != 1 {
			t.Errorf("%d pushes, want 1", n)
		}
		if n := e.count(`SELECT count(*) FROM notifications`); n != 1 {
			t.Errorf("%d inbox items, want 1", n)
		}
	})

	t.Run("CrashBetweenCommitAndDeliveryStillDeliversExactlyOnce", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		dave := e.employee(org.RoleEmployee)
		e.device(dave, "dave-phone", "")
		// Committed while no worker runs: the process "died" after the commit.
		e.notify(e.message("req-3:decided", dave))
		if n := e.jobsIn("notify.push", "available"); n != 1 {
			t.Fatalf("%d queued push jobs, want 1", n)
		}
		e.start() // the replica comes back
		eventually(t, "the push", func() bool { return len(e.fake.Delivered("dave-phone")) == 1 })
		eventually(t, "the job to complete", func() bool { return e.jobsIn("notify.push", "completed") == 1 })
		settle()
		if n := e.fake.Requests(); n != 1 {
			t.Errorf("%d pushes, want 1", n)
		}
	})

	t.Run("JobRerunAfterDeliveryDoesNotSendAgain", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.start()
		erin := e.employee(org.RoleEmployee)
		e.device(erin, "erin-phone", "")
		e.notify(e.message("k", erin))
		eventually(t, "the job to complete", func() bool { return e.jobsIn("notify.push", "completed") == 1 })
		// A crash after the delivery record and before River marked the job
		// complete leaves it to run again.
		if _, err := e.pool.Exec(e.ctx, `UPDATE river_job SET state = 'available', finalized_at = NULL, scheduled_at = now()
			WHERE kind = 'notify.push'`); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the re-run", func() bool {
			return e.count(`SELECT count(*) FROM river_job WHERE kind = 'notify.push' AND state = 'completed' AND attempt = 2`) == 1
		})
		if n := e.fake.Requests(); n != 1 {
			t.Errorf("%d pushes, want 1", n)
		}
		if !strings.Contains(e.logs.String(), "push already settled") {
			t.Errorf("the re-run did not say why it sent nothing:\n%s", e.logs)
		}
	})

	t.Run("RetriesTransientFailuresWithBackoff", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.start()
		finn := e.employee(org.RoleEmployee)
		e.device(finn, "finn-phone", "")
		e.fake.Script("finn-phone", fcmfake.Internal, fcmfake.QuotaExceeded)
		e.notify(e.message("k", finn))
		eventually(t, "the push", func() bool { return len(e.fake.Delivered("finn-phone")) == 1 })
		eventually(t, "the job to complete", func() bool {
			return e.count(`SELECT count(*) FROM river_job WHERE kind = 'notify.push' AND state = 'completed' AND attempt = 3`) == 1
		})
		if n := e.fake.Requests(); n != 3 {
			t.Errorf("%d requests, want 3 (500, 429, 200)", n)
		}
		if n := e.count(`SELECT count(*) FROM push_tokens`); n != 1 {
			t.Errorf("a transient failure removed the token")
		}
	})

	t.Run("GivesUpAfterMaxAttemptsAndRecordsTheFailure", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(o *notify.Options) { o.PushMaxAttempts = 2 })
		e.start()
		gus := e.employee(org.RoleEmployee)
		e.device(gus, "gus-phone", "")
		e.fake.Always("gus-phone", fcmfake.Internal)
		e.notify(e.message("k", gus))
		eventually(t, "the job to be discarded", func() bool { return e.jobsIn("notify.push", "discarded") == 1 })
		if n := e.count(`SELECT count(*) FROM push_deliveries WHERE status = 'failed'`); n != 1 {
			t.Errorf("%d failure records", n)
		}
		if n := e.fake.Requests(); n != 2 {
			t.Errorf("%d requests, want 2", n)
		}
	})

	for _, tc := range []struct {
		name   string
		fault  fcmfake.Fault
		status string
	}{
		{"RemovesUnregisteredTokens", fcmfake.Unregistered, "token_invalid"},
		{"RemovesTokensFCMCallsInvalid", fcmfake.InvalidToken, "token_invalid"},
		{"RemovesTokensOfAnotherSender", fcmfake.SenderIDMismatch, "token_invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.start()
			hana := e.employee(org.RoleEmployee)
			e.device(hana, "hana-old-phone", "")
			e.device(hana, "hana-new-phone", "")
			e.fake.Always("hana-old-phone", tc.fault)
			e.notify(e.message("k1", hana))
			eventually(t, "the token's removal", func() bool {
				return e.count(`SELECT count(*) FROM push_tokens WHERE token = 'hana-old-phone'`) == 0
			})
			eventually(t, "the other device's push", func() bool { return len(e.fake.Delivered("hana-new-phone")) == 1 })
			eventually(t, "the record", func() bool {
				return e.count(`SELECT count(*) FROM push_deliveries WHERE status = $1`, tc.status) == 1
			})
			// The next notification goes only to the device that still exists.
			e.notify(e.message("k2", hana))
			eventually(t, "the second push", func() bool { return len(e.fake.Delivered("hana-new-phone")) == 2 })
			settle()
			if n := len(e.fake.Calls()); n != 3 {
				t.Errorf("%d calls, want 3", n)
			}
		})
	}

	t.Run("APayloadFCMRefusesIsNotRetriedAndKeepsTheToken", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.start()
		ivy := e.employee(org.RoleEmployee)
		e.device(ivy, "ivy-phone", "")
		e.fake.Always("ivy-phone", fcmfake.BadPayload)
		e.notify(e.message("k", ivy))
		eventually(t, "the job to be cancelled", func() bool { return e.jobsIn("notify.push", "cancelled") == 1 })
		if e.count(`SELECT count(*) FROM push_tokens`) != 1 || e.count(`SELECT count(*) FROM push_deliveries WHERE status = 'rejected'`) != 1 {
			t.Error("want the token kept and the rejection recorded")
		}
		if n := e.fake.Requests(); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})

	t.Run("ATokenThatMovedToAnotherUserDoesNotGetTheOldUsersPush", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		jack, kate := e.employee(org.RoleEmployee), e.employee(org.RoleEmployee)
		e.device(jack, "shared-phone", "")
		e.notify(e.message("k", jack)) // queued while no worker runs
		e.device(kate, "shared-phone", "")
		e.start()
		eventually(t, "the job to finish", func() bool { return e.jobsIn("notify.push", "completed") == 1 })
		if n := e.fake.Requests(); n != 0 {
			t.Errorf("%d pushes of jack's notification to kate's phone", n)
		}
	})

	t.Run("WithoutProvidersTheInboxStillWorksAndNoJobsQueue", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(o *notify.Options) { o.Providers = nil })
		liam := e.employee(org.RoleEmployee)
		e.device(liam, "liam-phone", "")
		e.notify(e.message("k", liam))
		if e.svc.PushEnabled() {
			t.Error("push enabled without providers")
		}
		if e.count(`SELECT count(*) FROM notifications`) != 1 || e.count(`SELECT count(*) FROM river_job`) != 0 {
			t.Error("want one inbox item and no jobs")
		}
	})

	t.Run("TokensOfChannelsNotConfiguredWaitWithoutJobs", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		mia := e.employee(org.RoleEmployee)
		if _, _, err := e.svc.RegisterToken(e.ctx, mia, notify.TokenInput{Token: "hms-token", Platform: "huawei", Provider: "hms"}); err != nil {
			t.Fatal(err)
		}
		e.notify(e.message("k", mia))
		if n := e.count(`SELECT count(*) FROM river_job`); n != 0 {
			t.Errorf("%d jobs for a channel without a provider", n)
		}
	})
}

func TestNotifyTx(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	nia := e.employee(org.RoleEmployee)
	other := uuid.New()
	for _, tc := range []struct {
		name string
		edit func(*notify.Message)
		want error
	}{
		{"NeedsATenant", func(m *notify.Message) { m.TenantID = uuid.Nil }, notify.ErrInvalidMessage},
		{"NeedsADottedType", func(m *notify.Message) { m.Type = "Decided" }, notify.ErrInvalidMessage},
		{"NeedsADedupeKey", func(m *notify.Message) { m.DedupeKey = "" }, notify.ErrInvalidMessage},
		{"NeedsAKnownTemplate", func(m *notify.Message) { m.Template = "nope" }, notify.ErrUnknownTemplate},
		{"RefusesReservedDataKeys", func(m *notify.Message) { m.Data = map[string]string{"from": "x"} }, notify.ErrInvalidMessage},
		{"RefusesGoogleDataKeys", func(m *notify.Message) { m.Data = map[string]string{"google.c.a": "x"} }, notify.ErrInvalidMessage},
		{"RefusesOversizedData", func(m *notify.Message) { m.Data = map[string]string{"k": strings.Repeat("x", 3001)} }, notify.ErrInvalidMessage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := e.message("k", nia)
			tc.edit(&m)
			err := pgx.BeginFunc(e.ctx, e.pool, func(tx pgx.Tx) error { return e.svc.NotifyTx(e.ctx, tx, m) })
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("FailsForSomeoneWhoIsNotAnEmployeeOfTheTenant", func(t *testing.T) {
		t.Parallel()
		m := e.message("k", nia)
		m.Recipients = append(m.Recipients, other)
		if err := pgx.BeginFunc(e.ctx, e.pool, func(tx pgx.Tx) error { return e.svc.NotifyTx(e.ctx, tx, m) }); err == nil {
			t.Fatal("no error for a stranger")
		}
	})
	t.Run("NobodyToTellIsNotAnError", func(t *testing.T) {
		t.Parallel()
		m := e.message("k")
		if err := pgx.BeginFunc(e.ctx, e.pool, func(tx pgx.Tx) error { return e.svc.NotifyTx(e.ctx, tx, m) }); err != nil {
			t.Fatal(err)
		}
	})
}

func TestAdmins(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a1 := e.employee(org.RoleAdmin)
	a2 := e.employee(org.RoleAdmin)
	gone := e.employee(org.RoleAdmin)
	e.employee(org.RoleManager)
	if _, err := e.pool.Exec(e.ctx, `UPDATE employees SET status = 'left' WHERE id = $1`, gone.EmployeeID); err != nil {
		t.Fatal(err)
	}
	var got []uuid.UUID
	if err := pgx.BeginFunc(e.ctx, e.pool, func(tx pgx.Tx) (err error) {
		got, err = e.svc.Admins(e.ctx, tx, e.tenant)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	want := map[uuid.UUID]bool{a1.EmployeeID: true, a2.EmployeeID: true}
	if len(got) != 2 || !want[got[0]] || !want[got[1]] {
		t.Fatalf("admins %v, want %v and %v", got, a1.EmployeeID, a2.EmployeeID)
	}
}
