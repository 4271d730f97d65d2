-- Intelluxe business schema (the seed's tables, with its defects fixed).
--
-- Fixes against the seed: hypertables need their time column in every unique key, so security_alerts and
-- user_writing_samples key on (id, created_at) with created_at NOT NULL; TimescaleDB is used only where the
-- extension can be created; one active adapter per user is enforced by a partial unique index; statements are
-- idempotent so the postgres container's initdb and `intelluxe migrate` can both run this file.

CREATE TABLE IF NOT EXISTS claims (
    claim_id                VARCHAR(255) PRIMARY KEY,
    patient_id              VARCHAR(255) NOT NULL,
    provider_id             VARCHAR(255) NOT NULL,
    member_id               VARCHAR(255) NOT NULL,
    service_date            TIMESTAMP WITH TIME ZONE NOT NULL,
    claim_data              JSONB NOT NULL,
    claim_total             DECIMAL(10,2) NOT NULL,
    patient_responsibility  DECIMAL(10,2) NOT NULL,
    status                  VARCHAR(50) NOT NULL DEFAULT 'submitted',
    created_date            TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    updated_date            TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS security_alerts (
    alert_id     UUID NOT NULL DEFAULT gen_random_uuid(),
    alert_type   VARCHAR(100) NOT NULL,
    user_id      VARCHAR(255) NOT NULL,
    details      JSONB NOT NULL,
    status       VARCHAR(50) NOT NULL DEFAULT 'open',
    created_at   TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    resolved_at  TIMESTAMP WITH TIME ZONE,
    PRIMARY KEY (alert_id, created_at)
);

CREATE TABLE IF NOT EXISTS insurance_eligibility (
    member_id         VARCHAR(255),
    provider_id       VARCHAR(255),
    eligibility_data  JSONB NOT NULL,
    effective_date    TIMESTAMP WITH TIME ZONE NOT NULL,
    expiry_date       TIMESTAMP WITH TIME ZONE NOT NULL,
    created_at        TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    PRIMARY KEY (member_id, provider_id)
);

CREATE TABLE IF NOT EXISTS user_writing_samples (
    sample_id     UUID NOT NULL DEFAULT gen_random_uuid(),
    user_id       VARCHAR(255) NOT NULL,
    content       TEXT NOT NULL,
    content_type  VARCHAR(100) NOT NULL,
    metadata      JSONB,
    created_at    TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    PRIMARY KEY (sample_id, created_at)
);

CREATE TABLE IF NOT EXISTS user_preferences (
    user_id          VARCHAR(255),
    preference_type  VARCHAR(100),
    preference_data  JSONB NOT NULL,
    created_at       TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    updated_at       TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    PRIMARY KEY (user_id, preference_type)
);

CREATE TABLE IF NOT EXISTS model_adapters (
    adapter_id           VARCHAR(255) PRIMARY KEY,
    user_id              VARCHAR(255) NOT NULL,
    base_model_id        VARCHAR(255) NOT NULL,
    adapter_type         VARCHAR(100) NOT NULL,
    model_path           TEXT,
    performance_metrics  JSONB,
    created_at           TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    is_active            BOOLEAN NOT NULL DEFAULT false
);

-- Time-series tables become hypertables only where TimescaleDB can be loaded (it needs
-- shared_preload_libraries, so being listed in pg_available_extensions is not enough).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') THEN
        BEGIN
            CREATE EXTENSION IF NOT EXISTS timescaledb;
            PERFORM create_hypertable('security_alerts', 'created_at', if_not_exists => TRUE, migrate_data => TRUE);
            PERFORM create_hypertable('user_writing_samples', 'created_at', if_not_exists => TRUE,
                                      migrate_data => TRUE);
        EXCEPTION WHEN OTHERS THEN
            RAISE NOTICE 'TimescaleDB unavailable (%); security_alerts and user_writing_samples stay plain tables',
                SQLERRM;
        END;
    END IF;
END;
$$;

CREATE INDEX IF NOT EXISTS idx_claims_patient_id ON claims(patient_id);
CREATE INDEX IF NOT EXISTS idx_claims_status ON claims(status);
CREATE INDEX IF NOT EXISTS idx_claims_service_date ON claims(service_date);
CREATE INDEX IF NOT EXISTS idx_security_alerts_user_id ON security_alerts(user_id);
CREATE INDEX IF NOT EXISTS idx_insurance_eligibility_expiry ON insurance_eligibility(expiry_date);
CREATE INDEX IF NOT EXISTS idx_user_writing_samples_user_id ON user_writing_samples(user_id);
CREATE INDEX IF NOT EXISTS idx_user_preferences_user_id ON user_preferences(user_id);
CREATE INDEX IF NOT EXISTS idx_model_adapters_user_id ON model_adapters(user_id);
-- One active adapter per user.
CREATE UNIQUE INDEX IF NOT EXISTS uq_model_adapters_one_active ON model_adapters(user_id) WHERE is_active;

GRANT SELECT, INSERT, UPDATE, DELETE
    ON claims, security_alerts, insurance_eligibility, user_writing_samples, user_preferences, model_adapters
    TO intelluxe_app;
