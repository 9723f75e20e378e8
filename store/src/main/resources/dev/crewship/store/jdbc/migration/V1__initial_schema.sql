-- One schema for every database. Conventions that keep the SQL shared between SQLite and PostgreSQL:
--   * timestamps are epoch milliseconds (BIGINT), JSON documents are TEXT;
--   * ${key_text} is text compared byte by byte (SQLite: TEXT; PostgreSQL: TEXT COLLATE "C"), used for
--     ids and names we sort by: ids are time-ordered base62, so ORDER BY id DESC is newest first
--     only under a binary collation;
--   * ${bytes} is a binary column (SQLite: BLOB; PostgreSQL: BYTEA).
-- Deleting a project cascades to everything it owns.

CREATE TABLE projects (
    id                    ${key_text} NOT NULL PRIMARY KEY,
    name                  ${key_text} NOT NULL UNIQUE,
    -- No foreign key: projects and deployments would reference each other, which makes the cascade on
    -- project delete circular. ProjectStore.setCurrentDeployment only points it at a ready deployment
    -- of the same project.
    current_deployment_id ${key_text},
    created_at            BIGINT NOT NULL
);

CREATE TABLE deployments (
    id               ${key_text} NOT NULL PRIMARY KEY,
    project_id       ${key_text} NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    status           TEXT NOT NULL CHECK (status IN ('building', 'ready', 'failed')),
    config           TEXT NOT NULL,
    source_sha256    TEXT NOT NULL,
    environment_key  TEXT,
    error            TEXT,
    created_at       BIGINT NOT NULL,
    ready_at         BIGINT,
    failed_at        BIGINT,
    -- Characters (UTF-16 units) in the build log so far: the start offset of the next chunk.
    build_log_length BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX deployments_by_project ON deployments (project_id, id);
CREATE INDEX deployments_by_status ON deployments (status, id);

-- The build log as appended chunks, so appending never rewrites what is there and a reader can
-- fetch only what follows a character offset.
CREATE TABLE deployment_build_log (
    deployment_id ${key_text} NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    start_offset  BIGINT NOT NULL,
    end_offset    BIGINT NOT NULL,
    text          TEXT NOT NULL,
    PRIMARY KEY (deployment_id, start_offset)
);

CREATE TABLE runs (
    id              ${key_text} NOT NULL PRIMARY KEY,
    project_id      ${key_text} NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    deployment_id   ${key_text} NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    -- Null for a stateless run.
    thread_id       ${key_text},
    status          TEXT NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'canceled')),
    input           TEXT,
    output          TEXT,
    error           TEXT,
    idempotency_key TEXT,
    -- The server node executing the run, set when it is claimed; crash recovery looks for its own.
    owner           TEXT,
    created_at      BIGINT NOT NULL,
    started_at      BIGINT,
    finished_at     BIGINT,
    -- Sequence number of the run's last event. Bumped in the same statement that checks the run is
    -- not terminal, so concurrent appends serialize on this row and seq has no gaps.
    last_event_seq  BIGINT NOT NULL DEFAULT 0,
    UNIQUE (project_id, idempotency_key)
);
CREATE INDEX runs_by_project ON runs (project_id, id);
-- Also covers usage (counts and run time per status) without reading the run rows.
CREATE INDEX runs_by_project_status ON runs (project_id, status, id, started_at, finished_at);
CREATE INDEX runs_by_deployment ON runs (deployment_id, id);
CREATE INDEX runs_by_thread ON runs (thread_id, id);
-- Listing by status alone (an admin looking at every project's failed runs), newest first.
CREATE INDEX runs_by_status ON runs (status, id);
-- Dispatch (oldest pending first) and crash recovery (unfinished runs, oldest first).
CREATE INDEX runs_by_status_created ON runs (status, created_at, id);

CREATE TABLE run_events (
    run_id     ${key_text} NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    type       TEXT NOT NULL,
    data       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (run_id, seq)
);

CREATE TABLE artifacts (
    run_id       ${key_text} NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    name         ${key_text} NOT NULL,
    size         BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (run_id, name)
);

CREATE TABLE api_keys (
    id          ${key_text} NOT NULL PRIMARY KEY,
    -- Null for an admin key.
    project_id  ${key_text} REFERENCES projects (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    prefix      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX api_keys_by_project ON api_keys (project_id, id);

CREATE TABLE env_vars (
    project_id ${key_text} NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name       ${key_text} NOT NULL,
    -- Encrypted by the caller (AES-256-GCM); the store never sees a plain value.
    value      ${bytes} NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, name)
);
