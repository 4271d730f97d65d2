-- One stored payer answer per person asked about. A subscriber's member id answers for the subscriber and — asked
-- with a name and birth date — for each dependent without an id of their own (005010X279A1 loop 2000D), so the
-- member id alone no longer says whose coverage a row is. patient_key tells them apart: '' when the inquiry named
-- no one (the member id's holder), else a hash of the name and birth date asked (core: never the name itself).
ALTER TABLE insurance_eligibility ADD COLUMN IF NOT EXISTS patient_key VARCHAR(64) NOT NULL DEFAULT '';
ALTER TABLE insurance_eligibility DROP CONSTRAINT IF EXISTS insurance_eligibility_pkey;
ALTER TABLE insurance_eligibility ADD PRIMARY KEY (payer_id, member_id, provider_id, patient_key);
