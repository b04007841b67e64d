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
cleanup() {
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
[ -n "$DEADLINE" ] && [ -n "$MAXSIZE" ] || bail "no deadline or max_message_size in etc/deskmail.conf"

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

	SVC=$(postconf -c "$P" -M deskmail/unix 2>&1)
	like "$SVC" '^deskmail +unix +- +n +n +- +10 +pipe ' "postfix: master.cf has the deskmail pipe service (unpriv n, chroot n)"
	CMD=$(postconf -c "$P" -F deskmail/unix/command 2>&1)
	like "$CMD" '^deskmail/unix/command = pipe flags=DRXq user=deskmail null_sender= ' "postfix: pipe flags=DRXq user=deskmail null_sender="
	like "$CMD" ' argv=/usr/bin/deskmail deliver --recipient \$\{original_recipient\} --sender \$\{sender\}$' "postfix: argv passes \${original_recipient} and \${sender}"
	like "$CMD" " size=$((MAXSIZE * 1024 * 1024)) " "postfix: size= is deskmail's max_message_size (${MAXSIZE}M)"

	# Without master.cf.deskmail, the same main.cf draws warnings: the
	# check above would see a missing service.
	mkdir -p "$P/bare"
	cp "$P/main.cf" "$P/bare/"
	cp /usr/share/postfix/master.cf.dist "$P/bare/master.cf" 2>/dev/null || cp /etc/postfix/master.cf "$P/bare/master.cf"
	postconf -c "$P/bare" -n >/dev/null 2>"$T/pf.err"
	like "$(cat "$T/pf.err")" 'unused parameter: deskmail_destination_recipient_limit' "postfix: (control) without the service the parameters are unused"

	postmap -c "$P" "hash:$P/transport.deskmail"
	is "$?" 0 "postfix: postmap builds transport.deskmail"
	is "$(postmap -c "$P" -q support@example.org "hash:$P/transport.deskmail")" "deskmail:" "postfix: support@example.org -> deskmail:"
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
		# master.cf without the smtp listener; every service unchrooted.
		sed -E '/^smtp[[:space:]]+inet/d' "$P/master.cf" | sed "s|/usr/bin/deskmail|$STUB|" >"$Q/master.cf"
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
		cp "$ETC/postfix/transport.deskmail" "$Q/"
		postmap -c "$Q" "hash:$Q/transport.deskmail"
		: >"$Q/maillog"
		pfx_seen=0
		pfx_send() { # pfx_send SENDER RECIPIENT: send; PLOG = the pipe's log line (30 s at most)
			local i=0 n
			sendmail -C "$Q" -f "$1" -i "$2" <"$MSG"
			PLOG=
			while [ $i -lt 150 ]; do
				n=$(grep -c 'postfix/pipe.*relay=deskmail' "$Q/maillog")
				if [ "$n" -gt "$pfx_seen" ]; then
					pfx_seen=$n
					PLOG=$(grep 'postfix/pipe.*relay=deskmail' "$Q/maillog" | tail -1)
					return 0
				fi
				sleep 0.2
				i=$((i + 1))
			done
			return 1
		}
		in_ns postfix -c "$Q" start >"$T/postfix-start.log" 2>&1
		RC=$?
		[ $RC = 0 ] && PFX_RUNNING=$Q
		is "$RC" 0 "postfix: a private instance with the snippets starts"
		stub_reset
		pfx_send alice@example.com support+t17-abc@example.org
		like "$PLOG" 'to=<support\+t17-abc@example\.org>, relay=deskmail, .*status=sent' "postfix: support+KEY@example.org goes to the deskmail service (transport table, recipient_delimiter)"
		is "$(stub_args)" "deliver --recipient support+t17-abc@example.org --sender alice@example.com" "postfix: deskmail gets \${original_recipient} with +KEY and \${sender}"
		is "$(cat "$OUT/user" 2>/dev/null)" deskmail "postfix: ... as user deskmail"
		is "$(head -2 "$OUT/msg" 2>/dev/null | tr '\n' '|')" "Return-Path: <alice@example.com>|Delivered-To: support+t17-abc@example.org|" "postfix: flags R and D add Return-Path and Delivered-To, no From_ line"
		tail -c "$(wc -c <"$MSG")" "$OUT/msg" 2>/dev/null | cmp -s - "$MSG"
		ok $? "postfix: ... and the message follows as given"
		# The null sender from here on: no bounce is made for it.
		stub_reset
		pfx_send '' support@example.org
		is "$(stub_args)" "deliver --recipient support@example.org --sender " "postfix: the null sender gives --sender an empty argument (null_sender=)"
		stub_reset 75
		pfx_send '' support@example.org
		like "$PLOG" 'dsn=4\.3\.0, status=deferred' "postfix: exit 75 (and deskmail's 4.3.0 line) defers"
		stub_reset 65
		pfx_send '' support@example.org
		like "$PLOG" 'dsn=5\.6\.0, status=bounced \(deskmail: test says no' "postfix: exit 65 bounces; deskmail's 5.6.0 becomes the DSN code, its text the reason"
		stub_reset kill
		pfx_send '' support@example.org
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
	mkdir -p "$X/log"
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
	} | sed "s|/usr/bin/deskmail|$STUB|" >"$X/configure"

	OUTX=$(exim -C "$X/configure" -bV 2>&1); RC=$?
	is "$RC" 0 "exim: exim4 -bV reads the configuration with deskmail.conf"
	like "$OUTX" "^Configuration file is $X/configure" "exim: ... and says which file"
	OUTX=$(exim -C "$X/configure" -bt support+t17-abc@example.org 2>&1)
	like "$OUTX" 'router = deskmail, transport = deskmail_pipe' "exim: -bt support+KEY@example.org goes to deskmail_pipe"
	OUTX=$(exim -C "$X/configure" -bt support@example.org 2>&1)
	like "$OUTX" 'router = deskmail, transport = deskmail_pipe' "exim: -bt support@example.org goes to deskmail_pipe"
	OUTX=$(exim -C "$X/configure" -bt someone@example.org 2>&1)
	ok "$(printf '%s' "$OUTX" | grep -c deskmail_pipe)" "exim: -bt someone@example.org does not"
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

tap_done
