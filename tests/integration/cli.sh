#!/bin/bash
# cli.sh - the command line: help, version, usage errors, db commands.
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
dm_setup

OUT=$("$DESKMAIL" --version); RC=$?
is "$RC" 0 "--version exits 0"
like "$OUT" '^deskmail [0-9]+\.[0-9]+\.[0-9]+$' "--version prints the version"
OUT=$("$DESKMAIL" --help); RC=$?
is "$RC" 0 "--help exits 0"
for c in deliver db export check-config; do
	like "$OUT" "^  $c " "--help lists $c"
	"$DESKMAIL" $c --help >/dev/null 2>&1
	is "$?" 0 "$c --help exits 0"
done
"$DESKMAIL" frobnicate >/dev/null 2>&1
is "$?" 64 "unknown command: exit 64"
"$DESKMAIL" >/dev/null 2>&1
is "$?" 64 "no command: exit 64"
"$DESKMAIL" db frob >/dev/null 2>&1
is "$?" 64 "unknown db subcommand: exit 64"
"$DESKMAIL" export --no-such-option >/dev/null 2>&1
is "$?" 64 "unknown option: exit 64"
OUT=$("$DESKMAIL" deliver --no-such-option </dev/null 2>&1); RC=$?
is "$RC" 75 "deliver usage error defers (75): a broken pipe line must not bounce mail"

OUT=$("$DESKMAIL" check-config); RC=$?
is "$RC" 0 "check-config on a valid file exits 0"
like "$OUT" "^$DESKMAIL_CONFIG: ok \\([0-9]+ templates, 11 topics, calendar Europe/Ljubljana\\)$" "check-config says ok"
printf 'Subject: Hi {{nonsense}}\n\nBody\n' >"$T/ack.xx.txt"
mkdir -p "$T/tpl" && cp "$TOP_SRCDIR"/templates/* "$T/tpl/" && mv "$T/ack.xx.txt" "$T/tpl/ack.en.broken.txt"
DM_ACK_EXTRA="templates = $T/tpl" dm_write_config
sed -i "s|^templates = $TOP_SRCDIR/templates$||" "$DESKMAIL_CONFIG"
OUT=$("$DESKMAIL" check-config 2>&1); RC=$?
is "$RC" 78 "check-config fails on an unknown placeholder"
like "$OUT" 'ack\.en\.broken\.txt.*nonsense' "... naming the file and the placeholder"
OUT=$("$DESKMAIL" deliver <"$TOP_SRCDIR/examples/01-sl-printer.eml" 2>&1); RC=$?
is "$RC" 75 "deliver defers (75) while a template is broken"
is "$(dm_count tickets)" 0 "... and stores nothing yet"
dm_write_config
sed -e "s|^secret_file = .*|secret_file = $T/secret|" -e "s|^templates = .*|templates = $TOP_SRCDIR/templates|" \
	-e "s|^topics = .*|topics = $TOP_SRCDIR/etc/topics.conf|" \
	"$TOP_SRCDIR/etc/deskmail.conf" >"$T/example.conf"
OUT=$("$DESKMAIL" --config "$T/example.conf" check-config 2>&1)
is "$?" 0 "the shipped example configuration is valid (with a secret and the source templates)"
chmod 644 "$T/secret"
OUT=$("$DESKMAIL" check-config 2>&1)
is "$?" 78 "a world-readable secret file is refused"
like "$OUT" 'secret_file: .* is readable by others' "... with a line that says so"
chmod 600 "$T/secret"

# db init ran in dm_setup; migrate again changes nothing.
OUT=$("$DESKMAIL" db migrate); RC=$?
is "$RC" 0 "db migrate on a current database exits 0"
is "$OUT" "0 migrations applied" "db migrate twice changes nothing"
before=$(pg_sql "SELECT count(*) FROM schema_migrations")
"$DESKMAIL" db init >/dev/null
is "$(pg_sql "SELECT count(*) FROM schema_migrations")" "$before" "db init twice changes nothing"
OUT=$("$DESKMAIL" db status); RC=$?
is "$RC" 0 "db status exits 0"
like "$OUT" '^migration 001-schema\.sql +[0-9]{4}-' "db status lists applied migrations"
like "$OUT" '^tickets 0 \(open 0\), messages 0' "db status shows counts"

# A fresh database: status reports pending migrations, migrate applies them.
pg_sql "CREATE DATABASE fresh" >/dev/null
sed "s/dbname=deskmail/dbname=fresh/" "$DESKMAIL_CONFIG" >"$T/fresh.conf"
OUT=$("$DESKMAIL" --config "$T/fresh.conf" db status); RC=$?
is "$RC" 75 "db status with pending migrations exits 75"
like "$OUT" 'PENDING' "db status shows pending migrations"
OUT=$("$DESKMAIL" --config "$T/fresh.conf" db migrate); RC=$?
is "$RC" 0 "db migrate on a fresh database exits 0"
like "$OUT" '^[1-9][0-9]* migrations? applied$' "db migrate applies the migrations"
is "$(PGDATABASE=fresh pg_sql "SELECT to_regclass('tickets') IS NOT NULL")" t "tables exist after migrate"

# Concurrent migrations on a new database do not trip over each other.
pg_sql "CREATE DATABASE fresh2" >/dev/null
sed "s/dbname=deskmail/dbname=fresh2/" "$DESKMAIL_CONFIG" >"$T/fresh2.conf"
"$DESKMAIL" --config "$T/fresh2.conf" db migrate >"$T/a.out" 2>&1 & a=$!
"$DESKMAIL" --config "$T/fresh2.conf" db migrate >"$T/b.out" 2>&1 & b=$!
wait $a; ra=$?; wait $b; rb=$?
is "$ra$rb" 00 "two concurrent db migrate runs both succeed"
is "$(PGDATABASE=fresh2 pg_sql "SELECT count(*) FROM schema_migrations")" "$before" "and apply each migration once"

# db init creates the database when it does not exist.
sed "s/dbname=deskmail/dbname=brandnew/" "$DESKMAIL_CONFIG" >"$T/new.conf"
OUT=$("$DESKMAIL" --config "$T/new.conf" db init); RC=$?
is "$RC" 0 "db init on a missing database exits 0"
like "$OUT" '^database brandnew created$' "db init creates the database"

# Database unreachable: admin commands exit 75 with a clear line.
sed "s/port=[0-9]*/port=1/" "$DESKMAIL_CONFIG" >"$T/noserver.conf"
OUT=$("$DESKMAIL" --config "$T/noserver.conf" export 2>&1); RC=$?
is "$RC" 75 "export without a server exits 75"
like "$OUT" 'cannot connect to the database' "export without a server says so"

tap_done
