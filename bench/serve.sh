# bench/serve.sh - `bench/run --serve`: the resident service's benchmark
# (sourced by bench/run, which has set up the build, the corpus,
# PostgreSQL, the configuration and Dovecot by then; see bench/README.md).
#
# For the first size: the per-mail process harness (cat, dovecot-lda,
# deskmail deliver, deskmail-deliver through the service, the binary
# before the restructuring, interleaved), the LMTP runs (smtp-source and
# lmtp-blast against `deskmail serve` and Dovecot's LMTP server,
# interleaved, at 1 and 4 sessions), the acknowledgement lag, the CPU per
# mail in the service, and the workers' RSS over a long run.  For the
# other sizes the LMTP runs at 4 sessions.

SERVE_SMALL=${SERVE_SMALL:-2000}      # smtp-source -l: the small mail
SERVE_LARGE=${SERVE_LARGE:-20000}     # smtp-source -l: the 20 KB mail
SERVE_COUNT=${SERVE_COUNT:-400}       # smtp-source -m per run
RSS_COUNT=${RSS_COUNT:-100000}        # the long run's mails ...
RSS_SECS=${RSS_SECS:-1500}            # ... or as many as fit in this
RSS_EVERY=${RSS_EVERY:-10000}
BEFORE=${DESKMAIL_BEFORE:-/tmp/deskmail-before}

# CPU of a process and its direct children, in clock ticks: each one's
# user + system time and that of the children it has reaped (a child that
# exits is then counted in its parent's cutime).  Only direct children:
# a grandchild that exits before its parent is counted in the parent.
cpu_of_tree() { # PID -> ticks
	ps -e -o pid=,ppid= | awk -v root="$1" '$1 == root || $2 == root { print $1 }' | while read -r p; do
		sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null || true
	done | awk '{ n += $12 + $13 + $14 + $15 } END { print n + 0 }'
}
cpu_of_pid() { # PID -> user + system ticks, its reaped children's included
	sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 + $14 + $15 }' || echo 0
}
cpu_of_workers() { # master PID -> user + system ticks of its children but the sender
	ps -o pid= --ppid "$1" | while read -r p; do
		[ "$p" = "$SENDER_PID" ] || sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null || true
	done | awk '{ n += $12 + $13 } END { print n + 0 }'
}
pg_master() { head -1 "$PG_DIR/data/postmaster.pid"; }

# ---- Dovecot's LMTP server: a private instance, Maildir, static users
dovecot_lmtp_start() {
	local d=$B/dovecot-lmtp
	[ -f "$d/run/master.pid" ] && kill "$(cat "$d/run/master.pid")" 2>/dev/null && sleep 1
	rm -rf "$d"
	mkdir -p "$d/run" "$d/state" "$d/home" "$d/Maildir"
	chown -R nobody:nogroup "$d/home" "$d/Maildir"
	cat >"$d/dovecot.conf" <<CONF
base_dir = $d/run
state_dir = $d/state
log_path = $d/dovecot.log
info_log_path = $d/dovecot.log
ssl = no
protocols = lmtp
mail_location = maildir:$d/Maildir
passdb {
  driver = static
  args = nopassword=y
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$d/home
}
service lmtp {
  unix_listener lmtp {
    mode = 0666
  }
  process_min_avail = 4
}
protocol lmtp {
  postmaster_address = postmaster@example.org
}
CONF
	dovecot -c "$d/dovecot.conf" || { cat "$d/dovecot.log" >&2; return 1; }
	for _ in $(seq 50); do [ -S "$d/run/lmtp" ] && break; sleep 0.1; done
	DOVECOT_LMTP=$d/run/lmtp
	DOVECOT_PID=$(cat "$d/run/master.pid")
}
dovecot_lmtp_stop() {
	[ -n "${DOVECOT_PID:-}" ] && kill "$DOVECOT_PID" 2>/dev/null
	DOVECOT_PID=""
}

# ---- deskmail serve: 4 workers, never recycled during the run
serve_start() { # LABEL
	cp "$B/deskmail.conf" serve.conf
	[ "${SERVE_PREPARED:-0}" = 1 ] && sed -i 's/^connect_timeout = .*/&\nprepared_statements = true/' serve.conf
	cat >>serve.conf <<CONF

[server]
listen = unix:$B/serve-lmtp
workers = ${SERVE_WORKERS:-4}
max_deliveries = 100000000
max_rss = 1G
CONF
	rm -f "$B/serve-lmtp"
	"$DESKMAIL" --config "$B/serve.conf" serve >"logs/serve-$1.log" 2>&1 &
	SERVE_PID=$!
	for _ in $(seq 100); do [ -S "$B/serve-lmtp" ] && break; sleep 0.1; done
	[ -S "$B/serve-lmtp" ] || { cat "logs/serve-$1.log" >&2; return 1; }
	sleep 1
	# The sender is forked after the workers: the highest pid.
	SENDER_PID=$(ps --ppid "$SERVE_PID" -o pid= | sort -n | tail -1 | tr -d ' ')
	log "serve $1: master $SERVE_PID, workers $(ps --ppid "$SERVE_PID" -o pid= | sort -n | head -n -1 | tr '\n' ' ')sender $SENDER_PID"
}
serve_stop() {
	[ -n "${SERVE_PID:-}" ] || return 0
	kill -TERM "$SERVE_PID" 2>/dev/null
	wait "$SERVE_PID" 2>/dev/null || true
	SERVE_PID=""
}

# Wait until the sender has handed every queued row to sendmail (at most 60 s).
drain_outbox() {
	for _ in $(seq 600); do
		[ "$(q "SELECT count(*) FROM outbox WHERE status = 'queued'")" = 0 ] && return 0
		sleep 0.1
	done
}

# One LMTP run with CPU accounting: NAME TARGET(deskmail|dovecot) COMMAND...
# The summary line gets the CPU per mail of the server side:
# svc_cpu_ms (deskmail: master, workers, sender and its sendmails;
# Dovecot: its master and every process it started), worker_cpu_ms
# (deskmail's workers only) and pg_cpu_ms (the postmaster's tree).
lmtp_run() {
	local name=$1 who=$2 root c0 w0 p0 s0 t0 t1 c1 w1 p1 s1 out rc=0
	shift 2
	root=$SERVE_PID
	[ "$who" = dovecot ] && root=$DOVECOT_PID
	c0=$(cpu_of_tree "$root") w0=$(cpu_of_workers "$SERVE_PID") p0=$(cpu_of_tree "$(pg_master)") s0=$(cpu_of_pid "$SENDER_PID")
	t0=$(date +%s%N)
	out=$("$@" 2>"logs/$name.err") || rc=$?
	t1=$(date +%s%N)
	[ "$who" = deskmail ] && drain_outbox
	c1=$(cpu_of_tree "$root") w1=$(cpu_of_workers "$SERVE_PID") p1=$(cpu_of_tree "$(pg_master)") s1=$(cpu_of_pid "$SENDER_PID")
	local n
	n=$(get n "$out")
	[ -n "$n" ] || n=$SMTP_N
	local hz
	hz=$(getconf CLK_TCK)
	out="label=$name $out rc=$rc wall_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", (b-a)/1e9}')"
	[ -n "$(get msg_s "$out")" ] || out="$out n=$n msg_s=$(awk -v a="$t0" -v b="$t1" -v n="$n" 'BEGIN{printf "%.2f", n/((b-a)/1e9)}')"
	out="$out svc_cpu_ms=$(awk -v a="$c0" -v b="$c1" -v n="$n" -v hz="$hz" 'BEGIN{printf "%.2f", (b-a)*1000/hz/n}')"
	[ "$who" = deskmail ] && out="$out worker_cpu_ms=$(awk -v a="$w0" -v b="$w1" -v n="$n" -v hz="$hz" 'BEGIN{printf "%.2f", (b-a)*1000/hz/n}')"
	[ "$who" = deskmail ] && out="$out sender_cpu_ms=$(awk -v a="$s0" -v b="$s1" -v n="$n" -v hz="$hz" 'BEGIN{printf "%.2f", (b-a)*1000/hz/n}')"
	out="$out pg_cpu_ms=$(awk -v a="$p0" -v b="$p1" -v n="$n" -v hz="$hz" 'BEGIN{printf "%.2f", (b-a)*1000/hz/n}')"
	echo "$out $(uptime | sed 's/.*load average: /load=/; s/, /\//g')" | tee "runs/$name.sum" >&3
}

smtp_source() { # SESSIONS SIZE TARGET [-F FILE]
	local s=$1 l=$2 t=$3
	shift 3
	SMTP_N=$SERVE_COUNT
	lmtp_args=(-L -s "$s" -m "$SERVE_COUNT" -f customer@example.net -t support@example.org -M bench.example)
	# -F sends the file as it is (its own headers); -l would be ignored.
	[ "$l" = 0 ] || lmtp_args+=(-l "$l" -S "smtp-source $l")
	lmtp_args+=("$@" "unix:$t")
}

# Ack lag: from the LMTP 250 (the wall clock when lmtp-blast read it, in
# its TSV) to the acknowledgement handed to the "MTA", joined on the
# customer's Message-ID (the acknowledgement's In-Reply-To), measured two
# ways: outbox.sent_at, which is now() of the sender's transaction, so the
# moment it claimed the row, just before sendmail ran; and the mtime of
# the file the recording sendmail wrote (DM_SENDMAIL_DIR/N.eml), when
# sendmail had the message.
lag_stats() { # TSV-WITH-ID-AND-EPOCH-US BLAST-TSV -> one line of figures
	awk -F'\t' 'NR == FNR { sent[$1] = $2; next } ($7 in sent) { print sent[$7] - $5 }' "$1" "$2" | sort -n |
		awk '{ v[NR] = $1; s += $1 } END { if (NR == 0) { print "n=0"; exit }
			printf "n=%d mean_ms=%.1f p50_ms=%.1f p99_ms=%.1f max_ms=%.1f\n", NR, s / NR / 1000,
			v[int(NR * 0.5 + 0.999999)] / 1000, v[int(NR * 0.99 + 0.999999)] / 1000, v[NR] / 1000 }'
}
ack_lag() { # NAME (the lmtp-blast run's TSV) -> runs/NAME.lag, runs/NAME.flag
	q "SELECT om.in_reply_to, (extract(epoch FROM o.sent_at) * 1000000)::bigint
	   FROM outbox o JOIN messages om ON om.id = o.message_id
	   WHERE o.id > $W_O AND o.sent_at IS NOT NULL AND om.in_reply_to IS NOT NULL" | tr '|' '\t' >"runs/$1.sent"
	lag_stats "runs/$1.sent" "runs/$1.tsv" >"runs/$1.lag"
	find sent -name '*.eml' -printf '%T@ %p\n' | while read -r t f; do
		printf '%s\t%s\n' "$(sed -n '/^$/q; s/^In-Reply-To: *<\(.*\)>.*/\1/Ip' "$f" | head -1)" \
			"$(awk -v t="$t" 'BEGIN { printf "%.0f", t * 1000000 }')"
	done >"runs/$1.files"
	lag_stats "runs/$1.files" "runs/$1.tsv" >"runs/$1.flag"
	log "ack lag $1: sent_at $(cat "runs/$1.lag"); sendmail's file $(cat "runs/$1.flag")"
}

# ---- per-mail process harness: five commands interleaved on every mail;
# the three deskmail commands each on their own copy of the corpus (another
# Message-ID), so that none of them sees the others' mail as a duplicate.
serve_variants() {
	local v f
	for v in s o; do
		[ -f "$CORPUS.variant-$v/done" ] && continue
		rm -rf "$CORPUS.variant-$v"
		mkdir -p "$CORPUS.variant-$v"
		while IFS=$'\t' read -r f _; do
			sed "s/^Message-ID: <m/Message-ID: <$v-m/" "$f" >"$CORPUS.variant-$v/$(basename "$f")"
		done <"$CORPUS/corpus.list"
		touch "$CORPUS.variant-$v/done"
		chmod -R a+rX "$CORPUS.variant-$v"
	done
}
serve_permail() { # N
	local n=$1
	serve_variants
	cp "$BEFORE" bin/deskmail-before
	fresh_maildir
	drive "pm-$n" 1 "$CORPUS/corpus.list" "$B/deskmail.conf" @cat /bin/cat $LDA \
		@deliver "$DESKMAIL" deliver \
		"@client%$CORPUS.variant-s" "$DESKMAIL_DELIVER" --socket "$B/serve-lmtp" --no-fallback \
		--recipient support@example.org --sender customer@example.net \
		"@before%$CORPUS.variant-o" "$B/bin/deskmail-before" deliver
	drain_outbox
}

# --profile: perf over an LMTP run at 4 sessions, recorded on the
# service's processes and on PostgreSQL's (the postmaster and its
# backends, which are already running: perf -p follows only the threads
# it is given and what they fork later), so other jobs stay out.
serve_profile() { # N
	local n=$1 pids
	mkdir -p profile
	pids=$( (echo "$SERVE_PID"; ps -o pid= --ppid "$SERVE_PID"; pg_master; ps -o pid= --ppid "$(pg_master)") |
		tr -d ' ' | paste -sd,)
	log "profile: perf over lmtp-blast at 4 sessions (pids $pids)"
	perf record -g -F 999 -o profile/perf-serve.data -p "$pids" >logs/perf-serve.log 2>&1 &
	local perf=$!
	sleep 1
	lmtp_run "prof-deskmail-s4-$n" deskmail bin/lmtp-blast -s 4 -u "p-$n-$$" -m 2000 -l "$SMALL_LIST" "unix:$B/serve-lmtp"
	kill -INT "$perf" 2>/dev/null
	wait "$perf" || true
	perf report -i profile/perf-serve.data --no-children --sort comm,dso --stdio -g none 2>/dev/null |
		grep '%' | head -40 >profile/serve-comm-dso.txt || true
	perf report -i profile/perf-serve.data --no-children --comm deskmail --sort dso,sym --stdio -g none 2>/dev/null |
		grep '%' | head -60 >profile/serve-deskmail-syms.txt || true
	perf report -i profile/perf-serve.data --no-children --comm postgres --sort dso,sym --stdio -g none 2>/dev/null |
		grep '%' | head -60 >profile/serve-postgres-syms.txt || true
	perf report -i profile/perf-serve.data --children --comm deskmail --sort sym --stdio -g none 2>/dev/null |
		grep '%' | head -60 >profile/serve-deskmail-inclusive.txt || true
	reset_db
}

# The same LMTP runs at 4 sessions with [database] prepared_statements
# on (when the binary knows the key), Dovecot again beside them.
serve_prepared_runs() { # N
	local n=$1 l t sock
	grep -q prepared_statements "$DESKMAIL" || return 0
	serve_stop
	SERVE_PREPARED=1 serve_start "$n-prepared"
	for l in $SERVE_SMALL $SERVE_LARGE; do
		for t in deskmail dovecot; do
			sock=$B/serve-lmtp
			[ $t = dovecot ] && sock=$DOVECOT_LMTP
			smtp_source 4 "$l" "$sock"
			lmtp_run "ss-${t}prep-s4-l$l-$n" $t smtp-source "${lmtp_args[@]}"
		done
	done
	for t in deskmail dovecot; do
		sock=$B/serve-lmtp
		[ $t = dovecot ] && sock=$DOVECOT_LMTP
		lmtp_run "blast-${t}prep-s4-$n" $t bin/lmtp-blast -s 4 -u "q4-$n-$$" -o "runs/blast-${t}prep-s4-$n.tsv" \
			-l "$SMALL_LIST" "unix:$sock"
	done
	ack_lag "blast-deskmailprep-s4-$n"
	serve_stop
	serve_start "$n"
}

serve_runs() { # N FIRST(1|0)
	local n=$1 first=$2 s l t
	serve_start "$n"
	[ "$first" = 1 ] && [ "${SERVE_PM:-1}" = 1 ] && serve_permail "$n"
	reset_db
	[ "$first" = 1 ] && [ "$PROFILE" = 1 ] && serve_profile "$n"
	local sessions="1 4"
	[ "$first" = 1 ] || sessions=4
	for s in $sessions; do
		for l in $SERVE_SMALL $SERVE_LARGE; do
			for t in deskmail dovecot; do
				if [ $t = deskmail ]; then smtp_source "$s" "$l" "$B/serve-lmtp"; else smtp_source "$s" "$l" "$DOVECOT_LMTP"; fi
				lmtp_run "ss-$t-s$s-l$l-$n" $t smtp-source "${lmtp_args[@]}"
			done
		done
		for t in deskmail dovecot; do
			local sock=$B/serve-lmtp
			[ $t = dovecot ] && sock=$DOVECOT_LMTP
			lmtp_run "blast-$t-s$s-$n" $t bin/lmtp-blast -s "$s" -u "b$s-$n-$$" -o "runs/blast-$t-s$s-$n.tsv" \
				-l "$SMALL_LIST" "unix:$sock"
		done
		[ "$s" = 4 ] && ack_lag "blast-deskmail-s4-$n"
	done
	serve_prepared_runs "$n"
	if [ "$first" = 1 ]; then
		# The whole corpus (attachments and 20 MB mails too) at 4 sessions.
		for t in deskmail dovecot; do
			local sock=$B/serve-lmtp
			[ $t = dovecot ] && sock=$DOVECOT_LMTP
			lmtp_run "corpus-$t-s4-$n" $t bin/lmtp-blast -s 4 -u "c-$n-$$" -o "runs/corpus-$t-s4-$n.tsv" \
				-l "$CORPUS/corpus.list" "unix:$sock"
		done
		# The same message text over and over (smtp-source -F): after the
		# first, deskmail answers each as a duplicate.
		awk -F'\t' 'NR == 1 { print $1 }' "$SMALL_LIST" | xargs cat >runs/dup.eml
		smtp_source 4 0 "$B/serve-lmtp" -F runs/dup.eml
		lmtp_run "ssdup-deskmail-s4-$n" deskmail smtp-source "${lmtp_args[@]}"
		reset_db
		# The workers' RSS over a long run.
		[ "$RSS_COUNT" -gt 0 ] || { serve_stop; reset_db; return 0; }
		log "RSS run: up to $RSS_COUNT mails or $RSS_SECS s at 4 sessions"
		grep -E '^(Pid|VmRSS)' /proc/"$(ps --ppid "$SERVE_PID" -o pid= | sort -n | head -1 | tr -d ' ')"/status >runs/rss-start.txt
		for w in $(ps --ppid "$SERVE_PID" -o pid= | sort -n | head -n -1); do
			echo "$w=$(awk '/^VmRSS/ { print $2 }' "/proc/$w/status")"
		done | tr '\n' ' ' | sed 's/^/rss n=0 /; s/ $/\n/' >"runs/rss-$n.txt"
		lmtp_run "rss-deskmail-s4-$n" deskmail bin/lmtp-blast -s 4 -u "r-$n-$$" -m "$RSS_COUNT" -T "$RSS_SECS" \
			-k "$RSS_EVERY" -w "$SERVE_PID" -l "$SMALL_LIST" "unix:$B/serve-lmtp"
		grep '^rss ' "logs/rss-deskmail-s4-$n.err" | sed "s/ $SENDER_PID=[0-9]*//" >>"runs/rss-$n.txt" || true
		for w in $(ps --ppid "$SERVE_PID" -o pid= | sort -n | head -n -1); do
			echo "$w=$(awk '/^VmRSS/ { print $2 }' "/proc/$w/status")"
		done | tr '\n' ' ' | sed "s/^/rss n=end /; s/ \$/\n/" >>"runs/rss-$n.txt"
		cat "runs/rss-$n.txt" >&3
	fi
	serve_stop
	reset_db
}

# ---- the table (DIR/serve-results.md)
sum_of() { [ -f "runs/$1.sum" ] && cat "runs/$1.sum"; }
serve_report() {
	set +e
	local n first last s l r d k label
	first=$(echo $SIZES | awk '{print $1}')
	last=$(echo $SIZES | awk '{print $NF}')
	RESULTS=$B/serve-results.md
	{
		echo "# deskmail serve benchmark"
		echo
		echo "$(cat runs/started 2>/dev/null), commit $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null), $(nproc) cores, $(uname -r)," \
			"PostgreSQL $("$PG_BIN"/postgres --version | awk '{print $3}') (fsync=on, synchronous_commit=on), Dovecot $(dovecot --version | awk '{print $1}')," \
			"deskmail serve with ${SERVE_WORKERS:-4} workers, Dovecot lmtp with process_min_avail = 4"
		echo "corpus: seed $SEED, $MESSAGES messages ($(wc -l <runs/small.list) under 100 KB) + $SEEDS seed tickets; sendmail: $SENDMAIL"
		echo
		echo "## Per-mail process harness ($first preloaded tickets, interleaved, < 100 KB)"
		echo
		echo "load average at the end: $(tail -1 "runs/pm-$first.sum" | sed 's/.*load average: //')"
		echo
		echo "| command | n | mean ms | p50 ms | p99 ms | CPU ms | peak RSS KiB |"
		echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
		for g in cat lda deliver client before; do
			s=$(class_stats "runs/pm-$first.tsv" "$g" "$SMALL")
			case $g in
			cat) label="cat > /dev/null" ;;
			lda) label="dovecot-lda" ;;
			deliver) label="deskmail deliver (now)" ;;
			client) label="deskmail-deliver -> deskmail serve" ;;
			before) label="deskmail deliver of d4adf30" ;;
			esac
			echo "| $label | $(get n "$s") | $(get mean_ms "$s") | $(get p50_ms "$s") | $(get p99_ms "$s") | $(get cpu_ms "$s") | $(get rss_max_kib "$s") |"
		done
		echo
		echo "CPU is the client process's (and the sendmail it waited for): the service's own CPU is in the LMTP table."
		echo
		echo "## LMTP throughput ($first preloaded tickets; deskmail and Dovecot interleaved per row)"
		echo
		echo "| client | sessions | mail | deskmail msg/s | Dovecot msg/s | ratio | deskmail p50 / p99 ms | Dovecot p50 / p99 ms | deskmail CPU ms/mail: whole service / workers / sender with its sendmails | PostgreSQL CPU ms/mail | Dovecot CPU ms/mail |"
		echo "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
		for s in 1 4; do
			for l in $SERVE_SMALL $SERVE_LARGE; do
				k=s$s-l$l-$first
				serve_row "smtp-source -L" "$s" "$l bytes of X" "ss-deskmail-$k" "ss-dovecot-$k"
			done
			serve_row "lmtp-blast" "$s" "corpus < 100 KB, new Message-IDs" "blast-deskmail-s$s-$first" "blast-dovecot-s$s-$first"
		done
		serve_row "lmtp-blast" 4 "whole corpus, new Message-IDs" "corpus-deskmail-s4-$first" "corpus-dovecot-s4-$first"
		for l in $SERVE_SMALL $SERVE_LARGE; do
			serve_row "smtp-source -L, prepared_statements" 4 "$l bytes of X" "ss-deskmailprep-s4-l$l-$first" "ss-dovecotprep-s4-l$l-$first"
		done
		serve_row "lmtp-blast, prepared_statements" 4 "corpus < 100 KB, new Message-IDs" "blast-deskmailprep-s4-$first" "blast-dovecotprep-s4-$first"
		serve_row "smtp-source -L -F" 4 "one message again and again (duplicates)" "ssdup-deskmail-s4-$first" "-"
		echo
		echo "## Acknowledgement lag (lmtp-blast, 4 sessions, corpus < 100 KB, $first tickets)"
		echo
		echo "From the 250 after the final dot to outbox.sent_at (now() of the sender's transaction: when it claimed the row, before sendmail ran), and to the mtime of the file the recording sendmail wrote."
		echo
		echo "| run | until | acknowledgements | mean ms | p50 ms | p99 ms | max ms |"
		echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
		for k in "" prep; do
			for f in lag flag; do
				[ -f "runs/blast-deskmail$k-s4-$first.$f" ] || continue
				r=$(cat "runs/blast-deskmail$k-s4-$first.$f")
				echo "| $([ -n "$k" ] && echo "prepared_statements" || echo default) | $([ $f = lag ] && echo outbox.sent_at || echo "sendmail's file") | $(get n "$r") | $(get mean_ms "$r") | $(get p50_ms "$r") | $(get p99_ms "$r") | $(get max_ms "$r") |"
			done
		done
		echo
		if [ -f "runs/rss-$first.txt" ]; then
			echo "## Workers' RSS (VmRSS KiB) over a long run (4 sessions, corpus < 100 KB replayed with new Message-IDs)"
			echo
			echo "$(sum_of "rss-deskmail-s4-$first" | tr ' ' '\n' | grep -E '^(n|msg_s|worker_cpu_ms|load)=' | tr '\n' ' ')"
			echo
			echo "| mails | $(head -1 "runs/rss-$first.txt" | tr ' ' '\n' | grep -E '^[0-9]+=' | sed 's/=.*//; s/^/worker /' | tr '\n' '|' | sed 's/|$//; s/|/ | /g') |"
			echo "| ---: $(head -1 "runs/rss-$first.txt" | tr ' ' '\n' | grep -cE '^[0-9]+=' | awk '{for (i = 0; i < $1; i++) printf "| ---: "}')|"
			while read -r line; do
				echo "| $(echo "$line" | sed 's/^rss n=\([^ ]*\).*/\1/') | $(echo "$line" | tr ' ' '\n' | grep -E '^[0-9]+=' | sed 's/^[0-9]*=//' | tr '\n' '|' | sed 's/|$//; s/|/ | /g') |"
			done <"runs/rss-$first.txt"
			echo
		fi
		echo "## Database size: LMTP at 4 sessions, $first vs $last preloaded tickets"
		echo
		echo "| client | mail | deskmail msg/s at $first | at $last | $last / $first | Dovecot msg/s at $first | at $last |"
		echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
		for k in "ss-%s-s4-l$SERVE_SMALL-%s|smtp-source -L|$SERVE_SMALL bytes" "blast-%s-s4-%s|lmtp-blast|corpus < 100 KB" \
			"ss-%sprep-s4-l$SERVE_SMALL-%s|smtp-source -L, prepared|$SERVE_SMALL bytes" "blast-%sprep-s4-%s|lmtp-blast, prepared|corpus < 100 KB"; do
			local pat=${k%%|*} rest=${k#*|}
			local a b c e
			a=$(get msg_s "$(sum_of "$(printf "$pat" deskmail "$first")")")
			b=$(get msg_s "$(sum_of "$(printf "$pat" deskmail "$last")")")
			c=$(get msg_s "$(sum_of "$(printf "$pat" dovecot "$first")")")
			e=$(get msg_s "$(sum_of "$(printf "$pat" dovecot "$last")")")
			echo "| ${rest%%|*} | ${rest#*|} | $a | $b | $(ratio "$b" "$a") | $c | $e |"
		done
		echo
		echo "Load average at the end of each run is in DIR/runs/*.sum (load=)."
	} >"$RESULTS"
	cat "$RESULTS"
}
serve_row() { # CLIENT SESSIONS MAIL DESKMAIL-RUN DOVECOT-RUN
	local a b
	a=$(sum_of "$4")
	b=$(sum_of "$5")
	[ -n "$a" ] || return 0
	echo "| $1 | $2 | $3 | $(get msg_s "$a") | $(get msg_s "$b") | $(ratio "$(get msg_s "$a")" "$(get msg_s "$b")") |" \
		"$(get p50_ms "$a") / $(get p99_ms "$a") | $(get p50_ms "$b") / $(get p99_ms "$b") |" \
		"$(get svc_cpu_ms "$a") / $(get worker_cpu_ms "$a") / $(get sender_cpu_ms "$a") | $(get pg_cpu_ms "$a") | $(get svc_cpu_ms "$b") |$([ "$(get rc "$a")" = 0 ] || echo " (deskmail run: exit $(get rc "$a"))")"
}
