#!/bin/bash
# mta-snippets.sh - the MTA snippets in etc/ (Postfix, Exim, Dovecot Sieve,
# procmail, maildrop) are read by the real programs from Debian's packages,
# and where a program can run here, it runs a stub in place of
# /usr/bin/deskmail and acts on its exit status as the snippet says.
#
# Nothing outside a temp dir is changed: no system MTA runs or is needed.
# Postfix: postconf/postmap/postalias on a private config directory, then
# (as root) a private Postfix instance of its own (config, queue and log in
# the temp dir, no network listener, nothing relayed out) delivers through
# the deskmail pipe service; it is stopped at the end.  It runs in the same
# kind of mount namespace as exim (below), for the user deskmail.
# Exim conflicts with postfix in Debian, so exim4-daemon-light's .deb is
# downloaded (apt-get download, cached in /var/cache/deskmail-tests when
# writable) and unpacked; its binary runs with a private spool and log
# inside a private mount namespace (unshare) in which /etc/passwd and
# /etc/group are copies that add the users it needs (Debian-exim,
# deskmail).  Dovecot: sievec and sieve-test, with a private dovecot.conf.
# procmail and maildrop run the rcfile/filter on a message.
#
# The LMTP variants talk to tests/lmtp-recorder in place of deskmail serve
# (no database here); deskmail-deliver is the one just built.  systemd:
# systemd-analyze verify reads the units.
#
# A missing program fails the test under CI (scripts/install-deps installs
# them all) and is skipped otherwise; so are the parts that need root.
# DM_KEEP_TMP=1 keeps the temp dir; DM_DEB_CACHE names another .deb cache.
: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/tap.sh"
ETC=$TOP_SRCDIR/etc
ROOT=false
[ "$(id -u)" = 0 ] && ROOT=true

T=$(mktemp -d /tmp/deskmail-mta.XXXXXX)
chmod 755 "$T" # the stub runs as other users (deskmail, nobody)
# The message, where those users can read it too.
MSG=$T/message.eml
cp "$TOP_SRCDIR/examples/01-sl-printer.eml" "$MSG"
chmod 644 "$MSG"
PFX_RUNNING=
REC_PID=
cleanup() {
	[ -n "$REC_PID" ] && kill "$REC_PID" 2>/dev/null
	if [ -n "$PFX_RUNNING" ]; then
		postfix -c "$PFX_RUNNING" stop >/dev/null 2>&1 || postfix -c "$PFX_RUNNING" abort >/dev/null 2>&1
	fi
	[ -z "${DM_KEEP_TMP:-}" ] && rm -rf "$T"
}
trap cleanup EXIT

skip() { # skip REASON: one skipped test point
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N # SKIP $*"
}

# need PROGRAM PACKAGE: is PROGRAM there?  Under CI its absence is a
# failure, elsewhere a skip.
need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ -n "${CI:-}" ]; then
		ok 1 "$1 is installed (package $2; scripts/install-deps installs it)"
	else
		skip "$1 not installed (package $2)"
	fi
	return 1
}

# Copies of /etc/passwd and /etc/group that add the users the MTAs need
# (Debian-exim, deskmail) when the machine lacks them, for a private mount
# namespace: in_ns CMD... runs CMD with them bound over the real files.
NS=false
if $ROOT && unshare -m true 2>/dev/null; then
	NS=true
	mkdir -p "$T/etc"
	cp /etc/passwd "$T/etc/passwd"
	cp /etc/group "$T/etc/group"
	uid=65000
	for u in Debian-exim deskmail; do
		getent passwd "$u" >/dev/null && getent group "$u" >/dev/null && continue
		while getent passwd "$uid" >/dev/null || getent group "$uid" >/dev/null ||
			grep -q "^[^:]*:[^:]*:$uid:" "$T/etc/passwd" "$T/etc/group"; do
			uid=$((uid - 1))
		done
		grep -q "^$u:" "$T/etc/passwd" || echo "$u:x:$uid:$uid::/nonexistent:/usr/sbin/nologin" >>"$T/etc/passwd"
		grep -q "^$u:" "$T/etc/group" || echo "$u:x:$uid:" >>"$T/etc/group"
	done
fi
in_ns() {
	unshare -m sh -c 'mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/group && shift 2 && exec "$@"' \
		sh "$T/etc/passwd" "$T/etc/group" "$@"
}

# The stub deskmail: it records its arguments, user and input in $OUT and
# exits with the status in $OUT/status (0 if absent, "kill" = SIGKILL),
# printing a status line as deskmail does.
OUT=$T/out
mkdir -p "$T/bin" "$OUT"
chmod 1777 "$OUT"
STUB=$T/bin/deskmail
cat >"$STUB" <<EOF
#!/bin/sh
printf '%s\n' "\$@" >$OUT/args
id -un >$OUT/user 2>/dev/null
cat >$OUT/msg
status=\$(cat $OUT/status 2>/dev/null || echo 0)
case \$status in
0) exit 0 ;;
65) echo "5.6.0 deskmail: test says no"; exit 65 ;;
kill) kill -KILL \$\$ ;;
*) echo "4.3.0 deskmail: test says later"; exit \$status ;;
esac
EOF
chmod 755 "$STUB"
stub_reset() { # stub_reset [STATUS]
	rm -f "$OUT"/args "$OUT"/user "$OUT"/msg "$OUT"/status
	[ -n "${1:-}" ] && echo "$1" >"$OUT/status" && chmod 644 "$OUT/status"
	return 0
}
stub_args() { tr '\n' ' ' <"$OUT/args" 2>/dev/null | sed 's/ $//'; }

# seconds VALUE: a time limit in seconds (600s, 10m, 6m, 1h, 300)
seconds() {
	case $1 in
	*s) echo "${1%s}" ;;
	*m) echo $((${1%m} * 60)) ;;
	*h) echo $((${1%h} * 3600)) ;;
	*) echo "$1" ;;
	esac
}
DEADLINE=$(sed -n 's/^deadline *= *\([0-9]*\).*/\1/p' "$ETC/deskmail.conf")
MAXSIZE=$(sed -n 's/^max_message_size *= *\([0-9]*\)M$/\1/p' "$ETC/deskmail.conf")
WORKERS=$(sed -n 's/^#workers *= *\([0-9]*\)$/\1/p' "$ETC/deskmail.conf")
[ -n "$DEADLINE" ] && [ -n "$MAXSIZE" ] && [ -n "$WORKERS" ] || bail "no deadline, max_message_size or #workers in etc/deskmail.conf"

# ---- Postfix ----------------------------------------------------------------
if need postconf postfix; then
	P=$T/postfix
	mkdir -p "$P"
	if [ -f /usr/share/postfix/master.cf.dist ]; then
		cp /usr/share/postfix/master.cf.dist "$P/master.cf"
	else
		cp /etc/postfix/master.cf "$P/master.cf"
	fi
	printf 'compatibility_level = 3.6\nmydestination = example.org, localhost\n' >"$P/main.cf"
	sed "s|/etc/postfix/|$P/|g" "$ETC/postfix/main.cf.deskmail" >>"$P/main.cf"
	cat "$ETC/postfix/master.cf.deskmail" >>"$P/master.cf"
	cp "$ETC/postfix/transport.deskmail" "$ETC/postfix/aliases.deskmail" "$P/"

	OUTP=$(postconf -c "$P" -n 2>"$T/pf.err"); RC=$?
	is "$RC" 0 "postfix: postconf -n reads main.cf with main.cf.deskmail"
	is "$(grep -c -i warning "$T/pf.err")" 0 "postfix: postconf -n gives no warning (no unused deskmail_* parameter)"
	like "$OUTP" "^transport_maps = hash:$P/transport.deskmail$" "postfix: transport_maps names the table"
	like "$OUTP" '^recipient_delimiter = \+$' "postfix: recipient_delimiter = +"
	like "$OUTP" '^deskmail_destination_recipient_limit = 1$' "postfix: one recipient per deskmail run"
	postconf -c "$P" >/dev/null 2>"$T/pf.err"
	is "$(grep -c -i warning "$T/pf.err")" 0 "postfix: the whole configuration gives no warning"
	LIMIT=$(postconf -c "$P" -h deskmail_time_limit)
	[ "$(seconds "$LIMIT")" -gt "$DEADLINE" ]
	ok $? "postfix: deskmail_time_limit ($LIMIT) exceeds deskmail's deadline (${DEADLINE}s)"

	SVC=$(postconf -c "$P" -M deskmail-lmtp/unix 2>&1)
	like "$SVC" '^deskmail-lmtp +unix +- +- +n +- +'"$WORKERS"' +lmtp ' "postfix: master.cf has the deskmail-lmtp service (runs as postfix, chroot n, maxproc = [server] workers $WORKERS)"
	is "$(postconf -c "$P" -P deskmail-lmtp/unix/lmtp_connection_cache_on_demand 2>&1)" \
		"deskmail-lmtp/unix/lmtp_connection_cache_on_demand = no" "postfix: deskmail-lmtp quits after each delivery (no cached idle session)"
	LIMIT=$(postconf -c "$P" -P deskmail-lmtp/unix/lmtp_data_done_timeout 2>&1 | sed 's/.* = //')
	[ "$(seconds "$LIMIT")" -gt "$DEADLINE" ]
	ok $? "postfix: deskmail-lmtp's lmtp_data_done_timeout ($LIMIT) exceeds deskmail's deadline (${DEADLINE}s)"
	like "$OUTP" "^deskmail-lmtp_destination_concurrency_limit = $WORKERS\$" "postfix: deskmail-lmtp concurrency = [server] workers ($WORKERS)"
	like "$OUTP" '^deskmail-lmtp_destination_recipient_limit = 1$' "postfix: one recipient per LMTP transaction"
	SVC=$(postconf -c "$P" -M deskmail/unix 2>&1)
	like "$SVC" '^deskmail +unix +- +n +n +- +'"$WORKERS"' +pipe ' "postfix: master.cf has the deskmail pipe service (unpriv n, chroot n, maxproc $WORKERS)"
	CMD=$(postconf -c "$P" -F deskmail/unix/command 2>&1)
	like "$CMD" '^deskmail/unix/command = pipe flags=DRXq user=deskmail null_sender= ' "postfix: pipe flags=DRXq user=deskmail null_sender="
	like "$CMD" ' argv=/usr/bin/deskmail-deliver --timeout [0-9]+ --recipient \$\{original_recipient\} --sender \$\{sender\}$' "postfix: deskmail runs deskmail-deliver with \${original_recipient} and \${sender}"
	like "$CMD" " size=$((MAXSIZE * 1024 * 1024)) " "postfix: size= is deskmail's max_message_size (${MAXSIZE}M)"
	CTIMEOUT=$(sed -n 's/.* --timeout \([0-9]*\) .*/\1/p' <<<"$CMD")
	LIMIT=$(postconf -c "$P" -h deskmail_time_limit)
	[ -n "$CTIMEOUT" ] && [ "$CTIMEOUT" -lt "$(seconds "$LIMIT")" ] && [ "$CTIMEOUT" -gt "$DEADLINE" ]
	ok $? "postfix: deskmail-deliver --timeout ($CTIMEOUT) is above the deadline and below deskmail_time_limit ($LIMIT)"
	SVC=$(postconf -c "$P" -M deskmail-inproc/unix 2>&1)
	like "$SVC" '^deskmail-inproc +unix +- +n +n +- +10 +pipe ' "postfix: master.cf has the deskmail-inproc pipe service"
	CMD=$(postconf -c "$P" -F deskmail-inproc/unix/command 2>&1)
	like "$CMD" '^deskmail-inproc/unix/command = pipe flags=DRXq user=deskmail null_sender= ' "postfix: deskmail-inproc: flags=DRXq user=deskmail null_sender="
	like "$CMD" ' argv=/usr/bin/deskmail deliver --recipient \$\{original_recipient\} --sender \$\{sender\}$' "postfix: deskmail-inproc runs deskmail deliver"
	like "$CMD" " size=$((MAXSIZE * 1024 * 1024)) " "postfix: deskmail-inproc: size= is max_message_size"
	LIMIT=$(postconf -c "$P" -h deskmail-inproc_time_limit)
	[ "$(seconds "$LIMIT")" -gt "$DEADLINE" ]
	ok $? "postfix: deskmail-inproc_time_limit ($LIMIT) exceeds deskmail's deadline (${DEADLINE}s)"
	like "$OUTP" '^deskmail-inproc_destination_recipient_limit = 1$' "postfix: one recipient per deskmail-inproc run"

	# Without master.cf.deskmail, the same main.cf draws warnings: the
	# check above would see a missing service.
	mkdir -p "$P/bare"
	cp "$P/main.cf" "$P/bare/"
	cp /usr/share/postfix/master.cf.dist "$P/bare/master.cf" 2>/dev/null || cp /etc/postfix/master.cf "$P/bare/master.cf"
	postconf -c "$P/bare" -n >/dev/null 2>"$T/pf.err"
	like "$(cat "$T/pf.err")" 'unused parameter: deskmail_destination_recipient_limit' "postfix: (control) without the service the parameters are unused"

	postmap -c "$P" "hash:$P/transport.deskmail"
	is "$?" 0 "postfix: postmap builds transport.deskmail"
	is "$(postmap -c "$P" -q support@example.org "hash:$P/transport.deskmail")" "deskmail-lmtp:unix:/run/deskmail/lmtp" \
		"postfix: support@example.org -> deskmail-lmtp:unix:/run/deskmail/lmtp"
	is "$(sed -n 's/^ListenStream=//p' "$ETC/systemd/deskmail.socket")" /run/deskmail/lmtp "postfix: ... the socket of deskmail.socket"
	postalias -c "$P" "hash:$P/aliases.deskmail"
	is "$?" 0 "postfix: postalias builds aliases.deskmail"
	is "$(postalias -c "$P" -q support "hash:$P/aliases.deskmail")" '"|/usr/bin/deskmail deliver"' "postfix: alias support -> |/usr/bin/deskmail deliver"
	if $ROOT; then
		# aliases.deskmail says: chown the .db, and postalias by root keeps it.
		chown nobody "$P/aliases.deskmail.db"
		postalias -c "$P" "hash:$P/aliases.deskmail"
		is "$(stat -c %U "$P/aliases.deskmail.db")" nobody "postfix: postalias run again keeps the .db's owner (local(8) runs the command as that user)"
	else
		skip "postalias ownership needs root"
	fi

	# A private Postfix delivers through the snippet's pipe service, with
	# the stub in place of /usr/bin/deskmail.
	if ! $NS; then
		if $ROOT && [ -n "${CI:-}" ]; then
			ok 1 "postfix: unshare -m works"
		else
			skip "postfix: a private Postfix instance needs root and a mount namespace (unshare -m)"
		fi
	else
		Q=$T/postfix-run
		mkdir -p "$Q/spool" "$Q/data"
		chown postfix "$Q/data"
		# The LMTP service is lmtp-recorder (no database here) on $Q/lmtp;
		# deskmail-deliver is the one just built, with the stub as its
		# fallback `deskmail deliver`.
		CLIENT=$T/bin/deskmail-deliver
		cp "${DESKMAIL_DELIVER:-$TOP_BUILDDIR/deskmail-deliver}" "$CLIENT"
		chmod 755 "$CLIENT"
		REC=$T/rec
		mkdir -p "$REC"
		rec_start() {
			rm -f "$Q/lmtp"
			python3 "$TOP_SRCDIR/tests/lmtp-recorder" "$Q/lmtp" "$REC" &
			REC_PID=$!
			local i
			for i in $(seq 50); do [ -S "$Q/lmtp" ] && return 0; sleep 0.1; done
			return 1
		}
		rec_reset() { # rec_reset [REPLY]
			rm -f "$REC"/*
			[ -n "${1:-}" ] && echo "$1" >"$REC/reply"
			return 0
		}
		# master.cf without the smtp listener; every service unchrooted.
		sed -E '/^smtp[[:space:]]+inet/d' "$P/master.cf" |
			sed -e "s|/usr/bin/deskmail-deliver|$CLIENT --socket $Q/lmtp --deskmail $STUB|" \
				-e "s|/usr/bin/deskmail deliver|$STUB deliver|" >"$Q/master.cf"
		{
			echo "compatibility_level = 3.6"
			echo "queue_directory = $Q/spool"
			echo "data_directory = $Q/data"
			echo "maillog_file = $Q/maillog"
			echo "maillog_file_prefixes = $Q"
			echo "inet_interfaces = loopback-only"
			echo "inet_protocols = ipv4"
			echo "myhostname = test.example.org"
			echo "mydestination = example.org"
			echo "alias_maps ="
			echo "alias_database ="
			echo "default_transport = error:5.0.0 nothing leaves this test"
			sed "s|/etc/postfix/|$Q/|g" "$ETC/postfix/main.cf.deskmail"
		} >"$Q/main.cf"
		postconf -c "$Q" -F '*/*/chroot = n' >/dev/null
		# The shipped table (support@ -> LMTP), and two more addresses for
		# the two pipe services.
		{
			sed "s|/run/deskmail/lmtp|$Q/lmtp|" "$ETC/postfix/transport.deskmail"
			printf 'pipe@example.org\tdeskmail:\ninproc@example.org\tdeskmail-inproc:\n'
		} >"$Q/transport.deskmail"
		postmap -c "$Q" "hash:$Q/transport.deskmail"
		: >"$Q/maillog"
		pfx_seen=0
		pfx_send() { # pfx_send SENDER RECIPIENT: send; PLOG = the delivery's log line (30 s at most)
			local i=0 n
			sendmail -C "$Q" -f "$1" -i "$2" <"$MSG"
			PLOG=
			while [ $i -lt 150 ]; do
				n=$(grep -cE ' to=<.*status=(sent|deferred|bounced)' "$Q/maillog")
				if [ "$n" -gt "$pfx_seen" ]; then
					pfx_seen=$n
					PLOG=$(grep -E ' to=<.*status=(sent|deferred|bounced)' "$Q/maillog" | tail -1)
					return 0
				fi
				sleep 0.2
				i=$((i + 1))
			done
			return 1
		}
		rec_start
		ok $? "postfix: lmtp-recorder listens in place of deskmail serve"
		in_ns postfix -c "$Q" start >"$T/postfix-start.log" 2>&1
		RC=$?
		[ $RC = 0 ] && PFX_RUNNING=$Q
		is "$RC" 0 "postfix: a private instance with the snippets starts"

		# deskmail-lmtp: LMTP over the socket, as user postfix.
		rec_reset
		pfx_send alice@example.com support+t17-abc@example.org
		like "$PLOG" 'postfix/lmtp\[.* to=<support\+t17-abc@example\.org>, .*status=sent' "postfix: support+KEY@example.org goes to deskmail-lmtp (transport table, recipient_delimiter)"
		is "$(cat "$REC/rcpts" 2>/dev/null)" support+t17-abc@example.org "postfix: LMTP RCPT TO is the full address with +KEY"
		is "$(cat "$REC/sender" 2>/dev/null)" alice@example.com "postfix: LMTP MAIL FROM is the envelope sender"
		is "$(cat "$REC/uid" 2>/dev/null)" "$(id -u postfix)" "postfix: the lmtp client connects as user postfix (deskmail.socket's SocketGroup=postfix)"
		tail -c "$(wc -c <"$MSG")" "$REC/msg" 2>/dev/null | cmp -s - "$MSG"
		ok $? "postfix: ... and the message arrives as given"
		# The null sender from here on: no bounce is made for it.
		rec_reset
		pfx_send '' support@example.org
		is "$(cat "$REC/sender" 2>/dev/null)" "" "postfix: the null sender is MAIL FROM:<>"
		rec_reset "451 4.3.0 deskmail: test says later"
		pfx_send '' support@example.org
		like "$PLOG" 'dsn=4\.3\.0, status=deferred .*test says later' "postfix: LMTP 451 4.3.0 defers, with deskmail's text"
		rec_reset "554 5.6.0 deskmail: test says no"
		pfx_send '' support@example.org
		like "$PLOG" 'dsn=5\.6\.0, status=bounced .*test says no' "postfix: LMTP 554 5.6.0 bounces, with deskmail's text"
		rec_reset close
		pfx_send '' support@example.org
		like "$PLOG" 'status=deferred' "postfix: the connection lost after the message (a killed worker) defers"

		# deskmail: the pipe through deskmail-deliver.
		rec_reset
		pfx_send alice@example.com pipe+t17-abc@example.org
		like "$PLOG" 'to=<pipe\+t17-abc@example\.org>, relay=deskmail, .*status=sent' "postfix: pipe+KEY goes to the deskmail pipe service"
		is "$(cat "$REC/rcpts" 2>/dev/null) $(cat "$REC/sender" 2>/dev/null)" "pipe+t17-abc@example.org alice@example.com" \
			"postfix: deskmail-deliver passes \${original_recipient} with +KEY and \${sender} over LMTP"
		is "$(cat "$REC/uid" 2>/dev/null)" "$(sed -n 's/^deskmail:[^:]*:\([0-9]*\):.*/\1/p' "$T/etc/passwd")" "postfix: ... as user deskmail"
		is "$(head -2 "$REC/msg" 2>/dev/null | tr '\n' '|')" "Return-Path: <alice@example.com>|Delivered-To: pipe+t17-abc@example.org|" \
			"postfix: flags R and D add Return-Path and Delivered-To"
		tail -c "$(wc -c <"$MSG")" "$REC/msg" 2>/dev/null | cmp -s - "$MSG"
		ok $? "postfix: ... and the message follows as given"
		[ ! -e "$OUT/args" ]
		ok $? "postfix: ... and the fallback did not run"
		rec_reset "451 4.3.0 deskmail: test says later"
		pfx_send '' pipe@example.org
		like "$PLOG" 'relay=deskmail, .*dsn=4\.3\.0, status=deferred \(deskmail: test says later' "postfix: the service's 451 -> deskmail-deliver exits 75, Postfix defers"
		rec_reset "554 5.6.0 deskmail: test says no"
		pfx_send '' pipe@example.org
		like "$PLOG" 'relay=deskmail, .*dsn=5\.6\.0, status=bounced \(deskmail: test says no' "postfix: the service's 554 -> exit 65, Postfix bounces with the text"
		kill "$REC_PID" 2>/dev/null
		wait "$REC_PID" 2>/dev/null
		REC_PID=
		rec_reset
		stub_reset
		pfx_send '' pipe@example.org
		like "$PLOG" 'relay=deskmail, .*status=sent' "postfix: the service stopped: deskmail-deliver falls back, delivered"
		is "$(stub_args)" "deliver --recipient pipe@example.org --sender " "postfix: ... by deskmail deliver with the same recipient and sender"

		# deskmail-inproc: the pipe running `deskmail deliver` (the stub).
		stub_reset
		pfx_send alice@example.com inproc+t17-abc@example.org
		like "$PLOG" 'to=<inproc\+t17-abc@example\.org>, relay=deskmail-inproc, .*status=sent' "postfix: inproc+KEY goes to the deskmail-inproc service"
		is "$(stub_args)" "deliver --recipient inproc+t17-abc@example.org --sender alice@example.com" "postfix: deskmail gets \${original_recipient} with +KEY and \${sender}"
		is "$(cat "$OUT/user" 2>/dev/null)" deskmail "postfix: ... as user deskmail"
		is "$(head -2 "$OUT/msg" 2>/dev/null | tr '\n' '|')" "Return-Path: <alice@example.com>|Delivered-To: inproc+t17-abc@example.org|" "postfix: flags R and D add Return-Path and Delivered-To, no From_ line"
		tail -c "$(wc -c <"$MSG")" "$OUT/msg" 2>/dev/null | cmp -s - "$MSG"
		ok $? "postfix: ... and the message follows as given"
		stub_reset
		pfx_send '' inproc@example.org
		is "$(stub_args)" "deliver --recipient inproc@example.org --sender " "postfix: the null sender gives --sender an empty argument (null_sender=)"
		stub_reset 75
		pfx_send '' inproc@example.org
		like "$PLOG" 'dsn=4\.3\.0, status=deferred' "postfix: exit 75 (and deskmail's 4.3.0 line) defers"
		stub_reset 65
		pfx_send '' inproc@example.org
		like "$PLOG" 'dsn=5\.6\.0, status=bounced \(deskmail: test says no' "postfix: exit 65 bounces; deskmail's 5.6.0 becomes the DSN code, its text the reason"
		stub_reset kill
		pfx_send '' inproc@example.org
		like "$PLOG" 'status=deferred' "postfix: deskmail killed by a signal defers"
		if [ -n "$PFX_RUNNING" ]; then
			postfix -c "$Q" stop >/dev/null 2>&1
			is "$?" 0 "postfix: the private instance stops"
			PFX_RUNNING=
		fi
	fi
fi

# ---- Exim -------------------------------------------------------------------
exim_setup() {
	EXIM_DEBS=${DM_DEB_CACHE:-/var/cache/deskmail-tests}
	mkdir -p "$EXIM_DEBS" 2>/dev/null && [ -w "$EXIM_DEBS" ] || EXIM_DEBS=$T/debs
	mkdir -p "$EXIM_DEBS"
	deb=$(ls "$EXIM_DEBS"/exim4-daemon-light_*.deb 2>/dev/null | tail -1)
	if [ -z "$deb" ]; then
		# apt-get download works as any user; a stale package list may
		# name a version the mirror no longer has: update it (root) once.
		(cd "$EXIM_DEBS" && apt-get download exim4-daemon-light) >"$T/apt.log" 2>&1 ||
			{ $ROOT && apt-get update -qq >>"$T/apt.log" 2>&1 &&
				(cd "$EXIM_DEBS" && apt-get download exim4-daemon-light) >>"$T/apt.log" 2>&1; }
		deb=$(ls "$EXIM_DEBS"/exim4-daemon-light_*.deb 2>/dev/null | tail -1)
	fi
	[ -n "$deb" ] || { sed 's/^/# /' "$T/apt.log"; return 1; }
	dpkg-deb -x "$deb" "$T/exim-root" || return 1
	EXIM=$T/exim-root/usr/sbin/exim4
	chmod u-s "$EXIM" # no setuid-root copy lying around while the test runs
}

if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
	skip "exim: no apt-get/dpkg-deb"
elif ! $NS; then
	if $ROOT && [ -n "${CI:-}" ]; then
		ok 1 "exim: unshare -m works"
	else
		skip "exim: running Debian's exim4 from its .deb needs root and a mount namespace (unshare -m)"
	fi
elif ! exim_setup; then
	if [ -n "${CI:-}" ]; then ok 1 "exim: apt-get download exim4-daemon-light"; else skip "exim: cannot download exim4-daemon-light"; fi
else
	ok 0 "exim: exim4-daemon-light downloaded and unpacked ($(basename "$deb"))"
	MISSING=$(ldd "$EXIM" | grep 'not found')
	is "$MISSING" "" "exim: every shared library of exim4 is installed"

	exim() { in_ns "$EXIM" "$@"; } # Debian's exim, with the users Debian-exim and deskmail
	X=$T/exim
	REC_X=$T/rec-exim
	mkdir -p "$X/log" "$REC_X"
	chown "$(grep '^Debian-exim:' "$T/etc/passwd" | cut -d: -f3)" "$X/log" # exim logs as Debian-exim
	# A minimal configuration around the two parts of deskmail.conf, with
	# the stub in place of /usr/bin/deskmail.
	{
		cat <<EOF
primary_hostname = test.example.org
domainlist local_domains = example.org
spool_directory = $X/spool
log_file_path = $X/log/%slog
keep_environment =
begin routers
EOF
		sed -n '/^# ---- ROUTER/,/^# ---- TRANSPORT/p' "$ETC/exim4/deskmail.conf"
		echo "begin transports"
		sed -n '/^# ---- TRANSPORT/,$p' "$ETC/exim4/deskmail.conf"
		printf 'begin retry\n*  *  F,2h,15m; G,16h,1h,1.5; F,4d,6h\n'
	} | sed -e "s|/usr/bin/deskmail|$STUB|" -e "s|/run/deskmail/lmtp|$X/lmtp|" >"$X/configure"
	# The pipe variant: the same file with the router's transport switched,
	# as the comment says.
	sed 's/^  transport = deskmail_lmtp$/  transport = deskmail_pipe/' "$X/configure" >"$X/configure.pipe"

	OUTX=$(exim -C "$X/configure" -bV 2>&1); RC=$?
	is "$RC" 0 "exim: exim4 -bV reads the configuration with deskmail.conf"
	like "$OUTX" "^Configuration file is $X/configure" "exim: ... and says which file"
	OUTX=$(exim -C "$X/configure" -bt support+t17-abc@example.org 2>&1)
	like "$OUTX" 'router = deskmail, transport = deskmail_lmtp' "exim: -bt support+KEY@example.org goes to deskmail_lmtp"
	OUTX=$(exim -C "$X/configure" -bt support@example.org 2>&1)
	like "$OUTX" 'router = deskmail, transport = deskmail_lmtp' "exim: -bt support@example.org goes to deskmail_lmtp"
	OUTX=$(exim -C "$X/configure" -bt someone@example.org 2>&1)
	ok "$(printf '%s' "$OUTX" | grep -c deskmail_)" "exim: -bt someone@example.org does not"
	OUTX=$(exim -C "$X/configure.pipe" -bt support+t17-abc@example.org 2>&1)
	like "$OUTX" 'router = deskmail, transport = deskmail_pipe' "exim: with transport = deskmail_pipe, -bt support+KEY goes to deskmail_pipe"
	OUTX=$(exim -C "$X/configure" -bP transport deskmail_lmtp 2>&1)
	like "$OUTX" "^socket = $X/lmtp\$" "exim: deskmail_lmtp uses the socket"
	like "$OUTX" '^batch_max = 1$' "exim: deskmail_lmtp: one address per delivery"
	like "$OUTX" '^rcpt_include_affixes$' "exim: deskmail_lmtp: RCPT TO keeps the +KEY suffix"
	like "$OUTX" '^user = deskmail$' "exim: deskmail_lmtp runs as deskmail"
	like "$OUTX" "^message_size_limit = ${MAXSIZE}M$" "exim: deskmail_lmtp: message_size_limit is deskmail's max_message_size"
	LIMIT=$(printf '%s\n' "$OUTX" | sed -n 's/^timeout = //p')
	[ "$(seconds "$LIMIT")" -gt "$DEADLINE" ]
	ok $? "exim: deskmail_lmtp timeout ($LIMIT) exceeds deskmail's deadline (${DEADLINE}s)"
	OUTX=$(exim -C "$X/configure" -bP transport deskmail_pipe 2>&1)
	like "$OUTX" '^temp_errors = 75:73:126:127$' "exim: temp_errors = 75:73:126:127"
	like "$OUTX" '^user = deskmail$' "exim: the pipe runs as deskmail"
	like "$OUTX" "^message_size_limit = ${MAXSIZE}M$" "exim: message_size_limit is deskmail's max_message_size"
	LIMIT=$(printf '%s\n' "$OUTX" | sed -n 's/^timeout = //p')
	[ "$(seconds "$LIMIT")" -gt "$DEADLINE" ]
	ok $? "exim: timeout ($LIMIT) exceeds deskmail's deadline (${DEADLINE}s)"
	grep -v '^  temp_errors' "$X/configure" >"$X/configure.default"
	OUTX=$(exim -C "$X/configure.default" -bP transport deskmail_pipe 2>&1)
	like "$OUTX" '^temp_errors = 75:73$' "exim: (the comment's claim) the default temp_errors is 75:73"

	# exim_deliver SENDER RECIPIENT: queue the message, then deliver it
	# now; sets $XLOG to the main log lines of that message.
	exim_deliver() {
		rm -rf "$X/spool"
		rm -f "$X/log/mainlog"
		exim -C "$X/configure" -odq -oi -f "$1" "$2" <"$MSG"
		XID=$(ls "$X/spool/input" 2>/dev/null | sed -n 's/-H$//p' | head -1)
		[ -n "$XID" ] && exim -C "$X/configure" -M "$XID"
		XLOG=$(grep -F "$XID" "$X/log/mainlog" 2>/dev/null)
	}
	# deskmail_lmtp against lmtp-recorder in place of deskmail serve.
	python3 "$TOP_SRCDIR/tests/lmtp-recorder" "$X/lmtp" "$REC_X" &
	REC_PID=$!
	for i in $(seq 50); do [ -S "$X/lmtp" ] && break; sleep 0.1; done
	xrec_reset() { rm -f "$REC_X"/*; [ -n "${1:-}" ] && echo "$1" >"$REC_X/reply"; return 0; }
	xrec_reset
	exim_deliver alice@example.com support+t17-abc@example.org
	like "$XLOG" "=> support\\+t17-abc <support\\+t17-abc@example.org> R=deskmail T=deskmail_lmtp C=\"250 " "exim: delivered through deskmail_lmtp"
	is "$(cat "$REC_X/rcpts" 2>/dev/null) $(cat "$REC_X/sender" 2>/dev/null)" "support+t17-abc@example.org alice@example.com" \
		"exim: LMTP RCPT TO is the full address with +KEY, MAIL FROM the sender"
	is "$(cat "$REC_X/uid" 2>/dev/null)" "$(sed -n 's/^deskmail:[^:]*:\([0-9]*\):.*/\1/p' "$T/etc/passwd")" "exim: ... connecting as user deskmail"
	tail -c "$(wc -c <"$MSG")" "$REC_X/msg" 2>/dev/null | cmp -s - "$MSG"
	ok $? "exim: ... and the message ends as given"
	xrec_reset "451 4.3.0 deskmail: test says later"
	exim_deliver '<>' support@example.org
	like "$XLOG" '== support@example.org R=deskmail T=deskmail_lmtp defer .*451 4\.3\.0 deskmail: test says later' "exim: LMTP 451 defers"
	[ -f "$X/spool/input/$XID-H" ]
	ok $? "exim: ... and the message stays queued"
	xrec_reset "554 5.6.0 deskmail: test says no"
	exim_deliver '<>' support@example.org
	like "$XLOG" '\*\* support@example.org R=deskmail T=deskmail_lmtp: .*554 5\.6\.0 deskmail: test says no' "exim: LMTP 554 fails (bounces) with deskmail's text"
	xrec_reset close
	exim_deliver '<>' support@example.org
	like "$XLOG" '== support@example.org R=deskmail T=deskmail_lmtp defer' "exim: the connection lost after the message (a killed worker) defers"
	kill "$REC_PID" 2>/dev/null
	wait "$REC_PID" 2>/dev/null
	REC_PID=
	exim_deliver '<>' support@example.org
	like "$XLOG" '== support@example.org R=deskmail T=deskmail_lmtp defer' "exim: the service stopped (connection refused) defers"

	# deskmail_pipe.
	cp "$X/configure.pipe" "$X/configure"
	stub_reset
	exim_deliver alice@example.com support+t17-abc@example.org
	like "$XLOG" "=> support <support\+t17-abc@example.org> R=deskmail T=deskmail_pipe" "exim: delivered through deskmail_pipe"
	is "$(stub_args)" "deliver --recipient=support+t17-abc@example.org --sender=alice@example.com" "exim: deskmail gets the full recipient (with +KEY) and the sender"
	is "$(cat "$OUT/user" 2>/dev/null)" deskmail "exim: ... as user deskmail"
	like "$(head -1 "$OUT/msg" 2>/dev/null)" '^Return-path: <alice@example\.com>$' "exim: the message starts with Return-path (no From_ line)"
	tail -c "$(wc -c <"$MSG")" "$OUT/msg" 2>/dev/null | cmp -s - "$MSG"
	ok $? "exim: ... and ends with the message exactly as given"
	stub_reset
	exim_deliver '<>' support@example.org
	is "$(stub_args)" "deliver --recipient=support@example.org --sender=" "exim: the null sender gives an empty --sender="
	# Failures with the null sender: exim then makes no bounce (which it
	# would hand to /usr/sbin/exim4 -t, the system's own if installed).
	stub_reset 75
	exim_deliver '<>' support@example.org
	like "$XLOG" '== support@example.org R=deskmail T=deskmail_pipe defer .*returned 75' "exim: exit 75 defers"
	[ -f "$X/spool/input/$XID-H" ]
	ok $? "exim: ... and the message stays queued"
	like "$XLOG" 'deskmail_pipe transport output: 4\.3\.0 deskmail: ' "exim: ... and the log has deskmail's line"
	stub_reset 65
	exim_deliver '<>' support@example.org
	like "$XLOG" '\*\* support@example.org R=deskmail T=deskmail_pipe: .*returned 65' "exim: exit 65 fails (bounces)"
	like "$XLOG" 'deskmail_pipe transport output: 5\.6\.0 deskmail: ' "exim: ... with deskmail's line for the bounce"
	stub_reset kill
	exim_deliver '<>' support@example.org
	like "$XLOG" '== support@example.org R=deskmail T=deskmail_pipe defer .*returned 75' "exim: deskmail killed by a signal defers (the shell makes it 75)"
	sed -i "s|$STUB|$T/bin/no-such-deskmail|" "$X/configure"
	stub_reset
	exim_deliver '<>' support@example.org
	like "$XLOG" '== support@example.org R=deskmail T=deskmail_pipe defer .*returned 127' "exim: a missing /usr/bin/deskmail defers (127)"
fi

# ---- Dovecot Sieve ----------------------------------------------------------
if need sievec dovecot-sieve && need sieve-test dovecot-sieve; then
	D=$T/dovecot
	mkdir -p "$D/sieve" "$D/pipe" "$D/mail"
	cp "$ETC/dovecot/deskmail.sieve" "$D/sieve/"
	sed -e "s|/usr/lib/dovecot/sieve-pipe|$D/pipe|" -e "s|/etc/dovecot/sieve/|$D/sieve/|" \
		"$ETC/dovecot/90-sieve-deskmail.conf" >"$D/90-sieve-deskmail.conf"
	sed "s|/usr/bin/deskmail|$STUB|" "$ETC/dovecot/deskmail-deliver" >"$D/pipe/deskmail-deliver"
	chmod 755 "$D/pipe/deskmail-deliver"
	# The mail user: root may not be one (first_valid_uid); nobody then.
	if $ROOT; then
		MUID=$(id -u nobody); MGID=$(id -g nobody)
	else
		MUID=$(id -u); MGID=$(id -g)
	fi
	chown "$MUID:$MGID" "$D/mail"
	base_conf() {
		cat <<EOF
base_dir = $D/run
state_dir = $D/state
log_path = $D/dovecot.log
ssl = no
protocols =
mail_location = maildir:$D/mail
mail_uid = $MUID
mail_gid = $MGID
EOF
	}
	{ base_conf; echo "!include $D/90-sieve-deskmail.conf"; } >"$D/dovecot.conf"
	base_conf >"$D/bare.conf"

	doveconf -c "$D/dovecot.conf" -n >/dev/null 2>"$T/dc.err"
	is "$?" 0 "dovecot: doveconf reads 90-sieve-deskmail.conf"
	is "$(cat "$T/dc.err")" "" "dovecot: ... without a warning"
	LIMIT=$(doveconf -c "$D/dovecot.conf" -h plugin/sieve_pipe_exec_timeout)
	[ "$(seconds "$LIMIT")" -gt "$DEADLINE" ]
	ok $? "dovecot: sieve_pipe_exec_timeout ($LIMIT) exceeds deskmail's deadline (${DEADLINE}s)"
	sievec -c "$D/bare.conf" "$D/sieve/deskmail.sieve" "$T/bare.svbin" >/dev/null 2>&1
	isnt0=$?
	[ "$isnt0" -ne 0 ]
	ok $? "dovecot: (control) without the .conf, sievec refuses vnd.dovecot.pipe"
	OUTD=$(sievec -c "$D/dovecot.conf" "$D/sieve/deskmail.sieve" 2>&1)
	is "$?" 0 "dovecot: sievec compiles deskmail.sieve with vnd.dovecot.pipe enabled"
	[ -s "$D/sieve/deskmail.svbin" ]
	ok $? "dovecot: ... into deskmail.svbin"

	# sieve_test RECIPIENT: run the script for real (-e): pipe and keep.
	sieve_test() {
		rm -rf "$D/mail/new" "$D/mail/cur" "$D/mail/tmp"
		OUTD=$(sieve-test -c "$D/dovecot.conf" -e -l "maildir:$D/mail" -f alice@example.com -r "$1" \
			"$D/sieve/deskmail.sieve" "$MSG" 2>&1)
		KEPT=$(ls "$D/mail/new" 2>/dev/null | wc -l)
	}
	stub_reset
	sieve_test support+t17-abc@example.org
	like "$OUTD" "pipe action: piped message to program .deskmail-deliver" "dovecot: mail to support+KEY is piped to deskmail-deliver"
	is "$(stub_args)" "deliver --recipient=support+t17-abc@example.org --sender=alice@example.com" "dovecot: deskmail-deliver runs deskmail deliver with recipient and sender"
	cmp -s "$OUT/msg" "$MSG"
	ok $? "dovecot: deskmail gets the message exactly (LF line ends)"
	is "$KEPT" 0 "dovecot: ... and it is not kept in the INBOX"
	stub_reset 75
	sieve_test support@example.org
	like "$OUTD" 'final result: failed; resolved with successful implicit keep' "dovecot: exit 75 fails the pipe action, the implicit keep runs"
	is "$KEPT" 1 "dovecot: ... and the message is in the INBOX"
	stub_reset
	sieve_test someone@example.org
	[ ! -e "$OUT/args" ]
	ok $? "dovecot: mail to someone else is not piped"
	is "$KEPT" 1 "dovecot: ... but kept"
fi

# ---- procmail ---------------------------------------------------------------
if need procmail procmail; then
	# procmail_run STATUS [PROGRAM]: sets RC and $T/procmail.mbox if it
	# fell through to the default delivery.
	procmail_run() {
		stub_reset "$1"
		rm -f "$T/procmail.mbox"
		procmail -m DESKMAIL="${2:-$STUB}" DEFAULT="$T/procmail.mbox" \
			"$ETC/procmail/procmailrc.deskmail" <"$MSG" 2>"$T/procmail.err"
		RC=$?
	}
	procmail_run 0
	is "$RC" 0 "procmail: deskmail's 0 -> procmail exits 0"
	is "$(stub_args)" deliver "procmail: it ran deskmail deliver"
	cmp -s "$OUT/msg" "$MSG"
	ok $? "procmail: ... with the message exactly as given"
	[ ! -e "$T/procmail.mbox" ]
	ok $? "procmail: ... and stored nothing in the mailbox"
	procmail_run 75
	is "$RC" 75 "procmail: deskmail's 75 -> procmail exits 75 (the MTA defers)"
	[ ! -e "$T/procmail.mbox" ]
	ok $? "procmail: ... and does not file the message in the mailbox"
	procmail_run 65
	is "$RC" 65 "procmail: deskmail's 65 -> procmail exits 65 (the MTA bounces)"
	procmail_run 1
	is "$RC" 75 "procmail: any other failure -> 75"
	procmail_run kill
	is "$RC" 75 "procmail: deskmail killed by a signal -> 75"
	procmail_run 0 "$T/bin/no-such-deskmail"
	is "$RC" 75 "procmail: a missing program -> 75"
fi

# ---- maildrop ---------------------------------------------------------------
if need maildrop maildrop; then
	# maildrop wants its filter owned by the user and private to it.
	M=$T/maildrop
	mkdir -p "$M"
	cp "$ETC/maildrop/mailfilter.deskmail" "$M/mailfilter"
	chmod 600 "$M/mailfilter"
	maildrop_run() { # maildrop_run STATUS [PROGRAM]: sets RC
		stub_reset "$1"
		HOME=$M DESKMAIL=${2:-$STUB} maildrop "$M/mailfilter" <"$MSG" >"$T/maildrop.out" 2>&1
		RC=$?
	}
	maildrop_run 0
	is "$RC" 0 "maildrop: deskmail's 0 -> maildrop exits 0"
	is "$(stub_args)" deliver "maildrop: it ran deskmail deliver"
	cmp -s "$OUT/msg" "$MSG"
	ok $? "maildrop: ... with the message exactly as given"
	maildrop_run 75
	is "$RC" 75 "maildrop: deskmail's 75 -> maildrop exits 75 (the MTA defers)"
	maildrop_run 65
	is "$RC" 65 "maildrop: deskmail's 65 -> maildrop exits 65 (the MTA bounces)"
	maildrop_run 1
	is "$RC" 75 "maildrop: any other failure -> 75"
	maildrop_run kill
	is "$RC" 75 "maildrop: deskmail killed by a signal -> 75"
	maildrop_run 0 "$T/bin/no-such-deskmail"
	is "$RC" 75 "maildrop: a missing program -> 75"
fi

# ---- systemd ----------------------------------------------------------------
if need systemd-analyze systemd; then
	S=$T/systemd
	mkdir -p "$S"
	# verify wants the programs to exist: /bin/true stands in for deskmail.
	for u in deskmail.socket deskmail.service deskmail-outbox.service deskmail-outbox.timer; do
		sed 's|/usr/bin/deskmail|/bin/true|' "$ETC/systemd/$u" >"$S/$u"
	done
	OUTS=$(cd "$S" && systemd-analyze verify --man=no deskmail.socket deskmail.service deskmail-outbox.service deskmail-outbox.timer 2>&1)
	is "$OUTS" "" "systemd: systemd-analyze verify accepts the four units without a warning"
	echo 'NoSuchOption=yes' >>"$S/deskmail.service"
	OUTS=$(cd "$S" && systemd-analyze verify --man=no deskmail.service 2>&1)
	like "$OUTS" "Unknown key 'NoSuchOption'" "systemd: (control) verify reports an unknown key"
	GRACE=$(sed -n 's/^#grace *= *\([0-9]*\)s$/\1/p' "$ETC/deskmail.conf")
	STOP=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s$/\1/p' "$ETC/systemd/deskmail.service")
	[ -n "$GRACE" ] && [ -n "$STOP" ] && [ "$STOP" -gt "$GRACE" ]
	ok $? "systemd: TimeoutStopSec (${STOP}s) exceeds [server] grace (${GRACE}s)"
	is "$(grep -c '^SocketGroup=postfix$\|^SocketMode=0660$\|^SocketUser=deskmail$' "$ETC/systemd/deskmail.socket")" 3 \
		"systemd: the socket is deskmail:postfix, mode 0660"
fi

tap_done
