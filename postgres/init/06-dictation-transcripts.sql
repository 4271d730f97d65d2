-- Dictation transcripts, kept only when the receiver is configured to (STORE_TRANSCRIPTS=true). The text is PHI:
-- it is stored as a Fernet token under the master key, never in the clear. One row per finished session.
CREATE TABLE IF NOT EXISTS dictation_transcripts (
    session_id      UUID PRIMARY KEY,
    doctor_id       VARCHAR(128) NOT NULL REFERENCES doctors (doctor_id),
    started_at      TIMESTAMPTZ NOT NULL,
    ended_at        TIMESTAMPTZ NOT NULL,
    audio_seconds   NUMERIC(10, 3) NOT NULL CHECK (audio_seconds >= 0),
    segments        INTEGER NOT NULL CHECK (segments >= 0),
    text_encrypted  TEXT NOT NULL,              -- Fernet token (master key) over the JSON list of final segments
    stored_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS dictation_transcripts_doctor ON dictation_transcripts (doctor_id, started_at);
GRANT SELECT, INSERT ON dictation_transcripts TO intelluxe_app;
