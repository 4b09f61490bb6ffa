package api_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

func TestApprovals_ConcurrentDecisionsHaveOneOutcome(t *testing.T) {
	t.Parallel()
	env := newReqEnv(t)
	// Five approvers, any of whom decides, plus the tenant admin.
	var deciders []person
	var ids []string
	for i := range 5 {
		p := env.person(fmt.Sprintf("A%d", i), map[string]any{"role": "manager"})
		deciders, ids = append(deciders, p), append(ids, p.ID)
	}
	deciders = append(deciders, person{ID: env.ten.AdminID.String(), Token: env.ten.Admin})
	want(t, env.do("PUT", "/v1/approval-flows/makeup", env.ten.Admin, map[string]any{
		"steps": []any{map[string]any{"mode": "any", "approvers": []any{map[string]any{"type": "users", "user_ids": ids}}}}}), 200)

	for round := range 3 {
		q := env.file(env.e1, makeupBody("in", march18.Add(-time.Duration(round+1)*time.Hour)))
		apID := q["approval_id"].(string)
		type result struct {
			who    int
			action string
			code   int
		}
		results := make(chan result, 4*len(deciders))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, p := range deciders {
			action := []string{"approve", "reject"}[(i+round)%2]
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					results <- result{i, action, env.decide(p, apID, action, "").Code}
				}()
			}
		}
		close(start)
		wg.Wait()
		close(results)
		winners := map[int]string{}
		for r := range results {
			switch r.code {
			case 200:
				winners[r.who] = r.action
			case 409:
			default:
				t.Fatalf("round %d: status %d", round, r.code)
			}
		}
		if len(winners) != 1 {
			t.Fatalf("round %d: %d deciders won: %v", round, len(winners), winners)
		}
		var status string
		var punches, finals int
		if err := env.pool.QueryRow(t.Context(), `SELECT a.status,
				(SELECT count(*) FROM punches p WHERE p.makeup_request_id = a.request_id),
				(SELECT count(*) FROM request_events e WHERE e.request_id = a.request_id AND e.action IN ('approved', 'rejected'))
			FROM approvals a WHERE a.id = $1`, apID).Scan(&status, &punches, &finals); err != nil {
			t.Fatal(err)
		}
		for _, action := range winners {
			wantPunches := map[string]int{"approve": 1, "reject": 0}[action]
			if status != map[string]string{"approve": "approved", "reject": "rejected"}[action] || punches != wantPunches || finals != 1 {
				t.Fatalf("round %d: %s won, status %s, %d corrective punches, %d decisions in the history", round, action, status, punches, finals)
			}
		}
	}
	if n := env.notified("request.decided", env.e1.ID); n != 3 {
		t.Fatalf("the requester heard %d decisions for 3 requests", n)
	}
}

func TestApprovals_AWithdrawalRacingADecisionHasOneOutcome(t *testing.T) {
	t.Parallel()
	env := newReqEnv(t)
	for round := range 3 {
		q := env.file(env.e1, makeupBody("in", march18.Add(-time.Duration(round+1)*time.Hour)))
		codes := map[string][]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				var r *resp
				what := "approve"
				if i%2 == 0 {
					what = "withdraw"
					r = env.do("POST", "/v1/me/makeup-requests/"+q["id"].(string)+"/withdraw", env.e1.Token, nil)
				} else {
					r = env.decide(env.m, q["approval_id"].(string), "approve", "")
				}
				mu.Lock()
				codes[what] = append(codes[what], r.Code)
				mu.Unlock()
			}()
		}
		close(start)
		wg.Wait()
		r := env.do("GET", "/v1/me/makeup-requests/"+q["id"].(string), env.e1.Token, nil)
		want(t, r, 200)
		status := r.M(t)["status"]
		wantCodes := map[string]string{"withdraw": "[200 200 200 200 200]", "approve": "[409 409 409 409 409]"}
		if status == "approved" {
			wantCodes = map[string]string{"withdraw": "[409 409 409 409 409]", "approve": "[200 200 200 200 200]"}
		}
		for what, want := range wantCodes {
			if got := fmt.Sprint(codes[what]); got != want {
				t.Fatalf("round %d, request %s: %s answered %s, want %s", round, status, what, got, want)
			}
		}
	}
}

func TestApprovals_Batch(t *testing.T) {
	t.Parallel()
	env := newReqEnv(t)
	var ids []string
	for i := range 3 {
		q := env.file(env.e1, makeupBody("in", march18.Add(-time.Duration(i+1)*time.Hour)))
		ids = append(ids, q["approval_id"].(string))
	}
	want(t, env.decide(env.m, ids[2], "reject", ""), 200)
	other := env.do("POST", "/v1/me/leave-requests", env.s.Token, map[string]any{"type": "annual", "start": "2026-04-01", "end": "2026-04-01", "reason": "x"})
	want(t, other, 201) // S's own request goes to the admins: M may not see it
	batch := []string{ids[0], ids[1], ids[2], uuid.NewString(), other.M(t)["approval_id"].(string), ids[0]}
	r := env.do("POST", "/v1/approvals/batch", env.m.Token, map[string]any{"ids": batch, "action": "approve", "comment": "batch"})
	want(t, r, 200)
	res := r.M(t)
	var got []string
	for _, it := range res["results"].([]any) {
		it := it.(map[string]any)
		got = append(got, fmt.Sprintf("%v:%v", it["status"], it["code"]))
	}
	if strings.Join(got, " ") != "200:<nil> 200:<nil> 409:already_decided 404:not_found 404:not_found 400:duplicate_id" ||
		res["succeeded"] != 2.0 || res["failed"] != 4.0 {
		t.Fatalf("batch results %v (%s)", got, r.Body)
	}
	first := res["results"].([]any)[0].(map[string]any)["approval"].(map[string]any)
	if first["status"] != "approved" || first["decision_comment"] != "batch" {
		t.Fatalf("first %v", first)
	}
	want(t, env.do("POST", "/v1/approvals/batch", env.m.Token, map[string]any{"ids": []string{}, "action": "approve"}), 422)
}

func TestApprovals_WhoMaySeeAndDecide(t *testing.T) {
	t.Parallel()
	env := newReqEnv(t)
	q := env.file(env.e1, makeupBody("in", march18.Add(-time.Hour)))
	apID := q["approval_id"].(string)
	other := env.newTenant("other")
	for _, tc := range []struct {
		name  string
		token string
	}{
		{"AManagerOutsideTheSubtree", env.s.Token},
		{"TheManagersManagerNotAsked", env.g.Token},
		{"AColleague", env.e2.Token},
		{"TheRequesterThemselves", env.e1.Token},
		{"AnotherTenantsAdmin", other.Admin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want(t, env.do("GET", "/v1/approvals/"+apID, tc.token, nil), 404, "not_found")
			want(t, env.do("POST", "/v1/approvals/"+apID+"/approve", tc.token, nil), 404, "not_found")
			r := env.do("GET", "/v1/approvals", tc.token, nil)
			want(t, r, 200)
			if n := len(r.M(t)["items"].([]any)); n != 0 {
				t.Fatalf("%d approvals listed", n)
			}
		})
	}
	t.Run("AdminsSeeEverythingAndMayDecide", func(t *testing.T) {
		a := env.approvalFor(person{Token: env.ten.Admin}, q["id"].(string), "status=pending")
		if a == nil || a["can_decide"] != true {
			t.Fatalf("admin view %v", a)
		}
		if env.approvalFor(person{Token: env.ten.Admin}, q["id"].(string), "status=pending&assigned_to_me=true") != nil {
			t.Fatal("the admin is not asked for this one")
		}
	})
	t.Run("AnAdminDecidesForEveryone", func(t *testing.T) {
		r := env.decide(person{Token: env.ten.Admin}, apID, "reject", "not convincing")
		want(t, r, 200)
		h := r.M(t)["history"].([]any)
		if last := h[len(h)-1].(map[string]any); last["details"].(map[string]any)["admin_override"] != true {
			t.Fatalf("history %v", last)
		}
		want(t, env.decide(env.m, apID, "approve", ""), 409, "already_decided")
		if a := env.approvalFor(env.m, q["id"].(string), "status=decided"); a == nil || a["decided_by"] != env.ten.AdminID.String() {
			t.Fatalf("the manager still sees what they were asked: %v", a)
		}
	})
}

func TestApprovals_NoReachableApproverGoesToTheAdmins(t *testing.T) {
	t.Parallel()
	env := newReqEnv(t)
	loner := env.person("L", nil) // no manager, no department
	q := env.file(loner, makeupBody("out", march18.Add(-time.Hour)))
	adm := person{ID: env.ten.AdminID.String(), Token: env.ten.Admin}
	a := env.approvalFor(adm, q["id"].(string), "status=pending&assigned_to_me=true")
	if a == nil {
		t.Fatal("the admin is not asked")
	}
	ap := a["approvers"].([]any)[0].(map[string]any)
	if ap["via"] != "admins" || ap["approver_id"] != adm.ID || a["step_count"] != 2.0 || a["step"] != 2.0 {
		t.Fatalf("approval %v", a)
	}
	if env.notified("approval.requested", adm.ID) != 1 {
		t.Fatal("the admin is not notified")
	}
	want(t, env.decide(adm, a["id"].(string), "approve", ""), 200)

	t.Run("AManagersRequestGoesToTheirHead", func(t *testing.T) {
		q := env.file(env.m, makeupBody("out", march18.Add(-time.Hour)))
		if a := env.approvalFor(env.g, q["id"].(string), "status=pending"); a == nil {
			t.Fatal("M's manager G is not asked")
		}
		// S heads Sales alone, reports to nobody: the admins decide.
		q = env.file(env.s, makeupBody("out", march18.Add(-time.Hour)))
		if a := env.approvalFor(adm, q["id"].(string), "status=pending&assigned_to_me=true"); a == nil {
			t.Fatal("a manager without a manager goes to the admins")
		}
	})
}

func TestApprovals_Flows(t *testing.T) {
	t.Parallel()
	env := newReqEnv(t)
	adm := person{ID: env.ten.AdminID.String(), Token: env.ten.Admin}

	t.Run("TheDefaultIsTheDirectManager", func(t *testing.T) {
		r := env.do("GET", "/v1/approval-flows/leave", adm.Token, nil)
		want(t, r, 200)
		f := r.M(t)
		if f["is_default"] != true || f["remind_after_hours"] != 24.0 || f["escalate_after_hours"] != 72.0 ||
			f["steps"].([]any)[0].(map[string]any)["approvers"].([]any)[0].(map[string]any)["type"] != "manager" {
			t.Fatalf("default flow %v", f)
		}
		want(t, env.do("GET", "/v1/approval-flows/leave", env.m.Token, nil), 403, "forbidden")
	})

	t.Run("InvalidFlowsAreRefused", func(t *testing.T) {
		for _, body := range []map[string]any{
			{"steps": []any{}},
			{"steps": []any{map[string]any{"approvers": []any{map[string]any{"type": "users", "user_ids": []string{uuid.NewString()}}}}}},
			{"steps": []any{map[string]any{"approvers": []any{map[string]any{"type": "role", "role": "employee"}}}}},
			{"steps": []any{map[string]any{"approvers": []any{map[string]any{"type": "users"}}}}},
			{"steps": []any{map[string]any{"approvers": []any{map[string]any{"type": "manager"}}}}, "escalate_after_hours": -1},
		} {
			want(t, env.do("PUT", "/v1/approval-flows/makeup", adm.Token, body), 422)
		}
	})

	t.Run("ManagerThenEveryAdmin", func(t *testing.T) {
		a2 := env.person("A2", map[string]any{"role": "admin"})
		r := env.do("PUT", "/v1/approval-flows/makeup", adm.Token, map[string]any{"steps": []any{
			map[string]any{"name": "manager", "approvers": []any{map[string]any{"type": "manager"}}},
			map[string]any{"name": "admins", "mode": "all", "approvers": []any{map[string]any{"type": "role", "role": "admin"}}},
		}})
		want(t, r, 200)
		q := env.file(env.e1, makeupBody("in", march18.Add(-time.Hour)))
		apID := q["approval_id"].(string)
		r = env.decide(env.m, apID, "approve", "")
		want(t, r, 200)
		if a := r.M(t); a["status"] != "pending" || a["step"] != 2.0 || a["step_name"] != "admins" || a["step_mode"] != "all" {
			t.Fatalf("after step 1: %s", r.Body)
		}
		want(t, env.decide(env.m, apID, "approve", ""), 200) // M's retry: the same decision
		want(t, env.decide(env.m, apID, "reject", ""), 403, "not_current_approver")
		r = env.decide(adm, apID, "approve", "")
		want(t, r, 200)
		if a := r.M(t); a["status"] != "pending" {
			t.Fatalf("one admin of an all-step: %s", r.Body)
		}
		want(t, env.decide(adm, apID, "approve", ""), 200) // repeating within the step changes nothing
		r = env.decide(a2, apID, "approve", "")
		want(t, r, 200)
		if a := r.M(t); a["status"] != "approved" || a["makeup"].(map[string]any)["corrective_punch_id"] == nil {
			t.Fatalf("after every admin: %s", r.Body)
		}
	})

	t.Run("DepartmentHeadLevelsUp", func(t *testing.T) {
		want(t, env.do("PUT", "/v1/approval-flows/overtime", adm.Token, map[string]any{"steps": []any{
			map[string]any{"approvers": []any{map[string]any{"type": "department_head", "levels": 2}}}}}), 200)
		start := march18.Add(10 * time.Hour)
		r := env.do("POST", "/v1/me/overtime-requests", env.e1.Token, map[string]any{"start": start.Format(time.RFC3339),
			"end": start.Add(time.Hour).Format(time.RFC3339), "reason": "release"})
		want(t, r, 201)
		id := r.M(t)["id"].(string)
		if env.approvalFor(env.g, id, "status=pending") == nil || env.approvalFor(env.m, id, "status=pending") != nil {
			t.Fatal("two levels up from Field is Ops, headed by G")
		}
		// Naming a head moves the head role off the managers.
		r = env.do("PUT", "/v1/departments/"+env.ops+"/head", adm.Token, map[string]any{"employee_id": env.s.ID})
		want(t, r, 200)
		if h := r.M(t); fmt.Sprint(h["effective_head_ids"]) != "["+env.s.ID+"]" {
			t.Fatalf("head %v", h)
		}
		r = env.do("POST", "/v1/me/overtime-requests", env.e2.Token, map[string]any{"start": start.Format(time.RFC3339),
			"end": start.Add(time.Hour).Format(time.RFC3339), "reason": "release"})
		want(t, r, 201)
		if env.approvalFor(env.s, r.M(t)["id"].(string), "status=pending") == nil {
			t.Fatal("the named head of Ops is asked")
		}
		want(t, env.do("PUT", "/v1/departments/"+env.ops+"/head", env.m.Token, map[string]any{"employee_id": nil}), 403, "forbidden")
		r = env.do("PUT", "/v1/departments/"+env.ops+"/head", adm.Token, map[string]any{"employee_id": nil})
		want(t, r, 200)
		if h := r.M(t); fmt.Sprint(h["effective_head_ids"]) != "["+env.g.ID+"]" {
			t.Fatalf("head %v", h)
		}
	})

	t.Run("ChangesAreAudited", func(t *testing.T) {
		r := env.do("GET", "/v1/audit-events?action=approval_flow.update", adm.Token, nil)
		want(t, r, 200)
		if n := len(r.M(t)["items"].([]any)); n != 2 {
			t.Fatalf("%d flow changes audited", n)
		}
	})
}

func TestApprovals_Delegation(t *testing.T) {
	t.Parallel()
	env := newReqEnv(t)
	q := env.file(env.e1, makeupBody("in", march18.Add(-time.Hour)))
	apID := q["approval_id"].(string)

	t.Run("RefusedWhenMeaningless", func(t *testing.T) {
		for _, body := range []map[string]any{
			{"delegate_id": env.m.ID, "from": march18.Format(time.RFC3339), "to": march18.Add(time.Hour).Format(time.RFC3339)},
			{"delegate_id": env.s.ID, "from": march18.Format(time.RFC3339), "to": march18.Add(-time.Hour).Format(time.RFC3339)},
			{"delegate_id": uuid.NewString(), "from": march18.Format(time.RFC3339), "to": march18.Add(time.Hour).Format(time.RFC3339)},
		} {
			want(t, env.do("PUT", "/v1/me/delegation", env.m.Token, body), 422)
		}
		want(t, env.do("GET", "/v1/me/delegation", env.m.Token, nil), 404, "not_found")
	})

	t.Run("AFutureDelegationDoesNothingYet", func(t *testing.T) {
		r := env.do("PUT", "/v1/me/delegation", env.m.Token, map[string]any{"delegate_id": env.s.ID,
			"from": march18.Add(24 * time.Hour).Format(time.RFC3339), "to": march18.Add(7 * 24 * time.Hour).Format(time.RFC3339)})
		want(t, r, 200)
		if r.M(t)["active"] != false {
			t.Fatalf("delegation %s", r.Body)
		}
		want(t, env.decide(env.s, apID, "approve", ""), 404, "not_found")
	})

	t.Run("TheDelegateDecidesWhileItRuns", func(t *testing.T) {
		want(t, env.do("PUT", "/v1/me/delegation", env.m.Token, map[string]any{"delegate_id": env.s.ID,
			"from": march18.Add(-time.Hour).Format(time.RFC3339), "to": march18.Add(7 * 24 * time.Hour).Format(time.RFC3339)}), 200)
		a := env.approvalFor(env.s, q["id"].(string), "status=pending")
		if a == nil || a["can_decide"] != true {
			t.Fatalf("the delegate sees it: %v", a)
		}
		q2 := env.file(env.e2, makeupBody("in", march18.Add(-time.Hour)))
		if env.notified("approval.requested", env.s.ID) != 1 {
			t.Fatal("the delegate is notified of new requests while the delegation runs")
		}
		r := env.decide(env.s, apID, "approve", "for M")
		want(t, r, 200)
		h := r.M(t)["history"].([]any)
		last := h[len(h)-1].(map[string]any)
		if last["actor_id"] != env.s.ID || last["on_behalf_of"] != env.m.ID {
			t.Fatalf("history %v", last)
		}
		want(t, env.decide(env.m, apID, "approve", ""), 409, "already_decided")
		// The approver keeps deciding too.
		want(t, env.decide(env.m, q2["approval_id"].(string), "approve", ""), 200)
	})

	t.Run("EndingItTakesTheRightAway", func(t *testing.T) {
		q := env.file(env.e2, makeupBody("in", march18.Add(-2*time.Hour)))
		want(t, env.do("DELETE", "/v1/me/delegation", env.m.Token, nil), 204)
		want(t, env.do("DELETE", "/v1/me/delegation", env.m.Token, nil), 404, "not_found")
		want(t, env.decide(env.s, q["approval_id"].(string), "approve", ""), 404, "not_found")
	})
}

func TestApprovals_RemindersAndEscalationFollowTheClock(t *testing.T) {
	t.Parallel()
	env := newReqEnv(t)
	adm := person{ID: env.ten.AdminID.String(), Token: env.ten.Admin}
	q := env.file(env.e1, makeupBody("in", march18.Add(-time.Hour)))
	apID := q["approval_id"].(string)
	sweep := func(d time.Duration) (reminded, escalated int) {
		t.Helper()
		env.clock.Advance(d)
		res, err := env.req.SweepApprovals(context.Background(), env.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		return res.Reminded, res.Escalated
	}
	if r, e := sweep(23 * time.Hour); r+e != 0 {
		t.Fatalf("nothing is due after 23 h: %d reminded, %d escalated", r, e)
	}
	if r, e := sweep(2 * time.Hour); r != 1 || e != 0 {
		t.Fatalf("after 25 h: %d reminded, %d escalated", r, e)
	}
	if env.notified("approval.reminder", env.m.ID) != 1 {
		t.Fatal("the manager is reminded")
	}
	if r, e := sweep(24 * time.Hour); r+e != 0 {
		t.Fatalf("one reminder per step: %d reminded, %d escalated", r, e)
	}
	if r, e := sweep(24 * time.Hour); r != 0 || e != 1 {
		t.Fatalf("after 73 h: %d reminded, %d escalated", r, e)
	}
	a := env.approvalFor(env.g, q["id"].(string), "status=pending")
	if a == nil || a["escalations"] != 1.0 || env.notified("approval.escalated", env.g.ID) != 1 {
		t.Fatalf("M's manager G is asked after the deadline: %v", a)
	}
	if m := env.approvalFor(env.m, q["id"].(string), "status=pending"); m == nil {
		t.Fatal("M may still decide")
	}
	// G reports to nobody: the next escalation reaches the admins, the last level.
	if _, e := sweep(73 * time.Hour); e != 1 {
		t.Fatal("no second escalation")
	}
	if env.approvalFor(adm, q["id"].(string), "status=pending&assigned_to_me=true") == nil {
		t.Fatal("the admins are asked at the second escalation")
	}
	if _, e := sweep(100 * time.Hour); e != 0 {
		t.Fatal("escalated past the admins")
	}
	r := env.decide(env.g, apID, "approve", "")
	want(t, r, 200)
	if h := actions(r.M(t)["history"]); h != "created,assigned,reminded,escalated,escalated,reminded,approved" {
		t.Fatalf("history %s", h)
	}
	if rem, esc := sweep(1000 * time.Hour); rem+esc != 0 {
		t.Fatal("a decided approval is swept")
	}
}

// BenchmarkApprovals measures approvals decided per second through the whole
// stack in process (router, validation, auth, the decision transaction with
// its corrective punch, history, audit and outbox rows, and the approval read
// back for the answer), next to the same-shaped raw SQL: one transaction that
// locks the approval, UPDATEs it and the request and INSERTs the punch.
func BenchmarkApprovals(b *testing.B) {
	env := newReqEnvAt(b, nil, march18)
	seed := func(n int) []string {
		b.Helper()
		rows, err := env.pool.Query(context.Background(), `WITH emp AS (SELECT id, tenant_id FROM employees WHERE employee_no = 'E1'),
			req AS (
			  INSERT INTO requests (tenant_id, id, type, employee_id, status, reason, created_at, updated_at, punch_kind, punch_time)
			  SELECT emp.tenant_id, gen_random_uuid(), 'makeup', emp.id, 'pending', 'bench', now(), now(), 'in', now() - interval '1 hour'
			  FROM emp, generate_series(1, $1) RETURNING tenant_id, id, employee_id),
			ap AS (
			  INSERT INTO approvals (tenant_id, id, request_type, request_id, employee_id, status, flow, step, step_mode,
			    step_started_at, created_at, updated_at)
			  SELECT tenant_id, gen_random_uuid(), 'makeup', id, employee_id, 'pending',
			    '{"steps":[{"mode":"any","approvers":[{"type":"manager"}]}],"remind_after_hours":24,"escalate_after_hours":72}', 0, 'any',
			    now(), now(), now() FROM req RETURNING tenant_id, id)
			INSERT INTO approval_assignees (tenant_id, approval_id, step, approver_id, via, assigned_at)
			SELECT ap.tenant_id, ap.id, 0, (SELECT id FROM employees WHERE employee_no = 'M'), 'flow', now() FROM ap
			RETURNING approval_id::text`, n)
		if err != nil {
			b.Fatal(err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			b.Fatal(err)
		}
		return ids
	}
	approve := func(id string) {
		req := httptest.NewRequest("POST", "/v1/approvals/"+id+"/approve", strings.NewReader(`{"comment":"ok"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+env.m.Token)
		rec := httptest.NewRecorder()
		env.e.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
	report := func(b *testing.B, start time.Time) {
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "approvals/s")
	}

	b.Run("API", func(b *testing.B) {
		ids := seed(b.N)
		b.ReportAllocs()
		b.ResetTimer()
		start := time.Now()
		for i := range b.N {
			approve(ids[i])
		}
		report(b, start)
	})
	b.Run("APIParallel", func(b *testing.B) {
		ids := seed(b.N)
		next := make(chan string, len(ids))
		for _, id := range ids {
			next <- id
		}
		close(next)
		b.ReportAllocs()
		b.SetParallelism(4) // 4 per core: decisions wait on the database, not the CPU
		b.ResetTimer()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				approve(<-next)
			}
		})
		report(b, start)
	})
	rawDecide := func(ctx context.Context, id string) error {
		return pgx.BeginFunc(ctx, env.pool, func(tx pgx.Tx) error {
			var tenant, reqID, emp uuid.UUID
			if err := tx.QueryRow(ctx, `SELECT tenant_id, request_id, employee_id FROM approvals WHERE id = $1 FOR UPDATE`, id).
				Scan(&tenant, &reqID, &emp); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE approvals SET status = 'approved', decided_at = now() WHERE tenant_id = $1 AND id = $2 AND status = 'pending'`,
				tenant, id); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE requests SET status = 'approved', decided_at = now() WHERE tenant_id = $1 AND id = $2`, tenant, reqID); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO punches (tenant_id, id, employee_id, kind, source, verdict, occurred_at, received_at, makeup_request_id)
				VALUES ($1, $2, $3, 'in', 'makeup', 'accepted', now(), now(), $4)`, tenant, uuid.New(), emp, reqID)
			return err
		})
	}
	b.Run("RawSQL", func(b *testing.B) {
		ids := seed(b.N)
		b.ResetTimer()
		start := time.Now()
		for i := range b.N {
			if err := rawDecide(context.Background(), ids[i]); err != nil {
				b.Fatal(err)
			}
		}
		report(b, start)
	})
	b.Run("RawSQLParallel", func(b *testing.B) {
		ids := seed(b.N)
		next := make(chan string, len(ids))
		for _, id := range ids {
			next <- id
		}
		close(next)
		b.SetParallelism(4)
		b.ResetTimer()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := rawDecide(context.Background(), <-next); err != nil {
					b.Error(err)
					return
				}
			}
		})
		report(b, start)
	})
}
