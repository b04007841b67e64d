# lib.sh - common setup for the integration tests: TAP helpers, a private
# PostgreSQL server for this test script, a configuration file pointing at
# it, and cleanup on exit.
#
# Usage (at the top of a test): . "$TOP_SRCDIR/tests/lib.sh"; dm_setup

: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${TOP_BUILDDIR:=$TOP_SRCDIR}"
: "${DESKMAIL:=$TOP_BUILDDIR/deskmail}"
: "${MAILINFO:=$TOP_BUILDDIR/tests/mailinfo}"
: "${DESKMAIL_DELIVER:=$TOP_BUILDDIR/deskmail-deliver}"
# The front end the tests deliver through (dm_deliver): "deliver", the
# in-process `deskmail deliver`, or "serve": `deskmail serve` started by
# dm_setup, reached through the pipe client deskmail-deliver.
: "${DM_FRONT_END:=deliver}"
DATA=$TOP_SRCDIR/tests/data

. "$TOP_SRCDIR/tests/tap.sh"
. "$TOP_SRCDIR/tests/pg-harness.sh"

dm_cleanup() {
	dm_serve_stop
	pg_stop immediate
	[ -n "${T:-}" ] && [ -z "${DM_KEEP_TMP:-}" ] && rm -rf "$T"
}

# dm_setup: a temp dir $T, a server, the database initialised, and
# $DESKMAIL_CONFIG written (extra config lines may be given on stdin to
# dm_write_config later).
dm_setup() {
	T=$(mktemp -d /tmp/deskmail-test.XXXXXX)
	chmod 711 "$T" # the server may run as another user: it must reach $T/pg
	trap dm_cleanup EXIT
	head -c 32 /dev/urandom | base64 >"$T/secret"
	chmod 600 "$T/secret"
	DM_SENDMAIL_DIR=$T/sent
	export DM_SENDMAIL_DIR
	mkdir -p "$DM_SENDMAIL_DIR"
	pg_start "$T/pg" || bail "cannot start PostgreSQL"
	dm_write_config
	"$DESKMAIL" db init >"$T/init.log" 2>&1 || { cat "$T/init.log"; bail "db init failed"; }
	[ "$DM_FRONT_END" = serve ] && { dm_serve_start || bail "deskmail serve did not start"; }
	return 0
}

# dm_serve_start: `deskmail serve` on $T/lmtp in the background, its log
# in $T/serve.log; waits until it answers.
dm_serve_start() {
	# Started from a subshell: not a job of the test's shell, so a test's
	# own "wait" for its jobs does not wait for the service.
	DM_SERVE_PID=$( ("$DESKMAIL" serve >>"$T/serve.log" 2>&1 </dev/null & echo $!) )
	local i
	for i in $(seq 100); do
		[ -S "$T/lmtp" ] && grep -q 'serve: generation .* listening' "$T/serve.log" && return 0
		kill -0 "$DM_SERVE_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# dm_serve_stop: SIGTERM and wait (nothing when it does not run).
dm_serve_stop() {
	[ -n "${DM_SERVE_PID:-}" ] || return 0
	local i
	kill -TERM "$DM_SERVE_PID" 2>/dev/null
	for i in $(seq 200); do
		kill -0 "$DM_SERVE_PID" 2>/dev/null || break
		sleep 0.05
	done
	DM_SERVE_PID=
}

# dm_serve_reload: SIGHUP, and wait for the service to say how it went.
dm_serve_reload() {
	local before i
	before=$(grep -c -E 'serve: (generation [0-9]+ loaded|reload failed)' "$T/serve.log")
	kill -HUP "$DM_SERVE_PID"
	for i in $(seq 100); do
		[ "$(grep -c -E 'serve: (generation [0-9]+ loaded|reload failed)' "$T/serve.log")" -gt "$before" ] && return 0
		sleep 0.05
	done
	return 1
}

# dm_outbox_wait [SECONDS]: until the service's sender has handed over
# every queued mail that is due (at most SECONDS, 10 by default).
dm_outbox_wait() {
	local i
	for i in $(seq $((${1:-10} * 20))); do
		[ "$(pg_sql "SELECT count(*) FROM outbox WHERE status = 'queued' AND next_attempt_at <= now()")" = 0 ] &&
			return 0
		sleep 0.05
	done
	return 1
}

# dm_write_config [EXTRA-INI-TEXT]: write $T/deskmail.conf.  The extra text
# is appended, so it may add keys to the [log] group or start new groups.
dm_write_config() {
	DESKMAIL_CONFIG=$T/deskmail.conf
	export DESKMAIL_CONFIG
	cat >"$DESKMAIL_CONFIG" <<CONF
[desk]
support_address = support@example.org
support_name = Example Service Desk
topics = $TOP_SRCDIR/etc/topics.conf
starter_model = ${DM_STARTER_MODEL:-}

[database]
conninfo = $DM_CONNINFO
connect_timeout = 3
${DM_DB_EXTRA:-}

[deliver]
${DM_DELIVER_EXTRA:-}

[threading]
secret_file = $T/secret
${DM_THREADING_EXTRA:-}

[ack]
templates = $TOP_SRCDIR/templates
${DM_ACK_EXTRA:-}

[hours]
timezone = Europe/Ljubljana
opening = mon-fri 09:00-20:00; sat 09:00-13:00
holidays = 12-25; 12-26; 01-01

[outgoing]
sendmail = $TOP_SRCDIR/tests/recording-sendmail
${DM_OUTGOING_EXTRA:-}

[log]
target = stderr

[server]
listen = unix:$T/lmtp
workers = 2
${DM_SERVER_EXTRA:-}
CONF
	# A running service takes the new configuration as an operator's
	# would: with SIGHUP.
	if [ -n "${DM_SERVE_PID:-}" ]; then
		dm_serve_reload || bail "deskmail serve did not reload"
	fi
}

# dm_config_changed: after a test edits $DESKMAIL_CONFIG by hand, a
# running service reloads it.
dm_config_changed() {
	[ -z "${DM_SERVE_PID:-}" ] || dm_serve_reload || bail "deskmail serve did not reload"
}

# dm_deliver FILE [ARGS]: deliver FILE, setting RC, OUT (stderr).  With
# DM_FRONT_END=serve through the service: OUT then also holds the lines
# the service logged meanwhile, and the outbox has been handed over (as
# `deskmail deliver` does before it exits).
dm_deliver() {
	local f=$1
	shift
	if [ "$DM_FRONT_END" != serve ]; then
		OUT=$("$DESKMAIL" deliver "$@" <"$f" 2>&1)
		RC=$?
		return
	fi
	local rcpt=() before log
	case " $* " in
	*" --recipient "* | *" -r "*) ;;
	*) # The MTA always names the envelope recipient over LMTP.
		rcpt=(--recipient "$(sed -n '/^\r\?$/q; s/^\(X-Original-To\|Delivered-To\): *//Ip' "$f" | tr -d '\r' | head -1)")
		[ -n "${rcpt[1]}" ] || rcpt=(--recipient support@example.org) ;;
	esac
	local from=()
	case " $* " in
	*" --sender "* | *" -f "*) ;;
	*) # ... and the envelope sender: the Return-Path, else the From.
		from=(--sender "$(sed -n '/^\r\?$/q; s/^Return-Path: *<\?\([^>]*\)>\?.*/\1/Ip' "$f" | tr -d '\r' | head -1)")
		[ -n "$(sed -n '/^\r\?$/q; /^Return-Path:/Ip' "$f")" ] ||
			from=(--sender "$(sed -n '/^\r\?$/q; s/^From:.*<\([^>]*\)>.*/\1/Ip; t; s/^From: *\([^ ]*@[^ ]*\).*/\1/Ip' "$f" | tr -d '\r' | head -1)") ;;
	esac
	before=$(wc -c <"$T/serve.log")
	OUT=$("$DESKMAIL_DELIVER" --no-fallback --socket "$T/lmtp" "${rcpt[@]}" "${from[@]}" "$@" <"$f" 2>&1)
	RC=$?
	dm_outbox_wait
	log=$(tail -c +$((before + 1)) "$T/serve.log")
	[ -n "$log" ] && OUT="${OUT:+$OUT
}$log"
	return 0
}

# Count rows of a table (or a WHERE clause on it).
dm_count() {
	pg_sql "SELECT count(*) FROM $1"
}

# A plain test mail: dm_mail MESSAGE-ID SUBJECT [FROM] > file
dm_mail() {
	cat <<MAIL
From: ${3:-Ana Novak <ana@example.si>}
To: support@example.org
Subject: $2
Date: Mon, 23 Nov 2026 09:15:00 +0100
Message-ID: <$1>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Dober dan,

tiskalnik v čitalnici ne tiska že od jutra.

Lep pozdrav,
Ana
MAIL
}

# The mails the recording sendmail received, oldest first (paths).
dm_sent() {
	ls -1 "$DM_SENDMAIL_DIR"/*.eml 2>/dev/null | sort
}

dm_sent_count() {
	dm_sent | wc -l
}

# A header of a sent mail, decoded (mailinfo prints "Name: value").
dm_header() { # dm_header FILE NAME
	"$MAILINFO" "$1" | sed -n "/^\$/q; s/^$2: //Ip" | head -1
}

# The decoded text of a sent mail.
dm_body() {
	"$MAILINFO" "$1" | sed '1,/^$/d'
}
