-- Threads (docs/api.md, "Threads"): persistent values scoped to a deployment, one run at a time,
-- a checkpoint after each successful run. Same conventions as V1. The column holding a thread's
-- values is state_values: VALUES is an SQL keyword.

CREATE TABLE threads (
    id             ${key_text} NOT NULL PRIMARY KEY,
    project_id     ${key_text} NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    deployment_id  ${key_text} NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    status         TEXT NOT NULL CHECK (status IN ('idle', 'busy', 'error')),
    state_values   TEXT NOT NULL,
    -- A flat JSON object of strings; listing filters on it.
    metadata       TEXT NOT NULL,
    -- The run holding the thread (pending or running); null exactly when the thread is not busy.
    -- Claimed by a conditional UPDATE (... WHERE active_run_id IS NULL), so one run holds a thread
    -- whatever the number of server processes sharing the database. Released, or handed to the
    -- oldest queued run, in the transaction that finishes the active run. No foreign key: runs
    -- reference threads, not the other way round, and both die with their project.
    active_run_id  ${key_text},
    -- The newest checkpoint: the one the current values come from (null before the first).
    checkpoint_id  ${key_text},
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    CHECK ((status = 'busy') = (active_run_id IS NOT NULL))
);
CREATE INDEX threads_by_project ON threads (project_id, id);
CREATE INDEX threads_by_deployment ON threads (deployment_id, id);
CREATE INDEX threads_by_status ON threads (status, id);
-- The claim query asks "is this pending run its thread's active run?".
CREATE INDEX threads_by_active_run ON threads (active_run_id);

CREATE TABLE checkpoints (
    id            ${key_text} NOT NULL PRIMARY KEY,
    thread_id     ${key_text} NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    -- The run whose success wrote it; null for the first checkpoint of a forked thread.
    run_id        ${key_text},
    -- The checkpoint before it; for the first checkpoint of a fork, the one it was forked from
    -- (in another thread, which may since have been deleted: no foreign key).
    parent_id     ${key_text},
    state_values  TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX checkpoints_by_thread ON checkpoints (thread_id, id);
