-- +goose Up
-- Location trust: the policy is data (per tenant, with per-site overrides of
-- the accuracy limit), offline punches keep the clocks they were
-- reconstructed from, and field work has assignments and GPS tracks.

ALTER TABLE tenants
    ADD COLUMN trust_policy jsonb,                 -- NULL: the built-in default (docs/trust.md)
    ADD COLUMN offline_window_hours int NOT NULL DEFAULT 72 CHECK (offline_window_hours BETWEEN 1 AND 720),
    ADD COLUMN track_retention_days int NOT NULL DEFAULT 90 CHECK (track_retention_days BETWEEN 1 AND 3650),
    ADD COLUMN field_punch_policy text NOT NULL DEFAULT 'approval' CHECK (field_punch_policy IN ('allow', 'approval', 'deny'));

ALTER TABLE sites
    ADD COLUMN max_accuracy_m double precision CHECK (max_accuracy_m IS NULL OR max_accuracy_m > 0);

ALTER TABLE punches
    ADD COLUMN offline boolean NOT NULL DEFAULT false,
    ADD COLUMN offline_clock jsonb,                -- what the app sent to date a queued punch
    ADD COLUMN field_visit jsonb,                  -- {note, customer} for a field check-in (外勤)
    ADD COLUMN field_assignment_id uuid,
    ADD COLUMN developer_mode boolean;

-- The employee's recent fixes feed impossible-travel, zero-jitter and
-- new-device signals.
CREATE INDEX punches_employee_fixes ON punches (tenant_id, employee_id, received_at DESC) WHERE lat IS NOT NULL;

-- Field assignments: the time windows in which an employee works away from
-- the sites. GPS tracks are only recorded inside one (privacy).
CREATE TABLE field_assignments (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    employee_id  uuid NOT NULL,
    starts_at    timestamptz NOT NULL,
    ends_at      timestamptz NOT NULL,
    note         text NOT NULL DEFAULT '',
    created_by   uuid,
    created_at   timestamptz NOT NULL,
    cancelled_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, employee_id) REFERENCES employees (tenant_id, id),
    CHECK (ends_at > starts_at AND ends_at - starts_at <= interval '31 days')
);
CREATE INDEX field_assignments_employee ON field_assignments (tenant_id, employee_id, starts_at);

CREATE TABLE track_points (
    tenant_id     uuid NOT NULL,
    employee_id   uuid NOT NULL,
    at            timestamptz NOT NULL,
    assignment_id uuid NOT NULL,
    lat           double precision NOT NULL,
    lng           double precision NOT NULL,
    accuracy_m    double precision,
    src_crs       text NOT NULL,
    received_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, employee_id, at)
);

-- +goose Down
DROP TABLE track_points, field_assignments;
DROP INDEX punches_employee_fixes;
ALTER TABLE punches DROP COLUMN offline, DROP COLUMN offline_clock, DROP COLUMN field_visit,
    DROP COLUMN field_assignment_id, DROP COLUMN developer_mode;
ALTER TABLE sites DROP COLUMN max_accuracy_m;
ALTER TABLE tenants DROP COLUMN trust_policy, DROP COLUMN offline_window_hours, DROP COLUMN track_retention_days,
    DROP COLUMN field_punch_policy;
