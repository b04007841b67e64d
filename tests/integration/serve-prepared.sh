#!/bin/bash
# serve-prepared.sh - `deskmail serve` with [database] prepared_statements:
# the worker's statements go by name and are parsed once per connection
# (the server's statement log shows each name executed again), a
# transaction that fails on a lock leaves the connection's statements
# usable, and mail is stored as without them.
# This test starts its own services: dm_setup must not start one.
DM_FRONT_END=deliver
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
: "${DESKMAIL_DELIVER:=$TOP_BUILDDIR/deskmail-deliver}"
DM_DB_EXTRA="prepared_statements = true
lock_timeout = 1000"
dm_setup
cat >>"$DESKMAIL_CONFIG" <<CONF

[server]
listen = unix:$T/lmtp
workers = 1
CONF
# Every statement the server runs goes to its log, with the name it ran by.
pg_sql "ALTER DATABASE deskmail SET log_statement = 'all'"

"$DESKMAIL" serve >"$T/serve.log" 2>&1 &
SERVE=$!
for _ in $(seq 100); do [ -S "$T/lmtp" ] && break; sleep 0.1; done
ok "$([ -S "$T/lmtp" ] && echo 0 || echo 1)" "serve listens"

client() { # FILE -> RC
	"$DESKMAIL_DELIVER" --socket "$T/lmtp" --no-fallback -r support@example.org -f ana@example.si <"$1" \
		>"$T/client.out" 2>&1
	RC=$?
}

dm_mail prep1@example.si "Tiskalnik" >"$T/m1.eml"
dm_mail prep2@example.si "Skener" >"$T/m2.eml"
client "$T/m1.eml"
is "$RC" 0 "first mail: exit 0"
client "$T/m2.eml"
is "$RC" 0 "second mail: exit 0"
client "$T/m1.eml"
is "$RC" 0 "first mail again: exit 0"
like "$(cat "$T/serve.log")" 'action=duplicate ticket=1 message_id=<prep1@example.si>' "... answered as a duplicate"
is "$(dm_count tickets)" 2 "two tickets"
is "$(dm_count "messages WHERE direction = 'in'")" 2 "each mail stored once"

log=$T/pg/server.log
names=$(grep -o 'execute dm_[0-9]*' "$log" | sort -u | wc -l)
runs=$(grep -c 'execute dm_[0-9]*' "$log")
ok "$([ "$names" -gt 5 ] && echo 0 || echo 1)" "the worker's statements run by name ($names names)"
ok "$([ "$runs" -gt $((names + 5)) ] && echo 0 || echo 1)" "... and again by the same names ($runs executions)"

# A reply while another session holds the ticket: lock_timeout fails the
# transaction (451, exit 75); once the lock is gone the same mail is stored
# on the same connection and its prepared statements.
cat >"$T/m3.eml" <<MAIL
From: Ana Novak <ana@example.si>
To: support@example.org
Subject: Re: Tiskalnik
Message-ID: <prep3@example.si>
In-Reply-To: <prep1@example.si>
References: <prep1@example.si>

Še vedno ne dela.
MAIL
pg_sql "BEGIN; SELECT 1 FROM tickets WHERE id = 1 FOR UPDATE; SELECT pg_sleep(3); COMMIT" >/dev/null &
holder=$!
sleep 0.5
client "$T/m3.eml"
is "$RC" 75 "reply while the ticket is locked: exit 75"
wait "$holder"
client "$T/m3.eml"
is "$RC" 0 "the same reply after the lock is gone: exit 0"
is "$(dm_count "messages WHERE message_id = 'prep3@example.si' AND ticket_id = 1")" 1 "... stored once, on ticket 1"
unnamed=$(grep -c 'execute <unnamed>' "$log")
is "$unnamed" 0 "the worker ran no unnamed statement"

kill -TERM "$SERVE"
wait "$SERVE"
is "$?" 0 "serve stops with 0"
tap_done
