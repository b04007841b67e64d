#!/bin/bash
# failures.sh - the exit-status policy under faults: nothing is lost, the
# MTA is told to retry (75) for anything transient, and only input that can
# never be stored is refused (65).
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
dm_setup

dm_mail down@example.si "Baza ne dela" >"$T/down.eml"

# --- database down: 75, nothing stored; after restart it is stored once
pg_stop fast
dm_deliver "$T/down.eml"
is "$RC" 75 "database down: exit 75"
like "$OUT" '^4\.3\.0 deskmail: database unavailable' "database down: one 4.3.0 line for the MTA"
pg_restart
is "$(dm_count messages)" 0 "database down: nothing stored"
dm_deliver "$T/down.eml"
is "$RC" 0 "retry after the server is back: exit 0"
is "$(dm_count "messages WHERE message_id = 'down@example.si'")" 1 "retry stores the message once"

# --- server killed while deliver is inside its transaction
# A second session holds a lock on tickets, so deliver blocks in the
# middle of its transaction; then the server dies.
DM_DB_EXTRA="lock_timeout = 0
statement_timeout = 0" dm_write_config
dm_mail killed@example.si "Strežnik umrl" >"$T/killed.eml"
"$PG_BIN/psql" -X -q -c "BEGIN; LOCK TABLE tickets IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60);" \
	>/dev/null 2>&1 &
locker=$!
for i in $(seq 50); do
	[ "$(pg_sql "SELECT count(*) FROM pg_locks WHERE relation = 'tickets'::regclass AND mode = 'AccessExclusiveLock' AND granted")" = 1 ] && break
	sleep 0.1
done
"$DESKMAIL" deliver <"$T/killed.eml" >"$T/killed.out" 2>&1 &
deliverer=$!
for i in $(seq 50); do
	[ "$(pg_sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'deskmail' AND wait_event_type = 'Lock'")" = 1 ] && break
	sleep 0.1
done
is "$(pg_sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'deskmail' AND wait_event_type = 'Lock'")" 1 \
	"deliver is blocked inside its transaction"
pg_stop immediate
wait "$deliverer"
is "$?" 75 "server killed mid-transaction: exit 75"
like "$(cat "$T/killed.out")" '^4\.3\.0 deskmail: ' "server killed: 4.3.0 line"
wait "$locker" 2>/dev/null
pg_restart
is "$(dm_count "messages WHERE message_id = 'killed@example.si'")" 0 "server killed: nothing half-stored"
is "$(dm_count "tickets WHERE subject = 'Strežnik umrl'")" 0 "server killed: no orphan ticket"
dm_deliver "$T/killed.eml"
is "$RC" 0 "redelivery after the crash: exit 0"
is "$(dm_count "messages WHERE message_id = 'killed@example.si'")" 1 "redelivery stores it once"

# --- lock timeout (a stuck transaction elsewhere): 75 and retry works
DM_DB_EXTRA="lock_timeout = 300" dm_write_config
dm_mail locked@example.si "Zaklenjeno" >"$T/locked.eml"
"$PG_BIN/psql" -X -q -c "BEGIN; LOCK TABLE tickets IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(3);" \
	>/dev/null 2>&1 &
locker=$!
sleep 0.5
dm_deliver "$T/locked.eml"
is "$RC" 75 "lock timeout: exit 75"
like "$OUT" '^4\.3\.0 deskmail: database error, will retry' "lock timeout: 4.3.0 line"
wait "$locker"
is "$(dm_count "messages WHERE message_id = 'locked@example.si'")" 0 "lock timeout: nothing stored"

# --- deadline: a delivery that hangs is cut off with 75, not left to the
# MTA's time limit (which bounces)
DM_DELIVER_EXTRA="deadline = 1" dm_write_config
dm_mail slow@example.si "Počasi" >"$T/slow.eml"
start=$(date +%s)
OUT=$( { cat "$T/slow.eml"; sleep 4; } | "$DESKMAIL" deliver 2>&1)
RC=$?
is "$RC" 75 "deadline exceeded while reading: exit 75"
like "$OUT" '^4\.3\.0 deskmail: delivery deadline exceeded$' "deadline: 4.3.0 line"
"$PG_BIN/psql" -X -q -c "BEGIN; LOCK TABLE tickets IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(4);" \
	>/dev/null 2>&1 &
locker=$!
sleep 0.5
DM_DB_EXTRA="lock_timeout = 0
statement_timeout = 0" DM_DELIVER_EXTRA="deadline = 1" dm_write_config
dm_deliver "$T/slow.eml"
is "$RC" 75 "deadline exceeded while waiting for the database: exit 75"
wait "$locker"
is "$(dm_count "messages WHERE message_id = 'slow@example.si'")" 0 "deadline: nothing stored"
dm_write_config

# --- too large: 65 with a line the MTA can quote
DM_DELIVER_EXTRA="max_message_size = 2K" dm_write_config
{ dm_mail big@example.si "Velika"; head -c 3000 /dev/zero | tr '\0' 'x'; echo; } >"$T/big.eml"
dm_deliver "$T/big.eml"
is "$RC" 65 "over the size limit: exit 65"
like "$OUT" '^5\.3\.4 deskmail: message too large \(limit 2048 bytes\)$' "over the size limit: clear line"
is "$(dm_count "messages WHERE message_id = 'big@example.si'")" 0 "over the size limit: nothing stored"
dm_write_config

# --- empty and non-mail input: 65 with a clear line
OUT=$("$DESKMAIL" deliver </dev/null 2>&1); RC=$?
is "$RC" 65 "empty input: exit 65"
like "$OUT" '^5\.6\.0 deskmail: empty input' "empty input: clear line"
OUT=$(head -c 2000 /dev/urandom | tr -d ':\n' | "$DESKMAIL" deliver 2>&1); RC=$?
is "$RC" 65 "binary garbage: exit 65"
like "$OUT" '^5\.6\.0 deskmail: input is not a mail message' "binary garbage: clear line"

# --- configuration problems: deliver defers (75), admin commands say 78
printf '[desk]\nsupport_adress = x@example.org\n' >"$T/typo.conf"
OUT=$("$DESKMAIL" --config "$T/typo.conf" deliver <"$T/down.eml" 2>&1); RC=$?
is "$RC" 75 "unknown key: deliver exits 75"
is "$OUT" "4.3.0 deskmail: $T/typo.conf: [desk] support_adress: unknown key" \
	"unknown key: one line naming file, group and key"
OUT=$("$DESKMAIL" --config "$T/typo.conf" check-config 2>&1); RC=$?
is "$RC" 78 "unknown key: check-config exits 78"
is "$OUT" "deskmail: $T/typo.conf: [desk] support_adress: unknown key" "check-config names the key"
OUT=$("$DESKMAIL" --config "$T/typo.conf" export 2>&1); RC=$?
is "$RC" 78 "unknown key: export exits 78"
printf '[deliver]\nmax_message_size = lots\n' >"$T/bad.conf"
OUT=$("$DESKMAIL" --config "$T/bad.conf" db status 2>&1); RC=$?
is "$RC" 78 "bad value: db status exits 78"
like "$OUT" "bad.conf: \[deliver\] max_message_size: not a size" "bad value: the line says what is wrong"
OUT=$("$DESKMAIL" --config "$T/bad.conf" deliver <"$T/down.eml" 2>&1); RC=$?
is "$RC" 75 "bad value: deliver exits 75"
OUT=$("$DESKMAIL" --config "$T/missing.conf" deliver <"$T/down.eml" 2>&1); RC=$?
is "$RC" 75 "missing file: deliver exits 75"
like "$OUT" "^4\.3\.0 deskmail: $T/missing.conf: cannot read configuration" "missing file: named"
OUT=$("$DESKMAIL" --config "$T/missing.conf" db migrate 2>&1); RC=$?
is "$RC" 78 "missing file: db migrate exits 78"
printf '[database]\nconnect_timeout = 0\n' >"$T/range.conf"
OUT=$("$DESKMAIL" --config "$T/range.conf" check-config 2>&1); RC=$?
is "$RC" 78 "out of range: exit 78"
like "$OUT" 'connect_timeout: 0 is out of range 1\.\.3600' "out of range: the line gives the range"
printf 'this is not an ini file\n' >"$T/garbage.conf"
OUT=$("$DESKMAIL" --config "$T/garbage.conf" check-config 2>&1); RC=$?
is "$RC" 78 "unparseable file: exit 78"
is "$(printf '%s\n' "$OUT" | wc -l)" 1 "unparseable file: one line"

# --- a statement that fails inside the transaction: most writes of a
# delivery are sent pipelined with the next statement that needs an
# answer, so their failure surfaces one call later; it must still end in
# 75 with nothing stored, early (events) or late (ack_log, just before
# COMMIT), and the redelivery must store the mail once
pg_sql "CREATE FUNCTION dm_test_fail() RETURNS trigger LANGUAGE plpgsql AS \$\$BEGIN RAISE EXCEPTION 'broken by the test'; END\$\$" >/dev/null
for table in events ack_log; do
	pg_sql "CREATE TRIGGER dm_test_fail BEFORE INSERT ON $table FOR EACH ROW EXECUTE FUNCTION dm_test_fail()" >/dev/null
	dm_mail "pipe-$table@example.si" "Napaka v $table" "Pia <pia-$table@example.si>" >"$T/pipe-$table.eml"
	tickets_before=$(dm_count tickets)
	sent_before=$(dm_sent_count)
	dm_deliver "$T/pipe-$table.eml"
	is "$RC" 75 "an INSERT into $table fails: deliver exits 75"
	like "$OUT" '^4\.3\.0 deskmail: database error, will retry: broken by the test' "... naming the failure"
	is "$(dm_count "messages WHERE message_id = 'pipe-$table@example.si'") $(dm_count tickets)" "0 $tickets_before" \
		"... nothing stored, no ticket"
	is "$(dm_sent_count)" "$sent_before" "... and no acknowledgement sent"
	pg_sql "DROP TRIGGER dm_test_fail ON $table" >/dev/null
	dm_deliver "$T/pipe-$table.eml"
	is "$RC $(dm_count "messages WHERE message_id = 'pipe-$table@example.si'")" "0 1" "... redelivered: stored once"
done

# --- what deliver loads besides the configuration: broken, the mail is
# deferred (75) with one line naming the problem, and nothing is stored
dm_mail broken-desk@example.si "Pokvarjena namestitev" >"$T/broken.eml"
printf '[topic printing]\nteam = first-line\nphrases_xx = tiskalnik\n' >"$T/topics-bad.conf"
sed "s#^topics = .*#topics = $T/topics-bad.conf#" "$DESKMAIL_CONFIG" >"$T/topics-bad-deskmail.conf"
OUT=$("$DESKMAIL" --config "$T/topics-bad-deskmail.conf" deliver <"$T/broken.eml" 2>&1); RC=$?
is "$RC" 75 "a broken topics file: deliver exits 75"
like "$OUT" '^4\.3\.0 deskmail: .*\[desk\] topics: ' "... with one 4.3.0 line about the topics"
sed "s#^templates = .*#templates = $T/no-templates#" "$DESKMAIL_CONFIG" >"$T/tpl-bad.conf"
OUT=$("$DESKMAIL" --config "$T/tpl-bad.conf" deliver <"$T/broken.eml" 2>&1); RC=$?
is "$RC" 75 "a missing template directory: deliver exits 75"
like "$OUT" '^4\.3\.0 deskmail: .*\[ack\] templates: ' "... with one 4.3.0 line about the templates"
sed "s#^timezone = .*#timezone = Mars/Olympus_Mons#" "$DESKMAIL_CONFIG" >"$T/tz-bad.conf"
OUT=$("$DESKMAIL" --config "$T/tz-bad.conf" deliver <"$T/broken.eml" 2>&1); RC=$?
is "$RC" 75 "an unknown time zone: deliver exits 75"
like "$OUT" '^4\.3\.0 deskmail: .*\[hours\]' "... with one 4.3.0 line naming [hours]"
is "$(dm_count "messages WHERE message_id = 'broken-desk@example.si'")" 0 "nothing stored while the desk is broken"

tap_done
