-- 001: the deskmail schema.
--
-- Designed for the whole product: tickets and their conversation, the
-- people in it, threading references, attachments, the audit trail of
-- every state change, and the outbox of mail to send.  deliver looks up
-- messages by Message-ID (idempotency, threading) and references by id
-- (late parents), so those are indexed.

CREATE TABLE teams (
    id          serial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    address     text,                       -- where team notifications go
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agents (
    id          serial PRIMARY KEY,
    address     text NOT NULL UNIQUE,       -- normalised, lower case
    name        text NOT NULL DEFAULT '',
    team_id     integer REFERENCES teams(id),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE contacts (
    id            bigserial PRIMARY KEY,
    address       text NOT NULL UNIQUE,     -- normalised, lower case
    name          text NOT NULL DEFAULT '',
    language      text,                     -- remembered once known
    failing_since timestamptz,              -- set by a bounce
    bounce_count  integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tickets (
    id                bigserial PRIMARY KEY,
    subject           text NOT NULL DEFAULT '',
    status            text NOT NULL DEFAULT 'new'
                      CHECK (status IN ('new', 'open', 'pending', 'resolved', 'closed')),
    priority          text NOT NULL DEFAULT 'normal'
                      CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    topic             text,
    team_id           integer REFERENCES teams(id),
    language          text,
    queue             text NOT NULL DEFAULT '', -- the support address it came to
    requester_id      bigint REFERENCES contacts(id),
    assignee_id       integer REFERENCES agents(id),
    related_id        bigint REFERENCES tickets(id),
    relation          text CHECK (relation IN ('related', 'follow-up')),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    due_at            timestamptz,
    first_response_at timestamptz,
    resolved_at       timestamptz,
    closed_at         timestamptz
);
CREATE INDEX tickets_status_idx ON tickets (status);
CREATE INDEX tickets_requester_idx ON tickets (requester_id);
CREATE INDEX tickets_created_idx ON tickets (created_at);

CREATE TABLE participants (
    ticket_id   bigint NOT NULL REFERENCES tickets(id),
    contact_id  bigint NOT NULL REFERENCES contacts(id),
    role        text NOT NULL CHECK (role IN ('requester', 'cc')),
    added_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ticket_id, contact_id)
);
CREATE INDEX participants_contact_idx ON participants (contact_id);

CREATE TABLE messages (
    id             bigserial PRIMARY KEY,
    ticket_id      bigint NOT NULL REFERENCES tickets(id),
    message_id     text NOT NULL,           -- without <>
    direction      text NOT NULL CHECK (direction IN ('in', 'out')),
    kind           text NOT NULL
                   CHECK (kind IN ('customer', 'agent', 'note', 'auto', 'notification', 'bounce')),
    threaded_by    text NOT NULL DEFAULT 'new',
    contact_id     bigint REFERENCES contacts(id),
    agent_id       integer REFERENCES agents(id),
    from_addr      text NOT NULL DEFAULT '',
    from_name      text NOT NULL DEFAULT '',
    to_addrs       text[] NOT NULL DEFAULT '{}',
    cc_addrs       text[] NOT NULL DEFAULT '{}',
    subject        text NOT NULL DEFAULT '',
    sent_at        timestamptz,             -- the Date header; NULL when absent
    in_reply_to    text,
    body_text      text NOT NULL DEFAULT '',
    flags          integer NOT NULL DEFAULT 0, -- enum dm_message_flag
    size           bigint NOT NULL DEFAULT 0,
    envelope_from  text,
    recipient      text,                    -- the envelope recipient
    created_at     timestamptz NOT NULL DEFAULT now()
);
-- Idempotency: one incoming copy of a Message-ID.  Our own outgoing ids
-- are random and also unique.
CREATE UNIQUE INDEX messages_message_id_dir_idx ON messages (message_id, direction);
CREATE INDEX messages_ticket_idx ON messages (ticket_id, id);

-- In-Reply-To and References of every stored message, for threading and
-- for parents that arrive after their replies.
CREATE TABLE message_refs (
    message_id  bigint NOT NULL REFERENCES messages(id),
    ref         text NOT NULL,
    position    integer NOT NULL,           -- 0 = In-Reply-To, then References in order
    PRIMARY KEY (message_id, position)
);
CREATE INDEX message_refs_ref_idx ON message_refs (ref);

-- The raw message as received, apart from the hot tables.  Stored
-- uncompressed: mail is mostly compressed attachments already, and the
-- CPU is better spent elsewhere.
CREATE TABLE raw_messages (
    message_id  bigint PRIMARY KEY REFERENCES messages(id),
    raw         bytea NOT NULL
);
ALTER TABLE raw_messages ALTER COLUMN raw SET STORAGE EXTERNAL;

CREATE TABLE attachments (
    id            bigserial PRIMARY KEY,
    message_id    bigint NOT NULL REFERENCES messages(id),
    position      integer NOT NULL,
    filename      text NOT NULL DEFAULT '',
    content_type  text NOT NULL DEFAULT 'application/octet-stream',
    disposition   text NOT NULL DEFAULT '',
    content_id    text NOT NULL DEFAULT '',
    size          bigint NOT NULL,
    sha256        text NOT NULL,
    from_tnef     boolean NOT NULL DEFAULT false,
    content       bytea NOT NULL
);
ALTER TABLE attachments ALTER COLUMN content SET STORAGE EXTERNAL;
CREATE INDEX attachments_message_idx ON attachments (message_id, position);

-- The audit trail: every state change with actor, time, old and new value.
CREATE TABLE events (
    id          bigserial PRIMARY KEY,
    ticket_id   bigint REFERENCES tickets(id),
    message_id  bigint REFERENCES messages(id),
    actor       text NOT NULL DEFAULT '',   -- an address, 'deskmail' or 'cli:USER'
    kind        text NOT NULL,              -- created, status, assign, ack, ...
    old_value   text,
    new_value   text,
    detail      text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_ticket_idx ON events (ticket_id, id);
CREATE INDEX events_kind_idx ON events (kind, created_at);

-- Mail to send.  Written in the delivery's transaction, handed to
-- sendmail after COMMIT, retried by `deskmail outbox flush` (rows are
-- claimed with FOR UPDATE SKIP LOCKED, so any host may flush).
CREATE TABLE outbox (
    id               bigserial PRIMARY KEY,
    ticket_id        bigint REFERENCES tickets(id),
    message_id       bigint REFERENCES messages(id), -- the stored outgoing message
    kind             text NOT NULL,
    envelope_from    text NOT NULL DEFAULT '',       -- '' = null sender <>
    recipients       text[] NOT NULL,
    body             bytea NOT NULL,                 -- the complete RFC 5322 message
    status           text NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'sent', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz
);
CREATE INDEX outbox_queued_idx ON outbox (next_attempt_at) WHERE status = 'queued';

-- Acknowledgements per sender, shared by every MX host, for the rate limit.
CREATE TABLE ack_log (
    address  text NOT NULL,
    sent_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ack_log_address_idx ON ack_log (address, sent_at);
