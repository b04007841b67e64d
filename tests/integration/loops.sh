#!/bin/bash
# loops.sh - mail loops between two running desks and with an
# out-of-office robot: two `deskmail serve` instances (desk A on database
# deskmail, desk B on database deskb of the same PostgreSQL server) whose
# outboxes go to tests/loop-sendmail, a tiny MTA that delivers each mail
# to the other desk's service with deskmail-deliver and records every
# hand-over.  The loop must stop after at most one acknowledgement each
# way, within seconds, with the markers intact and also when a forwarder
# strips them; a robot that answers everything, without Auto-Submitted,
# gets at most [ack] rate_limit acknowledgements.
# This test starts its own services: dm_setup must not start one.
DM_FRONT_END=deliver
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
: "${DESKMAIL_DELIVER:=$TOP_BUILDDIR/deskmail-deliver}"
export DESKMAIL_DELIVER
dm_setup

export DM_LOOP_DIR=$T/loop
mkdir -p "$DM_LOOP_DIR"
: >"$DM_LOOP_DIR/handovers"
export DM_LOOP_ROUTES="a.example=$T/a.lmtp b.example=$T/b.lmtp"
export DM_LOOP_ROBOTS="robot@c.example robot2@c.example"
RATE=3
pg_sql "CREATE DATABASE deskb" >/dev/null || bail "cannot create the second database"

# desk_config NAME DATABASE: desk NAME (support@NAME.example) in
# $T/NAME.conf, listening on $T/NAME.lmtp; extra lines on stdin.
desk_config() {
	cat >"$T/$1.conf" <<CONF
[desk]
support_address = support@$1.example
support_name = Desk $1
hostname = desk-$1.example
topics = $TOP_SRCDIR/etc/topics.conf

[database]
conninfo = host=$PG_DIR port=$PGPORT user=deskmail dbname=$2
connect_timeout = 3

[threading]
secret_file = $T/secret

[ack]
templates = $TOP_SRCDIR/templates
rate_limit = $RATE
rate_period = 1h
$(cat)

[hours]
timezone = Europe/Ljubljana
opening = mon-fri 09:00-20:00
target = 24

[outgoing]
sendmail = $TOP_SRCDIR/tests/loop-sendmail

[log]
target = stderr

[server]
listen = unix:$T/$1.lmtp
socket_mode = 0666
workers = 2
CONF
}
desk_config a deskmail </dev/null
desk_config b deskb </dev/null
DESKMAIL_CONFIG=$T/b.conf "$DESKMAIL" db init >"$T/init-b.log" 2>&1 || bail "db init of desk B failed: $(cat "$T/init-b.log")"

SERVE_A= SERVE_B=
# desk_start NAME: its service in the background; its pid in SERVE_NAME.
desk_start() {
	DESKMAIL_CONFIG=$T/$1.conf "$DESKMAIL" serve >>"$T/$1.log" 2>&1 </dev/null &
	printf -v "SERVE_${1^^}" %s $!
	local i
	for i in $(seq 100); do
		[ -S "$T/$1.lmtp" ] && grep -q 'listening' "$T/$1.log" && return 0
		sleep 0.05
	done
	bail "desk $1 did not start: $(tail -5 "$T/$1.log")"
}
loops_cleanup() {
	local p
	for p in $SERVE_A $SERVE_B; do
		kill -TERM "$p" 2>/dev/null && wait "$p"
	done
	dm_cleanup
}
trap loops_cleanup EXIT
desk_start a
desk_start b

# SQL on desk A's / desk B's database.
sql_a() { PGDATABASE=deskmail pg_sql "$1"; }
sql_b() { PGDATABASE=deskb pg_sql "$1"; }

# Hand-overs so far (lines of the record matching a pattern).
handovers() { grep -c -E "${1:-.}" "$DM_LOOP_DIR/handovers"; }

# quiet: wait (at most 30 s) until nothing was handed over for 2 s and
# neither outbox holds a queued row; then LAST is the time of the last
# hand-over.
quiet() {
	local n end=$((SECONDS + 30))
	while [ "$SECONDS" -lt "$end" ]; do
		n=$(handovers)
		sleep 2
		[ "$(handovers)" = "$n" ] &&
			[ "$(sql_a "SELECT count(*) FROM outbox WHERE status = 'queued'")" = 0 ] &&
			[ "$(sql_b "SELECT count(*) FROM outbox WHERE status = 'queued'")" = 0 ] &&
			break
	done
	LAST=$(tail -1 "$DM_LOOP_DIR/handovers" | sed -n 's/.* t=//p')
}

# seconds START END: END - START, one decimal.
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
within() { awk -v s="$1" -v l="$2" 'BEGIN { exit !(s <= l) }'; }

# seed ID SOCKET RCPT FROM-ADDR FROM-NAME SUBJECT [HEADERS]: a customer
# mail handed to a desk as its MTA would; START is the time.
seed() {
	{
		printf 'From: %s <%s>\nTo: %s\nSubject: %s\nDate: Mon, 23 Nov 2026 09:15:00 +0100\n' "$5" "$4" "$3" "$6"
		printf 'Message-ID: <%s>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n%s\n' "$1" "${7:-}"
		printf 'Dober dan,\n\nto je prvo sporočilo.\n'
	} >"$T/$1.eml"
	START=$(date +%s.%N)
	"$DESKMAIL_DELIVER" --no-fallback --socket "$2" -r "$3" -f "$4" <"$T/$1.eml"
	SEED_RC=$?
}

# ---- 1. desk A's acknowledgement to desk B, markers intact
seed loop1@b.example "$T/a.lmtp" support@a.example support@b.example "Desk b" "Zanka ena"
is "$SEED_RC" 0 "markers intact: the seed mail to desk A, From desk B's address, is stored"
quiet
is "$(handovers '^mail from=<> to=<support@b\.example>')" 1 "... desk A acknowledges it to desk B once, with the null sender"
is "$(handovers 'to=<support@b\.example>.* auto=auto-replied rc=0')" 1 "... Auto-Submitted: auto-replied, and desk B took it (rc 0)"
is "$(handovers 'to=<[^>]*@a\.example>')" 0 "... desk B sends nothing back"
is "$(handovers)" 1 "... one hand-over in all: the loop stopped"
within "$(seconds "$START" "$LAST")" 5
is "$?" 0 "... within 5 s ($(seconds "$START" "$LAST") s from the seed to the last hand-over)"
is "$(sql_b "SELECT count(*) FROM messages WHERE direction = 'in'")" 1 "... desk B stored the acknowledgement"
is "$(sql_b "SELECT string_agg(DISTINCT detail, ',') FROM events WHERE kind = 'ack'")" loop \
	"... and suppressed its own: reason loop (X-Deskmail-Loop)"
P1=$(handovers)

# ---- 2. the same through a forwarder that strips the markers and the
# null sender: now only threading stops it (desk B acknowledges A's
# acknowledgement; desk A files B's as a follow-up of its own ticket).
touch "$DM_LOOP_DIR/STRIP"
seed loop2@b.example "$T/a.lmtp" support@a.example support@b.example "Desk b" "Zanka dva"
is "$SEED_RC" 0 "markers stripped: the seed mail to desk A is stored"
quiet
rm -f "$DM_LOOP_DIR/STRIP"
N2=$(($(handovers) - P1))
is "$(tail -n "$N2" "$DM_LOOP_DIR/handovers" | grep -c 'to=<support@b\.example>')" 1 "... desk A acknowledges once"
is "$(tail -n "$N2" "$DM_LOOP_DIR/handovers" | grep -c 'to=<[^>]*@a\.example>')" 1 "... desk B, which sees no marker, acknowledges that once"
is "$(tail -n "$N2" "$DM_LOOP_DIR/handovers" | grep -c -v 'auto=-')" 0 "... (the forwarder did strip Auto-Submitted)"
is "$N2" 2 "... two hand-overs in all: at most one acknowledgement each way"
within "$(seconds "$START" "$LAST")" 5
is "$?" 0 "... within 5 s ($(seconds "$START" "$LAST") s)"
is "$(sql_a "SELECT count(*) FROM tickets")" 2 "... desk A: no ticket for desk B's acknowledgement"
back=$(tail -n "$N2" "$DM_LOOP_DIR/handovers" | grep 'to=<[^>]*@a\.example>' | sed -n 's/.* msgid=<\([^>]*\)>.*/\1/p')
is "$(sql_a "SELECT (SELECT ticket_id FROM messages WHERE message_id = '$back') = (SELECT ticket_id FROM messages WHERE message_id = 'loop2@b.example')")" t \
	"... it is filed on desk A's ticket (threaded by the reference to A's acknowledgement)"
is "$(sql_a "SELECT count(*) FROM events e JOIN messages m ON m.id = e.message_id WHERE m.message_id = '$back' AND e.kind = 'ack'")" 0 \
	"... as a follow-up, which is not acknowledged"
P2=$(handovers)

# ---- 3. desk B's acknowledgement to desk A (the other direction)
seed loop3@a.example "$T/b.lmtp" support@b.example support@a.example "Desk a" "Zanka tri"
quiet
N3=$(($(handovers) - P2))
is "$N3" 1 "the other way: desk B acknowledges desk A's mail once, and that is all"
is "$(tail -n 1 "$DM_LOOP_DIR/handovers" | grep -c '^mail from=<> to=<support@a\.example>.* rc=0')" 1 "... to desk A, which took it"
P3=$(handovers)

# ---- 4. an out-of-office robot that answers everything, without
# Auto-Submitted or the null sender.  Default: follow-ups are not
# acknowledged, and its answer threads by the tag in the subject.
seed ooo1@c.example "$T/a.lmtp" support@a.example robot@c.example "Out of Office" "Vprašanje"
quiet
N4=$(($(handovers) - P3))
is "$(tail -n "$N4" "$DM_LOOP_DIR/handovers" | grep -c '^mail .*to=<robot@c\.example>')" 1 "robot: one acknowledgement"
is "$(tail -n "$N4" "$DM_LOOP_DIR/handovers" | grep -c '^robot .*auto=- rc=0')" 1 "... one answer from the robot, no Auto-Submitted, stored"
is "$N4" 2 "... and nothing more"
P4=$(handovers)

# With follow_ups = on the rate limit is what stops it: the robot
# answers every acknowledgement, each answer is acknowledged, until
# rate_limit per rate_period.  Then the robot goes on answering mail
# the desk never sees (the test delivers those answers) up to 30.
sed -i 's/^rate_period = 1h$/&\nfollow_ups = true/' "$T/a.conf"
mark=$(grep -c 'generation 2 loaded' "$T/a.log")
kill -HUP "$SERVE_A"
reloaded() { [ "$(grep -c 'generation 2 loaded' "$T/a.log")" -gt "$mark" ]; }
for i in $(seq 100); do reloaded && break; sleep 0.05; done
reloaded
is "$?" 0 "robot, follow_ups = on: desk A reloaded"
seed ooo2@c.example "$T/a.lmtp" support@a.example robot2@c.example "Out of Office" "Vprašanje dva"
quiet
N5=$(($(handovers) - P4))
is "$(tail -n "$N5" "$DM_LOOP_DIR/handovers" | grep -c '^mail .*to=<robot2@c\.example>')" "$RATE" \
	"... the robot's answers are acknowledged $RATE times (rate_limit), then no more"
is "$(tail -n "$N5" "$DM_LOOP_DIR/handovers" | grep -c '^robot ')" "$RATE" "... it answered each of them"
within "$(seconds "$START" "$LAST")" 10
is "$?" 0 "... the loop stopped within 10 s ($(seconds "$START" "$LAST") s)"
sent=$(($(grep -c '^robot from=<robot2@' "$DM_LOOP_DIR/handovers") + 1))
for i in $(seq $((sent + 1)) 30); do
	seed "ooo2-$i@c.example" "$T/a.lmtp" support@a.example robot2@c.example "Out of Office" "Out of office: Re: novice $i"
done
quiet
is "$(sql_a "SELECT count(*) FROM messages m JOIN contacts c ON c.id = m.contact_id WHERE c.address = 'robot2@c.example' AND m.direction = 'in'")" 30 \
	"... 30 mails from the robot stored"
is "$(grep -c '^mail .*to=<robot2@c\.example>' "$DM_LOOP_DIR/handovers")" "$RATE" \
	"... over them all $RATE acknowledgements went to the robot"
is "$(sql_a "SELECT count(*) FROM events WHERE kind = 'ack' AND detail = 'rate-limit'")" $((30 - RATE)) \
	"... the other $((30 - RATE)) suppressed: rate-limit"

# The record, for the report.
diag "hand-overs: $(handovers) in all ($(handovers "^mail") by the desks, $(handovers "^robot") by the robots):"
while read -r line; do diag "$line"; done <"$DM_LOOP_DIR/handovers"

# Neither service logged a crash or a warning.
is "$(cat "$T/a.log" "$T/b.log" | grep -E -c 'killed by signal|AddressSanitizer|runtime error|CRITICAL|WARNING')" 0 \
	"the services' logs: no crash, no warning"

tap_done
