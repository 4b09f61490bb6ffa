-- +goose Up
-- Every table leads its keys with tenant_id so the schema can be distributed by
-- tenant (Citus) and row-level security stays possible as a second wall.

CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- bumped in the same transaction as any site change: replicas compare it to
    -- decide whether their in-memory geofence index is stale.
    sites_rev   bigint NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE departments (
    tenant_id   uuid NOT NULL REFERENCES tenants(id),
    id          uuid NOT NULL,
    parent_id   uuid,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, parent_id) REFERENCES departments (tenant_id, id)
);
-- Sibling names are unique so an import can address a department by its path.
CREATE UNIQUE INDEX departments_sibling_name ON departments (tenant_id, coalesce(parent_id, '00000000-0000-0000-0000-000000000000'::uuid), lower(name));

CREATE TABLE sites (
    tenant_id    uuid NOT NULL REFERENCES tenants(id),
    id           uuid NOT NULL,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    address      text NOT NULL DEFAULT '',
    timezone     text NOT NULL,
    crs          text NOT NULL CHECK (crs IN ('wgs84', 'gcj02', 'bd09')),
    -- [{type, center, radius_m, points}] in WGS-84, and the same as submitted (in crs).
    geofences    jsonb NOT NULL,
    geofences_src jsonb NOT NULL,
    wifi_bssids  text[] NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    deleted_at   timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX sites_live ON sites (tenant_id, id) WHERE deleted_at IS NULL;

CREATE TABLE employees (
    tenant_id      uuid NOT NULL REFERENCES tenants(id),
    id             uuid NOT NULL,
    employee_no    text NOT NULL CHECK (employee_no ~ '^[A-Za-z0-9._-]{1,32}$'),
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    department_id  uuid,
    manager_id     uuid,
    email          text,
    phone          text,
    timezone       text NOT NULL,
    status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'left')),
    role           text NOT NULL DEFAULT 'employee' CHECK (role IN ('employee', 'manager', 'admin')),
    card_no        text,
    password_hash  text,
    password_set_at timestamptz,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, department_id) REFERENCES departments (tenant_id, id),
    FOREIGN KEY (tenant_id, manager_id) REFERENCES employees (tenant_id, id),
    CHECK (manager_id IS NULL OR manager_id <> id)
);
CREATE UNIQUE INDEX employees_no ON employees (tenant_id, employee_no);
CREATE UNIQUE INDEX employees_email ON employees (tenant_id, lower(email)) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX employees_phone ON employees (tenant_id, phone) WHERE phone IS NOT NULL;
CREATE INDEX employees_department ON employees (tenant_id, department_id);
CREATE INDEX employees_manager ON employees (tenant_id, manager_id);

-- The sites an employee may punch at. No rows means every site of the tenant.
CREATE TABLE employee_sites (
    tenant_id    uuid NOT NULL,
    employee_id  uuid NOT NULL,
    site_id      uuid NOT NULL,
    PRIMARY KEY (tenant_id, employee_id, site_id),
    FOREIGN KEY (tenant_id, employee_id) REFERENCES employees (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id)
);

-- Refresh tokens rotate on every use; all tokens descended from one login share a
-- family, and presenting a rotated token again revokes the whole family.
CREATE TABLE refresh_tokens (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    family_id    uuid NOT NULL,
    employee_id  uuid NOT NULL,
    token_hash   bytea NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    rotated_at   timestamptz,
    revoked_at   timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, employee_id) REFERENCES employees (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX refresh_tokens_hash ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_family ON refresh_tokens (tenant_id, family_id);

-- One-time codes that bind the app to an employee created without a password.
CREATE TABLE activation_codes (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    employee_id  uuid NOT NULL,
    code_hash    bytea NOT NULL,
    created_by   uuid,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, employee_id) REFERENCES employees (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX activation_codes_hash ON activation_codes (tenant_id, code_hash);

-- Failed-login counters per account and per client address (a fixed window).
CREATE TABLE login_failures (
    tenant_id    uuid NOT NULL,
    subject      text NOT NULL,
    window_start timestamptz NOT NULL,
    failures     int NOT NULL,
    PRIMARY KEY (tenant_id, subject)
);

CREATE TABLE audit_events (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    at           timestamptz NOT NULL,
    actor_id     uuid,
    actor_role   text NOT NULL,
    action       text NOT NULL,
    target_type  text NOT NULL,
    target_id    text NOT NULL,
    changes      jsonb NOT NULL DEFAULT '{}',
    request_id   text NOT NULL DEFAULT '',
    client_ip    text NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_events_at ON audit_events (tenant_id, at DESC, id DESC);
CREATE INDEX audit_events_target ON audit_events (tenant_id, target_type, target_id);

-- Raw punches are append-only: corrections are new rows that point at what they
-- correct. What arrived (client time, source, location as sent) sits beside what
-- was derived (WGS-84 point, site, distance, signals, verdict).
CREATE TABLE punches (
    tenant_id        uuid NOT NULL,
    id               uuid NOT NULL,
    employee_id      uuid NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('in', 'out')),
    source           text NOT NULL CHECK (source IN ('app', 'terminal', 'makeup', 'admin')),
    verdict          text NOT NULL CHECK (verdict IN ('accepted', 'flagged', 'needs_approval', 'rejected')),
    client_punch_id  uuid,
    occurred_at      timestamptz NOT NULL,
    received_at      timestamptz NOT NULL,
    client_time      timestamptz,
    site_id          uuid,
    site_name        text,
    distance_m       double precision,
    containment      text,
    nearest_site_id  uuid,
    nearest_site_name text,
    nearest_distance_m double precision,
    lat              double precision,
    lng              double precision,
    accuracy_m       double precision,
    src_crs          text,
    src_lat          double precision,
    src_lng          double precision,
    fix_time         timestamptz,
    is_mock          boolean,
    wifi_bssid       text,
    wifi_ssid        text,
    app_device_id    text,
    app_platform     text,
    rooted           boolean,
    photo_id         uuid,
    signals          jsonb NOT NULL DEFAULT '[]',
    score            double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, employee_id) REFERENCES employees (tenant_id, id)
);
CREATE UNIQUE INDEX punches_client_id ON punches (tenant_id, employee_id, client_punch_id) WHERE client_punch_id IS NOT NULL;
CREATE INDEX punches_employee_time ON punches (tenant_id, employee_id, occurred_at DESC, id DESC);
CREATE INDEX punches_time ON punches (tenant_id, occurred_at DESC, id DESC);
CREATE INDEX punches_site_time ON punches (tenant_id, site_id, occurred_at DESC) WHERE site_id IS NOT NULL;

-- +goose Down
DROP TABLE punches, audit_events, login_failures, activation_codes, refresh_tokens,
    employee_sites, employees, sites, departments, tenants;
