-- +goose Up
-- Notifications: the in-app inbox, push tokens and per-token delivery records,
-- webhook endpoints, events and their delivery attempts. Push and webhook
-- jobs themselves live in River's tables (river_job), inserted in the same
-- transaction as the change they report.

-- One row per recipient and event. The dedupe key makes NotifyTx idempotent:
-- the same event for the same recipient is one inbox item and one push.
CREATE TABLE notifications (
    tenant_id     uuid NOT NULL,
    id            uuid NOT NULL,
    recipient_id  uuid NOT NULL,
    type          text NOT NULL CHECK (length(type) BETWEEN 1 AND 100),
    template      text NOT NULL,
    params        jsonb NOT NULL DEFAULT '{}',
    locale        text NOT NULL,
    title         text NOT NULL,
    body          text NOT NULL,
    data          jsonb NOT NULL DEFAULT '{}',
    dedupe_key    text NOT NULL CHECK (length(dedupe_key) BETWEEN 1 AND 200),
    created_at    timestamptz NOT NULL,
    read_at       timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, recipient_id) REFERENCES employees (tenant_id, id)
);
CREATE UNIQUE INDEX notifications_dedupe ON notifications (tenant_id, recipient_id, dedupe_key);
CREATE INDEX notifications_inbox ON notifications (tenant_id, recipient_id, created_at DESC, id DESC);
-- The unread count and the ?unread=true list read only this small index.
CREATE INDEX notifications_unread ON notifications (tenant_id, recipient_id, created_at DESC, id DESC) WHERE read_at IS NULL;

-- One row per app installation. A token is unique per tenant and provider;
-- registering it in another tenant deletes it here first (see RegisterToken),
-- so a device only ever receives the pushes of the user logged in on it.
CREATE TABLE push_tokens (
    tenant_id     uuid NOT NULL,
    id            uuid NOT NULL,
    employee_id   uuid NOT NULL,
    provider      text NOT NULL,
    token         text NOT NULL CHECK (length(token) BETWEEN 1 AND 4096),
    platform      text NOT NULL,
    app_version   text,
    locale        text,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, employee_id) REFERENCES employees (tenant_id, id)
);
CREATE UNIQUE INDEX push_tokens_token ON push_tokens (tenant_id, provider, token);
CREATE INDEX push_tokens_employee ON push_tokens (tenant_id, employee_id, updated_at DESC);
CREATE INDEX push_tokens_any_tenant ON push_tokens (token);

-- The settled outcome of one (notification, token): written the moment the
-- provider answers, and checked before sending, so a push job that runs
-- again after a crash does not send a second time.
CREATE TABLE push_deliveries (
    tenant_id        uuid NOT NULL,
    notification_id  uuid NOT NULL,
    token_id         uuid NOT NULL,
    provider         text NOT NULL,
    status           text NOT NULL CHECK (status IN ('delivered', 'token_invalid', 'rejected', 'failed')),
    message_id       text NOT NULL DEFAULT '',
    reason           text NOT NULL DEFAULT '',
    at               timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, notification_id, token_id)
);

-- Endpoints are soft-deleted so their delivery log stays explainable. The
-- secret signs deliveries (HMAC), so it is stored as issued, not hashed.
CREATE TABLE webhook_endpoints (
    tenant_id     uuid NOT NULL REFERENCES tenants(id),
    id            uuid NOT NULL,
    url           text NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
    event_types   text[] NOT NULL CHECK (cardinality(event_types) > 0),
    description   text NOT NULL DEFAULT '',
    secret        text NOT NULL,
    created_by    uuid,
    created_at    timestamptz NOT NULL,
    deleted_at    timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX webhook_endpoints_live ON webhook_endpoints (tenant_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;

-- The body is stored as the exact bytes signed, so every retry sends (and
-- signs) the same payload.
CREATE TABLE webhook_events (
    tenant_id     uuid NOT NULL,
    id            uuid NOT NULL,
    type          text NOT NULL,
    occurred_at   timestamptz NOT NULL,
    body          text NOT NULL,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE webhook_attempts (
    tenant_id      uuid NOT NULL,
    id             uuid NOT NULL,
    endpoint_id    uuid NOT NULL,
    event_id       uuid NOT NULL,
    event_type     text NOT NULL,
    attempt        int NOT NULL,
    at             timestamptz NOT NULL,
    status_code    int,
    response_body  text NOT NULL DEFAULT '',
    error          text NOT NULL DEFAULT '',
    duration_ms    int NOT NULL,
    succeeded      boolean NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints (tenant_id, id)
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (tenant_id, endpoint_id, at DESC, id DESC);

-- +goose Down
DROP TABLE webhook_attempts, webhook_events, webhook_endpoints, push_deliveries, push_tokens, notifications;
