-- 002: least privilege.  Two group roles: deskmail_deliver can do what
-- delivery (and outbox flush) needs and nothing more: no DELETE, no
-- TRUNCATE, no DDL; deskmail_admin is for the admin commands.  A site
-- gives each MX host a login role in deskmail_deliver:
--     CREATE ROLE mx1 LOGIN PASSWORD '...' IN ROLE deskmail_deliver;
-- Creating roles needs CREATEROLE; a migrator without it gets a notice and
-- the grants are skipped (run `deskmail db init` as an administrator).
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['deskmail_deliver', 'deskmail_admin'] LOOP
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION WHEN insufficient_privilege THEN
                RAISE NOTICE 'cannot create role %: grants skipped', r;
            END;
        END IF;
    END LOOP;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'deskmail_deliver') THEN
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO deskmail_deliver', current_database());
        GRANT USAGE ON SCHEMA public TO deskmail_deliver;
        GRANT SELECT ON schema_migrations, agents TO deskmail_deliver;
        GRANT SELECT, INSERT ON teams, messages, message_refs, raw_messages, attachments,
              events, ack_log, participants TO deskmail_deliver;
        GRANT SELECT, INSERT, UPDATE ON tickets, contacts TO deskmail_deliver;
        -- Queued mail can be marked sent or retried, never rewritten.
        GRANT SELECT, INSERT ON outbox TO deskmail_deliver;
        GRANT UPDATE (status, attempts, next_attempt_at, last_error, sent_at) ON outbox TO deskmail_deliver;
        GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO deskmail_deliver;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'deskmail_admin') THEN
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO deskmail_admin', current_database());
        GRANT USAGE ON SCHEMA public TO deskmail_admin;
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO deskmail_admin;
        GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO deskmail_admin;
    END IF;
END
$$;
