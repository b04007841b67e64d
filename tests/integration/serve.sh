#!/bin/bash
# serve.sh - `deskmail serve` against the real PostgreSQL: the LMTP
# conversation (spoken by hand with tests/lmtp-talk), acknowledgements
# sent by the service's own sender, faults (the database stopped or its
# connections killed, a worker SIGKILLed in DATA or inside its
# transaction), reloads, a stop under load, the session limits and the
# peer check, and deskmail-deliver against the live service.
# This test starts its own services: dm_setup must not start one.
DM_FRONT_END=deliver
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
: "${DESKMAIL_DELIVER:=$TOP_BUILDDIR/deskmail-deliver}"
DM_DELIVER_EXTRA="max_message_size = 2K"
dm_setup

SOCK=$T/lmtp
SP=
# The raw LMTP client; in the background it is run directly, so that $!
# is its own pid.
LMTP_TALK=$TOP_SRCDIR/tests/lmtp-talk
talk() { python3 "$LMTP_TALK" "$@"; }

# serve_config [SERVER-LINES]: the test configuration with a [server]
# group (and a second address of the desk).
serve_config() {
	dm_write_config
	cat >>"$DESKMAIL_CONFIG" <<CONF

[desk]
other_addresses = help@example.org

[server]
listen = unix:$SOCK
socket_mode = 0666
workers = 2
grace = 10s
${1:-}
CONF
}

# serve_start: start the service and wait until it listens.
serve_start() {
	local before
	before=$(grep -c 'listening on' "$T/serve.log" 2>/dev/null)
	"$DESKMAIL" serve >>"$T/serve.log" 2>&1 &
	SP=$!
	wait_until 10 serve_listening "${before:-0}" || bail "the service did not start: $(tail -5 "$T/serve.log")"
}
serve_listening() { [ "$(grep -c 'listening on' "$T/serve.log")" -gt "$1" ] && [ -S "$SOCK" ]; }

# serve_stop: SIGTERM, wait; SERVE_RC is its exit status.
serve_stop() {
	kill -TERM "$SP"
	wait "$SP"
	SERVE_RC=$?
	SP=
}

serve_cleanup() {
	[ -n "$SP" ] && kill -KILL "$SP" 2>/dev/null
	[ -n "${LOCKER:-}" ] && kill "$LOCKER" 2>/dev/null
	dm_cleanup
}
trap serve_cleanup EXIT

# wait_until SECONDS COMMAND...: poll COMMAND every 0.1 s; its status.
wait_until() {
	local end=$((SECONDS + $1))
	shift
	while ! "$@"; do
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.1
	done
}

# client FILE [ARGS]: deskmail-deliver to the service (no fallback),
# recipient support@, sender ana@; sets RC and OUT (stderr).
client() {
	local f=$1
	shift
	OUT=$("$DESKMAIL_DELIVER" --socket "$SOCK" --no-fallback -r support@example.org -f ana@example.si "$@" <"$f" 2>&1)
	RC=$?
}

# How often the message with this Message-ID is stored.
stored() { dm_count "messages WHERE message_id = '$1'"; }

# The acknowledgements sent for the message with this Message-ID.
acks() { grep -l -F "<$1>" "$DM_SENDMAIL_DIR"/*.eml 2>/dev/null | wc -l; }
acked() { [ "$(acks "$1")" -ge 1 ]; }

# The service's children (workers and the sender), sorted.
children() { pgrep -P "$SP" | sort -n; }
n_children() { children | wc -l; }

# The worker holding the session of the lmtp-talk client whose socket
# inode is in FILE: the process at the other end of that connection.
session_worker() {
	local ino
	ino=$(cat "$1") || return 1
	ss -xpnH | awk -v i="$ino" '$8 == i' | grep -o 'pid=[0-9]*' | cut -d= -f2 | grep -vx "$SP" | head -1
}

# mail ID SUBJECT [FROM]: a test mail in $T/ID.eml.
mail() { dm_mail "$1@example.si" "$2" "${3:-Ana Novak <ana@example.si>}" >"$T/$1.eml"; }

# A mail over the 2K limit.
big_mail() {
	dm_mail "$1@example.si" "Velika"
	for i in $(seq 60); do echo "Vrstica $i, ki napolni sporočilo čez mejo velikosti."; done
}

lines_of() { printf '%s\n' "$1" | grep -c -E "$2"; }

serve_config "idle_timeout = 2s"
serve_start

# ---- 1. the protocol
mail p1 "Prvo sporočilo"
R=$(talk "$SOCK" <<S
expect 1
send LHLO tester.example.org
expect 1
send MAIL FROM:<ana@example.si>
send RCPT TO:<support@example.org>
send RCPT TO:<support+a1b2c3@example.org>
send RCPT TO:<stranger@example.org>
send RCPT TO:<support@example.com>
send DATA
expect 6
data $T/p1.eml
expect 2
shell psql -XAtc "SELECT count(*) FROM messages WHERE message_id = 'p1@example.si'"
send QUIT
expect 1
S
)
like "$(printf '%s\n' "$R" | head -1)" '^220 ' "LMTP: the 220 greeting"
like "$R" '^250-PIPELINING$' "LHLO lists PIPELINING"
like "$R" '^250-ENHANCEDSTATUSCODES$' "... ENHANCEDSTATUSCODES"
like "$R" '^250-8BITMIME$' "... 8BITMIME"
like "$R" '^250[- ]SIZE 2048$' "... SIZE with max_message_size (2K)"
is "$(printf '%s\n' "$R" | grep -c '^250 2\.1\.5 ')" 2 "RCPT: support@ and support+KEY@ get 250 2.1.5"
is "$(printf '%s\n' "$R" | grep -c '^550 5\.1\.1 ')" 2 "RCPT: another address (and another domain) gets 550 5.1.1"
like "$R" '^354 ' "DATA: 354"
is "$(printf '%s\n' "$R" | grep -c '^250 2\.0\.0 .*stored on ticket')" 2 "the message: 250 2.0.0 per accepted recipient"
like "$R" '^\[shell\] 1$' "... and the row exists when the reply comes (COMMIT before 250)"
like "$R" '^221 ' "QUIT: 221"
is "$(stored p1@example.si)" 1 "stored once for its two recipients"

R=$(talk "$SOCK" <<S
expect 1
send LHLO tester
expect 1
send MAIL FROM:<ana@example.si>
send RCPT TO:<support@example.org>
send DATA
expect 3
data $T/p1.eml
expect 1
S
)
like "$R" '^250 2\.0\.0 deskmail: already stored' "the same message again: 250 (a duplicate)"
is "$(stored p1@example.si)" 1 "... still stored once"

mail p2 "Dva naslova" "Berta Kos <berta@example.si>"
R=$(talk "$SOCK" <<S
expect 1
send LHLO tester
expect 1
send MAIL FROM:<berta@example.si>
send RCPT TO:<support@example.org>
send RCPT TO:<help@example.org>
send DATA
expect 4
data $T/p2.eml
expect 2
S
)
is "$(printf '%s\n' "$R" | sed -n '/^354/,$p' | grep -c '^250 2\.0\.0 ')" 2 "two recipients of the desk (other_addresses): two replies"
like "$R" '250 2\.0\.0 .*<help@example\.org>' "... the second names help@"
is "$(stored p2@example.si)" 1 "... stored once"

big_mail p3 >"$T/p3.eml"
R=$(talk "$SOCK" <<S
expect 1
send LHLO tester
expect 1
send MAIL FROM:<ana@example.si>
send RCPT TO:<support@example.org>
send RCPT TO:<help@example.org>
send DATA
expect 4
data $T/p3.eml
expect 2
send NOOP
expect 1
S
)
is "$(printf '%s\n' "$R" | grep -c '^552 5\.3\.4 ')" 2 "over max_message_size: 552 5.3.4 per recipient"
like "$(printf '%s\n' "$R" | tail -1)" '^250 ' "... and the session goes on"
is "$(stored p3@example.si)" 0 "... nothing stored"

printf 'to ni pošta\nsamo besedilo\n' >"$T/junk"
R=$(talk "$SOCK" <<S
expect 1
send LHLO tester
expect 1
send MAIL FROM:<ana@example.si>
send RCPT TO:<support@example.org>
send DATA
expect 3
send .
expect 1
send MAIL FROM:<ana@example.si>
send RCPT TO:<support@example.org>
send DATA
expect 3
data $T/junk
expect 1
S
)
like "$(printf '%s\n' "$R" | grep '^5' | sed -n 1p)" '^554 5\.6\.0 .*empty' "empty DATA: 554 5.6.0"
like "$(printf '%s\n' "$R" | grep '^5' | sed -n 2p)" '^554 5\.6\.0 .*not a mail' "non-mail data: 554 5.6.0"

# Three messages in one session, each "." pipelined with the next
# transaction's commands (RFC 2920: DATA ends a group).
mail q1 "Cevovod ena" "Cene Cevc <cene@example.si>"
mail q2 "Cevovod dva" "Dora Dolenc <dora@example.si>"
mail q3 "Cevovod tri" "Ema Erjavec <ema@example.si>"
R=$(talk "$SOCK" <<S
expect 1
send LHLO tester
send MAIL FROM:<cene@example.si>
send RCPT TO:<support@example.org>
send DATA
expect 4
data $T/q1.eml
send MAIL FROM:<dora@example.si>
send RCPT TO:<support@example.org>
send DATA
expect 4
data $T/q2.eml
send MAIL FROM:<ema@example.si>
send RCPT TO:<help@example.org>
send RCPT TO:<nobody@example.org>
send DATA
expect 5
data $T/q3.eml
send QUIT
expect 2
S
)
is "$(printf '%s\n' "$R" | grep -c '^250 2\.0\.0 .*stored on ticket')" 3 "pipelined: three messages, three 250 2.0.0"
like "$(printf '%s\n' "$R" | grep '^550')" '^550 5\.1\.1 ' "... the unknown recipient in the group refused in order"
like "$(printf '%s\n' "$R" | tail -1)" '^221 ' "... QUIT answered last"
is "$(stored q1@example.si)$(stored q2@example.si)$(stored q3@example.si)" 111 "... each stored once"
is "$(pg_sql "SELECT count(DISTINCT ticket_id) FROM messages WHERE message_id IN ('q1@example.si','q2@example.si','q3@example.si')")" 3 \
	"... on three tickets"

# ---- 2. acknowledgements go out through the service's sender
wait_until 5 acked p1@example.si
is "$(acks p1@example.si)" 1 "the acknowledgement reached sendmail within 5 s, without outbox flush"
wait_until 5 acked q3@example.si
sleep 1
is "$(acks p1@example.si)" 1 "... exactly once (the duplicate and the second recipient sent none)"
is "$(acks p2@example.si)$(acks q1@example.si)$(acks q2@example.si)$(acks q3@example.si)" 1111 "... and one for each other new ticket"
is "$(dm_count "outbox WHERE status <> 'sent'")" 0 "... every outbox row marked sent"
is "$(dm_header "$(grep -l -F '<p1@example.si>' "$DM_SENDMAIL_DIR"/*.eml)" To)" "Ana Novak <ana@example.si>" \
	"... to the customer"

# ---- 3. faults
# The database stopped: 451 for every recipient, the service stays up.
mail f1 "Baza ne dela" "Franc Fink <franc@example.si>"
pg_stop
R=$(talk "$SOCK" <<S
expect 1
send LHLO tester
send MAIL FROM:<franc@example.si>
send RCPT TO:<support@example.org>
send RCPT TO:<help@example.org>
send DATA
expect 5
data $T/f1.eml
expect 2
S
)
is "$(printf '%s\n' "$R" | grep -c '^451 4\.3\.0 ')" 2 "PostgreSQL stopped: 451 4.3.0 per recipient"
kill -0 "$SP"
is "$?" 0 "... the service stays up"
like "$(talk "$SOCK" <<<'expect 1')" '^220 ' "... and greets the next session"
pg_restart || bail "PostgreSQL did not restart"
client "$T/f1.eml" -f franc@example.si
is "$RC" 0 "after pg_restart the redelivery is stored (250), the service not restarted"
is "$(stored f1@example.si)" 1 "... once"
mail f2 "Po ponovnem zagonu" "Franc Fink <franc@example.si>"
client "$T/f2.eml"
is "$RC" 0 "... and the next one too"
wait_until 5 acked f1@example.si
is "$(acks f1@example.si)" 1 "... its acknowledgement goes out (the sender reconnected)"

# The workers' (and the sender's) connections terminated.
killed=$(pg_sql "SELECT pid FROM pg_stat_activity WHERE application_name = 'deskmail' AND pid <> pg_backend_pid()" | sort)
is "$(pg_sql "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'deskmail' AND pid <> pg_backend_pid()) t")" \
	"$(printf '%s\n' "$killed" | grep -c .)" "pg_terminate_backend of the service's connections"
gone() { [ "$(pg_sql "SELECT count(*) FROM pg_stat_activity WHERE pid IN ($(printf '%s\n' "$killed" | paste -sd,))")" = 0 ]; }
wait_until 5 gone
sleep 0.2
mail t1 "Prekinjena povezava" "Gal Golob <gal@example.si>"
client "$T/t1.eml" -f gal@example.si
is "$RC" 0 "the next delivery is stored: the broken connection was replaced before use"
is "$(stored t1@example.si)" 1 "... once"
wait_until 5 acked t1@example.si
is "$(acks t1@example.si)" 1 "... and acknowledged (the sender reconnected)"

# A worker SIGKILLed in the middle of DATA.
mail k1 "Ubit med podatki" "Hana Hribar <hana@example.si>"
before=$(children)
python3 "$LMTP_TALK" -t 15 -i "$T/k1.ino" "$SOCK" >"$T/k1.out" <<S &
expect 1
send LHLO tester
send MAIL FROM:<hana@example.si>
send RCPT TO:<support@example.org>
send DATA
expect 4
partial $T/k1.eml 120
drain
S
TP=$!
wait_until 5 grep -q '^354' "$T/k1.out"
victim=$(session_worker "$T/k1.ino")
like "$victim" '^[0-9]+$' "SIGKILL in DATA: the worker holding the session found ($victim)"
printf '%s\n' "$before" | grep -qx "$victim"
is "$?" 0 "... it is one of the service's children"
kill -KILL "$victim"
wait "$TP"
is "$(tail -1 "$T/k1.out")" "[closed]" "... the client sees the connection drop"
is "$(grep -c '^250 2\.0\.0' "$T/k1.out")" 0 "... with no 250"
is "$(stored k1@example.si)" 0 "... nothing of the message stored"
replaced() { [ "$(n_children)" = "$(printf '%s\n' "$before" | wc -l)" ] && ! children | grep -qx "$victim"; }
wait_until 5 replaced
is "$?" 0 "... the service spawns a new worker"
like "$(cat "$T/serve.log")" "worker $victim killed by signal 9" "... and logs the death"
client "$T/k1.eml" -f hana@example.si
is "$RC" 0 "... the redelivery is stored"
is "$(stored k1@example.si)" 1 "... once"

# A worker SIGKILLed while its transaction waits for a lock.
mail l1 "Ubit v transakciji" "Ivo Ilc <ivo@example.si>"
PGAPPNAME=locker "$PG_BIN/psql" -X -q -c "BEGIN" -c "LOCK TABLE tickets IN ACCESS EXCLUSIVE MODE" \
	-c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
LOCKER=$!
locked() { [ "$(pg_sql "SELECT count(*) FROM pg_locks WHERE relation = 'tickets'::regclass AND mode = 'AccessExclusiveLock' AND granted")" = 1 ]; }
wait_until 5 locked
rows_before=$(pg_sql "SELECT (SELECT count(*) FROM messages) || '/' || (SELECT count(*) FROM raw_messages) || '/' || (SELECT count(*) FROM contacts) || '/' || (SELECT count(*) FROM outbox)")
python3 "$LMTP_TALK" -t 15 -i "$T/l1.ino" "$SOCK" >"$T/l1.out" <<S &
expect 1
send LHLO tester
send MAIL FROM:<ivo@example.si>
send RCPT TO:<support@example.org>
send DATA
expect 4
data $T/l1.eml
drain
S
TP=$!
waiting() { [ "$(pg_sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'deskmail' AND wait_event_type = 'Lock'")" -ge 1 ]; }
wait_until 5 waiting
is "$?" 0 "SIGKILL in the transaction: the delivery waits for the lock"
victim=$(session_worker "$T/l1.ino")
like "$victim" '^[0-9]+$' "... its worker found ($victim)"
kill -KILL "$victim"
wait "$TP"
is "$(tail -1 "$T/l1.out")" "[closed]" "... the client sees the connection drop"
pg_sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'locker'" >/dev/null
wait "$LOCKER"
LOCKER=
orphan_gone() { [ "$(pg_sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'deskmail' AND state <> 'idle'")" = 0 ]; }
wait_until 5 orphan_gone
is "$(stored l1@example.si)" 0 "... nothing of the message stored"
is "$(pg_sql "SELECT (SELECT count(*) FROM messages) || '/' || (SELECT count(*) FROM raw_messages) || '/' || (SELECT count(*) FROM contacts) || '/' || (SELECT count(*) FROM outbox)")" \
	"$rows_before" "... nothing half-stored (messages/raw/contacts/outbox unchanged)"
wait_until 5 replaced
client "$T/l1.eml" -f ivo@example.si
is "$RC" 0 "... the redelivery is stored"
is "$(stored l1@example.si)" 1 "... once"
wait_until 5 acked l1@example.si
is "$(acks l1@example.si)" 1 "... and acknowledged once"

# ---- 4. reloads
mark=$(wc -l <"$T/serve.log")
sed -i "s|^templates = .*|templates = $T/no-such-templates|" "$DESKMAIL_CONFIG"
kill -HUP "$SP"
reload_failed() { tail -n +"$((mark + 1))" "$T/serve.log" | grep -q 'reload failed, generation 1 keeps serving'; }
wait_until 5 reload_failed
is "$?" 0 "SIGHUP with a missing template directory: 'reload failed, generation 1 keeps serving'"
mail h1 "Po neuspelem nalaganju" "Jana Jereb <jana@example.si>"
client "$T/h1.eml" -f jana@example.si
is "$RC" 0 "... deliveries still work"
wait_until 5 acked h1@example.si
is "$(acks h1@example.si)" 1 "... with acknowledgements"
serve_config "idle_timeout = 2s"
sed -i 's|^support_name = .*|support_name = Druga generacija|' "$DESKMAIL_CONFIG"
kill -HUP "$SP"
loaded() { tail -n +"$((mark + 1))" "$T/serve.log" | grep -q 'generation 2 loaded'; }
wait_until 5 loaded
is "$?" 0 "SIGHUP with a valid change: 'generation 2 loaded'"
mail h2 "Druga generacija" "Kaja Kralj <kaja@example.si>"
client "$T/h2.eml" -f kaja@example.si
is "$RC" 0 "... deliveries work"
wait_until 5 acked h2@example.si
like "$(dm_header "$(grep -l -F '<h2@example.si>' "$DM_SENDMAIL_DIR"/*.eml | head -1)" From)" '^Druga generacija' \
	"... on the new generation (its support_name in the acknowledgement)"

# ---- 6a. a session that stalls in DATA
mail s1 "Zastoj" "Lea Lah <lea@example.si>"
t0=$(date +%s%N)
R=$(talk -t 10 "$SOCK" <<S
expect 1
send LHLO tester
send MAIL FROM:<lea@example.si>
send RCPT TO:<support@example.org>
send DATA
expect 4
partial $T/s1.eml 100
drain
S
)
ms=$((($(date +%s%N) - t0) / 1000000))
like "$(printf '%s\n' "$R" | tail -2 | head -1)" '^421 4\.4\.2 ' "stalled in DATA: 421 4.4.2 after idle_timeout"
is "$(printf '%s\n' "$R" | tail -1)" "[closed]" "... and the connection closed"
ok "$([ "$ms" -ge 1500 ] && [ "$ms" -le 6000 ]; echo $?)" "... after about 2 s ($ms ms)"
is "$(stored s1@example.si)" 0 "... nothing stored"
client "$T/s1.eml" -f lea@example.si
is "$RC" 0 "... the worker is free again: the next delivery is stored"

# ---- 7. deskmail-deliver against the live service
mail d1 "Odjemalec" "Maja Mlakar <maja@example.si>"
client "$T/d1.eml" -f maja@example.si
is "$RC" 0 "deskmail-deliver: stored: exit 0"
client "$T/d1.eml" -r nobody@example.org
is "$RC" 67 "deskmail-deliver: unknown recipient: exit 67"
like "$OUT" '^5\.1\.1 ' "... with the 5.1.1 line"
big_mail d2 >"$T/d2.eml"
client "$T/d2.eml"
is "$RC" 65 "deskmail-deliver: over the size limit: exit 65"
like "$OUT" '^5\.3\.4 ' "... with the 5.3.4 line"
mail d3 "Baza spet ne dela" "Nik Novak <nik@example.si>"
pg_stop
client "$T/d3.eml" -f nik@example.si
is "$RC" 75 "deskmail-deliver: the service's database down: exit 75"
like "$OUT" '^4\.3\.0 ' "... with a 4.3.0 line"
pg_restart || bail "PostgreSQL did not restart"
is "$(stored d3@example.si)" 0 "... nothing stored"

serve_stop
is "$SERVE_RC" 0 "SIGTERM when idle: exit 0"
like "$(tail -1 "$T/serve.log")" 'serve: stopped' "... logged"
ok "$([ ! -e "$SOCK" ]; echo $?)" "... the socket removed"

# deskmail-deliver falls back to deskmail deliver while the service is stopped.
OUT=$("$DESKMAIL_DELIVER" --socket "$SOCK" --deskmail "$DESKMAIL" --config "$DESKMAIL_CONFIG" \
	-r support@example.org -f nik@example.si <"$T/d3.eml" 2>&1)
is "$?" 0 "deskmail-deliver with the service stopped: falls back, exit 0"
like "$OUT" 'action=new .*message_id=<d3@example.si>' "... deskmail deliver stored it"
is "$(stored d3@example.si)" 1 "... once"

# ---- 6b. more sessions than workers
serve_config "idle_timeout = 30s"
serve_start
python3 "$LMTP_TALK" -t 20 "$SOCK" >"$T/b1.out" <<<$'expect 1\nsend LHLO one\nexpect 1\nsleep 15' &
B1=$!
python3 "$LMTP_TALK" -t 20 "$SOCK" >"$T/b2.out" <<<$'expect 1\nsend LHLO two\nexpect 1\nsleep 15' &
B2=$!
busy() { grep -q '^250 ' "$T/b1.out" && grep -q '^250 ' "$T/b2.out"; }
wait_until 5 busy
is "$?" 0 "two stalled sessions hold both workers"
t0=$(date +%s%N)
R=$(talk -t 10 "$SOCK" <<<'drain')
ms=$((($(date +%s%N) - t0) / 1000000))
like "$(printf '%s\n' "$R" | head -1)" '^421 4\.3\.2 ' "a third session: 421 4.3.2"
is "$(printf '%s\n' "$R" | tail -1)" "[closed]" "... and closed"
ok "$([ "$ms" -ge 1500 ] && [ "$ms" -le 3500 ]; echo $?)" "... within 2-3 s ($ms ms)"
like "$(cat "$T/serve.log")" 'no free worker' "... logged"
kill "$B1" "$B2" 2>/dev/null
wait "$B1" "$B2" 2>/dev/null
kill -0 "$SP"
is "$?" 0 "... the service stays alive"
mail b3 "Spet prosto" "Olga Oblak <olga@example.si>"
client "$T/b3.eml" -f olga@example.si
is "$RC" 0 "... and stores the next delivery once the clients left"

# ---- 5. SIGTERM under load
for i in $(seq 20); do mail "g$i" "Obremenitev $i" "Pia Pirc <pia$i@example.si>"; done
# A lock held for a moment keeps both workers inside a delivery and the
# other sessions waiting in the master's queue when SIGTERM comes.
PGAPPNAME=locker "$PG_BIN/psql" -X -q -c "BEGIN" -c "LOCK TABLE tickets IN ACCESS EXCLUSIVE MODE" \
	-c "SELECT pg_sleep(1.5)" -c "COMMIT" >/dev/null 2>&1 &
LOCKER=$!
wait_until 5 locked
for i in $(seq 20); do
	( "$DESKMAIL_DELIVER" --socket "$SOCK" --no-fallback -r support@example.org -f "pia$i@example.si" \
		<"$T/g$i.eml" >"$T/g$i.err" 2>&1; echo $? >"$T/g$i.rc" ) &
done
both_waiting() { [ "$(pg_sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'deskmail' AND wait_event_type = 'Lock'")" = 2 ]; }
wait_until 5 both_waiting
is "$?" 0 "SIGTERM under load: both workers inside a delivery, the other sessions queued"
kill -TERM "$SP"
t0=$(date +%s%N)
wait "$SP"
SERVE_RC=$?
ms=$((($(date +%s%N) - t0) / 1000000))
wait
LOCKER=
is "$SERVE_RC" 0 "SIGTERM under load: exit 0"
ok "$([ "$ms" -le 10000 ]; echo $?)" "... within grace ($ms ms)"
n_ok=0 n_def=0 bad=""
for i in $(seq 20); do
	rc=$(cat "$T/g$i.rc")
	n=$(stored "g$i@example.si")
	case "$rc/$n" in
	0/1) n_ok=$((n_ok + 1)) ;;
	75/0) n_def=$((n_def + 1)) ;;
	*) bad="$bad g$i:rc=$rc,stored=$n" ;;
	esac
done
is "$bad" "" "... every client got 0 (stored once) or 75 (nothing stored)"
diag "$n_ok stored, $n_def deferred: $(cat "$T"/g*.err | sort | uniq -c | tr '\n' ';')"
ok "$([ "$n_ok" -ge 1 ] && [ "$n_def" -ge 1 ]; echo $?)" "... the stop came in the middle (some of each)"

# ---- 6c. the peer check, on the restarted service
serve_config "idle_timeout = 30s
allowed_users = daemon"
serve_start
for i in $(seq 20); do
	[ "$(cat "$T/g$i.rc")" = 75 ] || continue
	client "$T/g$i.eml" -f "pia$i@example.si"
	[ "$RC" = 0 ] || bad="$bad g$i:redelivery=$RC"
done
is "$bad" "" "after the restart every deferred message is redelivered"
is "$(dm_count "messages WHERE message_id LIKE 'g%@example.si'")" 20 "... all 20 stored"
is "$(pg_sql "SELECT count(*) FROM (SELECT message_id FROM messages WHERE message_id LIKE 'g%@example.si' GROUP BY 1 HAVING count(*) > 1) t")" 0 \
	"... each exactly once"

mark=$(wc -l <"$T/serve.log")
if [ "$(id -u)" = 0 ]; then
	# Root is always let through; the client runs as nobody.
	cp "$TOP_SRCDIR/tests/lmtp-talk" "$T/lmtp-talk"
	chmod 755 "$T/lmtp-talk"
	py=$(command -v python3)
	runuser -u nobody -- "$py" -c pass 2>/dev/null || py=/usr/bin/python3
	R=$(runuser -u nobody -- "$py" "$T/lmtp-talk" "$SOCK" <<<'drain' 2>&1)
	like "$(printf '%s\n' "$R" | head -1)" '^421 4\.7\.0 ' "allowed_users without the client's user (nobody): 421 4.7.0"
	is "$(printf '%s\n' "$R" | tail -1)" "[closed]" "... and closed"
	like "$(tail -n +"$((mark + 1))" "$T/serve.log")" 'refused a session from nobody' "... with a log line"
	R=$(talk "$SOCK" <<<'expect 1')
	like "$R" '^220 ' "... while root is still let through"
else
	# The service's own user is always let through, whatever the list.
	R=$(talk "$SOCK" <<<'expect 1')
	like "$R" '^220 ' "allowed_users without the service's own user: it is let through"
	is "$(tail -n +"$((mark + 1))" "$T/serve.log" | grep -c 'refused a session')" 0 "... no refusal logged"
fi
# SIGTERM ends a session that waits for its client at once, with 421.
python3 "$LMTP_TALK" -t 20 "$SOCK" >"$T/z.out" <<<$'expect 1\nsend LHLO zadnji\nexpect 1\ndrain' &
Z=$!
wait_until 5 grep -q '^250 ' "$T/z.out"
t0=$(date +%s%N)
serve_stop
ms=$((($(date +%s%N) - t0) / 1000000))
wait "$Z"
is "$SERVE_RC" 0 "SIGTERM with a session waiting for its client: exit 0"
ok "$([ "$ms" -le 3000 ]; echo $?)" "... at once, not after idle_timeout or grace ($ms ms)"
like "$(tail -2 "$T/z.out" | head -1)" '^421 4\.3\.2 ' "... the session ends with 421 4.3.2"
is "$(tail -1 "$T/z.out")" "[closed]" "... and is closed"

# The log: no process died but those the test killed, no sanitizer
# report, no GLib warning.
is "$(grep -c 'killed by signal' "$T/serve.log")" 2 "the log: only the two workers the test killed died by a signal"
is "$(grep -E -c 'AddressSanitizer|runtime error|CRITICAL|WARNING|assertion' "$T/serve.log")" 0 \
	"... no sanitizer report, critical or assertion"

tap_done
