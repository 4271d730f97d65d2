-- Intelluxe core schema: API tokens and the append-only, hash-chained audit log.
--
-- Applied once by `core.db.migrate` (recorded in schema_migrations) and, unchanged, by the postgres container's
-- initdb. Every statement is idempotent so a database initialised by the container can still be migrated.

-- API tokens: only the SHA-256 of a token is stored; the token itself is shown once when issued.
CREATE TABLE IF NOT EXISTS api_tokens (
    token_id     UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    key_id       TEXT NOT NULL UNIQUE,           -- public lookup part of the token (ilx_<key_id>_<secret>)
    name         TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('admin', 'clinician', 'billing', 'compliance', 'service')),
    token_hash   TEXT NOT NULL,                  -- hex sha256 of the whole token
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ,
    CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$')
);
-- A name identifies one live token; a revoked name may be issued again.
CREATE UNIQUE INDEX IF NOT EXISTS uq_api_tokens_live_name ON api_tokens (name) WHERE revoked_at IS NULL;

-- Audit log (45 CFR 164.312(b)). Rows are chained: row_hash = sha256(prev_hash || canonical row), computed by
-- core.audit under an advisory lock so the chain never forks. No PHI in free-text fields by design: ids, actions,
-- outcomes and sizes only. The seed's columns (user_id, action, resource_type, details, created_at) keep their names.
CREATE TABLE IF NOT EXISTS audit_log (
    seq            BIGINT PRIMARY KEY,             -- position in the chain, 1, 2, 3, ...
    audit_id       UUID NOT NULL UNIQUE,
    created_at     TIMESTAMPTZ NOT NULL,
    service        TEXT NOT NULL,
    user_id        TEXT NOT NULL,                  -- the actor: token name, or 'anonymous'
    actor_role     TEXT,
    action         TEXT NOT NULL,
    resource_type  TEXT NOT NULL,
    resource_id    TEXT,
    outcome        TEXT NOT NULL CHECK (outcome IN ('success', 'denied', 'failure', 'error')),
    http_status    INTEGER,
    client_ip      TEXT,
    request_id     TEXT,
    details        JSONB NOT NULL DEFAULT '{}'::jsonb,
    prev_hash      TEXT NOT NULL,
    row_hash       TEXT NOT NULL UNIQUE
);
CREATE INDEX IF NOT EXISTS idx_audit_log_user_time ON audit_log (user_id, created_at);
CREATE INDEX IF NOT EXISTS idx_audit_log_resource ON audit_log (resource_type, resource_id);
CREATE INDEX IF NOT EXISTS idx_audit_log_created_at ON audit_log (created_at);

CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

-- Row triggers do not fire on TRUNCATE, hence the statement trigger beside them.
CREATE OR REPLACE TRIGGER audit_log_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE OR REPLACE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- The role services should log in as in production: it may add and read audit rows, never change them.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'intelluxe_app') THEN
        CREATE ROLE intelluxe_app NOLOGIN;
    END IF;
END;
$$;
REVOKE ALL ON audit_log FROM intelluxe_app;
GRANT SELECT, INSERT ON audit_log TO intelluxe_app;
GRANT SELECT, INSERT, UPDATE ON api_tokens TO intelluxe_app;
