-- +goose Up
-- Requests (make-up punches, leave, overtime), the one approval engine that
-- decides them and flagged punches, delegations, and the per-tenant policy
-- and flows. docs/approvals.md describes the rules these tables carry.

-- A department's head, when an admin names one; otherwise the head is the
-- department's active manager-role employees (docs/approvals.md).
ALTER TABLE departments
    ADD COLUMN head_employee_id uuid,
    ADD CONSTRAINT departments_head FOREIGN KEY (tenant_id, head_employee_id) REFERENCES employees (tenant_id, id);

-- A corrective punch made when a make-up request is approved points at its
-- request, its approver (NULL: approved by the tenant's auto-approve rule)
-- and the raw punch it corrects, which itself is never edited. The unique
-- index makes "one corrective punch per request" a fact of the schema.
ALTER TABLE punches
    ADD COLUMN makeup_request_id uuid,
    ADD COLUMN approved_by uuid,
    ADD COLUMN corrects_punch_id uuid;
ALTER TABLE punches
    ADD CONSTRAINT punches_corrects FOREIGN KEY (tenant_id, corrects_punch_id) REFERENCES punches (tenant_id, id) NOT VALID,
    ADD CONSTRAINT punches_approved_by FOREIGN KEY (tenant_id, approved_by) REFERENCES employees (tenant_id, id) NOT VALID;
CREATE UNIQUE INDEX punches_makeup_request ON punches (tenant_id, makeup_request_id) WHERE makeup_request_id IS NOT NULL;

-- One row per request of any type; the columns of the other types stay NULL.
CREATE TABLE requests (
    tenant_id        uuid NOT NULL,
    id               uuid NOT NULL,
    type             text NOT NULL CHECK (type IN ('makeup', 'leave', 'overtime')),
    employee_id      uuid NOT NULL,
    status           text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'withdrawn')),
    reason           text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
    photo_id         uuid,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    decided_at       timestamptz,
    decided_by       uuid,
    decision_comment text,
    -- make-up: the punch asked for, its evidence as evaluated when the request
    -- was made (location as sent and derived, site, distance, verdict,
    -- signals), the raw punch it replaces and the corrective punch made.
    punch_kind          text CHECK (punch_kind IN ('in', 'out')),
    punch_time          timestamptz,
    evidence            jsonb,
    corrects_punch_id   uuid,
    corrective_punch_id uuid,
    auto_approved       boolean NOT NULL DEFAULT false,
    -- leave: whole days from start_date to end_date; start_half = 'pm' starts
    -- at noon, end_half = 'am' ends at noon.
    leave_type   text CHECK (leave_type IN ('annual', 'sick', 'personal', 'marriage', 'maternity', 'paternity', 'bereavement', 'other')),
    start_date   date,
    end_date     date,
    start_half   text CHECK (start_half IN ('am', 'pm')),
    end_half     text CHECK (end_half IN ('am', 'pm')),
    -- overtime
    starts_at    timestamptz,
    ends_at      timestamptz,
    compensation text CHECK (compensation IN ('pay', 'time_off')),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, employee_id) REFERENCES employees (tenant_id, id),
    CHECK (type <> 'makeup' OR (punch_kind IS NOT NULL AND punch_time IS NOT NULL)),
    CHECK (type <> 'leave' OR (leave_type IS NOT NULL AND start_date IS NOT NULL AND end_date >= start_date)),
    CHECK (type <> 'overtime' OR (compensation IS NOT NULL AND ends_at > starts_at))
);
CREATE INDEX requests_employee ON requests (tenant_id, employee_id, type, created_at DESC, id DESC);
CREATE INDEX requests_makeup_time ON requests (tenant_id, employee_id, punch_time) WHERE type = 'makeup';
ALTER TABLE punches
    ADD CONSTRAINT punches_makeup_request_fk FOREIGN KEY (tenant_id, makeup_request_id) REFERENCES requests (tenant_id, id) NOT VALID;

-- The approval of one request (or flagged punch): the flow as it was when
-- the request was made, the current step, and the timers of the sweeper.
CREATE TABLE approvals (
    tenant_id        uuid NOT NULL,
    id               uuid NOT NULL,
    request_type     text NOT NULL CHECK (request_type IN ('makeup', 'leave', 'overtime', 'punch')),
    request_id       uuid NOT NULL,
    employee_id      uuid NOT NULL,
    status           text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'withdrawn')),
    flow             jsonb NOT NULL,
    step             int NOT NULL DEFAULT 0,
    step_mode        text NOT NULL CHECK (step_mode IN ('any', 'all')),
    escalations      int NOT NULL DEFAULT 0,
    step_started_at  timestamptz NOT NULL,
    remind_at        timestamptz,
    escalate_at      timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    decided_at       timestamptz,
    decided_by       uuid,
    decision_comment text,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, request_type, request_id),
    FOREIGN KEY (tenant_id, employee_id) REFERENCES employees (tenant_id, id)
);
CREATE INDEX approvals_list ON approvals (tenant_id, created_at DESC, id DESC);
CREATE INDEX approvals_remind ON approvals (remind_at) WHERE status = 'pending' AND remind_at IS NOT NULL;
CREATE INDEX approvals_escalate ON approvals (escalate_at) WHERE status = 'pending' AND escalate_at IS NOT NULL;

-- Who is asked at each step. A row is created when its step starts (or when
-- an escalation adds someone) and records that approver's decision.
CREATE TABLE approval_assignees (
    tenant_id    uuid NOT NULL,
    approval_id  uuid NOT NULL,
    step         int NOT NULL,
    approver_id  uuid NOT NULL,
    via          text NOT NULL CHECK (via IN ('flow', 'escalation', 'admins')),
    assigned_at  timestamptz NOT NULL,
    decision     text CHECK (decision IN ('approved', 'rejected')),
    decided_at   timestamptz,
    decided_by   uuid,            -- the approver, or their delegate
    PRIMARY KEY (tenant_id, approval_id, step, approver_id),
    FOREIGN KEY (tenant_id, approval_id) REFERENCES approvals (tenant_id, id),
    FOREIGN KEY (tenant_id, approver_id) REFERENCES employees (tenant_id, id)
);
CREATE INDEX approval_assignees_approver ON approval_assignees (tenant_id, approver_id, approval_id);

-- Everything that happened to a request, in order (also in audit_events).
CREATE TABLE request_events (
    tenant_id     uuid NOT NULL,
    id            uuid NOT NULL,
    request_type  text NOT NULL,
    request_id    uuid NOT NULL,
    at            timestamptz NOT NULL,
    actor_id      uuid,           -- NULL: the system (policy, sweeper)
    on_behalf_of  uuid,           -- the approver a delegate acted for
    action        text NOT NULL,
    comment       text,
    details       jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX request_events_request ON request_events (tenant_id, request_type, request_id, at, id);

-- One delegation per approver: while it runs, the delegate sees and decides
-- what awaits the approver.
CREATE TABLE delegations (
    tenant_id    uuid NOT NULL,
    employee_id  uuid NOT NULL,
    delegate_id  uuid NOT NULL,
    starts_at    timestamptz NOT NULL,
    ends_at      timestamptz NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, employee_id),
    FOREIGN KEY (tenant_id, employee_id) REFERENCES employees (tenant_id, id),
    FOREIGN KEY (tenant_id, delegate_id) REFERENCES employees (tenant_id, id),
    CHECK (delegate_id <> employee_id),
    CHECK (ends_at > starts_at)
);
CREATE INDEX delegations_delegate ON delegations (tenant_id, delegate_id);

-- Per-tenant settings; no row means the built-in defaults.
CREATE TABLE approval_flows (
    tenant_id     uuid NOT NULL REFERENCES tenants(id),
    request_type  text NOT NULL CHECK (request_type IN ('makeup', 'leave', 'overtime', 'punch')),
    flow          jsonb NOT NULL,
    updated_at    timestamptz NOT NULL,
    updated_by    uuid,
    PRIMARY KEY (tenant_id, request_type)
);
CREATE TABLE request_policies (
    tenant_id     uuid PRIMARY KEY REFERENCES tenants(id),
    policy        jsonb NOT NULL,
    updated_at    timestamptz NOT NULL,
    updated_by    uuid
);

-- +goose Down
DROP INDEX punches_makeup_request;
ALTER TABLE punches DROP CONSTRAINT punches_makeup_request_fk, DROP CONSTRAINT punches_corrects, DROP CONSTRAINT punches_approved_by,
    DROP COLUMN makeup_request_id, DROP COLUMN approved_by, DROP COLUMN corrects_punch_id;
DROP TABLE request_policies, approval_flows, delegations, request_events, approval_assignees, approvals, requests;
ALTER TABLE departments DROP CONSTRAINT departments_head, DROP COLUMN head_employee_id;
