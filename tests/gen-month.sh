#!/bin/bash
# gen-month.sh - a fixture month (November 2026) of tickets with known
# figures, for the report test.  Writes SQL to stdout and the expected
# figures to the file named by $1 (shell assignments, sourced by the test).
#
# The rules (local time, Europe/Ljubljana; November 2026 starts on a Sunday):
#   tickets per day: Monday 6, Tuesday-Friday 3, Saturday and Sunday 1,
#     plus 2 on the first working days of the month (Mon 2 and Tue 3);
#   the j-th ticket of a day is created at 09:00 + 30 min * j (10:00 on
#     Sundays); k numbers all tickets from 0;
#   topic: k % 3 -> login-password, hardware-printing, loans-reservations;
#     team: first-line, except it-support for hardware-printing;
#     language: k % 4 -> sl, fi, hu, en;
#   first response: 1 + k % 4 hours later on weekdays, 1 h on Saturdays,
#     and Monday 10:00 for Sunday tickets (1 business hour);
#   resolved (a status event) 1 h after the first response when k is even;
#     reopened (resolved -> open) 2 h after that when k % 10 == 0;
#   acknowledgement sent unless k % 5 == 0 (suppressed: auto-submitted);
#   a bounce message on the ticket when k % 15 == 0.
set -eu
expected=$1
TZ_NAME=Europe/Ljubljana
topics=(login-password hardware-printing loans-reservations)
langs=(sl fi hu en)
declare -A opened resolved_on week topic_n team_n lang_n
fr=() rs=()
k=0 acks=0 suppressed=0 bounces=0 reopened=0 resolved_total=0
ts() { echo "(timestamp '$1' AT TIME ZONE '$TZ_NAME')"; }

echo "BEGIN;"
echo "INSERT INTO teams (name) VALUES ('first-line'), ('it-support') ON CONFLICT DO NOTHING;"
echo "INSERT INTO contacts (address, name) VALUES ('fixture@example.si', 'Fixture') ON CONFLICT DO NOTHING;"
for d in $(seq 1 30); do
	date=$(printf '2026-11-%02d' "$d")
	dow=$(date -d "$date" +%u) # 1 = Monday
	case $dow in 1) n=6 ;; [2-5]) n=3 ;; *) n=1 ;; esac
	[ "$d" = 2 ] || [ "$d" = 3 ] && n=$((n + 2))
	opened[$date]=$n
	for j in $(seq 0 $((n - 1))); do
		if [ "$dow" = 7 ]; then mins=$((10 * 60)); else mins=$((9 * 60 + 30 * j)); fi
		created="$date $(printf '%02d:%02d' $((mins / 60)) $((mins % 60)))"
		hour=$((mins / 60))
		week[$dow,$hour]=$(( ${week[$dow,$hour]:-0} + 1 ))
		topic=${topics[$((k % 3))]}
		team=first-line; [ "$topic" = hardware-printing ] && team=it-support
		lang=${langs[$((k % 4))]}
		topic_n[$topic]=$(( ${topic_n[$topic]:-0} + 1 ))
		team_n[$team]=$(( ${team_n[$team]:-0} + 1 ))
		lang_n[$lang]=$(( ${lang_n[$lang]:-0} + 1 ))
		case $dow in
		7) resp_local="$(date -d "$date + 1 day" +%F) 10:00"; business=1 ;;
		6) resp_local=$(date -d "$created 1 hour" '+%F %H:%M'); business=1 ;;
		*) h=$((1 + k % 4)); resp_local=$(date -d "$created $h hour" '+%F %H:%M'); business=$h ;;
		esac
		fr+=("$business")
		echo "INSERT INTO tickets (id, subject, status, topic, team_id, language, queue, requester_id, created_at, first_response_at)"
		echo " VALUES ($((k + 1)), 'Fixture $k', 'open', '$topic', (SELECT id FROM teams WHERE name = '$team'), '$lang',"
		echo " 'support@example.org', (SELECT id FROM contacts WHERE address = 'fixture@example.si'), $(ts "$created"), $(ts "$resp_local"));"
		if [ $((k % 2)) = 0 ]; then
			res_local=$(date -d "$resp_local 1 hour" '+%F %H:%M')
			rs+=("$((business + 1))")
			resolved_total=$((resolved_total + 1))
			rday=${res_local%% *}
			resolved_on[$rday]=$(( ${resolved_on[$rday]:-0} + 1 ))
			echo "INSERT INTO events (ticket_id, actor, kind, old_value, new_value, created_at) VALUES ($((k + 1)), 'agent@example.org', 'status', 'open', 'resolved', $(ts "$res_local"));"
			if [ $((k % 10)) = 0 ]; then
				reo_local=$(date -d "$res_local 2 hour" '+%F %H:%M')
				reopened=$((reopened + 1))
				echo "INSERT INTO events (ticket_id, actor, kind, old_value, new_value, detail, created_at) VALUES ($((k + 1)), 'fixture@example.si', 'status', 'resolved', 'open', 'reopened by a reply', $(ts "$reo_local"));"
			fi
		fi
		if [ $((k % 5)) = 0 ]; then
			suppressed=$((suppressed + 1))
			echo "INSERT INTO events (ticket_id, actor, kind, new_value, detail, created_at) VALUES ($((k + 1)), 'deskmail', 'ack', 'suppressed', 'auto-submitted', $(ts "$created"));"
		else
			acks=$((acks + 1))
			echo "INSERT INTO events (ticket_id, actor, kind, new_value, detail, created_at) VALUES ($((k + 1)), 'deskmail', 'ack', 'sent', '$lang', $(ts "$created"));"
		fi
		if [ $((k % 15)) = 0 ]; then
			bounces=$((bounces + 1))
			echo "INSERT INTO messages (ticket_id, message_id, direction, kind, created_at) VALUES ($((k + 1)), 'bounce-$k@mx', 'in', 'bounce', $(ts "$created"));"
		fi
		k=$((k + 1))
	done
done
echo "SELECT setval('tickets_id_seq', $k);"
echo "COMMIT;"

# Nearest-rank quantile of a list of numbers.
quantile() { # quantile Q(percent) VALUES...
	local q=$1; shift
	local n=$# rank
	rank=$(( (q * n + 99) / 100 ))
	[ "$rank" -lt 1 ] && rank=1
	printf '%s\n' "$@" | sort -n | sed -n "${rank}p"
}
{
	echo "EXP_TICKETS=$k"
	echo "EXP_ACKS=$acks"
	echo "EXP_SUPPRESSED=$suppressed"
	echo "EXP_BOUNCES=$bounces"
	echo "EXP_REOPENED=$reopened"
	echo "EXP_RESOLVED=$resolved_total"
	echo "EXP_FR_MEDIAN=$(quantile 50 "${fr[@]}")"
	echo "EXP_FR_P90=$(quantile 90 "${fr[@]}")"
	echo "EXP_RS_MEDIAN=$(quantile 50 "${rs[@]}")"
	echo "EXP_RS_P90=$(quantile 90 "${rs[@]}")"
	echo "EXP_FR_COUNT=${#fr[@]}"
	echo "EXP_RS_COUNT=${#rs[@]}"
	printf 'EXP_OPENED="'; for d in $(seq 1 30); do printf '%s ' "${opened[$(printf '2026-11-%02d' "$d")]}"; done; echo '"'
	printf 'EXP_RESOLVED_DAYS="'; for d in $(seq 1 30); do printf '%s ' "${resolved_on[$(printf '2026-11-%02d' "$d")]:-0}"; done; echo '"'
	printf 'EXP_WEEK="'; for dw in 1 2 3 4 5 6 7; do for h in $(seq 0 23); do printf '%s ' "${week[$dw,$h]:-0}"; done; done; echo '"'
	for t in "${topics[@]}"; do echo "EXP_TOPIC_${t//-/_}=${topic_n[$t]}"; done
	echo "EXP_TEAM_first_line=${team_n[first-line]}"
	echo "EXP_TEAM_it_support=${team_n[it-support]}"
	for l in "${langs[@]}"; do echo "EXP_LANG_$l=${lang_n[$l]}"; done
} >"$expected"
