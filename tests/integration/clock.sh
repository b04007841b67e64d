#!/bin/bash
# clock.sh - the desk's clock (`deskmail tick`): a reminder to the team
# inside [hours] remind_before of a ticket's answer-by time, an overdue
# mail after it (to [agents] escalation_address when set), each once per
# due time, also with two clocks at once; an answer stops the clock.
# The times are set with faketime: the due times come from the client's
# clock at delivery, and the tick compares with its own.
. "${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
dm_setup
command -v faketime >/dev/null || bail "faketime is not installed (apt-get install faketime)"
sed -i 's/^\[hours\]$/[hours]\nremind_before = 2h/' "$DESKMAIL_CONFIG"

ticket_of() { pg_sql "SELECT ticket_id FROM messages WHERE message_id = '$1'"; }
# at TICKET OFFSET: the time OFFSET (an SQL interval) from TICKET's due
# time, in UTC, for faketime.
at() { pg_sql "SELECT to_char((due_at + interval '$2') AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') FROM tickets WHERE id = $1"; }
tick() { # tick TIME: run the clock at TIME (UTC), output in OUT
	OUT=$(TZ=UTC faketime "$1" "$DESKMAIL" tick 2>&1)
	RC=$?
}
alerts() { dm_count "outbox WHERE kind = '$1' AND ticket_id = $2"; }
deliver_at() { # deliver_at TIME MESSAGE-ID SUBJECT (Ljubljana time)
	dm_mail "$2" "$3" >"$T/m.eml"
	TZ=Europe/Ljubljana faketime "$1" "$DESKMAIL" deliver <"$T/m.eml" >/dev/null 2>&1
}

# --- one ticket through its promise
deliver_at "2026-11-23 10:00:00" a@example.si "Tiskalnik ne tiska"
is "$?" 0 "a mail stored at a faked Monday 10:00"
A=$(ticket_of a@example.si)
DUE=$(pg_sql "SELECT to_char(due_at AT TIME ZONE 'Europe/Ljubljana', 'YYYY-MM-DD HH24:MI') FROM tickets WHERE id = $A")
like "$DUE" '^2026-11-2[34] ' "due later that day or the next"
# The one agent of the team the printer mail is routed to.
TEAM=$(pg_sql "SELECT name FROM teams WHERE id = (SELECT team_id FROM tickets WHERE id = $A)")
"$DESKMAIL" agent add mojca@desk.example.org --name "Mojca Zupan" --team "$TEAM" >/dev/null
is "$?" 0 "an agent of the ticket's team ($TEAM)"

tick "$(at "$A" '-3 hours')"
is "$RC" 0 "tick before the reminder window: exit 0"
is "$(alerts reminder "$A")$(alerts overdue "$A")" "00" "... nothing sent"

tick "$(at "$A" '-1 hour')"
is "$RC" 0 "tick inside the window"
is "$(alerts reminder "$A")" 1 "... one reminder"
like "$OUT" '^1 alerts, 1 mails sent' "... handed to sendmail"
is "$(pg_sql "SELECT array_to_string(recipients, ',') FROM outbox WHERE kind = 'reminder' AND ticket_id = $A")" \
	"mojca@desk.example.org" "... to the team's agent"
is "$(pg_sql "SELECT status FROM outbox WHERE kind = 'reminder' AND ticket_id = $A")" sent "... and sent"
f=$(grep -lx mojca@desk.example.org "$DM_SENDMAIL_DIR"/*.argv | xargs ls -1t | head -1)
like "$(dm_header "${f%.argv}.eml" Subject)" "^Reminder: \\[Support #$A\\] Tiskalnik ne tiska is due" "... subject"
like "$(dm_body "${f%.argv}.eml")" "promised one by [A-Z][a-z]+day, 2[34] November 2026 at ${DUE#* }" "... names the due time"
like "$(dm_header "${f%.argv}.eml" Reply-To)" "support\\+t${A}a[0-9]+-[0-9a-f]{20}@example\\.org" "... with the agent's reply key"
is "$(dm_count "events WHERE ticket_id = $A AND kind = 'reminder'")" 1 "... an event on the ticket"

tick "$(at "$A" '-30 minutes')"
is "$(alerts reminder "$A")" 1 "tick again inside the window: nothing more"
like "$OUT" '^0 alerts' "... says so"

tick "$(at "$A" '1 minute')"
is "$(alerts overdue "$A")" 1 "tick after the due time: one overdue mail"
is "$(pg_sql "SELECT array_to_string(recipients, ',') FROM outbox WHERE kind = 'overdue' AND ticket_id = $A")" \
	"mojca@desk.example.org" "... to the team without an escalation address"
is "$(alerts reminder "$A")" 1 "... and no second reminder"
tick "$(at "$A" '2 hours')"
is "$(alerts overdue "$A")" 1 "tick again: nothing more"
is "$(dm_count "events WHERE ticket_id = $A AND kind = 'overdue'")" 1 "... one overdue event"

# --- two clocks at once, with an escalation address
printf '[agents]\nescalation_address = boss@example.org\n' >>"$DESKMAIL_CONFIG"
for i in 1 2 3 4 5 6 7 8; do
	deliver_at "2026-11-23 11:00:00" "b$i@example.si" "Težava $i" || bail "delivery b$i"
done
B1=$(ticket_of b1@example.si)
when=$(at "$B1" '1 minute')
TZ=UTC faketime "$when" "$DESKMAIL" tick >"$T/t1.out" 2>&1 &
TZ=UTC faketime "$when" "$DESKMAIL" tick >"$T/t2.out" 2>&1 &
wait
is "$(dm_count "outbox WHERE kind = 'overdue' AND ticket_id >= $B1")" 8 "two ticks at once: eight overdue mails"
is "$(pg_sql "SELECT count(DISTINCT ticket_id) FROM outbox WHERE kind = 'overdue' AND ticket_id >= $B1")" 8 \
	"... one per ticket"
is "$(cat "$T/t1.out" "$T/t2.out" | sed -n 's/ alerts.*//p' | paste -sd+ | bc)" 8 "... split between them"
is "$(pg_sql "SELECT DISTINCT array_to_string(recipients, ',') FROM outbox WHERE kind = 'overdue' AND ticket_id >= $B1")" \
	"boss@example.org" "... to the escalation address"
f=$(grep -lx boss@example.org "$DM_SENDMAIL_DIR"/*.argv | head -1)
is "$(dm_header "${f%.argv}.eml" Reply-To)" "" "... with no agent's reply key"
is "$(dm_count "outbox WHERE kind = 'reminder' AND ticket_id >= $B1")" 0 "... and no reminder past the due time"

# --- an answer stops the clock
deliver_at "2026-11-23 12:00:00" e@example.si "Tiskalnik v pritličju"
E=$(ticket_of e@example.si)
N=$(grep -lx mojca@desk.example.org "$DM_SENDMAIL_DIR"/*.argv | xargs ls -1t | head -1)
N=${N%.argv}.eml
like "$(dm_header "$N" Subject)" "#$E\\]" "the new-ticket notification of ticket $E"
KEY=$(dm_header "$N" Reply-To | sed 's/.*<\(.*\)>.*/\1/')
cat >"$T/r.eml" <<MAIL
From: Mojca Zupan <mojca@desk.example.org>
To: Example Service Desk <$KEY>
Subject: Re: [Support #$E] Tiskalnik v pritličju
Message-ID: <r-e@desk.example.org>
In-Reply-To: $(dm_header "$N" Message-ID)
Content-Type: text/plain; charset=utf-8

Pozdravljeni, tiskalnik smo ponovno zagnali.

Mojca
MAIL
TZ=Europe/Ljubljana faketime "2026-11-23 13:00:00" "$DESKMAIL" deliver --recipient "$KEY" <"$T/r.eml" >/dev/null 2>&1
is "$?" 0 "the agent's answer relayed"
is "$(pg_sql "SELECT first_response_at IS NOT NULL FROM tickets WHERE id = $E")" t "... the first response recorded"
tick "$(at "$E" '1 minute')"
is "$RC" 0 "tick after its due time"
is "$(alerts overdue "$E")$(alerts reminder "$E")" "00" "... no overdue mail for the answered ticket"

tap_done
