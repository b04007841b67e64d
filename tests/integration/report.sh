#!/bin/bash
# report.sh - `deskmail report` on a fixture month with known figures
# (tests/gen-month.sh), checked number by number; the HTML report opened
# in a real headless Chromium; and the admin commands on tickets.
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
dm_setup

bash "$TOP_SRCDIR/tests/gen-month.sh" "$T/expected.sh" >"$T/month.sql" || bail "gen-month failed"
"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -f "$T/month.sql" >/dev/null || bail "loading the fixture month failed"
. "$T/expected.sh"

J=$("$DESKMAIL" report --since 2026-11-01 --until 2026-11-30 --json)
is "$?" 0 "report --json exits 0"
is "$(jq -r .tickets <<<"$J")" "$EXP_TICKETS" "tickets opened"
is "$(jq -r .resolved <<<"$J")" "$EXP_RESOLVED" "tickets resolved"
is "$(jq -r .reopened <<<"$J")" "$EXP_REOPENED" "tickets reopened"
is "$(jq -r .reopen_rate <<<"$J")" "$(awk "BEGIN { printf \"%g\", int($EXP_REOPENED / $EXP_RESOLVED * 10000 + 0.5) / 10000 }")" "reopen rate"
is "$(jq -r .acks_sent <<<"$J")" "$EXP_ACKS" "acknowledgements sent"
is "$(jq -r '.acks_suppressed["auto-submitted"]' <<<"$J")" "$EXP_SUPPRESSED" "acknowledgements suppressed by reason"
is "$(jq -r .bounces <<<"$J")" "$EXP_BOUNCES" "bounces"
is "$(jq -r '[.per_day[].opened] | join(" ")' <<<"$J") " "$EXP_OPENED" "opened per day, all 30 days"
is "$(jq -r '[.per_day[].resolved] | join(" ")' <<<"$J") " "$EXP_RESOLVED_DAYS" "resolved per day, all 30 days"
is "$(jq -r '[.per_day[].date] | first + " " + last' <<<"$J")" "2026-11-01 2026-11-30" "per day covers the period"
is "$(jq -r '[.hour_of_week[][]] | join(" ")' <<<"$J") " "$EXP_WEEK" "arrivals by hour of week, all 168 cells"
is "$(jq -r '.hour_of_week[0][9]' <<<"$J")" 10 "Monday 09:00 is the peak the desk knows"
is "$(jq -r '.day_of_month[1] + .day_of_month[2]' <<<"$J")" 13 "the first working days of the month stand out"
is "$(jq -r '.topics["login-password"]' <<<"$J")" "$EXP_TOPIC_login_password" "topic mix: login-password"
is "$(jq -r '.topics["hardware-printing"]' <<<"$J")" "$EXP_TOPIC_hardware_printing" "topic mix: hardware-printing"
is "$(jq -r '.topics["loans-reservations"]' <<<"$J")" "$EXP_TOPIC_loans_reservations" "topic mix: loans-reservations"
is "$(jq -r '.teams["first-line"]' <<<"$J")" "$EXP_TEAM_first_line" "team mix: first-line"
is "$(jq -r '.teams["it-support"]' <<<"$J")" "$EXP_TEAM_it_support" "team mix: it-support"
for l in sl fi hu en; do
	v=EXP_LANG_$l
	is "$(jq -r ".languages.$l" <<<"$J")" "${!v}" "language mix: $l"
done
is "$(jq -r .first_response_hours.count <<<"$J")" "$EXP_FR_COUNT" "first responses counted"
is "$(jq -r .first_response_hours.median <<<"$J")" "$EXP_FR_MEDIAN" "first response median, business hours"
is "$(jq -r .first_response_hours.p90 <<<"$J")" "$EXP_FR_P90" "first response p90, business hours"
is "$(jq -r .resolution_hours.count <<<"$J")" "$EXP_RS_COUNT" "resolutions counted"
is "$(jq -r .resolution_hours.median <<<"$J")" "$EXP_RS_MEDIAN" "resolution median, business hours"
is "$(jq -r .resolution_hours.p90 <<<"$J")" "$EXP_RS_P90" "resolution p90, business hours"
is "$(jq -r .answered_in_target <<<"$J")" "$EXP_TICKETS" "every ticket answered within the 24 h target"
is "$(jq -r .answered_in_target_share <<<"$J")" 1 "share answered within the target"
# A Sunday ticket answered on Monday 10:00 took one business hour, not 24.
is "$(jq -r '.first_response_hours | .p90 <= 4' <<<"$J")" true "weekend waits do not count as business hours"

# A shorter period counts only its own days.
J2=$("$DESKMAIL" report --since 2026-11-02 --until 2026-11-02 --json)
is "$(jq -r .tickets <<<"$J2")" 8 "one day: Monday the 2nd, 8 tickets"
is "$(jq -r '.per_day | length' <<<"$J2")" 1 "one day: one row per day"

TXT=$("$DESKMAIL" report --since 2026-11-01 --until 2026-11-30)
is "$?" 0 "plain text report exits 0"
like "$TXT" "tickets opened +$EXP_TICKETS" "text: tickets opened"
like "$TXT" 'busiest hour +Mon 09:00-10:00 \(10 tickets\)' "text: the Monday-morning peak is named"
like "$TXT" "first response +median +$EXP_FR_MEDIAN\\.0 h +p90 +$EXP_FR_P90\\.0 h" "text: response times"
"$DESKMAIL" report --since 2026-11-30 --until 2026-11-01 >/dev/null 2>&1
is "$?" 64 "since after until: usage error"
"$DESKMAIL" report --since yesterday --until 2026-11-01 >/dev/null 2>&1
is "$?" 64 "a date that is not YYYY-MM-DD: usage error"

# Every option is checked before the database is asked: one line naming
# the option and its value, exit 64.  The configuration points at a port
# where no server listens, so a check that reached the database would exit 75.
sed "s/port=[0-9]*/port=1/" "$DESKMAIL_CONFIG" >"$T/noserver.conf"
refused() { # EXPECTED-LINE-REGEX ARGS...
	local re=$1; shift
	OUT=$("$DESKMAIL" --config "$T/noserver.conf" "$@" 2>&1 >/dev/null); RC=$?
	is "$RC" 64 "$* : refused with exit 64"
	is "$(wc -l <<<"$OUT")" 1 "... with one line"
	like "$OUT" "$re" "... naming the option and the value"
}
for d in 2026-13-45 08/12/2026 yesterday 2026-02-29 2026-1-05 " 2026-01-05" 2026-01-05x; do
	re="^deskmail: ticket list: --since '${d//[!0-9a-z -]/.}' is not a date \\(YYYY-MM-DD\\)\$"
	refused "$re" ticket list --since "$d"
done
refused "^deskmail: ticket list: --status 'bogus' is not a status \\(new, open, pending, resolved, closed\\)\$" \
	ticket list --status bogus
for n in -3 0 abc 3x 99999999999 " 5"; do
	refused "^deskmail: ticket list: --limit '${n//[!0-9a-z -]/.}' is not a positive integer\$" ticket list --limit "$n"
done
refused "^deskmail: ticket list: --assignee 'nobody' is not a mail address\$" ticket list --assignee nobody
refused "^deskmail: ticket list: unexpected argument 'extra'\$" ticket list extra
refused "^deskmail: contact show: ADDRESS 'not an address' is not a mail address\$" contact show "not an address"
refused "^deskmail: contact show: ADDRESS '@example.org' is not a mail address\$" contact show @example.org
refused "^deskmail: report: --since '2026-13-45' is not a date \\(YYYY-MM-DD\\)\$" report --since 2026-13-45 --until 2026-12-01
refused "^deskmail: report: --until '08/12/2026' is not a date \\(YYYY-MM-DD\\)\$" report --since 2026-11-01 --until 08/12/2026
refused "^deskmail: report: --since DATE is required" report --until 2026-12-01
refused "^deskmail: report: --until DATE is required" report --since 2026-12-01
refused "^deskmail: report: --since '2026-11-30' is after --until '2026-11-01'\$" report --since 2026-11-30 --until 2026-11-01
refused "^deskmail: report: --json and --html '[^']*' exclude each other\$" report --since 2026-11-01 --until 2026-11-30 --json --html "$T/x.html"
refused "^deskmail: report: unexpected argument 'extra'\$" report --since 2026-11-01 --until 2026-11-30 extra
# Right values pass the checks and reach the database (75 here: no server).
"$DESKMAIL" --config "$T/noserver.conf" ticket list --since 2028-02-29 --status closed --limit 7 --assignee '<A@Example.org>' >/dev/null 2>&1
is "$?" 75 "valid options pass the checks (a leap day, a bracketed address) and reach the database"
OUT=$("$DESKMAIL" ticket list --since 2026-11-01 --status open --limit 2); RC=$?
is "$RC" 0 "ticket list with valid options exits 0"
is "$(tail -n +2 <<<"$OUT" | wc -l)" 2 "... and --limit 2 lists two"

# --- the HTML report in a real headless browser
OUT=$("$DESKMAIL" report --since 2026-11-01 --until 2026-11-30 --html "$T/report.html")
is "$?" 0 "report --html exits 0"
ok "$(grep -q -E '<(script|link|img)[ >]' "$T/report.html"; [ $? != 0 ]; echo $?)" "the page is self-contained (no scripts, links or images)"
CHROME=$(command -v chromium || command -v chromium-browser || true)
ok "$([ -n "$CHROME" ]; echo $?)" "chromium is installed (scripts/install-deps)"
chrome() {
	"$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$T/chrome" --enable-logging=stderr --v=0 "$@"
}
chrome --dump-dom "file://$T/report.html" >"$T/dom.html" 2>"$T/chrome.log"
is "$?" 0 "chromium renders the page"
is "$(grep -c 'CONSOLE' "$T/chrome.log")" 0 "no console messages or errors"
dom=$(cat "$T/dom.html")
count() { grep -o "$1" <<<"$dom" | wc -l; }
is "$(count '<rect class="cell"')" 168 "heatmap: 7 x 24 cells"
is "$(count '<rect class="bar a" data-value="[0-9]*" x="[0-9.]*" y="[0-9.]*" width="[0-9.]*" height="[0-9.]*"><title>2026-11')" 30 "daily chart: 30 'opened' bars"
is "$(count '<rect class="bar b"')" 30 "daily chart: 30 'resolved' bars"
is "$(count '<rect class="bar a topic"')" 3 "topic chart: 3 bars"
is "$(count '<title>[^<]*: [0-9]* tickets</title>')" $((8 + 31)) "response-time distribution (8 buckets) and day-of-month chart (31 days)"
is "$(grep -o 'data-day="0" data-hour="9" data-value="[0-9]*"' <<<"$dom" | sed 's/.*value="//; s/"//')" 10 "the heatmap cell of Monday 09:00 holds 10"
chrome --screenshot="$T/report.png" --window-size=1280,2600 "file://$T/report.html" >/dev/null 2>>"$T/chrome.log"
ok "$([ -s "$T/report.png" ] && [ "$(stat -c %s "$T/report.png")" -gt 20000 ]; echo $?)" "a screenshot is taken"
[ -n "${DM_REPORT_SCREENSHOT:-}" ] && cp "$T/report.png" "$DM_REPORT_SCREENSHOT"

# --- the admin commands on the fixture tickets
OUT=$(COLUMNS=100 "$DESKMAIL" ticket list --topic hardware-printing --limit 5); RC=$?
is "$RC" 0 "ticket list exits 0"
is "$(tail -n +2 <<<"$OUT" | wc -l)" 5 "ticket list --limit 5"
is "$(tail -n +2 <<<"$OUT" | awk '{print $4}' | sort -u)" hardware-printing "ticket list --topic filters"
is "$(awk '{ if (length($0) > 100) n++ } END { print n + 0 }' <<<"$OUT")" 0 "ticket list fits a 100-column terminal"
OUT=$("$DESKMAIL" ticket list --team it-support --since 2026-11-30 --status open)
is "$(tail -n +2 <<<"$OUT" | wc -l)" "$(pg_sql "SELECT count(*) FROM tickets t JOIN teams m ON m.id = t.team_id WHERE m.name = 'it-support' AND t.status = 'open' AND (t.created_at AT TIME ZONE 'Europe/Ljubljana')::date >= '2026-11-30'")" \
	"ticket list --team --since --status"
"$DESKMAIL" agent add ana.agent@example.org --name "Ana Agent" --team first-line >/dev/null
OUT=$("$DESKMAIL" ticket set 2 status=pending priority=urgent topic=training assign=ana.agent@example.org); RC=$?
is "$RC" 0 "ticket set exits 0"
is "$(pg_sql "SELECT status || ' ' || priority || ' ' || topic FROM tickets WHERE id = 2")" "pending urgent training" "ticket set changes the fields"
user=$(id -un)
is "$(pg_sql "SELECT string_agg(kind || ':' || coalesce(old_value, '-') || '>' || new_value, ' ' ORDER BY id) FROM events WHERE ticket_id = 2 AND actor = 'cli:$user'")" \
	"status:open>pending priority:normal>urgent topic:hardware-printing>training assign:->ana.agent@example.org" \
	"ticket set records events with the actor cli:USER"
"$DESKMAIL" ticket set 2 status=bogus >/dev/null 2>&1
is "$?" 64 "ticket set with a bad value: usage error"
is "$(pg_sql "SELECT status FROM tickets WHERE id = 2")" pending "... and nothing changed"
# ticket set checks like an agent's #commands: one line naming the key and
# value per refusal, exit 64, and nothing changes.
for bad in 'topic=Bad Topic!' team=no-such-team assign=nobody@example.org priority=extreme status=bogus; do
	OUT=$("$DESKMAIL" ticket set 2 status=open "$bad" 2>&1 >/dev/null); RC=$?
	is "$RC" 64 "ticket set $bad: refused with exit 64"
	is "$(wc -l <<<"$OUT")" 1 "... with one line"
	like "$OUT" "^deskmail: ticket set: ${bad//[!a-zA-Z0-9=@. -]/.}: " "... naming the key and value"
done
is "$(pg_sql "SELECT status || ' ' || priority || ' ' || topic || ' ' || coalesce(team_id::text, '-') FROM tickets WHERE id = 2")" \
	"$(pg_sql "SELECT 'pending urgent training ' || coalesce(team_id::text, '-') FROM tickets WHERE id = 2")" \
	"... and nothing changed, not even the valid status=open beside it"
OUT=$("$DESKMAIL" ticket set 2 'topic=Bad Topic!' team=no-such-team 2>&1); RC=$?
is "$(grep -c '^deskmail: ticket set: ' <<<"$OUT")" 2 "two bad changes: two lines"
is "$(pg_sql "SELECT count(*) FROM events WHERE ticket_id = 2 AND actor = 'cli:$user'")" 4 "refusals record no events"
OUT=$("$DESKMAIL" ticket set 2 team=first-line); RC=$?
is "$RC" 0 "ticket set team=first-line (an existing team) is accepted"
is "$(pg_sql "SELECT m.name FROM tickets t JOIN teams m ON m.id = t.team_id WHERE t.id = 2")" first-line "... the team changed"
is "$(pg_sql "SELECT kind || '>' || new_value FROM events WHERE ticket_id = 2 AND actor = 'cli:$user' ORDER BY id DESC LIMIT 1")" \
	"team>first-line" "... with a team event by cli:USER"
"$DESKMAIL" ticket set 99999 status=open >/dev/null 2>&1
is "$?" 66 "ticket set on a missing ticket: exit 66"
OUT=$("$DESKMAIL" ticket show 1); RC=$?
is "$RC" 0 "ticket show exits 0"
like "$OUT" '^\[Support #1\] Fixture 0$' "ticket show: the tag and subject"
like "$OUT" 'status:? open|status open' "ticket show: the facts"
like "$OUT" -- '-- status by agent@example\.org: open -> resolved' "ticket show: the events in order"
"$DESKMAIL" ticket show 99999 >/dev/null 2>&1
is "$?" 66 "ticket show on a missing ticket: exit 66"
OUT=$("$DESKMAIL" contact show Fixture@Example.SI); RC=$?
is "$RC" 0 "contact show exits 0"
like "$OUT" '^fixture@example\.si \(Fixture\)' "contact show: address and name"
is "$(grep -c ' requester ' <<<"$OUT")" 50 "contact show: the tickets (newest 50)"

# --- the secret is read only by the commands that need it: a user who may
# not read it can still list tickets and make reports.
sed "s|^secret_file = .*|secret_file = $T/no-such-secret|" "$DESKMAIL_CONFIG" >"$T/nosecret.conf"
OUT=$("$DESKMAIL" --config "$T/nosecret.conf" ticket list --limit 3); RC=$?
is "$RC" 0 "ticket list works without the secret file"
is "$(tail -n +2 <<<"$OUT" | wc -l)" 3 "... and lists the tickets"
J4=$("$DESKMAIL" report --since 2026-11-01 --until 2026-11-30 --json)
J3=$("$DESKMAIL" --config "$T/nosecret.conf" report --since 2026-11-01 --until 2026-11-30 --json); RC=$?
is "$RC" 0 "report works without the secret file"
is "$J3" "$J4" "... with the same figures"
OUT=$("$DESKMAIL" --config "$T/nosecret.conf" check-config 2>&1); RC=$?
is "$RC" 78 "check-config, which needs the secret, still refuses without it"
like "$OUT" 'secret_file' "... naming the secret file"

# --- ticket raw, ticket attachment, and what ticket show lists of them
att=$T/plan.bin; head -c 5000 /dev/urandom >"$att"
dup1=$T/dup1.bin; head -c 700 /dev/urandom >"$dup1"
dup2=$T/dup2.bin; head -c 900 /dev/urandom >"$dup2"
cat >"$T/att.eml" <<MAIL
From: Vesna <vesna@example.si>
To: support@example.org
Cc: Marko <Marko@Example.si>, nina@example.si
Subject: Priloge
Date: Tue, 24 Nov 2026 10:00:00 +0100
Message-ID: <raw-att@example.si>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

Pošiljam priloge.
--b1
Content-Type: application/pdf
Content-Disposition: attachment; filename="plan.pdf"
Content-Transfer-Encoding: base64

$(base64 -w 76 "$att")
--b1
Content-Type: application/octet-stream
Content-Disposition: attachment; filename="scan.bin"
Content-Transfer-Encoding: base64

$(base64 -w 76 "$dup1")
--b1
Content-Type: application/octet-stream
Content-Disposition: attachment; filename="scan.bin"
Content-Transfer-Encoding: base64

$(base64 -w 76 "$dup2")
--b1--
MAIL
dm_deliver "$T/att.eml" --recipient support@example.org
is "$RC" 0 "a mail with three attachments is delivered"
ticket=$(pg_sql "SELECT ticket_id FROM messages WHERE message_id = 'raw-att@example.si'")
row=$(pg_sql "SELECT id FROM messages WHERE message_id = 'raw-att@example.si'")
"$DESKMAIL" ticket raw "$ticket" >"$T/raw.out"
is "$?" 0 "ticket raw exits 0"
ok "$(cmp -s "$T/att.eml" "$T/raw.out"; echo $?)" "ticket raw: the first incoming mail, byte for byte"
"$DESKMAIL" ticket raw "$ticket" "<raw-att@example.si>" >"$T/raw2.out"
ok "$(cmp -s "$T/att.eml" "$T/raw2.out"; echo $?)" "ticket raw by Message-ID"
"$DESKMAIL" ticket raw "$ticket" "$row" >"$T/raw3.out"
ok "$(cmp -s "$T/att.eml" "$T/raw3.out"; echo $?)" "ticket raw by message row id"
OUT=$("$DESKMAIL" ticket raw "$ticket" no-such@example.si 2>&1 >/dev/null); RC=$?
is "$RC" 66 "ticket raw of a message the ticket does not have: exit 66"
like "$OUT" "^deskmail: ticket raw: no stored mail no-such@example.si on ticket $ticket\$" "... saying so"
"$DESKMAIL" ticket raw 99999 >/dev/null 2>&1
is "$?" 66 "ticket raw on a missing ticket: exit 66"
"$DESKMAIL" ticket raw 2 >/dev/null 2>&1
is "$?" 66 "ticket raw on a ticket whose mail has no stored copy (the fixture month): exit 66"
"$DESKMAIL" ticket attachment "$ticket" plan.pdf >"$T/plan.out"
is "$?" 0 "ticket attachment exits 0"
is "$(sha256sum <"$T/plan.out" | cut -d' ' -f1)" "$(pg_sql "SELECT sha256 FROM attachments WHERE filename = 'plan.pdf'")" \
	"ticket attachment: the content whose sha256 is stored"
ok "$(cmp -s "$att" "$T/plan.out"; echo $?)" "... the very bytes that were attached"
OUT=$("$DESKMAIL" ticket attachment "$ticket" scan.bin 2>&1 >"$T/scan.out"); RC=$?
is "$RC" 64 "two attachments with one name: refused (exit 64)"
ok "$([ ! -s "$T/scan.out" ]; echo $?)" "... writing nothing"
like "$OUT" "^deskmail: ticket attachment: 2 attachments named 'scan.bin' on ticket $ticket; name one as id:ID" "... saying so"
is "$(grep -c '^  id:[0-9]* ' <<<"$OUT")" 2 "... and listing both"
second=$(grep -o '^  id:[0-9]*' <<<"$OUT" | tail -1 | tr -d ' ')
"$DESKMAIL" ticket attachment "$ticket" "$second" >"$T/scan2.out"
is "$?" 0 "ticket attachment by id:ID"
ok "$(cmp -s "$dup2" "$T/scan2.out"; echo $?)" "... the second one, byte for byte"
"$DESKMAIL" ticket attachment 1 "$second" >/dev/null 2>&1
is "$?" 66 "id:ID of another ticket's attachment: exit 66"
OUT=$("$DESKMAIL" ticket attachment "$ticket" nothing.txt 2>&1); RC=$?
is "$RC" 66 "ticket attachment with no such name: exit 66"
like "$OUT" "^deskmail: ticket attachment: no attachment 'nothing.txt' on ticket $ticket\$" "... saying so"
OUT=$("$DESKMAIL" ticket show "$ticket"); RC=$?
is "$RC" 0 "ticket show of the ticket with attachments"
like "$OUT" '^  cc marko@example\.si, nina@example\.si$' "ticket show: the Cc"
like "$OUT" '^    plan\.pdf  application/pdf  5000 bytes$' "ticket show: an attachment with name, type and size"
is "$(grep -c '^    scan\.bin  application/octet-stream  [79]00 bytes$' <<<"$OUT")" 2 "ticket show: both attachments of one name"
like "$("$DESKMAIL" ticket show 1)" '^  cc -$' "ticket show: no Cc"

tap_done
