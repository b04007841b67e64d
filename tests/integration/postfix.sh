#!/bin/bash
# postfix.sh - deskmail behind a real Postfix (a private instance, see
# tests/postfix-harness.sh): mail arrives over SMTP, Postfix's pipe(8) runs
# `deskmail deliver`, deskmail's mail leaves through Postfix's sendmail and
# lands in a Maildir.  Checks what only the whole chain shows: the
# acknowledgement as the customer receives it, the agent's round trip
# through a plus address, and that every failure deskmail reports as 75
# (or dies of) is deferred by Postfix and stored exactly once after the
# retry.
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$TOP_SRCDIR/tests/postfix-harness.sh"

if ! why=$(pf_available); then
	echo "1..0 # SKIP $why"
	exit 0
fi

sys_state() { # the system instance's directories, to prove we never touch them
	find /etc/postfix /var/spool/postfix /var/lib/postfix -printf '%p %m %u %g %s %T@\n' 2>/dev/null |
		sort | md5sum
}
SYS_BEFORE=$(sys_state)

DM_ACK_EXTRA="rate_limit = 1000"
DM_OUTGOING_EXTRA="retry_delay = 1s"
dm_setup
LOCKER=
stop_locker() {
	[ -n "$LOCKER" ] || return 0
	pg_sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'dm-locker'" \
		>/dev/null 2>&1
	wait "$LOCKER" 2>/dev/null
	LOCKER=
}
trap 'stop_locker; pf_stop; dm_cleanup' EXIT
pf_start || bail "cannot start the private Postfix instance"
diag "Postfix: config $PF_DIR, SMTP 127.0.0.1:$PF_PORT, pipe user $PF_USER"

# --- the instance itself
like "$(pf_postconf -h queue_directory)" "^$T/" "the instance's queue is under the test's temp dir"
L=$(pf_listening)
is "$L" "127.0.0.1:$PF_PORT" "the instance listens on 127.0.0.1:$PF_PORT and nowhere else"
is "$(pf_postconf -h recipient_delimiter) $(pf_postconf -h deskmail_destination_recipient_limit)" "+ 1" \
	"recipient_delimiter = +, one recipient per deskmail delivery"

# wait_deferred N SECONDS: wait for N deferred messages; REASONS gets
# "DSN REASON" of each, one a line.
wait_deferred() {
	pf_wait_deferred "$1" "$2"
	local rc=$?
	REASONS=$(pf_deferred_reasons)
	return $rc
}
# customer MESSAGE-ID SUBJECT ADDRESS NAME: a customer's mail
customer() {
	dm_mail "$1" "$2" "$4 <$3>"
}
smtp_ok() { # smtp_ok DESCRIPTION SENDER RECIPIENT <MAIL
	local out
	out=$(pf_smtp "$2" "$3")
	like "$out" '^250 ' "$1"
}

# --- (a) a new ticket over SMTP; the acknowledgement as the customer gets it
customer pa1@example.si "Tiskalnik v čitalnici ne tiska" ana@example.si "Ana Novak" >"$T/a.eml"
pf_smtp ana@example.si support@example.org <"$T/a.eml" >/dev/null
pf_wait_mail ana@example.si 1 30
ok $? "(a) the acknowledgement reaches the customer's Maildir"
pf_wait_queue 0 10
ok $? "(a) the queue is empty: delivered to deskmail"
like "$(pf_wait_log 'to=<support@example.org>' 'status=' 10)" 'relay=deskmail, .*status=sent' \
	"(a) Postfix handed support@example.org to the deskmail pipe"
J=$("$DESKMAIL" export)
is "$(jq -s length <<<"$J")" 1 "(a) one ticket"
TA=$(jq -r '.id' <<<"$J")
is "$(jq -r '.subject + " | " + .requester + " | " + .ack' <<<"$J")" \
	"Tiskalnik v čitalnici ne tiska | ana@example.si | sent" "(a) subject, requester, ack sent"
is "$(jq -r '[.messages[] | .message_id + " " + .direction] | join(",")' <<<"$J")" \
	"pa1@example.si in,$(jq -r '.messages[1].message_id' <<<"$J") out" "(a) the mail and the ack are stored"
A=$(pf_mails_to ana@example.si)
is "$(dm_header "$A" From)" "Example Service Desk <support@example.org>" "(a) ack: From the support address"
is "$(dm_header "$A" To)" "Ana Novak <ana@example.si>" "(a) ack: To the customer"
like "$(dm_header "$A" Subject)" "\\[Support #$TA\\].*Tiskalnik v čitalnici ne tiska" "(a) ack: Subject with the tag"
is "$(dm_header "$A" Auto-Submitted)" auto-replied "(a) ack: Auto-Submitted: auto-replied"
is "$(dm_header "$A" In-Reply-To)" "<pa1@example.si>" "(a) ack: In-Reply-To the customer's Message-ID"
is "$(dm_header "$A" Return-Path)" "<>" "(a) ack: Return-Path <> (null envelope sender)"
like "$(dm_header "$A" Reply-To)" "support\\+t$TA-[0-9a-f]{20}@example\\.org" "(a) ack: Reply-To the signed reply address"
is "$(dm_header "$A" Message-ID)" "<$(jq -r '.messages[1].message_id' <<<"$J")>" "(a) ack: the Message-ID deskmail stored"
like "$(dm_body "$A")" "\\[Support #$TA\\]" "(a) ack: the text names the ticket's tag"
# The same mail again (an MTA retry after a lost reply): stored and acknowledged once.
pf_smtp ana@example.si support@example.org <"$T/a.eml" >/dev/null
pf_wait_queue 0 20
is "$(dm_count "messages WHERE message_id = 'pa1@example.si'")" 1 "(a) the same mail again: stored once"
sleep 1
is "$(pf_count_to ana@example.si)" 1 "(a) ... and acknowledged once"

# --- (b) an agent's round trip: notification, reply by SMTP to the
# notification's plus address, relayed to the customer
"$DESKMAIL" agent add agent@example.org --name "Mojca Zupan" --team first-line >/dev/null
is "$?" 0 "(b) agent add"
# A question the shipped topics give to first-line (login-password), so
# that the agent is notified.
cat >"$T/b.eml" <<'MAIL'
From: Bor Kos <bor@example.si>
To: support@example.org
Subject: Pozabljeno geslo
Date: Mon, 23 Nov 2026 09:20:00 +0100
Message-ID: <pb1@example.si>
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Pozdravljeni,

pozabil sem geslo in se ne morem prijaviti v spletno knjižnico.

Bor
MAIL
pf_smtp bor@example.si support@example.org <"$T/b.eml" >/dev/null
pf_wait_queue 0 30
TB=$(pg_sql "SELECT ticket_id FROM messages WHERE message_id = 'pb1@example.si'")
is "$(pg_sql "SELECT tm.name FROM tickets t JOIN teams tm ON tm.id = t.team_id WHERE t.id = ${TB:-0}")" first-line \
	"(b) the ticket is first-line's (the agent's team)"
pf_wait_mail agent@example.org 1 30
ok $? "(b) the agent's notification reaches the Maildir"
N=$(pf_mails_to agent@example.org | tail -1)
KEY=$(dm_header "$N" Reply-To | sed 's/.*<\(.*\)>.*/\1/')
like "$KEY" "^support\\+t${TB}a[0-9]+-[0-9a-f]{20}@example\\.org\$" "(b) notification: Reply-To the agent's plus address"
like "$(dm_header "$N" Subject)" "^\\[Support #$TB\\] Pozabljeno geslo" "(b) notification: Subject with the tag"
pf_wait_mail bor@example.si 1 30
cat >"$T/r.eml" <<MAIL
From: Mojca Zupan <agent@example.org>
To: Example Service Desk <$KEY>
Subject: Re: [Support #$TB] Pozabljeno geslo
Message-ID: <rb1@example.org>
In-Reply-To: $(dm_header "$N" Message-ID)
Date: Mon, 23 Nov 2026 10:00:00 +0100
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Pozdravljeni,

geslo smo ponastavili, navodila ste prejeli po pošti.

Mojca

On 23/11/2026 09:20, Example Service Desk wrote:
> ##- Odgovorite nad to črto / Reply above this line -##
MAIL
OUT=$(pf_smtp agent@example.org "$KEY" <"$T/r.eml")
like "$OUT" '^250 ' "(b) the agent's reply is accepted for the plus address"
pf_wait_mail bor@example.si 2 30
ok $? "(b) the relayed reply reaches the customer's Maildir"
like "$(pf_wait_log "to=<$KEY>" 'status=' 10)" 'relay=deskmail, .*status=sent' \
	"(b) Postfix routed support+KEY to deskmail (recipient_delimiter)"
is "$(pf_count_to "$KEY")" 0 "(b) ... and not to the Maildir"
is "$(pg_sql "SELECT kind || ' ' || threaded_by || ' ' || ticket_id FROM messages WHERE message_id = 'rb1@example.org'")" \
	"agent reply-key $TB" "(b) stored on the ticket as the agent's reply, by the reply key"
R=$(pf_mails_to bor@example.si | tail -1)
is "$(dm_body "$R")" "$(printf 'Pozdravljeni,\n\ngeslo smo ponastavili, navodila ste prejeli po pošti.\n\nMojca')" \
	"(b) relayed: the agent's text, without the quote"
is "$(dm_header "$R" From)" "Example Service Desk <support@example.org>" "(b) relayed: From the support address"
is "$(dm_header "$R" To)" "Bor Kos <bor@example.si>" "(b) relayed: To the customer"
is "$(dm_header "$R" In-Reply-To)" "<pb1@example.si>" "(b) relayed: In-Reply-To the customer's mail"
is "$(dm_header "$R" Return-Path)" "<support@example.org>" "(b) relayed: envelope sender is the desk"
is "$(pf_count_to bor@example.si)" 2 "(b) the customer got the ack and the reply, nothing else"

# --- (c) PostgreSQL down: 75, Postfix defers; after the restart and a
# flush every message is stored exactly once
pg_stop fast
for i in 1 2 3 4 5; do
	customer "pc$i@example.si" "Baza ne dela $i" "c$i@example.si" "Cene $i" |
		pf_smtp "c$i@example.si" support@example.org >/dev/null
done
wait_deferred 5 60
ok $? "(c) database down: Postfix defers all 5"
is "$(grep -c '^4\.3\.0 deskmail: database unavailable' <<<"$REASONS")" 5 \
	"(c) each with deskmail's 4.3.0 reason"
pg_restart || bail "cannot restart PostgreSQL"
is "$(dm_count "messages WHERE message_id LIKE 'pc_@example.si'")" 0 "(c) nothing stored while the database was down"
pf_flush
pf_wait_queue 0 60
ok $? "(c) after the restart, postqueue -f empties the queue"
is "$(pg_sql "SELECT count(*) || ' ' || count(DISTINCT message_id) || ' ' || count(DISTINCT ticket_id) FROM messages WHERE message_id LIKE 'pc_@example.si'")" \
	"5 5 5" "(c) 5 sent, 5 stored, once each, on 5 tickets"
for i in 1 2 3 4 5; do pf_wait_mail "c$i@example.si" 1 20; done
n=0
for i in 1 2 3 4 5; do n=$((n + $(pf_count_to "c$i@example.si"))); done
is "$n" 5 "(c) one acknowledgement to each"

# Block deliver inside its transaction: another session holds tickets.
DM_DB_EXTRA="lock_timeout = 0
statement_timeout = 0"
pf_write_config
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
# wait_blocked SECONDS: until a deskmail session waits for a lock.
wait_blocked() {
	local i
	for i in $(seq $(($1 * 10))); do
		[ "$(pg_sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'deskmail' AND wait_event_type = 'Lock'")" = 1 ] &&
			return 0
		sleep 0.1
	done
	return 1
}
# wait_no_deskmail SECONDS: until no deskmail session is left.
wait_no_deskmail() {
	local i
	for i in $(seq $(($1 * 10))); do
		[ "$(pg_sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'deskmail'")" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}
half_stored() { # tickets without a message: must never exist
	dm_count "tickets t WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t.id)"
}

# --- (d) deliver killed with SIGKILL inside its transaction
start_locker || bail "the locker did not get its lock"
customer pd1@example.si "Ubit med prenosom" dora@example.si "Dora Dolenc" |
	pf_smtp dora@example.si support@example.org >/dev/null
wait_blocked 30
ok $? "(d) deliver is blocked inside its transaction"
pid=$(pgrep -u "$PF_USER" -f -- "$DESKMAIL --config $DESKMAIL_CONFIG deliver")
like "$pid" '^[0-9]+$' "(d) one deliver process to kill"
[ -n "$pid" ] && kill -KILL $pid
wait_deferred 1 30
ok $? "(d) killed by SIGKILL: Postfix defers"
like "$REASONS" '^4\.3\.0 Command died with signal 9' "(d) ... because the command died of signal 9"
stop_locker
wait_no_deskmail 30
is "$(dm_count "messages WHERE message_id = 'pd1@example.si'")" 0 "(d) nothing stored by the killed delivery"
is "$(half_stored)" 0 "(d) no ticket without its message"
pf_flush
pf_wait_queue 0 60
ok $? "(d) the flush redelivers it"
is "$(dm_count "messages WHERE message_id = 'pd1@example.si'")" 1 "(d) stored once"
is "$(dm_count "tickets WHERE subject = 'Ubit med prenosom'")" 1 "(d) one ticket"
pf_wait_mail dora@example.si 1 20
sleep 1
is "$(pf_count_to dora@example.si)" 1 "(d) one acknowledgement"

# --- (f) the database connection dropped mid-transaction
start_locker || bail "the locker did not get its lock"
customer pf1@example.si "Povezava prekinjena" fran@example.si "Fran Furlan" |
	pf_smtp fran@example.si support@example.org >/dev/null
wait_blocked 30
ok $? "(f) deliver is blocked inside its transaction"
is "$(pg_sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'deskmail'")" 1 \
	"(f) its backend is terminated"
wait_deferred 1 30
ok $? "(f) connection lost: exit 75, Postfix defers"
like "$REASONS" '^4\.3\.0 deskmail: database error, will retry' "(f) ... with deskmail's 4.3.0 reason"
stop_locker
is "$(dm_count "messages WHERE message_id = 'pf1@example.si'")" 0 "(f) nothing stored"
is "$(half_stored)" 0 "(f) no ticket without its message"
pf_flush
pf_wait_queue 0 60
ok $? "(f) the flush redelivers it"
is "$(dm_count "messages WHERE message_id = 'pf1@example.si'")" 1 "(f) stored once"
is "$(dm_count "tickets WHERE subject = 'Povezava prekinjena'")" 1 "(f) one ticket"
pf_wait_mail fran@example.si 1 20
sleep 1
is "$(pf_count_to fran@example.si)" 1 "(f) one acknowledgement"

# --- (e) sendmail failing: the mail is stored, the ack waits in the outbox
DM_DB_EXTRA=
pf_write_config
cat >"$T/failing-sendmail" <<'EOF'
#!/bin/sh
cat >/dev/null
echo "failing-sendmail: queue full" >&2
exit 75
EOF
chmod 755 "$T/failing-sendmail"
pf_use_sendmail "$T/failing-sendmail"
customer pe1@example.si "Sendmail ne dela" eva@example.si "Eva Erjavec" |
	pf_smtp eva@example.si support@example.org >/dev/null
pf_wait_queue 0 30
ok $? "(e) sendmail failing: deliver still succeeds (nothing deferred)"
is "$(dm_count "messages WHERE message_id = 'pe1@example.si'")" 1 "(e) the customer's mail is stored"
TE=$(pg_sql "SELECT ticket_id FROM messages WHERE message_id = 'pe1@example.si'")
is "$(pg_sql "SELECT status || ' ' || attempts FROM outbox WHERE ticket_id = $TE AND kind = 'ack'")" "queued 1" \
	"(e) the ack is queued in the outbox after one attempt"
like "$(pg_sql "SELECT last_error FROM outbox WHERE ticket_id = $TE AND kind = 'ack'")" 'exited 75: failing-sendmail: queue full' \
	"(e) ... with sendmail's error"
is "$(pf_count_to eva@example.si)" 0 "(e) no ack reached the customer"
pf_use_sendmail "$PF_SENDMAIL"
for i in $(seq 50); do
	[ "$(pg_sql "SELECT count(*) FROM outbox WHERE ticket_id = $TE AND next_attempt_at <= now()")" = 1 ] && break
	sleep 0.1
done
OUT=$("$DESKMAIL" outbox flush 2>&1)
is "$?" 0 "(e) outbox flush with sendmail restored"
"$DESKMAIL" outbox flush >/dev/null 2>&1
is "$(pg_sql "SELECT status || ' ' || attempts FROM outbox WHERE ticket_id = $TE AND kind = 'ack'")" "sent 2" \
	"(e) the row is sent, on the second attempt"
pf_wait_mail eva@example.si 1 30
sleep 1
is "$(pf_count_to eva@example.si)" 1 "(e) the ack reaches the customer, once"
like "$(dm_header "$(pf_mails_to eva@example.si)" Subject)" "^\\[Support #$TE\\]" "(e) ... and it is the ack"

# --- (g) the null envelope sender reaches deskmail as such (pipe(8)
# null_sender=): stored, never answered
cat >"$T/g.eml" <<'MAIL'
From: Nika Novak <nika@example.si>
To: support@example.org
Subject: Samodejni odgovor
Message-ID: <pg1@example.si>
Content-Type: text/plain; charset=utf-8

Sem na dopustu do ponedeljka.
MAIL
OUT=$(pf_smtp "" support@example.org <"$T/g.eml")
like "$OUT" '^250 ' "(g) mail from the null sender is accepted"
pf_wait_queue 0 30
ok $? "(g) ... and delivered to deskmail"
TG=$(pg_sql "SELECT ticket_id FROM messages WHERE message_id = 'pg1@example.si'")
is "$("$DESKMAIL" export --ticket "$TG" | jq -r .ack)" "suppressed: null-sender" "(g) no ack: the envelope sender was <>"
sleep 1
is "$(pf_count_to nika@example.si)" 0 "(g) nothing sent to the From address"

# --- (h) mail that can never be stored (65): Postfix bounces it, quoting
# deskmail's line
DM_DELIVER_EXTRA="max_message_size = 2K"
pf_write_config
{ customer ph1@example.si "Prevelika priponka" zoe@example.si "Zoja Zorko"; head -c 3000 /dev/zero | tr '\0' x; echo; } |
	pf_smtp zoe@example.si support@example.org >/dev/null
pf_wait_mail zoe@example.si 1 30
ok $? "(h) too large: a bounce reaches the sender"
pf_wait_queue 0 10
like "$(pf_wait_log 'to=<support@example.org>' 'status=bounced' 10)" \
	'dsn=5\.3\.4, status=bounced \(deskmail: message too large \(limit 2048 bytes\)' \
	"(h) Postfix bounced it with deskmail's 5.3.4 and its text"
B=$(pf_mails_to zoe@example.si)
is "$(dm_header "$B" Return-Path)" "<>" "(h) the bounce comes from the null sender"
like "$(grep -i '^Diagnostic-Code:' "$B")" 'deskmail: message too large' "(h) the bounce quotes deskmail's line"
is "$(dm_count "messages WHERE message_id = 'ph1@example.si'")" 0 "(h) nothing stored"
DM_DELIVER_EXTRA=
pf_write_config

# --- nothing else went wrong
is "$(half_stored)" 0 "no ticket without its message"
is "$(pg_sql "SELECT count(*) - count(DISTINCT message_id) FROM messages WHERE direction = 'in'")" 0 \
	"no message stored twice"
is "$(pf_queue_count)" 0 "nothing left in Postfix's queue"
is "$(grep -c 'status=bounced' "$PF_LOG")" 1 "Postfix bounced nothing but the oversize mail"
is "$(pf_listening)" "127.0.0.1:$PF_PORT" "still listening on 127.0.0.1 only"
pf_stop
is "$(sys_state)" "$SYS_BEFORE" "the system's /etc/postfix, /var/spool/postfix, /var/lib/postfix are untouched"

tap_done
