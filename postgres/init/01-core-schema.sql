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

-- The chain's one definition of a row's hash: sha256 over the previous hash and every field, each quoted so that
-- NULL, '' and separators cannot be confused. Used by audit_append when writing and by core.audit.verify when
-- checking, so both sides always agree.
CREATE OR REPLACE FUNCTION audit_row_hash(prev_hash text, seq bigint, audit_id uuid, created_at timestamptz,
    service text, user_id text, actor_role text, action text, resource_type text, resource_id text, outcome text,
    http_status integer, client_ip text, request_id text, details jsonb) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT encode(sha256(convert_to(concat_ws(',', quote_nullable(prev_hash), seq::text, audit_id::text,
        to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        quote_nullable(service), quote_nullable(user_id), quote_nullable(actor_role), quote_nullable(action),
        quote_nullable(resource_type), quote_nullable(resource_id), quote_nullable(outcome),
        coalesce(http_status::text, 'NULL'), quote_nullable(client_ip), quote_nullable(request_id),
        quote_nullable(details::text)), 'UTF8')), 'hex')
$$;

-- Append one row at the head of the chain. The transaction-scoped advisory lock serialises appends (two writers
-- can never chain onto the same head) and is held until the caller's transaction ends, so a business write and
-- its audit row commit together. The key is core.audit's _APPEND_LOCK_KEY.
CREATE OR REPLACE FUNCTION audit_append(p_audit_id uuid, p_created_at timestamptz, p_service text, p_user_id text,
    p_actor_role text, p_action text, p_resource_type text, p_resource_id text, p_outcome text,
    p_http_status integer, p_client_ip text, p_request_id text, p_details jsonb)
RETURNS TABLE (seq bigint, row_hash text)
LANGUAGE plpgsql AS $$
DECLARE
    head_seq bigint;
    head_hash text;
    new_hash text;
BEGIN
    PERFORM pg_advisory_xact_lock(444469702);
    SELECT a.seq, a.row_hash INTO head_seq, head_hash FROM audit_log a ORDER BY a.seq DESC LIMIT 1;
    IF head_seq IS NULL THEN
        head_seq := 0;
        head_hash := repeat('0', 64);
    END IF;
    new_hash := audit_row_hash(head_hash, head_seq + 1, p_audit_id, p_created_at, p_service, p_user_id,
        p_actor_role, p_action, p_resource_type, p_resource_id, p_outcome, p_http_status, p_client_ip,
        p_request_id, p_details);
    INSERT INTO audit_log (seq, audit_id, created_at, service, user_id, actor_role, action, resource_type,
                           resource_id, outcome, http_status, client_ip, request_id, details, prev_hash, row_hash)
    VALUES (head_seq + 1, p_audit_id, p_created_at, p_service, p_user_id, p_actor_role, p_action, p_resource_type,
            p_resource_id, p_outcome, p_http_status, p_client_ip, p_request_id, p_details, head_hash, new_hash);
    RETURN QUERY SELECT head_seq + 1, new_hash;
END;
$$;

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
