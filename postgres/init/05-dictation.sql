-- Dictation: enrolled doctors, their Fernet keys (encrypted under the master key) and their vocabulary.
CREATE TABLE IF NOT EXISTS doctors (
    doctor_id       VARCHAR(128) PRIMARY KEY CHECK (doctor_id ~ '^[a-z0-9][a-z0-9_.-]{0,127}$'),
    token_name      VARCHAR(128) NOT NULL,      -- api_tokens.name of the doctor's dictation token
    keys_encrypted  TEXT NOT NULL,              -- Fernet token (master key) over the JSON list of the doctor's keys
    vocabulary      TEXT NOT NULL DEFAULT '',   -- drug names and terms for the transcriber's initial prompt
    enrolled_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    rotated_at      TIMESTAMPTZ,
    revoked_at      TIMESTAMPTZ
);
GRANT SELECT, INSERT, UPDATE ON doctors TO intelluxe_app;
