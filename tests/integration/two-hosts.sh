#!/bin/bash
# two-hosts.sh - beyond one host: two MX hosts, as two `deskmail serve`
# instances with their own sockets and configuration files on the same
# PostgreSQL database, take one flood of 40 threads (a new mail and 2-4
# replies each, from the same customer), shuffled, in 8 parallel streams
# that alternate between the hosts, with 20 messages delivered to both
# hosts as an MTA retrying on the other MX would.  The result must be
# what one host gives: every Message-ID stored once, one ticket per
# thread, and one acknowledgement per ticket handed to sendmail once,
# although both hosts' senders race for the shared outbox.
# This test starts its own services: dm_setup must not start one.
DM_FRONT_END=deliver
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
: "${DESKMAIL_DELIVER:=$TOP_BUILDDIR/deskmail-deliver}"
# One customer opens all 40 tickets: the per-sender rate limit of
# acknowledgements (5 an hour by default) would hide double sending.
DM_ACK_EXTRA="rate_limit = 1000"
dm_setup

THREADS=40
STREAMS=8
BOTH=20
CUSTOMER=ana@example.si

# Host NAME: the test configuration, listening on $T/NAME.lmtp with 4
# workers (8 in all, one per stream), its log in $T/NAME.log.
for h in a b; do
	sed -e "s|^listen = .*|listen = unix:$T/$h.lmtp|" -e 's|^workers = .*|workers = 4|' \
		"$DESKMAIL_CONFIG" >"$T/$h.conf"
	grep -q "^listen = unix:$T/$h.lmtp\$" "$T/$h.conf" || bail "no listen line in the configuration"
done

SERVE_A= SERVE_B=
# host_start NAME: its service in the background (a subshell's child, so
# the test's own waits do not wait for it); its pid in SERVE_NAME.
host_start() {
	local pid i
	pid=$( (DESKMAIL_CONFIG=$T/$1.conf "$DESKMAIL" serve >>"$T/$1.log" 2>&1 </dev/null & echo $!) )
	printf -v "SERVE_${1^^}" %s "$pid"
	for i in $(seq 100); do
		[ -S "$T/$1.lmtp" ] && grep -q 'serve: generation .* listening' "$T/$1.log" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	bail "host $1 did not start: $(tail -5 "$T/$1.log")"
}
hosts_cleanup() {
	local p i
	for p in $SERVE_A $SERVE_B; do
		kill -TERM "$p" 2>/dev/null || continue
		for i in $(seq 200); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.05
		done
	done
	dm_cleanup
}
trap hosts_cleanup EXIT
host_start a
host_start b

# ---- the mail: thread i is t<i>-0 (new) and replies t<i>-1 .. t<i>-n,
# each answering the one before and referencing the whole chain.
mkdir -p "$T/m"
: >"$T/ids"
for i in $(seq $THREADS); do
	n=$((2 + i % 3))
	refs=
	for k in $(seq 0 $n); do
		id=t$i-$k.$$@example.si
		{
			printf 'From: Ana Novak <%s>\nTo: support@example.org\n' "$CUSTOMER"
			if [ "$k" = 0 ]; then
				printf 'Subject: Zadeva %d\n' "$i"
			else
				printf 'Subject: Re: Zadeva %d\nIn-Reply-To: <%s>\nReferences:%s\n' "$i" "$prev" "$refs"
			fi
			printf 'Date: Mon, 23 Nov 2026 09:%02d:00 +0100\nMessage-ID: <%s>\n' "$k" "$id"
			printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n'
			printf 'Dober dan,\n\nto je sporočilo %d zadeve %d: tiskalnik v čitalnici %d še vedno ne tiska.\n\nLep pozdrav,\nAna\n' \
				"$k" "$i" "$i"
		} >"$T/m/t$i-$k.eml"
		echo "$id" >>"$T/ids"
		prev=$id
		refs="$refs <$id>"
	done
done
MESSAGES=$(wc -l <"$T/ids")
diag "$THREADS threads, $MESSAGES messages, $BOTH of them to both hosts"

# ---- the jobs: every message to one host (alternating), $BOTH of them
# also to the other host; all shuffled together and dealt round-robin to
# $STREAMS streams, each alternating between the hosts.
ls "$T/m" | shuf >"$T/order"
shuf -n $BOTH "$T/order" >"$T/both"
{
	awk '{ print ((NR % 2) ? "a" : "b"), $0 }' "$T/order"
	# The retry goes to the host the first copy did not go to.
	awk 'NR == FNR { host[$0] = (FNR % 2) ? "a" : "b"; next }
		{ print (host[$0] == "a" ? "b" : "a"), $0 }' "$T/order" "$T/both"
} | shuf >"$T/jobs"
JOBS=$(wc -l <"$T/jobs")
is "$JOBS" $((MESSAGES + BOTH)) "$JOBS deliveries planned ($MESSAGES messages + $BOTH to both hosts)"

# stream S: deliver the jobs dealt to stream S in turn; an MTA retries a
# temporary failure (75), here after 1 s, at most 5 times.  One line per
# delivery in $T/rc.S: host, file, final exit status, tries.
stream() {
	local s=$1 host f rc tries
	awk -v s="$s" -v n=$STREAMS '(NR - 1) % n == s' "$T/jobs" | while read -r host f; do
		tries=0
		while :; do
			tries=$((tries + 1))
			"$DESKMAIL_DELIVER" --no-fallback --socket "$T/$host.lmtp" \
				--recipient support@example.org --sender "$CUSTOMER" <"$T/m/$f" >>"$T/client.$s.log" 2>&1
			rc=$?
			[ "$rc" = 75 ] && [ "$tries" -lt 5 ] || break
			sleep 1
		done
		echo "$host $f $rc $tries"
	done >"$T/rc.$s"
}

START=$(date +%s%N)
pids=
for s in $(seq 0 $((STREAMS - 1))); do
	stream "$s" &
	pids="$pids $!"
done
for p in $pids; do wait "$p"; done
DELIVERED=$((($(date +%s%N) - START) / 1000000))
dm_outbox_wait 30 || diag "the outbox was not empty after 30 s"
diag "$JOBS deliveries in ${DELIVERED} ms; host a took $(cat "$T"/rc.* | grep -c '^a '), host b $(cat "$T"/rc.* | grep -c '^b ')," \
	"retried after a temporary failure: $(cat "$T"/rc.* | awk '$4 > 1' | wc -l)"

is "$(cat "$T"/rc.* | wc -l)" "$JOBS" "every delivery ran"
is "$(cat "$T"/rc.* | awk '$3 != 0' | wc -l)" 0 "every delivery was accepted (exit 0), a copy on the other host as well"
[ "$(cat "$T"/rc.* | awk '$3 != 0' | wc -l)" = 0 ] || diag "failed: $(cat "$T"/rc.* | awk '$3 != 0' | head -5 | tr '\n' ';')"

# ---- every Message-ID stored exactly once
pg_sql "SELECT message_id FROM messages WHERE direction = 'in' ORDER BY message_id" >"$T/stored"
is "$(wc -l <"$T/stored")" "$MESSAGES" "$MESSAGES incoming messages stored"
is "$(sort "$T/ids" | diff - "$T/stored" >/dev/null && echo same)" same "... exactly the Message-IDs sent, each once"
is "$(dm_count "(SELECT message_id FROM messages GROUP BY message_id, direction HAVING count(*) > 1) d")" 0 \
	"... no Message-ID stored twice"
is "$(dm_count "raw_messages r JOIN messages m ON m.id = r.message_id WHERE m.direction = 'in'")" "$MESSAGES" \
	"... each with one raw copy"

is "$(cat "$T/a.log" "$T/b.log" | grep -c 'action=duplicate')" "$BOTH" \
	"... the $BOTH second copies taken as duplicates (action=duplicate)"
is "$(cat "$T/a.log" "$T/b.log" | grep -c -E 'action=(new|append) ')" "$MESSAGES" \
	"... the $MESSAGES first copies stored (action=new or append)"
is "$(cat "$T/a.log" "$T/b.log" | grep -c 'action=new ')" "$THREADS" "... $THREADS of them opening a ticket"

# ---- the tickets: one per thread, as one host gives
is "$(dm_count tickets)" "$THREADS" "$THREADS tickets, one per thread"
THREAD_OF="split_part(message_id, '-', 1)"
is "$(dm_count "(SELECT $THREAD_OF FROM messages WHERE direction = 'in' GROUP BY 1 HAVING count(DISTINCT ticket_id) <> 1) d")" 0 \
	"... every message of a thread on the same ticket"
is "$(dm_count "(SELECT ticket_id FROM messages WHERE direction = 'in' GROUP BY 1 HAVING count(DISTINCT $THREAD_OF) <> 1) d")" 0 \
	"... and no ticket holds two threads"
# The subject is that of the thread's first mail to arrive, maybe a reply.
is "$(dm_count "tickets t WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t.id
	AND regexp_replace(t.subject, '^Re: ', '') = 'Zadeva ' || substr($THREAD_OF, 2))")" 0 \
	"... each ticket has its own thread's subject"

# ---- the acknowledgements: one per ticket, handed to sendmail once
is "$(dm_count "outbox WHERE kind = 'ack'")" "$THREADS" "$THREADS acknowledgements queued, one per ticket"
is "$(dm_count "(SELECT ticket_id FROM outbox WHERE kind = 'ack' GROUP BY 1 HAVING count(*) <> 1) d")" 0 \
	"... no ticket with two"
is "$(pg_sql "SELECT string_agg(DISTINCT status || '/' || attempts, ',') FROM outbox")" "sent/1" \
	"... every outbox row sent, at the first attempt"
is "$(dm_sent_count)" "$THREADS" "sendmail was handed $THREADS mails"
for f in $(dm_sent); do
	sed -n '/^\r\?$/q; s/^Message-ID: *<\([^>]*\)>.*/\1/Ip' "$f" | tr -d '\r'
done | sort >"$T/sent-ids"
is "$(sort -u "$T/sent-ids" | wc -l)" "$THREADS" "... with $THREADS distinct Message-IDs: none handed over twice"
pg_sql "SELECT message_id FROM messages WHERE direction = 'out' ORDER BY message_id" >"$T/out-ids"
is "$(diff "$T/sent-ids" "$T/out-ids" >/dev/null && echo same)" same "... exactly the stored acknowledgements"
is "$(pg_sql "SELECT count(DISTINCT ticket_id) FROM messages WHERE direction = 'out'
	AND message_id = ANY(string_to_array('$(tr '\n' ' ' <"$T/sent-ids" | sed 's/ $//')', ' '))")" "$THREADS" \
	"... one for each of the $THREADS tickets"
is "$(for f in $(dm_sent); do sed -n '/^$/q; /^[^ ]*@/p' "${f%.eml}.argv"; done | sort -u)" "$CUSTOMER" \
	"... all to the customer"

# ---- both hosts did their share
for h in a b; do
	like "$(grep -c 'action=' "$T/$h.log")" '^[1-9]' "host $h stored mail (it logged deliveries)"
	like "$(grep 'serve: outbox sent=' "$T/$h.log" | head -1)" 'outbox sent=[1-9]' "host $h's sender handed mail to sendmail"
done
diag "acknowledgements sent by host a: $(sed -n 's/.*outbox sent=\([0-9]*\).*/\1/p' "$T/a.log" | awk '{ s += $1 } END { print s + 0 }')," \
	"by host b: $(sed -n 's/.*outbox sent=\([0-9]*\).*/\1/p' "$T/b.log" | awk '{ s += $1 } END { print s + 0 }')"
for h in a b; do
	is "$(grep -c -E 'action=defer|CRITICAL|WARNING \*\*|reload failed' "$T/$h.log")" 0 "host $h deferred nothing and logged no GLib warning"
done
diag "total ${SECONDS} s"

tap_done
