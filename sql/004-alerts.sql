-- 004: the desk's clock.  One row per ticket, kind and due time: each
-- reminder and overdue mail goes out once per promise, however many hosts
-- run `deskmail tick` or the service, and a new due time (a ticket
-- reopened or re-prioritised) starts a new round.
CREATE TABLE ticket_alerts (
    ticket_id  bigint NOT NULL REFERENCES tickets(id),
    kind       text NOT NULL CHECK (kind IN ('reminder', 'overdue')),
    due_at     timestamptz NOT NULL,
    sent_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ticket_id, kind, due_at)
);
-- The clock looks only at tickets still waiting for their first answer.
CREATE INDEX tickets_waiting_due_idx ON tickets (due_at)
    WHERE first_response_at IS NULL AND status IN ('new', 'open');

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'deskmail_deliver') THEN
        GRANT SELECT, INSERT ON ticket_alerts TO deskmail_deliver;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'deskmail_admin') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON ticket_alerts TO deskmail_admin;
    END IF;
END
$$;
