-- Per-plugin performance (issue 16): how long each transcriber, processor and agent takes, how sure it was, how
-- often its finals were sent for review, and, where a doctor corrected a final, how many words it got wrong.
-- Written in batches by core.orchestration.performance.PerformanceTracker; read by `intelluxe router report`.
-- Numbers and plugin names only: no text, no doctor, no session, nothing that could lead back to a patient.
-- The ids are identity columns rather than serial ones: inserting then needs INSERT on the table alone (no USAGE
-- on a sequence), so the services' role gets exactly INSERT and SELECT.

-- One decode (or process, or execute) by one plugin.
CREATE TABLE IF NOT EXISTS plugin_calls (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    plugin      TEXT NOT NULL CHECK (plugin ~ '^[a-z][a-z0-9_]{0,63}$'),   -- a plugin's name, as core.plugins checks it
    kind        TEXT NOT NULL CHECK (kind IN ('transcriber', 'processor', 'agent')),
    latency_ms  DOUBLE PRECISION NOT NULL CHECK (latency_ms >= 0),
    confidence  REAL CHECK (confidence >= 0 AND confidence <= 1),       -- NULL: the plugin gives none
    review      BOOLEAN NOT NULL DEFAULT false,     -- confidence under reasoning.confidence_threshold: sent for review
    voters      SMALLINT NOT NULL DEFAULT 1 CHECK (voters >= 1)          -- transcribers that decoded the final; 1: alone
);
CREATE INDEX IF NOT EXISTS plugin_calls_plugin_at ON plugin_calls (plugin, at);

-- One corrected final: its reference's word count and the plugin's word-level edit distance to it (WER's parts).
CREATE TABLE IF NOT EXISTS plugin_accuracy (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    plugin      TEXT NOT NULL CHECK (plugin ~ '^[a-z][a-z0-9_]{0,63}$'),
    kind        TEXT NOT NULL CHECK (kind IN ('transcriber', 'processor', 'agent')),
    words       INTEGER NOT NULL CHECK (words > 0),
    errors      INTEGER NOT NULL CHECK (errors >= 0)
);
CREATE INDEX IF NOT EXISTS plugin_accuracy_plugin_at ON plugin_accuracy (plugin, at);

GRANT SELECT, INSERT ON plugin_calls, plugin_accuracy TO intelluxe_app;
