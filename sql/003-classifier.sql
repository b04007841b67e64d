-- 003: the classifier's models in PostgreSQL.  A delivery reads only the
-- class totals and the counts of its own tokens; `deskmail train` and
-- agents' #topic corrections add to them.
CREATE TABLE model_classes (
    model   text NOT NULL,              -- 'topic'
    class   text NOT NULL,
    docs    double precision NOT NULL DEFAULT 0,
    total   double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (model, class)
);
CREATE TABLE model_tokens (
    model   text NOT NULL,
    token   text NOT NULL,
    class   text NOT NULL,
    count   double precision NOT NULL,
    PRIMARY KEY (model, token, class)
);
CREATE TABLE model_meta (
    model       text PRIMARY KEY,
    vocabulary  double precision NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE tickets ADD COLUMN topic_confidence real;
ALTER TABLE tickets ADD COLUMN classified_by text;   -- 'rule: PHRASE', 'model', 'triage', an agent

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'deskmail_deliver') THEN
        -- Corrections by agents arrive through deliver.
        GRANT SELECT, INSERT, UPDATE ON model_classes, model_tokens, model_meta TO deskmail_deliver;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'deskmail_admin') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON model_classes, model_tokens, model_meta TO deskmail_admin;
    END IF;
END
$$;
