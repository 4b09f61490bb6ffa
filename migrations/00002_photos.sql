-- +goose Up
-- Photo evidence (docs/media.md). A row exists for every photo the server
-- accepted, and for every direct-to-storage upload it handed out a URL for.
-- The original bytes are not kept unless the tenant asks for it: they carry
-- GPS and device metadata, and sha256 already identifies exact re-uploads.

ALTER TABLE tenants
    ADD COLUMN keep_photo_originals boolean NOT NULL DEFAULT false,
    -- Fixes expires_at when a photo is accepted; the retention job deletes
    -- the objects of photos whose expires_at has passed.
    ADD COLUMN photo_retention_days int NOT NULL DEFAULT 400 CHECK (photo_retention_days BETWEEN 1 AND 3650);

CREATE TABLE photos (
    tenant_id            uuid NOT NULL,
    id                   uuid NOT NULL,
    employee_id          uuid NOT NULL,
    -- uploading: a direct upload URL was handed out and not completed yet;
    -- ready: processed and stored; failed: the upload was refused (failure_code).
    status               text NOT NULL CHECK (status IN ('uploading', 'ready', 'failed')),
    failure_code         text,
    -- Direct uploads: where the client PUTs the raw bytes, what it declared,
    -- and until when the URL works. The raw object is deleted once processed.
    upload_key           text,
    upload_content_type  text,
    upload_size          bigint,
    upload_expires_at    timestamptz,
    -- Storage keys of the metadata-free JPEG derivatives (and of the original,
    -- only under keep_photo_originals).
    normalized_key       text,
    thumb_key            text,
    original_key         text,
    format               text CHECK (format IN ('jpeg', 'png', 'webp')),
    width                int,
    height               int,
    bytes                bigint,
    sha256               bytea CHECK (length(sha256) = 32),
    -- 64-bit perceptual hashes (media.Processed.PHashRotations, bit-for-bit as
    -- int64) of the upright image and of it turned by 90, 180 and 270 degrees.
    phash                bigint,
    phash_r90            bigint,
    phash_r180           bigint,
    phash_r270           bigint,
    -- EXIF claims, read before the derivatives strip them. capture_time is an
    -- instant only when capture_offset_known; otherwise it is the camera's
    -- wall clock stored as if it were UTC (media.EXIF).
    capture_time         timestamptz,
    capture_offset_known boolean NOT NULL DEFAULT false,
    gps_lat              double precision,
    gps_lng              double precision,
    gps_alt_m            double precision,
    exif_make            text NOT NULL DEFAULT '',
    exif_model           text NOT NULL DEFAULT '',
    exif_software        text NOT NULL DEFAULT '',
    -- The earlier photo of the same tenant this one repeats, if any: the same
    -- bytes (reuse_exact) or a perceptual-hash distance <= the threshold.
    reused_of            uuid,
    reuse_distance       int,
    reuse_exact          boolean,
    reuse_same_employee  boolean,
    created_at           timestamptz NOT NULL,
    completed_at         timestamptz,
    expires_at           timestamptz NOT NULL,
    -- Set by the retention job once the objects are gone; the row stays so
    -- punches keep pointing at something.
    deleted_at           timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, employee_id) REFERENCES employees (tenant_id, id),
    CHECK (status <> 'ready' OR (normalized_key IS NOT NULL AND thumb_key IS NOT NULL AND sha256 IS NOT NULL AND phash IS NOT NULL))
);

-- Near-duplicate scan: the tenant's live photos of the last N days, with
-- everything the scan reads in the index (an index-only scan). The Hamming
-- distance itself cannot be indexed by a btree: the scan computes it for
-- every photo in the window; see docs/media.md for where this stops scaling.
CREATE INDEX photos_recent ON photos (tenant_id, created_at DESC)
    INCLUDE (id, employee_id, phash, phash_r90, phash_r180, phash_r270)
    WHERE status = 'ready' AND deleted_at IS NULL;
-- Exact re-uploads.
CREATE INDEX photos_sha256 ON photos (tenant_id, sha256) WHERE status = 'ready' AND deleted_at IS NULL;
CREATE INDEX photos_employee ON photos (tenant_id, employee_id, created_at DESC);
-- The retention job's two scans.
CREATE INDEX photos_expiry ON photos (expires_at) WHERE deleted_at IS NULL;
CREATE INDEX photos_uploading ON photos (upload_expires_at) WHERE status = 'uploading';

-- +goose Down
DROP TABLE photos;
ALTER TABLE tenants DROP COLUMN keep_photo_originals, DROP COLUMN photo_retention_days;
