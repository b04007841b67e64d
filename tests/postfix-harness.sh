# postfix-harness.sh - a private Postfix instance for one integration test.
# shellcheck shell=bash
#
# Source it after lib.sh and dm_setup, then call pf_start.  Everything lives
# under the test's temp dir $T; the system's /etc/postfix, /var/spool/postfix
# and /var/lib/postfix are only ever read (the package's postfix-files,
# dynamicmaps.cf), never written, and the system instance is never started:
#
#   $T/postfix/          config_directory: main.cf, master.cf
#   $T/postfix-queue/    queue_directory
#   $T/postfix-data/     data_directory
#   $T/postfix-bin/      command_directory: links to /usr/sbin/post*, but
#                        postdrop is a copy without set-gid (see below)
#   $T/postfix.log       maillog_file (postlogd), the instance's log
#   $T/maildir/          one Maildir that receives every mail not for the
#                        desk (agents, customers), by virtual(8)
#   $T/pf-sendmail       [outgoing] sendmail: MAIL_CONFIG=$PF_DIR /usr/sbin/sendmail
#
# Routing: every domain is a virtual mailbox domain whose mailboxes all map
# to $T/maildir/; the transport table sends support@example.org, and with
# recipient_delimiter = + also support+ANYTHING@example.org, to the pipe(8)
# service "deskmail", which runs
#   $DESKMAIL --config $DESKMAIL_CONFIG deliver --recipient ${original_recipient} --sender ${sender}
# as $PF_USER (nobody: the PostgreSQL server of pg-harness.sh runs as nobody
# too, so its socket is reachable; pf_start makes the secret file nobody's,
# mode 600).  Nothing is ever relayed: default_transport is error(8).  The
# SMTP server listens on 127.0.0.1:$PF_PORT only (a port ss -ltn shows
# free); pf_start checks that no socket of the instance listens elsewhere.
#
# deskmail's own mail goes through this instance: /usr/sbin/sendmail with
# MAIL_CONFIG=$PF_DIR in its environment reads our main.cf and runs
# $command_directory/postdrop, which inherits MAIL_CONFIG.  Not -C: run by
# anyone but root, "sendmail -C DIR" trusts a non-default DIR only when the
# DEFAULT main.cf lists it in alternate_config_directories ("fatal: open
# file /etc/postfix/main.cf"), and so does the real postdrop, which is
# set-gid postdrop, for MAIL_CONFIG; trusting it would mean editing
# /etc/postfix.  So the instance's command directory holds a copy of
# postdrop without set-gid (it then honours MAIL_CONFIG), its
# maildrop is mode 1733 (anyone may drop, as with the old world-writable
# maildrop) and its public/ is 711 so that postdrop can wake pickup.  This
# only loosens the private test queue.
#
# Postfix must run as root (master(8) switches to mail_owner = postfix;
# setgid_group = postdrop; both made by the package).  Without root or
# without Postfix, pf_available fails and the test should skip.

PF_USER=${PF_USER:-nobody}

# pf_available: can this test run a private Postfix at all?  Prints why not.
pf_available() {
	if [ "$(id -u)" != 0 ]; then
		echo "not root (Postfix's master must start as root)"
		return 1
	fi
	if [ ! -x /usr/sbin/postfix ] || [ ! -x /usr/lib/postfix/sbin/master ]; then
		echo "Postfix is not installed (apt-get install postfix)"
		return 1
	fi
	if ! command -v ss >/dev/null 2>&1; then
		echo "ss(8) is missing (apt-get install iproute2)"
		return 1
	fi
	if ! command -v pgrep >/dev/null 2>&1; then
		echo "pgrep(1) is missing (apt-get install procps)"
		return 1
	fi
	if ! getent passwd postfix >/dev/null || ! getent group postdrop >/dev/null; then
		echo "the postfix user or the postdrop group is missing"
		return 1
	fi
	return 0
}

# pf_free_port: a TCP port nothing listens on.
pf_free_port() {
	local p i
	for i in $(seq 100); do
		p=$((30000 + (RANDOM * 32768 + RANDOM) % 30000))
		[ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ] && { echo "$p"; return 0; }
	done
	return 1
}

# pf_postconf ARGS: postconf on the private instance.
pf_postconf() {
	/usr/sbin/postconf -c "$PF_DIR" "$@"
}

# pf_start: set up and start the instance.  Needs $T, $DESKMAIL and
# $DESKMAIL_CONFIG (dm_setup); sets PF_DIR, PF_PORT, PF_MAILDIR,
# PF_SENDMAIL, PF_LOG and points [outgoing] sendmail at PF_SENDMAIL.
pf_start() {
	PF_DIR=$T/postfix
	PF_QUEUE=$T/postfix-queue
	PF_DATA=$T/postfix-data
	PF_BIN=$T/postfix-bin
	PF_LOG=$T/postfix.log
	PF_MAILDIR=$T/maildir
	PF_SENDMAIL=$T/pf-sendmail
	local uid gid f
	uid=$(id -u "$PF_USER") && gid=$(id -g "$PF_USER") || return 1
	PF_PORT=$(pf_free_port) || { echo "postfix-harness: no free port" >&2; return 1; }

	# The pipe runs deskmail as $PF_USER, who may not reach the build or
	# source tree (a clone under /root, say): use copies under $T.
	mkdir -p "$T/pf-share"
	cp "$DESKMAIL" "$T/pf-share/deskmail"
	cp -r "$TOP_SRCDIR/templates" "$T/pf-share/templates"
	cp "$TOP_SRCDIR/etc/topics.conf" "$T/pf-share/topics.conf"
	chmod -R a+rX "$T/pf-share"
	sed -i -e "s|^templates = .*|templates = $T/pf-share/templates|" \
		-e "s|^topics = .*|topics = $T/pf-share/topics.conf|" "$DESKMAIL_CONFIG"
	DESKMAIL=$T/pf-share/deskmail

	mkdir -p "$PF_DIR" "$PF_QUEUE" "$PF_BIN" "$PF_MAILDIR/new" "$PF_MAILDIR/cur" "$PF_MAILDIR/tmp"
	chown -R "$uid:$gid" "$PF_MAILDIR"
	chmod 700 "$PF_MAILDIR"
	for f in /usr/sbin/post* /usr/sbin/sendmail; do
		ln -sf "$f" "$PF_BIN/"
	done
	rm -f "$PF_BIN/postdrop"
	cp /usr/sbin/postdrop "$PF_BIN/postdrop"
	chmod 755 "$PF_BIN/postdrop" # no set-gid: see above

	cat >"$PF_DIR/main.cf" <<EOF
# A private Postfix instance for a deskmail test (tests/postfix-harness.sh).
compatibility_level = 3.6
queue_directory = $PF_QUEUE
data_directory = $PF_DATA
command_directory = $PF_BIN
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
meta_directory = /etc/postfix
sendmail_path = $PF_BIN/sendmail
mailq_path = $PF_BIN/mailq
newaliases_path = $PF_BIN/newaliases
mail_owner = postfix
setgid_group = postdrop
maillog_file = $PF_LOG
maillog_file_prefixes = $T
syslog_name = postfix-test

myhostname = mx.example.org
mydomain = example.org
myorigin = \$mydomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_banner = \$myhostname ESMTP deskmail test
smtpd_relay_restrictions = permit_mynetworks, reject
smtputf8_enable = no
biff = no
alias_maps =
alias_database =
local_recipient_maps =
local_transport = error:5.1.1 no local delivery in the test instance
default_transport = error:5.4.4 nothing leaves the test instance
relay_transport = error:5.4.4 nothing leaves the test instance
relayhost =

# Every domain is virtual; every mailbox is the one Maildir \$T/maildir/.
virtual_mailbox_domains = static:all
virtual_mailbox_base = $T
virtual_mailbox_maps = static:maildir/
virtual_uid_maps = static:$uid
virtual_gid_maps = static:$gid
virtual_minimum_uid = 1

# The desk: support@example.org and support+KEY@example.org to deskmail.
recipient_delimiter = +
transport_maps = inline:{ support@example.org=deskmail: }
deskmail_destination_recipient_limit = 1
deskmail_destination_concurrency_limit = 16

# Deferred mail stays deferred until the test flushes the queue.
queue_run_delay = 3600s
minimal_backoff_time = 3600s
maximal_backoff_time = 3600s
delay_warning_time = 0h
EOF
	# chroot n everywhere: nothing to copy into the queue directory.
	cat >"$PF_DIR/master.cf" <<EOF
# service     type  private unpriv chroot wakeup maxproc command + args
127.0.0.1:$PF_PORT inet n   -      n      -      -       smtpd
pickup        unix  n       -      n      1      1       pickup
cleanup       unix  n       -      n      -      0       cleanup
qmgr          unix  n       -      n      300    1       qmgr
rewrite       unix  -       -      n      -      -       trivial-rewrite
bounce        unix  -       -      n      -      0       bounce
defer         unix  -       -      n      -      0       bounce
trace         unix  -       -      n      -      0       bounce
verify        unix  -       -      n      -      1       verify
flush         unix  n       -      n      1000?  0       flush
proxymap      unix  -       -      n      -      -       proxymap
proxywrite    unix  -       -      n      -      1       proxymap
showq         unix  n       -      n      -      -       showq
error         unix  -       -      n      -      -       error
retry         unix  -       -      n      -      -       error
discard       unix  -       -      n      -      -       discard
virtual       unix  -       n      n      -      -       virtual
anvil         unix  -       -      n      -      1       anvil
scache        unix  -       -      n      -      1       scache
postlog       unix-dgram n  -      n      -      1       postlogd
deskmail      unix  -       n      n      -      16      pipe
  flags=Rq user=$PF_USER null_sender=
  argv=$DESKMAIL --config $DESKMAIL_CONFIG deliver --recipient \${original_recipient} --sender \${sender}
EOF
	cat >"$PF_SENDMAIL" <<EOF
#!/bin/sh
# sendmail of the private Postfix instance of this test
MAIL_CONFIG=$PF_DIR
export MAIL_CONFIG
exec /usr/sbin/sendmail "\$@"
EOF
	chmod 755 "$PF_SENDMAIL"

	# The pipe runs deskmail as $PF_USER: it must read the secret (which
	# deskmail refuses when others may read it) and reach the server.
	chown "$PF_USER" "$T/secret"
	chmod 600 "$T/secret"
	pf_use_sendmail "$PF_SENDMAIL"
	# Everything deliver needs must be reachable by $PF_USER (a build
	# under /root is not): check it as that user, not in the pipe.
	runuser -u "$PF_USER" -- "$DESKMAIL" --config "$DESKMAIL_CONFIG" check-config >"$T/pf-user-check.log" 2>&1 || {
		echo "postfix-harness: deskmail check-config as $PF_USER failed:" >&2
		cat "$T/pf-user-check.log" >&2
		return 1
	}

	/usr/sbin/postfix -c "$PF_DIR" check >"$T/postfix-check.log" 2>&1 || {
		echo "postfix-harness: postfix check failed:" >&2
		cat "$T/postfix-check.log" >&2
		return 1
	}
	# postfix check made the queue directories; loosen the two that
	# a non-set-gid postdrop needs.
	chmod 1733 "$PF_QUEUE/maildrop"
	chmod 711 "$PF_QUEUE/public"
	/usr/sbin/postfix -c "$PF_DIR" start >>"$T/postfix-check.log" 2>&1 || {
		echo "postfix-harness: postfix start failed:" >&2
		cat "$T/postfix-check.log" >&2
		tail -20 "$PF_LOG" >&2
		return 1
	}
	PF_STARTED=1
	# Wait for the SMTP server.
	local i
	for i in $(seq 100); do
		[ -n "$(ss -Hltn "sport = :$PF_PORT" 2>/dev/null)" ] && return 0
		sleep 0.1
	done
	echo "postfix-harness: nothing listens on 127.0.0.1:$PF_PORT" >&2
	return 1
}

# pf_use_sendmail PROGRAM: rewrite [outgoing] sendmail in $DESKMAIL_CONFIG
# (after every dm_write_config).
pf_use_sendmail() {
	sed -i "s|^sendmail = .*|sendmail = $1|" "$DESKMAIL_CONFIG"
}

# pf_write_config: dm_write_config, then sendmail through the instance.
pf_write_config() {
	dm_write_config
	pf_use_sendmail "$PF_SENDMAIL"
}

# pf_stop: stop the instance (the EXIT trap calls it before the
# PostgreSQL server goes).
pf_stop() {
	[ -n "${PF_STARTED:-}" ] || return 0
	/usr/sbin/postfix -c "$PF_DIR" stop >/dev/null 2>&1 || true
	PF_STARTED=
}

# pf_master_pid: the pid of the instance's master(8).
pf_master_pid() {
	sed -n '1s/ //gp' "$PF_QUEUE/pid/master.pid" 2>/dev/null
}

# pf_listening: the local addresses the instance listens on (TCP and UDP),
# one a line.
pf_listening() {
	local pid
	pid=$(pf_master_pid)
	[ -n "$pid" ] || return 1
	ss -Hlntup 2>/dev/null | awk -v p="pid=$pid," 'index($0, p) { print $5 }'
}

# pf_smtp SENDER RECIPIENT... <MESSAGE: submit over SMTP to the instance.
pf_smtp() {
	"$TOP_SRCDIR/tests/smtp-send" 127.0.0.1 "$PF_PORT" "$@"
}

# pf_flush: ask the instance to retry all deferred mail now.
pf_flush() {
	/usr/sbin/postqueue -c "$PF_DIR" -f
}

# pf_queue_json: the queue, one JSON object per message (postqueue -j).
pf_queue_json() {
	/usr/sbin/postqueue -c "$PF_DIR" -j 2>/dev/null
}

# pf_queue_count: how many messages are in the queue (any state).
pf_queue_count() {
	pf_queue_json | grep -c .
}

# pf_wait_queue N SECONDS: wait until the queue holds N messages; the
# status says whether it did.
pf_wait_queue() {
	local want=$1 i
	for i in $(seq $(($2 * 10))); do
		[ "$(pf_queue_count)" = "$want" ] && return 0
		sleep 0.1
	done
	return 1
}

# pf_wait_deferred N SECONDS: wait until N messages are deferred (in the
# deferred queue, no delivery in progress).
pf_wait_deferred() {
	local want=$1 i n
	for i in $(seq $(($2 * 10))); do
		n=$(pf_queue_json | jq -s '[.[] | select(.queue_name == "deferred")] | length' 2>/dev/null)
		[ "$n" = "$want" ] && return 0
		sleep 0.1
	done
	return 1
}

# pf_wait_log FIXED REGEX SECONDS: wait until the instance's log has a line
# holding the fixed string FIXED that also matches the extended REGEX, and
# print the last such line (empty when none came).  postlogd writes the
# delivery agent's line asynchronously: a mail the delivery caused can be in
# a Maildir before the line that reports the delivery is in the log.
pf_wait_log() {
	local i line
	for i in $(seq $(($3 * 10))); do
		line=$(grep -F -- "$1" "$PF_LOG" | grep -E -- "$2" | tail -1)
		[ -n "$line" ] && break
		sleep 0.1
	done
	printf '%s\n' "$line"
}

# pf_deferred_reasons: for each deferred message, "DSN REASON" as Postfix
# logged its last delivery attempt, e.g. "4.3.0 deskmail: database
# unavailable ..." (pipe(8) takes deskmail's enhanced status code as the
# DSN and keeps the rest of its output as the reason).
pf_deferred_reasons() {
	local qid
	for qid in $(pf_queue_json | jq -r 'select(.queue_name == "deferred") | .queue_id'); do
		sed -n "s/^.* $qid: to=.*, dsn=\([0-9.]*\), status=deferred (\(.*\))\$/\1 \2/p" "$PF_LOG" | tail -1
	done
}

# Maildir helpers.  Virtual(8) adds "Delivered-To: RECIPIENT" on top.
pf_mails() { # every delivered mail, oldest first
	ls -1tr "$PF_MAILDIR"/new/* "$PF_MAILDIR"/cur/* 2>/dev/null
}
pf_mails_to() { # pf_mails_to ADDRESS: the mails delivered to ADDRESS
	local files
	files=$(pf_mails)
	[ -n "$files" ] || return 0
	# shellcheck disable=SC2086
	awk -v want="delivered-to: $(tr 'A-Z' 'a-z' <<<"$1")" '
		FNR == 1 { head = 1 }
		head && /^\r?$/ { head = 0; nextfile }
		head && tolower($0) == want { print FILENAME; nextfile }' $files
}
pf_count_to() {
	pf_mails_to "$1" | grep -c .
}
# pf_wait_mail ADDRESS N SECONDS: wait until N mails reached ADDRESS.
pf_wait_mail() {
	local i
	for i in $(seq $(($3 * 5))); do
		[ "$(pf_count_to "$1")" -ge "$2" ] && return 0
		sleep 0.2
	done
	return 1
}

# pf_add_lmtp_services SOCKET: add the services of
# etc/postfix/master.cf.deskmail that reach `deskmail serve` on SOCKET:
#   deskmail-lmtp    lmtp(8), chroot n, runs as the mail_owner postfix;
#                    route to it with pf_route "deskmail-lmtp:unix:SOCKET"
#   deskmail-client  pipe(8) running deskmail-deliver --socket SOCKET as
#                    $PF_USER, without the fallback (so a delivery that
#                    succeeds went through the service); pf_route deskmail-client:
# and the main.cf limits of main.cf.deskmail.  pf_start must have run.
pf_add_lmtp_services() {
	cp "${DESKMAIL_DELIVER:-$TOP_BUILDDIR/deskmail-deliver}" "$T/pf-share/deskmail-deliver"
	chmod 755 "$T/pf-share/deskmail-deliver"
	cat >>"$PF_DIR/master.cf" <<EOS
deskmail-lmtp unix  -       -      n      -      4       lmtp
  -o lmtp_connection_cache_on_demand=no
  -o lmtp_data_done_timeout=600s
deskmail-client unix -      n      n      -      4       pipe
  flags=Rq user=$PF_USER null_sender=
  argv=$T/pf-share/deskmail-deliver --no-fallback --timeout 570 --socket $1 --recipient \${original_recipient} --sender \${sender}
EOS
	cat >>"$PF_DIR/main.cf" <<EOS
deskmail-lmtp_destination_concurrency_limit = 4
deskmail-lmtp_destination_recipient_limit = 1
deskmail-client_destination_recipient_limit = 1
deskmail-client_time_limit = 600s
EOS
}

# pf_route NEXTHOP: send support@example.org (and support+KEY@) to the
# transport NEXTHOP ("deskmail:", "deskmail-lmtp:unix:PATH", ...) and
# reload the instance.
pf_route() {
	pf_postconf -e "transport_maps = inline:{ support@example.org=$1 }"
	/usr/sbin/postfix -c "$PF_DIR" reload >/dev/null 2>&1
	# qmgr and trivial-rewrite restart with the new table.
	sleep 1
}
