#!/bin/bash
# soak.sh - 2,000 messages through 16 parallel `deskmail deliver` processes:
# a third of them replies to the same 10 conversations, shuffled so that
# many replies arrive before their parents.  Every delivery must exit 0
# (deadlocks are retried inside deliver, never handed to the MTA as 75),
# every message must be stored once, and the tickets must be exactly the
# conversations the generator made.
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
SOAK_MESSAGES=${SOAK_MESSAGES:-2000}
SOAK_PARALLEL=${SOAK_PARALLEL:-16}
SOAK_THREADS=${SOAK_THREADS:-10}
DM_ACK_EXTRA="rate_limit = 100000"
dm_setup

# --- the mail: THREADS conversations of a root and its replies (a third of
# all messages), the rest single messages, each its own conversation.
REPLIES=$((SOAK_MESSAGES / 3))
SINGLES=$((SOAK_MESSAGES - REPLIES - SOAK_THREADS))
mkdir -p "$T/mail"
bodies=(
	"Dober dan,

tiskalnik v čitalnici ne tiska že od jutra. Prosim za pomoč.

Lep pozdrav"
	"Hello,

I cannot log in to my library account since yesterday. The password reset link does not arrive.

Best regards"
	"Hyvää päivää,

en pääse kirjautumaan kirjaston verkkopalveluun. Salasanan vaihto ei toimi.

Ystävällisin terveisin"
	"Jó napot,

nem tudok belépni a könyvtári fiókomba, a jelszó visszaállítása nem működik.

Üdvözlettel"
)
mail() { # mail FILE MESSAGE-ID FROM SUBJECT BODY [IN-REPLY-TO REFERENCES]
	{
		printf 'From: %s\nTo: support@example.org\nSubject: %s\n' "$3" "$4"
		printf 'Date: Mon, 23 Nov 2026 09:15:00 +0100\nMessage-ID: <%s>\n' "$2"
		[ -n "${6:-}" ] && printf 'In-Reply-To: <%s>\nReferences: %s\n' "$6" "$7"
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n'
		printf 'Content-Transfer-Encoding: 8bit\n\n%s\n%s\n' "$5" "$2"
	} >"$1"
}
# A conversation: its root, then replies, each to the root or to an
# earlier reply, References the whole chain back to the root.
declare -a refs # refs[k]: space-separated ids of thread k so far
for k in $(seq 0 $((SOAK_THREADS - 1))); do
	id=soak-t$k-root@example.si
	mail "$T/mail/t$k-root.eml" "$id" "Stranka $k <thread$k@example.si>" "Težava $k" "${bodies[k % 4]}"
	refs[k]=$id
done
declare -A chain # chain[id]: References of a reply to id
for k in $(seq 0 $((SOAK_THREADS - 1))); do chain[soak-t$k-root@example.si]="<soak-t$k-root@example.si>"; done
for j in $(seq 1 $REPLIES); do
	k=$((j % SOAK_THREADS))
	set -- ${refs[k]}
	n=$((RANDOM % $# + 1))
	parent=${!n}
	id=soak-t$k-r$j@example.si
	mail "$T/mail/t$k-r$j.eml" "$id" "Stranka $k <thread$k@example.si>" "Re: Težava $k" \
		"Še vedno ne dela ($j)." "$parent" "${chain[$parent]}"
	chain[$id]="${chain[$parent]} <$id>"
	refs[k]="${refs[k]} $id"
done
for i in $(seq 1 $SINGLES); do
	mail "$T/mail/s$i.eml" "soak-s$i@example.net" "Uporabnik $i <user$i@example.net>" "Vprašanje $i" \
		"${bodies[i % 4]}"
done
EXPECTED_TICKETS=$((SOAK_THREADS + SINGLES))
is "$(ls "$T/mail" | wc -l)" "$SOAK_MESSAGES" "generated $SOAK_MESSAGES messages: $SOAK_THREADS conversations with $REPLIES replies, $SINGLES single"

# --- deliver them all, shuffled, by SOAK_PARALLEL workers: each runs
# one `deskmail deliver` after another, as an MTA's delivery agents do.
ls "$T/mail"/*.eml | shuf | split -n r/"$SOAK_PARALLEL" - "$T/worker."
worker() { # worker LIST: "EXIT-STATUS FILE" for each, into LIST.status
	local f
	while IFS= read -r f; do
		"$DESKMAIL" deliver <"$f" >>"$1.log" 2>&1
		echo "$? ${f##*/}"
	done <"$1" >"$1.status"
}
# CPU used so far by this shell's children (deliver, sendmail), and by
# the server's backends: to tell a slow deliver from a busy machine.
child_cpu() { # sets CPU; must run in this shell, not in a $(...) subshell
	times >"$T/times"
	CPU=$(tail -1 "$T/times" | awk '{ n = split($1 " " $2, t, " "); s = 0
		for (i = 1; i <= n; i++) { split(t[i], p, "m"); s += p[1] * 60 + p[2] } printf "%.1f", s }')
}
server_cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15 + $16 + $17) / hz }' \
		"/proc/$(head -1 "$PG_DIR/data/postmaster.pid")/stat"
}
child_cpu
cpu0=$CPU
scpu0=$(server_cpu)
start=$(date +%s.%N)
for w in "$T"/worker.??; do
	worker "$w" &
done
wait
end=$(date +%s.%N)
child_cpu
cpu=$(awk -v a="$cpu0" -v b="$CPU" 'BEGIN { printf "%.1f", b - a }')
scpu=$(awk -v a="$scpu0" -v b="$(server_cpu)" 'BEGIN { printf "%.1f", b - a }')
cat "$T"/worker.??.status >"$T/status"
cat "$T"/worker.??.log >"$T/deliver.log"
secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
diag "$SOAK_MESSAGES messages, $SOAK_PARALLEL parallel: ${secs}s wall, $(awk -v n="$SOAK_MESSAGES" -v s="$secs" 'BEGIN { printf "%.1f", n / s }') messages/s"
diag "CPU: deliver and sendmail ${cpu}s, PostgreSQL ${scpu}s ($(awk -v c="$cpu" -v s="$scpu" -v n="$SOAK_MESSAGES" 'BEGIN { printf "%.0f", 1000 * (c + s) / n }') ms a message) on $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
diag "deadlocks or serialization failures retried inside deliver: $(grep -c 'retrying after' "$T/deliver.log")"

is "$(wc -l <"$T/status")" "$SOAK_MESSAGES" "every delivery ran"
bad=$(awk '$1 != 0' "$T/status")
is "$(grep -c . <<<"$bad")" 0 "every delivery exited 0"
[ -n "$bad" ] && diag "$(head -5 <<<"$bad")" && diag "$(grep -m5 '^4\.' "$T/deliver.log")"

# --- what is stored
is "$(dm_count "messages WHERE direction = 'in'")" "$SOAK_MESSAGES" "$SOAK_MESSAGES messages stored"
is "$(pg_sql "SELECT count(DISTINCT message_id) FROM messages WHERE direction = 'in'")" "$SOAK_MESSAGES" \
	"no message stored twice"
is "$(dm_count tickets)" "$EXPECTED_TICKETS" "$EXPECTED_TICKETS tickets: one per conversation"
is "$(pg_sql "SELECT count(*) FROM (SELECT split_part(message_id, '-', 2) FROM messages WHERE message_id LIKE 'soak-t%' GROUP BY 1 HAVING count(DISTINCT ticket_id) = 1) x")" \
	"$SOAK_THREADS" "each of the $SOAK_THREADS conversations is on one ticket"
is "$(pg_sql "SELECT count(DISTINCT ticket_id) FROM messages WHERE message_id LIKE 'soak-t%'")" "$SOAK_THREADS" \
	"... and on different tickets"
is "$(pg_sql "SELECT count(DISTINCT ticket_id) FROM messages WHERE message_id LIKE 'soak-s%'")" "$SINGLES" \
	"every single message has a ticket of its own"
is "$(dm_count "tickets t WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t.id AND m.direction = 'in')")" 0 \
	"no ticket without a customer's message"
is "$(dm_count "messages WHERE direction = 'in' AND threaded_by = 'new'")" "$EXPECTED_TICKETS" \
	"one message opened each ticket"
is "$(dm_count "outbox WHERE kind = 'ack'") $(dm_count "outbox WHERE kind = 'ack' AND status = 'sent'")" \
	"$EXPECTED_TICKETS $EXPECTED_TICKETS" "one acknowledgement per ticket, all sent"
is "$(dm_sent_count)" "$EXPECTED_TICKETS" "sendmail got each acknowledgement once"
is "$(pg_sql "SELECT count(*) FROM (SELECT ticket_id FROM outbox WHERE kind = 'ack' GROUP BY 1 HAVING count(*) > 1) x")" 0 \
	"no ticket acknowledged twice"

# --- the race behind the first mails after `db init`: every delivery
# creates the queue's team if missing; one that finds it committed by
# another delivery meanwhile must still store the mail (it crashed:
# INSERT ... ON CONFLICT DO NOTHING returned no row and the SELECT's
# snapshot predated the other commit).  Made deterministic: another
# session inserts the team and commits while deliver waits for it.
cp "$DESKMAIL_CONFIG" "$T/race.conf"
sed -i '/^default_team *=/d' "$T/race.conf"
if grep -q '^\[agents\]' "$T/race.conf"; then
	sed -i 's/^\[agents\]$/[agents]\ndefault_team = night-shift/' "$T/race.conf"
else
	printf '\n[agents]\ndefault_team = night-shift\n' >>"$T/race.conf"
fi
PGAPPNAME=dm-team-race "$PG_BIN/psql" -X -q \
	-c "BEGIN; INSERT INTO teams (name) VALUES ('night-shift'); SELECT pg_sleep(2); COMMIT;" >/dev/null 2>&1 &
racer=$!
for i in $(seq 100); do
	[ "$(pg_sql "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'dm-team-race' AND l.locktype = 'transactionid'")" = 1 ] && break
	sleep 0.1
done
dm_mail race@example.si "Nova ekipa" >"$T/race.eml"
OUT=$("$DESKMAIL" --config "$T/race.conf" deliver <"$T/race.eml" 2>&1)
RC=$?
wait "$racer"
is "$RC" 0 "a team committed by another delivery meanwhile: exit 0, no crash"
[ "$RC" = 0 ] || diag "$OUT"
is "$(dm_count "messages WHERE message_id = 'race@example.si'")" 1 "... and the mail is stored"

tap_done
