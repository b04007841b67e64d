# lib.sh - common setup for the integration tests: TAP helpers, a private
# PostgreSQL server for this test script, a configuration file pointing at
# it, and cleanup on exit.
#
# Usage (at the top of a test): . "$TOP_SRCDIR/tests/lib.sh"; dm_setup

: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${TOP_BUILDDIR:=$TOP_SRCDIR}"
: "${DESKMAIL:=$TOP_BUILDDIR/deskmail}"
: "${MAILINFO:=$TOP_BUILDDIR/tests/mailinfo}"
DATA=$TOP_SRCDIR/tests/data

. "$TOP_SRCDIR/tests/tap.sh"
. "$TOP_SRCDIR/tests/pg-harness.sh"

dm_cleanup() {
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
target = 24

[outgoing]
sendmail = $TOP_SRCDIR/tests/recording-sendmail
${DM_OUTGOING_EXTRA:-}

[log]
target = stderr
CONF
}

# dm_deliver FILE [ARGS]: deliver FILE, setting RC, OUT (stderr).
dm_deliver() {
	local f=$1
	shift
	OUT=$("$DESKMAIL" deliver "$@" <"$f" 2>&1)
	RC=$?
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
