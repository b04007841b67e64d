#!/bin/bash
# pgbouncer.sh - deskmail behind PgBouncer (Debian pgbouncer) in
# transaction pooling: every delivery may get another server session, and
# its session may go to someone else between transactions.  So nothing a
# transaction relies on may be session state: the timeouts are set with
# SET LOCAL in the BEGIN round trip (the startup "options" are dropped by
# the pooler), and nothing deskmail sets may leak to the next client.
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
dm_setup

command -v pgbouncer >/dev/null || bail "pgbouncer not installed (apt-get install pgbouncer)"

# PgBouncer on a Unix socket in $T/pgb only (listen_addr empty): the port
# just names the socket file, so it cannot collide with anything.
B=$T/pgb
BPORT=6432
mkdir -p "$B"
[ "$(id -u)" = 0 ] && chown nobody "$B"
printf '"deskmail" ""\n' >"$B/userlist.txt"
cat >"$B/pgbouncer.ini" <<INI
[databases]
deskmail = host=$PG_DIR port=$PGPORT dbname=deskmail user=deskmail

[pgbouncer]
listen_addr =
listen_port = $BPORT
unix_socket_dir = $B
auth_type = trust
auth_file = $B/userlist.txt
pool_mode = transaction
default_pool_size = 2
logfile = $B/pgbouncer.log
pidfile = $B/pgbouncer.pid
; libpq sends the "options" startup parameter; PgBouncer drops it.
ignore_startup_parameters = options
INI
chmod 644 "$B/pgbouncer.ini" "$B/userlist.txt"
pg_as_owner pgbouncer -d "$B/pgbouncer.ini" >/dev/null 2>&1 || bail "pgbouncer did not start"
stop_bouncer() {
	[ -f "$B/pgbouncer.pid" ] && kill "$(cat "$B/pgbouncer.pid")" 2>/dev/null
	dm_cleanup
}
trap stop_bouncer EXIT
for _ in $(seq 50); do [ -S "$B/.s.PGSQL.$BPORT" ] && break; sleep 0.1; done
[ -S "$B/.s.PGSQL.$BPORT" ] || bail "pgbouncer socket missing"

DIRECT=$DM_CONNINFO
DM_CONNINFO="host=$B port=$BPORT user=deskmail dbname=deskmail"
DM_DB_EXTRA="lock_timeout = 1000"
dm_write_config
bouncer_sql() { # a statement through PgBouncer
	"$PG_BIN/psql" -X -q -A -t -h "$B" -p "$BPORT" -U deskmail -d deskmail -c "$1"
}

# --- a new ticket and its acknowledgement
dm_mail b1@example.si "Tiskalnik ne tiska" >"$T/b1.eml"
dm_deliver "$T/b1.eml"
is "$RC" 0 "new mail through PgBouncer: exit 0"
T1=$(pg_sql "SELECT ticket_id FROM messages WHERE message_id = 'b1@example.si'")
like "$T1" '^[0-9]+$' "stored on a ticket"
is "$(dm_sent_count)" 1 "acknowledged once"
is "$(pg_sql "SELECT count(*) FROM outbox WHERE status = 'sent'")" 1 "the outbox row marked sent"

# --- a reply threads by its references
cat >"$T/b2.eml" <<MAIL
From: Ana Novak <ana@example.si>
To: support@example.org
Subject: Re: Tiskalnik ne tiska
Message-ID: <b2@example.si>
In-Reply-To: <b1@example.si>
References: <b1@example.si>
Content-Type: text/plain; charset=utf-8

Še vedno ne dela.
MAIL
dm_deliver "$T/b2.eml"
is "$RC" 0 "reply through PgBouncer: exit 0"
is "$(pg_sql "SELECT ticket_id || ' ' || threaded_by FROM messages WHERE message_id = 'b2@example.si'")" \
	"$T1 references" "the reply joined the ticket by its references"

# --- a large attachment: the raw message and the attachment are streamed
# with COPY (over 256 KiB), which the pooler must pass through
head -c 600000 /dev/urandom >"$T/big.bin"
{
	printf 'From: Bor Kos <bor@example.si>\nTo: support@example.org\nSubject: Dnevnik napak\n'
	printf 'Message-ID: <b3@example.si>\nMIME-Version: 1.0\n'
	printf 'Content-Type: multipart/mixed; boundary=xx\n\n--xx\nContent-Type: text/plain\n\nV prilogi je dnevnik.\n'
	printf -- '--xx\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=log.bin\n'
	printf 'Content-Transfer-Encoding: base64\n\n'
	base64 "$T/big.bin"
	printf -- '--xx--\n'
} >"$T/b3.eml"
dm_deliver "$T/b3.eml"
is "$RC" 0 "600 KB attachment through PgBouncer: exit 0"
is "$(pg_sql "SELECT a.size || ' ' || a.sha256 || ' ' || encode(sha256(a.content), 'hex') FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.message_id = 'b3@example.si'")" \
	"600000 $(sha256sum <"$T/big.bin" | cut -d' ' -f1) $(sha256sum <"$T/big.bin" | cut -d' ' -f1)" \
	"the attachment stored whole (size, recorded and actual digest)"
is "$(pg_sql "SELECT length(r.raw) FROM raw_messages r JOIN messages m ON m.id = r.message_id WHERE m.message_id = 'b3@example.si'")" \
	"$(stat -c %s "$T/b3.eml")" "the raw message stored whole"

# --- lock_timeout holds through the pooler: another session holds the
# ticket row; the reply must give up after 1 s with 75 (before the fix the
# startup option was lost and the delivery waited for the holder).
"$PG_BIN/psql" -X -q -d "$DIRECT" -c "BEGIN; SELECT 1 FROM tickets WHERE id = $T1 FOR UPDATE; SELECT pg_sleep(12); COMMIT;" >/dev/null 2>&1 &
HOLDER=$!
for _ in $(seq 100); do
	[ "$(pg_sql "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(12)%' AND pid <> pg_backend_pid()")" = 1 ] && break
	sleep 0.1
done
sed 's/b2@example.si/b4@example.si/; s/^In-Reply-To: .*/In-Reply-To: <b2@example.si>/' "$T/b2.eml" >"$T/b4.eml"
t0=$(date +%s%N)
dm_deliver "$T/b4.eml"
ms=$((($(date +%s%N) - t0) / 1000000))
is "$RC" 75 "ticket row locked elsewhere: exit 75 through PgBouncer"
ok "$([ "$ms" -lt 8000 ] && echo 0 || echo 1)" "... after lock_timeout, not after the holder (${ms} ms)"
like "$OUT" 'lock|timeout|busy' "... with a line that says why"
is "$(dm_count "messages WHERE message_id = 'b4@example.si'")" 0 "... nothing stored"
wait "$HOLDER"
dm_deliver "$T/b4.eml"
is "$RC" 0 "redelivered after the lock is gone: exit 0"
is "$(pg_sql "SELECT count(*) || ' ' || min(ticket_id) FROM messages WHERE message_id = 'b4@example.si'")" "1 $T1" \
	"stored once, on the ticket"

# --- nothing deskmail set stays on the pooled server sessions
for setting in lock_timeout statement_timeout TimeZone; do
	want=$(pg_sql "SELECT reset_val FROM pg_settings WHERE name = '$setting'")
	is "$(bouncer_sql "SHOW $setting")" "$want" "after the deliveries a pooled session has the default $setting"
done
tap_done
