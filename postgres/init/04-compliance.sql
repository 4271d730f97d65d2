-- Compliance: ranked, de-duplicated security alerts and the audit-log lookups the rules and the review API use.
--
-- security_alerts keeps the seed's columns; one open alert per user and rule is kept by the compliance service
-- (it evaluates rules while holding the audit-log append lock), because on a TimescaleDB hypertable a unique
-- index would have to include created_at and so could not say "one open row".
ALTER TABLE security_alerts ADD COLUMN IF NOT EXISTS severity VARCHAR(16) NOT NULL DEFAULT 'medium';
ALTER TABLE security_alerts ADD COLUMN IF NOT EXISTS event_count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE security_alerts ADD COLUMN IF NOT EXISTS last_seen_at TIMESTAMPTZ NOT NULL DEFAULT now();
ALTER TABLE security_alerts ADD COLUMN IF NOT EXISTS resolved_by VARCHAR(128);
ALTER TABLE security_alerts ADD COLUMN IF NOT EXISTS resolution_note TEXT;
CREATE INDEX IF NOT EXISTS idx_security_alerts_open ON security_alerts (user_id, alert_type) WHERE status = 'open';
CREATE INDEX IF NOT EXISTS idx_security_alerts_status_seen ON security_alerts (status, last_seen_at);

-- Failed accesses per user in a window (the failed-burst rule) without touching successful rows.
CREATE INDEX IF NOT EXISTS idx_audit_log_user_failed ON audit_log (user_id, created_at) WHERE outcome <> 'success';
