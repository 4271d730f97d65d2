-- Eligibility answers, payer exchanges, fee schedules, claims' money and idempotency, remittances.
--
-- Additive to the seed's business schema: its tables and columns keep their names; new columns sit beside them.

-- insurance_eligibility caches one coverage per payer + member + provider. effective_date is when the payer
-- answered (the copy's age for the stale fallback), expiry_date when the copy is too old to serve even as stale.
ALTER TABLE insurance_eligibility ADD COLUMN IF NOT EXISTS payer_id VARCHAR(64) NOT NULL DEFAULT '';
DO $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
        WHERE c.conrelid = 'insurance_eligibility'::regclass AND c.contype = 'p'
        GROUP BY c.oid HAVING count(*) = 2
    ) THEN
        ALTER TABLE insurance_eligibility DROP CONSTRAINT insurance_eligibility_pkey;
        ALTER TABLE insurance_eligibility ADD PRIMARY KEY (payer_id, member_id, provider_id);
    END IF;
END;
$$;

-- The raw 270/271 of each payer exchange, for troubleshooting a payer's answer without logging PHI: the log line
-- names only exchange_id. Rows hold PHI, so they live here, behind the database's access control, and are purged.
CREATE TABLE IF NOT EXISTS payer_exchanges (
    exchange_id   UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    payer_id      VARCHAR(64) NOT NULL,
    kind          VARCHAR(16) NOT NULL,            -- 270/271, 837, 835
    trace_number  VARCHAR(64),
    request_x12   TEXT NOT NULL,
    response_x12  TEXT,
    http_status   INTEGER,
    outcome       VARCHAR(32) NOT NULL,            -- ok, unreachable, timeout, http_error, unreadable
    duration_ms   INTEGER NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_payer_exchanges_created ON payer_exchanges (created_at);

-- Contracted (allowed) amounts per payer and procedure; the newest row in effect on the service date wins.
CREATE TABLE IF NOT EXISTS fee_schedule (
    payer_id        VARCHAR(64) NOT NULL,
    procedure_code  VARCHAR(5) NOT NULL,
    modifier        VARCHAR(2) NOT NULL DEFAULT '',
    allowed_amount  DECIMAL(10,2) NOT NULL CHECK (allowed_amount >= 0),
    effective_from  DATE NOT NULL DEFAULT DATE '2000-01-01',
    PRIMARY KEY (payer_id, procedure_code, modifier, effective_from)
);

ALTER TABLE claims ADD COLUMN IF NOT EXISTS payer_id VARCHAR(64);
ALTER TABLE claims ADD COLUMN IF NOT EXISTS insurance_responsibility DECIMAL(10,2);
ALTER TABLE claims ADD COLUMN IF NOT EXISTS paid_amount DECIMAL(10,2);
ALTER TABLE claims ADD COLUMN IF NOT EXISTS patient_amount DECIMAL(10,2);
ALTER TABLE claims ADD COLUMN IF NOT EXISTS created_by VARCHAR(128);
CREATE INDEX IF NOT EXISTS idx_claims_member_id ON claims (member_id);

-- One claim per idempotency key and caller; the request's hash tells a retry (same body) from a conflict.
CREATE TABLE IF NOT EXISTS claim_idempotency (
    principal     VARCHAR(128) NOT NULL,
    idem_key      VARCHAR(255) NOT NULL,
    request_hash  CHAR(64) NOT NULL,
    claim_id      VARCHAR(255) NOT NULL REFERENCES claims (claim_id),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (principal, idem_key)
);

-- Posted 835s and what each claim payment did.
CREATE TABLE IF NOT EXISTS remittances (
    remittance_id  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    payer_name     VARCHAR(255),
    check_number   VARCHAR(64),
    payment_date   DATE,
    total_paid     DECIMAL(12,2),
    raw_835        TEXT NOT NULL,
    unmatched      JSONB NOT NULL DEFAULT '[]'::jsonb,   -- claim payments naming claims we do not have
    posted_by      VARCHAR(128),
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- The same payment (payer + check/EFT trace number) is posted once.
CREATE UNIQUE INDEX IF NOT EXISTS uq_remittances_check ON remittances (payer_name, check_number);

CREATE TABLE IF NOT EXISTS claim_payments (
    payment_id              UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    remittance_id           UUID NOT NULL REFERENCES remittances (remittance_id),
    claim_id                VARCHAR(255) NOT NULL REFERENCES claims (claim_id),
    status_code             VARCHAR(4) NOT NULL,
    billed                  DECIMAL(10,2) NOT NULL,
    paid                    DECIMAL(10,2) NOT NULL,
    patient_responsibility  DECIMAL(10,2) NOT NULL,
    deductible              DECIMAL(10,2) NOT NULL DEFAULT 0,
    coinsurance             DECIMAL(10,2) NOT NULL DEFAULT 0,
    copay                   DECIMAL(10,2) NOT NULL DEFAULT 0,
    payer_claim_number      VARCHAR(64),
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_claim_payments_claim ON claim_payments (claim_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON payer_exchanges, fee_schedule, claim_idempotency, remittances, claim_payments
    TO intelluxe_app;
