-- +goose Up
-- Door terminals (docs/terminals.md): the registry, their credentials, the
-- command queue, what they reported, the records kept aside (quarantine,
-- pending devices) and the terminal columns of punches.

-- A registered terminal. Serial numbers are unique across tenants among live
-- devices: ZKTeco firmware identifies itself by SN alone, so the serial is
-- what routes its traffic to a tenant.
CREATE TABLE devices (
    tenant_id         uuid NOT NULL REFERENCES tenants(id),
    id                uuid NOT NULL,
    serial            text NOT NULL CHECK (serial ~ '^[A-Za-z0-9_-]{1,64}$'),
    protocol          text NOT NULL CHECK (protocol IN ('daka', 'zkteco-adms', 'hikvision-isapi')),
    site_id           uuid NOT NULL,
    timezone          text NOT NULL,
    name              text NOT NULL DEFAULT '',
    model             text NOT NULL DEFAULT '',
    -- {"status": {"0": "in", ...}, "doors": {"1": "in", ...}, "default": "in"}
    direction_map     jsonb NOT NULL DEFAULT '{}',
    enabled           boolean NOT NULL DEFAULT true,
    -- hikvision-isapi: SHA-256 of the secret URL segment of /hik/events/{token}.
    token_hash        bytea,
    -- daka: the request-signing key (SHA-256 of the secret shown once), sealed
    -- with AES-GCM under DAKA_ENCRYPTION_KEY. The secret itself is never stored.
    key_enc           bytea,
    activated_at      timestamptz,
    -- What the device last reported about itself.
    firmware          text NOT NULL DEFAULT '',
    ip                text NOT NULL DEFAULT '',
    push_version      text NOT NULL DEFAULT '',
    info              jsonb NOT NULL DEFAULT '{}',
    user_count        int,
    punch_count       int,
    fp_count          int,
    face_count        int,
    -- device clock minus server clock, measured (native NTP-style exchange) or
    -- estimated (real-time pushes); see docs/terminals.md.
    clock_offset_ms   bigint,
    clock_measured_at timestamptz,
    last_seen_at      timestamptz,
    -- Set when admins were told the device went quiet; cleared when it calls.
    offline_notified_at timestamptz,
    -- ZK command ids are per-device counters ("C:101:..."), 1–16 characters.
    next_cmd          bigint NOT NULL DEFAULT 101,
    -- Native rosters: a change of site makes the next delta a full resync.
    roster_reset_at   timestamptz NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    deleted_at        timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id)
);
CREATE UNIQUE INDEX devices_id ON devices (id);
CREATE UNIQUE INDEX devices_serial ON devices (serial) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX devices_token ON devices (token_hash) WHERE token_hash IS NOT NULL;
CREATE INDEX devices_list ON devices (tenant_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX devices_site ON devices (tenant_id, site_id) WHERE deleted_at IS NULL;

-- One-time codes a native terminal redeems for its secret.
CREATE TABLE device_activation_codes (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    device_id   uuid NOT NULL,
    code_hash   bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, device_id) REFERENCES devices (tenant_id, id)
);
CREATE UNIQUE INDEX device_activation_codes_hash ON device_activation_codes (code_hash);

-- Nonces of signed native requests, remembered for the replay window.
CREATE TABLE device_nonces (
    tenant_id   uuid NOT NULL,
    device_id   uuid NOT NULL,
    nonce       text NOT NULL,
    seen_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, device_id, nonce)
);
CREATE INDEX device_nonces_seen ON device_nonces (seen_at);

-- Server → device commands. queued → sent → done | failed, or expired after
-- too many unanswered deliveries (a sent command is re-queued, same id, when
-- no reply came in time); cancelled when superseded before delivery.
CREATE TABLE device_commands (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    device_id    uuid NOT NULL,
    cmd_id       text NOT NULL CHECK (cmd_id ~ '^[A-Za-z0-9]{1,16}$'),
    kind         text NOT NULL,
    args         jsonb NOT NULL DEFAULT '{}',
    employee_id  uuid,
    state        text NOT NULL CHECK (state IN ('queued', 'sent', 'done', 'failed', 'expired', 'cancelled')),
    attempts     int NOT NULL DEFAULT 0,
    return_code  int,
    result       jsonb,
    created_by   uuid,
    created_at   timestamptz NOT NULL,
    sent_at      timestamptz,
    finished_at  timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, device_id) REFERENCES devices (tenant_id, id)
);
CREATE UNIQUE INDEX device_commands_cmd_id ON device_commands (tenant_id, device_id, cmd_id);
CREATE INDEX device_commands_open ON device_commands (tenant_id, device_id, created_at) WHERE state IN ('queued', 'sent');
CREATE INDEX device_commands_list ON device_commands (tenant_id, device_id, created_at DESC, id DESC);

-- The users a ZKTeco device reported (OPERLOG USER/FP/FACE lines): a mirror,
-- not the source of truth; nobody punches from it.
CREATE TABLE device_users (
    tenant_id    uuid NOT NULL,
    device_id    uuid NOT NULL,
    pin          text NOT NULL,
    name         text NOT NULL DEFAULT '',
    name_raw     bytea,
    privilege    int,
    card         text NOT NULL DEFAULT '',
    grp          int,
    tz           text NOT NULL DEFAULT '',
    verify       int,
    fp_count     int NOT NULL DEFAULT 0,
    face_count   int NOT NULL DEFAULT 0,
    deleted      boolean NOT NULL DEFAULT false,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, device_id, pin)
);

-- Device-specific PINs: on this device, this PIN is this employee (instead of
-- their employee_no).
CREATE TABLE device_pins (
    tenant_id    uuid NOT NULL,
    device_id    uuid NOT NULL,
    pin          text NOT NULL CHECK (pin ~ '^[A-Za-z0-9]{1,32}$'),
    employee_id  uuid NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, device_id, pin),
    FOREIGN KEY (tenant_id, device_id) REFERENCES devices (tenant_id, id),
    FOREIGN KEY (tenant_id, employee_id) REFERENCES employees (tenant_id, id)
);
-- An employee may have several (an old user record and a new one); the newest
-- is the one pushed to the device.
CREATE INDEX device_pins_employee ON device_pins (tenant_id, device_id, employee_id, created_at DESC);

-- Explicit enrolments: the devices and sites whose terminals an employee may
-- use in addition to the sites the employee may punch at.
CREATE TABLE employee_devices (
    tenant_id    uuid NOT NULL,
    employee_id  uuid NOT NULL,
    device_id    uuid NOT NULL,
    PRIMARY KEY (tenant_id, employee_id, device_id),
    FOREIGN KEY (tenant_id, employee_id) REFERENCES employees (tenant_id, id),
    FOREIGN KEY (tenant_id, device_id) REFERENCES devices (tenant_id, id)
);
CREATE INDEX employee_devices_device ON employee_devices (tenant_id, device_id);
CREATE TABLE employee_device_sites (
    tenant_id    uuid NOT NULL,
    employee_id  uuid NOT NULL,
    site_id      uuid NOT NULL,
    PRIMARY KEY (tenant_id, employee_id, site_id),
    FOREIGN KEY (tenant_id, employee_id) REFERENCES employees (tenant_id, id),
    FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id)
);
CREATE INDEX employee_device_sites_site ON employee_device_sites (tenant_id, site_id);

-- Card numbers beyond employees.card_no.
CREATE TABLE employee_cards (
    tenant_id    uuid NOT NULL,
    employee_id  uuid NOT NULL,
    card_no      text NOT NULL CHECK (card_no ~ '^[A-Za-z0-9]{1,32}$'),
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, card_no),
    FOREIGN KEY (tenant_id, employee_id) REFERENCES employees (tenant_id, id)
);
CREATE INDEX employee_cards_employee ON employee_cards (tenant_id, employee_id);

-- Biometric templates (fingerprint, face, ...) as devices uploaded them,
-- sealed with AES-GCM. A new one is an enrolment an admin reviews.
CREATE TABLE biometric_templates (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    employee_id  uuid,
    device_id    uuid NOT NULL,
    pin          text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('fingerprint', 'face', 'palm', 'finger_vein', 'other')),
    finger_index int NOT NULL DEFAULT 0,
    format       text NOT NULL DEFAULT '',
    size         int NOT NULL,
    sha256       bytea NOT NULL CHECK (length(sha256) = 32),
    template_enc bytea NOT NULL,
    status       text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    created_at   timestamptz NOT NULL,
    decided_at   timestamptz,
    decided_by   uuid,
    comment      text NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX biometric_templates_dedupe ON biometric_templates (tenant_id, device_id, pin, kind, finger_index, sha256);
CREATE INDEX biometric_templates_status ON biometric_templates (tenant_id, status, created_at DESC, id DESC);
CREATE INDEX biometric_templates_employee ON biometric_templates (tenant_id, employee_id) WHERE employee_id IS NOT NULL;

-- Something changed an employee's terminal roster entry (cards, PINs,
-- enrolments, templates); native rosters return employees changed since.
CREATE TABLE terminal_roster_changes (
    tenant_id    uuid NOT NULL,
    employee_id  uuid NOT NULL,
    changed_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, employee_id)
);
CREATE INDEX terminal_roster_changes_at ON terminal_roster_changes (tenant_id, changed_at);

-- Terminal records that are kept but are not punches (yet): no employee has
-- the PIN or card, the employee may not use the device, the device is
-- disabled, or the line could not be read. Resolving one re-evaluates it.
CREATE TABLE device_quarantine (
    tenant_id         uuid NOT NULL,
    id                uuid NOT NULL,
    device_id         uuid NOT NULL,
    pin               text NOT NULL DEFAULT '',
    card              text NOT NULL DEFAULT '',
    reason            text NOT NULL CHECK (reason IN ('unknown_pin', 'unknown_card', 'not_permitted', 'employee_left',
                                                     'device_disabled', 'unparseable')),
    dedupe_key        text NOT NULL,
    device_seq        bigint,
    occurred_at       timestamptz,
    device_local_time timestamp,
    device_zone       text NOT NULL DEFAULT '',
    received_at       timestamptz NOT NULL,
    employee_id       uuid,
    -- Everything needed to evaluate it again (status, verify, method, ...).
    record            jsonb NOT NULL DEFAULT '{}',
    raw               text NOT NULL DEFAULT '',
    detail            text NOT NULL DEFAULT '',
    resolved_at       timestamptz,
    resolved_by       uuid,
    resolution        text,
    punch_id          uuid,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX device_quarantine_key ON device_quarantine (tenant_id, device_id, dedupe_key);
CREATE INDEX device_quarantine_open ON device_quarantine (tenant_id, received_at DESC, id DESC) WHERE resolved_at IS NULL;
CREATE INDEX device_quarantine_list ON device_quarantine (tenant_id, received_at DESC, id DESC);
CREATE INDEX device_quarantine_pin ON device_quarantine (tenant_id, device_id, pin) WHERE resolved_at IS NULL;

-- Alarms and other device events that are not punches (native events,
-- Hikvision failed verifications, ZK op-log and rtlog door events).
CREATE TABLE device_events (
    tenant_id         uuid NOT NULL,
    id                uuid NOT NULL,
    device_id         uuid NOT NULL,
    kind              text NOT NULL CHECK (kind IN ('alarm', 'oplog', 'access_denied', 'door')),
    type              text NOT NULL,
    pin               text NOT NULL DEFAULT '',
    employee_id       uuid,
    occurred_at       timestamptz,
    device_local_time timestamp,
    received_at       timestamptz NOT NULL,
    dedupe_key        text NOT NULL,
    details           jsonb NOT NULL DEFAULT '{}',
    raw               text NOT NULL DEFAULT '',
    photo_id          uuid,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX device_events_key ON device_events (tenant_id, device_id, dedupe_key);
CREATE INDEX device_events_list ON device_events (tenant_id, device_id, received_at DESC, id DESC);
CREATE INDEX device_events_alarms ON device_events (tenant_id, received_at DESC, id DESC) WHERE kind = 'alarm';

-- Punch photos terminals uploaded (ZK ATTPHOTO, Hikvision Picture parts,
-- native uploads), stored in the media store and linked to their punch by
-- (device, PIN, device time).
CREATE TABLE device_photos (
    tenant_id         uuid NOT NULL,
    id                uuid NOT NULL,
    device_id         uuid NOT NULL,
    dedupe_key        text NOT NULL,
    pin               text NOT NULL DEFAULT '',
    device_local_time timestamp,
    storage_key       text NOT NULL,
    content_type      text NOT NULL,
    bytes             int NOT NULL,
    sha256            bytea NOT NULL,
    punch_id          uuid,
    created_at        timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX device_photos_key ON device_photos (tenant_id, device_id, dedupe_key);
CREATE INDEX device_photos_unlinked ON device_photos (tenant_id, device_id) WHERE punch_id IS NULL;

-- The raw request log per device: what firmware sent and what we answered
-- (first 4 KB of each), for onboarding firmware nobody has seen yet.
CREATE TABLE device_requests (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    device_id    uuid NOT NULL,
    at           timestamptz NOT NULL,
    method       text NOT NULL,
    path         text NOT NULL,
    query        text NOT NULL,
    body         bytea NOT NULL,
    body_bytes   int NOT NULL,
    status       int NOT NULL,
    response     text NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX device_requests_device ON device_requests (tenant_id, device_id, at DESC, id DESC);
CREATE INDEX device_requests_at ON device_requests (at);

-- Serials that contacted the server without being registered. They belong
-- to no tenant yet (an admin claims one by approving it), so unlike every
-- other table these are keyed by serial; what they sent is kept to be
-- ingested on approval.
CREATE TABLE pending_devices (
    serial         text PRIMARY KEY,
    protocol       text NOT NULL,
    first_seen_at  timestamptz NOT NULL,
    last_seen_at   timestamptz NOT NULL,
    ip             text NOT NULL DEFAULT '',
    requests       bigint NOT NULL DEFAULT 0,
    records        bigint NOT NULL DEFAULT 0,
    stored_bytes   bigint NOT NULL DEFAULT 0,
    info           jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX pending_devices_seen ON pending_devices (last_seen_at DESC, serial);
CREATE TABLE pending_device_requests (
    serial       text NOT NULL REFERENCES pending_devices (serial) ON DELETE CASCADE,
    id           uuid NOT NULL,
    at           timestamptz NOT NULL,
    method       text NOT NULL,
    path         text NOT NULL,
    query        text NOT NULL,
    body         bytea NOT NULL,
    body_sha256  bytea NOT NULL,
    PRIMARY KEY (serial, id)
);
-- A device answered ERROR re-sends the same batch every ErrorDelay seconds.
CREATE UNIQUE INDEX pending_device_requests_body ON pending_device_requests (serial, path, body_sha256);
CREATE INDEX pending_device_requests_at ON pending_device_requests (serial, at, id);

-- Terminal punches: what the device said beside what was derived.
-- occurred_at is the corrected instant, client_time the device clock's
-- instant, device_local_time + device_zone the wall time as sent.
ALTER TABLE punches
    ADD COLUMN device_id         uuid,
    ADD COLUMN device_seq        bigint,
    ADD COLUMN device_local_time timestamp,
    ADD COLUMN device_zone       text,
    ADD COLUMN dedupe_key        text,
    ADD COLUMN raw               text,
    ADD COLUMN verify_method     text,
    ADD COLUMN status_code       int;
CREATE UNIQUE INDEX punches_device_dedupe ON punches (tenant_id, device_id, dedupe_key) WHERE device_id IS NOT NULL;

-- +goose Down
DROP INDEX punches_device_dedupe;
ALTER TABLE punches DROP COLUMN device_id, DROP COLUMN device_seq, DROP COLUMN device_local_time,
    DROP COLUMN device_zone, DROP COLUMN dedupe_key, DROP COLUMN raw, DROP COLUMN verify_method,
    DROP COLUMN status_code;
DROP TABLE pending_device_requests, pending_devices, device_requests, device_photos, device_events,
    device_quarantine, terminal_roster_changes, biometric_templates, employee_cards, employee_device_sites,
    employee_devices, device_pins, device_users, device_commands, device_nonces, device_activation_codes, devices;
