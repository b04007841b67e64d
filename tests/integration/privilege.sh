#!/bin/bash
# privilege.sh - least privilege: deliver runs as a role that can store
# mail and nothing more; files holding secrets must not be world-readable.
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
dm_setup

is "$(pg_sql "SELECT string_agg(rolname, ',' ORDER BY rolname) FROM pg_roles WHERE rolname LIKE 'deskmail\_%'")" \
	"deskmail_admin,deskmail_deliver" "db init creates the deliver and admin roles"
pg_sql "CREATE ROLE mx1 LOGIN IN ROLE deskmail_deliver" >/dev/null
pg_sql "CREATE ROLE ops LOGIN IN ROLE deskmail_admin" >/dev/null
DM_CONNINFO="host=$PGHOST port=$PGPORT user=mx1 dbname=deskmail" dm_write_config
"$DESKMAIL" agent add agent@desk.example.org --team first-line >/dev/null 2>&1
is "$?" 70 "the deliver role cannot add agents (an admin command)"

# An admin adds the agent; mail flows with the deliver role only.
DM_CONNINFO="host=$PGHOST port=$PGPORT user=ops dbname=deskmail" dm_write_config
"$DESKMAIL" agent add agent@desk.example.org --name Agent --team it-support >/dev/null
is "$?" 0 "the admin role adds an agent"
DM_CONNINFO="host=$PGHOST port=$PGPORT user=mx1 dbname=deskmail" dm_write_config
dm_mail p1@example.si "Pravice" >"$T/p1.eml"
dm_deliver "$T/p1.eml"
is "$RC" 0 "deliver works as the deliver role"
like "$OUT" 'ack=sent mails=2( sent=2)?' "... acknowledgement and notification sent"
N=$(grep -lx agent@desk.example.org "$DM_SENDMAIL_DIR"/*.argv | head -1)
KEY=$("$MAILINFO" "${N%.argv}.eml" | sed -n 's/^Reply-To: .*<\(.*\)>/\1/Ip')
cat >"$T/r1.eml" <<MAIL
From: Agent <agent@desk.example.org>
To: $KEY
Subject: Re: Pravice
Message-ID: <r1@desk>
Content-Type: text/plain; charset=utf-8

#status pending

Odgovor.
MAIL
dm_deliver "$T/r1.eml" --recipient "$KEY"
is "$RC" 0 "an agent's reply with a command works as the deliver role"
is "$(pg_sql "SELECT status FROM tickets WHERE id = 1")" pending "... and changed the ticket"
touch "$DM_SENDMAIL_DIR/FAIL"
dm_mail p2@example.si "Druga" "Bor <bor@example.si>" >"$T/p2.eml"
dm_deliver "$T/p2.eml"
rm "$DM_SENDMAIL_DIR/FAIL"
pg_sql "UPDATE outbox SET next_attempt_at = now()" >/dev/null
OUT=$("$DESKMAIL" outbox flush 2>&1)
is "$OUT" "2 sent, 0 failed" "outbox flush works as the deliver role"
# Over 256 KiB the raw message and the attachment are streamed with COPY,
# which needs the same INSERT privilege.
{
	printf 'From: Bor <bor@example.si>\nTo: support@example.org\nSubject: Velika priloga\n'
	printf 'Message-ID: <p3@example.si>\nMIME-Version: 1.0\n'
	printf 'Content-Type: multipart/mixed; boundary=xx\n\n--xx\nContent-Type: text/plain\n\nPriloga.\n'
	printf -- '--xx\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=a.pdf\n'
	printf 'Content-Transfer-Encoding: base64\n\n'
	head -c 400000 /dev/zero | base64
	printf -- '--xx--\n'
} >"$T/p3.eml"
dm_deliver "$T/p3.eml"
is "$RC" 0 "a 540 KB mail (COPY) works as the deliver role"
is "$(pg_sql "SELECT a.size FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.message_id = 'p3@example.si'")" \
	400000 "... its attachment stored whole"

denied() { # denied SQL DESCRIPTION
	local out
	out=$("$PG_BIN/psql" -X -q -U mx1 -d deskmail -c "$1" 2>&1)
	like "$out" 'permission denied|must be owner' "$2"
}
denied "DELETE FROM messages" "the deliver role cannot delete messages"
denied "DELETE FROM tickets" "... nor tickets"
denied "TRUNCATE events" "... nor truncate the audit trail"
denied "UPDATE messages SET body_text = ''" "... nor rewrite stored mail"
denied "UPDATE outbox SET body = ''" "... nor rewrite queued mail"
denied "DROP TABLE tickets" "... nor drop tables"
denied "ALTER TABLE tickets ADD COLUMN x int" "... nor change the schema"
is "$(dm_count messages)" "$(pg_sql "SELECT count(*) FROM messages")" "nothing was deleted"

# Secrets on disk.
chmod 644 "$T/secret"
OUT=$("$DESKMAIL" deliver <"$T/p1.eml" 2>&1); RC=$?
is "$RC" 75 "a world-readable secret file: deliver defers"
like "$OUT" 'secret_file: .* is readable by others' "... and says why"
chmod 600 "$T/secret"
DM_CONNINFO="host=$PGHOST port=$PGPORT user=mx1 password=not-used dbname=deskmail" dm_write_config
chmod 644 "$DESKMAIL_CONFIG"
OUT=$("$DESKMAIL" check-config 2>&1); RC=$?
is "$RC" 78 "a world-readable config with a password is refused"
like "$OUT" 'conninfo: holds a password but the file is readable by others' "... with a clear line"
chmod 640 "$DESKMAIL_CONFIG"
"$DESKMAIL" check-config >/dev/null 2>&1
is "$?" 0 "the same file, not world-readable, is accepted"

tap_done
