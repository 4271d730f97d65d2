-- The role the services log in as (least privilege): a member of intelluxe_app, so it has exactly that role's
-- grants (INSERT and SELECT on the audit log, its tables' rows), and is never a superuser, owner or role creator:
-- a compromised service can neither change the audit log nor re-chain it, nor switch its triggers off.
-- No password: on a trust- or peer-authenticated cluster (the embedded default, which `intelluxe up` points the
-- services at as this role) that is how local roles log in. With password authentication, set one
-- (ALTER ROLE intelluxe_service PASSWORD '...') and put the role and password in the services' POSTGRES_URL.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'intelluxe_service') THEN
        CREATE ROLE intelluxe_service LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
            IN ROLE intelluxe_app;
    END IF;
END;
$$;
