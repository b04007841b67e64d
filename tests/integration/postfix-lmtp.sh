#!/bin/bash
# postfix-lmtp.sh - the real Postfix (a private instance, see
# tests/postfix-harness.sh) delivering to the resident `deskmail serve`:
# over LMTP (the deskmail-lmtp service of etc/postfix/master.cf.deskmail,
# whose lmtp(8) client runs as the user postfix) and through the pipe
# client deskmail-deliver.  Mail sent over SMTP is stored once and
# acknowledged once; with PostgreSQL stopped Postfix defers and, after the
# restart and a flush, every mail is stored exactly once by the same
# service (never restarted); a worker killed during a delivery makes
# Postfix defer and redeliver, stored once.
# This test starts its own services: dm_setup must not start one.
DM_FRONT_END=deliver
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$TOP_SRCDIR/tests/postfix-harness.sh"

if ! why=$(pf_available); then
	echo "1..0 # SKIP $why"
	exit 0
fi
if ! command -v setpriv >/dev/null 2>&1; then
	echo "1..0 # SKIP setpriv(1) is missing (apt-get install util-linux)"
	exit 0
fi

DM_ACK_EXTRA="rate_limit = 1000"
dm_setup
SERVE_PID=
LOCKER=
stop_locker() {
	[ -n "$LOCKER" ] || return 0
	pg_sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'dm-locker'" \
		>/dev/null 2>&1
	wait "$LOCKER" 2>/dev/null
	LOCKER=
}
serve_stop() {
	[ -n "$SERVE_PID" ] || return 0
	kill -TERM "$SERVE_PID" 2>/dev/null
	wait "$SERVE_PID" 2>/dev/null
	SERVE_RC=$?
	SERVE_PID=
}
trap 'stop_locker; serve_stop; pf_stop; dm_cleanup' EXIT
pf_start || bail "cannot start the private Postfix instance"
# Its directory belongs to the service's user, as /run/deskmail does.
mkdir -p "$T/run"
chown "$PF_USER" "$T/run"
chmod 755 "$T/run"
SOCK=$T/run/lmtp
pf_add_lmtp_services "$SOCK"

# The service runs as $PF_USER, the user the pipe runs deskmail as in the
# harness (it reads the secret and reaches the server).  The socket is
# mode 0660 as deskmail.socket makes it, but with $PF_USER's group: the
# lmtp client (user postfix) gets in through allowed_users only if the
# file lets it, so the file is 0666 here and allowed_users does the check.
cat >>"$DESKMAIL_CONFIG" <<CONF

[server]
listen = unix:$SOCK
socket_mode = 0666
allowed_users = postfix
workers = 4
tick_interval = 2s
grace = 10s
CONF
serve_start() {
	setpriv --reuid="$(id -u "$PF_USER")" --regid="$(id -g "$PF_USER")" --init-groups -- \
		"$DESKMAIL" --config "$DESKMAIL_CONFIG" serve >>"$T/serve.log" 2>&1 &
	SERVE_PID=$!
	local i
	for i in $(seq 100); do
		[ -S "$SOCK" ] && grep -q 'serve: generation 1 listening' "$T/serve.log" && return 0
		sleep 0.1
	done
	return 1
}
serve_start || { sed 's/^/# /' "$T/serve.log"; bail "deskmail serve did not start"; }
ok 0 "deskmail serve listens on $SOCK as $PF_USER"
diag "Postfix: config $PF_DIR, SMTP 127.0.0.1:$PF_PORT; deskmail serve pid $SERVE_PID"

# wait_deferred N SECONDS: N deferred; REASONS = "DSN REASON" of each.
wait_deferred() {
	pf_wait_deferred "$1" "$2"
	local rc=$?
	REASONS=$(pf_deferred_reasons)
	return $rc
}
customer() { # customer MESSAGE-ID SUBJECT ADDRESS NAME
	dm_mail "$1" "$2" "$4 <$3>"
}
# stored_once LIKE-PATTERN: "count distinct-message-ids distinct-tickets"
stored() {
	pg_sql "SELECT count(*) || ' ' || count(DISTINCT message_id) || ' ' || count(DISTINCT ticket_id) FROM messages WHERE message_id LIKE '$1'"
}
workers() { # the service's worker and sender processes
	pgrep -P "$SERVE_PID" | sort
}

# ---- LMTP: Postfix's lmtp(8) to deskmail serve --------------------------
pf_route "deskmail-lmtp:unix:$SOCK"
customer la1@example.si "Tiskalnik ne tiska" lana@example.si "Lana Lah" >"$T/la1.eml"
OUT=$(pf_smtp lana@example.si support@example.org <"$T/la1.eml")
like "$OUT" '^250 ' "lmtp: the mail is accepted over SMTP"
pf_wait_queue 0 20
ok $? "lmtp: ... and leaves Postfix's queue"
like "$(pf_wait_log 'to=<support@example.org>' 'status=' 10)" 'postfix-test/lmtp\[.*relay=[^ ]*lmtp.*dsn=2\.0\.0, status=sent \(250 2\.0\.0' \
	"lmtp: Postfix's lmtp client delivered it to the service (250 2.0.0)"
is "$(stored la1@example.si)" "1 1 1" "lmtp: stored once, on one ticket"
like "$(cat "$T/serve.log")" 'action=new .*message_id=<la1@example\.si>' "lmtp: ... by the service (its log)"
pf_wait_mail lana@example.si 1 20
ok $? "lmtp: the acknowledgement reaches the customer (sent by the service)"
# The same mail again (an MTA retry after a lost reply): once.
pf_smtp lana@example.si support@example.org <"$T/la1.eml" >/dev/null
pf_wait_queue 0 20
is "$(stored la1@example.si)" "1 1 1" "lmtp: the same mail again: still stored once"
sleep 1
is "$(pf_count_to lana@example.si)" 1 "lmtp: ... and acknowledged once"
# The plus address of a reply key reaches the service whole.
TL=$(pg_sql "SELECT ticket_id FROM messages WHERE message_id = 'la1@example.si'")
R=$(pf_mails_to lana@example.si | tail -1)
KEY=$(dm_header "$R" Reply-To | sed 's/.*<\(.*\)>.*/\1/')
{
	echo "In-Reply-To: $(dm_header "$R" Message-ID)"
	customer la2@example.si "Re: [Support #$TL] Tiskalnik ne tiska" lana@example.si "Lana Lah"
} | pf_smtp lana@example.si "$KEY" >/dev/null
pf_wait_queue 0 20
is "$(pg_sql "SELECT threaded_by || ' ' || ticket_id FROM messages WHERE message_id = 'la2@example.si'")" "reply-key $TL" \
	"lmtp: support+KEY@ reaches the service with its key (RCPT TO), threaded by it"

# A user not in allowed_users who can open the socket gets 421 4.7.0
# before the greeting (deskmail-deliver would then fall back to
# `deskmail deliver`, which reads the secret such a user cannot).
OUT=$(setpriv --reuid="$(id -u daemon)" --regid="$(id -g daemon)" --init-groups -- \
	"$T/pf-share/deskmail-deliver" --no-fallback --socket "$SOCK" --recipient support@example.org \
	--sender x@example.si <"$T/la1.eml" 2>&1)
is "$?" 75 "lmtp: a user not in allowed_users is refused (deskmail-deliver --no-fallback: 75)"
like "$(cat "$T/serve.log")" 'serve: refused a session from daemon\(uid [0-9]+ pid [0-9]+\): not in \[server\] allowed_users' \
	"lmtp: ... and the service logs who it refused"

# PostgreSQL down: the service answers 451, Postfix defers; after the
# restart and a flush, everything is stored exactly once by the same
# service, without restarting it.
BEFORE=$(workers)
pg_stop fast
for i in 1 2 3; do
	customer "lc$i@example.si" "Baza ne dela $i" "lc$i@example.si" "Cene $i" |
		pf_smtp "lc$i@example.si" support@example.org >/dev/null
done
wait_deferred 3 30
ok $? "lmtp: database down: Postfix defers all 3"
is "$(grep -c '^4\.3\.0 .*deskmail: database unavailable' <<<"$REASONS")" 3 "lmtp: ... each with the service's 451 4.3.0 reason"
[ "$(grep -c '^4\.3\.0 .*deskmail: database unavailable' <<<"$REASONS")" = 3 ] || diag "reasons: $REASONS"
like "$(pf_wait_log 'to=<support@example.org>' 'status=deferred' 5)" 'said: 451 4\.3\.0 deskmail: database unavailable' \
	"lmtp: the log has the LMTP reply"
pg_restart || bail "cannot restart PostgreSQL"
pf_flush
pf_wait_queue 0 30
ok $? "lmtp: after the restart, postqueue -f empties the queue"
is "$(stored 'lc_@example.si')" "3 3 3" "lmtp: 3 sent, 3 stored once each, on 3 tickets"
for i in 1 2 3; do pf_wait_mail "lc$i@example.si" 1 20; done
n=0
for i in 1 2 3; do n=$((n + $(pf_count_to "lc$i@example.si"))); done
is "$n" 3 "lmtp: one acknowledgement to each"
kill -0 "$SERVE_PID" 2>/dev/null
ok $? "lmtp: the same service did it (never restarted)"
is "$(workers)" "$BEFORE" "lmtp: ... with the same workers (their connections came back by themselves)"

# A worker killed with SIGKILL during a delivery: another session holds
# tickets, the delivery waits inside its transaction.
start_locker() {
	PGAPPNAME=dm-locker "$PG_BIN/psql" -X -q \
		-c "BEGIN; LOCK TABLE tickets IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(120);" >/dev/null 2>&1 &
	LOCKER=$!
	local i
	for i in $(seq 100); do
		[ "$(pg_sql "SELECT count(*) FROM pg_locks WHERE relation = 'tickets'::regclass AND mode = 'AccessExclusiveLock' AND granted")" = 1 ] &&
			return 0
		sleep 0.1
	done
	return 1
}
waiting() { # deskmail sessions waiting for a lock
	pg_sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'deskmail' AND wait_event_type = 'Lock'"
}
wait_waiting() { # wait_waiting N SECONDS
	local i
	for i in $(seq $(($2 * 10))); do
		[ "$(waiting)" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
# The worker holding an LMTP session: the process, other than the master,
# with a socket whose local address is $SOCK.
session_worker() {
	ss -Hxp 2>/dev/null | awk -v s="$SOCK" '$5 == s' | grep -o 'pid=[0-9]*' | cut -d= -f2 |
		grep -vx "$SERVE_PID" | sort -u
}
start_locker || bail "the locker did not get its lock"
customer lk1@example.si "Ubit delavec" kaja@example.si "Kaja Kos" |
	pf_smtp kaja@example.si support@example.org >/dev/null
wait_waiting 1 20
ok $? "lmtp: the delivery waits inside its transaction"
W=$(session_worker)
like "$W" '^[0-9]+$' "lmtp: one worker holds the session"
[ -n "$W" ] && kill -KILL $W
wait_deferred 1 20
ok $? "lmtp: worker killed: Postfix defers"
like "$(pf_wait_log 'to=<support@example.org>' 'status=deferred' 5)" 'lost connection|Connection reset|closed' \
	"lmtp: ... because the connection was lost"
stop_locker
wait_waiting 0 20
is "$(stored lk1@example.si)" "0 0 0" "lmtp: nothing stored by the killed delivery"
like "$(cat "$T/serve.log")" "serve: worker $W killed by signal 9" "lmtp: the master logs the killed worker"
pf_flush
pf_wait_queue 0 30
ok $? "lmtp: the flush redelivers it (a new worker took the killed one's place)"
is "$(stored lk1@example.si)" "1 1 1" "lmtp: stored once"
is "$(dm_count "tickets WHERE subject = 'Ubit delavec'")" 1 "lmtp: one ticket"
pf_wait_mail kaja@example.si 1 20
sleep 1
is "$(pf_count_to kaja@example.si)" 1 "lmtp: one acknowledgement"

# ---- the pipe through deskmail-deliver to the same service ---------------
pf_route deskmail-client:
customer pp1@example.si "Cevovod" pia@example.si "Pia Pirc" |
	pf_smtp pia@example.si support@example.org >/dev/null
pf_wait_queue 0 20
ok $? "pipe: delivered"
like "$(pf_wait_log 'to=<support@example.org>' 'status=' 10)" 'relay=deskmail-client, .*status=sent' \
	"pipe: through the deskmail-client pipe (deskmail-deliver, no fallback)"
is "$(stored pp1@example.si)" "1 1 1" "pipe: stored once"
like "$(cat "$T/serve.log")" 'action=new .*message_id=<pp1@example\.si>' "pipe: ... by the service"
pf_wait_mail pia@example.si 1 20
sleep 1
is "$(pf_count_to pia@example.si)" 1 "pipe: acknowledged once"
pg_stop fast
for i in 1 2; do
	customer "pq$i@example.si" "Cevovod brez baze $i" "pq$i@example.si" "Pavel $i" |
		pf_smtp "pq$i@example.si" support@example.org >/dev/null
done
wait_deferred 2 30
ok $? "pipe: database down: Postfix defers both"
is "$(grep -c '^4\.3\.0 deskmail: database unavailable' <<<"$REASONS")" 2 "pipe: ... with the service's 4.3.0 reason (deskmail-deliver exits 75)"
pg_restart || bail "cannot restart PostgreSQL"
pf_flush
pf_wait_queue 0 30
ok $? "pipe: the flush after the restart delivers both"
is "$(stored 'pq_@example.si')" "2 2 2" "pipe: stored once each"

# ---- nothing else went wrong
is "$(dm_count "tickets t WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t.id)")" 0 \
	"no ticket without its message"
is "$(pg_sql "SELECT count(*) - count(DISTINCT message_id) FROM messages WHERE direction = 'in'")" 0 \
	"no message stored twice"
is "$(grep -c 'status=bounced' "$PF_LOG")" 0 "Postfix bounced nothing"
serve_stop
is "$SERVE_RC" 0 "deskmail serve stops on SIGTERM with 0"
[ ! -e "$SOCK" ]
ok $? "... and removes its socket"
pf_stop

tap_done
