-- The web console (services/user/console): its user accounts, its server-side sessions and its sign-in throttle.
-- Accounts are made by ops with `intelluxe console-user add` (the administrator's URL); the console only reads them.
-- A session row is found by the SHA-256 of the random id in the browser's cookie, so a reader of this table cannot
-- present a session; the suite token a session calls the services with is encrypted under a key derived from that
-- same id (services/user/console/app/sessions.py), so it cannot be read back from here either.

CREATE TABLE IF NOT EXISTS console_users (
    name           TEXT PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_.-]{0,62}$'),
    role           TEXT NOT NULL CHECK (role IN ('admin', 'billing', 'compliance')),
    password_hash  TEXT NOT NULL,                  -- scrypt$N$r$p$salt$hash (core/console_users.py)
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    password_set_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    disabled_at    TIMESTAMPTZ
);

CREATE TABLE IF NOT EXISTS console_sessions (
    session_hash   TEXT PRIMARY KEY CHECK (session_hash ~ '^[0-9a-f]{64}$'),
    kind           TEXT NOT NULL CHECK (kind IN ('account', 'token')),
    principal      TEXT NOT NULL,                  -- the name the services audit (the token's name)
    role           TEXT NOT NULL CHECK (role IN ('admin', 'clinician', 'billing', 'compliance', 'service')),
    account        TEXT,                           -- kind 'account': the console user
    issued_token   TEXT,                           -- kind 'account': the name of the token issued for this session
    sealed_token   BYTEA NOT NULL,                 -- the suite token, Fernet-encrypted under a key from the cookie's id
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at     TIMESTAMPTZ NOT NULL            -- absolute end, whatever the activity
);
CREATE INDEX IF NOT EXISTS console_sessions_last_seen ON console_sessions (last_seen_at);

-- One row per failed sign-in (an account name or 'token', and the client address); counted over a window.
CREATE TABLE IF NOT EXISTS console_sign_in_failures (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    subject        TEXT NOT NULL,
    client_ip      TEXT
);
CREATE INDEX IF NOT EXISTS console_sign_in_failures_subject_at ON console_sign_in_failures (subject, at);
CREATE INDEX IF NOT EXISTS console_sign_in_failures_ip_at ON console_sign_in_failures (client_ip, at);

GRANT SELECT ON console_users TO intelluxe_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON console_sessions TO intelluxe_app;
GRANT SELECT, INSERT, DELETE ON console_sign_in_failures TO intelluxe_app;
